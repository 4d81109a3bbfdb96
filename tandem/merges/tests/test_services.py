"""Merging records and undoing merges: what moves, what is refused, and that undo is exact."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType

from tandem.activities.models import Activity, Attachment
from tandem.contacts.models import Company, Contact, Email, Phone, Tag
from tandem.contacts.services import contact_update, record_restore, record_share, record_trash
from tandem.core.errors import Conflict, PermissionDenied, ValidationError
from tandem.deals.models import DealContact
from tandem.deals.services import ContactInput, deal_create
from tandem.history.models import Event
from tandem.leads.models import LeadSubmission
from tandem.merges.models import DuplicateCandidate, Merge, RecordKind
from tandem.merges.services import candidate_dismiss, merge_undo, record_merge


@pytest.fixture
def pair(rep_a, rep_a2, make_contact, make_company, make_deal, make_activity):
    """Two records of one person with deals, activities, files, requests, tags and sharing on both."""
    acme = make_company(rep_a, "Acme")
    kept = make_contact(
        rep_a, "Ivan", "Petrov", phones=["+359888123456"], emails=["ivan@example.com"], position="Buyer"
    )
    other = make_contact(
        rep_a,
        "Ivan",
        "Petroff",
        phones=["+359888123456", "+359 2 981 1234"],
        emails=["IVAN@example.com", "ivan.p@acme.bg"],
        company=acme,
        birthday=datetime.date(1980, 5, 17),
    )
    vip, old_tag = Tag.objects.create(name="VIP"), Tag.objects.create(name="Old")
    kept.tags.add(old_tag)
    other.tags.add(vip, old_tag)
    record_share(actor=rep_a, record=other, users=[rep_a2])
    shared_deal = make_deal(rep_a, "Both on it")
    DealContact.objects.create(deal=shared_deal, contact=kept, role="buyer")
    DealContact.objects.create(deal=shared_deal, contact=other, role="payer")
    own_deal = deal_create(
        actor=rep_a, data={"title": "Other's deal", "pipeline": shared_deal.pipeline},
        contacts=[ContactInput(other, "director")],
    )  # fmt: skip
    call = make_activity(rep_a, "Call", contact=other)
    Attachment.objects.create(activity=call, file="a/offer.pdf", name="offer.pdf", content_type="x", size=3)
    request = LeadSubmission.objects.create(source="api", contact=other)
    return {
        "kept": kept, "other": other, "acme": acme, "own_deal": own_deal, "call": call, "request": request,
    }  # fmt: skip


def test_merging_contacts_moves_everything_to_the_kept_one(rep_a, rep_a2, pair):
    kept, other = pair["kept"], pair["other"]
    contact_type = ContentType.objects.get_for_model(Contact)
    other_history = list(
        Event.objects.filter(target_type=contact_type, target_id=other.pk).values_list("pk", flat=True)
    )
    assert other_history

    merge = record_merge(actor=rep_a, survivor=kept, other=other, fields_from_other=["last_name", "company"])

    kept.refresh_from_db()
    other.refresh_from_db()
    assert (kept.first_name, kept.last_name, kept.company_id, kept.position) == (
        "Ivan", "Petroff", pair["acme"].pk, "Buyer",
    )  # fmt: skip
    assert kept.birthday is None  # not chosen: the survivor's value stays, even empty
    assert other.is_deleted
    assert sorted(Phone.objects.filter(contact=kept).values_list("e164", flat=True)) == [
        "+35929811234", "+359888123456",
    ]  # fmt: skip
    assert sorted(Email.objects.filter(contact=kept).values_list("address", flat=True)) == [
        "ivan.p@acme.bg", "ivan@example.com",
    ]  # fmt: skip
    assert sorted(kept.tags.values_list("name", flat=True)) == ["Old", "VIP"]
    assert list(kept.shared_with.all()) == [rep_a2]
    assert DealContact.objects.filter(contact=other).count() == 0
    assert DealContact.objects.filter(contact=kept).count() == 2
    assert pair["own_deal"].deal_contacts.get().contact_id == kept.pk
    assert Activity.objects.get(pk=pair["call"].pk).contact_id == kept.pk
    assert Attachment.objects.get().activity.contact_id == kept.pk
    assert LeadSubmission.objects.get(pk=pair["request"].pk).contact_id == kept.pk
    assert set(Event.objects.filter(pk__in=other_history).values_list("target_id", flat=True)) == {kept.pk}
    merged = Event.objects.filter(action=Event.Action.MERGED)
    assert {(event.target_id, event.actor_id) for event in merged} == {
        (kept.pk, rep_a.pk), (other.pk, rep_a.pk),
    }  # fmt: skip
    changes = {change["field"]: change for change in merged.get(target_id=kept.pk).changes}
    assert changes["last_name"] == {"field": "last_name", "old": "Petrov", "new": "Petroff"}
    assert (merge.kind, merge.survivor_id, merge.other_id, merge.actor) == (
        RecordKind.CONTACT, kept.pk, other.pk, rep_a,
    )  # fmt: skip


def test_undoing_a_contact_merge_restores_the_database_exactly(rep_a, pair, dump):
    before = dump()

    merge = record_merge(
        actor=rep_a, survivor=pair["kept"], other=pair["other"],
        fields_from_other=["last_name", "company", "birthday", "marketing_consent"],
    )  # fmt: skip
    assert dump() != before
    merge_undo(actor=rep_a, merge=merge)

    assert dump() == before
    merge.refresh_from_db()
    assert merge.undone_at is not None and merge.undone_by == rep_a
    assert Event.objects.filter(action=Event.Action.UNMERGED).count() == 2


def test_merging_companies_moves_people_deals_and_activities_and_undo_is_exact(
    rep_a, make_company, make_contact, make_deal, make_activity, dump
):
    kept = make_company(rep_a, "Acme", phones=["+359 2 981 1234"], website="https://acme.bg")
    other = make_company(rep_a, "ACME Ltd", tax_id="BG123456789", emails=["office@acme.bg"])
    person = make_contact(rep_a, "Maria", "Koleva", company=other)
    deal = make_deal(rep_a, "Big order", company=other)
    visit = make_activity(rep_a, "Visit", company=other)
    before = dump()

    merge = record_merge(actor=rep_a, survivor=kept, other=other, fields_from_other=["name", "tax_id"])

    kept.refresh_from_db()
    other.refresh_from_db()
    assert (kept.name, kept.legal_form, kept.tax_id, kept.website) == (
        "ACME",
        "Ltd",
        "BG123456789",
        "https://acme.bg",
    )
    assert (other.tax_id, other.is_deleted) == ("", True)
    assert Contact.objects.get(pk=person.pk).company_id == kept.pk
    assert deal.__class__.objects.get(pk=deal.pk).company_id == kept.pk
    assert Activity.objects.get(pk=visit.pk).company_id == kept.pk
    assert list(Email.objects.filter(company=kept).values_list("address", flat=True)) == ["office@acme.bg"]
    contact_type = ContentType.objects.get_for_model(Contact)
    person_created = Event.objects.get(
        target_type=contact_type, target_id=person.pk, action=Event.Action.CREATED
    )
    assert person_created.parent_id == kept.pk

    merge_undo(actor=rep_a, merge=merge)

    assert dump() == before


def test_a_rep_cannot_merge_a_record_of_another_team_and_nothing_changes(rep_a, rep_b, make_contact, dump):
    mine = make_contact(rep_a, "Ivan", "Petrov")
    theirs = make_contact(rep_b, "Ivan", "Petrov")
    before = dump()

    with pytest.raises(PermissionDenied):
        record_merge(actor=rep_a, survivor=mine, other=theirs)

    assert dump() == before
    assert Merge.objects.count() == 0


def test_a_read_only_user_cannot_merge(readonly, rep_a, make_contact):
    first, second = make_contact(rep_a, "Ivan", "Petrov"), make_contact(rep_a, "Ivan", "Petrov")

    with pytest.raises(PermissionDenied):
        record_merge(actor=readonly, survivor=first, other=second)


def test_a_head_merges_records_of_the_team(head_a, rep_a, rep_a2, make_contact):
    first, second = make_contact(rep_a, "Ivan", "Petrov"), make_contact(rep_a2, "Ivan", "Petrov")

    merge = record_merge(actor=head_a, survivor=first, other=second, fields_from_other=["owner"])

    first.refresh_from_db()
    assert first.owner == rep_a2 and merge.actor == head_a


def test_merge_refuses_unknown_fields_the_same_record_and_trashed_records(rep_a, make_contact):
    first, second = make_contact(rep_a, "Ivan", "Petrov"), make_contact(rep_a, "Ivan", "Petrov")

    with pytest.raises(ValidationError):
        record_merge(actor=rep_a, survivor=first, other=second, fields_from_other=["deleted_at"])
    with pytest.raises(ValidationError):
        record_merge(actor=rep_a, survivor=first, other=first)
    merge = record_merge(actor=rep_a, survivor=first, other=second)
    with pytest.raises(Conflict) as refused:
        record_merge(actor=rep_a, survivor=first, other=second)
    assert refused.value.code == "in_trash"
    assert Merge.objects.get() == merge


def test_undo_twice_is_refused(rep_a, make_contact):
    first, second = make_contact(rep_a, "Ivan", "Petrov"), make_contact(rep_a, "Ivan", "Petrov")
    merge = record_merge(actor=rep_a, survivor=first, other=second)
    merge_undo(actor=rep_a, merge=merge)

    with pytest.raises(Conflict) as refused:
        merge_undo(actor=rep_a, merge=merge)

    assert refused.value.code == "already_undone"


def test_undo_is_refused_when_the_kept_record_was_edited_since(rep_a, make_contact, dump):
    first, second = make_contact(rep_a, "Ivan", "Petrov"), make_contact(rep_a, "Ivan", "Petroff")
    merge = record_merge(actor=rep_a, survivor=first, other=second, fields_from_other=["last_name"])
    contact_update(actor=rep_a, contact=first, data={"last_name": "Petrovski"})
    before = dump()

    with pytest.raises(Conflict) as refused:
        merge_undo(actor=rep_a, merge=merge)

    assert refused.value.code == "changed_since"
    assert dump() == before


def test_undo_is_refused_when_the_other_was_taken_out_of_the_trash(rep_a, make_contact):
    first, second = make_contact(rep_a, "Ivan", "Petrov"), make_contact(rep_a, "Ivan", "Petrov")
    merge = record_merge(actor=rep_a, survivor=first, other=second)
    record_restore(actor=rep_a, record=second)

    with pytest.raises(Conflict) as refused:
        merge_undo(actor=rep_a, merge=merge)

    assert refused.value.code == "other_restored"


def test_undo_is_refused_when_the_kept_record_is_in_the_trash(rep_a, make_contact):
    first, second = make_contact(rep_a, "Ivan", "Petrov"), make_contact(rep_a, "Ivan", "Petrov")
    merge = record_merge(actor=rep_a, survivor=first, other=second)
    record_trash(actor=rep_a, record=first)

    with pytest.raises(Conflict) as refused:
        merge_undo(actor=rep_a, merge=merge)

    assert refused.value.code == "survivor_trashed"


def test_merges_are_undone_latest_first(rep_a, make_contact, dump):
    first, second, third = (make_contact(rep_a, "Ivan", "Petrov") for _number in range(3))
    before = dump()
    earlier = record_merge(actor=rep_a, survivor=first, other=second)
    later = record_merge(actor=rep_a, survivor=first, other=third)

    with pytest.raises(Conflict) as refused:
        merge_undo(actor=rep_a, merge=earlier)
    assert refused.value.code == "later_merge"
    merge_undo(actor=rep_a, merge=later)
    merge_undo(actor=rep_a, merge=earlier)

    assert dump() == before


def test_undo_is_refused_to_someone_who_cannot_change_both(rep_a, rep_b, make_contact):
    first, second = make_contact(rep_a, "Ivan", "Petrov"), make_contact(rep_a, "Ivan", "Petrov")
    merge = record_merge(actor=rep_a, survivor=first, other=second)

    with pytest.raises(PermissionDenied):
        merge_undo(actor=rep_b, merge=merge)

    assert Merge.objects.get().undone_at is None


def test_a_tax_id_clash_is_not_possible_when_taking_the_others_tax_id(rep_a, make_company, dump):
    kept = make_company(rep_a, "Acme", tax_id="BG111111111")
    other = make_company(rep_a, "Acme", tax_id="BG222222222")
    before = dump()

    merge = record_merge(actor=rep_a, survivor=kept, other=other, fields_from_other=["tax_id"])
    assert Company.objects.get(pk=kept.pk).tax_id == "BG222222222"
    merge_undo(actor=rep_a, merge=merge)

    assert dump() == before


def test_dismissing_a_pair_needs_change_on_both(rep_a, rep_b, make_contact):
    first, second = make_contact(rep_a, "Ivan", "Petrov"), make_contact(rep_a, "Ivan", "Petrov")
    candidate = DuplicateCandidate.objects.create(
        kind="contact", low_id=first.pk, high_id=second.pk, score=90
    )

    with pytest.raises(PermissionDenied):
        candidate_dismiss(actor=rep_b, candidate=candidate)
    assert DuplicateCandidate.objects.get().dismissed_at is None
    candidate_dismiss(actor=rep_a, candidate=candidate)

    assert DuplicateCandidate.objects.get().dismissed_by == rep_a
