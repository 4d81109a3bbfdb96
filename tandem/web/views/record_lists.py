"""The company and contact lists: a page of rows, and their count in a request of its own.

The "N found" above a list is fetched by the page after it renders (htmx, `hx-trigger="load"`):
counting a filtered list reads up to a thousand rows per visibility part — as much as the page
itself for a tag or a client category at a million records — and the rows should not wait for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from tandem.contacts import selectors
from tandem.core.pagination import Page, count_rows, paginate
from tandem.web.forms.contacts import CompanyFilterForm, ContactFilterForm, ListFilterForm
from tandem.web.views.records import PAGE_SIZE, AuthedRequest, RecordKind

LISTS: dict[str, tuple[type[ListFilterForm], Callable[..., QuerySet[Any]]]] = {
    "companies": (CompanyFilterForm, selectors.company_list),
    "contacts": (ContactFilterForm, selectors.contact_list),
}


def _visible(request: AuthedRequest, kind: RecordKind) -> tuple[ListFilterForm, QuerySet[Any], list[Any]]:
    form_class, selector = LISTS[kind.slug]
    filter_form = form_class(request.GET or None, user=request.user)
    filters = filter_form.list_filters()
    queryset = selector(actor=request.user, filters=filters)
    return filter_form, queryset, selectors.list_parts(request.user, queryset, filters)


def list_page(request: AuthedRequest, kind: RecordKind) -> tuple[ListFilterForm, Page[Any], str | None]:
    """The filter form, the page of rows and, on a first page, where its count is fetched from."""
    filter_form, queryset, parts = _visible(request, kind)
    cursor = request.GET.get("cursor")
    page = paginate(
        selectors.with_point_lists(queryset),
        ordering=filter_form.ordering(),
        cursor=cursor,
        size=PAGE_SIZE,
        parts=parts,
        count=False,
    )
    count_url = None if cursor else f"{reverse('record_count', args=[kind])}?{request.GET.urlencode()}"
    return filter_form, page, count_url


@login_required
@require_GET
def record_count(request: AuthedRequest, kind: RecordKind) -> HttpResponse:
    """'N found' for the list with these filters (nothing for a broad search, which is not counted)."""
    _form, queryset, parts = _visible(request, kind)
    count, capped = count_rows(queryset, parts)
    context = {"count": count, "capped": capped}
    response = render(request, "web/records/count.html", context)
    response["Cache-Control"] = "private, no-store"
    return response
