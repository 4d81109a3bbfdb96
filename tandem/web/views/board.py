"""The kanban board of a pipeline: columns per open stage with their sums, cards that load more on
scroll, and the filters above it. Moves are posted to `deals.deal_move`, which answers with this
board's fragment."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from tandem.accounts.models import User
from tandem.deals.models import Deal, LostReason, Pipeline, Stage
from tandem.deals.money import base_currency_code
from tandem.deals.selectors import board, board_column_page, is_stuck, pipelines_active, stages_of
from tandem.web.forms.deals import BoardFilterForm
from tandem.web.views.records import AuthedRequest, render_page

BOARD_TEMPLATE = "web/board/board.html"


def mark_cards(deals: list[Deal], now: datetime.datetime | None = None) -> list[Deal]:
    """What a card shows besides its fields: stuck in the stage, next step overdue or missing."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    for deal in deals:
        deal.stuck = is_stuck(deal, now)  # type: ignore[attr-defined]
        deal.overdue = deal.next_step_date is not None and deal.next_step_date < today  # type: ignore[attr-defined]
    return deals


def _cursor(deal: Deal) -> str:
    return f"{deal.updated_at.isoformat()}|{deal.pk}"


def _parse_cursor(raw: str) -> tuple[datetime.datetime, int] | None:
    moment, _sep, pk = raw.partition("|")
    try:
        parsed = datetime.datetime.fromisoformat(moment)
    except ValueError:
        return None
    if not pk.isdigit() or len(pk) > 18 or timezone.is_naive(parsed):
        return None
    return parsed, int(pk)


def _filter_query(query: QueryDict) -> str:
    """The board's filters as a query string (no pipeline, no cursor) for links and load-more."""
    kept = query.copy()
    for name in ["pipeline", "cursor"]:
        kept.pop(name, None)
    return kept.urlencode()


def board_context(user: User, query: QueryDict, pipeline: Pipeline | None = None) -> dict[str, Any]:
    """Everything the board template needs, for the board page and for a move's answer."""
    form = BoardFilterForm(query or None, user=user)
    pipelines = list(pipelines_active())
    if pipeline is None:
        pipeline = form.pipeline_choice() or (pipelines[0] if pipelines else None)
    context: dict[str, Any] = {
        "filter_form": form,
        "pipelines": pipelines,
        "pipeline": pipeline,
        "base_currency": base_currency_code(),
        "filter_query": _filter_query(query),
    }
    if pipeline is None:
        return context
    columns = board(actor=user, pipeline=pipeline, filters=form.deal_filters())
    now = timezone.now()
    for column in columns:
        mark_cards(column.deals, now)
        column.cursor = _cursor(column.deals[-1]) if column.deals else ""  # type: ignore[attr-defined]
    stages = stages_of(pipeline)
    filter_query = context["filter_query"]
    board_query = f"pipeline={pipeline.pk}" + (f"&{filter_query}" if filter_query else "")
    context.update(
        {
            "columns": columns,
            "stages": stages,
            "won_stages": [stage for stage in stages if stage.kind == Stage.Kind.WON],
            "lost_stages": [stage for stage in stages if stage.kind == Stage.Kind.LOST],
            "board_query": board_query,
            "board_url": f"{reverse('board')}?{board_query}",
            "totals": {
                "count": sum(column.count for column in columns),
                "total": sum((column.total for column in columns), start=0),
                "weighted": sum((column.weighted for column in columns), start=0),
            },
            "can_add": user.has_perm("deals.add_deal"),
            "lost_reasons_exist": LostReason.objects.filter(is_active=True).exists(),
        }
    )
    return context


@login_required
@require_GET
def board_view(request: AuthedRequest) -> HttpResponse:
    """The board page; htmx requests (filters, refresh after a move) get only the board."""
    context = board_context(request.user, request.GET)
    return render_page(request, BOARD_TEMPLATE, context, fragment="board")


@login_required
@require_GET
def board_column(request: AuthedRequest, stage_pk: int) -> HttpResponse:
    """The next cards of one column (infinite scroll), after the `cursor` card."""
    stage = get_object_or_404(Stage, pk=stage_pk, kind=Stage.Kind.OPEN, is_archived=False)
    cursor = _parse_cursor(request.GET.get("cursor", ""))
    if cursor is None:
        raise Http404
    form = BoardFilterForm(request.GET, user=request.user)
    deals, has_more = board_column_page(
        actor=request.user, stage=stage, filters=form.deal_filters(), before=cursor
    )
    mark_cards(deals)
    query = _filter_query(request.GET)
    context = {
        "deals": deals,
        "stage": stage,
        "has_more": has_more,
        "cursor": _cursor(deals[-1]) if deals else "",
        "filter_query": query,
        "stages": stages_of(stage.pipeline),
        "board_query": f"pipeline={stage.pipeline_id}" + (f"&{query}" if query else ""),
    }
    context["board_url"] = f"{reverse('board')}?{context['board_query']}"
    response = render(request, f"{BOARD_TEMPLATE}#more", context)
    patch_vary_headers(response, ["HX-Request"])
    return response
