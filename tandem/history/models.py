from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import pgettext_lazy


class Event(models.Model):
    """One recorded change: who did what to which record, with each field's old and new value.

    `target` is the record changed; `parent` is the card it also shows on (a contact's company), so a
    company's timeline includes what happened to its people.

    An append-only log: its references are kept by Django's `on_delete`, not by database constraints
    (checking them was a third of the constraint checks of an import's batch, one per event and type).
    """

    class Action(models.TextChoices):
        CREATED = "created", pgettext_lazy("timeline", "created")
        UPDATED = "updated", pgettext_lazy("timeline", "changed")
        DELETED = "deleted", pgettext_lazy("timeline", "moved to trash")
        RESTORED = "restored", pgettext_lazy("timeline", "restored")
        SHARED = "shared", pgettext_lazy("timeline", "shared")
        REASSIGNED = "reassigned", pgettext_lazy("timeline", "reassigned")
        NOTIFIED = "notified", pgettext_lazy("timeline", "notified")
        IMPORTED = "imported", pgettext_lazy("timeline", "imported")
        IMPORT_UNDONE = "import_undone", pgettext_lazy("timeline", "import undone")
        MERGED = "merged", pgettext_lazy("timeline", "merged")
        UNMERGED = "unmerged", pgettext_lazy("timeline", "merge undone")

    occurred_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    # The type columns are indexed by event_target_idx and event_parent_idx, which start with them.
    target_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    target_id = models.BigIntegerField()
    target_label = models.CharField(max_length=300, blank=True)
    parent_type = models.ForeignKey(
        ContentType,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    parent_id = models.BigIntegerField(null=True, blank=True)
    changes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "-occurred_at"], name="event_target_idx"),
            models.Index(fields=["parent_type", "parent_id", "-occurred_at"], name="event_parent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_label}"
