"""The webhook settings pages: administrators only; bad input refused; the delivery log, redelivery."""

from __future__ import annotations

import uuid

import pytest

from tandem.webhooks.models import Webhook, WebhookDelivery

URL = "/settings/webhooks/"


def _data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "url": "https://hooks.example.com/tandem",
        "description": "Accounting",
        "events": ["deal.won", "deal.lost"],
        "is_active": "on",
    }
    data.update(changes)
    return data


def _delivery(webhook: Webhook, status: str = "failed", **data: object) -> WebhookDelivery:
    values: dict[str, object] = {
        "webhook": webhook,
        "event_id": uuid.uuid4(),
        "event": "deal.won",
        "payload": {
            "id": "x",
            "event": "deal.won",
            "occurred_at": "2030-01-01T00:00:00+00:00",
            "data": {"id": 1},
        },
        "status": status,
        "attempts": 6,
        "response_code": 500,
        "response_excerpt": "receiver broke",
        **data,
    }
    return WebhookDelivery.objects.create(**values)


def _attempts(client, webhook: Webhook, delivery: WebhookDelivery) -> list:
    return [
        client.get(URL),
        client.get(f"{URL}new/"),
        client.post(f"{URL}new/", _data(url="https://evil.example.com/")),
        client.get(f"{URL}{webhook.pk}/"),
        client.get(f"{URL}{webhook.pk}/edit/"),
        client.post(f"{URL}{webhook.pk}/edit/", _data(url="https://evil.example.com/")),
        client.post(f"{URL}{webhook.pk}/active/", {"is_active": "0"}),
        client.post(f"{URL}{webhook.pk}/secret/"),
        client.post(f"{URL}deliveries/{delivery.pk}/redeliver/"),
    ]


def _unchanged(webhook: Webhook, delivery: WebhookDelivery) -> None:
    secret = webhook.secret
    webhook.refresh_from_db()
    delivery.refresh_from_db()
    assert (webhook.url, webhook.is_active, webhook.secret) == (
        "https://hooks.example.com/tandem",
        True,
        secret,
    )
    assert (delivery.status, delivery.attempts) == ("failed", 6)
    assert Webhook.objects.count() == 1


def test_anonymous_is_sent_to_login_and_changes_nothing(client, make_webhook):
    webhook = make_webhook("https://hooks.example.com/tandem")
    delivery = _delivery(webhook)

    responses = _attempts(client, webhook, delivery)

    assert [response.status_code for response in responses] == [302] * len(responses)
    assert all(response["Location"].startswith("/login/") for response in responses)
    _unchanged(webhook, delivery)


@pytest.mark.parametrize("role", ["rep_a", "head_a", "marketer", "readonly"])
def test_non_admins_get_403_and_change_nothing(client, make_webhook, role, request):
    client.force_login(request.getfixturevalue(role))
    webhook = make_webhook("https://hooks.example.com/tandem")
    delivery = _delivery(webhook)

    responses = _attempts(client, webhook, delivery)

    assert [response.status_code for response in responses] == [403] * len(responses)
    assert webhook.secret.encode() not in b"".join(response.content for response in responses)
    _unchanged(webhook, delivery)


def test_admin_creates_a_webhook_and_sees_its_secret(client, admin):
    client.force_login(admin)

    response = client.post(f"{URL}new/", _data())

    webhook = Webhook.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{URL}{webhook.pk}/"
    assert (webhook.url, webhook.events, webhook.description) == (
        "https://hooks.example.com/tandem",
        ["deal.won", "deal.lost"],
        "Accounting",
    )
    assert (webhook.is_active, webhook.allow_private_network, webhook.created_by) == (True, False, admin)
    assert len(webhook.secret) == 64
    page = client.get(response["Location"])
    assert webhook.secret in page.content.decode()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"url": "not a url"}, "url", "Enter a valid URL."),
        ({"url": "ftp://hooks.example.com/x"}, "url", "Enter an http:// or https:// address."),
        ({"url": "http://127.0.0.1:8000/x"}, "url", "This is a private network address"),
        ({"url": "http://localhost/x"}, "url", "This is a private network address"),
        ({"events": ["deal.won", "deal.exploded"]}, "events", "Unknown event: deal.exploded."),
        ({"events": []}, "events", "This field is required."),
    ],
)
def test_bad_input_shows_form_errors_and_saves_nothing(client, admin, changes, field, message):
    client.force_login(admin)

    response = client.post(f"{URL}new/", _data(**changes))

    assert response.status_code == 400
    errors = response.context["form"].errors[field]
    assert len(errors) == 1 and errors[0].startswith(message)
    assert Webhook.objects.count() == 0


def test_a_private_address_is_accepted_when_the_admin_allows_it(client, admin):
    client.force_login(admin)

    response = client.post(f"{URL}new/", _data(url="http://10.0.0.5:8080/in", allow_private_network="on"))

    assert response.status_code == 302
    assert Webhook.objects.get().allow_private_network is True


def test_admin_edits_deactivates_and_rotates_the_secret(client, admin, make_webhook):
    client.force_login(admin)
    webhook = make_webhook("https://hooks.example.com/tandem", ["deal.won"])
    old_secret = webhook.secret

    edited = client.post(
        f"{URL}{webhook.pk}/edit/", _data(url="https://erp.example.com/in", events=["deal.lost"])
    )
    deactivated = client.post(f"{URL}{webhook.pk}/active/", {"is_active": "0"})
    rotated = client.post(f"{URL}{webhook.pk}/secret/")

    webhook.refresh_from_db()
    assert [r.status_code for r in (edited, deactivated, rotated)] == [302, 302, 302]
    assert (webhook.url, webhook.events, webhook.is_active) == (
        "https://erp.example.com/in",
        ["deal.lost"],
        False,
    )
    assert webhook.secret != old_secret and len(webhook.secret) == 64


def test_the_delivery_log_shows_response_codes(client, admin, make_webhook, django_assert_max_num_queries):
    client.force_login(admin)
    webhook = make_webhook("https://hooks.example.com/tandem")
    for code in (500, 404, 201):
        _delivery(webhook, "succeeded" if code == 201 else "failed", response_code=code)
    _delivery(make_webhook("https://other.example.com/"), response_code=418)

    with django_assert_max_num_queries(8):
        response = client.get(f"{URL}{webhook.pk}/")
    failed_only = client.get(f"{URL}{webhook.pk}/", {"status": "failed"})

    assert response.status_code == 200
    assert [d.response_code for d in response.context["deliveries"]] == [201, 404, 500]
    assert [d.response_code for d in failed_only.context["deliveries"]] == [404, 500]
    assert "Redeliver" in response.content.decode()


def test_the_list_page_shows_every_webhook(client, admin, make_webhook, django_assert_max_num_queries):
    client.force_login(admin)
    for number in range(5):
        make_webhook(f"https://hooks{number}.example.com/", ["deal.won", "contact.created"])

    with django_assert_max_num_queries(6):
        response = client.get(URL)

    assert response.status_code == 200
    assert len(response.context["webhooks"]) == 5
    assert "Deal won" in response.content.decode()


def test_redeliver_sends_the_same_event_again(
    client, admin, receiver, make_webhook, django_capture_on_commit_callbacks
):
    client.force_login(admin)
    webhook = make_webhook(receiver.url, allow_private_network=True)
    delivery = _delivery(webhook, "failed")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{URL}deliveries/{delivery.pk}/redeliver/")

    delivery.refresh_from_db()
    assert response.status_code == 302
    assert [r.headers["X-Tandem-Delivery"] for r in receiver.requests] == [str(delivery.event_id)]
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("succeeded", 1, 200)


def test_a_pending_delivery_is_not_redelivered(
    client, admin, make_webhook, django_capture_on_commit_callbacks
):
    client.force_login(admin)
    delivery = _delivery(make_webhook("https://hooks.example.com/"), "pending", attempts=2)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"{URL}deliveries/{delivery.pk}/redeliver/", follow=True)

    delivery.refresh_from_db()
    assert (len(callbacks), delivery.status, delivery.attempts) == (0, "pending", 2)
    assert "This delivery is still being attempted." in response.content.decode()
