"""Duplicates pages: possible duplicate pairs, the merge screen, the merges log with undo."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tandem.core.errors import ApplicationError, PermissionDenied
from tandem.merges import selectors, services
from tandem.merges.models import DuplicateCandidate, Merge, RecordKind
from tandem.web.views import records
from tandem.web.views.records import KINDS, AuthedRequest, friendly_forbidden, render_page

SLUG_TO_KIND = {"contacts": RecordKind.CONTACT, "companies": RecordKind.COMPANY}
KIND_TO_SLUG = {kind: slug for slug, kind in SLUG_TO_KIND.items()}


def _web_kind(slug: str) -> records.RecordKind:
    if slug not in KINDS:
        raise Http404
    return KINDS[slug]


@login_required
@require_GET
def duplicate_list(request: AuthedRequest) -> HttpResponse:
    slug = request.GET.get("kind", "contacts")
    slug = slug if slug in SLUG_TO_KIND else "contacts"
    kind = SLUG_TO_KIND[slug]
    context = {
        "slug": slug,
        "kinds": [(key, KINDS[key].verbose_name_plural) for key in SLUG_TO_KIND],
        "page": selectors.candidate_page(actor=request.user, kind=kind, cursor=request.GET.get("cursor")),
        "last_scan": selectors.last_scan(kind),
        "may_scan": services.may_scan(request.user),
        "detail_url": KINDS[slug].detail_url,
    }
    return render_page(request, "merges/list.html", context, fragment="results")


@login_required
@require_POST
@friendly_forbidden
def duplicate_scan(request: AuthedRequest) -> HttpResponse:
    slug = request.POST.get("kind", "contacts")
    try:
        services.duplicates_scan_request(actor=request.user, kind=SLUG_TO_KIND.get(slug, ""))
    except PermissionDenied:
        raise
    except ApplicationError as error:
        messages.error(request, error.message)
    except DjangoValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The scan has started. Refresh this page in a few minutes."))
    return redirect(f"{reverse('duplicate_list')}?kind={slug}")


@login_required
@require_POST
@friendly_forbidden
def duplicate_dismiss(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        candidate = selectors.candidate_get_for_user(user=request.user, pk=pk)
    except DuplicateCandidate.DoesNotExist as error:
        raise Http404 from error
    services.candidate_dismiss(actor=request.user, candidate=candidate)
    messages.success(request, _("Marked as not duplicates."))
    return redirect(f"{reverse('duplicate_list')}?kind={KIND_TO_SLUG[RecordKind(candidate.kind)]}")


@login_required
@require_GET
def record_duplicates(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    """Possible duplicates of one record, from its card."""
    web_kind = _web_kind(slug)
    record = web_kind.get_for_user(user=request.user, pk=pk)
    matches = selectors.duplicates_for_record(actor=request.user, record=record)
    context = {"record": record, "matches": matches, "kind": web_kind}
    return render_page(request, "merges/record.html", context, fragment="matches")


@login_required
@friendly_forbidden
def merge(request: AuthedRequest, slug: str, survivor_pk: int, other_pk: int) -> HttpResponse:
    """Choose the surviving value of each differing field, then merge `other` into `survivor`."""
    web_kind = _web_kind(slug)
    user = request.user
    if survivor_pk == other_pk:
        raise Http404
    survivor = web_kind.get_for_user(user=user, pk=survivor_pk, for_write=True)
    other = web_kind.get_for_user(user=user, pk=other_pk, for_write=True)
    if not services.may_merge(user, survivor, other):
        raise PermissionDenied(_("You may merge only records you are allowed to change and delete."))
    plan = selectors.merge_plan(survivor=survivor, other=other)
    errors: list[str] = []
    if request.method == "POST":
        taken = [choice.name for choice in plan.fields if request.POST.get(choice.name) == "other"]
        try:
            result = services.record_merge(
                actor=user, survivor=survivor, other=other, fields_from_other=taken
            )
        except ApplicationError as error:
            errors.append(error.message)
        except DjangoValidationError as error:
            errors += error.messages
        else:
            messages.success(
                request,
                _("%(other)s was merged into %(survivor)s. You can undo this in the merges log.")
                % {"other": result.other_label, "survivor": result.survivor_label},
            )
            return redirect(reverse(web_kind.detail_url, args=[survivor.pk]))
    context = {
        "kind": web_kind,
        "survivor": survivor,
        "other": other,
        "plan": plan,
        "errors": errors,
        "swap_url": reverse("merge", args=[slug, other.pk, survivor.pk]),
    }
    return render_page(request, "merges/merge.html", context, fragment="form", status=400 if errors else 200)


@login_required
@require_GET
def merge_log(request: AuthedRequest) -> HttpResponse:
    page = selectors.merge_page(actor=request.user, cursor=request.GET.get("cursor"))
    context = {"page": page, "slugs": KIND_TO_SLUG}
    return render_page(request, "merges/log.html", context, fragment="results")


@login_required
@require_POST
@friendly_forbidden
def merge_undo(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        merge_row = selectors.merge_get_for_user(user=request.user, pk=pk)
    except Merge.DoesNotExist as error:
        raise Http404 from error
    try:
        services.merge_undo(actor=request.user, merge=merge_row)
    except PermissionDenied:
        raise
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("The merge of %(other)s into %(survivor)s was undone.")
            % {"other": merge_row.other_label, "survivor": merge_row.survivor_label},
        )  # fmt: skip
    return redirect("merge_log")
