"""The domain services announce their events; each subscribed webhook gets one delivery per event."""

from __future__ import annotations

import datetime
import json

from django.utils import timezone

from tandem.activities.models import ActivityType
from tandem.activities.services import activity_create, activity_done
from tandem.contacts.services import contact_update, record_trash
from tandem.deals.models import LostReason
from tandem.deals.services import deal_move, deal_trash, deal_update
from tandem.web.tests.deal_helpers import make_deal, stage
from tandem.webhooks.models import WebhookDelivery


def _events(receiver) -> list[str]:
    return [request.headers["X-Tandem-Event"] for request in receiver.requests]


def test_a_deal_announces_its_life(receiver, make_webhook, rep_a, django_capture_on_commit_callbacks):
    make_webhook(
        receiver.url,
        ["deal.created", "deal.updated", "deal.stage_changed", "deal.won", "deal.lost", "deal.deleted"],
        allow_private_network=True,
    )

    with django_capture_on_commit_callbacks(execute=True):
        deal = make_deal(rep_a)
    with django_capture_on_commit_callbacks(execute=True):
        deal_update(actor=rep_a, deal=deal, data={"title": "Bigger order"})
    with django_capture_on_commit_callbacks(execute=True):
        deal_move(actor=rep_a, deal=deal, stage=stage("Won"))
    with django_capture_on_commit_callbacks(execute=True):
        deal_move(
            actor=rep_a, deal=deal, stage=stage("Lost"), lost_reason=LostReason.objects.get(name="No budget")
        )
    with django_capture_on_commit_callbacks(execute=True):
        deal_trash(actor=rep_a, deal=deal)

    assert _events(receiver) == [
        "deal.created",
        "deal.updated",
        "deal.stage_changed",
        "deal.won",
        "deal.stage_changed",
        "deal.lost",
        "deal.deleted",
    ]
    lost = json.loads(receiver.requests[5].body)["data"]
    assert (lost["title"], lost["stage"]["kind"], lost["lost_reason"]["name"]) == (
        "Bigger order",
        "lost",
        "No budget",
    )
    moved = json.loads(receiver.requests[4].body)["data"]
    assert moved["previous_stage_id"] == stage("Won").pk
    assert json.loads(receiver.requests[6].body)["data"]["deleted_at"] is not None
    assert WebhookDelivery.objects.filter(status="succeeded").count() == 7


def test_a_change_that_rolls_back_announces_nothing(
    receiver, make_webhook, rep_a, django_capture_on_commit_callbacks
):
    from django.db import transaction

    make_webhook(receiver.url, allow_private_network=True)

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                make_deal(rep_a)
                raise RuntimeError("the caller failed later")
        except RuntimeError:
            pass

    assert (receiver.requests, WebhookDelivery.objects.count()) == ([], 0)


def test_contacts_and_companies_announce_create_update_and_trash(
    receiver, make_webhook, make_company, make_contact, rep_a, django_capture_on_commit_callbacks
):
    make_webhook(
        receiver.url,
        ["company.created", "contact.created", "contact.updated", "contact.deleted", "company.deleted"],
        allow_private_network=True,
    )

    with django_capture_on_commit_callbacks(execute=True):
        company = make_company(rep_a, "Acme", emails=["office@acme.example"])
    with django_capture_on_commit_callbacks(execute=True):
        contact = make_contact(rep_a, company=company)
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(actor=rep_a, contact=contact, data={"position": "Buyer"})
    with django_capture_on_commit_callbacks(execute=True):
        record_trash(actor=rep_a, record=contact)
    with django_capture_on_commit_callbacks(execute=True):
        record_trash(actor=rep_a, record=company)

    assert _events(receiver) == [
        "company.created",
        "contact.created",
        "contact.updated",
        "contact.deleted",
        "company.deleted",
    ]
    assert json.loads(receiver.requests[0].body)["data"]["emails"] == ["office@acme.example"]
    updated = json.loads(receiver.requests[2].body)["data"]
    assert (updated["name"], updated["position"], updated["company"]["name"]) == (
        "Ivan Petrov",
        "Buyer",
        "Acme",
    )


def test_activities_announce_created_and_done(
    receiver, make_webhook, rep_a, django_capture_on_commit_callbacks
):
    make_webhook(receiver.url, ["activity.created", "activity.done"], allow_private_network=True)
    deal = make_deal(rep_a)

    with django_capture_on_commit_callbacks(execute=True):
        activity = activity_create(
            actor=rep_a,
            type=ActivityType.objects.get(kind="call"),
            subject="Call about the offer",
            deal=deal,
            due_at=timezone.now() + datetime.timedelta(hours=2),
        )
    with django_capture_on_commit_callbacks(execute=True):
        activity_done(actor=rep_a, activity=activity)

    assert _events(receiver) == ["activity.created", "activity.done"]
    done = json.loads(receiver.requests[1].body)["data"]
    assert (done["subject"], done["deal"]["title"], done["type"]["kind"]) == (
        "Call about the offer",
        "Big order",
        "call",
    )
    assert done["done_at"] is not None


def test_bulk_actions_take_and_restore_announce_updates(
    receiver, make_webhook, admin, rep_a, make_contact, django_capture_on_commit_callbacks
):
    from tandem.contacts.models import Contact
    from tandem.contacts.services import record_restore, records_reassign, records_tag, tag_get_or_create
    from tandem.deals.models import Deal
    from tandem.deals.services import deal_restore, deal_take, deals_reassign

    make_webhook(receiver.url, ["contact.updated", "deal.updated"], allow_private_network=True)
    contact = make_contact(admin)
    deal = make_deal(admin)
    Deal.objects.filter(pk=deal.pk).update(taken_at=None)
    tag = tag_get_or_create(actor=admin, name="vip")

    with django_capture_on_commit_callbacks(execute=True):
        records_reassign(actor=admin, queryset=Contact.objects.filter(pk=contact.pk), owner=rep_a)
    with django_capture_on_commit_callbacks(execute=True):
        records_tag(actor=admin, queryset=Contact.objects.filter(pk=contact.pk), tag=tag)
    with django_capture_on_commit_callbacks(execute=True):
        record_trash(actor=admin, record=contact)
    with django_capture_on_commit_callbacks(execute=True):
        record_restore(actor=admin, record=contact)
    with django_capture_on_commit_callbacks(execute=True):
        deals_reassign(actor=admin, queryset=Deal.objects.filter(pk=deal.pk), owner=rep_a)
    with django_capture_on_commit_callbacks(execute=True):
        deal_take(actor=admin, deal=deal)
    with django_capture_on_commit_callbacks(execute=True):
        deal_trash(actor=admin, deal=deal)
    with django_capture_on_commit_callbacks(execute=True):
        deal_restore(actor=admin, deal=deal)

    assert _events(receiver) == ["contact.updated"] * 3 + ["deal.updated"] * 3
