import datetime

import pytest
from django.http import Http404
from django.utils import timezone

from tandem.accounts.models import User
from tandem.contacts.models import ClientCategory, Company, Contact, Industry, Tag
from tandem.contacts.selectors import (
    ListFilters,
    company_card,
    company_get_for_user,
    company_list,
    contact_card,
    contact_get_for_user,
    contact_list,
    global_search,
    visible_company_or_none,
)
from tandem.contacts.services import EmailInput, PhoneInput, contact_create, record_share, record_trash
from tandem.core.errors import PermissionDenied


def _names(queryset) -> list[str]:
    return sorted(str(row) for row in queryset)


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


@pytest.fixture
def base(make_company, make_contact, rep_a, rep_a2, rep_b):
    category = ClientCategory.objects.create(name="A")
    industry = Industry.objects.create(name="Retail")
    vip = Tag.objects.create(name="VIP")
    acme = make_company(
        rep_a,
        "Acme",
        category=category,
        industry=industry,
        tax_id="175074752",
        phones=["02 987 65 43"],
        emails=["office@acme.example"],
    )
    beta = make_company(rep_a2, "Beta")
    gamma = make_company(rep_b, "Gamma", category=category)
    ivan = contact_create(
        actor=rep_a,
        data={"first_name": "Иван", "last_name": "Петров", "company": acme},
        phones=[PhoneInput("0888 123 456")],
        emails=[EmailInput("ivan.petrov@acme.example")],
        tags=[vip],
    )
    maria = make_contact(rep_a2, "Мария", "Георгиева", company=beta)
    boris = make_contact(rep_b, "Boris", "Smith", company=gamma)
    old = timezone.now() - datetime.timedelta(days=30)
    Contact.objects.filter(pk=boris.pk).update(created_at=old)
    Company.objects.filter(pk=gamma.pk).update(created_at=old)
    return {
        "category": category,
        "industry": industry,
        "vip": vip,
        "acme": acme,
        "beta": beta,
        "gamma": gamma,
        "ivan": ivan,
        "maria": maria,
        "boris": boris,
    }


def test_lists_are_scoped_to_the_actor(base, rep_a, head_a, admin):
    assert _names(company_list(actor=_fresh(rep_a))) == ["Acme"]
    assert _names(company_list(actor=_fresh(head_a))) == ["Acme", "Beta"]
    assert _names(contact_list(actor=_fresh(admin))) == ["Boris Smith", "Иван Петров", "Мария Георгиева"]


def test_list_filter_by_owner_and_team(base, admin, rep_a2, team_b):
    assert _names(company_list(actor=admin, filters=ListFilters(owner=rep_a2.pk))) == ["Beta"]
    assert _names(contact_list(actor=admin, filters=ListFilters(team=team_b.pk))) == ["Boris Smith"]


def test_list_filter_by_category_and_industry(base, admin):
    assert _names(company_list(actor=admin, filters=ListFilters(category=base["category"].pk))) == [
        "Acme",
        "Gamma",
    ]
    assert _names(company_list(actor=admin, filters=ListFilters(industry=base["industry"].pk))) == ["Acme"]
    assert _names(contact_list(actor=admin, filters=ListFilters(category=base["category"].pk))) == [
        "Boris Smith",
        "Иван Петров",
    ]
    assert _names(contact_list(actor=admin, filters=ListFilters(industry=base["industry"].pk))) == [
        "Иван Петров"
    ]


def test_list_filter_by_tag_and_company(base, admin):
    assert _names(contact_list(actor=admin, filters=ListFilters(tag=base["vip"].pk))) == ["Иван Петров"]
    assert _names(company_list(actor=admin, filters=ListFilters(tag=base["vip"].pk))) == []
    assert _names(contact_list(actor=admin, filters=ListFilters(company=base["beta"].pk))) == [
        "Мария Георгиева"
    ]


def test_list_filter_by_created_range(base, admin):
    today = timezone.localdate()
    long_ago = today - datetime.timedelta(days=20)

    assert _names(contact_list(actor=admin, filters=ListFilters(created_to=long_ago))) == ["Boris Smith"]
    assert _names(contact_list(actor=admin, filters=ListFilters(created_from=long_ago))) == [
        "Иван Петров",
        "Мария Георгиева",
    ]
    assert _names(company_list(actor=admin, filters=ListFilters(created_from=today, created_to=today))) == [
        "Acme",
        "Beta",
    ]


def test_list_filter_trashed_shows_only_the_trash(base, admin, rep_a):
    record_trash(actor=rep_a, record=base["acme"])

    assert _names(company_list(actor=admin)) == ["Beta", "Gamma"]
    assert _names(company_list(actor=admin, filters=ListFilters(trashed=True))) == ["Acme"]


@pytest.mark.parametrize(
    "query", ["0888 123 456", "+359 88 812 3456", "00359888123456", "0888123", "+35988812"]
)
def test_search_finds_a_contact_by_phone_in_any_format(base, admin, query):
    assert _names(contact_list(actor=admin, filters=ListFilters(search=query))) == ["Иван Петров"]


@pytest.mark.parametrize("query", ["02 987 65 43", "+359 2 987 6543", "029876"])
def test_search_finds_a_company_by_landline(base, admin, query):
    assert _names(company_list(actor=admin, filters=ListFilters(search=query))) == ["Acme"]


@pytest.mark.parametrize("query", ["Пет", "петров", "иван пет", "ИВАН", "ivan.petrov@acme", "acme"])
def test_search_finds_a_contact_by_name_prefix_email_and_company(base, admin, query):
    assert _names(contact_list(actor=admin, filters=ListFilters(search=query))) == ["Иван Петров"]


def test_search_finds_a_company_by_tax_id_and_email(base, admin):
    assert _names(company_list(actor=admin, filters=ListFilters(search="175074752"))) == ["Acme"]
    assert _names(company_list(actor=admin, filters=ListFilters(search="office@acme"))) == ["Acme"]


def test_search_respects_visibility(base, rep_b):
    assert _names(contact_list(actor=rep_b, filters=ListFilters(search="петров"))) == []


def test_search_leaves_out_trashed_records(base, admin, rep_a):
    record_trash(actor=rep_a, record=base["ivan"])

    assert _names(contact_list(actor=admin, filters=ListFilters(search="петров"))) == []


def test_global_search_needs_two_characters(base, admin):
    assert global_search(actor=admin, text=" и ") == {"contacts": [], "companies": []}
    found = global_search(actor=admin, text="ac")
    assert (found["contacts"], found["companies"]) == ([base["ivan"]], [base["acme"]])


def test_global_search_by_phone(base, admin):
    assert global_search(actor=admin, text="0888 123 456")["contacts"] == [base["ivan"]]


def test_get_for_user_is_404_when_invisible_or_missing(base, rep_a):
    for pk in (base["gamma"].pk, 999999, "abc", None):
        with pytest.raises(Http404):
            company_get_for_user(user=rep_a, pk=pk)


def test_get_for_user_returns_a_visible_record(base, rep_a, readonly):
    assert company_get_for_user(user=rep_a, pk=base["acme"].pk, for_write=True) == base["acme"]
    assert contact_get_for_user(user=readonly, pk=str(base["ivan"].pk)) == base["ivan"]


def test_get_for_user_for_write_is_403_for_read_only(base, readonly, marketer):
    for user in (readonly, marketer):
        with pytest.raises(PermissionDenied):
            company_get_for_user(user=user, pk=base["acme"].pk, for_write=True)


def test_get_for_user_hides_trash_unless_asked(base, rep_a):
    record_trash(actor=rep_a, record=base["acme"])

    with pytest.raises(Http404):
        company_get_for_user(user=rep_a, pk=base["acme"].pk)
    assert company_get_for_user(user=rep_a, pk=base["acme"].pk, trashed=True) == base["acme"]


def test_shared_record_is_reachable_and_writable(base, rep_a, rep_b):
    record_share(actor=rep_b, record=base["gamma"], users=[rep_a])

    assert company_get_for_user(user=_fresh(rep_a), pk=base["gamma"].pk, for_write=True) == base["gamma"]


def test_visible_company_or_none_hides_an_invisible_company(base, rep_b):
    assert visible_company_or_none(user=rep_b, company=base["acme"]) is None
    assert visible_company_or_none(user=rep_b, company=base["gamma"]) == base["gamma"]
    assert visible_company_or_none(user=rep_b, company=None) is None


def _add_more(make_company, rep_a, count):
    tags = [Tag.objects.create(name=f"T{number}") for number in range(count)]
    for number in range(count):
        contact_create(
            actor=rep_a,
            data={"first_name": f"Extra{number}", "company": Company.objects.get(name="Acme")},
            phones=[PhoneInput(f"0888 555 00{number}")],
            tags=tags,
        )


def test_company_card_query_count_is_constant(base, rep_a, make_company, django_assert_num_queries):
    user = _fresh(rep_a)
    company_card(user=user, pk=base["acme"].pk)  # warm the permission cache, as a request does once

    with django_assert_num_queries(5):
        card = company_card(user=user, pk=base["acme"].pk)
        list(card.phones.all()), list(card.emails.all()), list(card.tags.all()), list(card.shared_with.all())
        assert (card.owner, card.industry, card.category, card.channel) == (
            rep_a,
            base["industry"],
            base["category"],
            None,
        )

    _add_more(make_company, rep_a, 3)
    with django_assert_num_queries(5):
        card = company_card(user=user, pk=base["acme"].pk)
        list(card.phones.all()), list(card.emails.all()), list(card.tags.all()), list(card.shared_with.all())


def test_contact_card_query_count_is_constant(base, rep_a, make_company, django_assert_num_queries):
    user = _fresh(rep_a)
    contact_card(user=user, pk=base["ivan"].pk)

    with django_assert_num_queries(5):
        card = contact_card(user=user, pk=base["ivan"].pk)
        list(card.phones.all()), list(card.emails.all()), list(card.tags.all()), list(card.shared_with.all())
        assert (card.owner, card.company, card.company.category) == (rep_a, base["acme"], base["category"])
        assert (card.role, card.channel) == (None, None)

    record_share(actor=rep_a, record=base["ivan"], users=[User.objects.get(email="rep.a2@example.com")])
    with django_assert_num_queries(5):
        card = contact_card(user=user, pk=base["ivan"].pk)
        list(card.phones.all()), list(card.emails.all()), list(card.tags.all()), list(card.shared_with.all())


def test_list_query_count_does_not_grow_with_rows(
    base, admin, rep_a, make_company, django_assert_num_queries
):
    user = _fresh(admin)
    list(contact_list(actor=user))

    with django_assert_num_queries(3):
        rows = list(contact_list(actor=user).order_by("last_name", "id")[:50])
        [(row.owner, row.company, row.role, list(row.phones.all()), list(row.emails.all())) for row in rows]

    _add_more(make_company, rep_a, 4)
    with django_assert_num_queries(3):
        rows = list(contact_list(actor=user).order_by("last_name", "id")[:50])
        [(row.owner, row.company, row.role, list(row.phones.all()), list(row.emails.all())) for row in rows]
