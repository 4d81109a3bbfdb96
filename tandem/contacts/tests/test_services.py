import datetime

import pytest
from django.contrib.contenttypes.models import ContentType

from tandem.accounts.models import User
from tandem.contacts.models import Company, Contact, Email, Phone, Tag
from tandem.contacts.selectors import ListFilters, company_list, contact_list
from tandem.contacts.services import (
    EmailInput,
    PhoneInput,
    company_create,
    company_update,
    contact_create,
    contact_update,
    record_restore,
    record_share,
    record_trash,
    records_reassign,
    records_tag,
    records_trash,
    tag_get_or_create,
)
from tandem.core.errors import PermissionDenied, ValidationError
from tandem.history.models import Event


def _events(record) -> list[tuple[str, list]]:
    return [
        (event.action, event.changes)
        for event in Event.objects.filter(
            target_type=ContentType.objects.get_for_model(record), target_id=record.pk
        ).order_by("id")
    ]


def _counts() -> tuple[int, int, int, int, int]:
    return (
        Company.objects.count(),
        Contact.objects.count(),
        Phone.objects.count(),
        Email.objects.count(),
        Event.objects.count(),
    )


# --- create / update ---------------------------------------------------------------------------------


def test_company_create_normalises_phones_to_e164_and_keeps_raw_and_extension(rep_a):
    company = company_create(
        actor=rep_a,
        data={"name": "Acme"},
        phones=[PhoneInput("02 987 65 43 доб. 12", "office"), PhoneInput("+359 88 812 3456")],
    )

    phones = list(company.phones.order_by("position").values_list("e164", "extension", "raw", "label"))
    assert phones == [
        ("+35929876543", "12", "02 987 65 43 доб. 12", "office"),
        ("+359888123456", "", "+359 88 812 3456", ""),
    ]


def test_duplicate_phones_are_kept_once(rep_a):
    company = company_create(
        actor=rep_a, data={"name": "Acme"}, phones=[PhoneInput("0888 123 456"), PhoneInput("+359888123456")]
    )

    assert company.phones.count() == 1


def test_contact_phones_use_the_given_region(rep_a):
    contact = contact_create(
        actor=rep_a, data={"first_name": "Ольга"}, phones=[PhoneInput("8 (916) 123-45-67")], region="RU"
    )

    assert list(contact.phones.values_list("e164", flat=True)) == ["+79161234567"]


def test_invalid_phone_is_refused_naming_the_field_and_nothing_is_saved(rep_a):
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        company_create(
            actor=rep_a, data={"name": "Acme"}, phones=[PhoneInput("0888 123 456"), PhoneInput("12345")]
        )

    assert raised.value.message_dict == {"phones": ["“12345” is not a valid phone number."]}
    assert raised.value.code == "invalid_phone"
    assert _counts() == before


def test_invalid_phone_on_contact_update_changes_nothing(rep_a, make_contact):
    contact = make_contact(rep_a, phones=["0888 123 456"])
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        contact_update(
            actor=rep_a, contact=contact, data={"last_name": "Changed"}, phones=[PhoneInput("abc")]
        )

    assert list(raised.value.message_dict) == ["phones"]
    assert _counts() == before
    assert Contact.objects.get(pk=contact.pk).last_name == "Petrov"
    assert list(contact.phones.values_list("e164", flat=True)) == ["+359888123456"]


def test_emails_are_trimmed_folded_and_deduplicated(rep_a):
    contact = contact_create(
        actor=rep_a,
        data={"first_name": "Ivan"},
        emails=[EmailInput("  Ivan@Example.COM "), EmailInput("ivan@example.com"), EmailInput("")],
    )

    assert list(contact.emails.values_list("address", flat=True)) == ["ivan@example.com"]


def test_invalid_email_is_refused_and_nothing_is_saved(rep_a):
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        contact_create(actor=rep_a, data={"first_name": "Ivan"}, emails=[EmailInput("ivan@@example")])

    assert raised.value.message_dict == {"emails": ["“ivan@@example” is not a valid email address."]}
    assert _counts() == before


def test_legal_form_is_split_from_the_name_on_save(rep_a):
    company = company_create(actor=rep_a, data={"name": 'ООО "Север"', "tax_id": " 7707 083893 "})

    company.refresh_from_db()
    assert (company.name, company.legal_form, company.name_key, company.tax_id) == (
        "Север",
        "ООО",
        "север",
        "7707083893",
    )


def test_renaming_takes_the_new_legal_form(rep_a, make_company):
    company = make_company(rep_a, '"Север" ЕООД')

    company = company_update(actor=rep_a, company=company, data={"name": "Север Трейд ООД"})

    assert (company.name, company.legal_form) == ("Север Трейд", "ООД")


def test_duplicate_tax_id_is_refused(rep_a, rep_b, make_company):
    make_company(rep_b, "First", tax_id="175074752")

    with pytest.raises(ValidationError) as raised:
        make_company(rep_a, "Second", tax_id="175 074 752")

    assert raised.value.message_dict == {"tax_id": ["Company First already has this tax id."]}
    assert raised.value.code == "duplicate_tax_id"
    assert Company.objects.count() == 1


def test_duplicate_tax_id_of_a_trashed_company_says_so(rep_a, make_company):
    first = make_company(rep_a, "First", tax_id="175074752")
    record_trash(actor=rep_a, record=first)

    with pytest.raises(ValidationError) as raised:
        make_company(rep_a, "Second", tax_id="175074752")

    assert raised.value.message_dict == {"tax_id": ["Company First (in the trash) already has this tax id."]}


def test_empty_tax_ids_do_not_clash(rep_a, make_company):
    make_company(rep_a, "First")
    make_company(rep_a, "Second")

    assert Company.objects.count() == 2


def test_unknown_field_is_refused(rep_a):
    with pytest.raises(ValidationError) as raised:
        company_create(actor=rep_a, data={"name": "Acme", "deleted_at": None, "name_key": "x"})

    assert raised.value.message_dict == {"deleted_at": ["Unknown field."], "name_key": ["Unknown field."]}
    assert Company.objects.count() == 0


def test_contact_needs_a_first_or_last_name(rep_a):
    with pytest.raises(ValidationError) as raised:
        contact_create(actor=rep_a, data={"first_name": " ", "last_name": ""})

    assert list(raised.value.message_dict) == ["first_name"]


def test_unknown_messenger_is_refused(rep_a):
    with pytest.raises(ValidationError) as raised:
        contact_create(actor=rep_a, data={"first_name": "Ivan", "messengers": {"icq": "123"}})

    assert list(raised.value.message_dict) == ["messengers"]


def test_owner_the_actor_may_not_assign_is_refused(rep_a, rep_a2):
    with pytest.raises(PermissionDenied) as raised:
        company_create(actor=rep_a, data={"name": "Acme", "owner": rep_a2})

    assert raised.value.code == "owner_not_allowed"
    assert Company.objects.count() == 0


def test_head_may_create_for_a_team_member(head_a, rep_a):
    company = company_create(actor=head_a, data={"name": "Acme", "owner": rep_a})

    assert company.owner == rep_a


def test_head_may_not_create_for_another_team(head_a, rep_b):
    with pytest.raises(PermissionDenied):
        company_create(actor=head_a, data={"name": "Acme", "owner": rep_b})


def test_readonly_cannot_create(readonly):
    with pytest.raises(PermissionDenied):
        company_create(actor=readonly, data={"name": "Acme"})

    assert Company.objects.count() == 0


def test_contact_with_a_company_the_actor_cannot_see_is_refused(rep_a, rep_b, make_company):
    hidden = make_company(rep_b, "Hidden")
    before = _counts()

    with pytest.raises(ValidationError) as raised:
        contact_create(actor=rep_a, data={"first_name": "Ivan", "company": hidden})

    assert raised.value.message_dict == {"company": ["Choose a company you can see."]}
    assert _counts() == before


def test_contact_with_a_trashed_company_is_refused(rep_a, make_company):
    company = make_company(rep_a, "Gone")
    record_trash(actor=rep_a, record=company)

    with pytest.raises(ValidationError):
        contact_create(actor=rep_a, data={"first_name": "Ivan", "company": company})


def test_marketing_consent_is_timestamped_and_cleared(rep_a, make_contact):
    contact = make_contact(rep_a, marketing_consent=True)
    assert contact.marketing_consent_at is not None

    contact = contact_update(actor=rep_a, contact=contact, data={"marketing_consent": False})

    assert contact.marketing_consent_at is None


def test_rep_cannot_update_another_reps_record(rep_a, rep_b, make_company):
    company = make_company(rep_b, "Theirs")

    with pytest.raises(PermissionDenied):
        company_update(actor=rep_a, company=company, data={"name": "Mine now"})

    assert Company.objects.get(pk=company.pk).name == "Theirs"
    assert len(_events(company)) == 1


# --- history -----------------------------------------------------------------------------------------


def test_create_records_one_created_event_with_the_actor_and_parent(rep_a, make_company):
    company = make_company(rep_a, "Acme")
    contact = contact_create(actor=rep_a, data={"first_name": "Ivan", "company": company})

    event = Event.objects.get(target_id=contact.pk, target_type=ContentType.objects.get_for_model(Contact))
    assert (event.action, event.actor, event.target_label, event.changes) == ("created", rep_a, "Ivan", [])
    assert (event.parent_type.model, event.parent_id) == ("company", company.pk)
    assert _events(company) == [("created", [])]


def test_update_records_each_changed_field_with_old_and_new(rep_a, make_contact):
    contact = make_contact(rep_a, "Ivan", "Petrov", position="Buyer", phones=["0888 123 456"])

    contact_update(
        actor=rep_a,
        contact=contact,
        data={"last_name": "Petrov", "position": "Director", "birthday": datetime.date(1980, 5, 17)},
        phones=[PhoneInput("0899 111 222")],
        emails=[EmailInput("ivan@example.com")],
    )

    assert _events(contact)[-1] == (
        "updated",
        [
            {"field": "position", "old": "Buyer", "new": "Director"},
            {"field": "birthday", "old": None, "new": "1980-05-17"},
            {"field": "phones", "old": ["+359 88 812 3456"], "new": ["+359 89 911 1222"]},
            {"field": "emails", "old": [], "new": ["ivan@example.com"]},
        ],
    )


def test_update_without_changes_records_no_event(rep_a, make_company):
    company = make_company(rep_a, "Acme")

    company_update(actor=rep_a, company=company, data={"name": "Acme"})

    assert _events(company) == [("created", [])]


def test_update_records_foreign_keys_by_their_text(admin, rep_a, make_company):
    from tandem.contacts.models import ClientCategory

    category = ClientCategory.objects.create(name="A")
    company = make_company(rep_a, "Acme")

    company_update(actor=rep_a, company=company, data={"category": category})

    assert _events(company)[-1] == ("updated", [{"field": "category", "old": None, "new": "A"}])


def test_trash_and_restore_record_events(rep_a, make_company):
    company = make_company(rep_a, "Acme")

    record_trash(actor=rep_a, record=company)
    record_trash(actor=rep_a, record=company)  # already in the trash: nothing new
    assert Company.objects.get(pk=company.pk).deleted_at is not None
    record_restore(actor=rep_a, record=company)

    assert Company.objects.get(pk=company.pk).deleted_at is None
    assert [action for action, _changes in _events(company)] == ["created", "deleted", "restored"]


def test_readonly_and_other_reps_cannot_trash(rep_a, rep_b, readonly, make_company):
    company = make_company(rep_a, "Acme")

    for actor in (rep_b, readonly):
        with pytest.raises(PermissionDenied):
            record_trash(actor=actor, record=company)

    assert Company.objects.get(pk=company.pk).deleted_at is None
    assert len(_events(company)) == 1


def test_share_records_who_it_was_shared_with(rep_a, rep_a2, make_company):
    company = make_company(rep_a, "Acme")

    record_share(actor=rep_a, record=company, users=[rep_a2, rep_a])

    assert list(company.shared_with.all()) == [rep_a2]
    assert _events(company)[-1] == ("shared", [{"field": "shared_with", "old": [], "new": ["Ravi Rep"]}])


def test_tags_change_is_recorded(rep_a, make_company):
    vip, wholesale = Tag.objects.create(name="VIP"), Tag.objects.create(name="Wholesale")
    company = company_create(actor=rep_a, data={"name": "Acme"}, tags=[vip])

    company_update(actor=rep_a, company=company, data={}, tags=(tag for tag in [wholesale, vip]))

    assert sorted(company.tags.values_list("name", flat=True)) == ["VIP", "Wholesale"]
    assert _events(company)[-1] == (
        "updated",
        [{"field": "tags", "old": ["VIP"], "new": ["VIP", "Wholesale"]}],
    )


def test_no_event_is_left_when_the_service_fails(rep_a, make_company, monkeypatch):
    from tandem.contacts import services

    company = make_company(rep_a, "Acme")
    events_before = Event.objects.count()

    def broken_reindex(record):
        raise RuntimeError("search is down")

    monkeypatch.setattr(services, "company_reindex", broken_reindex)
    with pytest.raises(RuntimeError):
        company_update(actor=rep_a, company=company, data={"name": "Renamed"})

    assert Event.objects.count() == events_before
    assert Company.objects.get(pk=company.pk).name == "Acme"


# --- bulk actions ------------------------------------------------------------------------------------


def test_records_reassign_moves_every_row_and_records_each(head_a, rep_a, rep_a2, make_company):
    first, second = make_company(rep_a, "One"), make_company(rep_a, "Two")

    changed = records_reassign(
        actor=head_a, queryset=Company.objects.filter(pk__in=[first.pk, second.pk]), owner=rep_a2
    )

    assert changed == 2
    assert set(Company.objects.values_list("owner_id", flat=True)) == {rep_a2.pk}
    assert _events(first)[-1] == ("reassigned", [{"field": "owner", "old": "Rita Rep", "new": "Ravi Rep"}])


def test_records_reassign_is_all_or_nothing(rep_a, rep_b, make_company):
    mine, theirs = make_company(rep_a, "Mine"), make_company(rep_b, "Theirs")
    before = _counts()

    with pytest.raises(PermissionDenied):
        records_reassign(
            actor=rep_a, queryset=Company.objects.filter(pk__in=[mine.pk, theirs.pk]), owner=rep_a
        )

    assert _counts() == before
    assert Company.objects.get(pk=theirs.pk).owner == rep_b


def test_records_reassign_to_an_unassignable_owner_is_refused(head_a, rep_a, rep_b, make_company):
    company = make_company(rep_a, "Mine")

    with pytest.raises(PermissionDenied):
        records_reassign(actor=head_a, queryset=Company.objects.filter(pk=company.pk), owner=rep_b)

    assert Company.objects.get(pk=company.pk).owner == rep_a


def test_records_tag_is_all_or_nothing(rep_a, rep_b, make_contact):
    tag = Tag.objects.create(name="VIP")
    mine, theirs = make_contact(rep_a, "Ivan"), make_contact(rep_b, "Boris")

    with pytest.raises(PermissionDenied):
        records_tag(actor=rep_a, queryset=Contact.objects.filter(pk__in=[mine.pk, theirs.pk]), tag=tag)

    assert tag.contacts.count() == 0
    assert Event.objects.filter(action="updated").count() == 0


def test_records_tag_adds_only_missing_tags(rep_a, make_contact):
    tag = Tag.objects.create(name="VIP")
    tagged = contact_create(actor=rep_a, data={"first_name": "Ivan"}, tags=[tag])
    untagged = make_contact(rep_a, "Maria")

    count = records_tag(
        actor=rep_a, queryset=Contact.objects.filter(pk__in=[tagged.pk, untagged.pk]), tag=tag
    )

    assert count == 1
    assert tag.contacts.count() == 2
    assert _events(untagged)[-1] == ("updated", [{"field": "tags", "old": None, "new": "VIP"}])


def test_records_trash_is_all_or_nothing(rep_a, rep_b, make_company):
    mine, theirs = make_company(rep_a, "Mine"), make_company(rep_b, "Theirs")

    with pytest.raises(PermissionDenied):
        records_trash(actor=rep_a, queryset=Company.objects.filter(pk__in=[mine.pk, theirs.pk]))

    assert Company.objects.filter(deleted_at__isnull=False).count() == 0
    assert Event.objects.filter(action="deleted").count() == 0


def test_records_trash_trashes_and_records_each(rep_a, make_company):
    _first, second = make_company(rep_a, "One"), make_company(rep_a, "Two")

    assert records_trash(actor=rep_a, queryset=Company.objects.all()) == 2
    assert Company.objects.filter(deleted_at__isnull=False).count() == 2
    assert _events(second)[-1] == ("deleted", [])


def test_readonly_cannot_bulk_trash(readonly, rep_a, make_company):
    make_company(rep_a, "One")

    with pytest.raises(PermissionDenied):
        records_trash(actor=readonly, queryset=Company.objects.all())


# --- search index ------------------------------------------------------------------------------------


def test_search_finds_a_record_by_its_new_name_not_the_old(rep_a, make_company, make_contact):
    company = make_company(rep_a, "Oldname Trading")
    contact = make_contact(rep_a, "Ivan", "Stariev")

    company_update(actor=rep_a, company=company, data={"name": "Newname Trading"})
    contact_update(actor=rep_a, contact=contact, data={"last_name": "Novikov"})

    def companies(text):
        return list(company_list(actor=rep_a, filters=ListFilters(search=text)))

    def contacts(text):
        return list(contact_list(actor=rep_a, filters=ListFilters(search=text)))

    assert companies("newname") == [company]
    assert companies("oldname") == []
    assert contacts("novikov") == [contact]
    assert contacts("stariev") == []


def test_search_finds_a_new_record_by_phone_and_email(rep_a, make_contact):
    contact = make_contact(rep_a, "Мария", "Георгиева", phones=["0888 123 456"], emails=["maria@example.bg"])

    assert list(contact_list(actor=rep_a, filters=ListFilters(search="0888 123 456"))) == [contact]
    assert list(contact_list(actor=rep_a, filters=ListFilters(search="maria@example"))) == [contact]
    assert list(contact_list(actor=rep_a, filters=ListFilters(search="георги"))) == [contact]


def test_tag_get_or_create_reuses_names_in_any_case(rep_a, readonly):
    tag = tag_get_or_create(actor=rep_a, name="  Key   client ")

    assert tag.name == "Key client"
    assert tag_get_or_create(actor=readonly, name="KEY CLIENT") == tag
    with pytest.raises(PermissionDenied):
        tag_get_or_create(actor=readonly, name="New one")


def test_service_with_actor_none_acts_as_the_system(rep_a):
    company = company_create(actor=None, data={"name": "Imported", "owner": rep_a})

    assert company.owner == rep_a
    assert Event.objects.get(target_id=company.pk).actor is None


def test_owner_defaults_to_the_actor(rep_a: User):
    assert company_create(actor=rep_a, data={"name": "Acme"}).owner == rep_a
