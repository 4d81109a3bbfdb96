"""Deal pages: the card, the create/edit form, the deals strip of company and contact cards, and the
actions (move, take, trash). A move answers the board with its fresh fragment, a prompt for what
the stage requires (422), or a short message (409 when someone else moved the deal first)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.accounts.visibility import can
from tandem.activities import services as activity_services
from tandem.contacts import selectors as contact_selectors
from tandem.contacts.models import Company, Contact
from tandem.core.errors import ApplicationError, PermissionDenied
from tandem.deals import selectors, services
from tandem.deals.errors import MissingFields, StaleDeal
from tandem.deals.models import Deal, Stage
from tandem.deals.money import base_currency_code
from tandem.deals.services import ContactInput
from tandem.web.forms.deals import DealForm, MoveForm
from tandem.web.views.activities import card_activity_context
from tandem.web.views.board import BOARD_TEMPLATE, board_context
from tandem.web.views.records import (
    AuthedRequest,
    friendly_forbidden,
    redirect_to,
    render_page,
    wants_fragment,
)

RELATED_DEALS_SIZE = 20


def _safe_next(request: AuthedRequest, target: str, default: str) -> str:
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def duration_text(seconds: int | None) -> str:
    if seconds is None:
        return ""
    days, rest = divmod(int(seconds), 86400)
    hours = rest // 3600
    if days:
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    if hours:
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    minutes = max(1, rest // 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


# --- the card ------------------------------------------------------------------------------------


@login_required
@require_GET
def deal_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    deal = selectors.deal_card(user=user, pk=pk)
    can_change = can(user, "change", deal)
    stages = selectors.stages_of(deal.pipeline)
    open_stages = [stage for stage in stages if stage.kind == Stage.Kind.OPEN]
    reached = deal.stage.kind != Stage.Kind.OPEN or deal.stage in open_stages
    position = open_stages.index(deal.stage) if deal.stage in open_stages else len(open_stages)
    history = list(deal.stage_changes.all())
    for change in history:
        change.duration = duration_text(change.seconds_in_previous)  # type: ignore[attr-defined]
    lines = list(deal.lines.all())
    context = {
        "deal": deal,
        "company": contact_selectors.visible_company_or_none(user=user, company=deal.company),
        "deal_contacts": selectors.visible_contacts(user=user, deal=deal),
        "lines": lines,
        "lines_total": sum((line.total for line in lines), start=0),
        "stages": stages,
        "progress": [
            {"stage": stage, "done": reached and index <= position, "current": stage.pk == deal.stage_id}
            for index, stage in enumerate(open_stages)
        ],
        "final_stages": [stage for stage in stages if stage.kind != Stage.Kind.OPEN],
        "stage_history": history,
        **card_activity_context(request, deal),
        "stuck": selectors.is_stuck(deal),
        "base_currency": base_currency_code(),
        "can_change": can_change,
        "can_delete": can_change and user.has_perm("deals.delete_deal"),
        "can_take": deal.taken_at is None and user.has_perm("deals.change_deal"),
    }
    return render_page(request, "web/deals/detail.html", context, fragment="card")


# --- create and edit -----------------------------------------------------------------------------


def _prefill(request: AuthedRequest) -> tuple[Company | None, Contact | None]:
    """The company/contact of a "New deal" button on their card, when the user can see them."""
    company = contact = None
    raw = request.GET.get("company", "")
    if raw.isdigit() and len(raw) < 19:
        company = (
            contact_selectors.company_list(actor=request.user)
            .prefetch_related(None)
            .filter(pk=int(raw))
            .first()
        )
    raw = request.GET.get("contact", "")
    if raw.isdigit() and len(raw) < 19:
        contact = (
            contact_selectors.contact_list(actor=request.user)
            .prefetch_related(None)
            .filter(pk=int(raw))
            .first()
        )
    return company, contact


def _save(form: DealForm, save: Any) -> Deal | None:
    """Call the service; on refusal show why on the form (fields a stage requires included)."""
    try:
        return cast(Deal, save(**form.service_arguments()))
    except (DjangoValidationError, ApplicationError) as error:
        if isinstance(error, PermissionDenied) and error.code != "owner_not_allowed":
            raise
        form.add_service_error(error)
        return None


@login_required
@friendly_forbidden
def deal_create(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not user.has_perm("deals.add_deal"):
        raise PermissionDenied(_("Your role cannot create deals."))
    company, contact = _prefill(request)
    form = DealForm(request.POST or None, user=user, company=company, contact=contact)
    if request.method == "POST" and form.is_valid():
        deal = _save(form, lambda **arguments: services.deal_create(actor=user, **arguments))
        if deal is not None:
            messages.success(request, _("Deal %(title)s created.") % {"title": deal})
            return redirect_to(request, reverse("deal_detail", args=[deal.pk]))
    cancel = reverse("board")
    if company is not None:
        cancel = reverse("company_detail", args=[company.pk])
    elif contact is not None:
        cancel = reverse("contact_detail", args=[contact.pk])
    context = {"form": form, "title": _("New deal"), "cancel_url": cancel}
    status = 422 if request.method == "POST" else 200
    return render_page(request, "web/deals/form.html", context, fragment="form", status=status)


@login_required
@friendly_forbidden
def deal_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    deal = selectors.deal_get_for_user(user=user, pk=pk, for_write=True)
    form = DealForm(request.POST or None, user=user, instance=deal)
    if request.method == "POST" and form.is_valid():
        saved = _save(form, lambda **arguments: services.deal_update(actor=user, deal=deal, **arguments))
        if saved is not None:
            messages.success(request, _("Changes saved."))
            return redirect_to(request, reverse("deal_detail", args=[saved.pk]))
    context = {
        "form": form,
        "title": _("Edit %(title)s") % {"title": deal},
        "deal": deal,
        "cancel_url": reverse("deal_detail", args=[deal.pk]),
    }
    status = 422 if request.method == "POST" else 200
    return render_page(request, "web/deals/form.html", context, fragment="form", status=status)


# --- actions -------------------------------------------------------------------------------------


def _message(request: AuthedRequest, text: str, status: int, next_url: str) -> HttpResponse:
    """A refusal: plain text for the board's script, else a flash message and back."""
    if wants_fragment(request):
        return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    messages.error(request, text)
    return HttpResponseRedirect(next_url)


class _PlanRefused(Exception):
    """The next step planned on the way into a stage was refused; the move is rolled back."""

    def __init__(self, error: DjangoValidationError | ApplicationError):
        super().__init__(str(error))
        self.error = error


def _prompt(request: AuthedRequest, form: MoveForm, deal: Deal, stage: Stage | None) -> HttpResponse:
    context = {"form": form, "deal": deal, "target": stage}
    return render_page(request, "web/deals/move.html", context, fragment="prompt", status=422)


@login_required
@require_http_methods(["GET", "POST"])
@friendly_forbidden
def deal_move(request: AuthedRequest, pk: int) -> HttpResponse:
    """Move a deal to `stage` (checked against `expected_stage`), asking for what the stage needs.

    GET answers the card's "Move to…" menu (a stage select), fetched when the menu opens."""
    user = request.user
    deal = selectors.deal_get_for_user(user=user, pk=pk, for_write=True)
    if request.method == "GET":
        board_query = request.GET.get("board_query", "")[:2000]
        context = {
            "deal": deal,
            "stages": selectors.stages_of(deal.pipeline),
            "board_query": board_query,
            "board_url": f"{reverse('board')}?{board_query}",
        }
        return render(request, "web/board/board.html#move_menu", context)
    form = MoveForm(request.POST, user=user, deal=deal)
    board_url = reverse("board") + f"?pipeline={deal.pipeline_id}"
    next_url = _safe_next(request, request.POST.get("next", ""), board_url)
    if not form.is_valid():
        if "stage" in form.errors or "expected_stage" in form.errors:
            return _message(request, _("Choose a stage of this deal's pipeline."), 400, next_url)
        form.ask(form.asked())
        return _prompt(request, form, deal, form.cleaned_data.get("stage"))
    stage: Stage = form.cleaned_data["stage"]
    lost_reason = form.cleaned_data.get("lost_reason")
    planned = None
    try:
        with transaction.atomic():
            contact = form.contact_to_add()
            if contact is not None:
                current = [
                    ContactInput(link.contact, link.role)
                    for link in deal.deal_contacts.select_related("contact")
                ]
                services.deal_update(actor=user, deal=deal, data={}, contacts=[*current, contact])
            planned = form.planned_activity()
            if planned is not None:
                # The stage wants a next step: plan it; the deal mirrors it before the move checks.
                try:
                    activity_services.activity_create(actor=user, deal=deal, **planned)
                except PermissionDenied:
                    raise
                except (DjangoValidationError, ApplicationError) as error:
                    raise _PlanRefused(error) from error
            moved = services.deal_move(
                actor=user,
                deal=deal,
                stage=stage,
                fields=form.move_fields(),
                lost_reason=lost_reason,
                expected_stage=form.cleaned_data.get("expected_stage"),
            )
    except _PlanRefused as refused:
        form.add_activity_error(refused.error)
        form.ask(form.asked())
        return _prompt(request, form, deal, stage)
    except MissingFields as error:
        names = list(error.fields)
        if planned is not None:
            names.append("next_step")  # it was planned only inside the rolled-back attempt: ask again
        if stage.kind == Stage.Kind.LOST and lost_reason is None:
            names.append("lost_reason")
        form.ask(names)
        return _prompt(request, form, deal, stage)
    except StaleDeal as error:
        text = _("Someone else moved this deal in the meantime.") + " " + error.message
        return _message(request, text, 409, next_url)
    except DjangoValidationError as error:
        if getattr(error, "error_dict", None) and "lost_reason" in error.error_dict:
            form.ask(["lost_reason"])
            return _prompt(request, form, deal, stage)
        return _message(request, " ".join(error.messages), 400, next_url)
    except PermissionDenied:
        raise
    except ApplicationError as error:
        return _message(request, error.message, 400, next_url)
    if wants_fragment(request):
        query = QueryDict(form.cleaned_data.get("board_query") or "")
        context = board_context(user, query, pipeline=moved.pipeline)
        context["moved_id"] = moved.pk
        response = render(request, f"{BOARD_TEMPLATE}#board", context)
        patch_vary_headers(response, ["HX-Request"])
        return response
    messages.success(request, _("%(title)s moved to %(stage)s.") % {"title": moved, "stage": moved.stage})
    return HttpResponseRedirect(next_url)


@login_required
@require_POST
@friendly_forbidden
def deal_take(request: AuthedRequest, pk: int) -> HttpResponse:
    """Pick up an inbound request nobody has taken yet: it becomes the user's."""
    deal = selectors.deal_get_for_user(user=request.user, pk=pk)
    services.deal_take(actor=request.user, deal=deal)
    messages.success(request, _("The deal is yours now."))
    return redirect_to(request, reverse("deal_detail", args=[deal.pk]))


@login_required
@require_POST
@friendly_forbidden
def deal_trash(request: AuthedRequest, pk: int) -> HttpResponse:
    deal = selectors.deal_get_for_user(user=request.user, pk=pk, for_write=True)
    services.deal_trash(actor=request.user, deal=deal)
    messages.success(request, _("Deal %(title)s moved to the trash.") % {"title": deal})
    return redirect_to(request, reverse("board") + f"?pipeline={deal.pipeline_id}")


# --- deals on company and contact cards ----------------------------------------------------------


@login_required
@require_GET
def deals_for_record(request: AuthedRequest) -> HttpResponse:
    """The deals strip of a company or contact card (loaded by htmx): newest 20 with stage and amount."""
    user = request.user
    filters = selectors.DealFilters()
    company, contact = _prefill(request)
    if company is not None:
        filters.company = company.pk
    elif contact is not None:
        filters.contact = contact.pk
    else:
        deals: list[Deal] = []
    if company is not None or contact is not None:
        deals = list(
            selectors.deal_list(actor=user, filters=filters).order_by("-updated_at", "-id")[
                :RELATED_DEALS_SIZE
            ]
        )
    query = f"company={company.pk}" if company else (f"contact={contact.pk}" if contact else "")
    context = {
        "deals": deals,
        "new_deal_query": query,
        "can_add": user.has_perm("deals.add_deal"),
        "limit": RELATED_DEALS_SIZE,
    }
    response = render(request, "web/deals/related.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response
