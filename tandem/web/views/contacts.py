"""Contact pages: the list, the card, and the create/edit forms."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tandem.accounts.models import User
from tandem.accounts.visibility import can
from tandem.contacts import selectors, services
from tandem.contacts.models import Company, Contact
from tandem.web.forms.contacts import BulkActionForm, ContactForm
from tandem.web.views.activities import card_activity_context
from tandem.web.views.record_lists import list_page
from tandem.web.views.records import (
    KINDS,
    AuthedRequest,
    can_delete,
    friendly_forbidden,
    record_form_page,
    render_page,
    require_add,
)


def _visible_company_ids(user: User, contacts: list[Contact]) -> set[int]:
    """The companies of these contacts the user may see, in one query: the list names only those."""
    ids = {contact.company_id for contact in contacts if contact.company_id}
    if not ids:
        return set()
    visible = selectors.company_list(actor=user).prefetch_related(None).filter(pk__in=ids)
    return set(visible.values_list("pk", flat=True))


@login_required
@require_GET
def contact_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    filter_form, page, count_url = list_page(request, KINDS["contacts"])
    context = {
        "filter_form": filter_form,
        "page": page,
        "count_url": count_url,
        "kind": KINDS["contacts"],
        "bulk_form": BulkActionForm(user=user),
        "can_add": user.has_perm("contacts.add_contact"),
        "visible_company_ids": _visible_company_ids(user, page.rows),
    }
    return render_page(request, "web/contacts/list.html", context, fragment="results")


@login_required
@require_GET
def contact_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    contact = selectors.contact_card(user=user, pk=pk)
    can_change = can(user, "change", contact)
    context = {
        "contact": contact,
        "company": selectors.visible_company_or_none(user=user, company=contact.company),
        **card_activity_context(request, contact),
        "can_change": can_change,
        "can_delete": can_delete(user, contact, can_change),
        "kind": KINDS["contacts"],
    }
    return render_page(request, "web/contacts/detail.html", context, fragment="card")


def _initial_company(request: AuthedRequest) -> Company | None:
    """The company to pre-fill from "Create contact" on a company card, when the user can see it."""
    pk = request.GET.get("company", "")
    if not pk.isdigit() or len(pk) > 18:
        return None
    return selectors.company_list(actor=request.user).prefetch_related(None).filter(pk=int(pk)).first()


@login_required
@friendly_forbidden
def contact_create(request: AuthedRequest) -> HttpResponse:
    user = request.user
    require_add(user, Contact)
    return record_form_page(
        request,
        ContactForm(request.POST or None, user=user, company=_initial_company(request)),
        save=lambda **arguments: services.contact_create(actor=user, **arguments),
        saved_message=lambda contact: _("Contact %(name)s created.") % {"name": contact},
        template="web/contacts/form.html",
        context={"title": _("New contact"), "cancel_url": reverse("contact_list")},
    )


@login_required
@friendly_forbidden
def contact_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    contact = selectors.contact_get_for_user(user=user, pk=pk, for_write=True)
    return record_form_page(
        request,
        ContactForm(request.POST or None, user=user, instance=contact),
        save=lambda **arguments: services.contact_update(actor=user, contact=contact, **arguments),
        saved_message=lambda _contact: _("Changes saved."),
        template="web/contacts/form.html",
        context={
            "title": _("Edit %(name)s") % {"name": contact},
            "record": contact,
            "cancel_url": reverse("contact_detail", args=[contact.pk]),
        },
    )
