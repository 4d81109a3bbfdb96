"""Deliveries against a real local HTTP server: signature, retries, SSRF refusals, order, idempotency."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket

import pytest

from tandem.core.events import DomainEvent
from tandem.web.tests.deal_helpers import make_deal
from tandem.webhooks.delivery import DeliveryRefused, address_is_public, backoff_seconds, target_resolve
from tandem.webhooks.models import WebhookDelivery
from tandem.webhooks.services import webhooks_event_handle
from tandem.webhooks.tasks import webhook_delivery_send
from tandem.webhooks.tests.conftest import run_scheduled


def _deal_created(django_capture_on_commit_callbacks, owner, title: str = "Big order"):
    with django_capture_on_commit_callbacks(execute=True):
        return make_deal(owner, title)


def test_the_signature_verifies_with_the_secret(
    receiver, make_webhook, rep_a, django_capture_on_commit_callbacks
):
    webhook = make_webhook(receiver.url, allow_private_network=True)

    deal = _deal_created(django_capture_on_commit_callbacks, rep_a)

    [request] = receiver.requests
    delivery = WebhookDelivery.objects.get()
    expected = "sha256=" + hmac.new(webhook.secret.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.path == "/hooks/tandem?source=crm"
    assert request.headers["X-Tandem-Signature"] == expected
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Tandem-Event"] == "deal.created"
    assert request.headers["X-Tandem-Delivery"] == str(delivery.event_id)
    assert request.headers["X-Tandem-Timestamp"].isdigit()
    payload = json.loads(request.body)
    assert sorted(payload) == ["data", "event", "id", "occurred_at"]
    assert (payload["id"], payload["event"]) == (str(delivery.event_id), "deal.created")
    assert payload["data"]["id"] == deal.pk
    assert payload["data"]["title"] == "Big order"
    assert payload["data"]["amount"] == "1000.00"
    assert payload["data"]["stage"]["name"] == "New request"
    assert payload["data"]["owner"]["email"] == "rep.a@example.com"
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("succeeded", 1, 200)
    assert delivery.delivered_at is not None


def test_a_500_is_retried_with_backoff_until_it_succeeds(
    receiver, make_webhook, rep_a, django_capture_on_commit_callbacks
):
    make_webhook(receiver.url, allow_private_network=True)
    receiver.statuses = [500, 503]

    _deal_created(django_capture_on_commit_callbacks, rep_a)
    delivery = WebhookDelivery.objects.get()
    after_first = (delivery.status, delivery.attempts, delivery.response_code, delivery.response_excerpt)
    waited = delivery.next_attempt_at - delivery.created_at
    ran = run_scheduled()

    delivery.refresh_from_db()
    assert after_first == ("pending", 1, 500, "receiver broke")
    assert 59 <= waited.total_seconds() <= 61
    assert ran == 2
    assert len(receiver.requests) == 3
    assert len({request.headers["X-Tandem-Delivery"] for request in receiver.requests}) == 1
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("succeeded", 3, 200)
    assert delivery.next_attempt_at is None


def test_a_receiver_that_keeps_failing_is_given_up_after_six_attempts(
    receiver, make_webhook, rep_a, django_capture_on_commit_callbacks
):
    make_webhook(receiver.url, allow_private_network=True)
    receiver.statuses = [500] * 10

    _deal_created(django_capture_on_commit_callbacks, rep_a)
    run_scheduled()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 6, 500)
    assert len(receiver.requests) == 6
    assert [backoff_seconds(attempt) for attempt in range(1, 6)] == [60, 240, 960, 3840, 15360]


def test_a_redirect_is_not_followed(receiver, make_webhook, rep_a, django_capture_on_commit_callbacks):
    make_webhook(receiver.url, allow_private_network=True)
    receiver.statuses = [302] * 6

    _deal_created(django_capture_on_commit_callbacks, rep_a)

    delivery = WebhookDelivery.objects.get()
    assert (len(receiver.requests), delivery.status, delivery.response_code) == (1, "pending", 302)


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "10.1.2.3", "[::1]", "169.254.169.254", "localhost", "[::ffff:192.168.0.1]"]
)
def test_private_addresses_are_refused_by_default(
    host, receiver, make_webhook, rep_a, django_capture_on_commit_callbacks
):
    port = receiver.url.split(":")[2].split("/")[0]
    make_webhook(f"http://{host}:{port}/hooks/")

    _deal_created(django_capture_on_commit_callbacks, rep_a)
    ran = run_scheduled()

    delivery = WebhookDelivery.objects.get()
    assert receiver.requests == []
    assert (delivery.status, delivery.attempts, delivery.response_code, ran) == ("failed", 1, None, 0)
    assert delivery.response_excerpt.startswith("refused: ")


def test_a_public_name_that_resolves_to_loopback_is_refused(monkeypatch):
    def resolve(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)

    with pytest.raises(DeliveryRefused) as refused:
        target_resolve("https://hooks.example.com/in", allow_private_network=False)
    allowed = target_resolve("https://hooks.example.com/in", allow_private_network=True)

    assert str(refused.value) == "hooks.example.com resolves to a private address (127.0.0.1)"
    assert (allowed.host, allowed.address, allowed.port, allowed.path) == (
        "hooks.example.com",
        "127.0.0.1",
        443,
        "/in",
    )


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "gopher://example.com/"])
def test_other_schemes_are_refused(url):
    with pytest.raises(DeliveryRefused):
        target_resolve(url, allow_private_network=True)


def test_public_and_private_addresses_are_told_apart():
    def public(text: str) -> bool:
        return address_is_public(ipaddress.ip_address(text))

    assert [public(a) for a in ("8.8.8.8", "2a00:1450:4001::200e", "93.184.216.34")] == [True, True, True]
    blocked = (
        "127.0.0.1",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "fc00::1",
        "224.0.0.1",
        "0.0.0.0",
        "240.0.0.1",
        "::ffff:127.0.0.1",
        "100.64.0.1",
    )
    assert [public(a) for a in blocked] == [False] * len(blocked)


def test_events_arrive_in_the_order_they_happened(
    receiver, make_webhook, rep_a, django_capture_on_commit_callbacks
):
    make_webhook(receiver.url, allow_private_network=True)

    for title in ("First", "Second", "Third"):
        _deal_created(django_capture_on_commit_callbacks, rep_a, title)

    assert [json.loads(r.body)["data"]["title"] for r in receiver.requests] == ["First", "Second", "Third"]


def test_the_same_event_is_delivered_once(receiver, make_webhook, rep_a, django_capture_on_commit_callbacks):
    make_webhook(receiver.url, allow_private_network=True)
    deal = make_deal(rep_a)
    event = DomainEvent(name="deal.created", model="deals.deal", object_id=deal.pk, actor_id=rep_a.pk)

    with django_capture_on_commit_callbacks(execute=True):
        webhooks_event_handle(event)
        webhooks_event_handle(event)
    delivery = WebhookDelivery.objects.get()
    webhook_delivery_send(delivery.pk, 1)  # a job the queue hands out twice

    assert len(receiver.requests) == 1
    assert receiver.requests[0].headers["X-Tandem-Delivery"] == event.id
    assert (WebhookDelivery.objects.count(), delivery.event_id.hex) == (1, event.id.replace("-", ""))


def test_an_inactive_or_unsubscribed_webhook_gets_nothing(
    receiver, make_webhook, rep_a, django_capture_on_commit_callbacks
):
    make_webhook(receiver.url, allow_private_network=True, is_active=False)
    make_webhook(receiver.url, ["deal.won"], allow_private_network=True)

    _deal_created(django_capture_on_commit_callbacks, rep_a)

    assert (receiver.requests, WebhookDelivery.objects.count()) == ([], 0)
