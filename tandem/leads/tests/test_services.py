from __future__ import annotations

import pytest

from tandem.contacts.matching import contact_match
from tandem.contacts.models import Company, Contact
from tandem.deals.models import Deal, Stage
from tandem.leads.models import LeadSubmission
from tandem.leads.services import lead_capture, webform_save
from tandem.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _submit(form, **payload):
    return lead_capture(form=form, source=LeadSubmission.Source.FORM, payload=payload, ip="203.0.113.5")


def test_same_phone_in_two_formats_gives_one_contact_with_two_requests(webform, rep_a):
    first = _submit(
        webform, name="Ivan Petrov", phone="0888 123 456", utm_source="google", utm_campaign="spring"
    )
    second = _submit(webform, name="Ivan P.", phone="+359888123456", message="Call me")

    assert [first.status, second.status] == ["accepted", "accepted"]
    assert Contact.objects.count() == 1
    contact = Contact.objects.get()
    assert (contact.first_name, contact.last_name, contact.owner, contact.channel) == (
        "Ivan",
        "Petrov",
        rep_a,
        webform.channel,
    )
    assert [first.contact_matched, second.contact_matched] == [False, True]
    assert second.contact == contact
    deals = list(Deal.objects.filter(contacts=contact).order_by("pk"))
    assert len(deals) == 2
    stage = webform.pipeline.stages.filter(kind=Stage.Kind.OPEN, is_archived=False).order_by(
        "position", "id"
    )[0]
    for deal in deals:
        assert (deal.stage, deal.owner, deal.channel, deal.taken_at, deal.first_touch_at) == (
            stage,
            rep_a,
            webform.channel,
            None,
            None,
        )
    assert (first.utm_source, first.utm_campaign) == ("google", "spring")
    assert "utm_source: google\nutm_campaign: spring" in deals[0].notes
    assert deals[1].notes.startswith("Call me")


def test_email_matches_case_insensitively(webform, make_contact, rep_b):
    existing = make_contact(rep_b, "Maria", "Ivanova", emails=["maria@example.com"])

    submission = _submit(webform, name="Maria", email="  MARIA@Example.COM ")

    assert submission.status == "accepted"
    assert (submission.contact, submission.contact_matched) == (existing, True)
    assert Contact.objects.count() == 1
    # The lead still goes to the form's owner: a request is a new deal, not the contact's.
    assert submission.deal.owner == webform.owner


def test_contact_match_prefers_phone_and_skips_the_trash(make_contact, rep_a):
    by_email = make_contact(rep_a, "A", "One", emails=["a@example.com"])
    by_phone = make_contact(rep_a, "B", "Two", phones=["0888 123 456"])

    assert contact_match(phones=["+359888123456"], emails=["A@example.com"]) == by_phone
    assert contact_match(phones=["+359888000000"], emails=["A@EXAMPLE.COM"]) == by_email
    Contact.objects.filter(pk=by_phone.pk).update(deleted_at=by_phone.created_at)
    assert contact_match(phones=["+359888123456"], emails=[]) is None


def test_new_contact_gets_its_company(webform):
    submission = _submit(webform, name="Olga", company='"Акме" ООД', phone="0888123456")

    company = Company.objects.get()
    assert (company.name, company.legal_form) == ("Акме", "ООД")
    assert submission.contact.company == company
    assert submission.deal.company == company


def test_owner_is_notified_at_once(webform, rep_a):
    submission = _submit(webform, name="Ivan", phone="0888123456")

    notification = Notification.objects.get()
    assert (notification.recipient, notification.kind, notification.key, notification.url) == (
        rep_a,
        Notification.Kind.LEAD_UNTOUCHED,
        f"lead-new:{submission.deal_id}",
        f"/deals/{submission.deal_id}/",
    )


def test_honeypot_marks_spam_and_creates_nothing(webform):
    submission = _submit(webform, name="Bot", phone="0888123456", website="http://spam.example")

    assert submission.status == "spam"
    assert (Contact.objects.count(), Deal.objects.count(), Notification.objects.count()) == (0, 0, 0)
    assert LeadSubmission.objects.get().payload["website"] == "http://spam.example"


def test_invalid_input_keeps_only_the_submission_record(webform):
    submission = _submit(webform, name="", phone="12", email="not-an-email", fax="1")

    assert (submission.status, submission.error_code) == ("rejected", "unknown_field")
    assert submission.field_errors == {"fax": ["Unknown field."]}
    submission = _submit(webform, name="", phone="12", email="not-an-email")
    assert (submission.status, submission.error_code) == ("rejected", "invalid")
    assert submission.field_errors == {
        "name": ["This field is required."],
        "phone": ["“12” is not a valid phone number."],
        "email": ["“not-an-email” is not a valid email address."],
    }
    assert LeadSubmission.objects.count() == 2
    assert (Contact.objects.count(), Deal.objects.count()) == (0, 0)


def test_phone_or_email_is_needed(webform):
    submission = _submit(webform, name="Ivan", message="Hi")

    assert submission.field_errors == {
        "phone": ["Leave a phone number or an email so that we can reach you."]
    }


def test_round_robin_takes_turns_among_the_teams_active_reps(make_form, team_a, rep_a, rep_a2, head_a, rep_b):
    form = make_form(team=team_a)
    owners = [_submit(form, name=f"Lead {n}", phone=f"088812345{n}").deal.owner for n in range(3)]

    assert owners == [rep_a, rep_a2, rep_a]
    form.refresh_from_db()
    assert form.last_assignee == rep_a
    rep_a2.is_active = False
    rep_a2.save(update_fields=["is_active"])
    assert _submit(form, name="Lead 9", phone="0888123459").deal.owner == rep_a


def test_processing_failure_is_recorded_not_lost(make_form, team_b):
    form = make_form(team=team_b)  # no rep in team B yet, and no head

    submission = _submit(form, name="Ivan", phone="0888123456")

    assert (submission.status, submission.error_code) == ("failed", "no_owner")
    assert LeadSubmission.objects.get().payload == {"name": "Ivan", "phone": "0888123456"}
    assert (Contact.objects.count(), Deal.objects.count()) == (0, 0)


def test_webform_save_refuses_bad_settings(pipeline, rep_a, team_a, rep_b):
    base = {"name": "F", "pipeline": pipeline, "thank_you_text": "Thanks", "fields": ["name", "phone"]}
    with pytest.raises(Exception) as both:
        webform_save(actor=None, form=None, data={**base, "owner": rep_a, "team": team_a})
    assert "owner" in both.value.message_dict
    with pytest.raises(Exception) as origin:
        webform_save(
            actor=None, form=None, data={**base, "owner": rep_a, "allowed_origins": ["shop.example.com/x"]}
        )
    assert "allowed_origins" in origin.value.message_dict
    with pytest.raises(Exception) as denied:
        webform_save(actor=rep_b, form=None, data={**base, "owner": rep_a})
    assert denied.value.code == "permission_denied"
    saved = webform_save(
        actor=None, form=None, data={**base, "owner": rep_a, "allowed_origins": ["HTTPS://Shop.Example.com/"]}
    )
    assert saved.allowed_origins == ["https://shop.example.com"]


def test_submission_takes_a_bounded_number_of_queries(webform, django_assert_max_num_queries):
    """Counts include savepoints and check-constraint probes of the contact and deal services (about
    40 % of them); a new contact with a new company is the dearest path (~35 ms on SQLite). The deal's
    creation adds one upsert of the funnel's rollup (tandem.analytics.stage_rollups)."""
    _submit(webform, name="Warm up", phone="0888000001")
    with django_assert_max_num_queries(76):
        _submit(webform, name="Ivan Petrov", company="Acme", phone="0888123456", email="ivan@example.com")
    with django_assert_max_num_queries(33):
        _submit(webform, name="Ivan Petrov", phone="+359888123456")
