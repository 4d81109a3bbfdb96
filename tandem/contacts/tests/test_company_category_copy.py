"""A contact's copy of its company's client category (`Contact.company_category`), kept by triggers."""

import pytest
from django.db import connection

from tandem.contacts.models import ClientCategory, Company, Contact
from tandem.contacts.selectors import ListFilters, contact_list
from tandem.contacts.services import company_update, contact_update


def _copy(contact: Contact) -> int | None:
    return Contact.objects.values_list("company_category_id", flat=True).get(pk=contact.pk)


@pytest.fixture
def categories(db):
    return ClientCategory.objects.create(name="A"), ClientCategory.objects.create(name="B")


def test_a_new_contact_takes_its_companys_category_and_a_private_client_none(
    make_company, make_contact, rep_a, categories
):
    acme = make_company(rep_a, "Acme", category=categories[0])

    assert _copy(make_contact(rep_a, company=acme)) == categories[0].pk
    assert _copy(make_contact(rep_a, "Olga")) is None


def test_a_company_passes_a_new_category_to_its_contacts_however_it_is_written(
    make_company, make_contact, rep_a, categories
):
    a, b = categories
    acme = make_company(rep_a, "Acme", category=a)
    ivan, maria = make_contact(rep_a, company=acme), make_contact(rep_a, "Maria", company=acme)

    company_update(actor=rep_a, company=acme, data={"category": b})
    assert (_copy(ivan), _copy(maria)) == (b.pk, b.pk)

    Company.objects.filter(pk=acme.pk).update(category=None)  # a bulk write bypasses the services
    assert (_copy(ivan), _copy(maria)) == (None, None)

    b.delete()  # SET_NULL on companies; nothing points at a deleted category
    a_company = make_company(rep_a, "Beta", category=a)
    Contact.objects.filter(pk=ivan.pk).update(company=a_company)
    assert _copy(ivan) == a.pk


def test_moving_a_contact_or_saving_a_stale_copy_of_it_keeps_the_category_right(
    make_company, make_contact, rep_a, categories
):
    a, b = categories
    acme, beta = make_company(rep_a, "Acme", category=a), make_company(rep_a, "Beta", category=b)
    ivan = make_contact(rep_a, company=acme)

    contact_update(actor=rep_a, contact=ivan, data={"company": beta})
    assert _copy(ivan) == b.pk

    stale = Contact.objects.get(pk=ivan.pk)
    Company.objects.filter(pk=beta.pk).update(category=a)
    stale.position = "Buyer"
    stale.save()  # writes the company_category_id it read before the company changed
    assert _copy(ivan) == a.pk

    Contact.objects.bulk_create([Contact(owner=rep_a, first_name="Bulk", company=beta, company_category=b)])
    assert Contact.objects.get(first_name="Bulk").company_category_id == a.pk


def test_the_list_filters_by_the_companys_current_category(make_company, make_contact, admin, categories):
    a, b = categories
    acme = make_company(admin, "Acme", category=a)
    ivan = make_contact(admin, company=acme)
    make_contact(admin, "Olga")

    assert list(contact_list(actor=admin, filters=ListFilters(category=a.pk))) == [ivan]
    company_update(actor=admin, company=acme, data={"category": b})
    assert list(contact_list(actor=admin, filters=ListFilters(category=a.pk))) == []
    assert list(contact_list(actor=admin, filters=ListFilters(category=b.pk))) == [ivan]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer at a time")
def test_a_contact_joining_a_company_while_its_category_changes_takes_the_new_one(
    race, make_company, make_contact, rep_a, categories
):
    a, b = categories
    acme = make_company(rep_a, "Acme", category=a)
    olga = make_contact(rep_a, "Olga")

    race(
        ("UPDATE contacts_company SET category_id = %s WHERE id = %s", [b.pk, acme.pk]),
        ("UPDATE contacts_contact SET company_id = %s WHERE id = %s", [acme.pk, olga.pk]),
    )

    assert _copy(olga) == b.pk
