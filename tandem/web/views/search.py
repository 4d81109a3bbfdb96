"""Global search: the top-bar dropdown (htmx, as you type) and its full results page (Enter)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from tandem.contacts import selectors
from tandem.web.views.records import AuthedRequest, render_page

DROPDOWN_SIZE = 8
PAGE_SIZE = 50


@login_required
@require_GET
def global_search(request: AuthedRequest) -> HttpResponse:
    text = request.GET.get("q", "")[:200].strip()
    fragment = bool(request.htmx)
    limit = DROPDOWN_SIZE if fragment else PAGE_SIZE
    results = selectors.global_search(actor=request.user, text=text, limit=limit)
    context = {
        "query": text,
        "contacts": results["contacts"],
        "companies": results["companies"],
        "limit": limit,
        "too_short": len(text) < 2,
    }
    return render_page(request, "web/search/results.html", context, fragment="dropdown")
