"""Reads of history. Callers pass a record they have already been authorized to see."""

from __future__ import annotations

import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Q, QuerySet

from tandem.history.models import Event


def event_list_for_card(
    *, record: Model, limit: int = 50, before: datetime.datetime | None = None
) -> QuerySet[Event]:
    """The newest events of a card (older than `before`, if given): changes to the record and to
    records shown on it."""
    content_type = ContentType.objects.get_for_model(record)
    queryset = Event.objects.filter(
        Q(target_type=content_type, target_id=record.pk) | Q(parent_type=content_type, parent_id=record.pk)
    )
    if before is not None:
        queryset = queryset.filter(occurred_at__lt=before)
    return queryset.select_related("actor", "target_type").order_by("-occurred_at", "-id")[:limit]
