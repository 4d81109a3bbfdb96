"""Shared by the activity tests here and in the API: build activities through the real service."""

from __future__ import annotations

from tandem.accounts.models import User
from tandem.activities.models import Activity, ActivityType
from tandem.activities.services import activity_create


def kind(name: str) -> ActivityType:
    return ActivityType.objects.get(kind=name)


def add(actor: User, subject: str, type_kind: str = "call", **data) -> Activity:
    return activity_create(actor=actor, type=kind(type_kind), subject=subject, **data)
