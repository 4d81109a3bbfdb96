"""Two people drag the same card at the same moment: real transactions on two connections."""

import threading
import time

import pytest
from django.db import close_old_connections, connection, connections, transaction

from tandem.deals.errors import StaleDeal
from tandem.deals.models import Deal, StageChange
from tandem.deals.services import deal_move

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs row locks between real connections (SELECT … FOR UPDATE): "
        "run with a PostgreSQL DATABASE_URL",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _in_thread(work, results: list, name: str):
    def run() -> None:
        close_old_connections()
        try:
            results.append((name, work()))
        except Exception as error:  # the outcome is what we assert on
            results.append((name, error))
        finally:
            connections.close_all()

    return threading.Thread(target=run, name=name)


def test_concurrent_moves_of_one_deal_let_exactly_one_win(rep_a, head_a, stages, make_deal):
    deal = make_deal(rep_a)
    original = stages["New request"]
    barrier = threading.Barrier(2)
    results: list = []

    def move(actor, target):
        def work():
            barrier.wait()
            return deal_move(actor=actor, deal=deal, stage=stages[target], expected_stage=original).stage.name

        return work

    threads = [
        _in_thread(move(rep_a, "Qualified"), results, "rep"),
        _in_thread(move(head_a, "Qualified"), results, "head"),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    outcomes = sorted(type(outcome).__name__ for _name, outcome in results)
    assert outcomes == ["StaleDeal", "str"]
    stale = next(outcome for _name, outcome in results if isinstance(outcome, StaleDeal))
    assert stale.current_stage_id == stages["Qualified"].pk
    assert StageChange.objects.filter(deal=deal).count() == 2  # the creation and the one move
    assert Deal.objects.get(pk=deal.pk).stage_id == stages["Qualified"].pk


def test_a_move_waits_for_the_other_transaction_and_then_sees_it(rep_a, head_a, stages, make_deal):
    deal = make_deal(rep_a)
    original = stages["New request"]
    first_moved = threading.Event()
    results: list = []

    def first():
        with transaction.atomic():
            moved = deal_move(actor=rep_a, deal=deal, stage=stages["Qualified"], expected_stage=original)
            first_moved.set()
            time.sleep(0.5)  # hold the row lock while the other one tries
        return moved.stage.name

    def second():
        first_moved.wait(timeout=10)
        started = time.perf_counter()
        try:
            deal_move(actor=head_a, deal=deal, stage=stages["Negotiation"], expected_stage=original)
        except StaleDeal as error:
            return ("stale", error.current_stage_id, time.perf_counter() - started)
        return ("moved", None, time.perf_counter() - started)

    threads = [_in_thread(first, results, "first"), _in_thread(second, results, "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    outcome = dict(results)
    assert outcome["first"] == "Qualified"
    verdict, current, waited = outcome["second"]
    assert (verdict, current) == ("stale", stages["Qualified"].pk)
    assert waited >= 0.3  # it blocked on the row lock instead of reading the old stage
    assert [change.to_stage_id for change in StageChange.objects.filter(deal=deal)] == [
        original.pk,
        stages["Qualified"].pk,
    ]
