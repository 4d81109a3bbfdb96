import datetime
from decimal import Decimal

from tandem.analytics.filters import ReportFilters
from tandem.analytics.models import Payment
from tandem.analytics.reports.channels import channel_report
from tandem.analytics.reports.revenue import revenue_report
from tandem.analytics.tests.reports_data import at, make_deal, stages
from tandem.contacts.models import Channel, ClientCategory
from tandem.deals.models import Currency, DealLine, Product, ProductCategory

Q1 = ReportFilters(start=datetime.date(2025, 1, 1), end=datetime.date(2025, 3, 31), time_zone="Europe/Sofia")


def _won(owner, when, amount, currency="EUR", **fields):
    s = stages()
    return make_deal(
        owner,
        [(s["new"], when - datetime.timedelta(days=3)), (s["won"], when)],
        amount=amount,
        currency=currency,
        **fields,
    )


def test_revenue_in_base_currency_by_manager_month_channel_and_category(admin, rep_a, rep_b, make_company):
    web = Channel.objects.create(name="Web site")
    retail = ClientCategory.objects.create(name="Retail")
    shop = make_company(rep_a, "Shop", category=retail)
    _won(rep_a, at(2025, 1, 10), "100", channel=web, company=shop)
    _won(rep_a, at(2025, 2, 10), "1000", currency="BGN")  # 511.29 EUR at the seeded rate
    _won(rep_b, at(2025, 3, 10), "200", currency="USD", channel=web)  # 184.00 EUR
    # 31 March 21:30 UTC is 1 April 00:30 in Sofia: not in Q1 for a viewer there
    _won(rep_b, at(2025, 3, 31, 21, 30), "999")
    # 31 Dec 22:30 UTC is 1 January 00:30 in Sofia: in Q1, in January
    _won(rep_b, at(2024, 12, 31, 22, 30), "50")

    report = revenue_report(admin, Q1)

    assert report.total == Decimal("845.29") and report.count == 4
    assert {(row.label, row.amount, row.count) for row in report.by_manager} == {
        ("Rita Rep", Decimal("611.29"), 2),
        ("Boris Rep", Decimal("234.00"), 2),
    }
    assert [(row.key, row.amount) for row in report.by_month] == [
        ("2025-01", Decimal("150.00")),
        ("2025-02", Decimal("511.29")),
        ("2025-03", Decimal("184.00")),
    ]
    assert {(row.label, row.amount) for row in report.by_channel} == {
        ("Web site", Decimal("284.00")),
        ("No channel", Decimal("561.29")),
    }
    assert {(row.label, row.amount) for row in report.by_category} == {
        ("Retail", Decimal("100.00")),
        ("No category", Decimal("745.29")),
    }


def test_revenue_by_product_uses_the_deals_own_rate(admin, rep_a):
    tools = ProductCategory.objects.create(name="Tools")
    hammer = Product.objects.create(name="Hammer", price=Decimal("10"), currency_id="EUR", category=tools)
    nails = Product.objects.create(name="Nails", price=Decimal("1"), currency_id="EUR")
    deal = _won(rep_a, at(2025, 2, 1), "300", currency="BGN")  # amount_base 153.39: rate 0.5113
    DealLine.objects.create(deal=deal, product=hammer, name="Hammer", quantity=10, unit_price=Decimal("20"))
    DealLine.objects.create(
        deal=deal, product=nails, name="Nails", quantity=100, unit_price=Decimal("1"), discount_percent=50
    )
    Currency.objects.filter(pk="BGN").update(rate=Decimal("2"))  # later rate changes do not matter

    report = revenue_report(admin, Q1)

    assert {(row.label, row.amount) for row in report.by_product} == {
        ("Hammer", Decimal("102.26")),  # 200 × 153.39 / 300
        ("Nails", Decimal("25.57")),  # 50 × 153.39 / 300
    }
    assert {(row.label, row.amount) for row in report.by_product_category} == {
        ("Tools", Decimal("102.26")),
        ("No category", Decimal("25.57")),
    }


def test_payments_collected_by_paid_on_day(admin, rep_a, rep_b):
    deal = _won(rep_a, at(2025, 1, 5), "100")
    other = _won(rep_b, at(2025, 1, 5), "100")
    for paid_on, amount, target in (
        (datetime.date(2025, 1, 31), "40", deal),
        (datetime.date(2025, 3, 31), "60", deal),
        (datetime.date(2025, 4, 1), "99", deal),
        (datetime.date(2025, 2, 1), "10", other),
    ):
        Payment.objects.create(
            deal=target,
            paid_on=paid_on,
            amount=Decimal(amount),
            currency_id="EUR",
            amount_base=Decimal(amount),
        )
    report = revenue_report(admin, Q1)
    assert (report.payments_total, report.payments_count) == (Decimal("110.00"), 3)
    assert revenue_report(rep_b, Q1).payments_total == Decimal("10.00")


def test_rep_sees_only_own_revenue_head_the_team(admin, head_a, rep_a, rep_a2, rep_b):
    for owner in (rep_a, rep_a2, rep_b):
        _won(owner, at(2025, 2, 2), "10")
    assert revenue_report(rep_a, Q1).total == Decimal("10.00")
    assert revenue_report(head_a, Q1).total == Decimal("20.00")
    assert revenue_report(admin, Q1).total == Decimal("30.00")


def test_channels_leads_conversion_cost_per_lead_and_roi(admin, marketer, rep_a):
    from tandem.analytics.models import ChannelCost

    s = stages()
    ads = Channel.objects.create(name="Ads")
    _won(rep_a, at(2025, 2, 10), "500", channel=ads)  # created 7 Feb, won
    make_deal(rep_a, [(s["new"], at(2025, 2, 12))], channel=ads)
    make_deal(rep_a, [(s["new"], at(2025, 2, 12)), (s["lost"], at(2025, 2, 13))], channel=ads)
    make_deal(rep_a, [(s["new"], at(2025, 2, 14))], channel=ads)
    make_deal(rep_a, [(s["new"], at(2024, 12, 1))], channel=ads)  # a lead of another period
    ChannelCost.objects.create(channel=ads, month=datetime.date(2025, 2, 1), amount=Decimal("200"))
    ChannelCost.objects.create(channel=ads, month=datetime.date(2025, 4, 1), amount=Decimal("999"))

    report = channel_report(marketer, Q1)
    (row,) = [row for row in report.rows if row.label == "Ads"]
    assert (row.leads, row.won, row.conversion, row.revenue) == (4, 1, Decimal("25.0"), Decimal("500.00"))
    assert (row.cost, row.cost_per_lead, row.roi) == (Decimal("200.00"), Decimal("50.00"), Decimal("150.0"))
    rep_view = channel_report(rep_a, Q1)
    assert rep_view.costs_shown is False and rep_view.rows[0].cost is None and rep_view.rows[0].leads == 4
