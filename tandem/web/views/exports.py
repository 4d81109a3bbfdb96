"""Export pages: start an export of a list as it is filtered, follow a background one, download it.

Lists parse their filters with the very forms their pages use, so an export holds exactly the rows
(visibility, filters and sort) the user is looking at.
"""

from __future__ import annotations

import datetime
import tempfile
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from tandem.accounts.models import User
from tandem.activities.selectors import ActivityFilters, activity_types_active, day_viewable_users
from tandem.exports import services
from tandem.exports.entities import ENTITIES, ExportSpec
from tandem.exports.models import ExportJob
from tandem.exports.selectors import export_count, export_job_get_for_user, export_jobs_of
from tandem.web.forms.contacts import CompanyFilterForm, ContactFilterForm, bootstrap
from tandem.web.forms.sales import DealFilterForm
from tandem.web.views.records import AuthedRequest, render_page

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
POLL_SECONDS = 1


class ActivityExportForm(forms.Form):
    """Which activities to export (there is no activity list page: the exports page offers this)."""

    STATUSES = [
        ("", _("All")),
        ("planned", pgettext_lazy("activity", "Planned")),
        ("done", pgettext_lazy("activity", "Done")),
        ("overdue", _("Overdue")),
    ]

    status = forms.ChoiceField(label=_("Status"), choices=STATUSES, required=False)
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=User.objects.none(), required=False)
    type = forms.ModelChoiceField(label=_("Type"), queryset=activity_types_active(), required=False)
    due_from = forms.DateField(
        label=_("Due from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    due_to = forms.DateField(
        label=_("Due to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data: Any = None, *, user: User, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        assignee = self.fields["assignee"]
        assert isinstance(assignee, forms.ModelChoiceField)
        assignee.queryset = day_viewable_users(actor=user).order_by("full_name", "email")
        bootstrap(self)

    def activity_filters(self) -> ActivityFilters:
        """The valid choices as the selector's filters (an invalid one is ignored, like the lists do)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        due_from: datetime.date | None = data.get("due_from")
        due_to: datetime.date | None = data.get("due_to")
        return ActivityFilters(
            assignee=data["assignee"].pk if data.get("assignee") else None,
            type=data["type"].pk if data.get("type") else None,
            status=data.get("status") or "",
            due_from=_midnight(due_from) if due_from else None,
            due_to=_midnight(due_to + datetime.timedelta(days=1)) if due_to else None,
        )


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def export_spec(entity: str, params: QueryDict, user: User) -> ExportSpec:
    """The export of `entity` filtered and sorted as the list page shows it for these parameters."""
    if entity in ("companies", "contacts"):
        form_class = CompanyFilterForm if entity == "companies" else ContactFilterForm
        list_form = form_class(params or None, user=user)
        return ExportSpec(entity=entity, filters=list_form.list_filters(), ordering=list_form.ordering())
    if entity == "deals":
        deal_form = DealFilterForm(params or None, user=user)
        return ExportSpec(entity=entity, filters=deal_form.deal_filters(), ordering=deal_form.ordering())
    activity_form = ActivityExportForm(params or None, user=user)
    return ExportSpec(
        entity=entity,
        filters=activity_form.activity_filters(),
        ordering=ENTITIES[entity].sorts[ENTITIES[entity].default_sort],
    )


def _download_name(entity: str, file_format: str) -> str:
    return f"{entity}-{timezone.localdate():%Y-%m-%d}.{file_format}"


@login_required
@require_POST
def export_start(request: AuthedRequest, entity: str) -> HttpResponseBase:
    """Export the list: at once when small, else as a background job whose page follows it.

    The list's filters come in the query string (the export menu carries the page's), the format in
    the POST body; the activity form posts its filters in the body too."""
    if entity not in ENTITIES:
        raise Http404
    file_format = request.POST.get("format", "")
    if file_format not in ExportJob.Format.values:
        return HttpResponseBadRequest()
    params = request.GET.copy()
    for name, values in request.POST.lists():
        if name not in ("csrfmiddlewaretoken", "format"):
            params.setlist(name, values)
    user = request.user
    spec = export_spec(entity, params, user)
    limit = services.EXPORT_INLINE_ROWS
    if export_count(actor=user, spec=spec, limit=limit + 1) > limit:
        job = services.export_job_create(actor=user, spec=spec, file_format=file_format)
        return redirect("export_job", job.pk)
    filename = _download_name(entity, file_format)
    if file_format == ExportJob.Format.CSV:
        stream = services.export_csv_stream(actor=user, spec=spec)
        response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    target = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it, and the OS removes it)
    services.export_write(actor=user, spec=spec, file_format=file_format, target=target)
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


@login_required
@require_GET
def export_job(request: AuthedRequest, pk: int) -> HttpResponse:
    """A background export's progress (the fragment polls itself until the job ends)."""
    job = export_job_get_for_user(user=request.user, pk=pk)
    context = {
        "job": job,
        "label": ENTITIES[job.entity].label if job.entity in ENTITIES else job.entity,
        "poll_seconds": POLL_SECONDS,
        "file_available": services.export_job_path(job) is not None,
    }
    return render_page(request, "exports/job.html", context, fragment="progress")


@login_required
@require_GET
def export_job_download(request: AuthedRequest, pk: int) -> FileResponse:
    job = export_job_get_for_user(user=request.user, pk=pk)
    path = services.export_job_path(job)
    if path is None:
        raise Http404
    content_type = XLSX_TYPE if job.file_format == ExportJob.Format.XLSX else "text/csv; charset=utf-8"
    filename = f"{job.entity}-{timezone.localtime(job.created_at):%Y-%m-%d}.{job.file_format}"
    return FileResponse(path.open("rb"), as_attachment=True, filename=filename, content_type=content_type)


@login_required
@require_GET
def export_list(request: AuthedRequest) -> HttpResponse:
    """The user's recent exports, and the activity export (activities have no list page)."""
    jobs = list(export_jobs_of(user=request.user))
    labels = {key: entity.label for key, entity in ENTITIES.items()}
    for job in jobs:
        job.label = labels.get(job.entity, job.entity)  # type: ignore[attr-defined]
    context = {
        "jobs": jobs,
        "activity_form": ActivityExportForm(user=request.user),
        "keep_days": services.EXPORT_KEEP_DAYS,
    }
    return render_page(request, "exports/list.html", context, fragment="jobs")
