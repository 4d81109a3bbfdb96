import datetime
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tandem.analytics.filters import ReportFilters
from tandem.analytics.reports.funnel import funnel_report
from tandem.analytics.tests.reports_data import at, make_deal, pipeline, stages

MARCH = ReportFilters(start=datetime.date(2025, 3, 1), end=datetime.date(2025, 3, 31), time_zone="UTC")


def _funnel(user, filters=MARCH):
    report = funnel_report(user, ReportFilters(**{**filters.__dict__, "pipeline": pipeline().pk}))
    (result,) = report.pipelines
    return result, {row.name: row for row in result.stages}


def test_funnel_counts_entries_skips_backward_moves_and_reopened_deals(admin, rep_a):
    s = stages()
    # A: new → qualified → meeting → won (straight through)
    make_deal(
        rep_a,
        [
            (s["new"], at(2025, 3, 1)),
            (s["qualified"], at(2025, 3, 3)),
            (s["meeting"], at(2025, 3, 5)),
            (s["won"], at(2025, 3, 10)),
        ],
        amount="100",
    )
    # B: new → offer (skips two stages) → qualified (backwards) → lost
    make_deal(
        rep_a,
        [
            (s["new"], at(2025, 3, 2)),
            (s["offer"], at(2025, 3, 4)),
            (s["qualified"], at(2025, 3, 6)),
            (s["lost"], at(2025, 3, 8)),
        ],
    )
    # C: new → won → reopened to negotiation (open again, no won_at)
    make_deal(
        rep_a, [(s["new"], at(2025, 3, 2)), (s["won"], at(2025, 3, 5)), (s["negotiation"], at(2025, 3, 7))]
    )
    # D: entered qualified in February (outside), moved to meeting in March
    make_deal(
        rep_a, [(s["new"], at(2025, 2, 1)), (s["qualified"], at(2025, 2, 10)), (s["meeting"], at(2025, 3, 2))]
    )

    result, rows = _funnel(admin)

    assert rows["New request"].entered == 3 and rows["New request"].converted == 3
    assert rows["New request"].conversion == Decimal("100.0")
    # qualified: A (→ meeting later) and B (came back, then lost: never went further)
    assert (rows["Qualified"].entered, rows["Qualified"].converted) == (2, 1)
    assert rows["Qualified"].conversion == Decimal("50.0")
    assert (rows["Meeting"].entered, rows["Meeting"].converted) == (2, 1)  # A won; D stays
    assert (rows["Offer sent"].entered, rows["Offer sent"].converted) == (1, 0)  # B went backwards
    assert (rows["Negotiation"].entered, rows["Negotiation"].converted) == (1, 0)
    assert rows["Won"].entered == 2 and rows["Won"].conversion is None
    assert rows["Lost"].entered == 1
    # closed in March: A won; C's win was undone by reopening; B lost
    assert (result.won, result.lost, result.win_rate) == (1, 1, Decimal("50.0"))
    assert result.cycle_days == Decimal("9.0")  # A: 1 → 10 March


def test_funnel_median_days_in_stage_from_changes_out_of_it(admin, rep_a):
    s = stages()
    for index, days_in_new in enumerate((1, 2, 4, 10)):
        start = at(2025, 3, 1 + index)
        make_deal(rep_a, [(s["new"], start), (s["qualified"], start + datetime.timedelta(days=days_in_new))])
    _result, rows = _funnel(admin)
    assert rows["New request"].median_days == Decimal("3.0")  # (2 + 4) / 2
    assert rows["Qualified"].median_days is None


def test_funnel_period_is_in_the_viewers_time_zone(admin, rep_a):
    s = stages()
    # 31 March 22:30 UTC is already 1 April in Sofia (UTC+3 in summer time)
    make_deal(rep_a, [(s["new"], at(2025, 3, 31, 22, 30))])
    _result, utc_rows = _funnel(admin)
    sofia = ReportFilters(start=MARCH.start, end=MARCH.end, time_zone="Europe/Sofia")
    _result, sofia_rows = _funnel(admin, sofia)
    assert utc_rows["New request"].entered == 1
    assert sofia_rows["New request"].entered == 0


def test_rep_sees_only_own_deals_in_the_funnel_head_sees_the_team(admin, head_a, rep_a, rep_a2, rep_b):
    s = stages()
    for owner in (rep_a, rep_a2, rep_b):
        make_deal(owner, [(s["new"], at(2025, 3, 5))])
    assert _funnel(rep_a)[1]["New request"].entered == 1
    assert _funnel(head_a)[1]["New request"].entered == 2
    assert _funnel(admin)[1]["New request"].entered == 3


def test_funnel_query_count_does_not_grow_with_data(admin, rep_a, django_assert_max_num_queries):
    s = stages()
    make_deal(rep_a, [(s["new"], at(2025, 3, 5)), (s["won"], at(2025, 3, 6))], amount="5")
    with CaptureQueriesContext(connection) as small:
        funnel_report(admin, MARCH)
    for day in range(1, 20):
        make_deal(
            rep_a,
            [
                (s["new"], at(2025, 3, day)),
                (s["meeting"], at(2025, 3, day + 1)),
                (s["lost"], at(2025, 3, 25)),
            ],
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        funnel_report(admin, MARCH)
