import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tandem.accounts.models import User
from tandem.contacts.models import Channel
from tandem.deals.models import Currency, Deal, Product
from tandem.deals.selectors import (
    DealFilters,
    board,
    board_column_page,
    deal_card,
    deal_list,
    is_stuck,
)
from tandem.deals.services import ContactInput, LineInput, deal_move

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def _titles(queryset) -> list[str]:
    return sorted(deal.title for deal in queryset)


def _fresh(user: User) -> User:
    """The user as the auth middleware loads it: permission caches empty."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def owned_deals(admin, head_a, rep_a, rep_a2, rep_b, make_deal):
    for owner in (rep_a, rep_a2, rep_b, head_a, admin):
        make_deal(owner, title=f"{owner.email.split('@')[0]}")


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("rep_a", ["rep.a"]),
        ("rep_b", ["rep.b"]),
        ("head_a", ["head.a", "rep.a", "rep.a2"]),
        ("admin", ["admin", "head.a", "rep.a", "rep.a2", "rep.b"]),
        ("readonly", ["admin", "head.a", "rep.a", "rep.a2", "rep.b"]),
        ("marketer", ["admin", "head.a", "rep.a", "rep.a2", "rep.b"]),
    ],
)
def test_deal_list_shows_each_role_its_scope(request, who, expected, owned_deals):
    assert _titles(deal_list(actor=request.getfixturevalue(who))) == expected


def test_deal_list_includes_deals_shared_with_a_rep(rep_a, rep_b, owned_deals):
    Deal.objects.get(title="rep.b").shared_with.add(rep_a)

    assert _titles(deal_list(actor=_fresh(rep_a))) == ["rep.a", "rep.b"]


def test_deal_list_filters(
    admin,
    rep_a,
    rep_a2,
    rep_b,
    team_a,
    pipeline,
    other_pipeline,
    stages,
    lost_reason,
    make_company,
    make_contact,
    make_deal,
):
    company = make_company(admin, "Acme")
    contact = make_contact(admin, "Olga", "Ivanova")
    channel = Channel.objects.get(name="Referral")
    pump = Product.objects.create(name="Pump", price=Decimal("10"), currency=Currency.objects.get(pk="EUR"))
    make_deal(
        admin,
        title="Boiler for Acme",
        data={
            "owner": rep_a,
            "company": company,
            "channel": channel,
            "expected_close_date": datetime.date(2026, 5, 1),
        },
        contacts=[ContactInput(contact)],
        lines=[LineInput("Pump", Decimal("1"), Decimal("10"), product=pump)],
    )
    make_deal(admin, title="Pipes", data={"owner": rep_a2, "expected_close_date": datetime.date(2026, 7, 1)})
    make_deal(admin, title="Radiators", data={"owner": rep_b, "next_step_date": datetime.date(2026, 3, 5)})
    make_deal(
        admin,
        title="Inbound",
        data={"owner": rep_b, "next_step_date": datetime.date(2026, 3, 5)},
        taken=False,
    )
    won = make_deal(admin, title="Won one", data={"owner": rep_a, "amount": Decimal("5")})
    deal_move(actor=admin, deal=won, stage=stages["Won"])
    lost = make_deal(admin, title="Lost one", data={"owner": rep_a})
    deal_move(actor=admin, deal=lost, stage=stages["Lost"], lost_reason=lost_reason)
    make_deal(admin, title="Repeat", data={"owner": rep_b, "pipeline": other_pipeline})

    def titles(**filters) -> list[str]:
        return _titles(deal_list(actor=admin, filters=DealFilters(**filters)))

    everything = ["Boiler for Acme", "Inbound", "Lost one", "Pipes", "Radiators", "Repeat", "Won one"]
    assert titles() == everything
    assert titles(pipeline=other_pipeline.pk) == ["Repeat"]
    assert titles(stage=stages["Won"].pk) == ["Won one"]
    assert titles(owner=rep_a.pk) == ["Boiler for Acme", "Lost one", "Won one"]
    assert titles(team=team_a.pk) == ["Boiler for Acme", "Lost one", "Pipes", "Won one"]
    assert titles(channel=channel.pk) == ["Boiler for Acme"]
    assert titles(product=pump.pk) == ["Boiler for Acme"]
    assert titles(company=company.pk) == ["Boiler for Acme"]
    assert titles(contact=contact.pk) == ["Boiler for Acme"]
    assert titles(close_from=datetime.date(2026, 6, 1)) == ["Pipes"]
    assert titles(close_to=datetime.date(2026, 6, 1)) == ["Boiler for Acme"]
    assert titles(close_from=datetime.date(2026, 5, 1), close_to=datetime.date(2026, 7, 1)) == [
        "Boiler for Acme",
        "Pipes",
    ]
    assert titles(search="  BOILER ") == ["Boiler for Acme"]
    assert titles(status="open") == ["Boiler for Acme", "Inbound", "Pipes", "Radiators", "Repeat"]
    assert titles(status="won") == ["Won one"]
    assert titles(status="lost") == ["Lost one"]
    assert titles(status="untaken") == ["Inbound"]
    assert titles(status="no_next_step") == ["Boiler for Acme", "Pipes", "Repeat"]
    assert titles(owner=rep_b.pk, status="untaken", pipeline=pipeline.pk) == ["Inbound"]


def test_deal_list_stuck_status_follows_the_stage_limit(rep_a, stages, make_deal):
    with time_machine.travel(T0, tick=False):
        new = make_deal(rep_a, title="New")  # New request: 2 days
        qualified = make_deal(rep_a, title="Qualified", stage=stages["Qualified"])  # 5 days
        make_deal(rep_a, title="Won", stage=stages["Won"], data={"amount": Decimal("1")})  # no limit

    def stuck() -> list[str]:
        return _titles(deal_list(actor=rep_a, filters=DealFilters(status="stuck")))

    with time_machine.travel(T0 + datetime.timedelta(days=1), tick=False):
        assert stuck() == []
    with time_machine.travel(T0 + datetime.timedelta(days=3), tick=False):
        assert stuck() == ["New"]
        assert (is_stuck(Deal.objects.get(pk=new.pk)), is_stuck(Deal.objects.get(pk=qualified.pk))) == (
            True,
            False,
        )
    with time_machine.travel(T0 + datetime.timedelta(days=30), tick=False):
        assert stuck() == ["New", "Qualified"]
        deal_move(actor=rep_a, deal=new, stage=stages["Qualified"])  # entering a stage restarts the clock
        assert stuck() == ["Qualified"]


# --- board ---------------------------------------------------------------------------------------------


def test_board_sums_each_open_column_in_the_base_currency(
    rep_a, rep_a2, head_a, pipeline, stages, usd, make_deal
):
    make_deal(rep_a, title="EUR new", data={"amount": Decimal("100.00")})
    make_deal(rep_a, title="USD new", data={"amount": Decimal("200.00"), "currency": usd})  # 100.00 EUR
    make_deal(
        rep_a2, title="USD new 2", data={"amount": Decimal("0.03"), "currency": usd}
    )  # 0.02 EUR (half up)
    make_deal(rep_a, title="No amount")
    make_deal(rep_a2, title="Qualified", stage=stages["Qualified"], data={"amount": Decimal("55.55")})
    make_deal(rep_a, title="Won", stage=stages["Won"], data={"amount": Decimal("1000")})

    columns = board(actor=head_a, pipeline=pipeline)

    assert [(column.stage.name, column.count, column.total, column.weighted) for column in columns] == [
        ("New request", 4, Decimal("200.02"), Decimal("20.00")),
        ("Qualified", 1, Decimal("55.55"), Decimal("11.11")),
        ("Meeting", 0, Decimal("0"), Decimal("0.00")),
        ("Offer sent", 0, Decimal("0"), Decimal("0.00")),
        ("Negotiation", 0, Decimal("0"), Decimal("0.00")),
    ]
    mine = board(actor=head_a, pipeline=pipeline, filters=DealFilters(owner=rep_a2.pk))
    assert [(column.count, column.total) for column in mine[:2]] == [
        (1, Decimal("0.02")),
        (1, Decimal("55.55")),
    ]
    rep_view = board(actor=_fresh(rep_a), pipeline=pipeline)
    assert [(column.count, column.total) for column in rep_view[:2]] == [
        (3, Decimal("200.00")),
        (0, Decimal("0")),
    ]


def test_board_leaves_out_archived_stages_and_other_pipelines(
    admin, rep_a, pipeline, other_pipeline, stages, make_deal
):
    from tandem.deals.services import stage_update

    make_deal(rep_a, title="Repeat", data={"pipeline": other_pipeline})
    stage_update(actor=admin, stage=stages["Meeting"], data={"is_archived": True})

    columns = board(actor=admin, pipeline=pipeline)

    assert [column.stage.name for column in columns] == [
        "New request",
        "Qualified",
        "Offer sent",
        "Negotiation",
    ]
    assert sum(column.count for column in columns) == 0


def test_board_shows_size_cards_newest_first_and_says_there_are_more(rep_a, pipeline, make_deal):
    for day in range(3):
        with time_machine.travel(T0 + datetime.timedelta(days=day), tick=False):
            make_deal(rep_a, title=f"Day {day}")

    first = board(actor=rep_a, pipeline=pipeline, size=2)[0]
    exact = board(actor=rep_a, pipeline=pipeline, size=3)[0]

    assert ([deal.title for deal in first.deals], first.has_more, first.count) == (
        ["Day 2", "Day 1"],
        True,
        3,
    )
    assert (len(exact.deals), exact.has_more) == (3, False)


def test_board_does_not_change_the_callers_filters(rep_a, pipeline, other_pipeline):
    filters = DealFilters(pipeline=other_pipeline.pk)

    board(actor=rep_a, pipeline=pipeline, filters=filters)

    assert filters.pipeline == other_pipeline.pk


def test_board_column_page_continues_where_the_board_stopped(rep_a, pipeline, stages, make_deal):
    with time_machine.travel(T0, tick=False):  # equal updated_at: the id breaks the tie
        created = [make_deal(rep_a, title=f"Deal {number}").pk for number in range(33)]
    with time_machine.travel(T0 + datetime.timedelta(hours=1), tick=False):
        created += [make_deal(rep_a, title=f"Late {number}").pk for number in range(2)]

    column = board(actor=rep_a, pipeline=pipeline)[0]
    last = column.deals[-1]
    more, has_more = board_column_page(
        actor=rep_a, stage=stages["New request"], filters=None, before=(last.updated_at, last.pk)
    )

    assert (len(column.deals), column.has_more, len(more), has_more) == (30, True, 5, False)
    assert [deal.pk for deal in column.deals + more] == [
        *sorted(created[33:], reverse=True),
        *sorted(created[:33], reverse=True),
    ]


def _spread(make_deal, owners, stages, count, company_for) -> None:
    names = ["New request", "Qualified", "Offer sent"]
    for number in range(count):
        owner = owners[number % len(owners)]
        make_deal(
            owner,
            title=f"Deal {number}",
            stage=stages[names[number % 3]],
            data={
                "amount": Decimal("10"),
                "expected_close_date": datetime.date(2026, 5, 1),
                "company": company_for(owner),
            },
        )


@pytest.mark.parametrize("who", ["rep_a", "head_a", "admin"])
def test_board_query_count_does_not_grow_with_the_deals(
    request, who, rep_a, rep_a2, pipeline, stages, make_deal, make_company, django_assert_num_queries
):
    viewer = request.getfixturevalue(who)
    companies = {owner.pk: make_company(owner, f"Company of {owner.pk}") for owner in (rep_a, rep_a2)}
    # one deal per column: the board skips the card query of an empty column
    _spread(make_deal, [rep_a], stages, 3, lambda owner: companies[owner.pk])

    def render() -> None:
        for column in board(actor=_fresh(viewer), pipeline=pipeline):
            for deal in column.deals:
                _ = (
                    deal.owner.full_name,
                    deal.company and deal.company.name,
                    deal.stage.name,
                    deal.currency.code,
                )

    with CaptureQueriesContext(connection) as small:
        render()
    _spread(make_deal, [rep_a, rep_a2], stages, 30, lambda owner: companies[owner.pk])

    with django_assert_num_queries(len(small)):
        render()


def test_deal_card_query_count_does_not_grow_with_lines_contacts_and_moves(
    rep_a, stages, make_contact, make_deal, django_assert_num_queries
):
    def card_of(deal: Deal) -> None:
        card = deal_card(user=_fresh(rep_a), pk=deal.pk)
        _ = (
            card.owner.full_name,
            card.stage.name,
            card.pipeline.name,
            card.currency.code,
            card.company,
            card.channel,
        )
        [(line.name, line.product) for line in card.lines.all()]
        [str(link.contact) for link in card.deal_contacts.all()]
        [(c.from_stage, c.to_stage.name, c.actor) for c in card.stage_changes.all()]

    contacts = [make_contact(rep_a, "Anna", f"Number {number}") for number in range(3)]
    small = make_deal(
        rep_a,
        title="Small",
        contacts=[ContactInput(contacts[0])],
        lines=[LineInput("A", Decimal("1"), Decimal("1"))],
    )
    big = make_deal(
        rep_a,
        title="Big",
        contacts=[ContactInput(contact) for contact in contacts],
        lines=[LineInput(f"Line {number}", Decimal("1"), Decimal("1")) for number in range(5)],
    )
    for name in ("Qualified", "Meeting", "Qualified", "Meeting"):
        deal_move(actor=rep_a, deal=big, stage=stages[name])

    with CaptureQueriesContext(connection) as baseline:
        card_of(small)
    with django_assert_num_queries(len(baseline)):
        card_of(big)
    assert len(deal_card(user=rep_a, pk=big.pk).stage_changes.all()) == 5


def test_deal_card_hides_deals_out_of_scope(rep_a, rep_b, make_deal):
    from django.http import Http404

    deal = make_deal(rep_a)

    with pytest.raises(Http404):
        deal_card(user=rep_b, pk=deal.pk)
    with pytest.raises(Http404):
        deal_card(user=rep_a, pk="not a number")
