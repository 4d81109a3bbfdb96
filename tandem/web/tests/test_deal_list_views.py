"""The deal list: visibility over the roles, filters, sorting, pagination and bulk actions."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tandem.deals.models import Deal, DealLine, Pipeline, Stage
from tandem.deals.services import deal_create, product_save
from tandem.history.models import Event

HTMX = {"HTTP_HX_REQUEST": "true"}
URL = "/deals/"


@pytest.fixture
def pipeline(db) -> Pipeline:
    return Pipeline.objects.get(name="New clients")


@pytest.fixture
def stages(pipeline) -> dict[str, Stage]:
    return {stage.name: stage for stage in pipeline.stages.all()}


@pytest.fixture
def make_deal(pipeline):
    def make(owner, title: str, *, stage: Stage | None = None, taken: bool = True, **data) -> Deal:
        return deal_create(
            actor=owner, data={"title": title, "pipeline": pipeline, **data}, stage=stage, taken=taken
        )

    return make


def _titles(response) -> list[str]:
    return sorted(deal.title for deal in response.context["page"].rows)


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- authorization and visibility ----------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    response = client.post("/deals/bulk/", {"action": "reassign"})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_each_role_sees_exactly_its_deals(client, admin, head_a, rep_a, rep_a2, rep_b, make_deal):
    make_deal(rep_a, "Rita deal")
    make_deal(rep_a2, "Ravi deal")
    make_deal(rep_b, "Boris deal")
    expected = {
        rep_a: ["Rita deal"],
        rep_b: ["Boris deal"],
        head_a: ["Ravi deal", "Rita deal"],
        admin: ["Boris deal", "Ravi deal", "Rita deal"],
    }
    for user, titles in expected.items():
        client.force_login(user)
        response = client.get(URL)
        assert response.status_code == 200
        assert _titles(response) == titles
        assert response.context["page"].count == len(titles)


def test_list_shows_stage_amount_and_links(client, rep_a, make_deal, stages):
    deal = make_deal(rep_a, "Pumps for Acme", amount=Decimal("1234.50"))
    client.force_login(rep_a)
    html = client.get(URL).content.decode()
    assert "Pumps for Acme" in html
    assert "1,234.50" in html
    assert "EUR" in html
    assert stages["New request"].colour in html
    assert f'data-deal="{deal.pk}"' in html


def test_one_url_serves_page_and_fragment(client, rep_a, make_deal):
    make_deal(rep_a, "Fragment deal")
    client.force_login(rep_a)
    page = client.get(URL)
    fragment = client.get(URL, **HTMX)
    assert "<html" in page.content.decode()
    assert "<html" not in fragment.content.decode()
    assert "Fragment deal" in fragment.content.decode()
    assert "HX-Request" in fragment["Vary"]
    assert "HX-Request" in page["Vary"]


# --- filters -------------------------------------------------------------------------------------


def test_status_stuck_lists_deals_longer_in_stage_than_allowed(client, rep_a, make_deal, stages):
    stuck = make_deal(rep_a, "Stuck one")  # New request allows 2 days
    make_deal(rep_a, "Fresh one")
    Deal.objects.filter(pk=stuck.pk).update(stage_entered_at=timezone.now() - datetime.timedelta(days=3))
    client.force_login(rep_a)
    response = client.get(URL, {"status": "stuck"})
    assert _titles(response) == ["Stuck one"]
    assert "stuck</span>" in client.get(URL).content.decode()


def test_status_untaken_lists_inbound_deals_nobody_took(client, head_a, rep_a, make_deal):
    make_deal(rep_a, "Inbound request", taken=False)
    make_deal(rep_a, "Taken request")
    client.force_login(head_a)
    response = client.get(URL, {"status": "untaken"})
    assert _titles(response) == ["Inbound request"]
    assert response.context["untaken_count"] == 1
    assert "Not yet taken" in response.content.decode()


def test_untaken_link_is_only_for_those_who_hand_out_deals(client, rep_a, make_deal):
    make_deal(rep_a, "Inbound request", taken=False)
    client.force_login(rep_a)
    response = client.get(URL)
    assert response.context["untaken_count"] is None
    assert "?status=untaken" not in response.content.decode()


def test_status_no_next_step_lists_open_deals_without_a_next_step_date(client, rep_a, make_deal):
    make_deal(rep_a, "Planned", next_step="Call", next_step_date=datetime.date(2030, 1, 1))
    make_deal(rep_a, "Unplanned")
    client.force_login(rep_a)
    response = client.get(URL, {"status": "no_next_step"})
    assert _titles(response) == ["Unplanned"]


def test_overdue_next_step_is_red(client, rep_a, make_deal):
    make_deal(rep_a, "Late", next_step="Call", next_step_date=datetime.date(2020, 1, 1))
    client.force_login(rep_a)
    response = client.get(URL)
    assert response.context["rows"][0]["overdue"] is True
    assert "text-danger fw-semibold" in response.content.decode()


def test_filters_narrow_by_owner_stage_close_date_product_and_title(
    client, admin, rep_a, rep_b, make_deal, stages
):
    first = make_deal(rep_a, "Alpha pumps", expected_close_date=datetime.date(2030, 5, 1))
    make_deal(rep_b, "Beta valves", expected_close_date=datetime.date(2030, 7, 1))
    make_deal(rep_a, "Gamma pumps", stage=stages["Qualified"])
    product = product_save(
        actor=None, product=None, data={"name": "Pump", "price": Decimal("10"), "currency_id": "EUR"}
    )
    DealLine.objects.create(deal=first, product=product, name="Pump", quantity=1, unit_price=10)
    client.force_login(admin)
    assert _titles(client.get(URL, {"owner": rep_b.pk})) == ["Beta valves"]
    assert _titles(client.get(URL, {"stage": stages["Qualified"].pk})) == ["Gamma pumps"]
    assert _titles(client.get(URL, {"close_from": "2030-06-01"})) == ["Beta valves"]
    assert _titles(client.get(URL, {"close_to": "2030-06-01"})) == ["Alpha pumps"]
    assert _titles(client.get(URL, {"q": "pumps"})) == ["Alpha pumps", "Gamma pumps"]
    assert _titles(client.get(URL, {"product": product.pk})) == ["Alpha pumps"]
    assert _titles(client.get(URL, {"team": rep_b.team_id})) == ["Beta valves"]


def test_garbage_filters_are_ignored_not_a_server_error(client, rep_a, make_deal):
    make_deal(rep_a, "Still listed")
    client.force_login(rep_a)
    response = client.get(
        URL,
        {
            "pipeline": "abc",
            "stage": "999999",
            "owner": "x",
            "close_from": "yesterday",
            "status": "sideways",
            "sort": "drop table",
            "cursor": "!!!not-a-cursor",
        },
    )
    assert response.status_code == 200
    assert _titles(response) == ["Still listed"]


def test_sort_by_title_and_keyset_pages(client, rep_a, make_deal, monkeypatch):
    monkeypatch.setattr("tandem.web.views.deal_list.PAGE_SIZE", 2)
    for title in ["Delta", "Alpha", "Charlie", "Bravo", "Echo"]:
        make_deal(rep_a, title)
    client.force_login(rep_a)
    first = client.get(URL, {"sort": "title"})
    assert [deal.title for deal in first.context["page"].rows] == ["Alpha", "Bravo"]
    assert first.context["page"].count == 5
    second = client.get(URL, {"sort": "title", "cursor": first.context["page"].next_cursor})
    assert [deal.title for deal in second.context["page"].rows] == ["Charlie", "Delta"]


def test_list_query_count_does_not_grow_with_rows(client, admin, rep_a, make_deal, make_company):
    company = make_company(rep_a, "Acme")

    def count(user) -> int:
        client.force_login(user)
        with CaptureQueriesContext(connection) as context:
            response = client.get(URL)
        assert response.status_code == 200
        return len(context.captured_queries)

    for index in range(3):
        make_deal(rep_a, f"Deal {index}", company=company, next_step_date=datetime.date(2020, 1, 1))
    few_admin, few_rep = count(admin), count(rep_a)
    for index in range(3, 30):
        make_deal(rep_a, f"Deal {index}", company=company, next_step_date=datetime.date(2020, 1, 1))
    assert count(admin) == few_admin
    assert count(rep_a) == few_rep


# --- bulk actions --------------------------------------------------------------------------------


def test_head_reassigns_team_deals_in_bulk(client, head_a, rep_a, rep_a2, make_deal):
    deals = [make_deal(rep_a, "One"), make_deal(rep_a, "Two")]
    client.force_login(head_a)
    response = client.post(
        "/deals/bulk/",
        {"action": "reassign", "owner": rep_a2.pk, "ids": [d.pk for d in deals], "next": "/deals/?q=x"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/deals/?q=x"
    assert list(Deal.objects.filter(owner=rep_a2).order_by("title").values_list("title", flat=True)) == [
        "One",
        "Two",
    ]
    assert Event.objects.filter(action=Event.Action.REASSIGNED).count() == 2
    assert _messages(response) == ["2 deals reassigned."]


def test_bulk_reassign_with_another_teams_deal_changes_nothing(
    client, head_a, rep_a, rep_a2, rep_b, make_deal
):
    own = make_deal(rep_a, "Ours")
    foreign = make_deal(rep_b, "Theirs")
    client.force_login(head_a)
    response = client.post(
        "/deals/bulk/", {"action": "reassign", "owner": rep_a2.pk, "ids": [own.pk, foreign.pk]}
    )
    assert response.status_code == 302
    own.refresh_from_db()
    foreign.refresh_from_db()
    assert (own.owner_id, foreign.owner_id) == (rep_a.pk, rep_b.pk)
    assert _messages(response) == ["Some of the chosen deals are not yours to change; nothing was changed."]
    assert not Event.objects.filter(action=Event.Action.REASSIGNED).exists()


def test_rep_cannot_hand_deals_to_a_colleague(client, rep_a, rep_a2, make_deal):
    deal = make_deal(rep_a, "Mine")
    client.force_login(rep_a)
    response = client.post("/deals/bulk/", {"action": "reassign", "owner": rep_a2.pk, "ids": [deal.pk]})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.owner_id == rep_a.pk
    assert _messages(response) == ["Select a valid choice. That choice is not one of the available choices."]


def test_bulk_move_moves_every_deal(client, rep_a, make_deal, stages):
    deals = [make_deal(rep_a, "One"), make_deal(rep_a, "Two")]
    client.force_login(rep_a)
    response = client.post(
        "/deals/bulk/", {"action": "move", "stage": stages["Qualified"].pk, "ids": [d.pk for d in deals]}
    )
    assert response.status_code == 302
    assert set(Deal.objects.values_list("stage__name", flat=True)) == {"Qualified"}
    assert _messages(response) == ["2 deals moved."]


def test_bulk_move_with_one_deal_missing_required_fields_moves_none(client, rep_a, make_deal, stages):
    ready = make_deal(rep_a, "Ready", amount=Decimal("100"), expected_close_date=datetime.date(2030, 1, 1))
    lacking = make_deal(rep_a, "Lacking")
    client.force_login(rep_a)
    offer = stages["Offer sent"]
    response = client.post(
        "/deals/bulk/", {"action": "move", "stage": offer.pk, "ids": [ready.pk, lacking.pk]}
    )
    assert response.status_code == 302
    ready.refresh_from_db()
    lacking.refresh_from_db()
    assert (ready.stage.name, lacking.stage.name) == ("New request", "New request")
    assert _messages(response) == [
        "“Lacking” needs amount, expected close date before it can enter “Offer sent”; nothing was moved."
    ]
    assert ready.stage_changes.count() == 1


def test_bulk_move_is_offered_for_the_filtered_pipeline_only(client, rep_a, make_deal, pipeline, stages):
    make_deal(rep_a, "One")
    client.force_login(rep_a)
    without = client.get(URL).content.decode()
    assert 'value="move"' not in without
    filtered = client.get(URL, {"pipeline": pipeline.pk})
    html = filtered.content.decode()
    assert 'value="move"' in html
    assert [stage.name for stage in filtered.context["bulk_form"].fields["stage"].queryset] == [
        "New request",
        "Qualified",
        "Meeting",
        "Offer sent",
        "Negotiation",
        "Won",
        "Lost",
    ]


def test_bulk_without_ticked_rows_is_refused(client, rep_a, make_deal):
    make_deal(rep_a, "One")
    client.force_login(rep_a)
    response = client.post("/deals/bulk/", {"action": "reassign", "owner": rep_a.pk})
    assert response.status_code == 302
    assert _messages(response) == ["Tick at least one deal."]
