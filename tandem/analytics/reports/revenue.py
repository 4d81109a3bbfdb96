"""Won revenue in the base currency by manager, month, channel, client category, product and product
category, and the payments collected in the period."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum, Value
from django.db.models.expressions import Case, When

from tandem.accounts.models import User
from tandem.analytics.filters import ReportFilters, report_deals
from tandem.analytics.models import Payment
from tandem.analytics.reports.base import effective_filters, in_period, local_date, money, related_deal_q
from tandem.contacts.models import Channel, ClientCategory
from tandem.deals.models import DealLine, Product, ProductCategory

TOP_PRODUCTS = 20
NONE_KEY = "none"


@dataclass
class RevenueRow:
    key: str  # the drill-down value: an id, "YYYY-MM", or "none"
    label: str
    amount: Decimal = Decimal("0.00")
    count: int = 0


@dataclass
class RevenueReport:
    total: Decimal = Decimal("0.00")
    count: int = 0
    by_manager: list[RevenueRow] = field(default_factory=list)
    by_month: list[RevenueRow] = field(default_factory=list)
    by_channel: list[RevenueRow] = field(default_factory=list)
    by_category: list[RevenueRow] = field(default_factory=list)
    by_product: list[RevenueRow] = field(default_factory=list)
    by_product_category: list[RevenueRow] = field(default_factory=list)
    payments_total: Decimal = Decimal("0.00")
    payments_count: int = 0
    payments_by_manager: list[RevenueRow] = field(default_factory=list)


def line_amount_base() -> ExpressionWrapper:
    """A deal line's total in the base currency at the deal's own rate (amount_base / amount, the rate
    the deal was converted with), or its currency's rate when the deal has no amount."""
    total = (
        F("quantity")
        * F("unit_price")
        * (Value(Decimal("100")) - F("discount_percent"))
        / Value(Decimal("100"))
    )
    rate = Case(
        When(
            deal__amount__gt=0,
            deal__amount_base__isnull=False,
            then=F("deal__amount_base") / F("deal__amount"),
        ),
        default=F("deal__currency__rate"),
    )
    return ExpressionWrapper(total * rate, output_field=DecimalField(max_digits=24, decimal_places=6))


def _label_rows(
    rows: list[dict[str, Any]], key: str, labels: dict[Any, str], none_label: str
) -> list[RevenueRow]:
    result = [
        RevenueRow(
            key=str(item[key]) if item[key] is not None else NONE_KEY,
            label=labels.get(item[key], "") if item[key] is not None else none_label,
            amount=money(item["amount"]),
            count=item["count"],
        )
        for item in rows
    ]
    return sorted(result, key=lambda row: (-row.amount, row.label))


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def revenue_report(actor: User, filters: ReportFilters) -> RevenueReport:
    """Deals won in the period (by `won_at` in the viewer's time zone; a reopened deal has none), the
    actor's visible ones narrowed by the filters; amounts are `amount_base`. Payments: by `paid_on`
    within the period's days, on the same deals."""
    from django.utils.translation import gettext as _

    filters = effective_filters(actor, filters)
    won = report_deals(actor, filters).filter(in_period("won_at", filters)).order_by()
    totals = {"amount": Sum("amount_base"), "count": Count("id")}
    report = RevenueReport()

    managers = list(won.values("owner_id").annotate(**totals))
    names = {user.pk: str(user) for user in User.objects.filter(pk__in=[row["owner_id"] for row in managers])}
    report.by_manager = _label_rows(managers, "owner_id", names, "")
    report.total = sum((row.amount for row in report.by_manager), Decimal("0.00"))
    report.count = sum(row.count for row in report.by_manager)

    months: dict[datetime.date, RevenueRow] = {}
    for item in won.values(day=local_date("won_at", filters)).annotate(**totals):
        day = item["day"]
        if isinstance(day, str):
            day = datetime.date.fromisoformat(day)
        month = month_start(day)
        row = months.setdefault(month, RevenueRow(key=month.strftime("%Y-%m"), label=month.strftime("%Y-%m")))
        row.amount += money(item["amount"])
        row.count += item["count"]
    cursor = month_start(filters.start)
    while cursor <= filters.end:
        report.by_month.append(
            months.get(cursor, RevenueRow(key=cursor.strftime("%Y-%m"), label=cursor.strftime("%Y-%m")))
        )
        cursor = (cursor + datetime.timedelta(days=32)).replace(day=1)

    channels = list(won.values("channel_id").annotate(**totals))
    labels = dict(
        Channel.objects.filter(pk__in=[r["channel_id"] for r in channels]).values_list("pk", "name")
    )
    report.by_channel = _label_rows(channels, "channel_id", labels, _("No channel"))

    categories = list(won.values(category_id=F("company__category_id")).annotate(**totals))
    labels = dict(
        ClientCategory.objects.filter(pk__in=[r["category_id"] for r in categories]).values_list("pk", "name")
    )
    report.by_category = _label_rows(categories, "category_id", labels, _("No category"))

    # Driven from the won deals (their covering partial index), then each deal's lines by deal.
    lines = DealLine.objects.filter(deal__in=won.values("pk")).order_by()
    line_totals = {"amount": Sum(line_amount_base()), "count": Count("deal_id", distinct=True)}
    products = list(
        lines.values("product_id").annotate(**line_totals).order_by("-amount", "product_id")[:TOP_PRODUCTS]
    )
    labels = {
        product.pk: str(product)
        for product in Product.objects.filter(pk__in=[r["product_id"] for r in products])
    }
    report.by_product = _label_rows(products, "product_id", labels, _("Not from the catalogue"))
    product_categories = list(lines.values(category_id=F("product__category_id")).annotate(**line_totals))
    labels = dict(
        ProductCategory.objects.filter(pk__in=[r["category_id"] for r in product_categories]).values_list(
            "pk", "name"
        )
    )
    report.by_product_category = _label_rows(product_categories, "category_id", labels, _("No category"))

    payments = Payment.objects.filter(
        related_deal_q(actor, filters), Q(paid_on__gte=filters.start, paid_on__lte=filters.end)
    ).order_by()
    paid = list(payments.values(owner_id=F("deal__owner_id")).annotate(**totals))
    names = {user.pk: str(user) for user in User.objects.filter(pk__in=[row["owner_id"] for row in paid])}
    report.payments_by_manager = _label_rows(paid, "owner_id", names, "")
    report.payments_total = sum((row.amount for row in report.payments_by_manager), Decimal("0.00"))
    report.payments_count = sum(row.count for row in report.payments_by_manager)
    return report
