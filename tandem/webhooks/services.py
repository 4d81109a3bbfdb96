"""Writes on webhooks, and turning domain events into deliveries.

Only administrators manage webhooks. `webhooks_event_handle` is subscribed to the event bus at
start-up: it runs after the commit of the change, makes one delivery row per subscribed webhook
(unique per webhook and event id, so an event handled twice is delivered once) and enqueues the
sending job once those rows are committed.
"""

from __future__ import annotations

import datetime
import ipaddress
import logging
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tandem.accounts.models import User
from tandem.core.errors import ApplicationError, PermissionDenied, ValidationError
from tandem.core.events import EVENT_NAMES, DomainEvent
from tandem.webhooks.delivery import MAX_ATTEMPTS, address_is_public
from tandem.webhooks.models import Webhook, WebhookDelivery, webhook_secret_new
from tandem.webhooks.payloads import event_payload
from tandem.webhooks.tasks import webhook_delivery_send

logger = logging.getLogger(__name__)

# Webhooks send CRM data out of the building: the same people who manage users manage them.
WEBHOOKS_PERMISSION = "accounts.change_user"
WEBHOOK_FIELDS = ("url", "events", "description", "is_active", "allow_private_network")


def webhooks_can_manage(user: User) -> bool:
    return user.is_authenticated and user.has_perm(WEBHOOKS_PERMISSION)


def _require_admin(actor: User | None) -> None:
    if actor is not None and not webhooks_can_manage(actor):
        raise PermissionDenied(_("Only administrators can manage webhooks."))


def _clean(webhook: Webhook) -> None:
    errors: dict[str, list[str]] = {}
    try:
        URLValidator(schemes=["http", "https"])(webhook.url)
    except DjangoValidationError:
        errors["url"] = [_("Enter an http:// or https:// address.")]
    else:
        host = urlsplit(webhook.url).hostname or ""
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        private = host == "localhost" or (literal is not None and not address_is_public(literal))
        if private and not webhook.allow_private_network:
            errors["url"] = [
                _("This is a private network address; allow private network addresses to use it.")
            ]
    unknown = sorted(set(webhook.events) - set(EVENT_NAMES))
    if unknown:
        errors["events"] = [_("Unknown events: %(events)s") % {"events": ", ".join(unknown)}]
    elif not webhook.events:
        errors["events"] = [_("Choose at least one event.")]
    if errors:
        raise ValidationError(errors, code="invalid")
    webhook.events = [name for name in EVENT_NAMES if name in set(webhook.events)]


def _apply(webhook: Webhook, data: dict[str, Any]) -> None:
    unknown = set(data) - set(WEBHOOK_FIELDS)
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be changed.") for name in unknown}, code="read_only"
        )
    for name, value in data.items():
        setattr(webhook, name, value.strip() if isinstance(value, str) else value)


@transaction.atomic
def webhook_create(*, actor: User | None, data: dict[str, Any]) -> Webhook:
    """A new webhook with a fresh signing secret; `data` holds WEBHOOK_FIELDS."""
    _require_admin(actor)
    webhook = Webhook(created_by=actor)
    _apply(webhook, data)
    _clean(webhook)
    webhook.save()
    return webhook


@transaction.atomic
def webhook_update(*, actor: User | None, webhook: Webhook, data: dict[str, Any]) -> Webhook:
    """Change the given fields (deactivate with `is_active=False`); the secret stays."""
    _require_admin(actor)
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    _apply(webhook, data)
    _clean(webhook)
    webhook.updated_at = timezone.now()
    webhook.save()
    return webhook


@transaction.atomic
def webhook_secret_rotate(*, actor: User | None, webhook: Webhook) -> Webhook:
    """A new signing secret; deliveries signed from now on use it."""
    _require_admin(actor)
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    webhook.secret, webhook.updated_at = webhook_secret_new(), timezone.now()
    webhook.save(update_fields=["secret", "updated_at"])
    return webhook


@transaction.atomic
def delivery_redeliver(*, actor: User | None, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a finished delivery (delivered or failed) again: same event id and payload, a fresh
    round of attempts. A pending one is already on its way and is refused."""
    _require_admin(actor)
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status == WebhookDelivery.Status.PENDING:
        raise ApplicationError(_("This delivery is still being attempted."), code="delivery_pending")
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.attempts, delivery.next_attempt_at = 0, timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    transaction.on_commit(partial(webhook_delivery_send, delivery.pk, 1))
    return delivery


# An attempt lasts seconds (delivery.TIMEOUT); one this late was lost or its worker died.
OVERDUE_AFTER = datetime.timedelta(minutes=10)
OVERDUE_BATCH = 200


def deliveries_overdue_requeue(*, limit: int = OVERDUE_BATCH) -> int:
    """Queue again the pending deliveries whose attempt is more than OVERDUE_AFTER overdue: the job
    never ran (lost queue) or its worker died mid-attempt. Called by the periodic task only.

    Bounded: at most `limit` rows per run, the longest overdue first (partial index on pending
    rows). Idempotent: a queued row's next_attempt_at becomes now, so the next run leaves it alone
    for OVERDUE_AFTER, and the job claims its attempt number, so a duplicate job sends nothing.
    A row whose last allowed attempt died is marked failed (an admin can redeliver it).
    Returns how many deliveries were queued.
    """
    now = timezone.now()
    cutoff = now - OVERDUE_AFTER
    pending = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING)
    with transaction.atomic():
        overdue = list(
            pending.select_for_update(skip_locked=True)
            .filter(Q(next_attempt_at__lt=cutoff) | Q(next_attempt_at__isnull=True, created_at__lt=cutoff))
            .order_by("next_attempt_at", "pk")
            .values_list("pk", "attempts")[:limit]
        )
        given_up = [pk for pk, attempts in overdue if attempts >= MAX_ATTEMPTS]
        due = [(pk, attempts + 1) for pk, attempts in overdue if attempts < MAX_ATTEMPTS]
        if given_up:
            pending.filter(pk__in=given_up).update(
                status=WebhookDelivery.Status.FAILED,
                next_attempt_at=None,
                response_code=None,
                response_excerpt="the worker stopped during the last attempt",
            )
        if due:
            pending.filter(pk__in=[pk for pk, attempt in due]).update(next_attempt_at=now)
            for pk, attempt in due:
                transaction.on_commit(partial(webhook_delivery_send, pk, attempt))
    if overdue:
        logger.warning("webhook deliveries overdue: %s queued again, %s given up", len(due), len(given_up))
    return len(due)


def webhooks_event_handle(event: DomainEvent) -> None:
    """Event-bus handler: a delivery per active webhook subscribed to the event, sent after commit."""
    webhooks = [
        webhook
        for webhook in Webhook.objects.filter(is_active=True).only("pk", "events").order_by("pk")
        if event.name in webhook.events
    ]
    if not webhooks:
        return
    payload = event_payload(event)
    now = timezone.now()
    with transaction.atomic():
        for webhook in webhooks:
            delivery, created = WebhookDelivery.objects.get_or_create(
                webhook=webhook,
                event_id=event.id,
                defaults={"event": event.name, "payload": payload, "created_at": now, "next_attempt_at": now},
            )
            if created:
                transaction.on_commit(partial(webhook_delivery_send, delivery.pk, 1))
