"""Deal pages: the card, create/edit, the move with its prompt for what a stage requires, stale
moves, lost reasons, take and trash, and the deals strip of company and contact cards."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tandem.deals.models import Deal, LostReason, StageChange
from tandem.deals.selectors import stages_of
from tandem.deals.services import currency_save, deal_move, product_save
from tandem.web.tests.deal_helpers import make_deal, pipeline, stage

HTMX = {"HTTP_HX_REQUEST": "true"}


def _deal_data(**changes):
    data = {
        "title": "Spring order",
        "pipeline": str(pipeline().pk),
        "stage": "",
        "company": "",
        "amount": "",
        "currency": "EUR",
        "expected_close_date": "",
        "owner": "",
        "channel": "",
        "notes": "",
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-0-contact": "",
        "contacts-0-role": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": "",
        "lines-0-name": "",
        "lines-0-quantity": "",
        "lines-0-unit_price": "",
        "lines-0-discount_percent": "",
    }
    data.update(changes)
    return data


def _move(client, deal, stage_name, expected=None, **extra):
    data = {"stage": stage(stage_name).pk, **extra}
    if expected is not False:
        data["expected_stage"] = (expected or deal.stage).pk
    return client.post(reverse("deal_move", args=[deal.pk]), data, **HTMX)


# --- authorization -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,method",
    [
        ("deal_detail", "get"),
        ("deal_edit", "get"),
        ("deal_move", "post"),
        ("deal_take", "post"),
        ("deal_trash", "post"),
    ],
)
def test_deal_views_send_anonymous_to_login(client, rep_a, name, method):
    deal = make_deal(rep_a)

    response = getattr(client, method)(reverse(name, args=[deal.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_deal_create_sends_anonymous_to_login(client, db):
    response = client.get(reverse("deal_create"))

    assert response.status_code == 302


@pytest.mark.parametrize(
    "name,method,data",
    [
        ("deal_detail", "get", None),
        ("deal_edit", "get", None),
        ("deal_edit", "post", "edit"),
        ("deal_move", "post", "move"),
        ("deal_take", "post", None),
        ("deal_trash", "post", None),
    ],
)
def test_other_teams_rep_gets_404_and_nothing_changes(client, rep_a, rep_b, name, method, data):
    deal = make_deal(rep_a)
    client.force_login(rep_b)
    if data == "move":
        data = {"stage": stage("Qualified").pk}
    elif data == "edit":
        data = _deal_data(title="Changed")

    response = getattr(client, method)(reverse(name, args=[deal.pk]), data)

    assert response.status_code == 404
    deal.refresh_from_db()
    assert (deal.title, deal.stage.name, deal.deleted_at, deal.owner) == (
        "Big order",
        "New request",
        None,
        rep_a,
    )


@pytest.mark.parametrize(
    "name,data",
    [
        ("deal_edit", "edit"),
        ("deal_move", "move"),
        ("deal_trash", None),
    ],
)
def test_readonly_gets_the_friendly_403_on_writes_and_nothing_changes(client, rep_a, readonly, name, data):
    deal = make_deal(rep_a)
    client.force_login(readonly)
    if data == "move":
        data = {"stage": stage("Qualified").pk}
    elif data == "edit":
        data = _deal_data(title="Changed")

    response = client.post(reverse(name, args=[deal.pk]), data)

    assert response.status_code == 403
    assert "You cannot do this" in response.content.decode()
    deal.refresh_from_db()
    assert (deal.title, deal.stage.name, deal.deleted_at) == ("Big order", "New request", None)


def test_readonly_can_look_at_a_deal_but_not_create_one(client, rep_a, readonly):
    deal = make_deal(rep_a)
    client.force_login(readonly)

    assert client.get(reverse("deal_detail", args=[deal.pk])).status_code == 200
    response = client.post(reverse("deal_create"), _deal_data())

    assert response.status_code == 403
    assert Deal.objects.count() == 1


def test_head_sees_the_team_deal_and_admin_every_deal(client, rep_a, rep_b, head_a, admin):
    deal_a, deal_b = make_deal(rep_a, "Team A"), make_deal(rep_b, "Team B")

    client.force_login(head_a)
    assert client.get(reverse("deal_detail", args=[deal_a.pk])).status_code == 200
    assert client.get(reverse("deal_detail", args=[deal_b.pk])).status_code == 404
    client.force_login(admin)
    assert client.get(reverse("deal_detail", args=[deal_b.pk])).status_code == 200
    response = _move(client, deal_b, "Qualified")
    assert response.status_code == 200
    assert Deal.objects.get(pk=deal_b.pk).stage.name == "Qualified"


# --- the card ------------------------------------------------------------------------------------


def test_deal_card_shows_amount_stage_history_lines_and_contacts(
    client, rep_a, rep_b, make_company, make_contact
):
    currency_save(actor=None, code="USD", rate=Decimal("0.5"))
    company = make_company(rep_a, "Balkan Trade")
    mine = make_contact(rep_a, "Ivan", "Petrov", company=company)
    hidden = make_contact(rep_b, "Secret", "Person")
    deal = make_deal(rep_a, amount="2000.00", currency="USD", company=company, contacts=[mine])
    from tandem.deals.models import DealContact

    DealContact.objects.create(deal=deal, contact=hidden, role="adviser")
    deal_move(actor=rep_a, deal=deal, stage=stage("Qualified"))
    client.force_login(rep_a)

    response = client.get(reverse("deal_detail", args=[deal.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "2,000.00 USD" in html
    assert "1,000.00 EUR" in html  # the base-currency equivalent
    assert reverse("company_detail", args=[company.pk]) in html
    assert reverse("contact_detail", args=[mine.pk]) in html
    assert "Secret Person" in html and reverse("contact_detail", args=[hidden.pk]) not in html
    assert [str(change) for change in response.context["stage_history"]] == [
        "New request → Qualified",
        "None → New request",
    ]
    assert "Stage history" in html


def test_deal_card_query_count_is_constant(client, rep_a, make_company, make_contact):
    company = make_company(rep_a, "Acme")
    few = make_deal(rep_a, "Few", company=company, contacts=[make_contact(rep_a, "A", "One")])
    many = make_deal(
        rep_a, "Many", company=company, contacts=[make_contact(rep_a, f"P{n}", "Person") for n in range(8)]
    )
    product = product_save(
        actor=None, product=None, data={"name": "Widget", "price": Decimal("5"), "currency_id": "EUR"}
    )
    from tandem.deals.models import DealLine

    DealLine.objects.bulk_create(
        [DealLine(deal=many, product=product, name=f"Line {n}", quantity=1, unit_price=5) for n in range(8)]
    )
    for target in ["Qualified", "New request", "Qualified", "New request"]:
        deal_move(actor=rep_a, deal=many, stage=stage(target))
    client.force_login(rep_a)

    def count(deal):
        client.get(reverse("deal_detail", args=[deal.pk]))
        with CaptureQueriesContext(connection) as context:
            assert client.get(reverse("deal_detail", args=[deal.pk])).status_code == 200
        return len(context.captured_queries)

    assert count(few) == count(many)


# --- create and edit -----------------------------------------------------------------------------


def test_rep_creates_a_deal_with_contacts_and_product_lines(client, rep_a, make_company, make_contact):
    company = make_company(rep_a, "Acme")
    person = make_contact(rep_a, "Ivan", "Petrov", company=company)
    product = product_save(
        actor=None, product=None, data={"name": "Widget", "price": Decimal("10.00"), "currency_id": "EUR"}
    )
    client.force_login(rep_a)

    response = client.post(
        reverse("deal_create"),
        _deal_data(
            company=str(company.pk),
            owner=str(rep_a.pk),
            amount_from_lines="on",
            **{
                "contacts-0-contact": str(person.pk),
                "contacts-0-role": "buyer",
                "lines-TOTAL_FORMS": "2",
                "lines-0-product": str(product.pk),
                "lines-0-quantity": "3",
                "lines-1-name": "Installation",
                "lines-1-quantity": "1",
                "lines-1-unit_price": "100",
                "lines-1-discount_percent": "10",
            },
        ),
    )

    deal = Deal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("deal_detail", args=[deal.pk])
    assert (deal.title, deal.owner, deal.company, deal.stage.name) == (
        "Spring order",
        rep_a,
        company,
        "New request",
    )
    assert deal.amount == Decimal("120.00")  # 3 × 10 + 100 − 10 %
    assert [(line.name, line.total) for line in deal.lines.all()] == [
        ("Widget", Decimal("30.00")),
        ("Installation", Decimal("90.00")),
    ]
    assert [(link.contact, link.role) for link in deal.deal_contacts.all()] == [(person, "buyer")]


def test_new_deal_form_is_prefilled_from_the_company_or_contact_card(
    client, rep_a, make_company, make_contact
):
    company = make_company(rep_a, "Acme")
    person = make_contact(rep_a, "Ivan", "Petrov", company=company)
    client.force_login(rep_a)

    from_company = client.get(reverse("deal_create"), {"company": company.pk})
    from_contact = client.get(reverse("deal_create"), {"contact": person.pk})

    assert from_company.context["form"]["company"].value() == company.pk
    assert from_contact.context["form"].contacts.forms[0]["contact"].value() == person.pk
    assert from_contact.context["form"]["company"].value() == company.pk


def test_creating_into_a_stage_with_requirements_marks_exactly_those_fields(client, rep_a):
    client.force_login(rep_a)

    response = client.post(
        reverse("deal_create"), _deal_data(stage=str(stage("Offer sent").pk), owner=str(rep_a.pk))
    )

    assert response.status_code == 422
    form = response.context["form"]
    assert set(form.errors) == {"amount", "expected_close_date"}
    assert Deal.objects.count() == 0 and StageChange.objects.count() == 0


def test_rep_edits_a_deal(client, rep_a):
    deal = make_deal(rep_a)
    client.force_login(rep_a)
    form = client.get(reverse("deal_edit", args=[deal.pk])).context["form"]
    assert form["title"].value() == "Big order"

    response = client.post(
        reverse("deal_edit", args=[deal.pk]),
        _deal_data(title="Bigger order", amount="1500", owner=str(rep_a.pk)),
    )

    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.title, deal.amount, deal.stage.name) == ("Bigger order", Decimal("1500.00"), "New request")


def test_deal_form_no_longer_edits_the_next_step(client, rep_a):
    """The next step mirrors the deal's planned activities: the form neither shows nor takes it."""
    deal = make_deal(rep_a)
    client.force_login(rep_a)
    html = client.get(reverse("deal_edit", args=[deal.pk])).content.decode()
    assert 'name="next_step"' not in html and 'name="next_step_date"' not in html

    response = client.post(
        reverse("deal_edit", args=[deal.pk]),
        _deal_data(title="Big order", owner=str(rep_a.pk), next_step="Sneaky", next_step_date="2031-01-01"),
    )

    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.next_step, deal.next_step_date) == ("", datetime.date(2030, 1, 1))


def test_rep_cannot_give_a_deal_to_another_team(client, rep_a, rep_b):
    client.force_login(rep_a)

    response = client.post(reverse("deal_create"), _deal_data(owner=str(rep_b.pk)))

    assert response.status_code == 422
    assert "owner" in response.context["form"].errors
    assert Deal.objects.count() == 0


# --- moving --------------------------------------------------------------------------------------


def test_move_answers_with_the_fresh_board(client, rep_a):
    deal = make_deal(rep_a, amount="1000.00")
    client.force_login(rep_a)

    response = _move(client, deal, "Qualified")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="board"' in html and "<html" not in html
    assert "deal-card-moved" in html
    deal.refresh_from_db()
    assert deal.stage.name == "Qualified"
    change = StageChange.objects.filter(deal=deal).latest("id")
    assert (change.from_stage.name, change.to_stage.name, change.actor) == ("New request", "Qualified", rep_a)


def test_move_without_js_redirects_back(client, rep_a):
    deal = make_deal(rep_a)
    client.force_login(rep_a)
    board_url = reverse("board") + f"?pipeline={deal.pipeline_id}"

    response = client.post(
        reverse("deal_move", args=[deal.pk]),
        {"stage": stage("Qualified").pk, "expected_stage": deal.stage_id, "next": board_url},
    )

    assert response.status_code == 302 and response["Location"] == board_url
    assert Deal.objects.get(pk=deal.pk).stage.name == "Qualified"


def test_move_to_a_stage_with_requirements_asks_for_exactly_those_fields(client, rep_a):
    deal = make_deal(rep_a, amount=None)
    client.force_login(rep_a)

    response = _move(client, deal, "Offer sent")

    assert response.status_code == 422
    form = response.context["form"]
    assert form.shown == ["amount", "expected_close_date"]
    html = response.content.decode()
    assert 'name="amount"' in html and 'name="expected_close_date"' in html
    assert 'name="next_step"' not in html and 'name="channel"' not in html
    deal.refresh_from_db()
    assert deal.stage.name == "New request"
    assert StageChange.objects.filter(deal=deal).count() == 1


def test_completing_the_prompt_moves_the_deal_and_records_the_change(client, rep_a):
    deal = make_deal(rep_a, amount=None)
    client.force_login(rep_a)

    response = _move(
        client,
        deal,
        "Offer sent",
        asked_fields="amount,expected_close_date",
        amount="2500.00",
        currency="EUR",
        expected_close_date="2030-03-31",
    )

    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.stage.name, deal.amount, deal.expected_close_date) == (
        "Offer sent",
        Decimal("2500.00"),
        datetime.date(2030, 3, 31),
    )
    assert StageChange.objects.filter(deal=deal, to_stage=stage("Offer sent")).count() == 1


def test_an_incomplete_prompt_is_shown_again_and_nothing_moves(client, rep_a):
    deal = make_deal(rep_a, amount=None)
    client.force_login(rep_a)

    response = _move(
        client, deal, "Offer sent", asked_fields="amount,expected_close_date", amount="10", currency="EUR"
    )

    assert response.status_code == 422
    assert set(response.context["form"].errors) == {"expected_close_date"}
    assert Deal.objects.get(pk=deal.pk).stage.name == "New request"


def test_a_plain_move_cannot_change_other_fields(client, rep_a):
    deal = make_deal(rep_a, amount="100.00")
    client.force_login(rep_a)

    response = _move(client, deal, "Qualified", amount="999999", next_step="Sneaky")

    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.amount, deal.next_step) == (Decimal("100.00"), "")


def test_move_to_a_stage_needing_a_contact_offers_the_company_people(
    client, rep_a, rep_b, make_company, make_contact
):
    company = make_company(rep_a, "Acme")
    person = make_contact(rep_a, "Ivan", "Petrov", company=company)
    elsewhere = make_contact(rep_a, "Other", "Person")
    deal = make_deal(rep_a, company=company)
    client.force_login(rep_a)

    prompt = _move(client, deal, "Meeting")
    assert prompt.status_code == 422
    assert prompt.context["form"].shown == ["contacts"]
    html = prompt.content.decode()
    assert "Ivan Petrov" in html and "Other Person" not in html

    response = _move(
        client, deal, "Meeting", asked_fields="contacts", contact=person.pk, contact_role="buyer"
    )

    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.stage.name == "Meeting"
    assert [(link.contact, link.role) for link in deal.deal_contacts.all()] == [(person, "buyer")]
    assert elsewhere.pk not in [link.contact_id for link in deal.deal_contacts.all()]


def test_a_stale_move_is_refused_with_a_message(client, rep_a, rep_a2, head_a):
    deal = make_deal(rep_a)
    seen_at = deal.stage
    deal_move(actor=head_a, deal=deal, stage=stage("Qualified"))
    client.force_login(rep_a)

    response = _move(client, deal, "Negotiation", expected=seen_at)

    assert response.status_code == 409
    assert "Someone else moved this deal" in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage.name == "Qualified"


def test_moving_to_lost_needs_a_reason(client, rep_a):
    deal = make_deal(rep_a)
    client.force_login(rep_a)

    refused = _move(client, deal, "Lost")

    assert refused.status_code == 422
    assert refused.context["form"].shown == ["lost_reason"]
    assert Deal.objects.get(pk=deal.pk).stage.name == "New request"

    reason = LostReason.objects.get(name="No budget")
    response = _move(client, deal, "Lost", asked_fields="lost_reason", lost_reason=reason.pk)

    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.stage.name, deal.lost_reason, deal.lost_at is not None) == ("Lost", reason, True)


def test_moving_to_won_asks_for_a_missing_amount(client, rep_a):
    deal = make_deal(rep_a, amount=None)
    client.force_login(rep_a)

    assert _move(client, deal, "Won").context["form"].shown == ["amount"]
    response = _move(client, deal, "Won", asked_fields="amount", amount="700", currency="EUR")

    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.stage.name, deal.amount, deal.won_at is not None) == ("Won", Decimal("700.00"), True)


def test_move_to_another_pipelines_stage_is_refused(client, rep_a):
    from tandem.deals.models import Stage

    deal = make_deal(rep_a)
    other = Stage.objects.exclude(pipeline=deal.pipeline).first()
    client.force_login(rep_a)

    response = client.post(reverse("deal_move", args=[deal.pk]), {"stage": other.pk}, **HTMX)

    assert response.status_code == 400
    assert Deal.objects.get(pk=deal.pk).stage.name == "New request"


def test_move_get_answers_the_cards_stage_menu_and_changes_nothing(client, rep_a):
    deal = make_deal(rep_a)
    client.force_login(rep_a)

    response = client.get(reverse("deal_move", args=[deal.pk]), {"board_query": "pipeline=1"})

    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="stage"' in body and 'name="expected_stage"' in body
    assert body.count("<option") == len(stages_of(deal.pipeline))
    assert Deal.objects.get(pk=deal.pk).stage_id == deal.stage_id


def test_move_menu_of_another_teams_deal_is_not_found(client, rep_a, rep_b):
    deal = make_deal(rep_b)
    client.force_login(rep_a)

    assert client.get(reverse("deal_move", args=[deal.pk])).status_code == 404


# --- take and trash ------------------------------------------------------------------------------


def test_rep_takes_an_untaken_deal(client, rep_a, rep_a2, head_a):
    deal = make_deal(rep_a2)
    Deal.objects.filter(pk=deal.pk).update(taken_at=None)
    client.force_login(head_a)
    page = client.get(reverse("deal_detail", args=[deal.pk]))
    assert "Take it" in page.content.decode()

    response = client.post(reverse("deal_take", args=[deal.pk]))

    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.owner == head_a and deal.taken_at is not None


def test_readonly_cannot_take_a_deal(client, rep_a, readonly):
    deal = make_deal(rep_a)
    Deal.objects.filter(pk=deal.pk).update(taken_at=None)
    client.force_login(readonly)

    response = client.post(reverse("deal_take", args=[deal.pk]))

    assert response.status_code == 403
    assert Deal.objects.get(pk=deal.pk).taken_at is None


def test_rep_trashes_a_deal(client, rep_a):
    deal = make_deal(rep_a)
    client.force_login(rep_a)

    response = client.post(reverse("deal_trash", args=[deal.pk]))

    assert response.status_code == 302
    assert Deal.objects.get(pk=deal.pk).deleted_at is not None
    assert client.get(reverse("deal_detail", args=[deal.pk])).status_code == 404


# --- deals on company and contact cards ----------------------------------------------------------


def test_company_and_contact_cards_list_their_visible_deals(client, rep_a, rep_b, make_company, make_contact):
    company = make_company(rep_a, "Acme")
    person = make_contact(rep_a, "Ivan", "Petrov", company=company)
    make_deal(rep_a, "Acme order", company=company, contacts=[person])
    make_deal(rep_a, "Unrelated")
    client.force_login(rep_a)

    card = client.get(reverse("company_detail", args=[company.pk])).content.decode()
    assert reverse("deal_create") + f"?company={company.pk}" in card
    assert reverse("deals_for_record") + f"?company={company.pk}" in card
    by_company = client.get(reverse("deals_for_record"), {"company": company.pk}, **HTMX).content.decode()
    by_contact = client.get(reverse("deals_for_record"), {"contact": person.pk}, **HTMX).content.decode()

    assert "Acme order" in by_company and "Unrelated" not in by_company
    assert "Acme order" in by_contact and "Unrelated" not in by_contact
    client.force_login(rep_b)
    assert (
        "Acme order" not in client.get(reverse("deals_for_record"), {"company": company.pk}).content.decode()
    )
