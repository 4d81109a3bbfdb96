"""Sending notifications: one row per recipient and occurrence, an email for the kinds the user chose."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tandem.accounts.models import User
from tandem.notifications.models import Notification, NotificationSettings, default_email_kinds


def email_kinds(user: User) -> list[str]:
    settings_row = NotificationSettings.objects.filter(user=user).first()
    return list(settings_row.email_kinds) if settings_row else default_email_kinds()


def notification_settings_update(*, actor: User, email_kinds: list[str]) -> NotificationSettings:
    """Set which kinds reach `actor` by email; unknown kinds are refused."""
    from tandem.core.errors import ValidationError

    allowed = set(Notification.Kind.values)
    unknown = sorted(set(email_kinds) - allowed)
    if unknown:
        raise ValidationError(
            {"email_kinds": _("Unknown kinds of notification: %(kinds)s") % {"kinds": ", ".join(unknown)}},
            code="invalid_kind",
        )
    row, _created = NotificationSettings.objects.update_or_create(
        user=actor, defaults={"email_kinds": sorted(set(email_kinds))}
    )
    return row


def notify(
    *,
    recipient: User,
    kind: str,
    key: str,
    title: str,
    body: str = "",
    url: str = "",
    actor: User | None = None,
) -> Notification | None:
    """Notify `recipient` once per `key`; returns None when this occurrence was already notified.

    Inactive users get nothing. The email (if the user wants this kind by email) is queued after commit.
    """
    if not recipient.is_active:
        return None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                kind=kind,
                key=key[:120],
                title=title[:300],
                body=body,
                url=url[:300],
                actor=actor if actor is not None and actor.pk else None,
            )
    except IntegrityError:
        return None
    if kind in email_kinds(recipient):
        from tandem.notifications.tasks import notification_email_send

        transaction.on_commit(lambda: notification_email_send(notification.pk))
    return notification


def notifications_mark_read(*, actor: User, ids: list[int] | None = None) -> int:
    """Mark the actor's notifications read (all unread when `ids` is None); returns how many changed."""
    queryset = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return queryset.update(read_at=timezone.now())
