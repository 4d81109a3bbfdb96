"""The sales dashboard in the real browser: open it, switch the period, drill into a number."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tandem.analytics.tests.reports_data import activity, make_deal, stages
from tandem.contacts.models import Channel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.mark.browser
def test_head_opens_the_dashboard_changes_the_period_and_drills_into_revenue(
    login, live_server, head_a, rep_a, rep_a2, make_company, screenshot
):
    s = stages()
    web, fair = Channel.objects.create(name="Web site"), Channel.objects.create(name="Trade fair")
    now = timezone.now()
    first_of_month = timezone.localtime(now).replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    last_month = first_of_month - datetime.timedelta(days=10)
    company = make_company(rep_a, "Balkan Trade")
    for index, (owner, channel) in enumerate([(rep_a, web), (rep_a2, fair), (rep_a, fair), (rep_a2, web)]):
        created = last_month - datetime.timedelta(days=3 + index)
        make_deal(
            owner,
            [
                (s["new"], created),
                (s["qualified"], created + datetime.timedelta(days=1)),
                (s["won"], last_month + datetime.timedelta(hours=index)),
            ],
            amount=str(1000 * (index + 1)),
            channel=channel,
            company=company,
            title=f"Last month deal {index}",
        )
        make_deal(
            owner,
            [(s["new"], last_month), (s["lost"], last_month + datetime.timedelta(hours=2))],
            channel=channel,
            title=f"Lost {index}",
        )
        activity(owner, "call", done_at=last_month - datetime.timedelta(days=index), company=company)
        activity(owner, "meeting", done_at=last_month + datetime.timedelta(days=1), company=company)
    make_deal(rep_a, [(s["new"], now - datetime.timedelta(hours=1))], channel=web, title="This month lead")

    page = login(head_a)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.get_by_role("button", name="Reports").click()
    page.get_by_role("link", name="Sales dashboard", exact=True).click()
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    funnel = page.locator("#section-funnel")
    expect(funnel.get_by_role("cell", name="New request")).to_be_visible()
    expect(page.locator("#section-channels").get_by_role("cell", name="Web site")).to_be_visible()
    screenshot("analytics-1-this-month")

    page.get_by_label("Period").select_option("last_month")
    page.wait_for_url(lambda url: "period=last_month" in url)
    revenue = page.locator("#section-revenue")
    expect(revenue.get_by_text("10,000.00").first).to_be_visible()
    expect(page.locator("#section-activity canvas")).to_be_visible()
    page.wait_for_timeout(300)  # charts draw on load
    screenshot("analytics-2-last-month")

    revenue.get_by_role("row", name="Rita Rep").get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Won deals")).to_be_visible()
    expect(page.get_by_role("link", name="Last month deal 0")).to_be_visible()
    expect(page.get_by_role("link", name="Last month deal 2")).to_be_visible()
    expect(page.get_by_role("link", name="Last month deal 1")).to_have_count(0)
    screenshot("analytics-3-drill")
