"""What the company, contact, search and trash pages share: typed requests, page-or-fragment
rendering, the friendly 403, the record kinds, timelines and record-form handling."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from tandem.accounts.models import User
from tandem.contacts import selectors, services
from tandem.contacts.models import MESSENGERS, Company, Contact
from tandem.core.errors import ApplicationError, PermissionDenied
from tandem.history.models import Event
from tandem.web.forms.contacts import MESSENGER_LABELS, BulkActionForm, RecordForm, ShareForm

P = ParamSpec("P")
PAGE_SIZE = 50
VALIDATE_PARAM = "_validate"


class AuthedRequest(HttpRequest):
    """A request that passed `login_required` (and the htmx middleware), for the type checker."""

    user: User
    htmx: HtmxDetails


# --- record kinds --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordKind:
    slug: str
    model: type[Company] | type[Contact]
    get_for_user: Callable[..., Any]
    list_url: str
    detail_url: str

    @property
    def verbose_name_plural(self) -> str:
        return str(self.model._meta.verbose_name_plural)


KINDS = {
    "companies": RecordKind(
        "companies", Company, selectors.company_get_for_user, "company_list", "company_detail"
    ),
    "contacts": RecordKind(
        "contacts", Contact, selectors.contact_get_for_user, "contact_list", "contact_detail"
    ),
}


class KindConverter:
    regex = "companies|contacts"

    def to_python(self, value: str) -> RecordKind:
        return KINDS[value]

    def to_url(self, value: RecordKind | str) -> str:
        return value.slug if isinstance(value, RecordKind) else value


# --- responses -----------------------------------------------------------------------------------


def wants_fragment(request: AuthedRequest) -> bool:
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_page(
    request: AuthedRequest, template: str, context: dict[str, Any], *, fragment: str, status: int = 200
) -> HttpResponse:
    """The full page, or only its `fragment` partial for htmx; either way varying on HX-Request."""
    name = f"{template}#{fragment}" if wants_fragment(request) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def forbidden(request: AuthedRequest, message: str = "") -> HttpResponse:
    context = {"message": message or _("Your role lets you look at this, not change it.")}
    template = "web/records/forbidden.html"
    return render_page(request, template, context, fragment="message", status=403)


def friendly_forbidden(
    view: Callable[Concatenate[AuthedRequest, P], HttpResponse],
) -> Callable[Concatenate[AuthedRequest, P], HttpResponse]:
    """Turn a service's or selector's PermissionDenied into a 403 page instead of a server error."""

    @functools.wraps(view)
    def wrapper(request: AuthedRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as error:
            return forbidden(request, error.message if error.message != "read only" else "")

    return wrapper


def require_add(user: User, model: type[Model]) -> None:
    if not user.has_perm(f"contacts.add_{model._meta.model_name}"):
        raise PermissionDenied(services.cannot_create_message(model))


def redirect_to(request: AuthedRequest, url: str) -> HttpResponse:
    """Go to `url`; htmx requests get a client redirect so the whole page changes."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


def redirect_back(request: AuthedRequest, default: str) -> HttpResponse:
    """Back to the `next` URL of the form when it is ours, else to `default`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(default)


def can_delete(user: User, record: Company | Contact, can_change: bool) -> bool:
    return can_change and user.has_perm(f"contacts.delete_{record._meta.model_name}")


# --- record forms --------------------------------------------------------------------------------


def is_validation_only(request: AuthedRequest) -> bool:
    return request.method == "POST" and VALIDATE_PARAM in request.POST


def validate_field(request: AuthedRequest, form: RecordForm) -> HttpResponse:
    """Inline validation: check the whole form without saving, answer with one field's markup."""
    bound = form.bound_field_named(request.POST.get(VALIDATE_PARAM, ""))
    if bound is None:
        return HttpResponse(status=204)
    form.is_valid()
    response = render(request, "web/records/field.html", {"field": bound, "validate_url": request.path})
    patch_vary_headers(response, ["HX-Request"])
    return response


def save_record(form: RecordForm, save: Callable[..., Company | Contact]) -> Company | Contact | None:
    """Call the service with the form's arguments; on refusal show why on the form, DB unchanged."""
    try:
        # New tags are created in the same transaction, so a refused save leaves none behind.
        with transaction.atomic():
            return save(**form.service_arguments())
    except (DjangoValidationError, ApplicationError) as error:
        form.add_service_error(error)
        return None


def record_form_page(
    request: AuthedRequest,
    form: RecordForm,
    *,
    save: Callable[..., Company | Contact],
    saved_message: Callable[[Company | Contact], str],
    template: str,
    context: dict[str, Any],
) -> HttpResponse:
    """The create/edit flow of a company or contact: inline validation, one service call, then the
    card; a refused or invalid form is shown again with its errors."""
    if is_validation_only(request):
        return validate_field(request, form)
    if request.method == "POST" and form.is_valid():
        record = save_record(form, save)
        if record is not None:
            messages.success(request, saved_message(record))
            return redirect_to(request, reverse(f"{record._meta.model_name}_detail", args=[record.pk]))
    return render_page(request, template, {"form": form, **context}, fragment="form")


# --- timeline ------------------------------------------------------------------------------------

EXTRA_FIELD_LABELS = {
    "phones": gettext_lazy("phones"),
    "emails": gettext_lazy("emails"),
    "tags": gettext_lazy("tags"),
    "shared_with": gettext_lazy("shared with"),
    "messengers": gettext_lazy("messengers"),
    "notification": gettext_lazy("notification"),
    "recipients": gettext_lazy("recipients"),
}


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class TimelineEntry:
    event: Event
    action: str
    about: str  # the record the event concerns when it is not the card's own record
    changes: list[Change] = field(default_factory=list)


def _field_label(model: type[Model] | None, name: str) -> str:
    if name in EXTRA_FIELD_LABELS:
        return str(EXTRA_FIELD_LABELS[name])
    if model is not None:
        try:
            return str(getattr(model._meta.get_field(name), "verbose_name", name))
        except FieldDoesNotExist:  # an old event may name a field that no longer exists
            return name.replace("_", " ")
    return name.replace("_", " ")


def _plain_value(value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(
            f"{MESSENGER_LABELS[key] if key in MESSENGERS else key}: {item}" for key, item in value.items()
        )
    return str(value)


def timeline(record: Company | Contact, events: Any) -> list[TimelineEntry]:
    """Events as people read them: action, the other record they concern, and field old → new."""
    record_type = type(record)
    entries = []
    for event in events:
        model = event.target_type.model_class()
        is_own = model is record_type and event.target_id == record.pk
        changes = [
            Change(_field_label(model, str(item.get("field", ""))), _plain_value(item.get("old")),
                   _plain_value(item.get("new")))
            for item in event.changes or []
            if isinstance(item, dict)
        ]  # fmt: skip
        entries.append(
            TimelineEntry(
                event=event,
                action=event.get_action_display(),
                about="" if is_own else event.target_label,
                changes=changes,
            )
        )
    return entries


# --- actions on records of either kind -----------------------------------------------------------


@login_required
@require_POST
@friendly_forbidden
def bulk_action(request: AuthedRequest, kind: RecordKind) -> HttpResponse:
    """Reassign, tag or trash the ticked records: all of them, or none when any is not the user's."""
    user = request.user
    form = BulkActionForm(request.POST, user=user)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect_back(request, reverse(kind.list_url))
    queryset: Any = kind.model.objects.filter(pk__in=form.selected_ids())
    action = form.cleaned_data["action"]
    try:
        with transaction.atomic():
            if action == "reassign":
                owner = form.cleaned_data["owner"]
                count = services.records_reassign(actor=user, queryset=queryset, owner=owner)
                text = ngettext("%(count)d record reassigned.", "%(count)d records reassigned.", count)
            elif action == "tag":
                tag = services.tag_get_or_create(actor=user, name=form.cleaned_data["tag"])
                count = services.records_tag(actor=user, queryset=queryset, tag=tag)
                text = ngettext("%(count)d record tagged.", "%(count)d records tagged.", count)
            else:
                count = services.records_trash(actor=user, queryset=queryset)
                text = ngettext(
                    "%(count)d record moved to trash.", "%(count)d records moved to trash.", count
                )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect_back(request, reverse(kind.list_url))
    except DjangoValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect_back(request, reverse(kind.list_url))
    messages.success(request, text % {"count": count})
    return redirect_back(request, reverse(kind.list_url))


@login_required
@friendly_forbidden
def share(request: AuthedRequest, kind: RecordKind, pk: int) -> HttpResponse:
    """Choose the colleagues who may see and edit a record besides its owner."""
    user = request.user
    record = kind.get_for_user(user=user, pk=pk, for_write=True)
    form = ShareForm(request.POST or None, record=record)
    if request.method == "POST" and form.is_valid():
        services.record_share(actor=user, record=record, users=form.cleaned_data["users"])
        messages.success(request, _("Sharing saved."))
        return redirect_to(request, reverse(kind.detail_url, args=[record.pk]))
    context = {
        "form": form,
        "record": record,
        "kind": kind,
        "cancel_url": reverse(kind.detail_url, args=[pk]),
    }
    return render_page(request, "web/records/share.html", context, fragment="form")
