"""Sales-process settings: only administrators; pipelines, stages, lists and currency rates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tandem.contacts.models import Channel
from tandem.deals.models import Currency, Deal, LostReason, Pipeline, ProductCategory, Stage
from tandem.deals.services import deal_create

URL = "/settings/sales/"


@pytest.fixture
def pipeline(db) -> Pipeline:
    return Pipeline.objects.get(name="New clients")


def _stage(pipeline: Pipeline, name: str) -> Stage:
    return pipeline.stages.get(name=name)


def _order(pipeline: Pipeline) -> list[str]:
    return list(pipeline.stages.order_by("position", "id").values_list("name", flat=True))


def _stage_data(**changes):
    data = {"name": "Demo", "colour": "#123456", "probability": "30", "kind": "open", "max_days": "7"}
    data.update(changes)
    return data


# --- authorization -------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, pipeline):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    response = client.post("/settings/sales/pipelines/new/", {"name": "X"})
    assert response.status_code == 302
    assert Pipeline.objects.count() == 2


@pytest.mark.parametrize("role", ["rep_a", "head_a", "marketer", "readonly"])
def test_non_admins_get_403_and_change_nothing(client, pipeline, role, request):
    client.force_login(request.getfixturevalue(role))
    stage = _stage(pipeline, "Qualified")
    reason = LostReason.objects.get(name="No budget")
    attempts = [
        client.get(URL),
        client.post("/settings/sales/pipelines/new/", {"name": "Hacked"}),
        client.post(f"/settings/sales/pipelines/{pipeline.pk}/", {"name": "Hacked"}),
        client.get(f"/settings/sales/pipelines/{pipeline.pk}/stages/new/"),
        client.post(f"/settings/sales/stages/{stage.pk}/", _stage_data(name="Hacked")),
        client.post(f"/settings/sales/stages/{stage.pk}/move/", {"direction": "up"}),
        client.post(f"/settings/sales/stages/{stage.pk}/archive/", {"archived": "1"}),
        client.post(f"/settings/sales/lost-reasons/{reason.pk}/", {"name": "Hacked"}),
        client.post("/settings/sales/channels/new/", {"name": "Hacked"}),
        client.post("/settings/sales/currencies/", {"code": "USD", "rate": "5", "is_active": "on"}),
    ]
    assert [response.status_code for response in attempts] == [403] * len(attempts)
    assert Pipeline.objects.count() == 2
    assert _order(pipeline)[:2] == ["New request", "Qualified"]
    stage.refresh_from_db()
    assert (stage.name, stage.is_archived) == ("Qualified", False)
    assert not Channel.objects.filter(name="Hacked").exists()
    assert not LostReason.objects.filter(name="Hacked").exists()
    assert Currency.objects.get(code="USD").rate == Decimal("0.92")


def test_admin_sees_pipelines_stages_lists_and_currencies(client, admin, pipeline):
    client.force_login(admin)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for text in ["New clients", "Repeat sales", "Negotiation", "Price too high", "Website", "BGN", "EUR"]:
        assert text in html
    assert response.context["base_currency"] == "EUR"


def test_settings_link_in_the_administration_menu_for_admins_only(client, admin, head_a):
    client.force_login(admin)
    assert 'href="/settings/sales/"' in client.get("/products/").content.decode()
    client.force_login(head_a)
    assert 'href="/settings/sales/"' not in client.get("/products/").content.decode()


# --- pipelines and stages ------------------------------------------------------------------------


def test_admin_creates_a_pipeline_with_starter_stages(client, admin, db):
    client.force_login(admin)
    response = client.post("/settings/sales/pipelines/new/", {"name": "Tenders", "is_active": "on"})
    assert response.status_code == 302
    pipeline = Pipeline.objects.get(name="Tenders")
    assert list(pipeline.stages.order_by("position").values_list("name", "kind")) == [
        ("New request", "open"),
        ("Won", "won"),
        ("Lost", "lost"),
    ]


def test_duplicate_pipeline_name_is_shown_and_nothing_created(client, admin, pipeline):
    client.force_login(admin)
    response = client.post("/settings/sales/pipelines/new/", {"name": "New clients"})
    assert response.status_code == 400
    assert response.context["errors"] == {"pipelines": ["Pipeline with this Name already exists."]}
    assert Pipeline.objects.count() == 2


def test_admin_renames_and_deactivates_a_pipeline(client, admin, pipeline):
    client.force_login(admin)
    response = client.post(f"/settings/sales/pipelines/{pipeline.pk}/", {"name": "Newcomers"})
    assert response.status_code == 302
    pipeline.refresh_from_db()
    assert (pipeline.name, pipeline.is_active) == ("Newcomers", False)
    client.post(f"/settings/sales/pipelines/{pipeline.pk}/", {"name": "Newcomers", "is_active": "on"})
    pipeline.refresh_from_db()
    assert pipeline.is_active is True


def test_admin_adds_a_stage_with_required_fields(client, admin, pipeline):
    client.force_login(admin)
    assert client.get(f"/settings/sales/pipelines/{pipeline.pk}/stages/new/").status_code == 200
    data = _stage_data(required_fields=["amount", "contacts"])
    response = client.post(f"/settings/sales/pipelines/{pipeline.pk}/stages/new/", data)
    assert response.status_code == 302
    stage = _stage(pipeline, "Demo")
    assert (stage.colour, stage.probability, stage.kind, stage.max_days) == ("#123456", 30, "open", 7)
    assert stage.required_fields == ["amount", "contacts"]
    assert _order(pipeline)[-1] == "Demo"


def test_stage_form_errors_change_nothing(client, admin, pipeline):
    stage = _stage(pipeline, "Qualified")
    client.force_login(admin)
    data = _stage_data(probability="150", colour="red", required_fields=["salary"])
    response = client.post(f"/settings/sales/stages/{stage.pk}/", data)
    assert response.status_code == 200
    assert sorted(response.context["form"].errors) == ["colour", "probability", "required_fields"]
    stage.refresh_from_db()
    assert (stage.name, stage.probability) == ("Qualified", 20)


def test_admin_edits_a_stage(client, admin, pipeline):
    stage = _stage(pipeline, "Qualified")
    client.force_login(admin)
    response = client.post(f"/settings/sales/stages/{stage.pk}/", _stage_data(name="Qualified lead"))
    assert response.status_code == 302
    stage.refresh_from_db()
    assert (stage.name, stage.probability, stage.max_days, stage.required_fields) == (
        "Qualified lead",
        30,
        7,
        [],
    )


def test_reorder_moves_a_stage_and_keeps_deals_on_it(client, admin, rep_a, pipeline):
    qualified = _stage(pipeline, "Qualified")
    deal = deal_create(actor=rep_a, data={"title": "Keep me", "pipeline": pipeline}, stage=qualified)
    client.force_login(admin)
    response = client.post(f"/settings/sales/stages/{qualified.pk}/move/", {"direction": "up"})
    assert response.status_code == 302
    assert _order(pipeline)[:3] == ["Qualified", "New request", "Meeting"]
    client.post(f"/settings/sales/stages/{qualified.pk}/move/", {"direction": "down"})
    client.post(f"/settings/sales/stages/{qualified.pk}/move/", {"direction": "down"})
    assert _order(pipeline)[:3] == ["New request", "Meeting", "Qualified"]
    deal.refresh_from_db()
    assert deal.stage_id == qualified.pk


def test_archive_keeps_deals_on_the_stage_and_restore_brings_it_back(client, admin, rep_a, pipeline):
    qualified = _stage(pipeline, "Qualified")
    deal = deal_create(actor=rep_a, data={"title": "Keep me", "pipeline": pipeline}, stage=qualified)
    client.force_login(admin)
    response = client.post(f"/settings/sales/stages/{qualified.pk}/archive/", {"archived": "1"})
    assert response.status_code == 302
    qualified.refresh_from_db()
    deal.refresh_from_db()
    assert qualified.is_archived is True
    assert (deal.stage_id, deal.lost_at, deal.deleted_at) == (qualified.pk, None, None)
    assert Deal.objects.filter(stage=qualified).count() == 1
    client.post(f"/settings/sales/stages/{qualified.pk}/archive/", {"archived": "0"})
    qualified.refresh_from_db()
    assert qualified.is_archived is False


# --- lists and currencies ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "model"),
    [("lost-reasons", LostReason), ("channels", Channel), ("product-categories", ProductCategory)],
)
def test_admin_adds_renames_and_deactivates_list_entries(client, admin, db, slug, model):
    client.force_login(admin)
    response = client.post(f"/settings/sales/{slug}/new/", {"name": "  Trade   fair "})
    assert response.status_code == 302
    item = model.objects.get(name="Trade fair")
    assert item.is_active is True
    response = client.post(f"/settings/sales/{slug}/{item.pk}/", {"name": "Fair"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.name, item.is_active) == ("Fair", False)


def test_duplicate_list_entry_is_refused(client, admin, db):
    client.force_login(admin)
    response = client.post("/settings/sales/lost-reasons/new/", {"name": "no budget"})
    assert response.status_code == 400
    assert response.context["errors"] == {"lost-reasons": ["This name is already in the list."]}
    assert LostReason.objects.filter(name__iexact="no budget").count() == 1


def test_unknown_list_is_404(client, admin, db):
    client.force_login(admin)
    assert client.post("/settings/sales/tags/new/", {"name": "x"}).status_code == 404


def test_admin_changes_a_currency_rate_and_adds_a_currency(client, admin, db):
    client.force_login(admin)
    response = client.post("/settings/sales/currencies/", {"code": "USD", "rate": "0.95", "is_active": "on"})
    assert response.status_code == 302
    assert Currency.objects.get(code="USD").rate == Decimal("0.95")
    response = client.post("/settings/sales/currencies/", {"code": "gbp", "rate": "1.17", "new": "1"})
    assert response.status_code == 302
    gbp = Currency.objects.get(code="GBP")
    assert (gbp.rate, gbp.is_active) == (Decimal("1.17"), True)


def test_base_currency_rate_stays_one(client, admin, db):
    client.force_login(admin)
    response = client.post("/settings/sales/currencies/", {"code": "EUR", "rate": "2", "is_active": "on"})
    assert response.status_code == 400
    assert response.context["errors"] == {"currencies": ["The base currency's rate is always 1."]}
    assert Currency.objects.get(code="EUR").rate == Decimal("1")


def test_invalid_currency_rate_is_refused(client, admin, db):
    client.force_login(admin)
    response = client.post("/settings/sales/currencies/", {"code": "USD", "rate": "-3"})
    assert response.status_code == 400
    assert Currency.objects.get(code="USD").rate == Decimal("0.92")
