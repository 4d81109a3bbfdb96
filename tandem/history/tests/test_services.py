import datetime
import decimal

from django.contrib.contenttypes.models import ContentType

from tandem.contacts.models import Company, Contact
from tandem.contacts.services import contact_update, record_trash
from tandem.history.models import Event
from tandem.history.selectors import event_list_for_card
from tandem.history.services import _plain, diff, event_record, snapshot


def test_diff_lists_only_changed_fields_in_order():
    before = {"name": "Acme", "tax_id": "", "website": "x"}
    after = {"name": "Acme 2", "tax_id": "", "website": ""}

    assert diff(before, after) == [
        {"field": "name", "old": "Acme", "new": "Acme 2"},
        {"field": "website", "old": "x", "new": ""},
    ]


def test_diff_of_a_new_field_has_old_none():
    assert diff({}, {"name": "Acme"}) == [{"field": "name", "old": None, "new": "Acme"}]


def test_plain_turns_values_into_json():
    assert _plain(datetime.date(2024, 2, 29)) == "2024-02-29"
    assert _plain(decimal.Decimal("10.50")) == "10.50"
    assert _plain((1, datetime.date(2024, 1, 1))) == [1, "2024-01-01"]
    assert _plain("text") == "text"


def test_snapshot_shows_foreign_keys_by_their_text(rep_a, make_company):
    company = make_company(rep_a, "Acme")

    assert snapshot(company, ["name", "owner", "industry"]) == {
        "name": "Acme",
        "owner": "Rita Rep",
        "industry": None,
    }


def test_event_record_stores_actor_target_parent_and_changes(rep_a, make_company, make_contact):
    company = make_company(rep_a, "Acme")
    contact = make_contact(rep_a, company=company)

    event = event_record(
        actor=rep_a,
        action=Event.Action.UPDATED,
        target=contact,
        parent=company,
        changes=[{"field": "position", "old": "", "new": "Buyer"}],
    )

    event.refresh_from_db()
    assert (event.actor, event.action, event.target_id, event.target_label) == (
        rep_a,
        "updated",
        contact.pk,
        "Ivan Petrov",
    )
    assert event.target_type == ContentType.objects.get_for_model(Contact)
    assert (event.parent_type, event.parent_id) == (ContentType.objects.get_for_model(Company), company.pk)
    assert event.changes == [{"field": "position", "old": "", "new": "Buyer"}]


def test_event_record_without_actor_is_the_system(rep_a, make_company):
    company = make_company(rep_a, "Acme")

    assert event_record(actor=None, action=Event.Action.UPDATED, target=company).actor is None


def test_card_timeline_includes_events_of_the_records_shown_on_it(rep_a, make_company, make_contact):
    company = make_company(rep_a, "Acme")
    other = make_company(rep_a, "Other")
    contact = make_contact(rep_a, company=company)
    contact_update(actor=rep_a, contact=contact, data={"position": "Buyer"})
    record_trash(actor=rep_a, record=contact)

    timeline = list(event_list_for_card(record=company))

    assert [(event.action, event.target_label) for event in timeline] == [
        ("deleted", "Ivan Petrov"),
        ("updated", "Ivan Petrov"),
        ("created", "Ivan Petrov"),
        ("created", "Acme"),
    ]
    assert [event.action for event in event_list_for_card(record=other)] == ["created"]
    assert len(list(event_list_for_card(record=company, limit=2))) == 2


def test_card_timeline_is_one_query(rep_a, make_company, django_assert_num_queries):
    company = make_company(rep_a, "Acme")
    ContentType.objects.get_for_model(company)

    with django_assert_num_queries(1):
        [(event.actor, event.target_type) for event in event_list_for_card(record=company)]
