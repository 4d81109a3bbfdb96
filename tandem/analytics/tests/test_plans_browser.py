"""In the real browser: a head of sales types a plan into the grid and sees it on the forecast page."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from python_calamine import CalamineWorkbook

from tandem.analytics.models import SalesPlan
from tandem.deals.models import Pipeline
from tandem.deals.services import deal_create, deal_move


@pytest.mark.browser
def test_head_enters_a_plan_cell_and_sees_the_forecast(login, live_server, head_a, rep_a, rep_a2, screenshot):
    today = timezone.localdate()
    pipeline = Pipeline.objects.order_by("position", "id").first()
    assert pipeline is not None
    won = pipeline.stages.get(kind="won")
    for title, amount in (("Cement delivery", "4200"), ("Steel frames", "1800")):
        deal = deal_create(
            actor=rep_a, data={"title": title, "pipeline": pipeline, "amount": Decimal(amount)}
        )
        deal_move(actor=rep_a, deal=deal, stage=won)
    deal_create(
        actor=rep_a,
        data={
            "title": "Warehouse roof",
            "pipeline": pipeline,
            "amount": Decimal("6000"),
            "expected_close_date": today,
        },
    )
    page = login(head_a)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{live_server.url}/analytics/plans/?year={today.year}")

    label = f"Plan of Rita Rep for {today:%B} {today.year}"
    cell = page.get_by_label(label)
    cell.fill("10000")
    cell.press("Tab")
    expect(page.locator("td.plan-cell-saved").get_by_label(label)).to_have_value("10000")
    screenshot("analytics-1-plans-grid")
    plan = SalesPlan.objects.get(user=rep_a)
    assert (plan.month, plan.amount) == (today.replace(day=1), Decimal("10000.00"))

    page.get_by_role("link", name="Plan vs fact and forecast").click()
    row = page.locator("#plan-fact tbody tr", has_text="Rita Rep")
    expect(row).to_contain_text("10,000")
    expect(row).to_contain_text("6,000")  # fact: the two won deals
    expect(row).to_contain_text("60%")
    expect(page.locator("#plan-fact")).to_contain_text("simulations with a fixed seed")
    screenshot("analytics-2-forecast")
    with page.expect_download() as download:
        page.locator("#plan-fact").get_by_role("link", name="Excel").click()
    rows = CalamineWorkbook.from_path(download.value.path()).get_sheet_by_name("Plan vs fact").to_python()
    assert [row[:2] for row in rows if row[0] == "Rita Rep"] == [["Rita Rep", 10000.0]]
    page.locator("#forecast-period").select_option("quarter")
    expect(page.locator("#forecast-start")).to_have_value(
        datetime.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1).isoformat()
    )
