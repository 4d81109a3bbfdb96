"""The records behind a number: every figure on the dashboard links here with its report, the
dashboard's filters and the row's key (`by` and `value`); visibility is the reports' own."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from tandem.accounts.models import User
from tandem.analytics.filters import ReportFilters, report_activities, report_deals
from tandem.analytics.models import Payment
from tandem.analytics.reports.activity import KINDS
from tandem.analytics.reports.base import effective_filters, in_period, manager_q
from tandem.analytics.reports.funnel import _rank
from tandem.analytics.reports.losses import IDLE_DAYS_DEFAULT, idle_companies
from tandem.deals.models import DealLine, Stage, StageChange
from tandem.deals.selectors import stuck_q

NONE_KEY = "none"
DEAL_REPORTS = {
    "entered",
    "converted",
    "won",
    "lost",
    "lost_stage",
    "response",
    "moved",
    "payments",
    "leads",
    "channel_won",
    "stuck",
    "open",
}
ACTIVITY_REPORTS = {"done", "overdue"}
COMPANY_REPORTS = {"idle"}
REPORTS = DEAL_REPORTS | ACTIVITY_REPORTS | COMPANY_REPORTS
DEAL_DIMENSIONS = {
    "manager": "owner_id",
    "channel": "channel_id",
    "category": "company__category_id",
    "reason": "lost_reason_id",
    "stage": "stage_id",
    "pipeline": "pipeline_id",
}


@dataclass
class Drill:
    kind: str  # "deals", "activities" or "companies"
    queryset: QuerySet[Any]


def _int(value: str) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _key(field: str, value: str) -> Q:
    """`field` equal to the row's key: empty for "none", nothing at all for a key that is no id."""
    if value == NONE_KEY:
        return Q(**{f"{field}__isnull": True})
    number = _int(value)
    return Q(**{field: number}) if number else Q(pk__in=[])


def _month(value: str, filters: ReportFilters, field: str) -> Q:
    try:
        year, month = (int(part) for part in value.split("-"))
        first = datetime.date(year, month, 1)
    except ValueError:
        return Q(pk__in=[])
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    start = datetime.datetime.combine(max(first, filters.start), datetime.time.min, tzinfo=filters.zone)
    end = datetime.datetime.combine(
        min(following, filters.end + datetime.timedelta(days=1)), datetime.time.min, tzinfo=filters.zone
    )
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def _deal_dimension(by: str, value: str, filters: ReportFilters) -> Q:
    if by in DEAL_DIMENSIONS:
        return _key(DEAL_DIMENSIONS[by], value)
    if by == "product":
        if value == NONE_KEY:
            return Q(Exists(DealLine.objects.filter(deal_id=OuterRef("pk"), product__isnull=True)))
        return Q(Exists(DealLine.objects.filter(deal_id=OuterRef("pk"), product_id=_int(value) or 0)))
    if by == "product_category":
        lines = DealLine.objects.filter(deal_id=OuterRef("pk"))
        if value == NONE_KEY:
            return Q(Exists(lines.filter(product__category__isnull=True)))
        return Q(Exists(lines.filter(product__category_id=_int(value) or 0)))
    if by == "month":
        return _month(value, filters, "won_at")
    return Q()


def _period_changes(filters: ReportFilters) -> QuerySet[StageChange]:
    return StageChange.objects.filter(in_period("changed_at", filters))


def drill(
    actor: User,
    report: str,
    filters: ReportFilters,
    *,
    by: str = "",
    value: str = "",
    idle_days: int = IDLE_DAYS_DEFAULT,
    now: datetime.datetime | None = None,
) -> Drill:
    """The deals, activities or companies behind one figure of `report`, unordered (the caller pages)."""
    if report not in REPORTS:
        raise KeyError(report)
    filters = effective_filters(actor, filters)
    now = now or timezone.now()
    if report in ACTIVITY_REPORTS:
        activities = report_activities(actor, filters).filter(manager_q(actor, filters, "assignee"))
        if report == "done":
            activities = activities.filter(in_period("done_at", filters), type__kind__in=KINDS)
        else:
            activities = activities.filter(done_at__isnull=True, due_at__lt=now)
        if by == "kind":
            activities = activities.filter(type__kind=value)
        elif by == "manager":
            activities = activities.filter(_key("assignee_id", value))
        return Drill("activities", activities.select_related("type", "assignee", "deal", "company"))
    if report in COMPANY_REPORTS:
        return Drill(
            "companies", idle_companies(actor, filters, idle_days=idle_days, now=now).select_related("owner")
        )

    deals = report_deals(actor, filters)
    dimension = (
        by
        if by not in ("stage", "manager") or report not in ("entered", "converted", "lost_stage", "moved")
        else ""
    )
    if report in ("entered", "converted"):
        stage_id = _int(value) if by == "stage" else None
        changes = _period_changes(filters).filter(to_stage_id=stage_id or 0)
        if report == "converted" and stage_id:
            stage = Stage.objects.filter(pk=stage_id).first()
            rank = _rank(stage) if stage else None
            higher = [
                other.pk
                for other in Stage.objects.filter(pipeline_id=stage.pipeline_id if stage else 0)
                if rank is not None and (_rank(other) or -1) > rank
            ]
            changes = changes.filter(
                Exists(
                    StageChange.objects.filter(
                        deal_id=OuterRef("deal_id"),
                        changed_at__gt=OuterRef("changed_at"),
                        to_stage_id__in=higher,
                    )
                )
            )
        deals = deals.filter(pk__in=changes.values("deal_id"))
    elif report == "won":
        deals = deals.filter(in_period("won_at", filters))
    elif report == "lost":
        deals = deals.filter(in_period("lost_at", filters))
    elif report == "lost_stage":
        lost_changes = _period_changes(filters).filter(
            to_stage__kind=Stage.Kind.LOST, changed_at=F("deal__lost_at")
        )
        if by == "stage":
            lost_changes = lost_changes.filter(_key("from_stage_id", value))
        deals = deals.filter(in_period("lost_at", filters), pk__in=lost_changes.values("deal_id"))
    elif report == "response":
        deals = deals.filter(
            manager_q(actor, filters, "owner"), in_period("created_at", filters), first_touch_at__isnull=False
        )
    elif report == "moved":
        moves = _period_changes(filters).filter(
            manager_q(actor, filters, "actor"), actor__isnull=False, from_stage__isnull=False
        )
        if by == "manager":
            moves = moves.filter(_key("actor_id", value))
        deals = deals.filter(pk__in=moves.values("deal_id"))
    elif report == "payments":
        paid = Payment.objects.filter(paid_on__gte=filters.start, paid_on__lte=filters.end)
        deals = deals.filter(pk__in=paid.values("deal_id"))
    elif report == "leads":
        deals = deals.filter(in_period("created_at", filters))
    elif report == "channel_won":
        deals = deals.filter(in_period("created_at", filters), won_at__isnull=False)
    elif report == "stuck":
        deals = deals.filter(stuck_q(now))
    elif report == "open":
        # The forecast's weighted pipeline: every open deal, each weighted by its chances.
        deals = deals.filter(stage__kind=Stage.Kind.OPEN)
    if dimension:
        deals = deals.filter(_deal_dimension(dimension, value, filters))
    return Drill("deals", deals.select_related("owner", "company", "stage", "currency"))
