"""The deal list: every visible deal in a filterable, sortable table with bulk actions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from tandem.accounts.models import User
from tandem.accounts.visibility import scope_parts
from tandem.contacts.selectors import company_list
from tandem.core.errors import ApplicationError
from tandem.core.pagination import paginate
from tandem.deals import selectors, services
from tandem.deals.models import Deal
from tandem.web.forms.sales import DealBulkForm, DealFilterForm
from tandem.web.views.records import PAGE_SIZE, AuthedRequest, friendly_forbidden, redirect_back, render_page

UNTAKEN_CAP = 99


def _visible_company_ids(user: User, deals: list[Deal]) -> set[int]:
    """The companies of these deals the user may open, in one query: others are named, not linked."""
    ids = {deal.company_id for deal in deals if deal.company_id}
    if not ids:
        return set()
    return set(
        company_list(actor=user).prefetch_related(None).filter(pk__in=ids).values_list("pk", flat=True)
    )


def _untaken_count(user: User) -> int | None:
    """How many inbound deals nobody took yet (bounded), for those who hand them out."""
    if not user.has_perm("accounts.reassign_records"):
        return None
    untaken = selectors.deal_list(actor=user, filters=selectors.DealFilters(status="untaken"))
    return untaken.order_by().values("pk")[: UNTAKEN_CAP + 1].count()


@login_required
@require_GET
def deal_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    filter_form = DealFilterForm(request.GET or None, user=user)
    queryset = selectors.deal_list(actor=user, filters=filter_form.deal_filters())
    page = paginate(
        queryset,
        ordering=filter_form.ordering(),
        cursor=request.GET.get("cursor"),
        size=PAGE_SIZE,
        parts=scope_parts(user, Deal),
    )
    now = timezone.now()
    today = timezone.localdate()
    rows: list[dict[str, Any]] = [
        {
            "deal": deal,
            "stuck": selectors.is_stuck(deal, now),
            "overdue": deal.next_step_date is not None and deal.next_step_date < today,
            "no_next_step": deal.stage.kind == "open" and deal.next_step_date is None,
        }
        for deal in page.rows
    ]
    pipeline = filter_form.filtered_pipeline
    context = {
        "filter_form": filter_form,
        "page": page,
        "rows": rows,
        "bulk_form": DealBulkForm(user=user, pipeline=pipeline),
        "bulk_pipeline": pipeline,
        "visible_company_ids": _visible_company_ids(user, page.rows),
        "can_add": user.has_perm("deals.add_deal"),
        "untaken_count": _untaken_count(user) if not request.htmx else None,
        "untaken_cap": UNTAKEN_CAP,
        "status": filter_form.deal_filters().status,
    }
    return render_page(request, "web/deal_list/list.html", context, fragment="results")


@login_required
@require_POST
@friendly_forbidden
def deal_bulk(request: AuthedRequest) -> HttpResponse:
    """Reassign or move the ticked deals: all of them, or none when any one is refused."""
    user = request.user
    form = DealBulkForm(request.POST, user=user)
    back = reverse("deal_list")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect_back(request, back)
    queryset = Deal.objects.filter(pk__in=form.selected_ids())
    try:
        if form.cleaned_data["action"] == "reassign":
            count = services.deals_reassign(actor=user, queryset=queryset, owner=form.cleaned_data["owner"])
            text = ngettext("%(count)d deal reassigned.", "%(count)d deals reassigned.", count)
        else:
            count = services.deals_move_bulk(actor=user, queryset=queryset, stage=form.cleaned_data["stage"])
            text = ngettext("%(count)d deal moved.", "%(count)d deals moved.", count)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect_back(request, back)
    except DjangoValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect_back(request, back)
    messages.success(request, text % {"count": count})
    return redirect_back(request, back)
