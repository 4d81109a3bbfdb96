import io
import re

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from tandem.analytics.tests.reports_data import activity, at, make_deal, stages

YEAR = "period=custom&start=2025-01-01&end=2025-12-31"
SECTIONS = ["funnel", "activity", "revenue", "channels", "losses"]


@pytest.fixture
def data(rep_a, rep_b, make_company):
    s = stages()
    company = make_company(rep_a, "Acme")
    make_deal(
        rep_a,
        [(s["new"], at(2025, 3, 1)), (s["won"], at(2025, 3, 5))],
        amount="120",
        title="Rita won",
        company=company,
    )
    make_deal(rep_b, [(s["new"], at(2025, 3, 1)), (s["won"], at(2025, 3, 5))], amount="80", title="Boris won")
    activity(rep_a, "call", done_at=at(2025, 3, 2), company=company)
    return company


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("analytics_dashboard"))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("role", ["admin", "head_a", "rep_a", "marketer", "readonly"])
def test_dashboard_and_every_section_render_for_each_role(client, request, data, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    page = client.get(reverse("analytics_dashboard") + "?" + YEAR)
    assert page.status_code == 200
    for name in SECTIONS:
        assert f'hx-get="{reverse("analytics_section", args=[name])}' in page.content.decode()
        response = client.get(reverse("analytics_section", args=[name]) + "?" + YEAR, HTTP_HX_REQUEST="true")
        assert response.status_code == 200, name


def test_rep_sees_only_own_revenue_and_drill_down_lists_only_own_deals(client, rep_a, data):
    client.force_login(rep_a)
    section = client.get(reverse("analytics_section", args=["revenue"]) + "?" + YEAR, HTTP_HX_REQUEST="true")
    content = section.content.decode()
    # Amounts as shown between tags ("120.00"), not digits inside links' ids.
    assert re.search(r">\s*120\.00\s*<", content) and not re.search(r">\s*200\.00\s*<", content)
    drill = client.get(reverse("analytics_drill", args=["won"]) + "?" + YEAR + f"&manager={data.owner_id}")
    body = drill.content.decode()
    assert drill.status_code == 200 and "Rita won" in body and "Boris won" not in body


def test_admin_drill_down_by_manager(client, admin, rep_b, data):
    client.force_login(admin)
    response = client.get(
        reverse("analytics_drill", args=["won"]) + "?" + YEAR + f"&by=manager&value={rep_b.pk}"
    )
    body = response.content.decode()
    assert "Boris won" in body and "Rita won" not in body


def test_head_cannot_filter_by_a_manager_of_another_team(client, head_a, rep_b, data):
    client.force_login(head_a)
    response = client.get(reverse("analytics_drill", args=["won"]) + "?" + YEAR + f"&manager={rep_b.pk}")
    assert "Boris won" not in response.content.decode()


def test_unknown_report_is_404(client, admin):
    client.force_login(admin)
    assert client.get(reverse("analytics_drill", args=["nope"])).status_code == 404
    assert client.get(reverse("analytics_section", args=["nope"])).status_code == 404


def test_excel_export_of_the_whole_dashboard_reads_back_typed(client, admin, data):
    client.force_login(admin)
    response = client.get(reverse("analytics_export", args=["all"]) + "?" + YEAR)
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert "Revenue by manager" in book.sheet_names and "Sales funnel" in book.sheet_names
    rows = book.get_sheet_by_name("Revenue by manager").to_python()
    assert rows[0] == ["Manager", "Deals", "Revenue"]
    assert sorted(rows[1:]) == [["Boris Rep", 1.0, 80.0], ["Rita Rep", 1.0, 120.0]]


def test_excel_export_never_writes_formulas(client, admin, rep_a):
    s = stages()
    make_deal(rep_a, [(s["new"], at(2025, 3, 1))], channel=None)
    from tandem.contacts.models import Channel

    evil = Channel.objects.create(name='=HYPERLINK("http://x")')
    make_deal(rep_a, [(s["new"], at(2025, 3, 2))], channel=evil)
    client.force_login(admin)
    response = client.get(reverse("analytics_export", args=["channels"]) + "?" + YEAR)
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    cells = [row[0] for row in book.get_sheet_by_name("Channels").to_python()]
    assert '=HYPERLINK("http://x")' in cells


def test_section_query_counts_do_not_grow_with_data(client, admin, rep_a, django_assert_max_num_queries):
    client.force_login(admin)
    s = stages()
    counts = {}
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for name in SECTIONS:
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("analytics_section", args=[name]) + "?" + YEAR, HTTP_HX_REQUEST="true")
        counts[name] = len(queries.captured_queries)
    for day in range(1, 15):
        make_deal(rep_a, [(s["new"], at(2025, 3, day)), (s["won"], at(2025, 4, day))], amount="10")
    for name in SECTIONS:
        with django_assert_max_num_queries(counts[name] + 2):  # +2: names of the managers/channels now shown
            client.get(reverse("analytics_section", args=[name]) + "?" + YEAR, HTTP_HX_REQUEST="true")


def test_client_history_panel_on_company_card(client, rep_a, rep_b, data):
    client.force_login(rep_a)
    response = client.get(reverse("analytics_client_history") + f"?company={data.pk}", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "History with us" in response.content.decode()
    client.force_login(rep_b)
    assert client.get(reverse("analytics_client_history") + f"?company={data.pk}").status_code == 404
    assert client.get(reverse("company_detail", args=[data.pk])).status_code == 404
    client.force_login(rep_a)
    card = client.get(reverse("company_detail", args=[data.pk]))
    assert reverse("analytics_client_history") + f"?company={data.pk}" in card.content.decode()


def test_plan_vs_fact_exports_to_excel_with_the_plan_fact_and_forecast_of_each_manager(
    client, admin, rep_a, rep_b, data
):
    import datetime
    from decimal import Decimal

    from tandem.analytics.models import SalesPlan

    SalesPlan.objects.create(user=rep_a, month=datetime.date(2025, 3, 1), amount=Decimal("100"))
    make_deal(rep_a, [(stages()["new"], at(2025, 3, 10))], amount="50", title="Rita open")
    client.force_login(admin)
    query = "period=custom&start=2025-03-01&end=2025-03-31"

    page = client.get(reverse("analytics_forecast") + "?" + query).content.decode()
    response = client.get(reverse("analytics_export", args=["plan"]) + "?" + query)

    assert reverse("analytics_export", args=["plan"]) in page
    link = re.search(rf'href="([^"]*by=manager&amp;value={rep_a.pk})"', page)
    drill = link.group(1).replace("&amp;", "&")
    listed = client.get(drill).content.decode()
    assert "Rita won" in listed and "Boris won" not in listed
    opened = re.search(rf'href="([^"]*/open/[^"]*by=manager&amp;value={rep_a.pk})"', page)
    pipeline = client.get(opened.group(1).replace("&amp;", "&")).content.decode()
    assert "Rita open" in pipeline and "Rita won" not in pipeline
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    rows = book.get_sheet_by_name("Plan vs fact").to_python()
    assert rows[0][:6] == ["Manager", "Plan", "Planned deals", "Fact", "Won deals", "Of plan, %"]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Rita Rep"][1:6] == [100.0, "", 120.0, 1.0, 120.0]
    assert by_name["Boris Rep"][3:5] == [80.0, 1.0]


def test_a_rep_exports_and_drills_into_only_their_own_plan_row_and_open_deals(client, rep_a, rep_b, data):
    s = stages()
    make_deal(rep_a, [(s["new"], at(2025, 3, 10))], title="Rita open")
    make_deal(rep_b, [(s["new"], at(2025, 3, 10))], title="Boris open")
    client.force_login(rep_a)
    query = "period=custom&start=2025-03-01&end=2025-03-31"

    export = client.get(reverse("analytics_export", args=["plan"]) + "?" + query)
    opened = client.get(reverse("analytics_drill", args=["open"]) + "?" + query + f"&manager={rep_b.pk}")
    own = client.get(reverse("analytics_drill", args=["open"]) + "?" + query).content.decode()

    rows = (
        CalamineWorkbook.from_filelike(io.BytesIO(export.content))
        .get_sheet_by_name("Plan vs fact")
        .to_python()
    )
    by_name = {row[0]: row for row in rows[1:]}
    assert sorted(by_name) == ["Rita Rep", "Team A"]  # her team's row holds only what she may see
    assert by_name["Team A"][3:5] == by_name["Rita Rep"][3:5] == [120.0, 1.0]
    assert "Boris open" not in opened.content.decode()
    assert "Rita open" in own and "Boris open" not in own
