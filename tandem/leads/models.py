"""Website forms and inbound leads: the form an admin configures and every submission it received."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# The fields a web form may ask for, in the order they are shown.
LEAD_FIELDS = {
    "name": _("Name"),
    "company": _("Company"),
    "phone": _("Phone"),
    "email": _("Email"),
    "message": _("Message"),
}
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def new_form_key() -> str:
    """The public, unguessable part of a form's URL (/f/<key>/)."""
    return secrets.token_urlsafe(16)


def default_fields() -> list[str]:
    return ["name", "phone", "email", "message"]


def default_required_fields() -> list[str]:
    return ["name"]


class WebForm(models.Model):
    name = models.CharField(_("name"), max_length=100)
    key = models.CharField(_("public key"), max_length=32, unique=True, default=new_form_key, editable=False)
    fields = models.JSONField(_("fields"), default=default_fields)
    required_fields = models.JSONField(_("required fields"), default=default_required_fields)
    pipeline = models.ForeignKey(
        "deals.Pipeline", verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="+"
    )
    # Either one owner gets every lead, or the active reps of `team` take turns.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The rotation position: the rep who got the previous lead; the next one in id order gets the next.
    last_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    channel = models.ForeignKey(
        "contacts.Channel", verbose_name=_("channel"), null=True, blank=True, on_delete=models.SET_NULL
    )
    thank_you_text = models.TextField(_("thank-you text"))
    allowed_origins = models.JSONField(_("allowed site origins"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # The form used by the inbound API when a request names no form.
    is_default = models.BooleanField(_("default for the inbound API"), default=False)
    created_at = models.DateTimeField(pgettext_lazy("field", "created"), default=timezone.now)

    class Meta:
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=False, team__isnull=True)
                | Q(owner__isnull=True, team__isnull=False),
                name="webform_owner_or_team",
            ),
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="webform_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LeadSubmission(models.Model):
    """One incoming request, stored before it is processed so that nothing is ever lost."""

    class Source(models.TextChoices):
        FORM = "form", _("web form")
        API = "api", _("inbound API")

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        ACCEPTED = "accepted", _("accepted")
        SPAM = "spam", _("spam")
        REJECTED = "rejected", _("rejected")
        FAILED = "failed", _("failed")

    form = models.ForeignKey(
        WebForm,
        verbose_name=_("web form"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submissions",
    )
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    payload = models.JSONField(_("payload"), default=dict)
    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # The sender's `Idempotency-Key` (inbound API): a replay of the same request is refused.
    idempotency_key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(pgettext_lazy("field", "created"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED)
    error_code = models.CharField(max_length=40, blank=True)
    error = models.TextField(_("error"), blank=True)
    field_errors = models.JSONField(default=dict, blank=True)
    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    contact_matched = models.BooleanField(_("existing contact"), default=False)
    deal = models.ForeignKey(
        "deals.Deal",
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("lead submission")
        verbose_name_plural = _("lead submissions")
        constraints = [
            models.UniqueConstraint(
                fields=["form", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="leadsubmission_idempotent",
            )
        ]
        indexes = [
            models.Index(fields=["form", "-created_at", "-id"], name="leadsubmission_form_idx"),
            models.Index(fields=["-created_at", "-id"], name="leadsubmission_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} #{self.pk}"
