"""The sweep for deliveries left pending: a lost job or a worker that died mid-attempt is sent again
once it is ten minutes overdue, once, at most `limit` per run, the longest overdue first."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator

import pytest
import time_machine
from huey.contrib.djhuey import HUEY

from tandem.webhooks import tasks
from tandem.webhooks.models import Webhook, WebhookDelivery
from tandem.webhooks.services import deliveries_overdue_requeue

T0 = datetime.datetime(2030, 3, 4, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _pending(webhook: Webhook, *, attempts: int = 0, due: datetime.datetime | None = T0) -> WebhookDelivery:
    """A row as a lost job or a dead worker leaves it: pending, its attempt due at `due`."""
    return WebhookDelivery.objects.create(
        webhook=webhook,
        event_id=uuid.uuid4(),
        event="deal.created",
        payload={"event": "deal.created"},
        attempts=attempts,
        created_at=T0 - datetime.timedelta(hours=2),
        next_attempt_at=due,
    )


def _sweep(capture, **kwargs: int) -> int:
    with capture(execute=True):
        return deliveries_overdue_requeue(**kwargs)


def test_a_lost_job_is_sent_once_it_is_ten_minutes_overdue(
    clock, receiver, make_webhook, django_capture_on_commit_callbacks
):
    delivery = _pending(make_webhook(receiver.url, allow_private_network=True))

    clock.move_to(T0 + datetime.timedelta(minutes=9, seconds=59))
    early = _sweep(django_capture_on_commit_callbacks)
    clock.move_to(T0 + datetime.timedelta(minutes=10, seconds=1))
    queued = _sweep(django_capture_on_commit_callbacks)
    again = _sweep(django_capture_on_commit_callbacks)

    delivery.refresh_from_db()
    assert (early, queued, again) == (0, 1, 0)
    assert len(receiver.requests) == 1
    assert receiver.requests[0].headers["X-Tandem-Delivery"] == str(delivery.event_id)
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("succeeded", 1, 200)
    assert delivery.next_attempt_at is None


def test_an_attempt_whose_worker_died_counts_and_the_next_one_is_made(
    clock, receiver, make_webhook, django_capture_on_commit_callbacks
):
    # The worker claimed attempt 3 at T0 (attempts=3, next_attempt_at=T0) and never finished it.
    delivery = _pending(make_webhook(receiver.url, allow_private_network=True), attempts=3)

    clock.move_to(T0 + datetime.timedelta(minutes=11))
    queued = _sweep(django_capture_on_commit_callbacks)

    delivery.refresh_from_db()
    assert queued == 1
    assert len(receiver.requests) == 1
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("succeeded", 4, 200)


def test_a_requeued_job_that_has_not_run_yet_is_not_queued_twice(
    clock, make_webhook, django_capture_on_commit_callbacks
):
    delivery = _pending(make_webhook("https://hooks.example.com/tandem"))
    clock.move_to(T0 + datetime.timedelta(minutes=30))

    with django_capture_on_commit_callbacks(execute=False) as first:
        first_count = deliveries_overdue_requeue()
    clock.move_to(T0 + datetime.timedelta(minutes=35))
    with django_capture_on_commit_callbacks(execute=False) as second:
        second_count = deliveries_overdue_requeue()

    delivery.refresh_from_db()
    assert (first_count, len(first), second_count, len(second)) == (1, 1, 0, 0)
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert delivery.next_attempt_at == T0 + datetime.timedelta(minutes=30)


def test_a_dead_last_attempt_fails_the_delivery_without_sending(
    clock, receiver, make_webhook, django_capture_on_commit_callbacks
):
    delivery = _pending(make_webhook(receiver.url, allow_private_network=True), attempts=6)
    clock.move_to(T0 + datetime.timedelta(minutes=11))

    queued = _sweep(django_capture_on_commit_callbacks)

    delivery.refresh_from_db()
    assert queued == 0
    assert receiver.requests == []
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 6, None)
    assert delivery.response_excerpt == "the worker stopped during the last attempt"


def test_waiting_retries_and_finished_deliveries_are_left_alone(
    clock, receiver, make_webhook, django_capture_on_commit_callbacks
):
    webhook = make_webhook(receiver.url, allow_private_network=True)
    retry_later = _pending(webhook, attempts=4, due=T0 + datetime.timedelta(hours=1))
    for status in (WebhookDelivery.Status.SUCCEEDED, WebhookDelivery.Status.FAILED):
        WebhookDelivery.objects.create(
            webhook=webhook,
            event_id=uuid.uuid4(),
            event="deal.created",
            payload={},
            status=status,
            attempts=1,
            created_at=T0 - datetime.timedelta(days=1),
        )
    clock.move_to(T0 + datetime.timedelta(minutes=30))

    queued = _sweep(django_capture_on_commit_callbacks)

    assert queued == 0
    assert receiver.requests == []
    assert list(
        WebhookDelivery.objects.order_by("pk").values_list("status", "attempts", "next_attempt_at")
    ) == [
        ("pending", 4, retry_later.next_attempt_at),
        ("succeeded", 1, None),
        ("failed", 1, None),
    ]


def test_a_pending_row_without_a_due_time_counts_from_its_creation(
    clock, receiver, make_webhook, django_capture_on_commit_callbacks
):
    # Rows claimed before next_attempt_at marked the running attempt have none.
    delivery = _pending(make_webhook(receiver.url, allow_private_network=True), attempts=1, due=None)

    queued = _sweep(django_capture_on_commit_callbacks)

    delivery.refresh_from_db()
    assert queued == 1
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)


def test_one_run_queues_at_most_the_limit_longest_overdue_first(
    clock, receiver, make_webhook, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    webhook = make_webhook(receiver.url, allow_private_network=True)
    rows = [_pending(webhook, due=T0 - datetime.timedelta(minutes=minutes)) for minutes in (1, 3, 2)]
    clock.move_to(T0 + datetime.timedelta(minutes=15))

    with django_capture_on_commit_callbacks(execute=False) as callbacks, django_assert_max_num_queries(4):
        first = deliveries_overdue_requeue(limit=2)
    for callback in callbacks:
        callback()
    delivered_first = sorted(request.headers["X-Tandem-Delivery"] for request in receiver.requests)
    second = _sweep(django_capture_on_commit_callbacks, limit=2)

    assert (first, second) == (2, 1)
    assert delivered_first == sorted(str(rows[i].event_id) for i in (1, 2))
    assert receiver.requests[-1].headers["X-Tandem-Delivery"] == str(rows[0].event_id)
    assert WebhookDelivery.objects.filter(status="succeeded").count() == 3


def test_the_periodic_task_runs_every_five_minutes_and_sweeps(
    clock, receiver, make_webhook, django_capture_on_commit_callbacks
):
    delivery = _pending(make_webhook(receiver.url, allow_private_network=True))
    clock.move_to(T0 + datetime.timedelta(minutes=15))

    with django_capture_on_commit_callbacks(execute=True):
        tasks.overdue_deliveries_every_five_minutes.call_local()

    def scheduled(minute: int) -> bool:
        moment = datetime.datetime(2030, 3, 4, 9, minute)
        return any(
            type(task).__name__ == "overdue_deliveries_every_five_minutes"
            for task in HUEY.read_periodic(moment)
        )

    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert [minute for minute in range(12) if scheduled(minute)] == [0, 5, 10]
