"""The trash: records moved there from lists and cards, and putting them back."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tandem.accounts.models import User
from tandem.accounts.visibility import scope_q
from tandem.contacts import selectors, services
from tandem.contacts.selectors import ListFilters
from tandem.core.pagination import Page, paginate
from tandem.web.views.records import (
    KINDS,
    AuthedRequest,
    RecordKind,
    friendly_forbidden,
    redirect_back,
    render_page,
)

TRASH_ORDERING = ["-deleted_at", "-id"]
TRASH_PAGE_SIZE = 25


def _restorable_ids(user: User, kind: RecordKind, page: Page[Any]) -> set[int]:
    """Which rows of the page the user may take out of the trash, in one query (no per-row checks)."""
    if not user.has_perm(f"contacts.delete_{kind.model._meta.model_name}") or not page.rows:
        return set()
    ids = [row.pk for row in page.rows]
    return set(
        kind.model.objects.filter(scope_q(user, kind.model, "change"), pk__in=ids).values_list(
            "pk", flat=True
        )
    )


@login_required
@require_GET
def trash(request: AuthedRequest) -> HttpResponse:
    user = request.user
    filters = ListFilters(trashed=True)
    sections = []
    for slug, queryset in (
        ("companies", selectors.company_list(actor=user, filters=filters)),
        ("contacts", selectors.contact_list(actor=user, filters=filters)),
    ):
        kind = KINDS[slug]
        cursor = request.GET.get(f"{slug}_cursor")
        page = paginate(queryset, ordering=TRASH_ORDERING, cursor=cursor, size=TRASH_PAGE_SIZE)
        sections.append(
            {
                "kind": kind,
                "page": page,
                "cursor_param": f"{slug}_cursor",
                "restorable": _restorable_ids(user, kind, page),
            }
        )
    return render_page(request, "web/trash/list.html", {"sections": sections}, fragment="sections")


@login_required
@require_POST
@friendly_forbidden
def record_trash(request: AuthedRequest, kind: RecordKind, pk: int) -> HttpResponse:
    record = kind.get_for_user(user=request.user, pk=pk, for_write=True)
    services.record_trash(actor=request.user, record=record)
    messages.success(
        request, _("%(name)s moved to trash. You can restore it from the trash.") % {"name": record}
    )
    return redirect_back(request, reverse(kind.list_url))


@login_required
@require_POST
@friendly_forbidden
def record_restore(request: AuthedRequest, kind: RecordKind, pk: int) -> HttpResponse:
    record = kind.get_for_user(user=request.user, pk=pk, for_write=True, trashed=True)
    services.record_restore(actor=request.user, record=record)
    messages.success(request, _("%(name)s restored.") % {"name": record})
    return redirect(reverse(kind.detail_url, args=[record.pk]))
