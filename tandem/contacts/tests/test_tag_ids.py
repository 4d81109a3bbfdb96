"""PostgreSQL: a record's copy of its tags' ids (`tag_ids`, migration contacts/0008), kept by triggers
on the link tables, and the tag filter that reads it through its GIN index."""

import pytest
from django.db import connection

from tandem.contacts.models import Company, Contact, Tag
from tandem.contacts.selectors import ListFilters, TaggedWith, company_list, contact_list, list_parts
from tandem.core.pagination import count_rows, paginate

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite filters by the link table")


def _tag_ids(record: Company | Contact) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tag_ids FROM {record._meta.db_table} WHERE id = %s", [record.pk])
        return cursor.fetchone()[0]


@pytest.fixture
def tags(db):
    return [Tag.objects.create(name=name) for name in ("VIP", "Fair 2026", "Wholesale")]


def test_adding_removing_and_deleting_tags_keep_the_ids_on_the_record(
    make_company, make_contact, rep_a, tags
):
    vip, fair, wholesale = tags
    acme = make_company(rep_a, "Acme")
    ivan, maria = make_contact(rep_a, company=acme), make_contact(rep_a, "Maria", company=acme)

    ivan.tags.add(wholesale, vip)
    maria.tags.set([fair])
    acme.tags.add(fair)
    assert (_tag_ids(ivan), _tag_ids(maria), _tag_ids(acme)) == (
        sorted([vip.pk, wholesale.pk]),
        [fair.pk],
        [fair.pk],
    )

    ivan.tags.remove(vip)
    fair.delete()  # its links go, and with them the ids on every record that had it
    assert (_tag_ids(ivan), _tag_ids(maria), _tag_ids(acme)) == ([wholesale.pk], [], [])

    Contact.tags.through.objects.filter(contact=ivan).update(tag=vip)  # a bulk rewrite of the links
    assert _tag_ids(ivan) == [vip.pk]


def test_one_statement_linking_many_records_updates_each_once(make_contact, rep_a, tags):
    people = [make_contact(rep_a, f"Person {n}") for n in range(3)]
    through = Contact.tags.through

    through.objects.bulk_create([through(contact=person, tag=tag) for person in people for tag in tags])

    assert [_tag_ids(person) for person in people] == [sorted(tag.pk for tag in tags)] * 3


def test_the_tag_filter_finds_tagged_records_on_pages_counts_and_subqueries(
    make_company, make_contact, rep_a, admin, tags
):
    vip = tags[0]
    acme = make_company(rep_a, "Acme")
    tagged = [make_contact(rep_a, f"Tagged {n}", company=acme) for n in range(3)]
    make_contact(rep_a, "Untagged", company=acme)
    for person in tagged:
        person.tags.add(vip)
    acme.tags.add(vip)

    filters = ListFilters(tag=vip.pk)
    contacts = contact_list(actor=rep_a, filters=filters)
    page = paginate(
        contacts,
        ordering=["last_name", "first_name", "id"],
        cursor=None,
        parts=list_parts(rep_a, contacts, filters),
    )
    assert [contact.pk for contact in page.rows] == [person.pk for person in tagged]
    assert page.count == 3
    assert list(company_list(actor=admin, filters=filters)) == [acme]
    assert count_rows(Contact.objects.filter(TaggedWith(vip.pk))) == (3, False)
    # As a subquery the contacts table is aliased (U0): the condition follows the alias.
    inner = Contact.objects.filter(TaggedWith(vip.pk)).values("company_id")
    assert list(Company.objects.filter(pk__in=inner)) == [acme]


def test_two_transactions_tagging_one_record_at_once_both_land(race, make_contact, rep_a):
    vip, fair = Tag.objects.create(name="VIP"), Tag.objects.create(name="Fair")
    ivan = make_contact(rep_a)
    insert = f"INSERT INTO {Contact.tags.through._meta.db_table} (contact_id, tag_id) VALUES (%s, %s)"

    race((insert, [ivan.pk, vip.pk]), (insert, [ivan.pk, fair.pk]))

    assert _tag_ids(ivan) == sorted([vip.pk, fair.pk])
