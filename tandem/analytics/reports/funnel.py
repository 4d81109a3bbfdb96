"""The sales funnel per pipeline: entries per stage, stage-to-stage conversion, time in stage,
win rate and cycle length — all from the stage-change log, in four aggregate queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import BooleanField, Count, Exists, F, OuterRef, Sum, Value
from django.db.models.expressions import Case, When

from tandem.accounts.models import User
from tandem.analytics.filters import ReportFilters, report_deals
from tandem.analytics.reports.base import (
    days,
    duration_bucket,
    effective_filters,
    in_period,
    median_of_histogram,
    percent,
    related_deal_q,
    seconds_between,
)
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


def funnel_report(actor: User, filters: ReportFilters) -> FunnelReport:
    """The funnel of each visible pipeline (or the filtered one) for the period.

    - entered: distinct deals with a stage change into the stage in the period (a deal's creation is
      its change into its first stage, from no stage), so skips, steps back and reopenings count
      each stage a deal really entered, once per deal;
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
    related = related_deal_q(actor, filters)
    changes = StageChange.objects.filter(related, in_period("changed_at", filters))

    later = [
        When(
            to_stage_id=stage_id,
            then=Exists(
                StageChange.objects.filter(
                    deal_id=OuterRef("deal_id"), changed_at__gt=OuterRef("changed_at"), to_stage_id__in=ids
                )
            ),
        )
        for stage_id, ids in higher.items()
        if ids
    ]
    moved_on = Case(*later, default=Value(False), output_field=BooleanField()) if later else Value(False)
    entries = (
        changes.filter(to_stage_id__in=list(rows))
        .order_by()
        .values("to_stage_id")
        .annotate(
            entered=Count("deal_id", distinct=True),
            converted=Count(Case(When(moved_on, then=F("deal_id"))), distinct=True),
        )
    )
    for entry in entries:
        row = rows[entry["to_stage_id"]]
        row.entered, row.converted = entry["entered"], entry["converted"]
        if row.is_open:
            row.conversion = percent(row.converted, row.entered)

    histograms: dict[int, list[tuple[int, int]]] = {}
    durations = (
        changes.filter(from_stage_id__in=list(higher), seconds_in_previous__isnull=False)
        .order_by()
        .values("from_stage_id", bucket=duration_bucket(F("seconds_in_previous")))
        .annotate(count=Count("id"))
    )
    for item in durations:
        histograms.setdefault(item["from_stage_id"], []).append((item["bucket"], item["count"]))
    for stage_id, histogram in histograms.items():
        rows[stage_id].median_days = days(median_of_histogram(histogram))

    won, lost = in_period("won_at", filters), in_period("lost_at", filters)
    closed = (
        report_deals(actor, filters)
        .filter(pipeline_id__in=list(by_pipeline))
        .filter(won | lost)
        .order_by()
        .values("pipeline_id")
        .annotate(
            won=Count("id", filter=won),
            lost=Count("id", filter=lost),
            cycle=Sum(seconds_between("created_at", "won_at"), filter=won),
        )
    )
    for item in closed:
        pipeline = by_pipeline[item["pipeline_id"]]
        pipeline.won, pipeline.lost = item["won"], item["lost"]
        pipeline.win_rate = percent(pipeline.won, pipeline.won + pipeline.lost)
        if pipeline.won and item["cycle"] is not None:
            pipeline.cycle_days = days(Decimal(item["cycle"]) / pipeline.won)
    for pipeline in report.pipelines:
        pipeline.stages = [row for row in pipeline.stages if not row.is_archived or row.entered]
    return report
