"""Activity settings for administrators: activity types, outcomes, the working schedule the SLA clocks
count in with its holidays, and each pipeline's untouched-lead thresholds (on the sales page)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tandem.activities import settings_services
from tandem.activities.models import Activity, ActivityType, Outcome
from tandem.core import services as core_services
from tandem.core.errors import ApplicationError, PermissionDenied
from tandem.core.models import Holiday, WorkSchedule
from tandem.deals.models import Pipeline
from tandem.web.forms.planning import (
    ICON_SUGGESTIONS,
    ActivityTypeForm,
    HolidayForm,
    OutcomeForm,
    PipelineSlaForm,
    WorkScheduleForm,
)
from tandem.web.forms.sales import add_service_error
from tandem.web.views import sales_settings
from tandem.web.views.records import AuthedRequest, render_page

SETTINGS_PERMISSION = "activities.change_activitytype"
HOLIDAYS_SHOWN = 200


settings_admin = sales_settings.admin_only(SETTINGS_PERMISSION)


def _messages(error: DjangoValidationError | ApplicationError) -> list[str]:
    if isinstance(error, ApplicationError):
        return [error.message]
    return list(error.messages)


def _form_messages(form: Any) -> list[str]:
    return [str(error) for errors in form.errors.values() for error in errors]


def _page(
    request: AuthedRequest,
    *,
    errors: dict[str, list[str]] | None = None,
    schedule_form: WorkScheduleForm | None = None,
    holiday_form: HolidayForm | None = None,
) -> HttpResponse:
    types = list(ActivityType.objects.order_by("position", "name"))
    for activity_type in types:
        builtin = activity_type.kind != ActivityType.Kind.OTHER
        activity_type.is_builtin = builtin  # type: ignore[attr-defined]
        # One indexed EXISTS per admin-defined type (a handful): counting over millions would scan.
        activity_type.can_delete = (  # type: ignore[attr-defined]
            not builtin and not Activity.objects.filter(type_id=activity_type.pk).exists()
        )
    this_year = timezone.localdate().replace(month=1, day=1)
    invalid = bool(errors) or any(
        form is not None and form.is_bound and form.errors for form in (schedule_form, holiday_form)
    )
    context = {
        "types": types,
        "outcomes": list(Outcome.objects.order_by("position", "name")),
        "schedule_form": schedule_form or WorkScheduleForm.for_schedule(WorkSchedule.current()),
        "holiday_form": holiday_form or HolidayForm(),
        "holidays": list(Holiday.objects.filter(date__gte=this_year).order_by("date")[:HOLIDAYS_SHOWN]),
        "icon_suggestions": ICON_SUGGESTIONS,
        "errors": errors or {},
    }
    return render_page(
        request, "web/settings/activities.html", context, fragment="settings", status=400 if invalid else 200
    )


def _back(anchor: str) -> HttpResponse:
    return redirect(f"{reverse('activity_settings')}#{anchor}")


@settings_admin
def activity_settings(request: AuthedRequest) -> HttpResponse:
    return _page(request)


# --- activity types ------------------------------------------------------------------------------


@require_POST
@settings_admin
def activity_type_create(request: AuthedRequest) -> HttpResponse:
    data = request.POST.copy()
    data["is_active"] = "on"  # a new type is in use from the start
    form = ActivityTypeForm(data)
    if not form.is_valid():
        return _page(request, errors={"types": _form_messages(form)})
    try:
        activity_type = settings_services.activity_type_create(
            actor=request.user,
            name=form.cleaned_data["name"],
            icon=form.cleaned_data["icon"],
            counts_as_contact=form.cleaned_data["counts_as_contact"],
        )
    except (DjangoValidationError, ApplicationError) as error:
        if isinstance(error, PermissionDenied):
            raise
        return _page(request, errors={"types": _messages(error)})
    messages.success(request, _("Activity type %(name)s added.") % {"name": activity_type})
    return _back("types")


@require_POST
@settings_admin
def activity_type_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    activity_type = get_object_or_404(ActivityType, pk=pk)
    form = ActivityTypeForm(request.POST)
    if not form.is_valid():
        return _page(request, errors={"types": _form_messages(form)})
    try:
        settings_services.activity_type_update(
            actor=request.user, activity_type=activity_type, data=dict(form.cleaned_data)
        )
    except (DjangoValidationError, ApplicationError) as error:
        if isinstance(error, PermissionDenied):
            raise
        return _page(request, errors={"types": _messages(error)})
    messages.success(request, _("Activity type %(name)s saved.") % {"name": activity_type})
    return _back("types")


@require_POST
@settings_admin
def activity_type_move(request: AuthedRequest, pk: int) -> HttpResponse:
    activity_type = get_object_or_404(ActivityType, pk=pk)
    offset = -1 if request.POST.get("direction") == "up" else 1
    settings_services.activity_type_move(actor=request.user, activity_type=activity_type, offset=offset)
    return _back("types")


@require_POST
@settings_admin
def activity_type_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    activity_type = get_object_or_404(ActivityType, pk=pk)
    name = str(activity_type)
    try:
        settings_services.activity_type_delete(actor=request.user, activity_type=activity_type)
    except ApplicationError as error:
        if isinstance(error, PermissionDenied):
            raise
        return _page(request, errors={"types": [error.message]})
    messages.success(request, _("Activity type %(name)s deleted.") % {"name": name})
    return _back("types")


# --- outcomes ------------------------------------------------------------------------------------


@require_POST
@settings_admin
def outcome_save(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    """Add an outcome, or rename / (de)activate one."""
    outcome = get_object_or_404(Outcome, pk=pk) if pk is not None else None
    data = request.POST.copy()
    if outcome is None:
        data["is_active"] = "on"
    form = OutcomeForm(data)
    if not form.is_valid():
        return _page(request, errors={"outcomes": _form_messages(form)})
    try:
        settings_services.outcome_save(
            actor=request.user,
            outcome=outcome,
            name=form.cleaned_data["name"],
            is_active=form.cleaned_data["is_active"],
        )
    except (DjangoValidationError, ApplicationError) as error:
        if isinstance(error, PermissionDenied):
            raise
        return _page(request, errors={"outcomes": _messages(error)})
    messages.success(request, _("Outcomes saved."))
    return _back("outcomes")


# --- working schedule and holidays ---------------------------------------------------------------


@require_POST
@settings_admin
def work_schedule_save(request: AuthedRequest) -> HttpResponse:
    form = WorkScheduleForm(request.POST)
    if form.is_valid():
        try:
            core_services.work_schedule_update(actor=request.user, data=dict(form.cleaned_data))
        except DjangoValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Working schedule saved."))
            return _back("schedule")
    return _page(request, schedule_form=form)


@require_POST
@settings_admin
def holiday_create(request: AuthedRequest) -> HttpResponse:
    form = HolidayForm(request.POST)
    if form.is_valid():
        try:
            holiday = core_services.holiday_add(
                actor=request.user, date=form.cleaned_data["date"], name=form.cleaned_data["name"]
            )
        except DjangoValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Holiday %(holiday)s added.") % {"holiday": holiday})
            return _back("holidays")
    return _page(request, holiday_form=form)


@require_POST
@settings_admin
def holiday_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    holiday = get_object_or_404(Holiday, pk=pk)
    core_services.holiday_remove(actor=request.user, holiday=holiday)
    messages.success(request, _("Holiday %(holiday)s removed.") % {"holiday": holiday})
    return _back("holidays")


# --- untouched-lead thresholds of a pipeline (shown on the sales-process page) ----------------------


@require_POST
@sales_settings.settings_admin
def pipeline_sla_save(request: AuthedRequest, pk: int) -> HttpResponse:
    pipeline = get_object_or_404(Pipeline, pk=pk)
    form = PipelineSlaForm(request.POST)
    if not form.is_valid():
        errors = [
            f"{form.fields[name].label}: {error}" for name, items in form.errors.items() for error in items
        ]
        return sales_settings._page(request, {"pipelines": errors})
    try:
        settings_services.pipeline_sla_update(actor=request.user, pipeline=pipeline, **form.cleaned_data)
    except DjangoValidationError as error:
        return sales_settings._page(request, {"pipelines": list(error.messages)})
    messages.success(request, _("Pipeline saved."))
    return redirect(f"{reverse('sales_settings')}#pipeline-{pipeline.pk}")
