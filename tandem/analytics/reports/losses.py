"""What went wrong: deals lost by reason and by the stage they were lost from, deals stuck in a stage
longer than it allows, and clients nobody has touched for N days."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from tandem.accounts.models import User
from tandem.accounts.visibility import Scope, _team_owners, scope_q
from tandem.activities.models import Activity
from tandem.analytics.filters import ReportFilters, report_deals
from tandem.analytics.reports.base import (
    deal_scope,
    effective_filters,
    in_period,
    joined_deal_q,
    money,
)
from tandem.contacts.models import Company
from tandem.deals.models import LostReason, Stage, StageChange
from tandem.deals.selectors import stuck_q

NONE_KEY = "none"
IDLE_DAYS_DEFAULT = 30
IDLE_LIST_SIZE = 20
COUNT_CAP = 1000


@dataclass
class LossRow:
    key: str
    label: str
    count: int = 0
    amount: Decimal = Decimal("0.00")


@dataclass
class IdleClient:
    company_id: int
    name: str
    owner: str


@dataclass
class LossReport:
    lost_total: int = 0
    lost_amount: Decimal = Decimal("0.00")
    by_reason: list[LossRow] = field(default_factory=list)
    by_stage: list[LossRow] = field(default_factory=list)
    stuck_total: int = 0
    stuck_by_stage: list[LossRow] = field(default_factory=list)
    idle_days: int = IDLE_DAYS_DEFAULT
    idle_count: int = 0
    idle_capped: bool = False
    idle_clients: list[IdleClient] = field(default_factory=list)


def idle_companies(
    actor: User, filters: ReportFilters, *, idle_days: int, now: datetime.datetime | None = None
) -> QuerySet[Company]:
    """Visible companies with an open (visible, filtered) deal or owned by the managers in view, and
    no done activity on the company for `idle_days` days."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=idle_days)
    filters = effective_filters(actor, filters)
    open_deals = report_deals(actor, filters).filter(company_id=OuterRef("pk"), stage__kind=Stage.Kind.OPEN)
    if filters.manager:
        owned = Q(owner_id=filters.manager)
    elif filters.team:
        owned = Q(owner__team_id=filters.team)
    elif deal_scope(actor) is Scope.ALL:
        owned = Q()
    elif deal_scope(actor) is Scope.TEAM:
        owned = Q(owner_id__in=_team_owners(actor))
    else:
        owned = Q(owner_id=actor.pk)
    if filters.pipeline or filters.channel or filters.product:
        owned = Q(pk__in=[])  # narrowed to deals of a kind: only companies with such open deals
    companies = Company.objects.filter(scope_q(actor, Company, "view"), deleted_at__isnull=True)
    if filters.category:
        companies = companies.filter(category_id=filters.category)
    touched = Activity.objects.filter(
        company_id=OuterRef("pk"), occurred_at__gte=since, done_at__isnull=False, deleted_at__isnull=True
    )
    if owned:  # an empty Q() is "every company": OR-ing it would narrow it to the other side
        companies = companies.filter(owned | Q(Exists(open_deals)))
    return companies.filter(~Exists(touched))


def loss_report(
    actor: User,
    filters: ReportFilters,
    *,
    idle_days: int = IDLE_DAYS_DEFAULT,
    now: datetime.datetime | None = None,
) -> LossReport:
    """Lost in the period (by `lost_at`): per reason, and per stage the deal was in when it was lost
    (the `from_stage` of its last change into a lost stage). Stuck: open deals in view past their
    stage's `max_days`, now. Idle clients: see `idle_companies` (a capped count and the first few)."""
    from django.utils.translation import gettext as _

    filters = effective_filters(actor, filters)
    now = now or timezone.now()
    report = LossReport(idle_days=idle_days)
    lost = report_deals(actor, filters).filter(in_period("lost_at", filters)).order_by()
    reasons = list(lost.values("lost_reason_id").annotate(count=Count("id"), amount=Sum("amount_base")))
    labels = dict(
        LostReason.objects.filter(pk__in=[r["lost_reason_id"] for r in reasons]).values_list("pk", "name")
    )
    for item in reasons:
        key = item["lost_reason_id"]
        report.by_reason.append(
            LossRow(
                key=str(key) if key is not None else NONE_KEY,
                label=labels.get(key, "") if key is not None else _("No reason given"),
                count=item["count"],
                amount=money(item["amount"]),
            )
        )
        report.lost_total += item["count"]
        report.lost_amount += money(item["amount"])
    report.by_reason.sort(key=lambda row: (-row.count, row.label))

    # The changes into a lost stage at the deal's `lost_at` in the period (the covering
    # `stagechange_to_idx`), with visibility and filters on the joined deal (`joined_deal_q`).
    lost_stages = Stage.objects.filter(kind=Stage.Kind.LOST).values("pk")
    last_loss = StageChange.objects.filter(
        joined_deal_q(actor, filters),
        in_period("changed_at", filters),
        to_stage_id__in=lost_stages,
        changed_at=F("deal__lost_at"),
    )
    stages = list(
        last_loss.order_by().values("from_stage_id").annotate(count=Count("deal_id", distinct=True))
    )
    names = dict(Stage.objects.filter(pk__in=[r["from_stage_id"] for r in stages]).values_list("pk", "name"))
    report.by_stage = sorted(
        (
            LossRow(
                key=str(item["from_stage_id"]) if item["from_stage_id"] else NONE_KEY,
                label=names.get(item["from_stage_id"], "") if item["from_stage_id"] else _("At creation"),
                count=item["count"],
            )
            for item in stages
        ),
        key=lambda row: (-row.count, row.label),
    )

    # Open deals have neither date (the deal services clear both on every move into an open stage):
    # saying so lets the planner read the small partial index of open deals (deal_open_stage_entered_idx).
    stuck = (
        report_deals(actor, filters)
        .filter(stuck_q(now), won_at__isnull=True, lost_at__isnull=True)
        .order_by()
    )
    stuck_rows = list(stuck.values("stage_id").annotate(count=Count("id"), amount=Sum("amount_base")))
    names = dict(Stage.objects.filter(pk__in=[r["stage_id"] for r in stuck_rows]).values_list("pk", "name"))
    report.stuck_by_stage = sorted(
        (
            LossRow(
                str(item["stage_id"]), names.get(item["stage_id"], ""), item["count"], money(item["amount"])
            )
            for item in stuck_rows
        ),
        key=lambda row: (-row.count, row.label),
    )
    report.stuck_total = sum(row.count for row in report.stuck_by_stage)

    idle = idle_companies(actor, filters, idle_days=idle_days, now=now).order_by()
    # Ordered like the list below, so PostgreSQL probes each company's latest activities by index
    # (a nested-loop anti join) instead of merging with all the activities of every company.
    count = idle.order_by("name", "id").values("pk")[: COUNT_CAP + 1].count()
    report.idle_count, report.idle_capped = min(count, COUNT_CAP), count > COUNT_CAP
    report.idle_clients = [
        IdleClient(company.pk, str(company), str(company.owner))
        for company in idle.select_related("owner").order_by("name", "id")[:IDLE_LIST_SIZE]
    ]
    return report
