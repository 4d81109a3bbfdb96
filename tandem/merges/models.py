"""Possible duplicates found among existing records, and the merges made of them (kept for undo)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RecordKind(models.TextChoices):
    CONTACT = "contact", _("contact")
    COMPANY = "company", _("company")


class DuplicateCandidate(models.Model):
    """Two live records of one kind that look like the same client, found by the nightly scan.

    The pair is stored once, lower id first. `reasons` says why: [{"code": "phone", "value": "+359…"},
    {"code": "email", "value": "a@b.bg"}, {"code": "name", "score": 93}, {"code": "same_name"},
    {"code": "same_company"}]. A dismissed pair ("not duplicates") stays, so later scans keep it dismissed.
    """

    kind = models.CharField(max_length=8, choices=RecordKind.choices)
    low_id = models.BigIntegerField()
    high_id = models.BigIntegerField()
    score = models.PositiveSmallIntegerField()
    reasons = models.JSONField(default=list)
    found_at = models.DateTimeField(default=timezone.now)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            models.UniqueConstraint(fields=["kind", "low_id", "high_id"], name="duplicate_pair_unique"),
            models.CheckConstraint(condition=Q(low_id__lt=F("high_id")), name="duplicate_pair_ordered"),
            models.CheckConstraint(condition=Q(score__lte=100), name="duplicate_score_range"),
        ]
        indexes = [
            # The duplicates page: open pairs of a kind, best first.
            models.Index(
                fields=["kind", "-score", "-id"],
                name="duplicate_open_idx",
                condition=Q(dismissed_at__isnull=True),
            ),
            models.Index(fields=["kind", "high_id"], name="duplicate_high_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.low_id}~{self.high_id} ({self.score})"


class DuplicateScan(models.Model):
    """One run of the duplicate scan of a kind: the page shows when the list was last refreshed."""

    kind = models.CharField(max_length=8, choices=RecordKind.choices)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    pairs = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["kind", "-started_at"], name="duplicate_scan_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.started_at:%Y-%m-%d %H:%M}"


class Merge(models.Model):
    """One merge of `other` into `survivor`, with everything needed to undo it exactly.

    `undo` holds: "survivor" and "other" — {field attname: [old, new]} of what the merge wrote on each;
    "relinked" — [[model label, pk, attname, old, new]] rows pointed from `other` to `survivor`;
    "removed" — [[model label, {field: value}]] rows deleted because they would have clashed;
    "added" — {"tags": [ids], "shared_with": [ids]} links the survivor gained.
    """

    kind = models.CharField(max_length=8, choices=RecordKind.choices)
    survivor_id = models.BigIntegerField()
    other_id = models.BigIntegerField()
    survivor_label = models.CharField(max_length=300)
    other_label = models.CharField(max_length=300)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(default=timezone.now)
    undo = models.JSONField(default=dict)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        indexes = [
            models.Index(fields=["kind", "survivor_id"], name="merge_survivor_idx"),
            models.Index(fields=["kind", "other_id"], name="merge_other_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.other_label} → {self.survivor_label}"

    @property
    def is_undone(self) -> bool:
        return self.undone_at is not None
