"""Forms of the client base pages: list filters, company/contact editors, bulk actions, sharing.

Forms only validate and shape input for the services; they never save anything themselves.
"""

from __future__ import annotations

import datetime
from functools import cached_property
from typing import Any

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tandem.accounts.models import Team, User
from tandem.accounts.services import users_assignable
from tandem.accounts.visibility import Scope, scope_for, team_ids
from tandem.contacts import selectors
from tandem.contacts.models import (
    MESSENGERS,
    Channel,
    ClientCategory,
    Company,
    Contact,
    ContactRole,
    Industry,
    Tag,
)
from tandem.contacts.selectors import COMPANY_SORTS, CONTACT_SORTS, ListFilters
from tandem.contacts.services import EmailInput, PhoneInput, tag_get_or_create
from tandem.core.errors import ApplicationError
from tandem.core.phones import InvalidPhone, parse_phone
from tandem.web.forms.widgets import quicken, record_choices

MAX_POINTS = 20
CHOOSER_SIZE = 100
TAG_CHOICES_SIZE = 100
BULK_MAX = 500

SORT_LABELS = {
    "name": _("Name A→Z"),
    "-name": _("Name Z→A"),
    "created": _("Oldest first"),
    "-created": _("Newest first"),
    "-updated": _("Recently updated"),
    "recent": _("Recently added"),
}
MESSENGER_LABELS = {
    "telegram": _("Telegram"),
    "viber": _("Viber"),
    "whatsapp": _("WhatsApp"),
    "signal": _("Signal"),
    "skype": _("Skype"),
}


def _active(model: Any) -> QuerySet[Any]:
    return model.objects.filter(is_active=True)


def bootstrap(form: forms.Form) -> None:
    """Give each widget its Bootstrap class; templates then render plain `{{ field }}`."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField) and field.empty_label is not None:
            field.empty_label = "—"  # as the company chooser, instead of Django's "---------"
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs.setdefault("class", css)
    quicken(form)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# --- list filters --------------------------------------------------------------------------------


def _newest_first_when_searching(data: Any) -> Any:
    """Search results come newest first unless a sort is chosen: a common prefix matches tens of
    thousands of names, which the database cannot sort by name quickly, while walking the records
    newest first (primary key order) stops at the page."""
    if data is not None and str(data.get("q", "")).strip() and not data.get("sort"):
        data = data.copy()
        data["sort"] = "recent"
    return data


class ListFilterForm(forms.Form):
    """The GET form above a list. Invalid values are reported and ignored, never a server error."""

    sorts: dict[str, list[str]] = COMPANY_SORTS
    default_sort = "name"

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=ClientCategory.objects.all(), required=False
    )
    industry = forms.ModelChoiceField(label=_("Industry"), queryset=Industry.objects.all(), required=False)
    tag = forms.ModelChoiceField(label=_("Tag"), queryset=Tag.objects.all(), required=False)
    created_from = forms.DateField(label=_("Created from"), required=False, widget=_date_input())
    created_to = forms.DateField(label=_("Created to"), required=False, widget=_date_input())
    sort = forms.ChoiceField(label=_("Sort"), required=False)

    model: type[Company] | type[Contact] = Company

    def __init__(self, data: Any = None, *, user: User, **kwargs: Any) -> None:
        data = _newest_first_when_searching(data)
        super().__init__(data, **kwargs)
        # Offer only the owners and teams whose records the user can see at all.
        scope = scope_for(user, self.model, "view")
        owner_field, team_field = self.fields["owner"], self.fields["team"]
        assert isinstance(owner_field, forms.ModelChoiceField) and isinstance(
            team_field, forms.ModelChoiceField
        )
        users = User.objects.filter(is_active=True).order_by("full_name", "email")
        if scope is Scope.ALL:
            owner_field.queryset = users
        elif scope is Scope.TEAM:
            owner_field.queryset = users.filter(Q(team_id__in=team_ids(user)) | Q(pk=user.pk))
            team_field.queryset = Team.objects.filter(pk__in=team_ids(user))
        else:
            del self.fields["owner"], self.fields["team"]
        sort_field = self.fields["sort"]
        assert isinstance(sort_field, forms.ChoiceField)
        sort_field.choices = [(key, SORT_LABELS[key]) for key in self.sorts]
        self.fields["q"].widget.attrs.update(
            {"type": "search", "placeholder": _("Name, phone, email, tax id…")}
        )
        bootstrap(self)

    def _valid(self, name: str) -> Any:
        """The cleaned value of one field, or None when it was missing, invalid or not offered."""
        if not self.is_bound or name not in self.fields:
            return None
        self.is_valid()
        return self.cleaned_data.get(name)

    def list_filters(self) -> ListFilters:
        def pk(name: str) -> int | None:
            value = self._valid(name)
            return value.pk if value is not None else None

        created_from: datetime.date | None = self._valid("created_from")
        created_to: datetime.date | None = self._valid("created_to")
        return ListFilters(
            search=self._valid("q") or "",
            owner=pk("owner"),
            team=pk("team"),
            category=pk("category"),
            industry=pk("industry"),
            tag=pk("tag"),
            created_from=created_from,
            created_to=created_to,
        )

    def ordering(self) -> list[str]:
        return self.sorts[self.sort_key()]

    def sort_key(self) -> str:
        return self._valid("sort") or self.default_sort

    @property
    def searching(self) -> bool:
        return bool(self._valid("q"))

    @property
    def active_filter_count(self) -> int:
        names = ["owner", "team", "category", "industry", "tag", "created_from", "created_to"]
        return sum(1 for name in names if self._valid(name))


class CompanyFilterForm(ListFilterForm):
    sorts = COMPANY_SORTS
    model = Company


class ContactFilterForm(ListFilterForm):
    sorts = CONTACT_SORTS
    model = Contact


# --- phones and emails ---------------------------------------------------------------------------


class PointRowForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap(self)
        self.fields["label"].widget.attrs["placeholder"] = _("mobile, office…")


class PhoneRowForm(PointRowForm):
    number = forms.CharField(label=_("Phone"), required=False, max_length=64)
    label = forms.CharField(label=_("Label"), required=False, max_length=40)

    def clean_number(self) -> str:
        number: str = self.cleaned_data["number"].strip()
        if number:
            try:
                parse_phone(number)
            except InvalidPhone as error:
                raise forms.ValidationError(
                    _("This is not a valid phone number."), code="invalid_phone"
                ) from error
        return number


class EmailRowForm(PointRowForm):
    address = forms.EmailField(label=_("Email"), required=False, max_length=254)
    label = forms.CharField(label=_("Label"), required=False, max_length=40)


PhoneFormSet = forms.formset_factory(PhoneRowForm, extra=1, max_num=MAX_POINTS, validate_max=True)
EmailFormSet = forms.formset_factory(EmailRowForm, extra=1, max_num=MAX_POINTS, validate_max=True)


# --- record editors ------------------------------------------------------------------------------


class RecordForm(forms.Form):
    """The editor of one company or contact: its fields plus phone and email rows and tags.

    `service_arguments()` returns the keyword arguments of `<entity>_create/_update`; it may create
    new tags, so call it inside the same transaction as the service.
    """

    fields_for_service: list[str] = []
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none())
    tags = forms.ModelMultipleChoiceField(
        label=_("Tags"), queryset=Tag.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    new_tags = forms.CharField(
        label=_("Add tags"),
        required=False,
        max_length=500,
        help_text=_("Separate several tags with commas."),
    )

    def __init__(
        self, data: Any = None, *, user: User, instance: Company | Contact | None = None, **kwargs: Any
    ):
        self.user = user
        self.instance = instance
        if instance is not None:
            kwargs.setdefault("initial", {}).update(self.initial_from(instance))
        super().__init__(data, **kwargs)
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.ModelChoiceField)
        assignable = users_assignable(actor=user)
        if instance is not None:
            # The current owner stays selectable even when the editor could not give records to them.
            assignable |= Q(pk=instance.owner_id)
        owner_field.queryset = User.objects.filter(assignable).order_by("full_name", "email")
        if instance is None:
            owner_field.initial = user.pk
        tags_field = self.fields["tags"]
        assert isinstance(tags_field, forms.ModelMultipleChoiceField)
        current_tags = [tag.pk for tag in instance.tags.all()] if instance is not None else []
        tags_field.queryset = Tag.objects.filter(Q(is_active=True) | Q(pk__in=current_tags))
        shown = list(tags_field.queryset.order_by("position", "name")[:TAG_CHOICES_SIZE])
        shown += [tag for tag in Tag.objects.filter(pk__in=current_tags) if tag not in shown]
        tags_field.widget.choices = [(tag.pk, tag.name) for tag in shown]
        tags_field.widget.attrs["class"] = "btn-check"
        bootstrap(self)
        phones_initial = (
            [{"number": str(p), "label": p.label} for p in instance.phones.all()] if instance else []
        )
        emails_initial = (
            [{"address": e.address, "label": e.label} for e in instance.emails.all()] if instance else []
        )
        self.phones = PhoneFormSet(data, prefix="phones", initial=phones_initial)
        self.emails = EmailFormSet(data, prefix="emails", initial=emails_initial)

    def initial_from(self, instance: Company | Contact) -> dict[str, Any]:
        values: dict[str, Any] = {name: getattr(instance, name) for name in self.fields_for_service}
        values["owner"] = instance.owner_id
        values["tags"] = [tag.pk for tag in instance.tags.all()]
        return values

    def is_valid(self) -> bool:
        results = [super().is_valid(), self.phones.is_valid(), self.emails.is_valid()]
        return all(results)

    def bound_field_named(self, html_name: str) -> forms.BoundField | None:
        """The bound field (of this form or a phone/email row) whose input is `html_name`."""
        for form in [self, *self.phones.forms, *self.emails.forms]:
            for name in form.fields:
                if form.add_prefix(name) == html_name:
                    return form[name]
        return None

    def new_tag_names(self) -> list[str]:
        names = [" ".join(name.split()) for name in self.cleaned_data.get("new_tags", "").split(",")]
        return [name for name in names if name]

    def service_data(self) -> dict[str, Any]:
        data = {
            name: self.cleaned_data[name] for name in self.fields_for_service if name in self.cleaned_data
        }
        owner = self.cleaned_data["owner"]
        if self.instance is None or owner.pk != self.instance.owner_id:
            data["owner"] = owner
        return data

    def service_arguments(self) -> dict[str, Any]:
        tags = list(self.cleaned_data["tags"])
        for name in self.new_tag_names():
            tag = tag_get_or_create(actor=self.user, name=name)
            if tag not in tags:
                tags.append(tag)
        phones = [
            PhoneInput(number=row["number"], label=row.get("label", ""))
            for row in self.phones.cleaned_data
            if row.get("number")
        ]
        emails = [
            EmailInput(address=row["address"], label=row.get("label", ""))
            for row in self.emails.cleaned_data
            if row.get("address")
        ]
        return {"data": self.service_data(), "phones": phones, "emails": emails, "tags": tags}

    def add_service_error(self, error: DjangoValidationError | ApplicationError) -> None:
        """Show what a service refused next to the field it concerns (or above the form)."""
        if isinstance(error, ApplicationError):
            field = "owner" if error.code == "owner_not_allowed" else None
            self.add_error(field, error.message)
            return
        if hasattr(error, "error_dict"):
            for name, messages in error.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)


class CompanyForm(RecordForm):
    fields_for_service = [
        "name", "legal_form", "tax_id", "industry", "category", "channel", "website", "address",
        "delivery_address", "needs", "notes",
    ]  # fmt: skip

    name = forms.CharField(label=_("Name"), max_length=255)
    legal_form = forms.CharField(
        label=_("Legal form"), max_length=20, required=False, help_text=_("ООД, ЕООД, АД, LLC, GmbH…")
    )
    tax_id = forms.CharField(
        label=_("Tax id"), max_length=32, required=False, help_text=_("EIK, BULSTAT, INN or VAT number")
    )
    industry = forms.ModelChoiceField(label=_("Industry"), queryset=_active(Industry), required=False)
    category = forms.ModelChoiceField(
        label=_("Client category"), queryset=_active(ClientCategory), required=False
    )
    channel = forms.ModelChoiceField(label=_("Source channel"), queryset=_active(Channel), required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    address = forms.CharField(
        label=_("Registered address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    delivery_address = forms.CharField(
        label=_("Delivery address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    needs = forms.CharField(
        label=_("Why interested / what they need"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    field_order = [
        "name", "legal_form", "tax_id", "industry", "category", "channel", "website", "owner", "address",
        "delivery_address", "needs", "notes", "tags", "new_tags",
    ]  # fmt: skip


class ContactForm(RecordForm):
    fields_for_service = [
        "first_name", "middle_name", "last_name", "company", "position", "role", "channel", "birthday",
        "interests", "preferences", "marketing_consent", "notes",
    ]  # fmt: skip

    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    middle_name = forms.CharField(label=_("Middle name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    company = forms.ModelChoiceField(label=_("Company"), queryset=Company.objects.none(), required=False)
    position = forms.CharField(label=_("Position"), max_length=150, required=False)
    role = forms.ModelChoiceField(label=_("Role at company"), queryset=_active(ContactRole), required=False)
    channel = forms.ModelChoiceField(label=_("Source channel"), queryset=_active(Channel), required=False)
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=_date_input())
    interests = forms.CharField(
        label=_("Interests and needs"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    preferences = forms.CharField(
        label=_("Preferences"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    marketing_consent = forms.BooleanField(label=_("Agrees to marketing"), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(
        self,
        data: Any = None,
        *,
        user: User,
        instance: Contact | None = None,
        company: Company | None = None,
        **kwargs: Any,
    ):
        if company is not None:
            kwargs.setdefault("initial", {})["company"] = company.pk
        super().__init__(data, user=user, instance=instance, **kwargs)
        # A contact shared with the editor may belong to a company they cannot see: keep it as it is.
        self.company_hidden = bool(
            instance is not None
            and instance.company_id
            and selectors.visible_company_or_none(user=user, company=instance.company) is None
        )
        company_field = self.fields["company"]
        assert isinstance(company_field, forms.ModelChoiceField)
        if self.company_hidden:
            del self.fields["company"]
        else:
            company_field.queryset = selectors.company_list(actor=user).prefetch_related(None)
            company_field.widget.choices = self._company_choices(company_field.queryset)

    def _company_choices(self, visible: QuerySet[Company]) -> list[tuple[Any, str]]:
        """A short list for the select: the chosen company and the first few by name; search finds more."""
        chosen = self.data.get(self.add_prefix("company")) if self.is_bound else self.initial.get("company")
        shown = list(visible.order_by("name", "id")[:CHOOSER_SIZE])
        if chosen and str(chosen).isdigit() and all(str(c.pk) != str(chosen) for c in shown):
            shown = list(visible.filter(pk=int(chosen))) + shown
        return [("", "—"), *((company.pk, str(company)) for company in shown)]

    def initial_from(self, instance: Company | Contact) -> dict[str, Any]:
        values = super().initial_from(instance)
        assert isinstance(instance, Contact)
        values["company"] = instance.company_id
        for messenger, handle in (instance.messengers or {}).items():
            values[f"messenger_{messenger}"] = handle
        return values

    def messenger_fields(self) -> list[forms.BoundField]:
        return [self[f"messenger_{messenger}"] for messenger in MESSENGERS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not (cleaned.get("first_name") or cleaned.get("last_name")):
            self.add_error("first_name", _("Enter a first or a last name."))
        return cleaned

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        data["messengers"] = {
            messenger: self.cleaned_data[f"messenger_{messenger}"].strip()
            for messenger in MESSENGERS
            if self.cleaned_data.get(f"messenger_{messenger}", "").strip()
        }
        return data


for _messenger in MESSENGERS:
    ContactForm.base_fields[f"messenger_{_messenger}"] = forms.CharField(
        label=MESSENGER_LABELS[_messenger], max_length=100, required=False
    )


# --- bulk actions and sharing --------------------------------------------------------------------


class BulkActionForm(forms.Form):
    """A bulk action on the ticked records; which of them the user may change is the service's call."""

    ACTIONS = [
        ("reassign", _("Reassign to…")),
        ("tag", _("Add tag…")),
        ("trash", _("Move to trash")),
    ]

    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    owner = forms.ModelChoiceField(label=_("New owner"), queryset=User.objects.none(), required=False)
    tag = forms.CharField(label=_("Tag"), max_length=100, required=False)

    def __init__(self, data: Any = None, *, user: User, **kwargs: Any) -> None:
        data = _newest_first_when_searching(data)
        super().__init__(data, **kwargs)
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.ModelChoiceField)
        owner_field.queryset = User.objects.filter(users_assignable(actor=user)).order_by(
            "full_name", "email"
        )
        bootstrap(self)
        for name in self.fields:
            self.fields[name].widget.attrs["class"] += (
                " form-control-sm" if name == "tag" else " form-select-sm"
            )

    @cached_property
    def owner_choices(self) -> list[tuple[Any, Any]]:
        return record_choices(self.fields["owner"])

    def selected_ids(self) -> list[int]:
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        return sorted({int(value) for value in raw if value.isdigit() and len(value) < 19})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        ids = self.selected_ids()
        if not ids:
            self.add_error(None, _("Tick at least one record."))
        elif len(ids) > BULK_MAX:
            self.add_error(
                None,
                ngettext(
                    "Choose at most %(count)d record at once.",
                    "Choose at most %(count)d records at once.",
                    BULK_MAX,
                )
                % {"count": BULK_MAX},
            )
        action = cleaned.get("action")
        if action == "reassign" and not cleaned.get("owner"):
            self.add_error("owner", _("Choose the new owner."))
        if action == "tag" and not " ".join(cleaned.get("tag", "").split()):
            self.add_error("tag", _("Enter a tag."))
        return cleaned


class ShareForm(forms.Form):
    users = forms.ModelMultipleChoiceField(
        label=_("Colleagues"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("They will be able to see and edit this record."),
    )

    def __init__(self, data: Any = None, *, record: Company | Contact, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"users": [user.pk for user in record.shared_with.all()]})
        super().__init__(data, **kwargs)
        users_field = self.fields["users"]
        assert isinstance(users_field, forms.ModelMultipleChoiceField)
        users_field.queryset = (
            User.objects.filter(is_active=True).exclude(pk=record.owner_id).select_related("team")
        ).order_by("full_name", "email")
        bootstrap(self)
