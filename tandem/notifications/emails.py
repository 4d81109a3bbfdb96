"""Notification emails, rendered in the recipient's language."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation

from tandem.notifications.models import Notification


def notification_email_deliver(notification_id: int) -> bool:
    """Email one notification unless it was emailed already; True when an email went out."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("recipient")
            .filter(pk=notification_id, emailed_at__isnull=True)
            .first()
        )
        if notification is None:
            return False
        recipient = notification.recipient
        if notification.kind == Notification.Kind.DIGEST:
            from tandem.notifications.digest import digest_email

            subject, text, html = digest_email(notification)
            send_mail(subject, text, None, [recipient.email], html_message=html)
        else:
            with translation.override(recipient.language or settings.LANGUAGE_CODE):
                link = f"{settings.SITE_URL}{notification.url}" if notification.url else ""
                text = "\n\n".join(part for part in (notification.body, link) if part)
                send_mail(notification.title, text or notification.title, None, [recipient.email])
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True
