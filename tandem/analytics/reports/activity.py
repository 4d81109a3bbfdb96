"""What each manager did: done calls, meetings, letters, emails and tasks, overdue planned items,
first response to new leads and deals moved — counted from the records in five aggregate queries.

Done items come from the `ActivityDay` rollup (done per assignee, kind and local day) when it gives the
same figures as the activities: the viewer's time zone is the rollup's (`settings.TIME_ZONE`), no
deal filter (pipeline, channel, product, client category) narrows the activities to those on some
deals, and the actor's activity scope covers every manager the report shows (so the "written by me"
part of activity visibility adds nothing). Otherwise they are counted from the activities.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from tandem.accounts.models import User
from tandem.accounts.visibility import scope_for
from tandem.activities.models import Activity, ActivityType
from tandem.analytics.filters import ReportFilters, report_activities, report_deals
from tandem.analytics.models import ActivityDay, DealMoveDay
from tandem.analytics.reports.base import (
    deal_scope,
    duration_bucket,
    effective_filters,
    in_period,
    local_date,
    manager_q,
    median_of_histogram,
    related_deal_q,
    seconds_between,
    shared_only_deals,
)
from tandem.analytics.rollups import rollup_zone
from tandem.deals.models import StageChange

KINDS = [
    ActivityType.Kind.CALL,
    ActivityType.Kind.MEETING,
    ActivityType.Kind.LETTER,
    ActivityType.Kind.EMAIL,
    ActivityType.Kind.TASK,
]
DAILY_UP_TO_DAYS = 62


@dataclass
class ManagerActivity:
    manager_id: int
    name: str
    done: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    overdue: int = 0
    responded: int = 0
    response_avg_hours: Decimal | None = None
    response_median_hours: Decimal | None = None
    moved: int = 0

    @property
    def done_total(self) -> int:
        return sum(self.done.values())

    @property
    def done_list(self) -> list[tuple[str, int]]:
        return [(kind, self.done[kind]) for kind in KINDS]


@dataclass
class ActivityPoint:
    start: datetime.date
    done: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))


@dataclass
class ActivityReport:
    managers: list[ManagerActivity]
    series: list[ActivityPoint]
    weekly: bool
    totals: ManagerActivity


def _hours(seconds: float | None) -> Decimal | None:
    if seconds is None:
        return None
    return (Decimal(str(seconds)) / 3600).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def rollup_usable(actor: User, filters: ReportFilters) -> bool:
    """Whether the done counts may be read from `ActivityDay` (see the module's docstring)."""
    if filters.zone.key != rollup_zone().key:
        return False
    if filters.pipeline or filters.channel or filters.product or filters.category:
        return False
    # Facts: assignee within the activity scope, or written by the actor; managers: the deal scope.
    # A wider or equal activity scope makes the "written by" part redundant for those managers.
    return scope_for(actor, Activity, "view") >= deal_scope(actor)


def _done_by_manager(actor: User, filters: ReportFilters, rollup: bool) -> QuerySet:
    """(assignee_id, kind, count) rows of the done items in the period."""
    if rollup:
        return (
            _rollup_days(actor, filters)
            .values("assignee_id", "kind")
            .annotate(count=Sum("done"))
            .values_list("assignee_id", "kind", "count")
        )
    return (
        _done_activities(actor, filters)
        .values("assignee_id", kind=F("type__kind"))
        .annotate(count=Count("id"))
        .values_list("assignee_id", "kind", "count")
    )


def _done_by_day(actor: User, filters: ReportFilters, rollup: bool) -> QuerySet:
    """(local day, kind, count) rows of the done items in the period."""
    if rollup:
        return (
            _rollup_days(actor, filters)
            .values("day", "kind")
            .annotate(count=Sum("done"))
            .values_list("day", "kind", "count")
        )
    return (
        _done_activities(actor, filters)
        .values(day=local_date("done_at", filters), kind=F("type__kind"))
        .annotate(count=Count("id"))
        .values_list("day", "kind", "count")
    )


def _rollup_days(actor: User, filters: ReportFilters) -> QuerySet[ActivityDay]:
    # Rows back at zero (an item undone or trashed) would add managers with nothing done.
    return ActivityDay.objects.filter(
        manager_q(actor, filters, "assignee"),
        day__gte=filters.start,
        day__lte=filters.end,
        kind__in=KINDS,
        done__gt=0,
    ).order_by()


def _done_activities(actor: User, filters: ReportFilters) -> QuerySet[Activity]:
    activities = report_activities(actor, filters).filter(manager_q(actor, filters, "assignee"))
    return activities.filter(in_period("done_at", filters), type__kind__in=KINDS).order_by()


def moves_rollup_usable(filters: ReportFilters) -> bool:
    """Whether deals moved may be read from `DealMoveDay`: the rollup's time zone, and no filter that
    narrows the deals by more than their owner."""
    if filters.zone.key != rollup_zone().key:
        return False
    return not (filters.pipeline or filters.channel or filters.product or filters.category)


def _deals_moved(actor: User, filters: ReportFilters) -> dict[int, int]:
    """{mover: deals moved}, each deal counted once a day (local days in the viewer's zone)."""
    moved: dict[int, int] = {}

    def from_log(deals: Q) -> None:
        moves = StageChange.objects.filter(
            deals,
            manager_q(actor, filters, "actor"),
            in_period("changed_at", filters),
            actor__isnull=False,
            from_stage__isnull=False,
        )
        per_day = (
            moves.order_by()
            .values("actor_id", "deal_id", day=local_date("changed_at", filters))
            .annotate(count=Count("id"))
            .values("actor_id", "deal_id", "day")
        )
        sql, params = per_day.query.sql_with_params()
        with connection.cursor() as cursor:
            # A GROUP BY over the distinct (mover, deal, day) rows Django built above.
            cursor.execute(f"SELECT actor_id, COUNT(*) FROM ({sql}) moves GROUP BY actor_id", params)  # noqa: S608
            for actor_id, count in cursor.fetchall():
                moved[actor_id] = moved.get(actor_id, 0) + count

    if not moves_rollup_usable(filters):
        from_log(related_deal_q(actor, filters))
        return moved
    for actor_id, count in (
        DealMoveDay.objects.filter(
            manager_q(actor, filters, "actor"),
            manager_q(actor, filters, "owner"),
            day__gte=filters.start,
            day__lte=filters.end,
            deals__gt=0,
        )
        .order_by()
        .values("actor_id")
        .annotate(count=Sum("deals"))
        .values_list("actor_id", "count")
    ):
        moved[actor_id] = count
    shared = shared_only_deals(actor, filters)
    shared_ids = list(shared.values_list("pk", flat=True)) if shared is not None else []
    if shared_ids:  # a few ids, read first so their changes are found by deal
        from_log(Q(deal_id__in=shared_ids))
    return moved


def activity_report(
    actor: User, filters: ReportFilters, *, now: datetime.datetime | None = None
) -> ActivityReport:
    """Per manager the actor may see (themselves; their teams; everyone) for the period.

    Done items count by `done_at` in the period and the type's kind; overdue items are planned ones
    past due now; first response is first contact − creation of the deals created in the period that
    have been contacted (average and median); deals moved are the deals the manager moved to another
    stage, each counted once per local day it was moved on — a deal moved on three days counts three
    times (additive over days, so read from the `DealMoveDay` rollup; before the rollup a deal counted
    once per period). The series has a point per day (per week beyond two months).
    """
    filters = effective_filters(actor, filters)
    now = now or timezone.now()
    rows: dict[int, ManagerActivity] = {}

    def row(manager_id: int) -> ManagerActivity:
        if manager_id not in rows:
            rows[manager_id] = ManagerActivity(manager_id, "")
        return rows[manager_id]

    rollup = rollup_usable(actor, filters)
    for assignee_id, kind, count in _done_by_manager(actor, filters, rollup):
        row(assignee_id).done[kind] += count

    weekly = (filters.end - filters.start).days + 1 > DAILY_UP_TO_DAYS
    points: dict[datetime.date, ActivityPoint] = {}
    for day, kind, count in _done_by_day(actor, filters, rollup):
        if isinstance(day, str):
            day = datetime.date.fromisoformat(day)
        start = day - datetime.timedelta(days=day.weekday()) if weekly else day
        points.setdefault(start, ActivityPoint(start)).done[kind] += count
    series = []
    cursor = filters.start - datetime.timedelta(days=filters.start.weekday()) if weekly else filters.start
    while cursor <= filters.end:
        series.append(points.get(cursor, ActivityPoint(cursor)))
        cursor += datetime.timedelta(days=7 if weekly else 1)

    activities = report_activities(actor, filters).filter(manager_q(actor, filters, "assignee"))
    overdue = activities.filter(done_at__isnull=True, due_at__lt=now)
    for item in overdue.order_by().values("assignee_id").annotate(count=Count("id")):
        row(item["assignee_id"]).overdue = item["count"]

    touched = report_deals(actor, filters).filter(
        manager_q(actor, filters, "owner"), in_period("created_at", filters), first_touch_at__isnull=False
    )
    histograms: dict[int, list[tuple[int, int]]] = {}
    sums: dict[int, int] = {}
    total_histogram: list[tuple[int, int]] = []
    for item in (
        touched.order_by()
        .values("owner_id", bucket=duration_bucket(seconds_between("created_at", "first_touch_at")))
        .annotate(count=Count("id"), seconds=Sum(seconds_between("created_at", "first_touch_at")))
    ):
        bucket = max(item["bucket"] or 0, 0)
        histograms.setdefault(item["owner_id"], []).append((bucket, item["count"]))
        total_histogram.append((bucket, item["count"]))
        sums[item["owner_id"]] = sums.get(item["owner_id"], 0) + max(int(item["seconds"] or 0), 0)
    for manager_id, histogram in histograms.items():
        manager = row(manager_id)
        manager.responded = sum(count for _bucket, count in histogram)
        manager.response_avg_hours = _hours(sums[manager_id] / manager.responded)
        manager.response_median_hours = _hours(median_of_histogram(histogram))

    for actor_id, count in _deals_moved(actor, filters).items():
        row(actor_id).moved = count

    names = {user.pk: str(user) for user in User.objects.filter(pk__in=list(rows))}
    for manager in rows.values():
        manager.name = names.get(manager.manager_id, "")
    managers = sorted(rows.values(), key=lambda item: item.name.lower())
    totals = ManagerActivity(0, "")
    for manager in managers:
        for kind in KINDS:
            totals.done[kind] += manager.done[kind]
        totals.overdue += manager.overdue
        totals.moved += manager.moved
        totals.responded += manager.responded
    if totals.responded:
        totals.response_avg_hours = _hours(sum(sums.values()) / totals.responded)
        totals.response_median_hours = _hours(median_of_histogram(total_histogram))
    return ActivityReport(managers=managers, series=series, weekly=weekly, totals=totals)
