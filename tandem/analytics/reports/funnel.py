"""The sales funnel per pipeline: entries per stage, stage-to-stage conversion, time in stage,
win rate and cycle length — from the stage-change log, in four aggregate queries.

Entries and times in stage come from the `StageDay` / `StageExitDay` rollups (per stage, owner and
local day; `tandem.analytics.stage_rollups`) when they give the same figures as the log: the viewer's
time zone is the rollups' (`settings.TIME_ZONE`) and no channel, product or client-category filter
narrows the deals. Deals visible only because they are shared with the viewer are added from the log
(few). Otherwise everything is counted from the log, with the same definitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum

from tandem.accounts.models import User
from tandem.analytics.filters import ReportFilters, report_deals
from tandem.analytics.models import StageDay, StageExitDay
from tandem.analytics.reports.base import (
    days,
    duration_bucket,
    effective_filters,
    in_period,
    manager_q,
    median_of_histogram,
    percent,
    related_deal_q,
    seconds_between,
    shared_only_deals,
)
from tandem.analytics.rollups import rollup_zone
from tandem.deals.models import Pipeline, Stage, StageChange

MAX_PIPELINES = 20


@dataclass
class FunnelStage:
    stage_id: int
    name: str
    colour: str
    kind: str
    entered: int = 0
    converted: int = 0
    conversion: Decimal | None = None
    median_days: Decimal | None = None
    is_archived: bool = False

    @property
    def is_open(self) -> bool:
        return self.kind == Stage.Kind.OPEN


@dataclass
class FunnelPipeline:
    pipeline_id: int
    name: str
    stages: list[FunnelStage] = field(default_factory=list)
    won: int = 0
    lost: int = 0
    win_rate: Decimal | None = None
    cycle_days: Decimal | None = None


@dataclass
class FunnelReport:
    pipelines: list[FunnelPipeline]


def _rank(stage: Stage) -> int | None:
    """How far along a stage is: its position when open, beyond every open stage when won; a lost
    stage is no progress at all."""
    if stage.kind == Stage.Kind.WON:
        return 1_000_000
    if stage.kind == Stage.Kind.OPEN:
        return stage.position
    return None


def funnel_rollup_usable(filters: ReportFilters) -> bool:
    """Whether entries and times in stage may be read from the rollups (see the module's docstring)."""
    if filters.zone.key != rollup_zone().key:
        return False
    return not (filters.channel or filters.product or filters.category)


def _stage_figures(
    actor: User, filters: ReportFilters, stage_ids: list[int], open_ids: list[int]
) -> tuple[dict[int, list[int]], dict[int, list[tuple[int, int]]]]:
    """({stage: [entered, moved on]}, {open stage: [(duration bucket, changes out)]}) for the period."""
    entries: dict[int, list[int]] = {}
    histograms: dict[int, list[tuple[int, int]]] = {}
    wanted, open_wanted = set(stage_ids), set(open_ids)

    def from_log(changes: QuerySet[StageChange], *, few_deals: bool = False) -> None:
        # For a few deals, no stage condition in SQL: the planner then finds their changes by deal
        # (stagechange_deal_idx) instead of walking the period per stage; other stages are dropped here.
        into = {} if few_deals else {"to_stage_id__in": stage_ids}
        out_of = {} if few_deals else {"from_stage_id__in": open_ids}
        for item in (
            changes.filter(is_first_entry=True, **into)
            .order_by()
            .values("to_stage_id")
            .annotate(entered=Count("id"), moved=Count("id", filter=Q(moved_on=True)))
        ):
            if item["to_stage_id"] in wanted:
                row = entries.setdefault(item["to_stage_id"], [0, 0])
                row[0] += item["entered"]
                row[1] += item["moved"]
        for item in (
            changes.filter(from_stage_id__isnull=False, seconds_in_previous__isnull=False, **out_of)
            .order_by()
            .values("from_stage_id", bucket=duration_bucket(F("seconds_in_previous")))
            .annotate(count=Count("id"))
        ):
            if item["from_stage_id"] in open_wanted:
                histograms.setdefault(item["from_stage_id"], []).append((item["bucket"], item["count"]))

    period = in_period("changed_at", filters)
    if not funnel_rollup_usable(filters):
        from_log(StageChange.objects.filter(related_deal_q(actor, filters), period))
        return entries, histograms
    owners = manager_q(actor, filters, "owner")
    days_in = Q(day__gte=filters.start, day__lte=filters.end)
    # No stage condition: the planner then reads the (day, …) or (owner, day, …) index alone, and
    # the few rows of other pipelines are dropped here.
    for stage_id, entered, moved in (
        StageDay.objects.filter(owners, days_in)
        .order_by()
        .values("stage_id")
        .annotate(entered=Sum("entered"), moved=Sum("moved_on"))
        .values_list("stage_id", "entered", "moved")
    ):
        if stage_id in wanted:
            entries[stage_id] = [entered or 0, moved or 0]
    for stage_id, bucket, count in (
        StageExitDay.objects.filter(owners, days_in)
        .order_by()
        .values("stage_id", "bucket")
        .annotate(count=Sum("exits"))
        .values_list("stage_id", "bucket", "count")
    ):
        if stage_id in open_wanted:
            histograms.setdefault(stage_id, []).append((bucket, count))
    shared = shared_only_deals(actor, filters)
    # Read first (a few ids): the changes are then found by deal, not by scanning the period.
    shared_ids = list(shared.values_list("pk", flat=True)) if shared is not None else []
    if shared_ids:
        from_log(StageChange.objects.filter(period, deal_id__in=shared_ids), few_deals=True)
    return entries, histograms


def funnel_report(actor: User, filters: ReportFilters) -> FunnelReport:
    """The funnel of each visible pipeline (or the filtered one) for the period.

    - entered: the deals whose first change into the stage (ever) is in the period — a deal's
      creation is its change into its first stage, from no stage — so skips and steps back count each
      stage a deal really reached, once per deal; a deal that comes back to a stage it had already
      been in counts in the period it first got there (this is what makes the figures additive over
      days, and readable from a daily rollup; before the rollups, a return in a later period counted
      in that period too);
    - converted: of those, the deals that after entering moved on to a later open stage (higher
      position) or to won, at any time since; conversion = converted / entered;
    - median days in stage: of the changes out of the stage in the period (`seconds_in_previous`);
    - win rate: won / (won + lost) among deals won or lost in the period (a reopened deal has neither
      date); cycle: the average of won − created over the deals won in the period.
    """
    filters = effective_filters(actor, filters)
    pipelines = Pipeline.objects.order_by("position", "id")
    pipelines = (
        pipelines.filter(pk=filters.pipeline) if filters.pipeline else pipelines.filter(is_active=True)
    )
    report = FunnelReport(
        pipelines=[FunnelPipeline(pipeline.pk, pipeline.name) for pipeline in pipelines[:MAX_PIPELINES]]
    )
    if not report.pipelines:
        return report
    by_pipeline = {row.pipeline_id: row for row in report.pipelines}
    stages = list(Stage.objects.filter(pipeline_id__in=by_pipeline).order_by("pipeline_id", "position", "id"))
    rows: dict[int, FunnelStage] = {}
    higher: dict[int, list[int]] = {}
    for stage in stages:
        row = FunnelStage(stage.pk, stage.name, stage.colour, stage.kind, is_archived=stage.is_archived)
        rows[stage.pk] = row
        by_pipeline[stage.pipeline_id].stages.append(row)
        rank = _rank(stage)
        if stage.kind == Stage.Kind.OPEN and rank is not None:
            higher[stage.pk] = [
                other.pk
                for other in stages
                if other.pipeline_id == stage.pipeline_id and (_rank(other) or -1) > rank
            ]
    # `moved_on` is kept on each change (tandem.analytics.stage_rollups) with these same ranks.
    entries, histograms = _stage_figures(actor, filters, list(rows), list(higher))
    for stage_id, (entered, moved) in entries.items():
        row = rows[stage_id]
        row.entered, row.converted = entered, moved
        if row.is_open:
            row.conversion = percent(row.converted, row.entered)
    for stage_id, histogram in histograms.items():
        rows[stage_id].median_days = days(median_of_histogram(histogram))

    # Won and lost apart: each reads its own covering partial index (deal_won_report_idx, …_lost_…).
    deals = report_deals(actor, filters).filter(pipeline_id__in=list(by_pipeline)).order_by()
    for item in (
        deals.filter(in_period("won_at", filters))
        .values("pipeline_id")
        .annotate(count=Count("id"), cycle=Sum(seconds_between("created_at", "won_at")))
    ):
        pipeline = by_pipeline[item["pipeline_id"]]
        pipeline.won = item["count"]
        if pipeline.won and item["cycle"] is not None:
            pipeline.cycle_days = days(Decimal(item["cycle"]) / pipeline.won)
    for item in deals.filter(in_period("lost_at", filters)).values("pipeline_id").annotate(count=Count("id")):
        by_pipeline[item["pipeline_id"]].lost = item["count"]
    for pipeline in report.pipelines:
        pipeline.win_rate = percent(pipeline.won, pipeline.won + pipeline.lost)
    for pipeline in report.pipelines:
        pipeline.stages = [row for row in pipeline.stages if not row.is_archived or row.entered]
    return report
