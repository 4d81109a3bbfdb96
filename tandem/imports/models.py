"""An import of a client file: the job, its per-row issues, its undo log and saved column mappings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OnDuplicate(models.TextChoices):
    SKIP = "skip", _("Skip the row")
    UPDATE = "update", _("Fill in empty fields")
    OVERWRITE = "overwrite", _("Overwrite with the file's values")
    CREATE = "create", _("Create a new record anyway")


class MappingProfile(models.Model):
    """A saved column mapping ("Our 1C export"), offered again for files with the same headers."""

    name = models.CharField(_("name"), max_length=100)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    mapping = models.JSONField(default=dict)  # header text -> field key
    region = models.CharField(max_length=2, blank=True)
    on_duplicate = models.CharField(max_length=10, choices=OnDuplicate.choices, default=OnDuplicate.UPDATE)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("mapping profile")
        verbose_name_plural = _("mapping profiles")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="mapping_profile_name_unique")]

    def __str__(self) -> str:
        return self.name


class ImportJob(models.Model):
    class Status(models.TextChoices):
        NEW = "new", pgettext_lazy("import status", "uploaded")
        PREVIEWING = "previewing", pgettext_lazy("import status", "dry run in progress")
        PREVIEWED = "previewed", pgettext_lazy("import status", "dry run done")
        QUEUED = "queued", pgettext_lazy("import status", "waiting for the worker")
        RUNNING = "running", pgettext_lazy("import status", "importing")
        DONE = "done", pgettext_lazy("import status", "done")
        FAILED = "failed", pgettext_lazy("import status", "failed")
        UNDOING = "undoing", pgettext_lazy("import status", "undo in progress")
        UNDONE = "undone", pgettext_lazy("import status", "undone")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    filename = models.CharField(_("file"), max_length=255)
    file_path = models.CharField(max_length=500)  # relative to the data dir
    file_size = models.BigIntegerField(default=0)
    table = models.JSONField(default=dict)  # reader.TableInfo without the sample
    mapping = models.JSONField(default=list)  # a field key (or null) per column
    region = models.CharField(_("phone region"), max_length=2, default="BG")
    on_duplicate = models.CharField(
        _("when a record exists"), max_length=10, choices=OnDuplicate.choices, default=OnDuplicate.UPDATE
    )
    profile = models.ForeignKey(MappingProfile, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    preview = models.JSONField(default=dict, blank=True)  # dry-run counts
    counts = models.JSONField(default=dict, blank=True)  # counts of the real run so far
    rows_total = models.PositiveIntegerField(default=0)  # an estimate until the run ends
    rows_done = models.PositiveIntegerField(default=0)
    last_row = models.PositiveIntegerField(default=0)  # the file row up to which batches committed
    batches = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [
            models.Index(fields=["created_by", "-id"], name="import_creator_idx"),
            models.Index(fields=["status", "heartbeat_at"], name="import_status_idx"),
        ]

    def __str__(self) -> str:
        return _("Import #%(id)s (%(file)s)") % {"id": self.pk, "file": self.filename}

    @property
    def is_active(self) -> bool:
        return self.status in {
            self.Status.PREVIEWING,
            self.Status.QUEUED,
            self.Status.RUNNING,
            self.Status.UNDOING,
        }

    @property
    def percent(self) -> int:
        if self.status in {self.Status.DONE, self.Status.UNDONE, self.Status.PREVIEWED}:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(self.rows_done * 100 / self.rows_total))


class ImportIssue(models.Model):
    """A rejected row (with its original cells, for the rejected-rows file) or a warning on a kept row."""

    job = models.ForeignKey(
        ImportJob, on_delete=models.CASCADE, related_name="issues", db_index=False, db_constraint=False
    )
    dry_run = models.BooleanField(default=False)
    row = models.PositiveIntegerField()
    column = models.CharField(max_length=255, blank=True)
    value = models.CharField(max_length=500, blank=True)
    code = models.CharField(max_length=40)
    message = models.CharField(max_length=500)
    rejected = models.BooleanField(default=False)
    cells = models.JSONField(null=True, blank=True)  # the original row, for rejected rows

    class Meta:
        ordering = ["row", "id"]
        indexes = [models.Index(fields=["job", "dry_run", "row", "id"], name="import_issue_row_idx")]

    def __str__(self) -> str:
        return f"{self.row}: {self.message}"


class ImportChange(models.Model):
    """The undo log: a record this import created, or one it changed with the values before.

    Like the issues below, written by the thousand per batch: the job is kept by Django's `on_delete`
    rather than a database constraint checked for every row."""

    class Kind(models.IntegerChoices):
        COMPANY = 1
        CONTACT = 2

    job = models.ForeignKey(
        ImportJob, on_delete=models.CASCADE, related_name="changes", db_index=False, db_constraint=False
    )
    batch = models.PositiveIntegerField()
    kind = models.PositiveSmallIntegerField(choices=Kind.choices)
    object_id = models.BigIntegerField()
    created = models.BooleanField()
    before = models.JSONField(null=True, blank=True)  # field values, phones, emails, tags before
    after = models.JSONField(null=True, blank=True)  # the values the import set (undo keeps later edits)

    class Meta:
        indexes = [models.Index(fields=["job", "-batch", "id"], name="import_change_batch_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.object_id}"
