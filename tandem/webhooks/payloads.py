"""The JSON a receiver gets: the event and a compact view of the object as it was when the event
was announced (read once per event, shared by every webhook subscribed to it)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model

from tandem.activities.models import Activity
from tandem.contacts.models import Company, Contact
from tandem.core.events import DomainEvent
from tandem.deals.models import Deal


def _ref(obj: Model | None, label: str = "name") -> dict[str, Any] | None:
    if obj is None:
        return None
    return {"id": obj.pk, label: str(obj)}


def _user(user: Any) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "email": user.email, "name": str(user)}


def _url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _owned(record: Company | Contact) -> dict[str, Any]:
    return {
        "owner": _user(record.owner),
        "phones": [phone.e164 for phone in record.phones.all()],
        "emails": [email.address for email in record.emails.all()],
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "deleted_at": record.deleted_at,
    }


def _company(company: Company) -> dict[str, Any]:
    return {
        "id": company.pk,
        "name": company.name,
        "legal_form": company.legal_form,
        "tax_id": company.tax_id,
        "website": company.website,
        **_owned(company),
        "url": _url(f"/companies/{company.pk}/"),
    }


def _contact(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.pk,
        "name": str(contact),
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "company": _ref(contact.company),
        "position": contact.position,
        **_owned(contact),
        "url": _url(f"/contacts/{contact.pk}/"),
    }


def _deal(deal: Deal) -> dict[str, Any]:
    return {
        "id": deal.pk,
        "title": deal.title,
        "amount": deal.amount,
        "currency": deal.currency_id,
        "pipeline": _ref(deal.pipeline),
        "stage": {"id": deal.stage_id, "name": deal.stage.name, "kind": deal.stage.kind},
        "company": _ref(deal.company),
        "owner": _user(deal.owner),
        "channel": _ref(deal.channel),
        "expected_close_date": deal.expected_close_date,
        "lost_reason": _ref(deal.lost_reason),
        "won_at": deal.won_at,
        "lost_at": deal.lost_at,
        "created_at": deal.created_at,
        "updated_at": deal.updated_at,
        "deleted_at": deal.deleted_at,
        "url": _url(f"/deals/{deal.pk}/"),
    }


def _activity(activity: Activity) -> dict[str, Any]:
    return {
        "id": activity.pk,
        "type": {"id": activity.type_id, "name": activity.type.name, "kind": activity.type.kind},
        "subject": activity.subject,
        "deal": _ref(activity.deal, "title"),
        "contact": _ref(activity.contact),
        "company": _ref(activity.company),
        "assignee": _user(activity.assignee),
        "due_at": activity.due_at,
        "done_at": activity.done_at,
        "outcome": _ref(activity.outcome),
        "created_at": activity.created_at,
        "deleted_at": activity.deleted_at,
        "url": _url(f"/activities/{activity.pk}/"),
    }


def _import(job: Any) -> dict[str, Any]:
    return {
        "id": job.pk,
        "status": job.status,
        "file": job.filename,
        "created_by": _user(job.created_by),
        "counts": job.counts,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "url": _url(f"/imports/{job.pk}/"),
    }


SERIALIZERS: dict[str, tuple[Callable[[Any], dict[str, Any]], tuple[str, ...]]] = {
    "contacts.company": (_company, ("owner",)),
    "contacts.contact": (_contact, ("owner", "company")),
    "deals.deal": (
        _deal,
        ("pipeline", "stage", "company", "owner", "channel", "lost_reason"),
    ),
    "activities.activity": (_activity, ("type", "deal", "contact", "company", "assignee", "outcome")),
    "imports.importjob": (_import, ("created_by",)),
}


def event_data(event: DomainEvent) -> dict[str, Any]:
    """The object of the event as a JSON-ready dict; only its id when it is gone or has no serializer."""
    serializer = SERIALIZERS.get(event.model)
    data: dict[str, Any] = {"id": event.object_id}
    if serializer is not None:
        build, related = serializer
        model = apps.get_model(event.model)
        obj = model._default_manager.select_related(*related).filter(pk=event.object_id).first()
        if obj is not None:
            data = build(obj)
    if event.extra:
        data = {**data, **event.extra}
    return data


def event_payload(event: DomainEvent) -> dict[str, Any]:
    payload = {
        "id": event.id,
        "event": event.name,
        "occurred_at": event.occurred_at.isoformat(),
        "data": event_data(event),
    }
    # Decimals, dates and lazy strings become plain JSON values once, before they are stored.
    result: dict[str, Any] = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    return result
