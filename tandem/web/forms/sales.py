"""Forms of the sales pages: the deal list filters and bulk actions, the product catalog and the
sales-process settings. They validate and shape input for the services; they never save anything."""

from __future__ import annotations

import datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from tandem.accounts.models import Team, User
from tandem.accounts.services import users_assignable
from tandem.accounts.visibility import Scope, scope_for, team_ids
from tandem.contacts.models import Channel
from tandem.core.errors import ApplicationError
from tandem.deals.models import (
    REQUIRABLE_FIELDS,
    Currency,
    Deal,
    Pipeline,
    Product,
    ProductCategory,
    Stage,
)
from tandem.deals.selectors import DEAL_SORTS, DealFilters
from tandem.web.forms.contacts import BULK_MAX, bootstrap
from tandem.web.forms.widgets import record_choices

DEAL_SORT_LABELS = {
    "-updated": _("Recently updated"),
    "-created": _("Newest first"),
    "created": _("Oldest first"),
    "title": _("Title A→Z"),
}
STATUS_CHOICES = [
    ("", _("Any status")),
    ("open", pgettext_lazy("deal status", "Open")),
    ("won", pgettext_lazy("deal status", "Won")),
    ("lost", pgettext_lazy("deal status", "Lost")),
    ("untaken", _("Not yet taken")),
    ("stuck", _("Stuck in stage")),
    ("no_next_step", _("No next step")),
]


def add_service_error(form: forms.Form, error: DjangoValidationError | ApplicationError) -> None:
    """Show what a service refused next to the field it concerns (or above the form)."""
    if isinstance(error, ApplicationError):
        form.add_error(None, error.message)
    elif hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _choice(field: forms.Field) -> forms.ModelChoiceField:
    assert isinstance(field, forms.ModelChoiceField)
    return field


# --- the deal list -------------------------------------------------------------------------------


class DealFilterForm(forms.Form):
    """The GET form above the deal list. Invalid values are reported and ignored, never a 500."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    pipeline = forms.ModelChoiceField(label=_("Pipeline"), queryset=Pipeline.objects.all(), required=False)
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=Stage.objects.all(), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False)
    channel = forms.ModelChoiceField(label=_("Channel"), queryset=Channel.objects.all(), required=False)
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.all(), required=False)
    close_from = forms.DateField(label=_("Closes from"), required=False, widget=_date_input())
    close_to = forms.DateField(label=_("Closes to"), required=False, widget=_date_input())
    sort = forms.ChoiceField(
        label=_("Sort"), required=False, choices=[(key, DEAL_SORT_LABELS[key]) for key in DEAL_SORTS]
    )

    FILTER_NAMES = [
        "pipeline", "stage", "status", "owner", "team", "channel", "product", "close_from", "close_to",
    ]  # fmt: skip

    def __init__(self, data: Any = None, *, user: User, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        scope = scope_for(user, Deal, "view")
        users = User.objects.filter(is_active=True).order_by("full_name", "email")
        if scope is Scope.ALL:
            _choice(self.fields["owner"]).queryset = users
        elif scope is Scope.TEAM:
            _choice(self.fields["owner"]).queryset = users.filter(
                Q(team_id__in=team_ids(user)) | Q(pk=user.pk)
            )
            _choice(self.fields["team"]).queryset = Team.objects.filter(pk__in=team_ids(user))
        else:
            del self.fields["owner"], self.fields["team"]
        _choice(self.fields["pipeline"]).queryset = Pipeline.objects.order_by("position", "id")
        stages = Stage.objects.select_related("pipeline").order_by("pipeline__position", "position", "id")
        pipeline = self._valid("pipeline")
        if pipeline is not None:
            stages = stages.filter(pipeline=pipeline)
        stage_field = _choice(self.fields["stage"])
        stage_field.queryset = stages
        stage_field.label_from_instance = lambda stage: (  # type: ignore[method-assign,assignment]
            str(stage) if pipeline is not None else f"{stage.pipeline} · {stage}"
        )
        _choice(self.fields["product"]).queryset = Product.objects.filter(is_active=True).order_by(
            "name", "id"
        )
        self.fields["q"].widget.attrs.update({"type": "search", "placeholder": _("Deal title…")})
        bootstrap(self)

    def _valid(self, name: str) -> Any:
        """The cleaned value of one field, or None when it was missing, invalid or not offered."""
        if not self.is_bound or name not in self.fields:
            return None
        if not hasattr(self, "cleaned_data"):
            self.full_clean()
        return self.cleaned_data.get(name)

    def deal_filters(self) -> DealFilters:
        def pk(name: str) -> int | None:
            value = self._valid(name)
            return value.pk if value is not None else None

        close_from: datetime.date | None = self._valid("close_from")
        close_to: datetime.date | None = self._valid("close_to")
        return DealFilters(
            pipeline=pk("pipeline"),
            stage=pk("stage"),
            owner=pk("owner"),
            team=pk("team"),
            channel=pk("channel"),
            product=pk("product"),
            close_from=close_from,
            close_to=close_to,
            search=self._valid("q") or "",
            status=self._valid("status") or "",
        )

    def ordering(self) -> list[str]:
        return DEAL_SORTS[self._valid("sort") or "-updated"]

    @property
    def active_filter_count(self) -> int:
        return sum(1 for name in self.FILTER_NAMES if self._valid(name))

    @property
    def filtered_pipeline(self) -> Pipeline | None:
        pipeline: Pipeline | None = self._valid("pipeline")
        return pipeline


class DealBulkForm(forms.Form):
    """A bulk action on the ticked deals; which of them the user may change is the service's call."""

    ACTIONS = [("reassign", _("Reassign to…")), ("move", _("Move to stage…"))]

    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    owner = forms.ModelChoiceField(label=_("New owner"), queryset=User.objects.none(), required=False)
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=Stage.objects.none(), required=False)

    def __init__(self, data: Any = None, *, user: User, pipeline: Pipeline | None = None, **kwargs: Any):
        super().__init__(data, **kwargs)
        _choice(self.fields["owner"]).queryset = User.objects.filter(users_assignable(actor=user)).order_by(
            "full_name", "email"
        )
        stages = Stage.objects.filter(is_archived=False).order_by("position", "id")
        if pipeline is not None:
            stages = stages.filter(pipeline=pipeline)
        elif data is None:
            stages = Stage.objects.none()  # moving is offered once the list shows one pipeline
        _choice(self.fields["stage"]).queryset = stages
        bootstrap(self)
        for field in self.fields.values():
            field.widget.attrs["class"] += " form-select-sm"

    @cached_property
    def owner_choices(self) -> list[tuple[Any, Any]]:
        return record_choices(self.fields["owner"])

    @cached_property
    def stage_choices(self) -> list[tuple[Any, Any]]:
        return record_choices(self.fields["stage"])

    def selected_ids(self) -> list[int]:
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        return sorted({int(value) for value in raw if value.isdigit() and len(value) < 19})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        ids = self.selected_ids()
        if not ids:
            self.add_error(None, _("Tick at least one deal."))
        elif len(ids) > BULK_MAX:
            self.add_error(
                None,
                ngettext(
                    "Choose at most %(count)d deal at once.",
                    "Choose at most %(count)d deals at once.",
                    BULK_MAX,
                )
                % {"count": BULK_MAX},
            )
        action = cleaned.get("action")
        if action == "reassign" and not cleaned.get("owner") and "owner" not in self.errors:
            self.add_error("owner", _("Choose the new owner."))
        if action == "move" and not cleaned.get("stage") and "stage" not in self.errors:
            self.add_error("stage", _("Choose the stage."))
        return cleaned


# --- the product catalog -------------------------------------------------------------------------

ACTIVE_CHOICES = [("", _("Active and inactive")), ("yes", _("Active")), ("no", _("Inactive"))]


class ProductFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=ProductCategory.objects.all(), required=False
    )
    active = forms.ChoiceField(label=_("Active"), choices=ACTIVE_CHOICES, required=False)

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["q"].widget.attrs.update({"type": "search", "placeholder": _("Name or SKU…")})
        bootstrap(self)
        _choice(self.fields["category"]).empty_label = _("All categories")

    def _valid(self, name: str) -> Any:
        if not self.is_bound:
            return None
        if not hasattr(self, "cleaned_data"):
            self.full_clean()
        return self.cleaned_data.get(name)

    def apply(self, queryset: QuerySet[Product]) -> QuerySet[Product]:
        search = (self._valid("q") or "").strip()
        if search:
            queryset = queryset.filter(Q(name__icontains=search) | Q(sku__iexact=search))
        category = self._valid("category")
        if category is not None:
            queryset = queryset.filter(category=category)
        active = self._valid("active")
        if active:
            queryset = queryset.filter(is_active=active == "yes")
        return queryset

    @property
    def active_filter_count(self) -> int:
        return sum(1 for name in ("category", "active") if self._valid(name))


class ProductForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    sku = forms.CharField(label=_("SKU"), max_length=64, required=False, help_text=_("Unique when given."))
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=ProductCategory.objects.none(), required=False
    )
    unit = forms.CharField(label=_("Unit"), max_length=20, required=False, help_text=_("pcs, kg, hour…"))
    price = forms.DecimalField(label=_("Price"), max_digits=16, decimal_places=2, min_value=Decimal("0"))
    currency = forms.ModelChoiceField(label=_("Currency"), queryset=Currency.objects.none())
    vat_rate = forms.DecimalField(
        label=_("VAT %"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        initial=Decimal("20"),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, data: Any = None, *, instance: Product | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs.setdefault("initial", {}).update(
                {name: getattr(instance, name) for name in self.base_fields}
                | {"category": instance.category_id, "currency": instance.currency_id}
            )
        super().__init__(data, **kwargs)
        current_category = instance.category_id if instance else None
        current_currency = instance.currency_id if instance else None
        _choice(self.fields["category"]).queryset = ProductCategory.objects.filter(
            Q(is_active=True) | Q(pk=current_category)
        )
        _choice(self.fields["currency"]).queryset = Currency.objects.filter(
            Q(is_active=True) | Q(pk=current_currency)
        )
        if instance is None:
            from tandem.deals.money import base_currency_code

            self.fields["currency"].initial = base_currency_code()
        bootstrap(self)


# --- sales-process settings ----------------------------------------------------------------------


class PipelineForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap(self)


class StageForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    colour = forms.RegexField(
        label=_("Colour"),
        regex=r"^#[0-9a-fA-F]{6}$",
        initial="#0d6efd",
        widget=forms.TextInput(attrs={"type": "color"}),
        error_messages={"invalid": _("Choose a colour.")},
    )
    probability = forms.IntegerField(label=_("Probability %"), min_value=0, max_value=100, initial=10)
    kind = forms.ChoiceField(label=_("Kind"), choices=Stage.Kind.choices, initial=Stage.Kind.OPEN)
    max_days = forms.IntegerField(
        label=_("Max days in stage"),
        min_value=1,
        max_value=3650,
        required=False,
        help_text=_("Deals that stay longer are marked stuck. Empty: no limit."),
    )
    required_fields = forms.MultipleChoiceField(
        label=_("Required to enter"),
        choices=list(REQUIRABLE_FIELDS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, data: Any = None, *, instance: Stage | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs.setdefault("initial", {}).update(
                {name: getattr(instance, name) for name in self.base_fields}
            )
        super().__init__(data, **kwargs)
        bootstrap(self)
        self.fields["colour"].widget.attrs["class"] = "form-control form-control-color"

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields}


class ReferenceItemForm(forms.Form):
    """One entry of an admin-maintained list: lost reasons, lead channels, product categories."""

    name = forms.CharField(label=_("Name"), max_length=100)
    is_active = forms.BooleanField(label=_("Active"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap(self)


class CurrencyForm(forms.Form):
    code = forms.RegexField(
        label=_("Code"),
        regex=r"^[A-Za-z]{3}$",
        error_messages={"invalid": _("Enter a three-letter ISO code, e.g. USD.")},
    )
    name = forms.CharField(label=_("Name"), max_length=60, required=False)
    rate = forms.DecimalField(
        label=_("Rate to base currency"), max_digits=18, decimal_places=8, min_value=Decimal("0.00000001")
    )
    is_active = forms.BooleanField(label=_("Active"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap(self)
