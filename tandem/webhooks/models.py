"""Outbound webhooks: an admin subscribes a URL to domain events; every event it receives is a
delivery row (the delivery log), sent by a Huey job and retried with exponential backoff."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def webhook_secret_new() -> str:
    return secrets.token_hex(32)


class Webhook(models.Model):
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(_("signing secret"), max_length=128, default=webhook_secret_new, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    allow_private_network = models.BooleanField(_("allow private network addresses"), default=False)
    description = models.CharField(_("description"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(pgettext_lazy("field", "created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        indexes = [models.Index(fields=["is_active"], name="webhook_active_idx")]

    def __str__(self) -> str:
        return self.description or self.url


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("delivery status", "pending")
        SUCCEEDED = "succeeded", pgettext_lazy("delivery status", "delivered")
        FAILED = "failed", pgettext_lazy("delivery status", "failed")

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(_("event id"))
    event = models.CharField(_("event"), max_length=50)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    response_excerpt = models.CharField(_("response"), max_length=500, blank=True)
    created_at = models.DateTimeField(pgettext_lazy("field", "created"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["webhook", "event_id"], name="webhook_delivery_event_unique"),
        ]
        indexes = [
            # The delivery log of one webhook, newest first, optionally by status.
            models.Index(fields=["webhook", "-created_at", "-id"], name="webhook_delivery_log_idx"),
            models.Index(fields=["webhook", "status", "-created_at"], name="webhook_delivery_status_idx"),
            # The sweep for overdue pending deliveries (services.deliveries_overdue_requeue).
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="webhook_delivery_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.event_id}"
