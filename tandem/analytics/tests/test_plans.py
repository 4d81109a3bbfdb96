"""Sales plans and channel costs: who may set them, the XLSX import (all or nothing), the pages."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
import xlsxwriter
from django.urls import reverse
from python_calamine import CalamineWorkbook

from tandem.accounts.models import User
from tandem.analytics.models import ChannelCost, SalesPlan
from tandem.analytics.services import channel_cost_set, plan_set, plans_import_xlsx
from tandem.contacts.models import Channel
from tandem.core.errors import PermissionDenied, ValidationError
from tandem.history.models import Event

MARCH = datetime.date(2026, 3, 1)


def test_admin_sets_a_plan_for_anyone_and_a_history_row_is_written(admin, rep_b):
    plan = plan_set(actor=admin, month=MARCH, user=rep_b, amount=Decimal("5000"), won_count=4)

    assert plan is not None
    assert (plan.amount, plan.won_count, plan.user_id) == (Decimal("5000"), 4, rep_b.pk)
    assert Event.objects.filter(target_id=plan.pk, action=Event.Action.CREATED).count() == 1


def test_a_head_plans_their_team_and_its_members_but_not_another_team(head_a, rep_a, rep_b, team_a, team_b):
    plan_set(actor=head_a, month=MARCH, user=rep_a, amount=Decimal("1000"))
    plan_set(actor=head_a, month=MARCH, team=team_a, won_count=12)

    with pytest.raises(PermissionDenied):
        plan_set(actor=head_a, month=MARCH, user=rep_b, amount=Decimal("1000"))
    with pytest.raises(PermissionDenied):
        plan_set(actor=head_a, month=MARCH, team=team_b, amount=Decimal("1000"))

    assert set(SalesPlan.objects.values_list("user_id", "team_id")) == {(rep_a.pk, None), (None, team_a.pk)}


@pytest.mark.parametrize("role", ["rep_a", "marketer", "readonly"])
def test_reps_marketers_and_readonly_users_cannot_set_plans(request, role, rep_a):
    actor: User = request.getfixturevalue(role)
    with pytest.raises(PermissionDenied):
        plan_set(actor=actor, month=MARCH, user=rep_a, amount=Decimal("1"))
    assert SalesPlan.objects.count() == 0


def test_plan_validation_month_amount_and_an_empty_plan_removes_it(admin, rep_a):
    with pytest.raises(ValidationError):
        plan_set(actor=admin, month=datetime.date(2026, 3, 2), user=rep_a, amount=Decimal("1"))
    with pytest.raises(ValidationError):
        plan_set(actor=admin, month=MARCH, user=rep_a, amount=Decimal("-1"))
    with pytest.raises(ValidationError):
        plan_set(actor=admin, month=MARCH, amount=Decimal("1"))  # neither a manager nor a team
    plan_set(actor=admin, month=MARCH, user=rep_a, amount=Decimal("10"))
    plan_set(actor=admin, month=MARCH, user=rep_a, amount=Decimal("20"))
    assert SalesPlan.objects.get().amount == Decimal("20")

    assert plan_set(actor=admin, month=MARCH, user=rep_a) is None
    assert SalesPlan.objects.count() == 0


def _workbook(rows: list[list[object]]) -> io.BytesIO:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for number, row in enumerate(rows):
        for column, value in enumerate(row):
            if isinstance(value, datetime.date):
                sheet.write_datetime(
                    number, column, datetime.datetime.combine(value, datetime.time()), date_format
                )
            elif value is not None:
                sheet.write(number, column, value)
    workbook.close()
    buffer.seek(0)
    return buffer


def test_import_saves_every_row_with_english_headers_dates_and_numbers(head_a, rep_a, rep_a2, team_a):
    file = _workbook(
        [
            ["Manager email", "Team name", "Month", "Amount", "Won deals"],
            ["REP.A@example.com", None, "2026-03", 12500.5, 3],
            ["rep.a2@example.com", None, datetime.date(2026, 4, 17), "8 000,00", None],
            [None, "Team A", "2026-03", None, 10],
        ]
    )

    result = plans_import_xlsx(actor=head_a, file=file)

    assert (result.ok, result.saved) == (True, 3)
    plans = {
        (plan.user_id, plan.team_id, plan.month): (plan.amount, plan.won_count)
        for plan in SalesPlan.objects.all()
    }
    assert plans == {
        (rep_a.pk, None, MARCH): (Decimal("12500.50"), 3),
        (rep_a2.pk, None, datetime.date(2026, 4, 1)): (Decimal("8000.00"), None),
        (None, team_a.pk, MARCH): (None, 10),
    }


def test_import_reads_bulgarian_and_russian_headers(admin, rep_a):
    bulgarian = _workbook(
        [["Мениджър", "Месец", "Сума", "Спечелени сделки"], ["rep.a@example.com", "2026-05", 100, 1]]
    )
    russian = _workbook(
        [["Менеджер", "Месяц", "Сумма", "Выигранные сделки"], ["rep.a@example.com", "2026-06", 200, 2]]
    )

    assert plans_import_xlsx(actor=admin, file=bulgarian).saved == 1
    assert plans_import_xlsx(actor=admin, file=russian).saved == 1
    assert sorted(SalesPlan.objects.values_list("month", "amount")) == [
        (datetime.date(2026, 5, 1), Decimal("100.00")),
        (datetime.date(2026, 6, 1), Decimal("200.00")),
    ]


def test_import_with_a_bad_row_saves_nothing_and_lists_each_bad_row(head_a, rep_a, rep_b):
    file = _workbook(
        [
            ["Manager email", "Month", "Amount", "Won deals"],
            ["rep.a@example.com", "2026-03", 1000, 2],  # good
            ["rep.b@example.com", "2026-03", 1000, None],  # another team's rep
            ["nobody@example.com", "2026-03", 1000, None],
            ["rep.a@example.com", "March", 1000, None],
            ["rep.a@example.com", "2026-04", "lots", None],
            ["rep.a@example.com", "2026-05", -5, None],
            ["rep.a@example.com", "2026-03", 10, None],  # the same plan twice
            ["rep.a@example.com", "2026-06", None, 1.5],
        ]
    )

    result = plans_import_xlsx(actor=head_a, file=file)

    assert (result.ok, result.saved) == (False, 0)
    assert [error.row for error in result.errors] == [3, 4, 5, 6, 7, 8, 9]
    assert SalesPlan.objects.count() == 0


def test_import_without_the_needed_columns_is_refused(admin):
    with pytest.raises(ValidationError):
        plans_import_xlsx(actor=admin, file=_workbook([["Name", "Phone"], ["x", "y"]]))


def test_a_rep_cannot_import_plans(rep_a):
    with pytest.raises(PermissionDenied):
        plans_import_xlsx(actor=rep_a, file=_workbook([["Manager email", "Month", "Amount"]]))


# -- channel costs ----------------------------------------------------------------------------------


@pytest.fixture
def channel(db) -> Channel:
    return Channel.objects.create(name="Exhibitions")


@pytest.mark.parametrize("role", ["admin", "marketer"])
def test_admins_and_marketers_enter_channel_costs(request, role, channel):
    actor: User = request.getfixturevalue(role)
    channel_cost_set(actor=actor, channel=channel, month=MARCH, amount=Decimal("750"))
    channel_cost_set(actor=actor, channel=channel, month=MARCH, amount=Decimal("800"))
    assert list(ChannelCost.objects.values_list("month", "amount")) == [(MARCH, Decimal("800.00"))]
    channel_cost_set(actor=actor, channel=channel, month=MARCH, amount=None)
    assert ChannelCost.objects.count() == 0


@pytest.mark.parametrize("role", ["head_a", "rep_a", "readonly"])
def test_other_roles_cannot_enter_channel_costs(request, role, channel):
    actor: User = request.getfixturevalue(role)
    with pytest.raises(PermissionDenied):
        channel_cost_set(actor=actor, channel=channel, month=MARCH, amount=Decimal("1"))
    assert ChannelCost.objects.count() == 0


# -- pages ------------------------------------------------------------------------------------------


def test_plans_page_needs_a_login(client):
    response = client.get(reverse("analytics_plans"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_rep_sees_only_their_own_plan_read_only(client, rep_a, rep_a2, admin):
    plan_set(actor=admin, month=MARCH, user=rep_a, amount=Decimal("1234"))
    plan_set(actor=admin, month=MARCH, user=rep_a2, amount=Decimal("9999"))
    client.force_login(rep_a)

    response = client.get(reverse("analytics_plans"), {"year": 2026})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Rita Rep" in html and "1,234" in html
    assert "Ravi Rep" not in html and "9,999" not in html
    assert 'name="value"' not in html


def test_a_head_sees_their_team_grid_with_editable_cells_in_bounded_queries(
    client, head_a, rep_a, rep_a2, rep_b, django_assert_max_num_queries
):
    client.force_login(head_a)
    client.get(reverse("analytics_plans"))  # warm the session and permission caches
    with django_assert_max_num_queries(14):
        response = client.get(reverse("analytics_plans"), {"year": 2026})
    html = response.content.decode()
    assert "Team A" in html and "Rita Rep" in html and "Ravi Rep" in html
    assert "Boris Rep" not in html
    assert html.count('name="value"') == 12 * 4  # the team row, the head and two reps


def test_saving_a_cell_sets_that_metric_and_keeps_the_other(client, head_a, rep_a):
    plan_set(actor=head_a, month=MARCH, user=rep_a, amount=Decimal("100"), won_count=2)
    client.force_login(head_a)

    response = client.post(
        reverse("analytics_plan_cell"),
        {"kind": "user", "pk": rep_a.pk, "month": "2026-03", "metric": "amount", "value": "2 500,50"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert 'value="2500.50"' in response.content.decode()
    plan = SalesPlan.objects.get()
    assert (plan.amount, plan.won_count) == (Decimal("2500.50"), 2)


def test_a_wrong_cell_value_shows_an_error_and_changes_nothing(client, head_a, rep_a):
    client.force_login(head_a)
    response = client.post(
        reverse("analytics_plan_cell"),
        {"kind": "user", "pk": rep_a.pk, "month": "2026-03", "metric": "amount", "value": "-5"},
    )
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    assert SalesPlan.objects.count() == 0


def test_a_head_cannot_save_another_teams_cell_and_a_rep_cannot_save_their_own(client, head_a, rep_a, rep_b):
    client.force_login(head_a)
    response = client.post(
        reverse("analytics_plan_cell"), {"kind": "user", "pk": rep_b.pk, "month": "2026-03", "value": "5"}
    )
    assert response.status_code == 404  # not even visible
    client.force_login(rep_a)
    response = client.post(
        reverse("analytics_plan_cell"), {"kind": "user", "pk": rep_a.pk, "month": "2026-03", "value": "5"}
    )
    assert response.status_code == 403
    assert SalesPlan.objects.count() == 0


def test_the_template_download_lists_the_managers_the_user_may_plan(client, head_a, rep_a, rep_b):
    client.force_login(head_a)
    response = client.get(reverse("analytics_plans_template"), {"year": 2026})
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert rows[0] == ["Manager email", "Team name", "Month", "Amount", "Won deals"]
    emails = {row[0] for row in rows[1:]}
    assert {"head.a@example.com", "rep.a@example.com"} <= emails and "rep.b@example.com" not in emails


def test_importing_through_the_page_redirects_to_the_grid(client, admin, rep_a):
    client.force_login(admin)
    file = _workbook([["Manager email", "Month", "Amount"], ["rep.a@example.com", "2026-03", 10]])
    file.name = "plans.xlsx"
    response = client.post(reverse("analytics_plans_import"), {"file": file, "year": 2026})
    assert response.status_code == 302
    assert SalesPlan.objects.get().amount == Decimal("10")


def test_channel_costs_page_is_editable_by_marketers_visible_to_heads_and_closed_to_reps(
    client, marketer, head_a, rep_a, channel
):
    client.force_login(marketer)
    response = client.post(
        reverse("analytics_channel_cost_cell"), {"channel": channel.pk, "month": "2026-03", "value": "300"}
    )
    assert response.status_code == 200 and ChannelCost.objects.get().amount == Decimal("300")
    client.force_login(head_a)
    page = client.get(reverse("analytics_channel_costs"), {"year": 2026}).content.decode()
    assert "Exhibitions" in page and 'name="value"' not in page
    denied = client.post(
        reverse("analytics_channel_cost_cell"), {"channel": channel.pk, "month": "2026-03", "value": "1"}
    )
    assert denied.status_code == 403 and ChannelCost.objects.get().amount == Decimal("300")
    client.force_login(rep_a)
    assert client.get(reverse("analytics_channel_costs")).status_code == 403


def test_forecast_page_shows_the_table_and_the_method(client, head_a, rep_a):
    plan_set(actor=head_a, month=datetime.date.today().replace(day=1), user=rep_a, amount=Decimal("5000"))
    client.force_login(head_a)
    response = client.get(reverse("analytics_forecast"), {"period": "month"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Rita Rep" in html and "5,000" in html and "simulations with a fixed seed" in html
