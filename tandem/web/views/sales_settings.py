"""Sales-process settings for administrators: pipelines and their stages, lost reasons, lead
channels, product categories and currency rates."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Model
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from tandem.contacts.models import Channel
from tandem.core.errors import ApplicationError, PermissionDenied
from tandem.deals import services
from tandem.deals.models import (
    REQUIRABLE_FIELDS,
    Currency,
    Deal,
    LostReason,
    Pipeline,
    ProductCategory,
    Stage,
)
from tandem.deals.money import base_currency_code
from tandem.web.forms.sales import (
    CurrencyForm,
    PipelineForm,
    ReferenceItemForm,
    StageForm,
    add_service_error,
)
from tandem.web.views.records import AuthedRequest, forbidden, render_page

SETTINGS_PERMISSION = "deals.change_pipeline"


def admin_only(permission: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A settings view for holders of `permission`: anonymous visitors go to the login page, other
    signed-in users (and services refusing them) get a 403."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.has_perm(permission):
                return forbidden(request, _("Only administrators can change the sales process settings."))
            try:
                return view(request, *args, **kwargs)
            except PermissionDenied as error:
                return forbidden(request, error.message)

        return login_required(wrapper)

    return decorate


settings_admin = admin_only(SETTINGS_PERMISSION)


@dataclass(frozen=True)
class ReferenceList:
    slug: str
    model: type[LostReason] | type[Channel] | type[ProductCategory]
    save: Callable[..., Model]
    item_argument: str
    title: Any


REFERENCES = {
    "lost-reasons": ReferenceList(
        "lost-reasons", LostReason, services.lost_reason_save, "reason", gettext_lazy("Lost reasons")
    ),
    "channels": ReferenceList(
        "channels", Channel, services.channel_save, "channel", gettext_lazy("Lead channels")
    ),
    "product-categories": ReferenceList(
        "product-categories",
        ProductCategory,
        services.product_category_save,
        "category",
        gettext_lazy("Product categories"),
    ),
}


def _service_messages(error: DjangoValidationError | ApplicationError) -> list[str]:
    if isinstance(error, ApplicationError):
        return [error.message]
    return list(error.messages)


def _page(request: AuthedRequest, errors: dict[str, list[str]] | None = None) -> HttpResponse:
    pipelines = list(Pipeline.objects.order_by("position", "id").prefetch_related("stages"))
    deal_counts = dict(
        Deal.objects.filter(deleted_at__isnull=True)
        .order_by()
        .values_list("stage_id")
        .annotate(count=Count("id"))
        .values_list("stage_id", "count")
    )
    for pipeline in pipelines:
        stages = sorted(pipeline.stages.all(), key=lambda stage: (stage.position, stage.id))
        for stage in stages:
            stage.deal_count = deal_counts.get(stage.pk, 0)  # type: ignore[attr-defined]
            stage.required_labels = [  # type: ignore[attr-defined]
                REQUIRABLE_FIELDS.get(name, name) for name in stage.required_fields or []
            ]
        pipeline.stage_rows = stages  # type: ignore[attr-defined]
    references = [
        {"list": reference, "items": list(reference.model.objects.order_by("position", "name"))}
        for reference in REFERENCES.values()
    ]
    context = {
        "pipelines": pipelines,
        "references": references,
        "currencies": list(Currency.objects.order_by("code")),
        "base_currency": base_currency_code(),
        "errors": errors or {},
    }
    status = 400 if errors else 200
    return render_page(request, "web/settings/sales.html", context, fragment="settings", status=status)


def _back(anchor: str) -> HttpResponse:
    return redirect(f"{reverse('sales_settings')}#{anchor}")


@settings_admin
def sales_settings(request: AuthedRequest) -> HttpResponse:
    return _page(request)


# --- pipelines -----------------------------------------------------------------------------------

DEFAULT_STAGES: list[tuple[Any, int, str, str]] = [
    (gettext_lazy("New request"), 10, Stage.Kind.OPEN, "#6c757d"),
    (pgettext_lazy("stage name", "Won"), 100, Stage.Kind.WON, "#198754"),
    (pgettext_lazy("stage name", "Lost"), 0, Stage.Kind.LOST, "#dc3545"),
]


@require_POST
@settings_admin
def pipeline_create(request: AuthedRequest) -> HttpResponse:
    """A new pipeline starts with an open, a won and a lost stage; the admin adds the rest."""
    form = PipelineForm(request.POST)
    if not form.is_valid():
        return _page(request, {"pipelines": [str(e) for errors in form.errors.values() for e in errors]})
    stages = [
        {"name": str(name), "probability": probability, "kind": kind, "colour": colour}
        for name, probability, kind, colour in DEFAULT_STAGES
    ]
    try:
        pipeline = services.pipeline_create(actor=request.user, name=form.cleaned_data["name"], stages=stages)
    except (DjangoValidationError, ApplicationError) as error:
        if isinstance(error, PermissionDenied):
            raise
        return _page(request, {"pipelines": _service_messages(error)})
    messages.success(request, _("Pipeline %(name)s created.") % {"name": pipeline})
    return _back(f"pipeline-{pipeline.pk}")


@require_POST
@settings_admin
def pipeline_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    pipeline = get_object_or_404(Pipeline, pk=pk)
    form = PipelineForm(request.POST)
    if not form.is_valid():
        return _page(request, {"pipelines": [str(e) for errors in form.errors.values() for e in errors]})
    try:
        services.pipeline_update(actor=request.user, pipeline=pipeline, data=form.cleaned_data)
    except (DjangoValidationError, ApplicationError) as error:
        if isinstance(error, PermissionDenied):
            raise
        return _page(request, {"pipelines": _service_messages(error)})
    messages.success(request, _("Pipeline saved."))
    return _back(f"pipeline-{pipeline.pk}")


# --- stages --------------------------------------------------------------------------------------


def _stage_form(request: AuthedRequest, pipeline: Pipeline, stage: Stage | None) -> HttpResponse:
    form = StageForm(request.POST or None, instance=stage)
    if request.method == "POST" and form.is_valid():
        try:
            if stage is None:
                stage = services.stage_create(actor=request.user, pipeline=pipeline, data=form.service_data())
            else:
                stage = services.stage_update(actor=request.user, stage=stage, data=form.service_data())
        except (DjangoValidationError, ApplicationError) as error:
            if isinstance(error, PermissionDenied):
                raise
            add_service_error(form, error)
        else:
            messages.success(request, _("Stage %(name)s saved.") % {"name": stage})
            return _back(f"pipeline-{pipeline.pk}")
    context = {
        "form": form,
        "pipeline": pipeline,
        "stage": stage,
        "title": _("Edit stage %(name)s") % {"name": stage} if stage else _("New stage"),
        "cancel_url": f"{reverse('sales_settings')}#pipeline-{pipeline.pk}",
    }
    return render_page(request, "web/settings/stage_form.html", context, fragment="form")


@settings_admin
def stage_create(request: AuthedRequest, pipeline_pk: int) -> HttpResponse:
    return _stage_form(request, get_object_or_404(Pipeline, pk=pipeline_pk), None)


@settings_admin
def stage_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    return _stage_form(request, stage.pipeline, stage)


@require_POST
@settings_admin
def stage_move(request: AuthedRequest, pk: int) -> HttpResponse:
    """One place up or down; deals stay on the stage."""
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    offset = -1 if request.POST.get("direction") == "up" else 1
    services.stage_shift(actor=request.user, stage=stage, offset=offset)
    return _back(f"pipeline-{stage.pipeline_id}")


@require_POST
@settings_admin
def stage_archive(request: AuthedRequest, pk: int) -> HttpResponse:
    """Archive (or bring back) a stage: no deal enters it any more; the ones on it stay there."""
    stage = get_object_or_404(Stage, pk=pk)
    archived = request.POST.get("archived") != "0"
    try:
        services.stage_archive(actor=request.user, stage=stage, archived=archived)
    except DjangoValidationError as error:
        return _page(request, {"pipelines": list(error.messages)})
    if archived:
        messages.success(request, _("Stage %(name)s archived; its deals stay on it.") % {"name": stage})
    else:
        messages.success(request, _("Stage %(name)s is back in use.") % {"name": stage})
    return _back(f"pipeline-{stage.pipeline_id}")


# --- lost reasons, channels, product categories, currencies ---------------------------------------


@require_POST
@settings_admin
def reference_save(request: AuthedRequest, kind: str, pk: int | None = None) -> HttpResponse:
    """Add an entry to one of the lists, or rename/(de)activate one."""
    reference = REFERENCES.get(kind)
    if reference is None:
        raise Http404
    item = get_object_or_404(reference.model, pk=pk) if pk is not None else None
    data = request.POST.copy()
    if item is None:
        data["is_active"] = "on"  # a new entry is in use from the start
    form = ReferenceItemForm(data)
    if not form.is_valid():
        return _page(request, {kind: [str(e) for errors in form.errors.values() for e in errors]})
    try:
        reference.save(
            actor=request.user,
            name=form.cleaned_data["name"],
            is_active=form.cleaned_data["is_active"],
            **{reference.item_argument: item},
        )
    except (DjangoValidationError, ApplicationError) as error:
        if isinstance(error, PermissionDenied):
            raise
        return _page(request, {kind: _service_messages(error)})
    messages.success(request, _("%(list)s saved.") % {"list": reference.title})
    return _back(kind)


@require_POST
@settings_admin
def currency_save(request: AuthedRequest) -> HttpResponse:
    data = request.POST.copy()
    if "is_active" not in data and data.get("new"):
        data["is_active"] = "on"
    form = CurrencyForm(data)
    if not form.is_valid():
        return _page(request, {"currencies": [str(e) for errors in form.errors.values() for e in errors]})
    try:
        currency = services.currency_save(actor=request.user, **form.cleaned_data)
    except (DjangoValidationError, ApplicationError) as error:
        if isinstance(error, PermissionDenied):
            raise
        return _page(request, {"currencies": _service_messages(error)})
    messages.success(request, _("Currency %(code)s saved.") % {"code": currency})
    return _back("currencies")
