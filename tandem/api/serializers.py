"""API representations. Serializers check the shape of input only; the services own every rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Manager, Q
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from tandem.accounts.models import Team, User
from tandem.accounts.visibility import scope_q
from tandem.contacts.models import MESSENGERS, Company, Contact, Email, Phone


class StrictMixin:
    """Refuse keys the serializer does not declare, so a typo is an error instead of silently ignored.

    Read-only fields are accepted (and ignored) so what a GET returns can be sent back as it is.
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))  # type: ignore[attr-defined]
            if unknown:
                raise serializers.ValidationError(
                    {name: [ErrorDetail(str(_("Unknown field.")), code="unknown_field")] for name in unknown}
                )
        return super().to_internal_value(data)  # type: ignore[misc]


class PhoneSerializer(StrictMixin, serializers.Serializer):
    """A phone number: stored in E.164, shown formatted, with an optional label (mobile, office…)."""

    number = serializers.CharField(
        max_length=64,
        help_text="On read: the number formatted for people (+359 88 812 3456). On write: the number in "
        "any common format (0888 123 456, +359 888 123 456, 00359…; `ext. 12` for an extension).",
    )
    e164 = serializers.CharField(read_only=True, help_text="The number in E.164, e.g. +359888123456.")
    extension = serializers.CharField(read_only=True)
    label = serializers.CharField(  # type: ignore[assignment]  # a field, not Field.label
        max_length=40, required=False, allow_blank=True, default=""
    )

    def to_representation(self, instance: Phone) -> dict[str, Any]:
        return {
            "number": str(instance),
            "e164": instance.e164,
            "extension": instance.extension,
            "label": instance.label,
        }


class EmailSerializer(StrictMixin, serializers.Serializer):
    """An email address with an optional label."""

    address = serializers.CharField(max_length=254, help_text="Trimmed and lower-cased when stored.")
    label = serializers.CharField(  # type: ignore[assignment]  # a field, not Field.label
        max_length=40, required=False, allow_blank=True, default=""
    )

    def to_representation(self, instance: Email) -> dict[str, Any]:
        return {"address": instance.address, "label": instance.label}


class TagNamesField(serializers.ListField):
    """Tags by name; unknown names are created (when the role may create tags)."""

    child = serializers.CharField(max_length=100)

    def to_representation(self, data: Any) -> list[str]:
        tags = data.all() if isinstance(data, Manager) else data
        return sorted(tag.name for tag in tags)


class RecordSerializer(StrictMixin, serializers.ModelSerializer):
    """What companies and contacts share: owner, tags, phones and emails."""

    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text="Owner's user id (default: you). You may only give records to people your role allows.",
    )
    owner_name = serializers.CharField(source="owner", read_only=True)
    tags = TagNamesField(required=False)
    phones = PhoneSerializer(many=True, required=False, help_text="Replaces all phones when given.")
    emails = EmailSerializer(many=True, required=False, help_text="Replaces all emails when given.")


class CompanySerializer(RecordSerializer):
    """A company (legal entity). Unknown keys are refused with `unknown_field`."""

    class Meta:
        model = Company
        fields = [
            "id", "name", "legal_form", "tax_id", "industry", "category", "channel", "website", "address",
            "delivery_address", "needs", "notes", "owner", "owner_name", "tags", "phones", "emails",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "created_at", "updated_at"]
        validators: list[Any] = []  # uniqueness is the service's rule (code duplicate_tax_id)
        extra_kwargs = {
            "tax_id": {"validators": []},
            "legal_form": {"help_text": "ООД, ЕООД, LLC… Split off the name automatically when omitted."},
        }


class ContactSerializer(RecordSerializer):
    """A contact (a person). Unknown keys are refused with `unknown_field`."""

    name = serializers.CharField(source="__str__", read_only=True)
    company = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.none(),
        required=False,
        allow_null=True,
        help_text="Id of a company you can see, or null for a private client.",
    )
    messengers = serializers.DictField(
        child=serializers.CharField(max_length=100, allow_blank=True),
        required=False,
        help_text=f"Messenger handles by messenger: {', '.join(MESSENGERS)}.",
    )

    class Meta:
        model = Contact
        fields = [
            "id", "name", "first_name", "middle_name", "last_name", "company", "position", "role", "channel",
            "birthday", "messengers", "interests", "preferences", "marketing_consent", "notes", "owner",
            "owner_name", "tags", "phones", "emails", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "created_at", "updated_at"]
        validators: list[Any] = []

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # Invisible and missing companies get the same answer; the service checks again.
            # Keeping a company one may no longer see is allowed (the service only checks a new one).
            current = getattr(self.instance, "company_id", None)
            visible = Q(scope_q(user, Company, "view"), deleted_at__isnull=True)
            field = self.fields["company"]
            field.queryset = Company.objects.filter(  # type: ignore[attr-defined]
                visible | Q(pk=current) if current else visible
            )


class TeamSerializer(serializers.ModelSerializer):
    """A sales team."""

    class Meta:
        model = Team
        fields = ["id", "name"]


class MeSerializer(serializers.ModelSerializer):
    """The authenticated user."""

    team = TeamSerializer(read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "role", "team", "language", "time_zone"]
        read_only_fields = fields


class ReferenceItemSerializer(serializers.Serializer):
    """An entry of an admin-maintained list (tag, industry, client category, role, channel)."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    is_active = serializers.BooleanField(
        read_only=True, help_text="Inactive items stay on old records but are not offered for new ones."
    )


class UserSerializer(serializers.ModelSerializer):
    """An active colleague: who owns records and who activities are assigned to. No credentials."""

    team = TeamSerializer(read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "role", "team"]
        read_only_fields = fields
