"""Domain events: what happened, announced by the services that did it, delivered after commit.

Services call `event_emit("deal.created", deal, actor=...)` explicitly (no model signals); higher
layers (webhooks, later others) register a handler at start-up with `event_subscribe`. A handler
runs only once the transaction that caused the event has committed, so nothing is announced that
was rolled back. Handlers must be quick (enqueue a job); an exception in one is logged, never
raised into the service.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

EVENT_NAMES = (
    "company.created",
    "company.updated",
    "company.deleted",
    "contact.created",
    "contact.updated",
    "contact.deleted",
    "deal.created",
    "deal.updated",
    "deal.deleted",
    "deal.stage_changed",
    "deal.won",
    "deal.lost",
    "activity.created",
    "activity.done",
    "import.finished",
)


@dataclass(frozen=True)
class DomainEvent:
    name: str
    model: str  # "deals.deal"
    object_id: int
    actor_id: int | None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    occurred_at: Any = field(default_factory=timezone.now)
    extra: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[DomainEvent], None]
_handlers: list[Handler] = []


def event_subscribe(handler: Handler) -> None:
    if handler not in _handlers:
        _handlers.append(handler)


def _deliver(event: DomainEvent) -> None:
    for handler in list(_handlers):
        try:
            handler(event)
        except Exception:  # a broken subscriber must not break the write that happened
            logger.exception("event handler %r failed for %s", handler, event.name)


def event_emit(name: str, obj: Any, *, actor: Any = None, **extra: Any) -> DomainEvent | None:
    """Announce `name` about `obj` once the current transaction commits (at once outside one)."""
    if name not in EVENT_NAMES:
        raise ValueError(f"unknown event {name}")
    if not _handlers:
        return None
    event = DomainEvent(
        name=name,
        model=obj._meta.label_lower,
        object_id=obj.pk,
        actor_id=getattr(actor, "pk", None),
        extra=extra,
    )
    transaction.on_commit(lambda: _deliver(event))
    return event
