"""Plan vs fact and the forecast: exact figures on small hand-built histories, and a calibration backtest."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import pytest
import time_machine

from tandem.accounts.models import User
from tandem.analytics.filters import ReportFilters
from tandem.analytics.forecast import (
    DAY_EDGES,
    Chance,
    Timing,
    forecast,
    plan_fact_context,
    simulate,
    stage_history,
)
from tandem.analytics.models import SalesPlan
from tandem.deals.models import Currency, Deal, Pipeline, Stage, StageChange
from tandem.deals.services import deal_create, deal_move

UTC = datetime.UTC
T0 = datetime.datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def stages(db) -> dict[str, Stage]:
    pipeline = Pipeline.objects.create(name="Test", position=99)
    made = {}
    for position, (name, kind, probability) in enumerate(
        [("A", "open", 10), ("B", "open", 50), ("C", "open", 80), ("Won", "won", 100), ("Lost", "lost", 0)]
    ):
        made[name] = Stage.objects.create(
            pipeline=pipeline, name=name, kind=kind, probability=probability, position=position
        )
    return made


def days(number: float) -> datetime.datetime:
    return T0 + datetime.timedelta(days=number)


def build(
    owner: User, path: list[tuple[str, float]], stages: dict[str, Stage], amount: str = "100", **extra
) -> Deal:
    """A deal that went through `path` [(stage name, day)], its last step being where it is now."""
    last_name, last_day = path[-1]
    stage = stages[last_name]
    deal = Deal.objects.create(
        title=f"deal {last_name}",
        pipeline=stage.pipeline,
        stage=stage,
        currency_id="EUR",
        amount=Decimal(amount),
        amount_base=Decimal(amount),
        owner=owner,
        created_at=days(path[0][1]),
        stage_entered_at=days(last_day),
        won_at=days(last_day) if stage.kind == "won" else None,
        lost_at=days(last_day) if stage.kind == "lost" else None,
        **extra,
    )
    previous = None
    for name, day in path:
        StageChange.objects.create(
            deal=deal, from_stage=previous, to_stage=stages[name], changed_at=days(day)
        )
        previous = stages[name]
    return deal


def test_stage_history_counts_each_deal_once_per_stage_skips_backward_moves_and_reopens(rep_a, stages):
    build(rep_a, [("A", 0), ("B", 2), ("C", 5), ("Won", 10)], stages)  # straight through
    build(rep_a, [("A", 0), ("C", 1), ("Won", 4)], stages)  # skips B
    build(rep_a, [("A", 0), ("B", 1), ("A", 2), ("B", 3), ("Lost", 4)], stages)  # back and forth, lost
    build(rep_a, [("A", 0), ("Lost", 1), ("A", 3), ("B", 6), ("Won", 20)], stages)  # lost, reopened, won
    build(rep_a, [("A", 0), ("B", 1)], stages)  # still open: no outcome yet
    build(rep_a, [("A", 0), ("B", 1), ("Won", 2), ("B", 3)], stages)  # won then reopened: open again
    build(rep_a, [("A", 0), ("Lost", 1)], stages, deleted_at=days(2))  # in the trash

    history = stage_history()

    a, b, c = stages["A"].pk, stages["B"].pk, stages["C"].pk
    assert history.company_outcomes == {a: [3, 1], b: [2, 1], c: [2, 0]}
    assert history.outcomes == {(a, rep_a.pk): [3, 1], (b, rep_a.pk): [2, 1], (c, rep_a.pk): [2, 0]}
    # Days from the last entry into the stage to the win, bucketed by DAY_EDGES (1,2,3,5,7,10,14,21,…).
    bucket = {edge: index for index, edge in enumerate(DAY_EDGES)}
    expected_a = [0] * (len(DAY_EDGES) + 1)
    for index in (bucket[14], bucket[5], bucket[21]):  # 10, 4 and 17 days (the reopened deal: from day 3)
        expected_a[index] += 1
    assert history.company_timings[a] == expected_a
    expected_b = [0] * (len(DAY_EDGES) + 1)
    expected_b[bucket[10]] += 1  # 8 days
    expected_b[bucket[21]] += 1  # 14 days
    assert history.company_timings[b] == expected_b


def test_win_odds_use_the_managers_figure_from_30_closed_deals_else_the_company_else_the_stage(
    rep_a, rep_a2, stages
):
    for index in range(30):
        build(rep_a, [("A", 0), ("Won" if index < 12 else "Lost", 5)], stages)
    for index in range(4):
        build(rep_a2, [("A", 0), ("Won" if index < 3 else "Lost", 5)], stages)
    for _ in range(4):
        build(rep_a2, [("B", 0), ("Won", 5)], stages)

    history = stage_history()

    a, b, c = stages["A"].pk, stages["B"].pk, stages["C"].pk
    own = history.win_odds(a, rep_a.pk)
    assert (own.source, own.won, own.closed, own.probability) == ("manager", 12, 30, 0.4)
    company = history.win_odds(a, rep_a2.pk)
    assert (company.source, company.won, company.closed) == ("company", 15, 34)
    assert company.probability == pytest.approx(15 / 34)
    # Four closed deals from B are too few to trust: the stage's configured 50 % is used.
    assert (history.win_odds(b, rep_a2.pk).source, history.win_odds(b, rep_a2.pk).probability) == (
        "configured",
        0.5,
    )
    assert history.win_odds(c, rep_a.pk).probability == 0.8


def test_time_to_close_is_conditioned_on_the_time_already_spent_in_the_stage():
    counts = [0] * (len(DAY_EDGES) + 1)
    counts[DAY_EDGES.index(14)] = 4  # every win came 10–14 days after entering the stage
    timing = Timing(counts, "company")

    assert timing.cdf(11) == pytest.approx(0.25)
    # 11 days in the stage, the period ends 13 days after the entry: (0.75 - 0.25) / (1 - 0.25).
    assert timing.close_within(11, 11, 13) == pytest.approx(2 / 3)
    assert timing.close_within(11, 11, 40) == pytest.approx(1.0)
    assert timing.close_within(3, 3, 9) == 0.0


def _january(zone: str = "Europe/Sofia", **extra) -> ReportFilters:
    return ReportFilters(
        start=datetime.date(2026, 1, 1), end=datetime.date(2026, 1, 31), time_zone=zone, **extra
    )


def test_fact_counts_a_deal_won_at_23_30_local_on_the_31st_in_that_month(admin, rep_a, stages):
    sofia = datetime.timezone(datetime.timedelta(hours=2))
    late = build(rep_a, [("A", 0), ("Won", 1)], stages, amount="700")
    Deal.objects.filter(pk=late.pk).update(won_at=datetime.datetime(2026, 1, 31, 23, 30, tzinfo=sofia))
    next_month = build(rep_a, [("A", 0), ("Won", 1)], stages, amount="50")
    Deal.objects.filter(pk=next_month.pk).update(won_at=datetime.datetime(2026, 2, 1, 0, 30, tzinfo=sofia))
    early = build(rep_a, [("A", 0), ("Won", 1)], stages, amount="20")
    Deal.objects.filter(pk=early.pk).update(won_at=datetime.datetime(2026, 1, 1, 0, 10, tzinfo=sofia))

    result = forecast(admin, _january(), now=datetime.datetime(2026, 3, 1, tzinfo=UTC))

    assert (result.total.fact_amount, result.total.fact_count) == (Decimal("720.00"), 2)
    in_utc = forecast(admin, _january("UTC"), now=datetime.datetime(2026, 3, 1, tzinfo=UTC))
    # In UTC the 23:30 deal was won at 21:30 on the 31st, the 00:30 one at 22:30 on the 31st, and the
    # 00:10 one on 31 December.
    assert (in_utc.total.fact_amount, in_utc.total.fact_count) == (Decimal("750.00"), 2)


def test_fact_adds_up_amounts_converted_to_the_base_currency(admin, rep_a):
    Currency.objects.update_or_create(code="USD", defaults={"rate": Decimal("0.9")})
    Currency.objects.update_or_create(code="BGN", defaults={"rate": Decimal("0.51129")})
    pipeline = Pipeline.objects.order_by("position", "id").first()
    assert pipeline is not None
    won = pipeline.stages.get(kind="won")
    with time_machine.travel(datetime.datetime(2026, 1, 15, 10, tzinfo=UTC), tick=False):
        for amount, code in (("1000", "USD"), ("1000", "BGN"), ("250", "EUR")):
            deal = deal_create(
                actor=rep_a,
                data={
                    "title": code,
                    "pipeline": pipeline,
                    "amount": Decimal(amount),
                    "currency": Currency.objects.get(pk=code),
                },
            )
            deal_move(actor=rep_a, deal=deal, stage=won)

    result = forecast(admin, _january(), now=datetime.datetime(2026, 2, 1, tzinfo=UTC))

    assert result.total.fact_amount == Decimal("900.00") + Decimal("511.29") + Decimal("250.00")
    assert result.total.fact_count == 3


def _history_a_80_b_20(owner: User, stages: dict[str, Stage]) -> None:
    """Five closed deals from A (4 won, each 12 days after entering A) and five from B (1 won)."""
    for index in range(5):
        build(owner, [("A", 0), ("Won", 12) if index < 4 else ("Lost", 3)], stages)
    for index in range(5):
        build(owner, [("B", 0), ("Won", 12) if index < 1 else ("Lost", 3)], stages)


def test_weighted_pipeline_uses_historical_odds_and_expected_close_dates_and_never_lost_deals(
    admin, rep_a, stages
):
    _history_a_80_b_20(rep_a, stages)
    now = datetime.datetime(2026, 1, 10, 12, tzinfo=UTC)
    build(rep_a, [("A", -30)], stages, amount="1000", expected_close_date=datetime.date(2026, 1, 20))
    build(rep_a, [("B", -30)], stages, amount="500", expected_close_date=datetime.date(2026, 1, 31))
    build(rep_a, [("A", -30)], stages, amount="9000", expected_close_date=datetime.date(2026, 2, 5))  # later
    lost = build(rep_a, [("C", -30), ("Lost", 8)], stages, amount="5000")  # C: keeps A's odds at 4/5
    Deal.objects.filter(pk=lost.pk).update(expected_close_date=datetime.date(2026, 1, 25))
    # No date: entered A 11 days ago; wins from A came 10–14 days after the entry, so it closes by
    # the 31st (14 days after the entry) for sure: 300 × 0.8.
    entered = now - datetime.timedelta(days=11)
    undated = build(rep_a, [("A", 0)], stages, amount="300")
    Deal.objects.filter(pk=undated.pk).update(stage_entered_at=entered)

    result = forecast(admin, _january("UTC"), now=now)

    assert result.open_deals == 3
    assert result.total.weighted == Decimal("800.00") + Decimal("100.00") + Decimal("240.00")
    assert result.total.fact_amount == Decimal("500.00")  # the history's won deals of January (5 × 100)


def test_a_deal_without_a_date_counts_by_its_chance_to_close_before_the_period_ends(admin, rep_a, stages):
    _history_a_80_b_20(rep_a, stages)
    now = datetime.datetime(2026, 1, 10, 12, tzinfo=UTC)
    undated = build(rep_a, [("A", 0)], stages, amount="300")
    Deal.objects.filter(pk=undated.pk).update(stage_entered_at=now - datetime.timedelta(days=11))
    period = ReportFilters(start=datetime.date(2026, 1, 10), end=datetime.date(2026, 1, 11), time_zone="UTC")

    result = forecast(admin, period, now=now)

    # The period ends 12.5 days after the entry: (F(12.5) - F(11)) / (1 - F(11)) = (0.625 - 0.25) / 0.75.
    assert result.total.weighted == Decimal("120.00")  # 300 × 0.8 × 0.5


def test_lost_deals_are_never_in_the_forecast(admin, rep_a, stages):
    _history_a_80_b_20(rep_a, stages)
    for _ in range(3):
        build(
            rep_a,
            [("A", -5), ("Lost", 9)],
            stages,
            amount="1000",
            expected_close_date=datetime.date(2026, 1, 25),
        )
    now = datetime.datetime(2026, 1, 10, 12, tzinfo=UTC)

    result = forecast(admin, _january("UTC"), now=now)

    assert result.open_deals == 0
    assert result.total.weighted == Decimal("0")
    assert result.total.p10 == result.total.p90 == result.total.fact_amount == Decimal("500.00")


def test_the_simulation_is_deterministic_and_gives_the_chance_of_meeting_the_plan(
    admin, head_a, rep_a, stages
):
    _history_a_80_b_20(rep_a, stages)  # 500 won in January already
    build(rep_a, [("A", -5)], stages, amount="1000", expected_close_date=datetime.date(2026, 1, 25))
    SalesPlan.objects.create(user=rep_a, month=datetime.date(2026, 1, 1), amount=Decimal("1200"), won_count=6)
    now = datetime.datetime(2026, 1, 10, 12, tzinfo=UTC)

    first = forecast(admin, _january("UTC"), now=now)
    second = forecast(admin, _january("UTC"), now=now)

    row = first.managers[0]
    assert (row.label, row.plan_amount, row.fact_amount, row.weighted) == (
        "Rita Rep",
        Decimal("1200.00"),
        Decimal("500.00"),
        Decimal("800.00"),
    )
    assert (row.p10, row.p50, row.p90) == (Decimal("500.00"), Decimal("1500.00"), Decimal("1500.00"))
    assert row.chance_of_plan == pytest.approx(0.8, abs=0.03)
    assert row.chance_of_count == row.chance_of_plan  # 6 won deals needs the same one deal
    assert round(row.percent_of_plan or 0, 2) == 41.67
    assert (second.managers[0].chance_of_plan, second.managers[0].p50) == (row.chance_of_plan, row.p50)
    # The team's row adds the members up; the team has no plan of its own, so it is the members' sum.
    assert first.teams[0].label == "Team A" and first.teams[0].plan_amount == Decimal("1200.00")


def test_simulate_with_a_seed_repeats_exactly_and_other_seeds_differ():
    chances = [Chance(1, 100.0 + index, 0.3 + index / 100, 1.0) for index in range(50)]
    first = simulate(chances, [1], runs=300, seed=5)
    again = simulate(chances, [1], runs=300, seed=5)
    other = simulate(chances, [1], runs=300, seed=6)
    assert first.amounts == again.amounts
    assert first.amounts != other.amounts


def test_a_rep_sees_only_their_own_row_and_plan(rep_a, rep_a2, stages):
    _history_a_80_b_20(rep_a2, stages)
    build(rep_a, [("A", -5), ("Won", 8)], stages, amount="40")
    SalesPlan.objects.create(user=rep_a, month=datetime.date(2026, 1, 1), amount=Decimal("100"))
    SalesPlan.objects.create(user=rep_a2, month=datetime.date(2026, 1, 1), amount=Decimal("900"))

    result = forecast(rep_a, _january("UTC"), now=datetime.datetime(2026, 2, 2, tzinfo=UTC))

    assert [row.label for row in result.managers] == ["Rita Rep"]
    assert (result.total.plan_amount, result.total.fact_amount) == (Decimal("100.00"), Decimal("40.00"))


def test_a_plan_for_part_of_a_month_counts_in_proportion_to_its_days(admin, rep_a, stages):
    SalesPlan.objects.create(
        user=rep_a, month=datetime.date(2026, 1, 1), amount=Decimal("3100"), won_count=31
    )
    SalesPlan.objects.create(user=rep_a, month=datetime.date(2026, 2, 1), amount=Decimal("2800"))
    period = ReportFilters(start=datetime.date(2026, 1, 22), end=datetime.date(2026, 2, 7), time_zone="UTC")

    result = forecast(admin, period, now=datetime.datetime(2026, 3, 1, tzinfo=UTC))

    assert result.total.plan_amount == Decimal("1000") + Decimal("700")  # 10/31 of January, 7/28 of February
    assert result.total.plan_count == Decimal("10")


def test_plan_fact_context_renders_in_a_bounded_number_of_queries(
    admin, rep_a, rep_a2, rep_b, stages, django_assert_max_num_queries
):
    from django.template.loader import render_to_string

    for owner in (rep_a, rep_a2, rep_b):
        _history_a_80_b_20(owner, stages)
        for index in range(10):
            build(
                owner,
                [("A", -5)],
                stages,
                amount=str(100 * (index + 1)),
                expected_close_date=datetime.date(2026, 1, 25),
            )
        SalesPlan.objects.create(user=owner, month=datetime.date(2026, 1, 1), amount=Decimal("3000"))
    now = datetime.datetime(2026, 1, 10, 12, tzinfo=UTC)

    with django_assert_max_num_queries(12):
        context = plan_fact_context(admin, _january("UTC"), now=now)
        html = render_to_string("analytics/partials/plan_fact.html", {"plan_fact": context})

    assert [row.label for row in context["rows"]] == ["Team A", "Ravi Rep", "Rita Rep", "Team B", "Boris Rep"]
    assert context["total"].plan_amount == Decimal("9000")
    assert context["total"].weighted == Decimal("3") * Decimal("0.8") * Decimal("5500")
    assert "Boris Rep" in html and "P10" in html


# -- calibration backtest ---------------------------------------------------------------------------

# Per-stage continuation odds: P(win | reached C) = 0.7, P(win | B) = 4/7 × 0.7 = 0.4,
# P(win | A) = 0.75 × 0.4 = 0.3.
ADVANCE = {"A": 0.75, "B": 4 / 7, "C": 0.7}
TOLERANCE = 0.10  # observed win rate within ±10 points of the predicted probability


def test_backtest_predicted_probabilities_match_observed_win_rates(rep_a, stages):
    generator = random.Random(11)
    deals: list[Deal] = []
    paths: list[list[tuple[str, float]]] = []
    for _ in range(3000):
        start = generator.uniform(0, 250)
        path = [("A", start)]
        day = start
        for name, following in (("A", "B"), ("B", "C"), ("C", "Won")):
            day += generator.uniform(5, 40)
            if generator.random() < ADVANCE[name]:
                path.append((following, day))
            else:
                path.append(("Lost", day))
                break
        final_name, final_day = path[-1]
        final = stages[final_name]
        deals.append(
            Deal(
                title="synthetic",
                pipeline=final.pipeline,
                stage=final,
                currency_id="EUR",
                amount=Decimal("100"),
                amount_base=Decimal("100"),
                owner=rep_a,
                created_at=days(start),
                stage_entered_at=days(final_day),
                won_at=days(final_day) if final.kind == "won" else None,
                lost_at=days(final_day) if final.kind == "lost" else None,
            )
        )
        paths.append(path)
    created = Deal.objects.bulk_create(deals, batch_size=500)
    changes = []
    for deal, path in zip(created, paths, strict=True):
        previous = None
        for name, day in path:
            changes.append(
                StageChange(deal=deal, from_stage=previous, to_stage=stages[name], changed_at=days(day))
            )
            previous = stages[name]
    StageChange.objects.bulk_create(changes, batch_size=1000)
    cutoff = days(160)

    history = stage_history(as_of=cutoff)

    by_prediction: dict[str, list[bool]] = {"A": [], "B": [], "C": []}
    predicted: dict[str, float] = {}
    for deal, path in zip(created, paths, strict=True):
        before = [name for name, day in path if days(day) < cutoff]
        if not before or stages[before[-1]].kind != "open":
            continue  # not yet created, or already closed at the cut-off
        stage = stages[before[-1]]
        odds = history.win_odds(stage.pk, rep_a.pk)
        assert odds.source == "manager"
        predicted[stage.name] = odds.probability
        by_prediction[stage.name].append(deal.stage.kind == "won")
    for name, expected in (("A", 0.3), ("B", 0.4), ("C", 0.7)):
        outcomes = by_prediction[name]
        observed = sum(outcomes) / len(outcomes)
        assert len(outcomes) >= 60, name
        assert abs(predicted[name] - expected) <= TOLERANCE, (name, predicted[name])
        assert abs(observed - predicted[name]) <= TOLERANCE, (name, observed, predicted[name], len(outcomes))


def test_a_pipeline_over_the_cap_is_read_grouped_in_sql_and_says_so(admin, rep_a, stages, monkeypatch):
    from tandem.analytics import forecast as module

    _history_a_80_b_20(rep_a, stages)
    for amount in ("1000", "1010", "990"):  # one amount bucket
        build(rep_a, [("A", -5)], stages, amount=amount, expected_close_date=datetime.date(2026, 1, 25))
    build(rep_a, [("B", -5)], stages, amount="500")  # no date, and 14.125 days in B: past every win's 12 days
    now = datetime.datetime(2026, 1, 10, 12, tzinfo=UTC)
    exact = forecast(admin, _january("UTC"), now=now)
    monkeypatch.setattr(module, "MAX_DEALS", 2)

    grouped = forecast(admin, _january("UTC"), now=now)

    assert (exact.grouped, grouped.grouped, grouped.open_deals) == (False, True, 4)
    # Older than every won deal was: taken to close evenly within 30 days, of which 21.5 fall in
    # January: 500 × 0.2 × 21.5 / 30.
    assert exact.total.weighted == Decimal("2400.00") + Decimal("71.67")
    # Grouped, a deal's entry into its stage is known to the week: the same for dated deals, close
    # for the others.
    assert abs(grouped.total.weighted - exact.total.weighted) <= Decimal("10")
    assert grouped.total.weighted >= Decimal("2400.00")
