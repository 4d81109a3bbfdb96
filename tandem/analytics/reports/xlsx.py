"""Reports to Excel: one sheet per table, every cell written by its type (numbers as numbers, text
always as text — never a formula or a link)."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.utils import timezone
from django.utils.translation import gettext as _

from tandem.analytics.reports.activity import KINDS, ActivityReport
from tandem.analytics.reports.channels import ChannelReport
from tandem.analytics.reports.funnel import FunnelReport
from tandem.analytics.reports.losses import LossReport
from tandem.analytics.reports.revenue import RevenueReport, RevenueRow
from tandem.exports.writers import XLSX_MAX_STRING, sheet_name

Cell = str | int | float | Decimal | datetime.date | datetime.datetime | None


@dataclass
class Sheet:
    title: str
    header: list[str]
    rows: list[list[Cell]] = field(default_factory=list)


def kind_labels() -> dict[str, str]:
    from tandem.activities.models import ActivityType

    return {kind: str(ActivityType.Kind(kind).label) for kind in KINDS}


def funnel_sheets(report: FunnelReport) -> list[Sheet]:
    sheet = Sheet(
        _("Sales funnel"),
        [
            _("Pipeline"),
            _("Stage"),
            _("Entered"),
            _("Moved on"),
            _("Conversion %"),
            _("Median days in stage"),
        ],
    )
    summary = Sheet(
        _("Win rate"), [_("Pipeline"), _("Won"), _("Lost"), _("Win rate %"), _("Average cycle (days)")]
    )
    for pipeline in report.pipelines:
        for stage in pipeline.stages:
            moved_on = stage.converted if stage.is_open else None
            sheet.rows.append(
                [pipeline.name, stage.name, stage.entered, moved_on, stage.conversion, stage.median_days]
            )
        summary.rows.append(
            [pipeline.name, pipeline.won, pipeline.lost, pipeline.win_rate, pipeline.cycle_days]
        )
    return [sheet, summary]


def plan_fact_sheets(context: dict[str, Any]) -> list[Sheet]:
    """The plan-vs-fact table (`forecast.plan_fact_context`): teams, their managers and the total."""
    sheet = Sheet(
        _("Plan vs fact"),
        [
            _("Manager"),
            _("Plan"),
            _("Planned deals"),
            _("Fact"),
            _("Won deals"),
            _("Of plan, %"),
            _("Weighted pipeline"),
            _("Forecast P10"),
            _("Forecast P50"),
            _("Forecast P90"),
            _("Chance of meeting the plan, %"),
        ],
    )
    rows = [*context["rows"], *([context["total"]] if context["show_total"] else [])]
    for row in rows:
        # As the page shows them: by amount where the plan has one, else by the number of deals.
        percent = row.percent_of_plan if row.percent_of_plan is not None else row.percent_of_count
        chance = row.chance_of_plan if row.chance_of_plan is not None else row.chance_of_count
        sheet.rows.append(
            [
                row.label,
                row.plan_amount,
                row.plan_count,
                row.fact_amount,
                row.fact_count,
                None if percent is None else round(percent, 1),
                row.weighted,
                row.p10,
                row.p50,
                row.p90,
                None if chance is None else round(chance * 100, 1),
            ]
        )
    return [sheet]


def activity_sheets(report: ActivityReport) -> list[Sheet]:
    labels = kind_labels()
    header = [
        _("Manager"),
        *[labels[kind] for kind in KINDS],
        _("Done"),
        _("Overdue now"),
        _("Leads contacted"),
        _("First response, average (hours)"),
        _("First response, median (hours)"),
        _("Deals moved"),
    ]
    sheet = Sheet(_("Manager activity"), header)
    for row in [*report.managers, report.totals]:
        counts: list[Cell] = [row.done[kind] for kind in KINDS]
        sheet.rows.append(
            [
                row.name or _("Total"),
                *counts,
                row.done_total,
                row.overdue,
                row.responded,
                row.response_avg_hours,
                row.response_median_hours,
                row.moved,
            ]
        )
    series = Sheet(
        _("Activity by week") if report.weekly else _("Activity by day"),
        [_("Week of") if report.weekly else _("Day"), *[labels[kind] for kind in KINDS]],
    )
    for point in report.series:
        series.rows.append([point.start, *[point.done[kind] for kind in KINDS]])
    return [sheet, series]


def _revenue_sheet(title: str, first: str, rows: Iterable[RevenueRow]) -> Sheet:
    sheet = Sheet(title, [first, _("Deals"), _("Revenue")])
    sheet.rows = [[row.label, row.count, row.amount] for row in rows]
    return sheet


def revenue_sheets(report: RevenueReport) -> list[Sheet]:
    return [
        _revenue_sheet(_("Revenue by manager"), _("Manager"), report.by_manager),
        _revenue_sheet(_("Revenue by month"), _("Month"), report.by_month),
        _revenue_sheet(_("Revenue by channel"), _("Channel"), report.by_channel),
        _revenue_sheet(_("Revenue by client category"), _("Client category"), report.by_category),
        _revenue_sheet(_("Revenue by product"), _("Product"), report.by_product),
        _revenue_sheet(_("Revenue by product category"), _("Product category"), report.by_product_category),
        _revenue_sheet(_("Payments by manager"), _("Manager"), report.payments_by_manager),
    ]


def channel_sheets(report: ChannelReport) -> list[Sheet]:
    sheet = Sheet(
        _("Channels"),
        [
            _("Channel"),
            _("Leads"),
            _("Won"),
            _("Conversion %"),
            _("Revenue"),
            _("Cost"),
            _("Cost per lead"),
            _("ROI %"),
        ],
    )
    for row in [*report.rows, report.totals]:
        sheet.rows.append(
            [
                row.label or _("Total"),
                row.leads,
                row.won,
                row.conversion,
                row.revenue,
                row.cost,
                row.cost_per_lead,
                row.roi,
            ]
        )
    return [sheet]


def loss_sheets(report: LossReport) -> list[Sheet]:
    reasons = Sheet(_("Lost by reason"), [_("Reason"), _("Deals"), _("Amount")])
    reasons.rows = [[row.label, row.count, row.amount] for row in report.by_reason]
    stages = Sheet(_("Lost by stage"), [_("Stage"), _("Deals")])
    stages.rows = [[row.label, row.count] for row in report.by_stage]
    stuck = Sheet(_("Stuck deals"), [_("Stage"), _("Deals"), _("Amount")])
    stuck.rows = [[row.label, row.count, row.amount] for row in report.stuck_by_stage]
    idle = Sheet(_("Clients without activity"), [_("Company"), _("Owner")])
    idle.rows = [[client.name, client.owner] for client in report.idle_clients]
    return [reasons, stages, stuck, idle]


def workbook(sheets: list[Sheet]) -> bytes:
    """The sheets as an .xlsx file in memory (report tables are small: a few thousand rows at most)."""
    buffer = io.BytesIO()
    options = {
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "in_memory": True,
    }
    book = xlsxwriter.Workbook(buffer, options)
    bold = book.add_format({"bold": True})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    datetime_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    used: set[str] = set()
    for sheet in sheets:
        name = sheet_name(sheet.title)
        base, number = name, 2
        while name.lower() in used:
            name = f"{base[:28]} {number}"
            number += 1
        used.add(name.lower())
        worksheet = book.add_worksheet(name)
        worksheet.freeze_panes(1, 0)
        for column, title in enumerate(sheet.header):
            worksheet.write_string(0, column, title, bold)
            worksheet.set_column(column, column, max(12, min(len(title) + 2, 40)))
        for row_index, row in enumerate(sheet.rows, start=1):
            for column, value in enumerate(row):
                _write(worksheet, row_index, column, value, date_format, datetime_format)
    book.close()
    return buffer.getvalue()


def _write(
    worksheet: Any, row: int, column: int, value: Cell, date_format: Any, datetime_format: Any
) -> None:
    if value is None or value == "":
        return
    if isinstance(value, datetime.datetime):
        worksheet.write_datetime(row, column, timezone.localtime(value).replace(tzinfo=None), datetime_format)
    elif isinstance(value, datetime.date):
        worksheet.write_datetime(row, column, datetime.datetime.combine(value, datetime.time()), date_format)
    elif isinstance(value, bool):
        worksheet.write_string(row, column, str(value))
    elif isinstance(value, int | float | Decimal):
        worksheet.write_number(row, column, float(value))
    else:
        worksheet.write_string(row, column, str(value)[:XLSX_MAX_STRING])
