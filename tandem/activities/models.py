"""Activities: every touch with a client (done) and every planned next step (due)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tandem.accounts.roles import scope_permissions
from tandem.contacts.models import Company, Contact, ReferenceItem
from tandem.deals.models import Deal


class ActivityType(models.Model):
    """Call, meeting, letter, email, task, note (built in, `kind` set) or an admin-defined type."""

    class Kind(models.TextChoices):
        CALL = "call", pgettext_lazy("activity", "Call")
        MEETING = "meeting", pgettext_lazy("activity", "Meeting")
        LETTER = "letter", pgettext_lazy("activity", "Letter")
        EMAIL = "email", pgettext_lazy("activity", "Email")
        TASK = "task", pgettext_lazy("activity", "Task")
        NOTE = "note", pgettext_lazy("activity", "Note")
        OTHER = "other", pgettext_lazy("activity", "Other")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.OTHER)
    icon = models.CharField(_("icon"), max_length=40, default="bi-check2-square")
    counts_as_contact = models.BooleanField(_("counts as contact with the client"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("activity type")
        verbose_name_plural = _("activity types")

    def __str__(self) -> str:
        return self.name


class Outcome(ReferenceItem):
    """How a done activity ended: reached, no answer, asked to call back…"""

    class Meta(ReferenceItem.Meta):
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")


class Activity(models.Model):
    """A planned (`done_at` empty, `due_at` set) or done activity, linked to a deal, contact and/or company.

    `occurred_at` is the timeline's sort key: the done time, or the due time while planned.
    Reminder and escalation markers make the periodic jobs send each notice at most once.
    """

    class Direction(models.TextChoices):
        NONE = "", _("—")
        INBOUND = "in", _("inbound")
        OUTBOUND = "out", _("outbound")

    type = models.ForeignKey(ActivityType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(_("subject"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    deal = models.ForeignKey(
        Deal,
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), on_delete=models.PROTECT, related_name="+"
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"), null=True, blank=True, validators=[MaxValueValidator(60 * 24 * 7)]
    )
    done_at = models.DateTimeField(pgettext_lazy("activity", "done"), null=True, blank=True)
    direction = models.CharField(
        _("direction"), max_length=3, choices=Direction.choices, default=Direction.NONE, blank=True
    )
    outcome = models.ForeignKey(
        Outcome, verbose_name=_("outcome"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    escalated_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Written by someone for someone else (a task to a colleague), kept by the services: the author
    # sees these too, through a small partial index.
    delegated = models.BooleanField(default=False, editable=False)
    occurred_at = models.DateTimeField(default=timezone.now, editable=False)
    created_at = models.DateTimeField(pgettext_lazy("field", "created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    deleted_at = models.DateTimeField(pgettext_lazy("field", "moved to trash"), null=True, blank=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        permissions = tuple(scope_permissions("activity"))
        constraints = [
            models.CheckConstraint(
                condition=Q(done_at__isnull=False) | Q(due_at__isnull=False), name="activity_planned_or_done"
            ),
            models.CheckConstraint(
                condition=Q(deal__isnull=False) | Q(contact__isnull=False) | Q(company__isnull=False),
                name="activity_linked",
            ),
        ]
        indexes = [
            # Timelines of the three kinds of card, newest first.
            models.Index(fields=["deal", "-occurred_at", "-id"], name="activity_deal_idx"),
            models.Index(fields=["contact", "-occurred_at", "-id"], name="activity_contact_idx"),
            models.Index(fields=["company", "-occurred_at", "-id"], name="activity_company_idx"),
            # My day and the calendar: an assignee's open items by due time.
            models.Index(
                fields=["assignee", "due_at"],
                name="activity_open_due_idx",
                condition=Q(done_at__isnull=True, deleted_at__isnull=True),
            ),
            # Activities written for someone else (tasks to colleagues): their author sees them too.
            models.Index(
                fields=["author", "-id"], name="activity_delegated_idx", condition=Q(delegated=True)
            ),
            # Done items per assignee (analytics, "my activity").
            models.Index(
                fields=["assignee", "done_at"], name="activity_done_idx", condition=Q(done_at__isnull=False)
            ),
            # Reports: everyone's done items in a period, by type (no assignee to lead with).
            models.Index(
                fields=["done_at", "assignee", "type"],
                name="activity_done_period_idx",
                condition=Q(done_at__isnull=False, deleted_at__isnull=True),
            ),
            # The sweeps: reminders to send, planned items past due not yet escalated.
            models.Index(
                fields=["remind_at"],
                name="activity_remind_idx",
                condition=Q(reminded_at__isnull=True, done_at__isnull=True, deleted_at__isnull=True),
            ),
            models.Index(
                fields=["due_at"],
                name="activity_overdue_idx",
                condition=Q(escalated_at__isnull=True, done_at__isnull=True, deleted_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @property
    def is_overdue(self) -> bool:
        return self.done_at is None and self.due_at is not None and self.due_at < timezone.now()


def attachment_path(instance: Attachment, filename: str) -> str:
    now = timezone.now()
    return f"attachments/{now:%Y/%m}/{instance.activity_id}/{filename}"


class Attachment(models.Model):
    """A file on an activity: an offer sent, a signed contract, a call recording."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name

    @property
    def is_audio(self) -> bool:
        return self.content_type.startswith("audio/")


class CalendarFeed(models.Model):
    """A user's secret iCal feed address; only the token's digest is stored. Regenerating revokes it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"calendar feed of {self.user}"
