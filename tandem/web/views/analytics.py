"""The sales dashboard: a period and filters, report sections loaded by htmx, drill-downs to the
records behind every number, Excel exports, and a client's history panel for the cards."""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from tandem.accounts.models import Team, User
from tandem.accounts.visibility import Scope, team_ids
from tandem.analytics.filters import ReportFilters
from tandem.analytics.forecast import plan_fact_context
from tandem.analytics.reports import xlsx
from tandem.analytics.reports.activity import KINDS, activity_report
from tandem.analytics.reports.base import deal_scope, effective_filters, visible_managers
from tandem.analytics.reports.channels import channel_report
from tandem.analytics.reports.client import client_history
from tandem.analytics.reports.drill import REPORTS, drill
from tandem.analytics.reports.funnel import FunnelPipeline, funnel_report
from tandem.analytics.reports.losses import IDLE_DAYS_DEFAULT, loss_report
from tandem.analytics.reports.revenue import revenue_report
from tandem.contacts.models import Channel, ClientCategory
from tandem.contacts.selectors import company_get_for_user, contact_get_for_user
from tandem.core.pagination import paginate
from tandem.deals.models import Pipeline, Product
from tandem.web.forms.contacts import bootstrap
from tandem.web.views.records import PAGE_SIZE, AuthedRequest, render_page

PERIODS = [
    ("this_month", gettext_lazy("This month")),
    ("last_month", gettext_lazy("Last month")),
    ("this_quarter", gettext_lazy("This quarter")),
    ("this_year", gettext_lazy("This year")),
    ("custom", gettext_lazy("Custom")),
]
FILTER_NAMES = [
    "period",
    "start",
    "end",
    "pipeline",
    "team",
    "manager",
    "channel",
    "product",
    "category",
    "idle_days",
]
MAX_PERIOD_DAYS = 3 * 366


def period_bounds(period: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of a named period around `today`."""
    if period == "last_month":
        end = today.replace(day=1) - datetime.timedelta(days=1)
        return end.replace(day=1), end
    if period == "this_quarter":
        first_month = (today.month - 1) // 3 * 3 + 1
        start = today.replace(month=first_month, day=1)
        following = (start + datetime.timedelta(days=95)).replace(day=1)
        return start, following - datetime.timedelta(days=1)
    if period == "this_year":
        return today.replace(month=1, day=1), today.replace(month=12, day=31)
    start = today.replace(day=1)
    return start, (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)


class ReportFilterForm(forms.Form):
    period = forms.ChoiceField(label=gettext_lazy("Period"), choices=PERIODS, required=False)
    start = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    pipeline = forms.ModelChoiceField(
        label=gettext_lazy("Pipeline"), queryset=Pipeline.objects.none(), required=False
    )
    team = forms.ModelChoiceField(label=gettext_lazy("Team"), queryset=Team.objects.none(), required=False)
    manager = forms.ModelChoiceField(
        label=gettext_lazy("Manager"), queryset=User.objects.none(), required=False
    )
    channel = forms.ModelChoiceField(
        label=gettext_lazy("Channel"), queryset=Channel.objects.none(), required=False
    )
    product = forms.ModelChoiceField(
        label=gettext_lazy("Product"), queryset=Product.objects.none(), required=False
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("Client category"), queryset=ClientCategory.objects.none(), required=False
    )
    idle_days = forms.IntegerField(
        label=gettext_lazy("Without activity for (days)"), min_value=1, max_value=365, required=False
    )

    def __init__(self, data: Any, *, user: User):
        super().__init__(data)
        self.user = user
        scope = deal_scope(user)
        fields = self.fields
        self._choices("pipeline", Pipeline.objects.filter(is_active=True).order_by("position", "id"))
        if scope is Scope.ALL:
            self._choices("team", Team.objects.order_by("name"))
        elif scope is Scope.TEAM:
            self._choices("team", Team.objects.filter(pk__in=team_ids(user)).order_by("name"))
        else:
            del fields["team"]
        if scope in (Scope.ALL, Scope.TEAM):
            self._choices(
                "manager", visible_managers(user).filter(is_active=True).order_by("full_name", "email")
            )
        else:
            del fields["manager"]
        self._choices("channel", Channel.objects.order_by("position", "name"))
        self._choices("product", Product.objects.filter(is_active=True).order_by("name", "id"))
        self._choices("category", ClientCategory.objects.order_by("position", "name"))
        bootstrap(self)
        fields["period"].widget.attrs["data-period"] = "1"

    def _choices(self, name: str, queryset: QuerySet[Any]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = queryset

    @property
    def today(self) -> datetime.date:
        return timezone.localdate(timezone=zoneinfo.ZoneInfo(self.user.time_zone))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        period = data.get("period") or "this_month"
        if period == "custom":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                raise forms.ValidationError(_("Choose both dates of a custom period."))
            if end < start:
                raise forms.ValidationError(_("The period ends before it starts."))
            if (end - start).days > MAX_PERIOD_DAYS:
                raise forms.ValidationError(_("Choose a period of at most three years."))
        else:
            data["start"], data["end"] = period_bounds(period, self.today)
        data["period"] = period
        return data

    def report_filters(self) -> ReportFilters:
        """The filters of a valid form; the default period (this month) when the form is not valid."""
        data = self.cleaned_data if self.is_valid() else {}
        start, end = data.get("start"), data.get("end")
        if not start or not end:
            start, end = period_bounds("this_month", self.today)
        filters = ReportFilters(
            start=start,
            end=end,
            time_zone=self.user.time_zone,
            pipeline=_pk(data.get("pipeline")),
            team=_pk(data.get("team")),
            manager=_pk(data.get("manager")),
            channel=_pk(data.get("channel")),
            product=_pk(data.get("product")),
            category=_pk(data.get("category")),
        )
        return effective_filters(self.user, filters)

    @property
    def idle_days_value(self) -> int:
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("idle_days") or IDLE_DAYS_DEFAULT


def _pk(value: Any) -> int | None:
    return value.pk if value is not None else None


def _query(request: AuthedRequest) -> str:
    """The dashboard's filter parameters, to carry into section, export and drill-down links."""
    return urlencode([(name, value) for name in FILTER_NAMES for value in request.GET.getlist(name) if value])


@dataclass(frozen=True)
class Section:
    title: Any
    template: str
    build: Callable[[User, ReportFilters, int], Any]
    sheets: Callable[[Any], list[xlsx.Sheet]]


SECTIONS: dict[str, Section] = {
    "plan": Section(
        gettext_lazy("Plan vs fact and forecast"),
        "analytics/partials/plan.html",
        lambda user, filters, idle: plan_fact_context(user, filters),
        xlsx.plan_fact_sheets,
    ),
    "funnel": Section(
        gettext_lazy("Sales funnel"),
        "analytics/partials/funnel.html",
        lambda user, filters, idle: funnel_report(user, filters),
        xlsx.funnel_sheets,
    ),
    "activity": Section(
        gettext_lazy("Manager activity"),
        "analytics/partials/activity.html",
        lambda user, filters, idle: activity_report(user, filters),
        xlsx.activity_sheets,
    ),
    "revenue": Section(
        gettext_lazy("Revenue"),
        "analytics/partials/revenue.html",
        lambda user, filters, idle: revenue_report(user, filters),
        xlsx.revenue_sheets,
    ),
    "channels": Section(
        gettext_lazy("Lead channels"),
        "analytics/partials/channels.html",
        lambda user, filters, idle: channel_report(user, filters),
        xlsx.channel_sheets,
    ),
    "losses": Section(
        gettext_lazy("Lost deals and risks"),
        "analytics/partials/losses.html",
        lambda user, filters, idle: loss_report(user, filters, idle_days=idle),
        xlsx.loss_sheets,
    ),
}


KIND_COLOURS = {
    "call": "#0d6efd",
    "meeting": "#6610f2",
    "letter": "#fd7e14",
    "email": "#20c997",
    "task": "#6c757d",
}


def _funnel_chart(pipeline: FunnelPipeline) -> dict[str, Any] | None:
    if not any(stage.entered for stage in pipeline.stages):
        return None  # an empty chart says less than the table's zeros
    return {
        "type": "bar",
        "horizontal": True,
        "labels": [stage.name for stage in pipeline.stages],
        "datasets": [
            {
                "label": str(_("Entered")),
                "data": [stage.entered for stage in pipeline.stages],
                "colours": [stage.colour for stage in pipeline.stages],
            }
        ],
    }


def _charts(name: str, report: Any) -> dict[str, Any]:
    """Chart.js data for a section (rendered with `json_script`, read by tandem/analytics.js)."""
    if name == "funnel":
        return {"pipelines": [(pipeline, _funnel_chart(pipeline)) for pipeline in report.pipelines]}
    if name == "activity":
        labels = xlsx.kind_labels()
        return {
            "kinds": list(labels.items()),
            "chart": {
                "type": "bar",
                "stacked": True,
                "labels": [point.start.isoformat() for point in report.series],
                "datasets": [
                    {
                        "label": labels[kind],
                        "data": [point.done[kind] for point in report.series],
                        "colour": KIND_COLOURS[kind],
                    }
                    for kind in KINDS
                ],
            },
        }
    if name == "revenue":
        return {
            "chart": {
                "type": "bar",
                "labels": [row.label for row in report.by_month],
                "datasets": [
                    {
                        "label": str(_("Revenue")),
                        "data": [float(row.amount) for row in report.by_month],
                        "colour": "#198754",
                    }
                ],
            }
        }
    return {}


def _context(request: AuthedRequest) -> tuple[ReportFilterForm, ReportFilters, dict[str, Any]]:
    form = ReportFilterForm(request.GET or None, user=request.user)
    filters = form.report_filters()
    context = {
        "form": form,
        "filters": filters,
        "query": _query(request),
        "is_rep": deal_scope(request.user) is Scope.OWN,
    }
    return form, filters, context


@login_required
@require_GET
def dashboard(request: AuthedRequest) -> HttpResponse:
    _form, _filters, context = _context(request)
    context["sections"] = [(name, section.title) for name, section in SECTIONS.items()]
    context["periods"] = PERIODS
    return render_page(request, "analytics/dashboard.html", context, fragment="sections")


@login_required
@require_GET
def dashboard_section(request: AuthedRequest, name: str) -> HttpResponse:
    section = SECTIONS.get(name)
    if section is None:
        raise Http404
    form, filters, context = _context(request)
    report = section.build(request.user, filters, form.idle_days_value)
    context.update(report=report, plan_fact=report, name=name, title=section.title)
    context.update(_charts(name, report))
    response = render_page(request, section.template, context, fragment="section")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def dashboard_export(request: AuthedRequest, name: str) -> HttpResponse:
    """One report (or `all` of them) as an .xlsx workbook."""
    form, filters, _unused = _context(request)
    names = list(SECTIONS) if name == "all" else [name]
    if any(item not in SECTIONS for item in names):
        raise Http404
    sheets: list[xlsx.Sheet] = []
    for item in names:
        section = SECTIONS[item]
        sheets += section.sheets(section.build(request.user, filters, form.idle_days_value))
    response = HttpResponse(
        xlsx.workbook(sheets),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    filename = f"tandem-{name}-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


DRILL_TITLES = {
    "entered": gettext_lazy("Deals that entered the stage"),
    "converted": gettext_lazy("Deals that moved on from the stage"),
    "won": gettext_lazy("Won deals"),
    "lost": gettext_lazy("Lost deals"),
    "lost_stage": gettext_lazy("Deals lost at the stage"),
    "response": gettext_lazy("New leads contacted"),
    "moved": gettext_lazy("Deals moved"),
    "payments": gettext_lazy("Deals with payments"),
    "leads": gettext_lazy("Leads"),
    "channel_won": gettext_lazy("Leads won"),
    "stuck": gettext_lazy("Stuck deals"),
    "open": gettext_lazy("Open deals"),
    "done": gettext_lazy("Done activities"),
    "overdue": gettext_lazy("Overdue activities"),
    "idle": gettext_lazy("Clients without activity"),
}


@login_required
@require_GET
def drill_page(request: AuthedRequest, report: str) -> HttpResponse:
    """The deals, activities or companies behind one number, a keyset page at a time."""
    if report not in REPORTS:
        raise Http404
    form, filters, context = _context(request)
    by, value = request.GET.get("by", "")[:40], request.GET.get("value", "")[:40]
    result = drill(request.user, report, filters, by=by, value=value, idle_days=form.idle_days_value)
    queryset: QuerySet[Any] = result.queryset
    page = paginate(queryset, ordering=["-id"], cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    context.update(
        report=report,
        kind=result.kind,
        page=page,
        title=DRILL_TITLES[report],
        by=by,
        value=value,
        kinds=dict(xlsx.kind_labels()),
    )
    return render_page(request, "analytics/drill.html", context, fragment="results")


@login_required
@require_GET
def client_history_panel(request: AuthedRequest) -> HttpResponse:
    """The "History with us" panel of a company or contact card (loaded after the card)."""
    company = contact = None
    if request.GET.get("company"):
        company = company_get_for_user(user=request.user, pk=request.GET["company"])
    elif request.GET.get("contact"):
        contact = contact_get_for_user(user=request.user, pk=request.GET["contact"])
    else:
        raise Http404
    history = client_history(request.user, company=company, contact=contact)
    return render_page(
        request,
        "analytics/partials/client_history.html",
        {"history": history, "company": company, "contact": contact},
        fragment="panel",
    )
