"""API representations of the sales pipeline. They check the shape of input only; the deal services
own every rule (required fields per stage, who may own or see what, currency conversion)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tandem.accounts.models import User
from tandem.accounts.visibility import scope_q
from tandem.api.serializers import StrictMixin
from tandem.contacts.models import Company, Contact
from tandem.deals.models import (
    Currency,
    Deal,
    DealContact,
    DealLine,
    LostReason,
    Pipeline,
    Product,
    Stage,
)


def _request_user(context: dict[str, Any]) -> User | None:
    user = getattr(context.get("request"), "user", None)
    return user if user is not None and user.is_authenticated else None


@extend_schema_field(OpenApiTypes.INT)
class VisibleCompanyField(serializers.PrimaryKeyRelatedField):
    """A company the requesting user can see (or the one the deal already has)."""

    def get_queryset(self) -> QuerySet[Company]:
        user = _request_user(self.context)
        if user is None:
            return Company.objects.none()
        # Invisible and missing companies get the same answer; the service checks again.
        visible = Q(scope_q(user, Company, "view"), deleted_at__isnull=True)
        current = getattr(self.root.instance, "company_id", None)
        return Company.objects.filter(visible | Q(pk=current) if current else visible)


@extend_schema_field(OpenApiTypes.INT)
class VisibleContactField(serializers.PrimaryKeyRelatedField):
    """A contact the requesting user can see (or one already on the deal)."""

    def get_queryset(self) -> QuerySet[Contact]:
        user = _request_user(self.context)
        if user is None:
            return Contact.objects.none()
        visible = Q(scope_q(user, Contact, "view"), deleted_at__isnull=True)
        deal = self.root.instance
        if isinstance(deal, Deal):
            visible |= Q(pk__in=DealContact.objects.filter(deal=deal).values("contact_id"))
        return Contact.objects.filter(visible)


class ActivePipelineField(serializers.PrimaryKeyRelatedField):
    """An active pipeline, or the one the deal is already in (so a GET body can be sent back)."""

    def get_queryset(self) -> QuerySet[Pipeline]:
        current = getattr(self.root.instance, "pipeline_id", None)
        active = Q(is_active=True)
        return Pipeline.objects.filter(active | Q(pk=current) if current else active)


class DealContactSerializer(StrictMixin, serializers.Serializer):
    """A person taking part in the deal, with their role in it (decision maker, buyer…)."""

    contact = VisibleContactField(help_text="Id of a contact you can see.")
    name = serializers.CharField(source="contact", read_only=True)
    role = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class DealLineSerializer(StrictMixin, serializers.ModelSerializer):
    """A product line. `total` = quantity × unit price less the discount."""

    product = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.all(),
        required=False,
        allow_null=True,
        help_text="Product id, or null for a free-text line.",
    )
    name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Default: the product's name."
    )
    unit_price = serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        min_value=0,  # type: ignore[arg-type]
        required=False,
        help_text="Default: the product's price.",
    )
    total = serializers.DecimalField(max_digits=20, decimal_places=2, read_only=True)

    class Meta:
        model = DealLine
        fields = ["id", "product", "name", "quantity", "unit_price", "discount_percent", "total"]
        read_only_fields = ["id"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        product = attrs.get("product")
        if "unit_price" not in attrs:
            if product is None:
                raise serializers.ValidationError({"unit_price": [_("Give a unit price or a product.")]})
            attrs["unit_price"] = product.price
        if not (attrs.get("name") or "").strip() and product is None:
            raise serializers.ValidationError({"name": [_("Give a name or a product.")]})
        return attrs


class DealSerializer(StrictMixin, serializers.ModelSerializer):
    """A deal. Its stage changes only through `POST /api/v1/deals/{id}/move/`."""

    pipeline = ActivePipelineField(help_text="Pipeline id (an active one). Fixed once the deal exists.")
    stage = serializers.PrimaryKeyRelatedField(
        queryset=Stage.objects.all(),
        required=False,
        help_text="Stage id. On create: default the pipeline's first open stage. On update: only the "
        "current stage is accepted (move the deal with `POST /api/v1/deals/{id}/move/`).",
    )
    stage_name = serializers.CharField(source="stage.name", read_only=True)
    stage_kind = serializers.CharField(
        source="stage.kind", read_only=True, help_text="`open`, `won` or `lost` (the stage's kind)."
    )
    company = VisibleCompanyField(required=False, allow_null=True, help_text="Id of a company you can see.")
    company_name = serializers.CharField(source="company", read_only=True, allow_null=True)
    contacts = DealContactSerializer(
        many=True, required=False, source="deal_contacts", help_text="Replaces all contacts when given."
    )
    currency = serializers.PrimaryKeyRelatedField(
        queryset=Currency.objects.all(),
        required=False,
        help_text="Currency code (default: the base currency).",
    )
    amount_base = serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="The amount converted to the base currency at the rate of the last edit.",
    )
    lines = DealLineSerializer(many=True, required=False, help_text="Replaces all lines when given.")
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text="Owner's user id (default: you). You may only give deals to people your role allows.",
    )
    owner_name = serializers.CharField(source="owner", read_only=True)

    class Meta:
        model = Deal
        fields = [
            "id", "title", "pipeline", "stage", "stage_name", "stage_kind", "company", "company_name",
            "contacts", "amount", "currency", "amount_base", "amount_from_lines", "lines",
            "expected_close_date", "owner", "owner_name", "channel", "next_step", "next_step_date", "notes",
            "lost_reason", "stage_entered_at", "won_at", "lost_at", "taken_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "id", "lost_reason", "stage_entered_at", "won_at", "lost_at", "taken_at", "created_at",
            "updated_at", "next_step", "next_step_date",
        ]  # fmt: skip
        validators: list[Any] = []
        extra_kwargs = {
            "amount": {
                "help_text": "Not negative. Computed from the lines when `amount_from_lines` is true."
            },
            "lost_reason": {"help_text": "Set by moving the deal to a lost stage."},
            "next_step": {"help_text": "The soonest planned activity's subject: plan one via /activities/."},
            "next_step_date": {"help_text": "The soonest planned activity's day (instance time zone)."},
        }


class DealMoveFieldsSerializer(StrictMixin, serializers.ModelSerializer):
    """Fields the target stage requires, filled in on the way (contacts and lines: edit the deal)."""

    company = VisibleCompanyField(required=False, allow_null=True)
    currency = serializers.PrimaryKeyRelatedField(queryset=Currency.objects.all(), required=False)

    class Meta:
        model = Deal
        # A next step is planned as an activity (POST /activities/), not typed in on the way.
        fields = ["amount", "currency", "expected_close_date", "company", "channel"]
        validators: list[Any] = []
        extra_kwargs = {name: {"required": False} for name in fields}


class DealMoveSerializer(StrictMixin, serializers.Serializer):
    stage = serializers.PrimaryKeyRelatedField(
        queryset=Stage.objects.all(), help_text="Target stage id (of the deal's pipeline, not archived)."
    )
    expected_stage = serializers.PrimaryKeyRelatedField(
        queryset=Stage.objects.all(),
        required=False,
        allow_null=True,
        help_text="The stage you believe the deal is in; if someone moved it meanwhile the move is "
        "refused with 409 `stale`.",
    )
    lost_reason = serializers.PrimaryKeyRelatedField(
        queryset=LostReason.objects.all(),
        required=False,
        allow_null=True,
        help_text="Required when the target stage is a lost stage.",
    )
    fields = DealMoveFieldsSerializer(  # type: ignore[assignment]  # the JSON key; DRF pops declared fields
        required=False, help_text="Missing fields the target stage requires, filled in by the move."
    )


class EmptySerializer(StrictMixin, serializers.Serializer):
    """No body (or `{}`)."""


class StaleErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="`stale`.")
    message = serializers.CharField()
    fields = serializers.DictField(  # type: ignore[assignment]  # the JSON key
        child=serializers.ListField(child=serializers.CharField())
    )
    current_stage = serializers.IntegerField(help_text="Id of the stage the deal is in now.")


class StaleErrorSerializer(serializers.Serializer):
    error = StaleErrorDetailSerializer()


class StageSerializer(serializers.ModelSerializer):
    """A pipeline stage. `required_fields` must be filled before a deal enters it."""

    required_fields = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Stage
        fields = [
            "id", "pipeline", "name", "colour", "probability", "kind", "max_days", "required_fields",
            "position", "is_archived",
        ]  # fmt: skip
        read_only_fields = fields


class PipelineStageSerializer(StageSerializer):
    class Meta(StageSerializer.Meta):
        fields = [name for name in StageSerializer.Meta.fields if name != "pipeline"]
        read_only_fields = fields


class PipelineSerializer(serializers.ModelSerializer):
    """A sales pipeline with its stages in board order (archived stages included, flagged)."""

    stages = PipelineStageSerializer(many=True, read_only=True)

    class Meta:
        model = Pipeline
        fields = ["id", "name", "position", "is_active", "stages"]
        read_only_fields = fields


class CurrencySerializer(serializers.ModelSerializer):
    """A currency; `rate` is how many units of the base currency one unit is worth."""

    class Meta:
        model = Currency
        fields = ["code", "name", "rate", "is_active"]
        read_only_fields = fields


class ProductSerializer(StrictMixin, serializers.ModelSerializer):
    """A product or service offered in deals. Unknown keys are refused with `unknown_field`."""

    currency = serializers.PrimaryKeyRelatedField(queryset=Currency.objects.all(), help_text="Currency code.")

    class Meta:
        model = Product
        fields = ["id", "name", "sku", "category", "unit", "price", "currency", "vat_rate", "is_active"]
        read_only_fields = ["id"]
        validators: list[Any] = []  # SKU uniqueness is the service's rule (code duplicate_sku)
        extra_kwargs: dict[str, dict[str, Any]] = {"sku": {"validators": []}}
