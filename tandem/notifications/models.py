"""In-app notifications; the chosen kinds also go by email."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One notice to one person. `key` names the occurrence it is about, so a job that runs twice
    cannot notify twice (unique per recipient)."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Reminder of a planned activity")
        TASK_ASSIGNED = "task_assigned", _("A colleague gave me a task")
        MENTION = "mention", _("Someone mentioned me")
        LEAD_UNTOUCHED = "lead_untouched", _("A new lead of mine is still untouched")
        LEAD_ESCALATED = "lead_escalated", _("A new lead in my team is left untouched")
        CALL_MISSED = "call_missed", _("A planned call in my team was missed")
        DEAL_STUCK = "deal_stuck", _("A deal is stuck in its stage")
        DIGEST = "digest", _("Daily digest")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=120)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="notification_once")]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_recipient_idx"),
            models.Index(
                fields=["recipient"], name="notification_unread_idx", condition=Q(read_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return self.title


def default_email_kinds() -> list[str]:
    return [
        Notification.Kind.REMINDER,
        Notification.Kind.TASK_ASSIGNED,
        Notification.Kind.LEAD_ESCALATED,
        Notification.Kind.CALL_MISSED,
        Notification.Kind.DIGEST,
    ]


class NotificationSettings(models.Model):
    """Which kinds of notification a user also receives by email (all kinds always show in the app)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    email_kinds = models.JSONField(default=default_email_kinds)

    def __str__(self) -> str:
        return f"notification settings of {self.user}"
