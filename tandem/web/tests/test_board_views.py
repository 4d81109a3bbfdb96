"""The deals board: who sees which cards, column counts and sums in the base currency, filters,
load-more, and a constant number of queries however many deals there are."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from tandem.deals.models import Deal
from tandem.deals.services import currency_save
from tandem.web.tests.deal_helpers import make_deal, pipeline, stage

HTMX = {"HTTP_HX_REQUEST": "true"}


def _column(response, name):
    return next(column for column in response.context["columns"] if column.stage.name == name)


def test_board_sends_anonymous_to_login(client, db):
    response = client.get(reverse("board"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_board_shows_only_the_deals_the_user_may_see(client, rep_a, rep_a2, rep_b, head_a, admin):
    make_deal(rep_a, "Rita's deal")
    make_deal(rep_a2, "Ravi's deal")
    make_deal(rep_b, "Boris's deal")

    seen = {}
    for user in [rep_a, rep_b, head_a, admin]:
        client.force_login(user)
        response = client.get(reverse("board"))
        assert response.status_code == 200
        seen[user.email] = sorted(deal.title for deal in _column(response, "New request").deals)

    assert seen["rep.a@example.com"] == ["Rita's deal"]
    assert seen["rep.b@example.com"] == ["Boris's deal"]
    assert seen["head.a@example.com"] == ["Ravi's deal", "Rita's deal"]
    assert seen["admin@example.com"] == ["Boris's deal", "Ravi's deal", "Rita's deal"]


def test_board_column_counts_and_sums_in_the_base_currency(client, rep_a, rep_b):
    currency_save(actor=None, code="USD", rate=Decimal("0.5"))
    make_deal(rep_a, "In euro", amount="1000.00")
    make_deal(rep_a, "In dollars", amount="300.00", currency="USD")
    make_deal(rep_a, "No amount", amount=None)
    make_deal(rep_a, "Qualified one", stage_name="Qualified", amount="250.50")
    make_deal(rep_b, "Not visible", amount="99999.00")
    client.force_login(rep_a)

    response = client.get(reverse("board"))

    new = _column(response, "New request")
    assert (new.count, new.total, new.weighted) == (3, Decimal("1150.00"), Decimal("115.00"))
    qualified = _column(response, "Qualified")
    assert (qualified.count, qualified.total, qualified.weighted) == (1, Decimal("250.50"), Decimal("50.10"))
    assert [column.stage.name for column in response.context["columns"]] == [
        "New request", "Qualified", "Meeting", "Offer sent", "Negotiation",
    ]  # fmt: skip
    html = response.content.decode()
    assert "1,150 EUR" in html
    assert '300.00 <span class="text-body-secondary">USD</span>' in html
    assert f'data-stage-id="{stage("Won").pk}"' in html  # the Won drop zone
    assert f'data-stage-id="{stage("Lost").pk}"' in html


def test_board_filters_by_owner_and_close_date(client, head_a, rep_a, rep_a2):
    make_deal(rep_a, "Rita May", expected_close_date=datetime.date(2030, 5, 1))
    make_deal(rep_a2, "Ravi January", expected_close_date=datetime.date(2030, 1, 1))
    make_deal(rep_a2, "Ravi June", expected_close_date=datetime.date(2030, 6, 1))
    client.force_login(head_a)

    response = client.get(reverse("board"), {"owner": rep_a2.pk, "close_from": "2030-03-01"}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Ravi June" in html
    assert "Ravi January" not in html and "Rita May" not in html
    assert html.count('<article class="deal-card') == 1
    assert "<html" not in html  # the fragment only
    assert "HX-Request" in response["Vary"]


def test_board_switches_pipeline(client, rep_a):
    from tandem.deals.models import Pipeline

    second = Pipeline.objects.order_by("position", "id")[1]
    client.force_login(rep_a)

    response = client.get(reverse("board"), {"pipeline": second.pk})

    assert response.context["pipeline"] == second
    assert [column.stage.name for column in response.context["columns"]] == [
        "Request", "Offer sent", "Invoice issued",
    ]  # fmt: skip


def test_board_cards_flag_overdue_missing_next_step_and_stuck(client, rep_a):
    overdue = make_deal(rep_a, "Overdue", next_step_date=datetime.date(2020, 1, 1))
    make_deal(rep_a, "No next step", next_step_date=None)
    Deal.objects.filter(pk=overdue.pk).update(
        stage_entered_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    client.force_login(rep_a)

    response = client.get(reverse("board"))

    cards = {deal.title: deal for deal in _column(response, "New request").deals}
    assert cards["Overdue"].overdue and cards["Overdue"].stuck
    assert not cards["No next step"].overdue and not cards["No next step"].stuck
    html = response.content.decode()
    assert "deal-chip-overdue" in html
    assert "no next step" in html
    assert "stuck" in html


def test_board_column_shows_30_cards_and_loads_the_rest(client, rep_a):
    for number in range(35):
        make_deal(rep_a, f"Deal {number:02d}")
    client.force_login(rep_a)

    response = client.get(reverse("board"))
    column = _column(response, "New request")
    assert (column.count, len(column.deals), column.has_more) == (35, 30, True)
    assert response.content.decode().count('<article class="deal-card') == 30

    more = client.get(reverse("board_column", args=[column.stage.pk]), {"cursor": column.cursor}, **HTMX)

    assert more.status_code == 200
    html = more.content.decode()
    assert html.count('<article class="deal-card') == 5
    assert all(f"Deal {n:02d}" in html for n in range(5))
    assert "Deal 05" not in html
    assert "intersect once" not in html  # nothing more to load


def test_board_column_refuses_a_broken_cursor_and_anonymous(client, rep_a):
    url = reverse("board_column", args=[stage("New request").pk])
    assert client.get(url, {"cursor": "x"}).status_code == 302
    client.force_login(rep_a)
    assert client.get(url, {"cursor": "not-a-date|1"}).status_code == 404


def test_board_column_shows_only_visible_deals(client, rep_a, rep_b):
    for number in range(3):
        make_deal(rep_b, f"Boris {number}")
    client.force_login(rep_a)

    response = client.get(
        reverse("board_column", args=[stage("New request").pk]),
        {"cursor": "2100-01-01T00:00:00+00:00|999999"},
    )

    assert response.status_code == 200
    assert "deal-card" not in response.content.decode()


def _board_queries(client, django_assert_num_queries, count):
    client.get(reverse("board"))  # warm caches (content types, sessions)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        response = client.get(reverse("board"))
    assert response.status_code == 200
    assert sum(column.count for column in response.context["columns"]) == count
    return len(context.captured_queries)


@pytest.mark.parametrize("user_fixture", ["rep_a", "admin"])
def test_board_query_count_does_not_grow_with_deals(client, request, user_fixture, rep_a, make_company):
    user = request.getfixturevalue(user_fixture)
    company = make_company(rep_a, "Acme")
    for number in range(3):
        make_deal(rep_a, f"Small {number}", company=company)
        make_deal(rep_a, f"Small q {number}", stage_name="Qualified")
    client.force_login(user)
    few = _board_queries(client, None, 6)

    for number in range(27):
        make_deal(rep_a, f"More {number}", company=company)
        make_deal(rep_a, f"More q {number}", stage_name="Qualified")
    many = _board_queries(client, None, 60)

    assert few == many
    assert few <= 20


def test_board_without_active_pipeline_says_so(client, rep_a):
    from tandem.deals.models import Pipeline

    Pipeline.objects.update(is_active=False)
    client.force_login(rep_a)

    response = client.get(reverse("board"))

    assert response.status_code == 200
    assert "no active pipeline" in response.content.decode()


def test_board_lists_the_pipeline_switcher(client, rep_a):
    client.force_login(rep_a)

    response = client.get(reverse("board"))

    assert response.context["pipeline"] == pipeline()
    assert "Repeat sales" in response.content.decode()
