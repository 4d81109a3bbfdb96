import datetime
from decimal import Decimal

from tandem.analytics.filters import ReportFilters
from tandem.analytics.reports.activity import activity_report
from tandem.analytics.reports.client import client_history
from tandem.analytics.reports.losses import loss_report
from tandem.analytics.tests.reports_data import activity, at, make_deal, stages
from tandem.deals.models import LostReason, Stage

MARCH = ReportFilters(
    start=datetime.date(2025, 3, 1), end=datetime.date(2025, 3, 31), time_zone="Europe/Sofia"
)
NOW = at(2025, 4, 10)


def test_manager_activity_counts_done_by_kind_overdue_response_and_moves(admin, rep_a, rep_b, make_company):
    s = stages()
    company = make_company(rep_a, "Acme")
    activity(rep_a, "call", done_at=at(2025, 3, 3), company=company)
    activity(rep_a, "call", done_at=at(2025, 3, 4), company=company)
    activity(rep_a, "meeting", done_at=at(2025, 3, 5), company=company)
    activity(rep_a, "note", done_at=at(2025, 3, 5), company=company)  # notes are not counted
    activity(rep_a, "call", done_at=at(2025, 2, 28, 22, 30), company=company)  # 1 March in Sofia (UTC+2)
    activity(rep_a, "email", done_at=at(2025, 3, 31, 22, 30), company=company)  # 1 April in Sofia
    activity(rep_a, "task", due_at=at(2025, 4, 1), company=company)  # overdue now
    activity(rep_a, "task", due_at=at(2025, 4, 20), company=company)  # planned, not overdue
    activity(rep_b, "letter", done_at=at(2025, 3, 10), company=company)
    first = make_deal(rep_a, [(s["new"], at(2025, 3, 1, 9)), (s["qualified"], at(2025, 3, 2))], actor=rep_a)
    first.first_touch_at = at(2025, 3, 1, 11)  # 2 hours
    first.save(update_fields=["first_touch_at"])
    second = make_deal(
        rep_a,
        [(s["new"], at(2025, 3, 5, 9)), (s["meeting"], at(2025, 3, 6)), (s["lost"], at(2025, 3, 7))],
        actor=rep_a,
    )
    second.first_touch_at = at(2025, 3, 5, 15)  # 6 hours
    second.save(update_fields=["first_touch_at"])

    report = activity_report(admin, MARCH, now=NOW)

    rows = {row.name: row for row in report.managers}
    rita = rows["Rita Rep"]
    assert rita.done == {"call": 3, "meeting": 1, "letter": 0, "email": 0, "task": 0}
    # moved: the first deal on 2 March, the second on 6 and on 7 March (once per deal and day)
    assert (rita.overdue, rita.responded, rita.moved) == (1, 2, 3)
    assert (rita.response_avg_hours, rita.response_median_hours) == (Decimal("4.0"), Decimal("4.0"))
    assert rows["Boris Rep"].done["letter"] == 1
    assert report.weekly is False and len(report.series) == 31
    assert report.series[0].done["call"] == 1  # the Sofia 1 March call of 28 Feb UTC
    assert report.totals.done_total == 5

    own = activity_report(rep_b, MARCH, now=NOW)
    assert [row.name for row in own.managers] == ["Boris Rep"]


def test_lost_by_reason_and_stage_stuck_and_idle_clients(admin, rep_a, make_company):
    s = stages()
    price = LostReason.objects.get_or_create(name="Price")[0]
    make_deal(
        rep_a,
        [(s["new"], at(2025, 3, 1)), (s["meeting"], at(2025, 3, 2)), (s["lost"], at(2025, 3, 3))],
        lost_reason=price,
        amount="10",
    )
    make_deal(rep_a, [(s["new"], at(2025, 3, 1)), (s["lost"], at(2025, 3, 4))], lost_reason=price, amount="5")
    # lost once in March, reopened, lost again from the offer stage: counted once, at the offer
    make_deal(
        rep_a,
        [
            (s["new"], at(2025, 3, 1)),
            (s["lost"], at(2025, 3, 2)),
            (s["offer"], at(2025, 3, 5)),
            (s["lost"], at(2025, 3, 6)),
        ],
    )
    Stage.objects.filter(pk=s["qualified"].pk).update(max_days=5)
    make_deal(rep_a, [(s["new"], at(2025, 3, 20)), (s["qualified"], at(2025, 4, 1))])  # 9 days by NOW: stuck
    make_deal(rep_a, [(s["new"], at(2025, 4, 8)), (s["qualified"], at(2025, 4, 9))])  # not stuck
    idle = make_company(rep_a, "Idle Ltd")
    busy = make_company(rep_a, "Busy Ltd")
    activity(rep_a, "call", done_at=at(2025, 4, 1), company=busy)
    activity(rep_a, "call", done_at=at(2025, 2, 1), company=idle)

    report = loss_report(admin, MARCH, idle_days=30, now=NOW)

    assert report.lost_total == 3 and report.lost_amount == Decimal("15.00")
    assert [(row.label, row.count) for row in report.by_reason] == [("Price", 2), ("No reason given", 1)]
    assert sorted((row.label, row.count) for row in report.by_stage) == [
        ("Meeting", 1),
        ("New request", 1),
        ("Offer sent", 1),
    ]
    assert report.stuck_total == 1 and report.stuck_by_stage[0].label == "Qualified"
    assert [client.name for client in report.idle_clients] == ["Idle Ltd"] and report.idle_count == 1


def test_client_history_of_a_company_per_manager(admin, rep_a, rep_a2, head_a, make_company):
    s = stages()
    company = make_company(rep_a, "Client")
    make_deal(rep_a, [(s["new"], at(2025, 1, 1)), (s["won"], at(2025, 1, 5))], amount="100", company=company)
    make_deal(
        rep_a2,
        [(s["new"], at(2025, 1, 1)), (s["won"], at(2025, 1, 5))],
        amount="50",
        currency="USD",
        company=company,
    )
    make_deal(rep_a, [(s["new"], at(2025, 1, 1)), (s["lost"], at(2025, 1, 5))], company=company)
    make_deal(rep_a, [(s["new"], at(2025, 2, 1))], company=company)
    activity(rep_a, "call", done_at=at(2025, 4, 1), company=company)
    activity(rep_a2, "meeting", done_at=at(2025, 3, 1), company=company)

    history = client_history(head_a, company=company, now=NOW)

    assert (history.won, history.lost, history.open, history.revenue) == (2, 1, 1, Decimal("146.00"))
    assert (history.touches, history.days_since_touch) == (2, 9)
    assert [(row.name, row.won, row.revenue, row.touches) for row in history.managers] == [
        ("Rita Rep", 1, Decimal("100.00"), 1),
        ("Ravi Rep", 1, Decimal("46.00"), 1),
    ]
    own = client_history(rep_a2, company=company, now=NOW)
    assert (own.won, own.revenue, own.touches) == (1, Decimal("46.00"), 1)
