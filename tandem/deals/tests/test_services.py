import datetime
from decimal import Decimal

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError as DjangoValidationError

from tandem.core.errors import PermissionDenied, ValidationError
from tandem.deals.errors import MissingFields, StaleDeal
from tandem.deals.models import Currency, Deal, DealContact, DealLine, Product, Stage, StageChange
from tandem.deals.selectors import DealFilters, deal_list
from tandem.deals.services import (
    ContactInput,
    LineInput,
    currency_save,
    deal_create,
    deal_move,
    deal_restore,
    deal_take,
    deal_trash,
    deal_update,
    product_save,
    stage_create,
    stage_update,
    stages_reorder,
)
from tandem.history.models import Event

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def _counts() -> dict[str, int]:
    return {
        "deals": Deal.objects.count(),
        "changes": StageChange.objects.count(),
        "events": Event.objects.count(),
        "lines": DealLine.objects.count(),
        "contacts": DealContact.objects.count(),
    }


def _row(deal: Deal) -> dict:
    return Deal.objects.filter(pk=deal.pk).values().get()


def _events(deal: Deal) -> list[tuple[str, list]]:
    return [
        (event.action, event.changes)
        for event in Event.objects.filter(
            target_type=ContentType.objects.get_for_model(Deal), target_id=deal.pk
        ).order_by("id")
    ]


def _path(deal: Deal) -> list[tuple[str | None, str, int | None]]:
    return [
        (
            change.from_stage.name if change.from_stage else None,
            change.to_stage.name,
            change.seconds_in_previous,
        )
        for change in StageChange.objects.filter(deal=deal).select_related("from_stage", "to_stage")
    ]


def _error_codes(error: DjangoValidationError) -> dict[str, list[str | None]]:
    return {field: [item.code for item in items] for field, items in error.error_dict.items()}


# --- deal_create ---------------------------------------------------------------------------------------


def test_deal_create_enters_the_first_open_stage_and_records_it(rep_a, pipeline, stages):
    with time_machine.travel(T0, tick=False):
        deal = deal_create(actor=rep_a, data={"title": " Boiler room ", "pipeline": pipeline})

    deal.refresh_from_db()
    assert deal.title == "Boiler room"
    assert deal.stage == stages["New request"]
    assert deal.owner == rep_a
    assert deal.currency_id == "EUR"
    assert (deal.created_at, deal.stage_entered_at, deal.taken_at) == (T0, T0, T0)
    assert (deal.won_at, deal.lost_at) == (None, None)
    assert _path(deal) == [(None, "New request", None)]
    change = StageChange.objects.get(deal=deal)
    assert (change.actor, change.changed_at) == (rep_a, T0)
    assert _events(deal) == [("created", [])]


def test_deal_create_skips_archived_and_closed_stages_for_the_default(admin, pipeline, stages, make_deal):
    stage_update(actor=admin, stage=stages["New request"], data={"is_archived": True})

    deal = make_deal(rep_a := admin)

    assert deal.stage == stages["Qualified"]
    assert rep_a == deal.owner


def test_deal_create_gives_the_deal_to_another_owner_only_when_assignable(
    head_a, rep_a, rep_a2, rep_b, make_deal
):
    before = _counts()
    with pytest.raises(PermissionDenied) as error:
        make_deal(rep_a, data={"owner": rep_a2})
    assert error.value.code == "owner_not_allowed"
    with pytest.raises(PermissionDenied):
        make_deal(head_a, data={"owner": rep_b})
    assert _counts() == before

    deal = make_deal(head_a, data={"owner": rep_a})

    assert deal.owner == rep_a


def test_deal_create_refuses_a_company_or_contact_the_actor_cannot_see(
    rep_a, rep_b, make_company, make_contact, make_deal
):
    hidden_company = make_company(rep_b, "Hidden Ltd")
    hidden_contact = make_contact(rep_b, "Olga", "Hidden")
    before = _counts()

    with pytest.raises(ValidationError) as company_error:
        make_deal(rep_a, data={"company": hidden_company})
    with pytest.raises(ValidationError) as contact_error:
        make_deal(rep_a, contacts=[ContactInput(hidden_contact)])

    assert _error_codes(company_error.value) == {"company": ["invalid_company"]}
    assert _error_codes(contact_error.value) == {"contacts": ["invalid_contact"]}
    assert _counts() == before


def test_deal_create_sums_the_lines_into_the_amount_exactly(rep_a, make_deal):
    deal = make_deal(
        rep_a,
        data={"amount_from_lines": True, "amount": Decimal("1")},
        lines=[
            LineInput("Pump", Decimal("3"), Decimal("19.99"), Decimal("10")),  # 59.97 × 0.9 = 53.973
            LineInput("Pipe", Decimal("2.5"), Decimal("100.00")),  # 250.00
            LineInput("Valve", Decimal("1"), Decimal("0.33"), Decimal("33.33")),  # 0.220011
        ],
    )

    deal.refresh_from_db()
    assert deal.amount == Decimal("304.19")
    assert deal.amount_base == Decimal("304.19")
    assert [(line.name, line.total, line.position) for line in deal.lines.all()] == [
        ("Pump", Decimal("53.97"), 0),
        ("Pipe", Decimal("250.00"), 1),
        ("Valve", Decimal("0.22"), 2),
    ]


def test_deal_create_converts_the_amount_into_the_base_currency(rep_a, usd, make_deal):
    deal = make_deal(rep_a, data={"amount": Decimal("123.45"), "currency": usd})

    deal.refresh_from_db()
    assert (deal.amount, deal.currency_id, deal.amount_base) == (Decimal("123.45"), "USD", Decimal("61.73"))


def test_deal_create_refuses_a_negative_amount_and_saves_nothing(rep_a, make_deal):
    before = _counts()

    with pytest.raises(DjangoValidationError) as error:
        make_deal(rep_a, data={"amount": Decimal("-0.01")})

    assert "amount" in error.value.error_dict
    assert _counts() == before


def test_deal_create_refuses_an_inactive_currency(rep_a, make_deal):
    rouble = currency_save(actor=None, code="rub", rate=Decimal("0.0105"), is_active=False)
    before = _counts()

    with pytest.raises(ValidationError) as error:
        make_deal(rep_a, data={"amount": Decimal("10"), "currency": rouble})

    assert _error_codes(error.value) == {"currency": ["inactive_currency"]}
    assert _counts() == before


def test_deal_create_into_a_stage_with_required_fields_lists_them_and_saves_nothing(
    rep_a, stages, make_contact, make_deal
):
    contact = make_contact(rep_a)
    before = _counts()

    with pytest.raises(MissingFields) as offer:
        make_deal(rep_a, stage=stages["Offer sent"], lines=[LineInput("Pump", Decimal("1"), Decimal("5"))])
    with pytest.raises(MissingFields) as meeting:
        make_deal(rep_a, stage=stages["Meeting"], data={"amount": Decimal("5")})

    assert offer.value.fields == ["amount", "expected_close_date"]
    assert offer.value.code == "missing_fields"
    assert meeting.value.fields == ["contacts"]
    assert _counts() == before

    deal = make_deal(rep_a, stage=stages["Meeting"], contacts=[ContactInput(contact, "buyer")])

    assert deal.stage == stages["Meeting"]
    assert _path(deal) == [(None, "Meeting", None)]


def test_deal_create_refuses_a_stage_of_another_pipeline(rep_a, other_pipeline, make_deal):
    with pytest.raises(ValidationError) as error:
        make_deal(rep_a, stage=other_pipeline.stages.get(name="Request"))

    assert _error_codes(error.value) == {"stage": ["invalid_stage"]}
    assert Deal.objects.count() == 0


def test_deal_create_by_a_read_only_user_is_denied(readonly, make_deal):
    with pytest.raises(PermissionDenied):
        make_deal(readonly)

    assert Deal.objects.count() == 0


# --- deal_move -----------------------------------------------------------------------------------------


def test_deal_move_lists_exactly_the_missing_fields(admin, rep_a, pipeline, stages, make_deal):
    contract = stage_create(
        actor=admin,
        pipeline=pipeline,
        data={"name": "Contract", "required_fields": ["contacts", "lines", "amount", "channel"]},
    )
    deal = make_deal(rep_a)
    before, row = _counts(), _row(deal)

    with pytest.raises(MissingFields) as offer:
        deal_move(actor=rep_a, deal=deal, stage=stages["Offer sent"])
    with pytest.raises(MissingFields) as contract_error:
        deal_move(actor=rep_a, deal=deal, stage=contract, fields={"amount": Decimal("10")})

    assert offer.value.fields == ["amount", "expected_close_date"]
    assert offer.value.extra == {"fields": ["amount", "expected_close_date"]}
    assert contract_error.value.fields == ["contacts", "lines", "channel"]
    assert (_counts(), _row(deal)) == (before, row)


def test_deal_move_with_fields_completes_and_stores_them(rep_a, stages, usd, make_deal):
    deal = make_deal(rep_a)

    deal_move(
        actor=rep_a,
        deal=deal,
        stage=stages["Offer sent"],
        fields={
            "amount": Decimal("1000.00"),
            "currency": usd,
            "expected_close_date": datetime.date(2026, 6, 30),
        },
    )

    deal.refresh_from_db()
    assert deal.stage == stages["Offer sent"]
    assert (deal.amount, deal.currency_id, deal.amount_base) == (Decimal("1000.00"), "USD", Decimal("500.00"))
    assert deal.expected_close_date == datetime.date(2026, 6, 30)
    assert _events(deal)[-1] == (
        "updated",
        [
            {"field": "stage", "old": "New request", "new": "Offer sent"},
            {"field": "amount", "old": None, "new": "1000.00"},
            {"field": "currency", "old": "EUR", "new": "USD"},
            {"field": "expected_close_date", "old": None, "new": "2026-06-30"},
        ],
    )


def test_deal_move_refuses_fields_a_move_cannot_set(rep_a, stages, make_deal):
    deal = make_deal(rep_a)

    with pytest.raises(ValidationError) as error:
        deal_move(actor=rep_a, deal=deal, stage=stages["Qualified"], fields={"owner": rep_a})

    assert _error_codes(error.value) == {"owner": ["unknown_field"]}
    assert _path(deal) == [(None, "New request", None)]


def test_deal_move_into_won_sets_won_at_and_clears_lost(rep_a, stages, lost_reason, make_deal):
    deal = make_deal(rep_a, data={"amount": Decimal("10")})
    deal_move(actor=rep_a, deal=deal, stage=stages["Lost"], lost_reason=lost_reason)

    with time_machine.travel(T0, tick=False):
        deal_move(actor=rep_a, deal=deal, stage=stages["Won"])

    deal.refresh_from_db()
    assert (deal.won_at, deal.lost_at, deal.lost_reason) == (T0, None, None)
    assert _events(deal)[-1] == (
        "updated",
        [
            {"field": "stage", "old": "Lost", "new": "Won"},
            {"field": "lost_reason", "old": "Price too high", "new": None},
        ],
    )


def test_deal_move_into_lost_requires_a_reason_and_sets_lost_at(rep_a, stages, lost_reason, make_deal):
    deal = make_deal(rep_a)
    before, row = _counts(), _row(deal)

    with pytest.raises(ValidationError) as error:
        deal_move(actor=rep_a, deal=deal, stage=stages["Lost"])
    assert _error_codes(error.value) == {"lost_reason": ["lost_reason_required"]}
    assert (_counts(), _row(deal)) == (before, row)

    with time_machine.travel(T0, tick=False):
        deal_move(actor=rep_a, deal=deal, stage=stages["Lost"], lost_reason=lost_reason)

    deal.refresh_from_db()
    assert (deal.stage, deal.lost_at, deal.lost_reason, deal.won_at) == (
        stages["Lost"],
        T0,
        lost_reason,
        None,
    )


def test_deal_move_reopening_clears_the_outcome(rep_a, stages, lost_reason, make_deal):
    deal = make_deal(rep_a, data={"amount": Decimal("10")})
    deal_move(actor=rep_a, deal=deal, stage=stages["Won"])
    deal_move(actor=rep_a, deal=deal, stage=stages["Lost"], lost_reason=lost_reason)

    deal_move(actor=rep_a, deal=deal, stage=stages["New request"])

    deal.refresh_from_db()
    assert (deal.stage, deal.won_at, deal.lost_at, deal.lost_reason) == (
        stages["New request"],
        None,
        None,
        None,
    )


def test_deal_move_skips_and_goes_back_with_one_stage_change_each(rep_a, stages, make_deal):
    with time_machine.travel(T0, tick=False):
        deal = make_deal(
            rep_a, data={"amount": Decimal("5"), "expected_close_date": datetime.date(2026, 4, 1)}
        )
    with time_machine.travel(T0 + datetime.timedelta(hours=1), tick=False):
        deal_move(actor=rep_a, deal=deal, stage=stages["Negotiation"])
    with time_machine.travel(T0 + datetime.timedelta(hours=3, seconds=5), tick=False):
        deal_move(actor=rep_a, deal=deal, stage=stages["Qualified"], expected_stage=stages["Negotiation"])

    assert _path(deal) == [
        (None, "New request", None),
        ("New request", "Negotiation", 3600),
        ("Negotiation", "Qualified", 7205),
    ]
    deal.refresh_from_db()
    assert deal.stage_entered_at == T0 + datetime.timedelta(hours=3, seconds=5)
    assert deal.updated_at == T0 + datetime.timedelta(hours=3, seconds=5)


def test_deal_move_to_the_current_stage_writes_nothing(rep_a, stages, make_deal):
    deal = make_deal(rep_a)
    before = _counts()

    deal_move(actor=rep_a, deal=deal, stage=stages["New request"])

    assert _counts() == before


def test_deal_move_refuses_a_stage_of_another_pipeline(rep_a, other_pipeline, make_deal):
    deal = make_deal(rep_a)
    before, row = _counts(), _row(deal)

    with pytest.raises(ValidationError) as error:
        deal_move(actor=rep_a, deal=deal, stage=other_pipeline.stages.get(name="Request"))

    assert error.value.code == "stage_other_pipeline"
    assert (_counts(), _row(deal)) == (before, row)


def test_deal_move_refuses_an_archived_stage(admin, rep_a, stages, make_deal):
    deal = make_deal(rep_a)
    stage_update(actor=admin, stage=stages["Qualified"], data={"is_archived": True})
    before, row = _counts(), _row(deal)

    with pytest.raises(ValidationError) as error:
        deal_move(actor=rep_a, deal=deal, stage=stages["Qualified"])

    assert error.value.code == "stage_archived"
    assert (_counts(), _row(deal)) == (before, row)


def test_deal_move_from_a_stale_view_is_refused_with_the_current_stage(rep_a, stages, make_deal):
    deal = make_deal(rep_a)
    deal_move(actor=rep_a, deal=deal, stage=stages["Qualified"])
    before, row = _counts(), _row(deal)

    with pytest.raises(StaleDeal) as error:
        deal_move(actor=rep_a, deal=deal, stage=stages["Meeting"], expected_stage=stages["New request"])

    assert error.value.current_stage_id == stages["Qualified"].pk
    assert (error.value.code, error.value.extra) == ("stale", {"current_stage": stages["Qualified"].pk})
    assert (_counts(), _row(deal)) == (before, row)


@pytest.mark.parametrize("who", ["rep_b", "readonly", "marketer"])
def test_deal_move_by_someone_who_cannot_change_the_deal_is_denied(request, who, rep_a, stages, make_deal):
    deal = make_deal(rep_a)
    before, row = _counts(), _row(deal)

    with pytest.raises(PermissionDenied):
        deal_move(actor=request.getfixturevalue(who), deal=deal, stage=stages["Qualified"])

    assert (_counts(), _row(deal)) == (before, row)


def test_deal_move_by_the_head_of_the_owners_team_is_allowed(head_a, rep_a, stages, make_deal):
    deal = make_deal(rep_a)

    deal_move(actor=head_a, deal=deal, stage=stages["Qualified"])

    assert StageChange.objects.filter(deal=deal).last().actor == head_a


def test_deal_move_of_a_trashed_deal_is_refused(rep_a, stages, make_deal):
    deal = make_deal(rep_a)
    deal_trash(actor=rep_a, deal=deal)
    before = _counts()

    with pytest.raises(ValidationError) as error:
        deal_move(actor=rep_a, deal=deal, stage=stages["Qualified"])

    assert error.value.code == "deal_trashed"
    assert _counts() == before


def test_deal_move_records_the_stage_in_history(rep_a, stages, make_deal):
    deal = make_deal(rep_a)

    deal_move(actor=rep_a, deal=deal, stage=stages["Qualified"])

    assert _events(deal) == [
        ("created", []),
        ("updated", [{"field": "stage", "old": "New request", "new": "Qualified"}]),
    ]
    assert Event.objects.order_by("-id").first().actor == rep_a


def test_deal_move_takes_an_untaken_request(rep_a, stages, make_deal):
    deal = make_deal(rep_a, taken=False)

    with time_machine.travel(T0, tick=False):
        deal_move(actor=rep_a, deal=deal, stage=stages["Qualified"])

    deal.refresh_from_db()
    assert deal.taken_at == T0


# --- deal_update, deal_take, trash/restore -------------------------------------------------------------


def test_deal_update_changes_fields_without_moving_and_records_the_diff(rep_a, make_deal, make_company):
    company = make_company(rep_a, "Acme")
    deal = make_deal(rep_a, data={"amount": Decimal("10.00")})
    changes_before = StageChange.objects.count()

    deal_update(
        actor=rep_a,
        deal=deal,
        data={"title": "Bigger boiler", "amount": Decimal("25.50"), "company": company},
    )

    deal.refresh_from_db()
    assert (deal.title, deal.amount, deal.amount_base, deal.company) == (
        "Bigger boiler",
        Decimal("25.50"),
        Decimal("25.50"),
        company,
    )
    assert StageChange.objects.count() == changes_before
    assert _events(deal)[-1] == (
        "updated",
        [
            {"field": "title", "old": "Deal", "new": "Bigger boiler"},
            {"field": "company", "old": None, "new": "Acme"},
            {"field": "amount", "old": "10.00", "new": "25.50"},
        ],
    )


def test_deal_update_refuses_the_stage(rep_a, stages, make_deal):
    deal = make_deal(rep_a)

    with pytest.raises(ValidationError) as error:
        deal_update(actor=rep_a, deal=deal, data={"stage": stages["Won"]})

    assert _error_codes(error.value) == {"stage": ["unknown_field"]}
    assert _row(deal)["stage_id"] == stages["New request"].pk


def test_deal_update_refuses_a_hidden_company_with_the_same_name(rep_a, rep_b, make_company, make_deal):
    mine = make_company(rep_a, "Acme")
    theirs = make_company(rep_b, "Acme")
    deal = make_deal(rep_a, data={"company": mine})

    with pytest.raises(ValidationError) as error:
        deal_update(actor=rep_a, deal=deal, data={"company": theirs})

    assert _error_codes(error.value) == {"company": ["invalid_company"]}
    assert _row(deal)["company_id"] == mine.pk


def test_deal_update_recomputes_the_amount_from_new_lines(rep_a, make_deal):
    deal = make_deal(
        rep_a, data={"amount_from_lines": True}, lines=[LineInput("Pump", Decimal("1"), Decimal("10"))]
    )

    deal_update(actor=rep_a, deal=deal, data={}, lines=[LineInput("Pump", Decimal("4"), Decimal("10"))])

    deal.refresh_from_db()
    assert deal.amount == Decimal("40.00")
    assert _events(deal)[-1] == (
        "updated",
        [
            {"field": "amount", "old": "10.00", "new": "40.00"},
            {"field": "lines", "old": ["Pump × 1.000"], "new": ["Pump × 4"]},
        ],
    )


def test_deal_update_by_another_team_is_denied(rep_a, rep_b, make_deal):
    deal = make_deal(rep_a)
    before, row = _counts(), _row(deal)

    with pytest.raises(PermissionDenied):
        deal_update(actor=rep_b, deal=deal, data={"title": "Mine now"})

    assert (_counts(), _row(deal)) == (before, row)


def test_deal_take_gives_an_untaken_request_to_the_actor(admin, rep_a, rep_b, make_deal):
    deal = make_deal(admin, title="Website request", taken=False)
    deal.shared_with.add(rep_a)

    with pytest.raises(PermissionDenied):
        deal_take(actor=rep_b, deal=deal)
    with time_machine.travel(T0, tick=False):
        deal_take(actor=rep_a, deal=deal)
    deal_take(actor=admin, deal=deal)  # already taken: nothing happens

    deal.refresh_from_db()
    assert (deal.owner, deal.taken_at) == (rep_a, T0)
    assert _events(deal) == [
        ("created", []),
        ("reassigned", [{"field": "owner", "old": "Ada Admin", "new": "Rita Rep"}]),
    ]


def test_deal_trash_and_restore(rep_a, rep_b, make_deal):
    deal = make_deal(rep_a)

    with pytest.raises(PermissionDenied):
        deal_trash(actor=rep_b, deal=deal)
    assert _row(deal)["deleted_at"] is None

    with time_machine.travel(T0, tick=False):
        deal_trash(actor=rep_a, deal=deal)
    assert _row(deal)["deleted_at"] == T0
    assert list(deal_list(actor=rep_a)) == []
    assert list(deal_list(actor=rep_a, filters=DealFilters(trashed=True))) == [deal]

    deal_restore(actor=rep_a, deal=deal)

    assert _row(deal)["deleted_at"] is None
    assert list(deal_list(actor=rep_a)) == [deal]
    assert [action for action, _changes in _events(deal)] == ["created", "deleted", "restored"]


# --- the sales process ---------------------------------------------------------------------------------


def test_renaming_reordering_and_archiving_stages_keeps_the_deals(admin, rep_a, pipeline, stages, make_deal):
    first = make_deal(rep_a, title="First")
    second = make_deal(rep_a, title="Second", stage=stages["Qualified"])
    everything = set(pipeline.stages.values_list("id", flat=True))

    stage_update(actor=admin, stage=stages["New request"], data={"name": "Inbound", "probability": 5})
    stages_reorder(actor=admin, pipeline=pipeline, stage_ids=sorted(everything, reverse=True))
    stage_update(actor=admin, stage=stages["Qualified"], data={"is_archived": True})

    assert set(Deal.objects.values_list("title", "stage_id")) == {
        ("First", stages["New request"].pk),
        ("Second", stages["Qualified"].pk),
    }
    assert set(deal_list(actor=rep_a)) == {first, second}
    assert list(pipeline.stages.order_by("position").values_list("id", flat=True)) == sorted(
        everything, reverse=True
    )
    assert Stage.objects.get(pk=stages["New request"].pk).name == "Inbound"
    # a deal in an archived stage can still leave it
    deal_move(actor=rep_a, deal=second, stage=stages["New request"])
    assert _row(second)["stage_id"] == stages["New request"].pk


def test_stages_reorder_needs_every_stage_once(admin, pipeline, stages):
    positions = list(pipeline.stages.values_list("id", "position"))

    with pytest.raises(ValidationError) as error:
        stages_reorder(actor=admin, pipeline=pipeline, stage_ids=[stages["Won"].pk, stages["Won"].pk])

    assert error.value.code == "invalid_order"
    assert list(pipeline.stages.values_list("id", "position")) == positions


def test_sales_process_changes_are_for_admins_only(head_a, stages):
    with pytest.raises(PermissionDenied):
        stage_update(actor=head_a, stage=stages["Won"], data={"name": "Closed"})

    assert Stage.objects.get(pk=stages["Won"].pk).name == "Won"


def test_stage_refuses_unknown_required_fields(admin, stages):
    with pytest.raises(ValidationError) as error:
        stage_update(actor=admin, stage=stages["Meeting"], data={"required_fields": ["contacts", "budget"]})

    assert _error_codes(error.value) == {"required_fields": ["invalid_required_fields"]}
    assert Stage.objects.get(pk=stages["Meeting"].pk).required_fields == ["contacts"]


def test_product_save_refuses_a_duplicate_sku(admin):
    eur = Currency.objects.get(pk="EUR")
    product_save(
        actor=admin,
        product=None,
        data={"name": "Pump", "sku": "P-1", "price": Decimal("10"), "currency": eur},
    )

    with pytest.raises(ValidationError) as error:
        product_save(
            actor=admin,
            product=None,
            data={"name": "Pump 2", "sku": " P-1 ", "price": Decimal("12"), "currency": eur},
        )

    assert _error_codes(error.value) == {"sku": ["duplicate_sku"]}
    assert list(Product.objects.values_list("name", "sku")) == [("Pump", "P-1")]


def test_products_without_sku_may_repeat(admin):
    eur = Currency.objects.get(pk="EUR")
    for name in ("Service A", "Service B"):
        product_save(actor=admin, product=None, data={"name": name, "price": Decimal("1"), "currency": eur})

    assert Product.objects.filter(sku="").count() == 2


def test_currency_save_keeps_the_base_rate_at_one(admin):
    with pytest.raises(ValidationError) as error:
        currency_save(actor=admin, code="eur", rate=Decimal("1.1"))

    assert _error_codes(error.value) == {"rate": ["base_rate"]}
    assert Currency.objects.get(pk="EUR").rate == Decimal("1")
    assert currency_save(actor=admin, code="usd", rate=Decimal("0.5")).rate == Decimal("0.5")
    assert Currency.objects.get(pk="USD").rate == Decimal("0.5")


def test_a_deal_in_a_retired_currency_can_still_be_edited_but_not_switched_to_it(rep_a, pipeline):
    from tandem.deals.services import currency_save, deal_create, deal_update

    currency_save(actor=None, code="USD", rate=Decimal("0.5"))
    deal = deal_create(
        actor=rep_a, data={"title": "Old", "pipeline": pipeline, "currency": Currency.objects.get(pk="USD")}
    )
    other = deal_create(actor=rep_a, data={"title": "Other", "pipeline": pipeline})
    currency_save(actor=None, code="USD", rate=Decimal("0.5"), is_active=False)

    edited = deal_update(actor=rep_a, deal=deal, data={"next_step": "Call back"})

    assert edited.next_step == "Call back"
    with pytest.raises(ValidationError) as error:
        deal_update(actor=rep_a, deal=other, data={"currency": Currency.objects.get(pk="USD")})
    assert error.value.code == "inactive_currency"


def test_a_deal_cannot_be_created_straight_into_a_lost_stage(rep_a, pipeline):
    from tandem.deals.services import deal_create

    lost = pipeline.stages.get(kind=Stage.Kind.LOST)
    before = Deal.objects.count()

    with pytest.raises(ValidationError) as error:
        deal_create(actor=rep_a, data={"title": "Never", "pipeline": pipeline}, stage=lost)

    assert error.value.code == "create_into_lost"
    assert Deal.objects.count() == before
