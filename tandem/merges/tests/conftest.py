"""Fixtures of the merges tests: a dump of every row a merge can touch, for exact before/after checks."""

from __future__ import annotations

from typing import Any

import pytest

from tandem.activities.models import Activity, ActivityType, Attachment
from tandem.contacts.models import Company, Contact, Email, Phone
from tandem.deals.models import Deal, DealContact
from tandem.history.models import Event
from tandem.leads.models import LeadSubmission

DUMPED = [
    Company,
    Contact,
    Phone,
    Email,
    Company.tags.through,
    Contact.tags.through,
    Company.shared_with.through,
    Contact.shared_with.through,
    Deal,
    DealContact,
    Activity,
    Attachment,
    LeadSubmission,
]


def database_dump() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table a merge writes to; history without the merge's own MERGED/UNMERGED rows."""
    dump = {model._meta.label: list(model.objects.order_by("pk").values()) for model in DUMPED}
    events = Event.objects.exclude(action__in=[Event.Action.MERGED, Event.Action.UNMERGED])
    dump["history.Event"] = list(events.order_by("pk").values())
    return dump


@pytest.fixture
def dump():
    return database_dump


@pytest.fixture
def make_activity(db):
    from tandem.activities.services import activity_create

    def make(actor, subject: str = "Call", **links) -> Activity:
        from django.utils import timezone

        kind = ActivityType.objects.order_by("pk").first()
        return activity_create(actor=actor, type=kind, subject=subject, done_at=timezone.now(), **links)

    return make
