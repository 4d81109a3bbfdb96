"""What the reports share: the rows a report may count, SQL-native date and duration expressions,
and medians from histograms (one GROUP BY on either database, no rows loaded into Python)."""

from __future__ import annotations

import datetime
import itertools
import zoneinfo
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Exists, ExpressionWrapper, F, Func, IntegerField, OuterRef, Q, QuerySet
from django.db.models.expressions import Case, When
from django.db.models.lookups import LessThan

from tandem.accounts.models import User
from tandem.accounts.visibility import Scope, _team_owners, owned_q, scope_for, scope_q
from tandem.analytics.filters import ReportFilters
from tandem.deals.models import Deal, DealLine

ONE_DAY = 86_400
CENT = Decimal("0.01")


def percent(part: int | Decimal | None, whole: int | Decimal | None) -> Decimal | None:
    """part / whole as a percentage with one decimal; None when there is nothing to divide by."""
    if not whole or part is None:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def money(value: Any) -> Decimal:
    """A sum from the database (Decimal, or a float on SQLite) as a Decimal rounded to the cent."""
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def days(seconds: float | int | Decimal | None) -> Decimal | None:
    if seconds is None:
        return None
    return (Decimal(str(seconds)) / ONE_DAY).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def deal_scope(actor: User) -> Scope:
    return scope_for(actor, Deal, "view")


def effective_filters(actor: User, filters: ReportFilters) -> ReportFilters:
    """A rep sees their own figures only: the manager filter is fixed to them."""
    if deal_scope(actor) is Scope.OWN and filters.manager != actor.pk:
        from dataclasses import replace

        return replace(filters, manager=actor.pk, team=None)
    return filters


def visible_managers(actor: User) -> QuerySet[User]:
    """Whose figures the actor may see: themselves, their teams, or everyone (by their deal scope)."""
    scope = deal_scope(actor)
    if scope is Scope.ALL:
        return User.objects.all()
    if scope is Scope.TEAM:
        return User.objects.filter(pk__in=_team_owners(actor))
    if scope is Scope.OWN:
        return User.objects.filter(pk=actor.pk)
    return User.objects.none()


def manager_q(actor: User, filters: ReportFilters, field: str) -> Q:
    """Rows whose user `field` (assignee, actor) is a manager the actor may see and the filters keep."""
    scope = deal_scope(actor)
    if scope is Scope.NONE:
        return Q(pk__in=[])
    condition = owned_q(actor, scope, field)
    if filters.manager:
        condition &= Q(**{f"{field}_id": filters.manager})
    if filters.team:
        condition &= Q(**{f"{field}__team_id": filters.team})
    return condition


def shared_only_deals(actor: User, filters: ReportFilters) -> QuerySet[Deal] | None:
    """Deals the actor sees only because they are shared with them, narrowed by the filters (None when
    the actor sees every deal). A rollup keyed by owner serves `manager_q(actor, filters, "owner")`;
    these few are added from the facts."""
    from tandem.analytics.filters import report_deals

    scope = deal_scope(actor)
    if scope in (Scope.ALL, Scope.NONE):
        return None
    owned = owned_q(actor, scope)
    shared = Deal.shared_with.through.objects.filter(user_id=actor.pk).values("deal_id")
    return report_deals(actor, filters).filter(pk__in=shared).exclude(owned)


def joined_deal_q(actor: User, filters: ReportFilters, relation: str = "deal") -> Q:
    """`related_deal_q` as conditions on the joined deal itself, for a query that joins it anyway:
    visibility as "owned by a manager in scope, or one of the (few) deals shared with the actor", which
    the planner can hash-join, rather than `IN (the visible deals)`, which PostgreSQL probes per row."""
    condition = Q(**{f"{relation}__deleted_at__isnull": True})
    scope = deal_scope(actor)
    if scope is Scope.NONE:
        return Q(pk__in=[])
    if scope is not Scope.ALL:
        owned = owned_q(actor, scope, f"{relation}__owner")
        shared = Deal.shared_with.through.objects.filter(user_id=actor.pk).values_list("deal_id", flat=True)
        condition &= owned | Q(**{f"{relation}_id__in": list(shared)})
    return condition & _deal_filters_q(filters, relation)


def related_deal_q(actor: User, filters: ReportFilters, relation: str = "deal") -> Q:
    """`report_deals` for rows linked to a deal through `relation` (stage changes, payments…).

    Visibility is the same `scope_q` as everywhere (as an `IN` over the visible deals when the actor
    does not see all); the other filters are joins on the deal, which both planners drive from the
    linked table's own index.
    """
    condition = Q(**{f"{relation}__deleted_at__isnull": True})
    if deal_scope(actor) is not Scope.ALL:
        condition &= Q(**{f"{relation}__in": Deal.objects.filter(scope_q(actor, Deal, "view")).values("pk")})
    return condition & _deal_filters_q(filters, relation)


def _deal_filters_q(filters: ReportFilters, relation: str) -> Q:
    """The filters other than the period, on the deal reached through `relation`."""
    condition = Q()
    if filters.pipeline:
        condition &= Q(**{f"{relation}__pipeline_id": filters.pipeline})
    if filters.manager:
        condition &= Q(**{f"{relation}__owner_id": filters.manager})
    if filters.team:
        condition &= Q(**{f"{relation}__owner__team_id": filters.team})
    if filters.channel:
        condition &= Q(**{f"{relation}__channel_id": filters.channel})
    if filters.category:
        condition &= Q(**{f"{relation}__company__category_id": filters.category})
    if filters.product:
        condition &= Q(
            Exists(DealLine.objects.filter(deal_id=OuterRef(f"{relation}_id"), product_id=filters.product))
        )
    return condition


def in_period(field: str, filters: ReportFilters) -> Q:
    start, end = filters.bounds()
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


# --- SQL-native expressions ----------------------------------------------------------------------


class EpochSeconds(Func):
    """Seconds since 1970 of a datetime column, computed by the database itself.

    (Django's datetime arithmetic on SQLite calls a Python function per row; this does not.)
    """

    output_field = IntegerField()
    arity = 1

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(strftime(%s, {sql}) AS INTEGER)", ["%s", *params]

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="CAST(EXTRACT(EPOCH FROM %(expressions)s) AS BIGINT)"
        )


def seconds_between(earlier: str, later: str) -> ExpressionWrapper:
    return ExpressionWrapper(EpochSeconds(F(later)) - EpochSeconds(F(earlier)), output_field=IntegerField())


def _offset_segments(
    zone: zoneinfo.ZoneInfo, start: datetime.datetime, end: datetime.datetime
) -> list[tuple[datetime.datetime, int]]:
    """[(from, UTC offset in seconds)] covering [start, end): where the zone's offset changes."""
    segments: list[tuple[datetime.datetime, int]] = []
    moment = start.astimezone(datetime.UTC)
    end_utc = end.astimezone(datetime.UTC)
    offset = int(moment.astimezone(zone).utcoffset().total_seconds())  # type: ignore[union-attr]
    segments.append((moment, offset))
    step = datetime.timedelta(hours=1)
    # Walk by hours only near the days the offset changes: find them day by day first.
    day = moment
    while day < end_utc:
        following = min(day + datetime.timedelta(days=1), end_utc)
        next_offset = int(following.astimezone(zone).utcoffset().total_seconds())  # type: ignore[union-attr]
        if next_offset != offset:
            probe = day
            while probe < following:
                probe += step
                if int(probe.astimezone(zone).utcoffset().total_seconds()) != offset:  # type: ignore[union-attr]
                    break
            while True:  # to the minute (zones with half-hour changes)
                earlier = probe - datetime.timedelta(minutes=1)
                if int(earlier.astimezone(zone).utcoffset().total_seconds()) == offset:  # type: ignore[union-attr]
                    break
                probe = earlier
            offset = int(probe.astimezone(zone).utcoffset().total_seconds())  # type: ignore[union-attr]
            segments.append((probe, offset))
        day = following
    return segments


class LocalDate(Func):
    """The calendar date of a datetime column in a time zone, by the database (no Python per row).

    PostgreSQL converts with `AT TIME ZONE`; SQLite has no zones, so the period is cut into spans of
    one UTC offset (daylight saving changes twice a year) and each span shifts by its offset.
    """

    arity = 1

    def __init__(
        self, expression: Any, *, zone: zoneinfo.ZoneInfo, start: datetime.datetime, end: datetime.datetime
    ):
        from django.db.models import DateField

        super().__init__(expression, output_field=DateField())
        self.zone, self.start, self.end = zone, start, end

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(({sql}) AT TIME ZONE %s)::date", [*params, self.zone.key]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        segments = _offset_segments(self.zone, self.start, self.end)
        if len(segments) == 1:
            return f"date({sql}, %s)", [*params, f"{segments[0][1]:+d} seconds"]
        parts, values = ["CASE"], []
        for (_begin, offset), (following, _next) in itertools.pairwise(segments):
            parts.append(f"WHEN {sql} < %s THEN date({sql}, %s)")
            values += [*params, following.strftime("%Y-%m-%d %H:%M:%S"), *params, f"{offset:+d} seconds"]
        parts.append(f"ELSE date({sql}, %s) END")
        values += [*params, f"{segments[-1][1]:+d} seconds"]
        return " ".join(parts), values


def local_date(field: str, filters: ReportFilters) -> LocalDate:
    start, end = filters.bounds()
    return LocalDate(F(field), zone=filters.zone, start=start, end=end)


def duration_bucket(seconds: Any) -> Case:
    """A duration rounded down to a bucket: minutes under an hour, 10 minutes under two days, hours
    under 30 days, days beyond — so a median from the histogram is exact at that resolution and the
    histogram has at most a few thousand rows whatever the data size."""
    return Case(
        When(LessThan(seconds, 3600), then=_Floor(seconds, step=60)),
        When(LessThan(seconds, 2 * ONE_DAY), then=_Floor(seconds, step=600)),
        When(LessThan(seconds, 30 * ONE_DAY), then=_Floor(seconds, step=3600)),
        default=_Floor(seconds, step=ONE_DAY),
        output_field=IntegerField(),
    )


class _Floor(Func):
    """(value / step) * step in integer arithmetic on both databases (values are never negative here)."""

    output_field = IntegerField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        sql, params = compiler.compile(self.source_expressions[0])
        step = int(self.extra["step"])
        return f"((CAST(({sql}) AS BIGINT) / {step}) * {step})", params


def median_of_histogram(buckets: Iterable[tuple[int, int]]) -> float | None:
    """The median of values given as (value, how many), as the mean of the two middle values."""
    ordered = sorted((value, count) for value, count in buckets if value is not None and count)
    total = sum(count for _value, count in ordered)
    if not total:
        return None
    lower_rank, upper_rank = (total - 1) // 2, total // 2
    seen, lower, upper = 0, None, None
    for value, count in ordered:
        if lower is None and lower_rank < seen + count:
            lower = value
        if upper_rank < seen + count:
            upper = value
            break
        seen += count
    assert lower is not None and upper is not None
    return (lower + upper) / 2
