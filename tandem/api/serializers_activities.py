"""API representations of activities and notifications. They check the shape of input only; the
activity services own every rule (links the actor can see, due or done, who may change what)."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db.models import Model, Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tandem.accounts.models import User
from tandem.accounts.visibility import scope_q
from tandem.activities.models import Activity, ActivityType, Attachment, Outcome
from tandem.api.serializers import StrictMixin
from tandem.contacts.models import Company, Contact
from tandem.deals.models import Deal
from tandem.notifications.models import Notification

NAIVE_MESSAGE = _("Include the time zone offset, e.g. 2030-01-31T09:30:00+02:00 or 2030-01-31T07:30:00Z.")


def _request_user(context: dict[str, Any]) -> User | None:
    user = getattr(context.get("request"), "user", None)
    return user if user is not None and user.is_authenticated else None


def _has_offset(value: Any) -> bool | None:
    """False for an ISO 8601 date-time without a UTC offset, None when it is not one at all."""
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        return None
    return None if parsed is None else parsed.tzinfo is not None


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date-time with its offset ("+02:00" or "Z"). Without one the instant is ambiguous,
    so it is refused instead of being guessed in some time zone."""

    default_error_messages = {"naive": NAIVE_MESSAGE}

    def to_internal_value(self, value: Any) -> datetime.datetime:
        if _has_offset(value) is False:
            self.fail("naive")
        return super().to_internal_value(value)  # type: ignore[no-any-return]


class _CurrentOrQuerysetMixin:
    """A related id from `allowed()`, or the one the activity already has (so a GET body can be sent
    back unchanged even when the old value is no longer offered)."""

    model: type[Model]

    def allowed(self, user: User) -> Q:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        user = _request_user(self.context)  # type: ignore[attr-defined]
        if user is None:
            return self.model._default_manager.none()
        condition = self.allowed(user)
        instance = self.root.instance  # type: ignore[attr-defined]
        current = getattr(instance, f"{self.source}_id", None) if isinstance(instance, Model) else None  # type: ignore[attr-defined]
        if current is not None:
            condition |= Q(pk=current)
        return self.model._default_manager.filter(condition)


@extend_schema_field(OpenApiTypes.INT)
class VisibleLinkField(_CurrentOrQuerysetMixin, serializers.PrimaryKeyRelatedField):
    """A deal, contact or company the requesting user can see and that is not in the trash.

    Missing and invisible records get the same answer; the service checks again."""

    def __init__(self, model: type[Deal] | type[Contact] | type[Company], **kwargs: Any):
        self.model = model
        super().__init__(**kwargs)

    def allowed(self, user: User) -> Q:
        return Q(scope_q(user, self.model, "view"), deleted_at__isnull=True)


@extend_schema_field(OpenApiTypes.INT)
class ActiveChoiceField(_CurrentOrQuerysetMixin, serializers.PrimaryKeyRelatedField):
    """An active activity type, outcome or user (or the one the activity already has)."""

    def __init__(self, model: type[ActivityType] | type[Outcome] | type[User], **kwargs: Any):
        self.model = model
        super().__init__(**kwargs)

    def allowed(self, user: User) -> Q:
        return Q(is_active=True)


class ActivitySerializer(StrictMixin, serializers.ModelSerializer):
    """A planned (`due_at`) or done (`done_at`) activity linked to a deal, a contact and/or a company.

    Unknown keys are refused with `unknown_field`. Date-times must carry their offset."""

    type = ActiveChoiceField(ActivityType, help_text="Activity type id (see /api/v1/activity-types/).")
    type_name = serializers.CharField(source="type.name", read_only=True)
    type_kind = serializers.ChoiceField(
        source="type.kind",
        choices=ActivityType.Kind.choices,
        read_only=True,
        help_text="The built-in kind of the type (`other` for types administrators added).",
    )
    deal = VisibleLinkField(Deal, required=False, allow_null=True, help_text="Id of a deal you can see.")
    deal_title = serializers.CharField(source="deal", read_only=True, allow_null=True)
    contact = VisibleLinkField(
        Contact, required=False, allow_null=True, help_text="Id of a contact you can see."
    )
    contact_name = serializers.CharField(source="contact", read_only=True, allow_null=True)
    company = VisibleLinkField(
        Company,
        required=False,
        allow_null=True,
        help_text="Id of a company you can see. Default: the contact's company, else the deal's.",
    )
    company_name = serializers.CharField(source="company", read_only=True, allow_null=True)
    author: serializers.PrimaryKeyRelatedField[User] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    author_name = serializers.CharField(source="author", read_only=True, allow_null=True)
    assignee = ActiveChoiceField(
        User,
        required=False,
        help_text="Who does it: an active user's id (default: you). Giving it to a colleague notifies them.",
    )
    assignee_name = serializers.CharField(source="assignee", read_only=True)
    due_at = AwareDateTimeField(
        required=False,
        allow_null=True,
        help_text="When it is planned (required unless `done_at` is given). Past times are allowed.",
    )
    done_at = AwareDateTimeField(
        required=False,
        allow_null=True,
        help_text="When it was done (not in the future). To finish a planned activity prefer "
        "`POST /api/v1/activities/{id}/done/`.",
    )
    remind_at = AwareDateTimeField(
        required=False,
        allow_null=True,
        help_text="When to remind the assignee. Moves along when `due_at` moves.",
    )
    outcome = ActiveChoiceField(
        Outcome, required=False, allow_null=True, help_text="Outcome id (see /api/v1/outcomes/)."
    )
    outcome_name = serializers.CharField(source="outcome", read_only=True, allow_null=True)
    status = serializers.SerializerMethodField(help_text="`planned` or `done`.")
    is_overdue = serializers.BooleanField(read_only=True, help_text="Planned and its due time has passed.")
    occurred_at = serializers.DateTimeField(
        read_only=True, help_text="The timeline's time: the done time, or the due time while planned."
    )

    class Meta:
        model = Activity
        fields = [
            "id", "type", "type_name", "type_kind", "subject", "description", "deal", "deal_title", "contact",
            "contact_name", "company", "company_name", "author", "author_name", "assignee", "assignee_name",
            "due_at", "duration_minutes", "done_at", "direction", "outcome", "outcome_name", "remind_at",
            "status", "is_overdue", "occurred_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "created_at", "updated_at"]
        validators: list[Any] = []
        extra_kwargs = {
            "direction": {"help_text": "`in` (the client reached out), `out` (we did), or empty."},
            "duration_minutes": {"help_text": "How long it takes or took, in minutes (up to a week)."},
        }

    @extend_schema_field({"type": "string", "enum": ["planned", "done"]})
    def get_status(self, activity: Activity) -> str:
        return "done" if activity.is_done else "planned"


class ActivityDoneSerializer(StrictMixin, serializers.Serializer):
    """Finish a planned activity: how it ended and what was said. Already done: nothing changes."""

    outcome = ActiveChoiceField(
        Outcome, required=False, allow_null=True, help_text="Outcome id (see /api/v1/outcomes/)."
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=10_000,
        default="",
        help_text="What was said; added to the description.",
    )
    done_at = AwareDateTimeField(
        required=False, allow_null=True, help_text="When it was done (default: now; not in the future)."
    )
    duration_minutes = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=60 * 24 * 7, help_text="How long it took."
    )


class ActivityTypeSerializer(serializers.ModelSerializer):
    """A kind of activity. `counts_as_contact`: a done one ends a new lead's untouched clock."""

    class Meta:
        model = ActivityType
        fields = ["id", "name", "kind", "icon", "counts_as_contact", "is_active", "position"]
        read_only_fields = fields


class NotificationSerializer(serializers.ModelSerializer):
    """One notice to you: a reminder, a task from a colleague, an escalation, a digest."""

    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    url = serializers.SerializerMethodField(help_text="The page it is about in the web app, or empty.")
    actor_name = serializers.CharField(source="actor", read_only=True, allow_null=True)
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id", "kind", "kind_label", "title", "body", "url", "actor", "actor_name", "created_at",
            "read_at", "is_read",
        ]  # fmt: skip
        read_only_fields = fields

    def get_url(self, notification: Notification) -> str:
        return f"{settings.SITE_URL}{notification.url}" if notification.url else ""

    def get_is_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class NotificationReadSerializer(StrictMixin, serializers.Serializer):
    """Which of your notifications to mark read: `ids`, or `all: true`."""

    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=1000,
        help_text="Ids of your notifications (others' ids are ignored).",
    )
    all = serializers.BooleanField(required=False, help_text="`true`: every unread notification of yours.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("ids" in attrs) == bool(attrs.get("all")):
            message = _("Send either “ids” or “all”: true.")
            raise serializers.ValidationError({"ids": [message], "all": [message]})
        return attrs


class NotificationReadResultSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notifications were unread and are now read.")
    unread = serializers.IntegerField(help_text="Your unread notifications left (counted up to 100).")


class AttachmentSerializer(serializers.ModelSerializer):
    """A file on an activity. `download` is the authorized URL that streams its content."""

    uploaded_by: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    download = serializers.SerializerMethodField(help_text="GET it (with your token) for the file itself.")

    class Meta:
        model = Attachment
        fields = ["id", "name", "content_type", "size", "uploaded_by", "created_at", "download"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_download(self, attachment: Attachment) -> str:
        path = f"/api/v1/activities/{attachment.activity_id}/attachments/{attachment.pk}/"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class AttachmentUploadSerializer(StrictMixin, serializers.Serializer):
    """One file as multipart/form-data, field `file`: documents, images or audio up to the upload limit;
    programs and scripts are refused whatever their name (400 `program`, `forbidden_type`,
    `content_mismatch`, `too_large`, `empty`)."""

    file = serializers.FileField(allow_empty_file=True, use_url=False)
