"""Sales plans, channel costs, payments on a deal, and the plan-vs-fact forecast page."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal, InvalidOperation
from typing import Any

import xlsxwriter
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tandem.accounts.visibility import can
from tandem.analytics import services
from tandem.analytics.filters import ReportFilters
from tandem.analytics.forecast import plan_fact_context
from tandem.analytics.models import Payment, SalesPlan
from tandem.analytics.plans import (
    channel_cost_grid,
    channel_costs_visible,
    plan_grid,
    plan_teams_visible,
    plan_users_visible,
    plans_visible,
)
from tandem.contacts.models import Channel
from tandem.core.errors import PermissionDenied
from tandem.deals.models import Currency
from tandem.deals.money import base_currency_code
from tandem.deals.selectors import deal_get_for_user
from tandem.web.views.records import AuthedRequest, forbidden, render_page

MIN_YEAR, MAX_YEAR = 2000, 2100


def _year(request: AuthedRequest) -> int:
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or "")
    except ValueError:
        year = timezone.localdate().year
    return min(max(year, MIN_YEAR), MAX_YEAR)


def _month(value: str) -> datetime.date:
    month = services.parse_month(value or "")
    if month is None:
        raise Http404
    return month


def _decimal(value: str) -> Decimal | None:
    try:
        return services.parse_amount(value or "")
    except (ValueError, InvalidOperation) as error:
        raise DjangoValidationError(_("Enter a number."), code="invalid") from error


def _messages(error: DjangoValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


# -- sales plans ------------------------------------------------------------------------------------


@login_required
def plans_page(request: AuthedRequest) -> HttpResponse:
    """The year's plans grid: managers (grouped by team, with the team's row) × months."""
    year = _year(request)
    metric = "count" if request.GET.get("metric") == "count" else "amount"
    grid = plan_grid(actor=request.user, year=year)
    context = {
        "grid": grid,
        "year": year,
        "metric": metric,
        "base_currency": base_currency_code(),
        "can_see_costs": channel_costs_visible(request.user),
        "previous_year": year - 1,
        "next_year": year + 1,
    }
    return render_page(request, "analytics/plans.html", context, fragment="grid")


@login_required
@require_POST
def plan_cell_save(request: AuthedRequest) -> HttpResponse:
    """Save one cell of the grid (the amount or the won deals of one manager or team in one month)."""
    kind = request.POST.get("kind")
    month = _month(request.POST.get("month", ""))
    metric = "count" if request.POST.get("metric") == "count" else "amount"
    target: dict[str, Any]
    if kind == "user":
        user = get_object_or_404(plan_users_visible(request.user), pk=_pk(request.POST.get("pk")))
        target = {"user": user}
        existing = plans_visible(request.user).filter(user=user, month=month).first()
    elif kind == "team":
        team = get_object_or_404(plan_teams_visible(request.user), pk=_pk(request.POST.get("pk")))
        target = {"team": team}
        existing = plans_visible(request.user).filter(team=team, month=month).first()
    else:
        raise Http404
    raw = request.POST.get("value", "").strip()
    error = ""
    try:
        value = _decimal(raw)
        amount = existing.amount if existing else None
        won_count = existing.won_count if existing else None
        if metric == "amount":
            amount = value.quantize(Decimal("0.01")) if value is not None else None
        else:
            if value is not None and value != value.to_integral_value():
                raise DjangoValidationError(_("Enter a whole number."), code="invalid")
            won_count = int(value) if value is not None else None
        plan = services.plan_set(
            actor=request.user, month=month, amount=amount, won_count=won_count, **target
        )
    except PermissionDenied as denied:
        return forbidden(request, denied.message)
    except DjangoValidationError as invalid:
        error, plan = _messages(invalid), existing
    context = {
        "kind": kind,
        "pk": next(iter(target.values())).pk,
        "label": str(next(iter(target.values()))),
        "month": month,
        "metric": metric,
        "value": raw if error else _cell_value(plan, metric),
        "editable": True,
        "error": error,
        "saved": not error,
    }
    return render(request, "analytics/plans_cell.html", context)


def _pk(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError as error:
        raise Http404 from error


def _cell_value(plan: SalesPlan | None, metric: str) -> Decimal | int | None:
    if plan is None:
        return None
    return plan.won_count if metric == "count" else plan.amount


@login_required
@require_http_methods(["GET", "POST"])
def plans_import(request: AuthedRequest) -> HttpResponse:
    """Upload a plans spreadsheet: everything is saved, or nothing and the wrong rows are listed."""
    if not services.can_edit_plans(request.user):
        return forbidden(request, _("Your role cannot set sales plans."))
    year = _year(request)
    result = None
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("Choose a file.")
        else:
            try:
                result = services.plans_import_xlsx(
                    actor=request.user, file=upload, filename=upload.name or ""
                )
            except DjangoValidationError as invalid:
                error = _messages(invalid)
            except PermissionDenied as denied:
                return forbidden(request, denied.message)
            if result is not None and result.ok:
                return redirect(f"{reverse('analytics_plans')}?year={year}&imported={result.saved}")
    context = {"year": year, "result": result, "error": error}
    return render(request, "analytics/plans_import.html", context, status=422 if (error or result) else 200)


@login_required
def plans_template(request: AuthedRequest) -> HttpResponse:
    """An XLSX to fill in: the header row and a line per manager and team the user may plan."""
    year = _year(request)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(_("Plans"))
    bold = workbook.add_format({"bold": True})
    for column, header in enumerate(services.TEMPLATE_HEADERS):
        sheet.write(0, column, header, bold)
    sheet.set_column(0, 1, 28)
    sheet.set_column(2, 4, 14)
    row = 1
    month = f"{year}-01"
    for user in services.plan_users_editable(request.user).order_by("full_name", "email"):
        sheet.write_row(row, 0, [user.email, "", month, "", ""])
        row += 1
    for team in services.plan_teams_editable(request.user).order_by("name"):
        sheet.write_row(row, 0, ["", team.name, month, "", ""])
        row += 1
    workbook.close()
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="sales-plans-{year}.xlsx"'
    return response


# -- channel costs ----------------------------------------------------------------------------------


@login_required
def channel_costs_page(request: AuthedRequest) -> HttpResponse:
    if not channel_costs_visible(request.user):
        return forbidden(request, _("Channel costs are for administrators, marketers and heads of sales."))
    year = _year(request)
    context = {
        "grid": channel_cost_grid(actor=request.user, year=year),
        "year": year,
        "base_currency": base_currency_code(),
        "previous_year": year - 1,
        "next_year": year + 1,
    }
    return render_page(request, "analytics/channel_costs.html", context, fragment="grid")


@login_required
@require_POST
def channel_cost_save(request: AuthedRequest) -> HttpResponse:
    channel = get_object_or_404(Channel, pk=_pk(request.POST.get("channel")))
    month = _month(request.POST.get("month", ""))
    raw = request.POST.get("value", "").strip()
    error = ""
    try:
        value = _decimal(raw)
        services.channel_cost_set(
            actor=request.user,
            channel=channel,
            month=month,
            amount=value.quantize(Decimal("0.01")) if value is not None else None,
        )
    except PermissionDenied as denied:
        return forbidden(request, denied.message)
    except DjangoValidationError as invalid:
        error = _messages(invalid)
    cost = channel.channelcost_set.filter(month=month).first()
    context = {
        "channel": channel,
        "month": month,
        "value": raw if error else (cost.amount if cost else None),
        "editable": True,
        "error": error,
        "saved": not error,
    }
    return render(request, "analytics/channel_costs_cell.html", context)


# -- payments on a deal -----------------------------------------------------------------------------


def _payments_context(request: AuthedRequest, deal: Any, **extra: Any) -> dict[str, Any]:
    payments = list(Payment.objects.filter(deal=deal).select_related("currency").order_by("paid_on", "id"))
    total = sum((payment.amount_base for payment in payments), Decimal("0"))
    return {
        "deal": deal,
        "payments": payments,
        "payments_total": total,
        "base_currency": base_currency_code(),
        "can_change": can(request.user, "change", deal) and not deal.is_deleted,
        "currencies": Currency.objects.filter(is_active=True).order_by("code"),
        "default_currency": deal.currency_id,
        "today": timezone.localdate(),
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def deal_payments(request: AuthedRequest, pk: int) -> HttpResponse:
    """The Payments block of a deal card: the list with its sum, and (POST) adding one."""
    deal = deal_get_for_user(user=request.user, pk=pk)
    errors: dict[str, str] = {}
    form: dict[str, str] = {}
    if request.method == "POST":
        form = {key: request.POST.get(key, "").strip() for key in ("paid_on", "amount", "currency", "note")}
        try:
            paid_on = datetime.date.fromisoformat(form["paid_on"])
        except ValueError:
            errors["paid_on"] = _("Enter a date.")
        try:
            amount = services.parse_amount(form["amount"])
            if amount is None:
                errors["amount"] = _("Enter an amount greater than zero.")
        except (ValueError, InvalidOperation):
            errors["amount"] = _("Enter a number.")
        currency = Currency.objects.filter(pk=form["currency"]).first()
        if currency is None:
            errors["currency"] = _("Choose a currency.")
        if not errors and amount is not None and currency is not None:
            try:
                services.payment_add(
                    actor=request.user,
                    deal=deal,
                    paid_on=paid_on,
                    amount=amount.quantize(Decimal("0.01")),
                    currency=currency,
                    note=form["note"][:255],
                )
                form = {}
            except PermissionDenied as denied:
                return forbidden(request, denied.message)
            except DjangoValidationError as invalid:
                errors["amount"] = _messages(invalid)
    if request.method == "POST" and not request.htmx and not errors:
        return redirect("deal_detail", pk=deal.pk)
    context = _payments_context(request, deal, errors=errors, form=form)
    # htmx swaps only 2xx answers: a refused form is shown in place with its errors.
    status = 422 if errors and not request.htmx else 200
    response = render(request, "analytics/payments_block.html", context, status=status)
    response["Vary"] = "HX-Request"
    return response


@login_required
@require_POST
def deal_payment_remove(request: AuthedRequest, pk: int, payment_pk: int) -> HttpResponse:
    deal = deal_get_for_user(user=request.user, pk=pk)
    payment = get_object_or_404(Payment, pk=payment_pk, deal=deal)
    try:
        services.payment_remove(actor=request.user, payment=payment)
    except PermissionDenied as denied:
        return forbidden(request, denied.message)
    if not request.htmx:
        return redirect("deal_detail", pk=deal.pk)
    return render(request, "analytics/payments_block.html", _payments_context(request, deal))


# -- plan vs fact and forecast ----------------------------------------------------------------------


def _quarter_start(day: datetime.date) -> datetime.date:
    return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _month_end(day: datetime.date) -> datetime.date:
    following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def forecast_period(params: Any, today: datetime.date) -> tuple[str, datetime.date, datetime.date]:
    """(period, start, end) from ?period=month|quarter|last_month|custom&start=&end=."""
    period = params.get("period") or "month"
    if period == "quarter":
        start = _quarter_start(today)
        end = _month_end(datetime.date(start.year, start.month + 2, 1))
    elif period == "last_month":
        end = today.replace(day=1) - datetime.timedelta(days=1)
        start = end.replace(day=1)
    elif period == "custom":
        try:
            start = datetime.date.fromisoformat(params.get("start", ""))
            end = datetime.date.fromisoformat(params.get("end", ""))
        except ValueError:
            start, end = today.replace(day=1), _month_end(today)
        if end < start:
            start, end = end, start
        end = min(end, start + datetime.timedelta(days=366))
    else:
        period = "month"
        start, end = today.replace(day=1), _month_end(today)
    return period, start, end


def _int_param(params: Any, name: str) -> int | None:
    try:
        return int(params.get(name) or "") or None
    except ValueError:
        return None


@login_required
def forecast_page(request: AuthedRequest) -> HttpResponse:
    """Plan, fact, weighted pipeline and the forecast range per manager and team for a period."""
    zone = timezone.get_current_timezone_name()
    today = timezone.localdate()
    period, start, end = forecast_period(request.GET, today)
    team_choices = list(plan_teams_visible(request.user).order_by("name"))
    manager_choices = list(plan_users_visible(request.user).order_by("full_name", "email"))
    team = _int_param(request.GET, "team")
    manager = _int_param(request.GET, "manager")
    if team not in {item.pk for item in team_choices}:
        team = None
    if manager not in {item.pk for item in manager_choices}:
        manager = None
    filters = ReportFilters(start=start, end=end, time_zone=zone, team=team, manager=manager)
    context = {
        "plan_fact": plan_fact_context(request.user, filters),
        "period": period,
        "start": start,
        "end": end,
        "team": team,
        "manager": manager,
        "teams": team_choices,
        "managers": manager_choices,
    }
    return render_page(request, "analytics/forecast.html", context, fragment="results")
