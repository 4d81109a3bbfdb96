"""Company pages: the list, the card, the create/edit forms and the company chooser's search."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tandem.accounts.visibility import can
from tandem.contacts import selectors, services
from tandem.contacts.models import Company
from tandem.contacts.selectors import ListFilters
from tandem.web.forms.contacts import CHOOSER_SIZE, BulkActionForm, CompanyForm
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


@login_required
@require_GET
def company_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    filter_form, page, count_url = list_page(request, KINDS["companies"])
    context = {
        "filter_form": filter_form,
        "page": page,
        "count_url": count_url,
        "kind": KINDS["companies"],
        "bulk_form": BulkActionForm(user=user),
        "can_add": user.has_perm("contacts.add_company"),
    }
    return render_page(request, "web/companies/list.html", context, fragment="results")


@login_required
@require_GET
def company_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    company = selectors.company_card(user=user, pk=pk)
    can_change = can(user, "change", company)
    context = {
        "company": company,
        "contacts": selectors.company_contacts(user=user, company=company),
        **card_activity_context(request, company),
        "can_change": can_change,
        "can_delete": can_delete(user, company, can_change),
        "can_add_contact": user.has_perm("contacts.add_contact"),
        "kind": KINDS["companies"],
    }
    return render_page(request, "web/companies/detail.html", context, fragment="card")


@login_required
@friendly_forbidden
def company_create(request: AuthedRequest) -> HttpResponse:
    user = request.user
    require_add(user, Company)
    return record_form_page(
        request,
        CompanyForm(request.POST or None, user=user),
        save=lambda **arguments: services.company_create(actor=user, **arguments),
        saved_message=lambda company: _("Company %(name)s created.") % {"name": company},
        template="web/companies/form.html",
        context={"title": _("New company"), "cancel_url": reverse("company_list")},
    )


@login_required
@friendly_forbidden
def company_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    company = selectors.company_get_for_user(user=user, pk=pk, for_write=True)
    return record_form_page(
        request,
        CompanyForm(request.POST or None, user=user, instance=company),
        save=lambda **arguments: services.company_update(actor=user, company=company, **arguments),
        saved_message=lambda _company: _("Changes saved."),
        template="web/companies/form.html",
        context={
            "title": _("Edit %(name)s") % {"name": company},
            "record": company,
            "cancel_url": reverse("company_detail", args=[company.pk]),
        },
    )


@login_required
@require_GET
def company_choices(request: AuthedRequest) -> HttpResponse:
    """`<option>`s of the visible companies matching `q`, for the company chooser of the contact form."""
    text = request.GET.get("q", "")[:200]
    queryset = selectors.company_list(actor=request.user, filters=ListFilters(search=text)).prefetch_related(
        None
    )
    companies = list(queryset.order_by("name", "id")[:CHOOSER_SIZE])
    response = render(request, "web/companies/choices.html", {"companies": companies, "query": text})
    patch_vary_headers(response, ["HX-Request"])
    return response
