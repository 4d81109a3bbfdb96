from __future__ import annotations

from decimal import Decimal

import pytest

from tandem.accounts.models import ApiToken
from tandem.contacts.models import Channel
from tandem.deals.models import Currency, LostReason, Pipeline, ProductCategory, Stage
from tandem.deals.services import currency_save, stage_update

SEEDED_STAGES = [
    ("New request", 10, "open", 2, []),
    ("Qualified", 20, "open", 5, []),
    ("Meeting", 40, "open", 10, ["contacts"]),
    ("Offer sent", 60, "open", 14, ["amount", "expected_close_date"]),
    ("Negotiation", 80, "open", 14, ["amount", "expected_close_date"]),
    ("Won", 100, "won", None, ["amount"]),
    ("Lost", 0, "lost", None, []),
]


def test_pipelines_list_nests_stages_in_board_order(api, rep_a):
    pipeline = Pipeline.objects.order_by("position", "id").first()
    stages = list(pipeline.stages.order_by("position", "id"))

    response = api(rep_a).get("/api/v1/pipelines/")

    assert response.status_code == 200
    data = response.json()
    assert [row["name"] for row in data] == ["New clients", "Repeat sales"]
    first = data[0]
    assert (first["id"], first["is_active"]) == (pipeline.pk, True)
    assert [
        (stage["name"], stage["probability"], stage["kind"], stage["max_days"], stage["required_fields"])
        for stage in first["stages"]
    ] == SEEDED_STAGES
    assert first["stages"][0] == {
        "id": stages[0].pk,
        "name": "New request",
        "colour": "#6c757d",
        "probability": 10,
        "kind": "open",
        "max_days": 2,
        "required_fields": [],
        "position": stages[0].position,
        "is_archived": False,
    }


def test_pipeline_list_flags_archived_stages(api, rep_a):
    stage = Stage.objects.get(pipeline__position=0, name="Negotiation")
    stage_update(actor=None, stage=stage, data={"is_archived": True})

    stages = api(rep_a).get(f"/api/v1/pipelines/{stage.pipeline_id}/").json()["stages"]

    assert [row["name"] for row in stages if row["is_archived"]] == ["Negotiation"]


def test_pipelines_list_refuses_query_parameters(api, rep_a):
    response = api(rep_a).get("/api/v1/pipelines/", {"active": "true"})

    assert (response.status_code, response.json()["error"]["code"]) == (400, "unknown_filter")


def test_stages_filter_by_pipeline(api, rep_a):
    repeat = Pipeline.objects.get(name="Repeat sales")
    client = api(rep_a)

    all_stages = client.get("/api/v1/stages/").json()
    repeat_stages = client.get("/api/v1/stages/", {"pipeline": repeat.pk}).json()

    assert len(all_stages) == Stage.objects.count() == 12
    assert [row["name"] for row in repeat_stages] == [
        "Request",
        "Offer sent",
        "Invoice issued",
        "Won",
        "Lost",
    ]
    assert {row["pipeline"] for row in repeat_stages} == {repeat.pk}


@pytest.mark.parametrize("query", [{"pipeline": "x"}, {"kind": "open"}, {"page_size": "5"}])
def test_stages_refuse_bad_or_unknown_parameters(api, rep_a, query):
    response = api(rep_a).get("/api/v1/stages/", query)

    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"invalid_filter", "unknown_filter"}
    assert list(response.json()["error"]["fields"]) == list(query)


def test_currencies_list_codes_and_rates(api, rep_a):
    currency_save(actor=None, code="USD", rate=Decimal("0.5"))

    response = api(rep_a).get("/api/v1/currencies/")

    assert response.status_code == 200
    usd = next(row for row in response.json() if row["code"] == "USD")
    assert usd == {
        "code": "USD",
        "name": Currency.objects.get(pk="USD").name,
        "rate": "0.50000000",
        "is_active": True,
    }
    assert [row["code"] for row in response.json()] == sorted(Currency.objects.values_list("code", flat=True))


def test_currency_detail_and_read_only(api, admin):
    client = api(admin)

    assert client.get("/api/v1/currencies/eur/").json()["code"] == "EUR"
    assert (
        client.post("/api/v1/currencies/", {"code": "GBP", "rate": "1.1"}, format="json").status_code == 405
    )
    assert not Currency.objects.filter(pk="GBP").exists()


def test_lost_reasons_product_categories_and_channels_are_listed(api, readonly):
    reason = LostReason.objects.create(name="Chose a competitor in 2030")
    category = ProductCategory.objects.create(name="Hardware 2030")
    channel = Channel.objects.create(name="Trade fair 2030")
    client = api(readonly, scope=ApiToken.Scope.READ)

    for path, item in [("lost-reasons", reason), ("product-categories", category), ("channels", channel)]:
        response = client.get(f"/api/v1/{path}/")
        assert response.status_code == 200
        assert {"id": item.pk, "name": item.name, "is_active": True} in response.json()


def test_pipelines_need_authentication(api):
    assert api().get("/api/v1/pipelines/").status_code == 401
    assert api().get("/api/v1/stages/").status_code == 401
    assert api().get("/api/v1/currencies/").status_code == 401
