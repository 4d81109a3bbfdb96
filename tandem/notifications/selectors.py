"""Reads of notifications: a user only ever reads their own."""

from __future__ import annotations

from django.db.models import QuerySet

from tandem.accounts.models import User
from tandem.notifications.models import Notification

UNREAD_CAP = 99


def notification_list(*, actor: User, unread_only: bool = False) -> QuerySet[Notification]:
    queryset = Notification.objects.filter(recipient=actor).select_related("actor")
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    return queryset.order_by("-created_at", "-id")


def unread_count(*, actor: User) -> int:
    """Unread notifications, counted up to UNREAD_CAP + 1 (the bell shows "99+")."""
    ids = Notification.objects.filter(recipient=actor, read_at__isnull=True).values("id")[: UNREAD_CAP + 1]
    return len(ids)
