"""Forms of the deal pages: the board filters, the deal editor with its contact and product rows, and
the move prompt that asks for what a stage requires. Forms only validate and shape input for the
services; they never save anything themselves."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from tandem.accounts.models import Team, User
from tandem.accounts.services import users_assignable
from tandem.accounts.visibility import Scope, scope_for, team_ids
from tandem.activities.models import ActivityType
from tandem.contacts import selectors as contact_selectors
from tandem.contacts.models import Channel, Company, Contact
from tandem.core.errors import ApplicationError
from tandem.deals.errors import MissingFields
from tandem.deals.models import REQUIRABLE_FIELDS, Currency, Deal, LostReason, Pipeline, Product, Stage
from tandem.deals.money import base_currency_code
from tandem.deals.selectors import DealFilters
from tandem.deals.services import MOVE_FIELDS, ContactInput, LineInput
from tandem.web.forms.contacts import CHOOSER_SIZE, bootstrap

MAX_ROWS = 50
CONTACT_CHOICES_SIZE = 100


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _model_field(form: forms.Form, name: str) -> forms.ModelChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


def _company_choices(visible: QuerySet[Company], chosen: Any) -> list[tuple[Any, str]]:
    """A short list for the chooser's select: the chosen company and the first few by name."""
    shown = list(visible.order_by("name", "id")[:CHOOSER_SIZE])
    if chosen and str(chosen).isdigit() and all(str(c.pk) != str(chosen) for c in shown):
        shown = list(visible.filter(pk=int(chosen))) + shown
    return [("", "—"), *((company.pk, str(company)) for company in shown)]


# --- board filters -------------------------------------------------------------------------------


class BoardFilterForm(forms.Form):
    """The GET form above the board. Invalid values are ignored, never a server error."""

    pipeline = forms.ModelChoiceField(label=_("Pipeline"), queryset=Pipeline.objects.none(), required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False)
    channel = forms.ModelChoiceField(
        label=_("Channel"), queryset=Channel.objects.filter(is_active=True), required=False
    )
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.filter(is_active=True), required=False
    )
    close_from = forms.DateField(label=_("Closing from"), required=False, widget=_date_input())
    close_to = forms.DateField(label=_("Closing to"), required=False, widget=_date_input())

    FILTER_NAMES = ["owner", "team", "channel", "product", "close_from", "close_to"]

    def __init__(self, data: Any = None, *, user: User, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        from tandem.deals.selectors import pipelines_active

        _model_field(self, "pipeline").queryset = pipelines_active()
        scope = scope_for(user, Deal, "view")
        users = User.objects.filter(is_active=True).order_by("full_name", "email")
        if scope is Scope.ALL:
            _model_field(self, "owner").queryset = users
        elif scope is Scope.TEAM:
            _model_field(self, "owner").queryset = users.filter(Q(team_id__in=team_ids(user)) | Q(pk=user.pk))
            _model_field(self, "team").queryset = Team.objects.filter(pk__in=team_ids(user))
        else:
            del self.fields["owner"], self.fields["team"]
        bootstrap(self)
        for field in self.fields.values():
            field.widget.attrs["class"] += (
                " form-select-sm" if "select" in field.widget.attrs["class"] else " form-control-sm"
            )

    def _valid(self, name: str) -> Any:
        if not self.is_bound or name not in self.fields:
            return None
        self.is_valid()
        return self.cleaned_data.get(name)

    def pipeline_choice(self) -> Pipeline | None:
        pipeline: Pipeline | None = self._valid("pipeline")
        return pipeline

    def deal_filters(self) -> DealFilters:
        def pk(name: str) -> int | None:
            value = self._valid(name)
            return value.pk if value is not None else None

        close_from: datetime.date | None = self._valid("close_from")
        close_to: datetime.date | None = self._valid("close_to")
        return DealFilters(
            owner=pk("owner"),
            team=pk("team"),
            channel=pk("channel"),
            product=pk("product"),
            close_from=close_from,
            close_to=close_to,
        )

    @property
    def active_filter_count(self) -> int:
        return sum(1 for name in self.FILTER_NAMES if self._valid(name))


# --- the deal editor -----------------------------------------------------------------------------


class ContactRowForm(forms.Form):
    contact = forms.ModelChoiceField(label=_("Contact"), queryset=Contact.objects.none(), required=False)
    role = forms.CharField(label=_("Role in the deal"), max_length=100, required=False)


class LineRowForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none(), required=False)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=14, decimal_places=3, min_value=Decimal("0"), required=False
    )
    unit_price = forms.DecimalField(
        label=_("Unit price"), max_digits=16, decimal_places=2, min_value=Decimal("0"), required=False
    )
    discount_percent = forms.DecimalField(
        label=_("Discount %"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        required=False,
    )

    def is_filled(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return bool(data.get("product") or (data.get("name") or "").strip())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("product") or (cleaned.get("name") or "").strip():
            product = cleaned.get("product")
            if cleaned.get("unit_price") is None:
                if product is None:
                    self.add_error("unit_price", _("Enter the unit price."))
                else:
                    cleaned["unit_price"] = product.price
            if cleaned.get("quantity") is None:
                cleaned["quantity"] = Decimal("1")
        return cleaned


ContactFormSet = forms.formset_factory(ContactRowForm, extra=1, max_num=MAX_ROWS, validate_max=True)
LineFormSet = forms.formset_factory(LineRowForm, extra=1, max_num=MAX_ROWS, validate_max=True)


class DealForm(forms.Form):
    """The editor of one deal. `service_arguments()` gives the keyword arguments of
    `deal_create`/`deal_update`: data, lines, contacts (and stage when creating)."""

    DATA_FIELDS = [
        "title", "company", "pipeline", "amount", "currency", "amount_from_lines", "expected_close_date",
        "owner", "channel", "notes",
    ]  # fmt: skip
    # next_step / next_step_date are not edited here: they mirror the deal's soonest planned activity.

    title = forms.CharField(label=_("Title"), max_length=255)
    pipeline = forms.ModelChoiceField(label=_("Pipeline"), queryset=Pipeline.objects.none())
    stage = forms.ModelChoiceField(
        label=_("Stage"),
        queryset=Stage.objects.none(),
        required=False,
        help_text=_("Empty: the first stage of the pipeline."),
    )
    company = forms.ModelChoiceField(label=_("Company"), queryset=Company.objects.none(), required=False)
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=16, decimal_places=2, min_value=Decimal("0"), required=False
    )
    currency = forms.ModelChoiceField(label=_("Currency"), queryset=Currency.objects.none(), empty_label=None)
    amount_from_lines = forms.BooleanField(label=_("Amount = sum of the products"), required=False)
    expected_close_date = forms.DateField(label=_("Expected close"), required=False, widget=_date_input())
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none())
    channel = forms.ModelChoiceField(label=_("Channel"), queryset=Channel.objects.none(), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(
        self,
        data: Any = None,
        *,
        user: User,
        instance: Deal | None = None,
        company: Company | None = None,
        contact: Contact | None = None,
        **kwargs: Any,
    ) -> None:
        self.user = user
        self.instance = instance
        initial: dict[str, Any] = kwargs.setdefault("initial", {})
        contacts_initial: list[dict[str, Any]] = []
        lines_initial: list[dict[str, Any]] = []
        if instance is not None:
            initial.update({name: getattr(instance, name) for name in self.DATA_FIELDS})
            for name in ["company", "pipeline", "currency", "owner", "channel"]:
                initial[name] = getattr(instance, f"{name}_id")
            contacts_initial = [
                {"contact": link.contact_id, "role": link.role} for link in instance.deal_contacts.all()
            ]
            lines_initial = [
                {
                    "product": line.product_id,
                    "name": line.name,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "discount_percent": line.discount_percent,
                }
                for line in instance.lines.all()
            ]
        else:
            initial.setdefault("currency", base_currency_code())
            initial.setdefault("owner", user.pk)
            if company is not None:
                initial["company"] = company.pk
            if contact is not None:
                contacts_initial = [{"contact": contact.pk, "role": ""}]
                if company is None and contact.company_id:
                    initial["company"] = contact.company_id
        super().__init__(data, **kwargs)
        from tandem.deals.selectors import pipelines_active

        pipelines = pipelines_active()
        _model_field(self, "pipeline").queryset = pipelines
        if instance is None:
            first = pipelines.first()
            if first is not None:
                self.fields["pipeline"].initial = first.pk
            stage_field = _model_field(self, "stage")
            stage_field.queryset = (
                Stage.objects.filter(pipeline__in=pipelines, is_archived=False)
                .select_related("pipeline")
                .order_by("pipeline__position", "pipeline_id", "position", "id")
            )
            stage_field.label_from_instance = lambda stage: f"{stage.pipeline} · {stage.name}"  # type: ignore[method-assign,assignment]
        else:
            del self.fields["pipeline"], self.fields["stage"]
        current_currency = instance.currency_id if instance else None
        _model_field(self, "currency").queryset = Currency.objects.filter(
            Q(is_active=True) | Q(pk=current_currency)
        )
        assignable = users_assignable(actor=user)
        if instance is not None:
            assignable |= Q(pk=instance.owner_id)
        _model_field(self, "owner").queryset = User.objects.filter(assignable).order_by("full_name", "email")
        current_channel = instance.channel_id if instance else None
        _model_field(self, "channel").queryset = Channel.objects.filter(
            Q(is_active=True) | Q(pk=current_channel)
        )
        # A deal shared with the editor may name a company they cannot see: keep it as it is.
        self.company_hidden = bool(
            instance is not None
            and instance.company_id
            and contact_selectors.visible_company_or_none(user=user, company=instance.company) is None
        )
        if self.company_hidden:
            del self.fields["company"]
        else:
            visible = contact_selectors.company_list(actor=user).prefetch_related(None)
            company_field = _model_field(self, "company")
            company_field.queryset = visible
            chosen = self.data.get(self.add_prefix("company")) if self.is_bound else initial.get("company")
            company_field.widget.choices = _company_choices(visible, chosen)
        bootstrap(self)
        self.contacts = ContactFormSet(data, prefix="contacts", initial=contacts_initial)
        self.lines = LineFormSet(data, prefix="lines", initial=lines_initial)
        self._setup_rows(initial.get("company"), contacts_initial)
        self.missing_rows: dict[str, str] = {}

    def _setup_rows(self, company_id: Any, contacts_initial: list[dict[str, Any]]) -> None:
        visible_contacts = contact_selectors.contact_list(actor=self.user).prefetch_related(None)
        chosen_ids = {row["contact"] for row in contacts_initial}
        if self.is_bound:
            chosen_ids |= {
                int(value)
                for key, value in self.data.items()
                if key.startswith("contacts-") and key.endswith("-contact") and str(value).isdigit()
            }
        shown_query = Q(pk__in=chosen_ids)
        if company_id and str(company_id).isdigit():
            shown_query |= Q(company_id=int(company_id))
        shown = list(
            visible_contacts.filter(shown_query).order_by("last_name", "first_name", "id")[
                :CONTACT_CHOICES_SIZE
            ]
        )
        if len(shown) < 10:
            shown += [
                c
                for c in visible_contacts.order_by("last_name", "first_name", "id")[:CONTACT_CHOICES_SIZE]
                if c not in shown
            ]
        contact_choices = [("", "—"), *((contact.pk, str(contact)) for contact in shown)]
        products = Product.objects.filter(is_active=True).order_by("name", "id")
        product_choices = [("", "—"), *((product.pk, str(product)) for product in products[:500])]
        for contact_row in [*self.contacts.forms, self.contacts.empty_form]:
            field = _model_field(contact_row, "contact")
            field.queryset = visible_contacts
            field.widget.choices = contact_choices
            bootstrap(contact_row)
        for row in [*self.lines.forms, self.lines.empty_form]:
            field = _model_field(row, "product")
            field.queryset = Product.objects.all()
            field.widget.choices = product_choices
            bootstrap(row)

    def is_valid(self) -> bool:
        valid = super().is_valid()
        return self.contacts.is_valid() & self.lines.is_valid() & valid

    def service_arguments(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.DATA_FIELDS if name in self.cleaned_data}
        if self.instance is not None:
            data.pop("pipeline", None)
        contacts = [
            ContactInput(contact=row["contact"], role=row.get("role") or "")
            for row in self.contacts.cleaned_data
            if row.get("contact")
        ]
        if self.company_hidden and self.instance is not None:
            data.pop("company", None)
        lines = [
            LineInput(
                name=row.get("name") or "",
                quantity=row["quantity"],
                unit_price=row["unit_price"],
                discount_percent=row.get("discount_percent") or Decimal("0"),
                product=row.get("product"),
            )
            for row, row_form in zip(self.lines.cleaned_data, self.lines.forms, strict=False)
            if row_form.is_filled()
        ]
        arguments: dict[str, Any] = {"data": data, "lines": lines, "contacts": contacts}
        if self.instance is None:
            arguments["stage"] = self.cleaned_data.get("stage")
        return arguments

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        stage, pipeline = cleaned.get("stage"), cleaned.get("pipeline")
        if stage is not None and pipeline is not None and stage.pipeline_id != pipeline.pk:
            self.add_error("stage", _("Choose a stage of this pipeline."))
        return cleaned

    def add_service_error(self, error: DjangoValidationError | ApplicationError) -> None:
        """Show what a service refused next to the fields it concerns (or above the form)."""
        if isinstance(error, MissingFields):
            if any(name in NEXT_STEP_FIELDS for name in error.fields):
                self.add_error(
                    "stage" if "stage" in self.fields else None,
                    _(
                        "This stage needs a planned next step: create the deal in an earlier stage, "
                        "plan an activity on its card, then move it."
                    ),
                )
            for name in error.fields:
                message = _("This stage requires it.")
                if name in NEXT_STEP_FIELDS:
                    continue
                if name in ("contacts", "lines"):
                    self.missing_rows[name] = str(message)
                elif name in self.fields:
                    self.add_error(name, message)
                else:
                    self.add_error(None, f"{REQUIRABLE_FIELDS.get(name, name)}: {message}")
            if self.missing_rows:
                self.add_error(None, error.message)
            return
        if isinstance(error, ApplicationError):
            self.add_error("owner" if error.code == "owner_not_allowed" else None, error.message)
            return
        if hasattr(error, "error_dict"):
            for name, messages in error.message_dict.items():
                if name in ("contacts", "lines"):
                    self.missing_rows[name] = " ".join(messages)
                    self.add_error(None, messages)
                else:
                    self.add_error(name if name in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)


# --- the move prompt -----------------------------------------------------------------------------


NEXT_STEP_FIELDS = ("next_step", "next_step_date")
NEXT_ACTIVITY = "next_activity"


class MoveForm(forms.Form):
    """A move to another stage, with what the stage requires when the deal lacks it.

    `shown` names the fields the prompt asks for (posted back as `fields`); only those go to the
    service, so a plain "Move to…" post cannot change anything but the stage. A stage requiring a
    next step asks to plan an activity instead (`next_activity`): the deal's next step mirrors it.
    """

    stage = forms.ModelChoiceField(label=_("Stage"), queryset=Stage.objects.none())
    expected_stage = forms.ModelChoiceField(
        queryset=Stage.objects.none(), required=False, widget=forms.HiddenInput
    )
    asked_fields = forms.CharField(required=False, widget=forms.HiddenInput)
    lost_reason = forms.ModelChoiceField(
        label=_("Why was it lost?"), queryset=LostReason.objects.filter(is_active=True), required=False
    )
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=16, decimal_places=2, min_value=Decimal("0"), required=False
    )
    currency = forms.ModelChoiceField(label=_("Currency"), queryset=Currency.objects.none(), required=False)
    expected_close_date = forms.DateField(label=_("Expected close"), required=False, widget=_date_input())
    company = forms.ModelChoiceField(label=_("Company"), queryset=Company.objects.none(), required=False)
    contact = forms.ModelChoiceField(
        label=_("Contact person"), queryset=Contact.objects.none(), required=False
    )
    contact_role = forms.CharField(label=_("Role in the deal"), max_length=100, required=False)
    activity_type = forms.ModelChoiceField(
        label=_("Type"), queryset=ActivityType.objects.none(), required=False, empty_label=None
    )
    activity_subject = forms.CharField(label=_("Subject"), max_length=255, required=False)
    activity_due = forms.DateTimeField(
        label=_("Due"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    channel = forms.ModelChoiceField(
        label=_("Channel"), queryset=Channel.objects.filter(is_active=True), required=False
    )
    board_query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    next = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    ASKABLE = [*(name for name in MOVE_FIELDS if name not in NEXT_STEP_FIELDS), "contacts", "lost_reason"]
    ASKABLE += [NEXT_ACTIVITY]

    def __init__(self, data: Any = None, *, user: User, deal: Deal, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.user, self.deal = user, deal
        stages = Stage.objects.filter(pipeline_id=deal.pipeline_id, is_archived=False).order_by(
            "position", "id"
        )
        _model_field(self, "stage").queryset = stages
        _model_field(self, "expected_stage").queryset = Stage.objects.filter(pipeline_id=deal.pipeline_id)
        _model_field(self, "currency").queryset = Currency.objects.filter(is_active=True)
        _model_field(self, "currency").initial = deal.currency_id
        visible_companies = contact_selectors.company_list(actor=user).prefetch_related(None)
        company_field = _model_field(self, "company")
        company_field.queryset = visible_companies
        chosen = self.data.get(self.add_prefix("company")) if self.is_bound else None
        company_field.widget.choices = _company_choices(visible_companies, chosen)
        # The contact to add: people of the deal's company first (the ones the user may see).
        visible_contacts = contact_selectors.contact_list(actor=user).prefetch_related(None)
        contact_field = _model_field(self, "contact")
        contact_field.queryset = visible_contacts
        people = visible_contacts.order_by("last_name", "first_name", "id")
        if deal.company_id:
            people = people.filter(company_id=deal.company_id)
        contact_field.widget.choices = [
            ("", "—"),
            *((person.pk, str(person)) for person in people[:CONTACT_CHOICES_SIZE]),
        ]
        _model_field(self, "activity_type").queryset = ActivityType.objects.filter(is_active=True).order_by(
            "position", "name"
        )
        self.shown: list[str] = []
        bootstrap(self)

    def ask(self, names: list[str]) -> None:
        """Show the prompt for `names` (what the stage requires, or the lost reason); a required
        next step becomes "plan the next activity"."""
        if any(name in NEXT_STEP_FIELDS for name in names):
            names = [name for name in names if name not in NEXT_STEP_FIELDS] + [NEXT_ACTIVITY]
        self.shown = [name for name in names if name in self.ASKABLE]
        self.unaskable = [name for name in names if name not in self.ASKABLE]
        self.initial["asked_fields"] = ",".join(self.shown)
        data = getattr(self, "data", None)
        if self.is_bound and data is not None:
            mutable = data.copy()
            mutable[self.add_prefix("asked_fields")] = ",".join(self.shown)
            if not mutable.get(self.add_prefix("currency")):
                mutable[self.add_prefix("currency")] = self.deal.currency_id
            self.data = mutable

    def asked(self) -> list[str]:
        raw = self.cleaned_data.get("asked_fields") or ""
        return [name for name in raw.split(",") if name in self.ASKABLE]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        asked = [name for name in (cleaned.get("asked_fields") or "").split(",") if name in self.ASKABLE]
        for name in asked:
            if name == "contacts":
                if not cleaned.get("contact"):
                    self.add_error("contact", _("Choose the contact person."))
            elif name in self.fields and cleaned.get(name) in (None, ""):
                self.add_error(name, _("This stage requires it."))
        if "amount" in asked and not cleaned.get("currency"):
            self.add_error("currency", _("Choose the currency."))
        if NEXT_ACTIVITY in asked:
            if cleaned.get("activity_due") is None and "activity_due" not in self.errors:
                self.add_error("activity_due", _("Set when the next step is due."))
            if cleaned.get("activity_type") is None and "activity_type" not in self.errors:
                self.add_error("activity_type", _("Choose the type."))
        return cleaned

    def planned_activity(self) -> dict[str, Any] | None:
        """The `activity_create` arguments of the next step asked for (None when not asked)."""
        if NEXT_ACTIVITY not in self.asked():
            return None
        activity_type = self.cleaned_data["activity_type"]
        subject = (self.cleaned_data.get("activity_subject") or "").strip() or activity_type.name
        return {"type": activity_type, "subject": subject, "due_at": self.cleaned_data["activity_due"]}

    def add_activity_error(self, error: DjangoValidationError | ApplicationError) -> None:
        """Show what the activity service refused on the prompt's next-step fields."""
        fields = {"type": "activity_type", "subject": "activity_subject", "due_at": "activity_due"}
        if isinstance(error, DjangoValidationError) and hasattr(error, "error_dict"):
            for name, messages in error.message_dict.items():
                self.add_error(fields.get(name), messages)
        elif isinstance(error, DjangoValidationError):
            self.add_error(None, error.messages)
        else:
            self.add_error(None, error.message)

    def move_fields(self) -> dict[str, Any]:
        asked = self.asked()
        values = {
            name: self.cleaned_data[name]
            for name in MOVE_FIELDS
            if name in asked and name not in NEXT_STEP_FIELDS
        }
        if "amount" in asked:
            values["currency"] = self.cleaned_data["currency"]
        return values

    def contact_to_add(self) -> ContactInput | None:
        if "contacts" not in self.asked() or not self.cleaned_data.get("contact"):
            return None
        return ContactInput(
            contact=self.cleaned_data["contact"], role=self.cleaned_data.get("contact_role") or ""
        )
