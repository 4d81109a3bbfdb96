from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tandem.accounts.models import ApiToken
from tandem.deals.models import Deal, LostReason, Pipeline, Product, Stage, StageChange
from tandem.deals.services import ContactInput, LineInput, currency_save, deal_create, stage_update

URL = "/api/v1/deals/"


def detail(deal: Deal) -> str:
    return f"{URL}{deal.pk}/"


def move_url(deal: Deal) -> str:
    return f"{URL}{deal.pk}/move/"


@pytest.fixture
def pipeline(db) -> Pipeline:
    return Pipeline.objects.order_by("position", "id").first()  # type: ignore[return-value]


@pytest.fixture
def stages(pipeline) -> dict[str, Stage]:
    """The seeded "New clients" pipeline: New request, Qualified, Meeting (contacts), Offer sent
    (amount, expected close date), Negotiation, Won (amount), Lost."""
    return {stage.name: stage for stage in pipeline.stages.all()}


@pytest.fixture
def make_deal(pipeline):
    def make(owner, title: str = "Deal", **data) -> Deal:
        lines = data.pop("lines", None)
        contacts = data.pop("contacts", None)
        stage = data.pop("stage", None)
        return deal_create(
            actor=owner,
            data={"title": title, "pipeline": pipeline, **data},
            lines=lines,
            contacts=contacts,
            stage=stage,
        )

    return make


@pytest.fixture
def deals(rep_a, rep_a2, rep_b, make_deal):
    """One deal per owner: rep_a and rep_a2 in team A, rep_b in team B."""
    return {
        "A1": make_deal(rep_a, "Alpha One"),
        "A2": make_deal(rep_a2, "Alpha Two"),
        "B1": make_deal(rep_b, "Beta One"),
    }


def titles(response) -> list[str]:
    return sorted(row["title"] for row in response.json()["results"])


def state(deal: Deal) -> tuple:
    deal.refresh_from_db()
    return (deal.title, deal.stage_id, deal.deleted_at, deal.stage_changes.count())


# --- visibility and authorization ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("rep_a", ["Alpha One"]),
        ("rep_b", ["Beta One"]),
        ("head_a", ["Alpha One", "Alpha Two"]),
        ("admin", ["Alpha One", "Alpha Two", "Beta One"]),
        ("readonly", ["Alpha One", "Alpha Two", "Beta One"]),
    ],
)
def test_deal_list_shows_what_the_role_may_see(api, deals, request, role, expected):
    response = api(request.getfixturevalue(role)).get(URL)

    assert response.status_code == 200
    assert titles(response) == expected


def test_anonymous_gets_401_and_no_deals(api, deals):
    response = api().get(URL)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("role", ["rep_a", "head_a"])
def test_another_teams_deal_is_404_for_read_update_move_and_delete_and_stays_unchanged(
    api, deals, stages, request, role
):
    deal = deals["B1"]
    before = state(deal)
    client = api(request.getfixturevalue(role))

    responses = [
        client.get(detail(deal)),
        client.patch(detail(deal), {"title": "Hacked"}, format="json"),
        client.post(move_url(deal), {"stage": stages["Qualified"].pk}, format="json"),
        client.delete(detail(deal)),
    ]

    assert [response.status_code for response in responses] == [404, 404, 404, 404]
    assert {response.json()["error"]["code"] for response in responses} == {"not_found"}
    assert state(deal) == before


def test_rep_b_never_sees_rep_a_deal(api, rep_b, deals):
    client = api(rep_b)

    assert client.get(detail(deals["A1"])).status_code == 404
    assert client.get(URL, {"owner": deals["A1"].owner_id}).json()["results"] == []


def test_rep_a_reads_updates_moves_and_deletes_own_deal(api, rep_a, deals, stages):
    deal = deals["A1"]
    client = api(rep_a)

    read = client.get(detail(deal))
    patch = client.patch(detail(deal), {"title": "Alpha Renamed"}, format="json")
    move = client.post(move_url(deal), {"stage": stages["Qualified"].pk}, format="json")
    delete = client.delete(detail(deal))

    assert (read.status_code, patch.status_code, move.status_code, delete.status_code) == (200, 200, 200, 204)
    deal.refresh_from_db()
    assert (deal.title, deal.stage_id) == ("Alpha Renamed", stages["Qualified"].pk)
    assert deal.deleted_at is not None
    assert client.get(detail(deal)).status_code == 404


def test_head_updates_moves_and_deletes_team_deals(api, head_a, deals, stages):
    client = api(head_a)

    patch = client.patch(detail(deals["A2"]), {"notes": "Call"}, format="json")
    move = client.post(move_url(deals["A2"]), {"stage": stages["Qualified"].pk}, format="json")
    delete = client.delete(detail(deals["A1"]))

    assert (patch.status_code, move.status_code, delete.status_code) == (200, 200, 204)
    deals["A2"].refresh_from_db()
    deals["A1"].refresh_from_db()
    assert (deals["A2"].notes, deals["A2"].stage_id) == ("Call", stages["Qualified"].pk)
    assert deals["A1"].deleted_at is not None


def test_admin_moves_any_deal(api, admin, deals, stages):
    response = api(admin).post(move_url(deals["B1"]), {"stage": stages["Qualified"].pk}, format="json")

    assert response.status_code == 200
    assert response.json()["stage"] == stages["Qualified"].pk


def test_readonly_reads_deals_but_gets_403_on_every_write(api, readonly, deals, pipeline, stages):
    deal = deals["A1"]
    before = state(deal)
    client = api(readonly)

    assert client.get(detail(deal)).status_code == 200
    responses = [
        client.patch(detail(deal), {"title": "X"}, format="json"),
        client.post(move_url(deal), {"stage": stages["Qualified"].pk}, format="json"),
        client.delete(detail(deal)),
        client.post(URL, {"title": "New", "pipeline": pipeline.pk}, format="json"),
    ]

    assert [response.status_code for response in responses] == [403, 403, 403, 403]
    assert state(deal) == before
    assert Deal.objects.count() == 3


def test_read_scope_token_reads_but_gets_403_on_every_write(api, rep_a, deals, pipeline, stages):
    deal = deals["A1"]
    before = state(deal)
    client = api(rep_a, scope=ApiToken.Scope.READ)

    assert client.get(detail(deal)).status_code == 200
    responses = [
        client.patch(detail(deal), {"title": "X"}, format="json"),
        client.put(detail(deal), {"title": "X", "pipeline": pipeline.pk}, format="json"),
        client.post(move_url(deal), {"stage": stages["Qualified"].pk}, format="json"),
        client.post(f"{URL}{deal.pk}/take/", {}, format="json"),
        client.delete(detail(deal)),
        client.post(URL, {"title": "New", "pipeline": pipeline.pk}, format="json"),
    ]

    assert [response.status_code for response in responses] == [403] * 6
    assert {response.json()["error"]["code"] for response in responses} == {"read_only_token"}
    assert state(deal) == before
    assert Deal.objects.count() == 3


# --- create and retrieve -------------------------------------------------------------------------


def test_create_with_lines_and_amount_from_lines_sums_the_lines(api, rep_a, pipeline, stages, make_contact):
    product = Product.objects.create(name="Widget", price=Decimal("10.00"), currency_id="EUR")
    contact = make_contact(rep_a, "Ivan", "Petrov")
    body = {
        "title": "Widgets for Acme",
        "pipeline": pipeline.pk,
        "amount_from_lines": True,
        "contacts": [{"contact": contact.pk, "role": "decision maker"}],
        "lines": [
            {"product": product.pk, "quantity": "3"},
            {"name": "Installation", "quantity": "2", "unit_price": "50.00", "discount_percent": "10"},
        ],
        "expected_close_date": "2030-05-31",
        "next_step": "Send offer",
    }

    response = api(rep_a).post(URL, body, format="json")

    assert response.status_code == 201
    deal = Deal.objects.get()
    data = response.json()
    assert data["id"] == deal.pk
    assert (data["amount"], data["currency"], data["amount_base"]) == ("120.00", "EUR", "120.00")
    assert (data["stage"], data["stage_name"], data["stage_kind"]) == (
        stages["New request"].pk,
        "New request",
        "open",
    )
    assert data["lines"] == [
        {
            "id": data["lines"][0]["id"],
            "product": product.pk,
            "name": "Widget",
            "quantity": "3.000",
            "unit_price": "10.00",
            "discount_percent": "0.00",
            "total": "30.00",
        },
        {
            "id": data["lines"][1]["id"],
            "product": None,
            "name": "Installation",
            "quantity": "2.000",
            "unit_price": "50.00",
            "discount_percent": "10.00",
            "total": "90.00",
        },
    ]
    assert data["contacts"] == [{"contact": contact.pk, "name": "Ivan Petrov", "role": "decision maker"}]
    assert (deal.amount, deal.owner_id, deal.expected_close_date) == (
        Decimal("120.00"),
        rep_a.pk,
        datetime.date(2030, 5, 31),
    )
    change = StageChange.objects.get(deal=deal)
    assert (change.from_stage_id, change.to_stage_id, change.actor_id) == (
        None,
        stages["New request"].pk,
        rep_a.pk,
    )


def test_create_converts_the_amount_to_the_base_currency(api, rep_a, pipeline):
    currency_save(actor=None, code="USD", rate=Decimal("0.5"))

    response = api(rep_a).post(
        URL,
        {"title": "Dollar deal", "pipeline": pipeline.pk, "amount": "1000.00", "currency": "USD"},
        format="json",
    )

    assert response.status_code == 201
    assert (response.json()["amount"], response.json()["currency"], response.json()["amount_base"]) == (
        "1000.00",
        "USD",
        "500.00",
    )
    deal = Deal.objects.get()
    assert (deal.amount_base, deal.currency_id) == (Decimal("500.00"), "USD")


def test_create_in_a_stage_that_requires_fields_lists_them_and_creates_nothing(api, rep_a, pipeline, stages):
    response = api(rep_a).post(
        URL, {"title": "Offer", "pipeline": pipeline.pk, "stage": stages["Offer sent"].pk}, format="json"
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "missing_fields"
    assert sorted(error["fields"]) == ["amount", "expected_close_date"]
    assert Deal.objects.count() == 0


def test_retrieve_returns_the_whole_deal(api, rep_a, make_deal, make_company, make_contact, stages):
    company = make_company(rep_a, "Acme")
    contact = make_contact(rep_a, "Maria", "Ivanova", company=company)
    deal = make_deal(
        rep_a,
        "Big one",
        company=company,
        amount=Decimal("250.50"),
        expected_close_date=datetime.date(2030, 1, 15),
        next_step="Call back",
        next_step_date=datetime.date(2030, 1, 2),
        notes="Warm lead",
        contacts=[ContactInput(contact=contact, role="buyer")],
        lines=[LineInput(name="Consulting", quantity=Decimal("1"), unit_price=Decimal("250.50"))],
        stage=stages["Qualified"],
    )

    response = api(rep_a).get(detail(deal))

    assert response.status_code == 200
    data = response.json()
    line_id = deal.lines.get().pk
    assert data == {
        "id": deal.pk,
        "title": "Big one",
        "pipeline": deal.pipeline_id,
        "stage": stages["Qualified"].pk,
        "stage_name": "Qualified",
        "stage_kind": "open",
        "company": company.pk,
        "company_name": "Acme",
        "contacts": [{"contact": contact.pk, "name": "Maria Ivanova", "role": "buyer"}],
        "amount": "250.50",
        "currency": "EUR",
        "amount_base": "250.50",
        "amount_from_lines": False,
        "lines": [
            {
                "id": line_id,
                "product": None,
                "name": "Consulting",
                "quantity": "1.000",
                "unit_price": "250.50",
                "discount_percent": "0.00",
                "total": "250.50",
            }
        ],
        "expected_close_date": "2030-01-15",
        "owner": rep_a.pk,
        "owner_name": "Rita Rep",
        "channel": None,
        "next_step": "Call back",
        "next_step_date": "2030-01-02",
        "notes": "Warm lead",
        "lost_reason": None,
        "stage_entered_at": data["stage_entered_at"],
        "won_at": None,
        "lost_at": None,
        "taken_at": data["taken_at"],
        "created_at": data["created_at"],
        "updated_at": data["updated_at"],
    }
    assert data["taken_at"] is not None


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"amount": "-1.00"}, "invalid", "amount"),
        ({"currency": "XYZ"}, "invalid", "currency"),
        ({"probability": 50}, "unknown_field", "probability"),
        (
            {"lines": [{"name": "X", "quantity": "1", "unit_price": "1", "colour": "red"}]},
            "unknown_field",
            "lines.0.colour",
        ),
        ({"lines": [{"name": "X", "quantity": "-1", "unit_price": "1"}]}, "invalid", "lines.0.quantity"),
    ],
)
def test_create_refuses_bad_input_and_creates_nothing(api, rep_a, pipeline, body, code, field):
    response = api(rep_a).post(URL, {"title": "Bad", "pipeline": pipeline.pk, **body}, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], list(error["fields"])) == (code, [field])
    assert Deal.objects.count() == 0


def test_create_refuses_an_invisible_company(api, rep_a, rep_b, pipeline, make_company):
    company = make_company(rep_b, "Beta Corp")

    response = api(rep_a).post(
        URL, {"title": "Steal", "pipeline": pipeline.pk, "company": company.pk}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["company"]
    assert Deal.objects.count() == 0


# --- update ---------------------------------------------------------------------------------------


def test_update_with_another_stage_points_to_the_move_endpoint(api, rep_a, deals, stages):
    deal = deals["A1"]
    before = state(deal)

    response = api(rep_a).patch(detail(deal), {"title": "X", "stage": stages["Won"].pk}, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "stage_change_not_allowed"
    assert list(error["fields"]) == ["stage"]
    assert "/move/" in error["message"]
    assert state(deal) == before


def test_put_of_what_get_returned_saves_the_change(api, rep_a, deals):
    deal = deals["A1"]
    client = api(rep_a)
    body = client.get(detail(deal)).json()
    body["title"] = "Alpha Again"
    body["amount"] = "99.90"

    response = client.put(detail(deal), body, format="json")

    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.title, deal.amount, deal.amount_base) == ("Alpha Again", Decimal("99.90"), Decimal("99.90"))
    assert deal.stage_changes.count() == 1


def test_update_replaces_lines_and_recomputes_the_amount(api, rep_a, make_deal):
    deal = make_deal(
        rep_a,
        "Lines",
        amount_from_lines=True,
        lines=[LineInput(name="Old", quantity=Decimal("1"), unit_price=Decimal("5"))],
    )

    response = api(rep_a).patch(
        detail(deal), {"lines": [{"name": "New", "quantity": "4", "unit_price": "2.50"}]}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["amount"] == "10.00"
    assert [line.name for line in deal.lines.all()] == ["New"]


def test_update_refuses_a_negative_amount(api, rep_a, deals):
    response = api(rep_a).patch(detail(deals["A1"]), {"amount": "-5"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["amount"]
    deals["A1"].refresh_from_db()
    assert deals["A1"].amount is None


# --- move -----------------------------------------------------------------------------------------


def test_move_writes_a_stage_change_and_returns_the_deal(api, rep_a, deals, stages):
    deal = deals["A1"]

    response = api(rep_a).post(
        move_url(deal),
        {"stage": stages["Qualified"].pk, "expected_stage": stages["New request"].pk},
        format="json",
    )

    assert response.status_code == 200
    assert (response.json()["id"], response.json()["stage"]) == (deal.pk, stages["Qualified"].pk)
    change = deal.stage_changes.order_by("-id").first()
    assert (change.from_stage_id, change.to_stage_id, change.actor_id) == (
        stages["New request"].pk,
        stages["Qualified"].pk,
        deals["A1"].owner_id,
    )
    assert deal.stage_changes.count() == 2


def test_move_into_a_stage_with_missing_fields_lists_exactly_them_then_succeeds_with_them(
    api, rep_a, deals, stages
):
    deal = deals["A1"]
    client = api(rep_a)

    refused = client.post(move_url(deal), {"stage": stages["Offer sent"].pk}, format="json")

    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "missing_fields"
    assert sorted(error["fields"]) == ["amount", "expected_close_date"]
    assert state(deal)[1:] == (stages["New request"].pk, None, 1)

    moved = client.post(
        move_url(deal),
        {
            "stage": stages["Offer sent"].pk,
            "fields": {"amount": "1500.00", "expected_close_date": "2030-03-01"},
        },
        format="json",
    )

    assert moved.status_code == 200
    deal.refresh_from_db()
    assert (deal.stage_id, deal.amount, deal.amount_base, deal.expected_close_date) == (
        stages["Offer sent"].pk,
        Decimal("1500.00"),
        Decimal("1500.00"),
        datetime.date(2030, 3, 1),
    )
    assert deal.stage_changes.count() == 2


def test_move_with_only_some_missing_fields_lists_the_rest(api, rep_a, deals, stages):
    response = api(rep_a).post(
        move_url(deals["A1"]), {"stage": stages["Offer sent"].pk, "fields": {"amount": "10"}}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["expected_close_date"]
    deals["A1"].refresh_from_db()
    assert deals["A1"].amount is None


def test_move_with_a_stale_expected_stage_is_409_with_the_current_stage(api, rep_a, deals, stages):
    deal = deals["A1"]
    client = api(rep_a)
    client.post(move_url(deal), {"stage": stages["Qualified"].pk}, format="json")

    response = client.post(
        move_url(deal),
        {"stage": stages["Lost"].pk, "expected_stage": stages["New request"].pk},
        format="json",
    )

    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["current_stage"]) == ("stale", stages["Qualified"].pk)
    assert state(deal)[1:] == (stages["Qualified"].pk, None, 2)


def test_move_to_another_pipelines_stage_is_400(api, rep_a, deals):
    other = Pipeline.objects.exclude(pk=deals["A1"].pipeline_id).first().stages.first()
    before = state(deals["A1"])

    response = api(rep_a).post(move_url(deals["A1"]), {"stage": other.pk}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "stage_other_pipeline"
    assert state(deals["A1"]) == before


def test_move_to_an_archived_stage_is_400(api, rep_a, deals, stages):
    stage_update(actor=None, stage=stages["Negotiation"], data={"is_archived": True})
    before = state(deals["A1"])

    response = api(rep_a).post(move_url(deals["A1"]), {"stage": stages["Negotiation"].pk}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "stage_archived"
    assert state(deals["A1"]) == before


def test_move_to_a_lost_stage_needs_a_reason(api, rep_a, deals, stages):
    reason = LostReason.objects.create(name="Too expensive")
    client = api(rep_a)

    refused = client.post(move_url(deals["A1"]), {"stage": stages["Lost"].pk}, format="json")
    moved = client.post(
        move_url(deals["A1"]), {"stage": stages["Lost"].pk, "lost_reason": reason.pk}, format="json"
    )

    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "lost_reason_required"
    assert moved.status_code == 200
    assert (moved.json()["stage_kind"], moved.json()["lost_reason"]) == ("lost", reason.pk)
    assert moved.json()["lost_at"] is not None


def test_move_refuses_unknown_keys(api, rep_a, deals, stages):
    response = api(rep_a).post(
        move_url(deals["A1"]), {"stage": stages["Qualified"].pk, "fields": {"title": "X"}}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_field"
    assert list(response.json()["error"]["fields"]) == ["fields.title"]


# --- take -----------------------------------------------------------------------------------------


def test_take_makes_an_untaken_deal_yours(api, head_a, rep_a, pipeline):
    deal = deal_create(actor=head_a, data={"title": "Inbound", "pipeline": pipeline}, taken=False)

    response = api(head_a).post(f"{URL}{deal.pk}/take/", format="json")

    assert response.status_code == 200
    assert response.json()["taken_at"] is not None
    deal.refresh_from_db()
    assert (deal.owner_id, deal.taken_at is not None) == (head_a.pk, True)


# --- list: filters, ordering, pagination, queries ------------------------------------------------


def test_list_filters_by_status_stage_and_search(api, admin, deals, stages, make_deal):
    won = make_deal(admin, "Won deal", amount=Decimal("5"), stage=stages["Won"])
    client = api(admin)

    assert titles(client.get(URL, {"status": "won"})) == ["Won deal"]
    assert titles(client.get(URL, {"stage": won.stage_id})) == ["Won deal"]
    assert titles(client.get(URL, {"status": "open", "search": "alpha"})) == ["Alpha One", "Alpha Two"]
    assert titles(client.get(URL, {"owner": deals["B1"].owner_id})) == ["Beta One"]


def test_list_refuses_unknown_and_invalid_filters(api, rep_a):
    client = api(rep_a)

    unknown = client.get(URL, {"colour": "red"})
    invalid = client.get(URL, {"status": "sleeping"})
    ordering = client.get(URL, {"ordering": "amount"})

    assert (unknown.status_code, unknown.json()["error"]["code"]) == (400, "unknown_filter")
    assert (invalid.status_code, invalid.json()["error"]["code"]) == (400, "invalid_filter")
    assert (ordering.status_code, ordering.json()["error"]["code"]) == (400, "invalid_filter")


def test_list_orders_by_title_and_pages_with_cursors(api, rep_a, make_deal):
    for title in ["Delta", "Alpha", "Charlie", "Bravo"]:
        make_deal(rep_a, title)
    client = api(rep_a)

    first = client.get(URL, {"ordering": "title", "page_size": 3}).json()
    second = client.get(first["next"]).json()

    assert [row["title"] for row in first["results"]] == ["Alpha", "Bravo", "Charlie"]
    assert [row["title"] for row in second["results"]] == ["Delta"]
    assert second["next"] is None


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(URL, {"page_size": 100})
    assert response.status_code == 200
    return len(context.captured_queries)


def test_deal_list_query_count_is_constant(api, admin, make_deal, make_company, make_contact):
    company = make_company(admin, "Acme")
    contact = make_contact(admin, "Ivan", "Petrov")

    def add(count: int) -> None:
        for index in range(count):
            make_deal(
                admin,
                f"Deal {index}",
                company=company,
                contacts=[ContactInput(contact=contact, role="buyer")],
                lines=[LineInput(name="Item", quantity=Decimal("1"), unit_price=Decimal("1"))],
            )

    client = api(admin)
    client.get(URL)  # the token's first use records last_used_at once
    add(3)
    with_three = _list_queries(client)
    add(27)
    with_thirty = _list_queries(client)

    assert len(client.get(URL, {"page_size": 100}).json()["results"]) == 30
    assert with_three == with_thirty == 6  # token, two permission loads, deals, lines, contacts


def test_the_next_step_is_read_only_it_mirrors_the_planned_activities(api, rep_a, deals):
    deal = deals["A1"]
    before = (deal.next_step, deal.next_step_date)

    response = api(rep_a).patch(
        detail(deal), {"next_step": "Typed", "next_step_date": "2030-01-01"}, format="json"
    )

    deal.refresh_from_db()
    assert response.status_code == 200
    assert (deal.next_step, deal.next_step_date) == before
