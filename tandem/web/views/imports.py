"""The import wizard: upload a file, map its columns, check it with a dry run, import, follow the
progress, read the report, download the rejected rows, undo. The engine lives in `tandem.imports`;
these views only call its services and selectors."""

from __future__ import annotations

from typing import Any

import phonenumbers
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.timezone import localdate
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from tandem.accounts.roles import Role
from tandem.core.errors import ApplicationError
from tandem.core.phones import country_names
from tandem.imports import services
from tandem.imports.fields import FIELDS
from tandem.imports.models import ImportJob, MappingProfile, OnDuplicate
from tandem.imports.selectors import import_get_for_user, import_issues, import_list, rejected_rows_csv
from tandem.web.forms.contacts import bootstrap
from tandem.web.forms.sales import add_service_error
from tandem.web.views.records import AuthedRequest, forbidden, friendly_forbidden, render_page, wants_fragment

Status = ImportJob.Status
ISSUES_PAGE = 100
SAMPLE_ROWS = 3
POLL = "1500ms"
ACCEPT = ".csv,.xlsx,.xls,.ods"
COMMON_REGIONS = ["BG", "RU", "UA", "RO", "GR", "TR", "RS", "MK", "DE", "GB", "US"]
FIELD_GROUPS = [
    ("company", gettext_lazy("Company")),
    ("contact", gettext_lazy("Contact person")),
    ("both", gettext_lazy("Company and person")),
]
DUPLICATE_HELP = {
    OnDuplicate.SKIP: gettext_lazy("The existing record stays as it is; the row is skipped."),
    OnDuplicate.UPDATE: gettext_lazy(
        "Empty fields of the existing record get the file's values; filled ones stay."
    ),
    OnDuplicate.OVERWRITE: gettext_lazy("The file's values replace those of the existing record."),
    OnDuplicate.CREATE: gettext_lazy("A second record is created next to the existing one."),
}

REPORT_STATS = [
    ("companies_created", gettext_lazy("New companies")),
    ("contacts_created", gettext_lazy("New contacts")),
    ("companies_updated", gettext_lazy("Companies updated")),
    ("contacts_updated", gettext_lazy("Contacts updated")),
    ("rows_merged", gettext_lazy("Duplicate rows merged")),
    ("rows_skipped", gettext_lazy("Rows skipped")),
    ("rejected", gettext_lazy("Rows rejected")),
    ("warnings", gettext_lazy("Rows with warnings")),
]
UNDO_STATS = [
    ("contact_removed", gettext_lazy("Contacts removed")),
    ("company_removed", gettext_lazy("Companies removed")),
    ("kept_in_trash", gettext_lazy("Moved to the trash")),
    ("contact_restored", gettext_lazy("Contacts restored")),
    ("company_restored", gettext_lazy("Companies restored")),
    ("undo_conflicts", gettext_lazy("Fields edited since, kept")),
]


def _stats(counts: dict[str, Any], labels: list[tuple[str, Any]]) -> list[tuple[str, Any, int]]:
    return [(key, label, int(counts.get(key, 0))) for key, label in labels]


def region_name(code: str) -> str:
    """The country's name in the current language (phonenumbers ships them), else in English."""
    names = country_names().get(code, {})
    language = (get_language() or "en").split("-")[0]
    name = names.get(language, "") or names.get("en", "")
    if name.startswith("*"):  # "*xx": the name is the one of language xx
        name = names.get(name[1:], "")
    return name or code


def region_choices() -> list[tuple[str, Any]]:
    def choice(code: str) -> tuple[str, str]:
        return code, f"{region_name(code)} (+{phonenumbers.country_code_for_region(code)})"

    others = sorted((choice(code) for code in phonenumbers.SUPPORTED_REGIONS - set(COMMON_REGIONS)),
                    key=lambda item: item[1].casefold())  # fmt: skip
    return [
        (_("Most used"), [choice(code) for code in COMMON_REGIONS]),
        (_("All countries"), others),
    ]


def field_choices() -> list[tuple[str, Any]]:
    groups: list[tuple[str, Any]] = [
        (str(label), [(field.key, field.label) for field in FIELDS if field.group == group])
        for group, label in FIELD_GROUPS
    ]
    return [("", _("— don't import —")), *groups]


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"), widget=forms.FileInput(attrs={"accept": ACCEPT}), allow_empty_file=True
    )
    profile = forms.ModelChoiceField(
        label=gettext_lazy("Saved mapping"),
        queryset=MappingProfile.objects.none(),
        required=False,
        help_text=gettext_lazy("Leave empty to guess the columns from their headers."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        profile = self.fields["profile"]
        assert isinstance(profile, forms.ModelChoiceField)
        profile.queryset = MappingProfile.objects.filter(owner=user).order_by("name", "id")
        bootstrap(self)


class MappingForm(forms.Form):
    """One field choice per column of the file, the phone region, the duplicate policy, a profile name."""

    region = forms.ChoiceField(label=gettext_lazy("Phone numbers without a country code are from"))
    on_duplicate = forms.ChoiceField(
        label=gettext_lazy("When a record already exists"),
        choices=OnDuplicate.choices,
        widget=forms.RadioSelect,
    )
    profile_name = forms.CharField(label=gettext_lazy("Save this mapping as"), required=False, max_length=100)

    def __init__(self, data: Any = None, *, job: ImportJob) -> None:
        super().__init__(data, initial={"region": job.region, "on_duplicate": job.on_duplicate})
        self.headers: list[str] = job.table.get("headers", [])
        choices = field_choices()
        for index, header in enumerate(self.headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header or _("Column %(number)s") % {"number": index + 1},
                choices=choices,
                required=False,
                initial=job.mapping[index] if index < len(job.mapping) else "",
            )
        region = self.fields["region"]
        assert isinstance(region, forms.ChoiceField)
        region.choices = region_choices()
        self.fields["profile_name"].widget.attrs["placeholder"] = _("e.g. Our 1C export")
        bootstrap(self)
        self.fields["on_duplicate"].widget.attrs["class"] = "form-check-input"

    def columns(self) -> list[forms.BoundField]:
        return [self[f"column_{index}"] for index in range(len(self.headers))]

    def mapping(self) -> list[str | None]:
        return [self.cleaned_data[f"column_{index}"] or None for index in range(len(self.headers))]


def _service_error(error: DjangoValidationError | ApplicationError) -> str:
    if isinstance(error, ApplicationError):
        return error.message
    return " ".join(error.messages)


# --- the list and the upload ---------------------------------------------------------------------


def _list_row(job: ImportJob) -> dict[str, Any]:
    counts = job.counts
    return {
        "job": job,
        "rows": counts.get("rows", 0),
        "created": counts.get("companies_created", 0) + counts.get("contacts_created", 0),
        "updated": counts.get("companies_updated", 0) + counts.get("contacts_updated", 0),
        "rejected": counts.get("rejected", 0),
    }


@login_required
def import_index(request: AuthedRequest) -> HttpResponse:
    """The user's recent imports (an admin sees all) and the form that starts a new one."""
    user = request.user
    allowed = services.import_allowed(user)
    form = UploadForm(request.POST or None, request.FILES or None, user=user) if allowed else None
    if request.method == "POST":
        if form is None:
            return forbidden(request, _("Your role cannot import clients."))
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = services.import_upload(
                    actor=user, stream=upload, filename=upload.name, profile=form.cleaned_data["profile"]
                )
            except (DjangoValidationError, ApplicationError) as error:
                form.add_error("file", _service_error(error))
            else:
                return redirect("import_detail", job.pk)
    context = {
        "rows": [_list_row(job) for job in import_list(user)],
        "form": form,
        "accept": ACCEPT,
        "show_owner": user.role == Role.ADMIN,
    }
    return render(request, "imports/list.html", context, status=400 if form and form.errors else 200)


# --- one import ----------------------------------------------------------------------------------


def _issues_page(request: AuthedRequest, job: ImportJob, *, dry_run: bool) -> dict[str, Any]:
    """A page of issues in file order, keyset by (row, id) from ?after=ROW-ID."""
    issues = import_issues(job, dry_run=dry_run)
    row, _sep, pk = request.GET.get("after", "").partition("-")
    if row.isdigit() and pk.isdigit():
        issues = issues.filter(Q(row__gt=int(row)) | Q(row=int(row), id__gt=int(pk)))
    page = list(issues[: ISSUES_PAGE + 1])
    following = f"{page[ISSUES_PAGE - 1].row}-{page[ISSUES_PAGE - 1].pk}" if len(page) > ISSUES_PAGE else ""
    return {"issues": page[:ISSUES_PAGE], "issues_after": following, "issues_paged": bool(row)}


def _samples(job: ImportJob) -> list[list[str]]:
    """Up to three values of each column, for the mapping table."""
    try:
        rows = services.job_sample(job, SAMPLE_ROWS)
    except (OSError, DjangoValidationError):
        return [[] for _header in job.table.get("headers", [])]
    return [
        [cells[index] for _number, cells in rows if index < len(cells) and cells[index]]
        for index in range(len(job.table.get("headers", [])))
    ]


def _choose_sheet(request: AuthedRequest, job: ImportJob) -> HttpResponse:
    """Read another sheet of a workbook: its headers get a fresh guess of the mapping."""
    try:
        services.import_configure(actor=request.user, job=job, sheet=request.POST.get("sheet", ""))
    except (DjangoValidationError, ApplicationError) as error:
        messages.error(request, _service_error(error))
    else:
        messages.info(request, _("Another sheet is chosen: check its columns."))
    return redirect("import_detail", job.pk)


def _configure(request: AuthedRequest, job: ImportJob, form: MappingForm) -> HttpResponse | None:
    """Save the form's settings, then run the dry run or the import; None when the form has errors."""
    user, action = request.user, request.POST.get("action", "preview")
    if not form.is_valid():
        return None
    try:
        data = form.cleaned_data
        services.import_configure(
            actor=user,
            job=job,
            mapping=form.mapping(),
            region=data["region"],
            on_duplicate=data["on_duplicate"],
            profile_name=data["profile_name"],
        )
        if action == "start":
            services.import_start(actor=user, job=job)
        else:
            services.import_preview(actor=user, job=job)
    except (DjangoValidationError, ApplicationError) as error:
        add_service_error(form, error)
        return None
    return redirect("import_detail", job.pk)


@login_required
@friendly_forbidden
def import_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """One import; the page follows its status: mapping and dry run, progress, report."""
    job = import_get_for_user(request.user, pk)
    if wants_fragment(request) and not job.is_active:
        return HttpResponseClientRefresh()  # the progress poll: the job ended, show its report
    form = None
    if job.status in (Status.NEW, Status.PREVIEWED):
        form = MappingForm(request.POST if request.method == "POST" else None, job=job)
        if request.method == "POST" and request.POST.get("action") == "sheet":
            return _choose_sheet(request, job)
        if request.method == "POST" and (response := _configure(request, job, form)) is not None:
            return response
    elif request.method == "POST":
        messages.error(request, _("This import has started; its settings can no longer change."))
        return redirect("import_detail", job.pk)
    context: dict[str, Any] = {
        "job": job,
        "form": form,
        "poll": POLL,
        "stalled": services.import_is_stalled(job),
    }
    if form is not None:
        context["columns"] = list(zip(form.columns(), _samples(job), strict=True))
        context["duplicate_options"] = [
            (radio, DUPLICATE_HELP[radio.data["value"]]) for radio in form["on_duplicate"]
        ]
    report_dry_run = job.status == Status.PREVIEWED
    if report_dry_run or job.status in (Status.DONE, Status.FAILED):
        context.update(_issues_page(request, job, dry_run=report_dry_run))
        report = job.preview if report_dry_run else job.counts
        context.update(report=report, report_dry_run=report_dry_run, stats=_stats(report, REPORT_STATS))
    if job.status == Status.UNDONE:
        context["undo_stats"] = _stats(job.counts.get("undo", {}), UNDO_STATS)
    if job.status == Status.DONE and job.started_at and job.finished_at:
        context["contacts_query"] = urlencode(
            {
                "created_from": localdate(job.started_at).isoformat(),
                "created_to": localdate(job.finished_at).isoformat(),
                "sort": "recent",
            }
        )
    status = 400 if form is not None and form.errors else 200
    return render_page(request, "imports/detail.html", context, fragment="progress", status=status)


@require_POST
@login_required
@friendly_forbidden
def import_resume(request: AuthedRequest, pk: int) -> HttpResponse:
    job = import_get_for_user(request.user, pk)
    try:
        services.import_resume(actor=request.user, job=job)
    except DjangoValidationError as error:
        messages.error(request, _service_error(error))
    return redirect("import_detail", job.pk)


@require_POST
@login_required
@friendly_forbidden
def import_undo(request: AuthedRequest, pk: int) -> HttpResponse:
    job = import_get_for_user(request.user, pk)
    try:
        services.import_undo(actor=request.user, job=job)
    except DjangoValidationError as error:
        messages.error(request, _service_error(error))
    return redirect("import_detail", job.pk)


@login_required
def import_rejected_csv(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """The rejected rows as the file had them, with the reason: fix them and import this file again."""
    job = import_get_for_user(request.user, pk)
    dry_run = request.GET.get("dry_run") == "1"
    response = StreamingHttpResponse(
        rejected_rows_csv(job, dry_run=dry_run), content_type="text/csv; charset=utf-8"
    )
    name = f"import-{job.pk}-dry-run-rejected.csv" if dry_run else f"import-{job.pk}-rejected.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
