"""Lead channels: leads, conversion to won, revenue, cost, cost per lead and ROI."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum

from tandem.accounts.models import User
from tandem.accounts.visibility import Scope
from tandem.analytics.filters import ReportFilters, report_deals
from tandem.analytics.models import ChannelCost
from tandem.analytics.reports.base import deal_scope, effective_filters, in_period, money, percent
from tandem.contacts.models import Channel

NONE_KEY = "none"


@dataclass
class ChannelRow:
    key: str
    label: str
    leads: int = 0
    won: int = 0
    conversion: Decimal | None = None
    revenue: Decimal = Decimal("0.00")
    cost: Decimal | None = None
    cost_per_lead: Decimal | None = None
    roi: Decimal | None = None  # a percentage


@dataclass
class ChannelReport:
    rows: list[ChannelRow] = field(default_factory=list)
    totals: ChannelRow = field(default_factory=lambda: ChannelRow("", ""))
    costs_shown: bool = False


def _finish(row: ChannelRow, costs_shown: bool) -> None:
    row.conversion = percent(row.won, row.leads)
    if not costs_shown:
        row.cost = None
        return
    row.cost = row.cost or Decimal("0.00")
    if row.leads:
        row.cost_per_lead = (row.cost / row.leads).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if row.cost:
        row.roi = percent(row.revenue - row.cost, row.cost)


def channel_report(actor: User, filters: ReportFilters) -> ChannelReport:
    """Per channel, the leads of the period (deals created in it) and what became of them: how many
    are won by now, their won amount (revenue) and conversion. Costs are the channel's monthly costs
    of the months the period touches; they belong to the whole company, so cost, cost per lead and
    ROI = (revenue − cost) / cost are shown only to those who see every deal and only when the leads
    are not narrowed to a part of the company (manager, team, pipeline, product, client category)."""
    filters = effective_filters(actor, filters)
    costs_shown = deal_scope(actor) is Scope.ALL and not (
        filters.manager or filters.team or filters.pipeline or filters.product or filters.category
    )
    won = Q(won_at__isnull=False)
    leads = (
        report_deals(actor, filters)
        .filter(in_period("created_at", filters))
        .order_by()
        .values("channel_id")
        .annotate(leads=Count("id"), won=Count("id", filter=won), revenue=Sum("amount_base", filter=won))
    )
    rows: dict[int | None, ChannelRow] = {}
    for item in leads:
        key = item["channel_id"]
        rows[key] = ChannelRow(
            key=str(key) if key is not None else NONE_KEY,
            label="",
            leads=item["leads"],
            won=item["won"],
            revenue=money(item["revenue"]),
        )
    if costs_shown:
        costs = ChannelCost.objects.filter(month__gte=filters.start.replace(day=1), month__lte=filters.end)
        if filters.channel:
            costs = costs.filter(channel_id=filters.channel)
        for item in costs.order_by().values("channel_id").annotate(amount=Sum("amount")):
            key = item["channel_id"]
            row = rows.setdefault(key, ChannelRow(key=str(key), label=""))
            row.cost = money(item["amount"])
    from django.utils.translation import gettext as _

    names = dict(Channel.objects.filter(pk__in=[key for key in rows if key]).values_list("pk", "name"))
    report = ChannelReport(costs_shown=costs_shown)
    totals = report.totals
    totals.cost = Decimal("0.00")
    for key, row in rows.items():
        row.label = names.get(key, "") if key is not None else _("No channel")
        totals.leads += row.leads
        totals.won += row.won
        totals.revenue += row.revenue
        totals.cost += row.cost or Decimal("0.00")
        _finish(row, costs_shown)
    _finish(totals, costs_shown)
    report.rows = sorted(rows.values(), key=lambda row: (row.key == NONE_KEY, -row.leads, row.label))
    return report
