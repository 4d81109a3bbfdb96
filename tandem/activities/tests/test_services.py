"""Activity services: planning and logging, links, the deal's mirrored next step, first contact,
tasks to colleagues, rescheduling, marking done, trash and who may do what."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.http import Http404
from django.utils import timezone, translation

from tandem.accounts.models import User
from tandem.activities.models import Activity, ActivityType, Outcome
from tandem.activities.selectors import activity_can_change, activity_get_for_user
from tandem.activities.services import (
    activity_create,
    activity_done,
    activity_trash,
    activity_type_save,
    activity_update,
    deal_next_step_refresh,
)
from tandem.activities.tests.helpers import kind
from tandem.contacts.services import record_trash
from tandem.core.errors import PermissionDenied, ValidationError
from tandem.history.models import Event
from tandem.notifications.models import Notification

SOFIA = zoneinfo.ZoneInfo("Europe/Sofia")
UTC = datetime.UTC
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
NOW = datetime.datetime(2030, 3, 15, 9, 0, tzinfo=SOFIA)  # a Friday morning


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    """A Sofia time in March 2030."""
    return datetime.datetime(2030, 3, day, hour, minute, tzinfo=SOFIA)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def plan(actor: User | None, subject: str = "Call back", type_kind: str = "call", **data) -> Activity:
    return activity_create(actor=actor, type=kind(type_kind), subject=subject, **data)


def fresh(record):
    record.refresh_from_db()
    return record


def activity_state(activity: Activity) -> tuple:
    activity = Activity.objects.get(pk=activity.pk)
    return (
        activity.subject,
        activity.due_at,
        activity.done_at,
        activity.deal_id,
        activity.assignee_id,
        activity.deleted_at,
        activity.remind_at,
    )


def error_codes(error: ValidationError) -> dict[str, list[str]]:
    return {field: [item.code for item in items] for field, items in error.error_dict.items()}


# --- create ---------------------------------------------------------------------------------------------


def test_plan_a_call_on_a_deal_fills_the_company_from_the_deal(rep_a, make_deal, make_company):
    company = make_company(rep_a, "Acme")
    deal = make_deal(rep_a, "Big order", company=company)

    activity = plan(rep_a, "Call about the offer", deal=deal, due_at=at(18, 10), duration_minutes=15)

    activity = fresh(activity)
    assert (activity.deal_id, activity.company_id, activity.contact_id) == (deal.pk, company.pk, None)
    assert (activity.author_id, activity.assignee_id) == (rep_a.pk, rep_a.pk)
    assert (activity.due_at, activity.done_at, activity.occurred_at) == (at(18, 10), None, at(18, 10))
    assert (activity.is_done, activity.is_overdue, activity.duration_minutes) == (False, False, 15)
    assert (activity.created_at, activity.updated_at) == (NOW, NOW)


def test_log_a_done_call_on_a_contact_fills_the_company_from_the_contact(rep_a, make_company, make_contact):
    company = make_company(rep_a, "Acme")
    contact = make_contact(rep_a, "Ivan", "Petrov", company=company)
    reached = Outcome.objects.get(name="Reached")

    activity = plan(rep_a, "Talked", contact=contact, done_at=at(15, 8, 30), direction="out", outcome=reached)

    activity = fresh(activity)
    assert (activity.contact_id, activity.company_id) == (contact.pk, company.pk)
    assert (activity.done_at, activity.due_at, activity.occurred_at) == (at(15, 8, 30), None, at(15, 8, 30))
    assert (activity.direction, activity.outcome_id, activity.is_done) == ("out", reached.pk, True)


def test_the_contacts_company_wins_over_the_deals_company(rep_a, make_deal, make_company, make_contact):
    deal = make_deal(rep_a, company=make_company(rep_a, "Deal Corp"))
    person_company = make_company(rep_a, "Person Corp")
    contact = make_contact(rep_a, company=person_company)

    activity = plan(rep_a, deal=deal, contact=contact, due_at=at(18, 10))

    assert fresh(activity).company_id == person_company.pk


def test_a_given_company_is_kept(rep_a, make_deal, make_company):
    deal = make_deal(rep_a, company=make_company(rep_a, "Deal Corp"))
    other = make_company(rep_a, "Other Corp")

    activity = plan(rep_a, deal=deal, company=other, due_at=at(18, 10))

    assert fresh(activity).company_id == other.pk


def test_a_trashed_company_of_the_contact_is_not_filled_in(rep_a, make_company, make_contact):
    company = make_company(rep_a, "Gone Corp")
    contact = make_contact(rep_a, company=company)
    record_trash(actor=rep_a, record=company)
    contact.refresh_from_db()

    activity = plan(rep_a, contact=contact, due_at=at(18, 10))

    assert fresh(activity).company_id is None


def test_planned_without_a_due_time_is_refused(rep_a, make_deal):
    deal = make_deal(rep_a)

    with pytest.raises(ValidationError) as caught:
        plan(rep_a, deal=deal)

    assert error_codes(caught.value) == {"due_at": ["no_time"]}
    assert Activity.objects.count() == 0


def test_an_activity_without_any_link_is_refused(rep_a):
    with pytest.raises(ValidationError) as caught:
        plan(rep_a, due_at=at(18, 10))

    assert error_codes(caught.value) == {"deal": ["not_linked"]}
    assert Activity.objects.count() == 0


def test_a_blank_subject_is_refused(rep_a, make_deal):
    with pytest.raises(ValidationError) as caught:
        plan(rep_a, "   ", deal=make_deal(rep_a), due_at=at(18, 10))

    assert list(caught.value.error_dict) == ["subject"]
    assert Activity.objects.count() == 0


def test_links_to_records_the_actor_cannot_see_are_refused(
    rep_a, rep_b, make_deal, make_company, make_contact
):
    deal = make_deal(rep_b, "Beta deal")
    contact = make_contact(rep_b, "Boris", "Client")
    company = make_company(rep_b, "Beta Corp")

    with pytest.raises(ValidationError) as caught:
        plan(rep_a, deal=deal, contact=contact, company=company, due_at=at(18, 10))

    assert error_codes(caught.value) == {
        "deal": ["invalid_link"],
        "contact": ["invalid_link"],
        "company": ["invalid_link"],
    }
    assert Activity.objects.count() == 0
    assert fresh(deal).next_step == ""


def test_links_to_trashed_records_are_refused(rep_a, make_contact):
    contact = make_contact(rep_a)
    record_trash(actor=rep_a, record=contact)
    contact.refresh_from_db()

    with pytest.raises(ValidationError) as caught:
        plan(rep_a, contact=contact, due_at=at(18, 10))

    assert error_codes(caught.value) == {"contact": ["invalid_link"]}
    assert Activity.objects.count() == 0


def test_a_head_links_activities_to_the_teams_deals(head_a, rep_a, make_deal):
    deal = make_deal(rep_a)

    activity = plan(head_a, deal=deal, assignee=rep_a, due_at=at(18, 10))

    assert (activity.author_id, activity.assignee_id, activity.deal_id) == (head_a.pk, rep_a.pk, deal.pk)


def test_readonly_cannot_add_activities(readonly, rep_a, make_deal):
    deal = make_deal(rep_a)

    with pytest.raises(PermissionDenied):
        plan(readonly, deal=deal, due_at=at(18, 10))

    assert Activity.objects.count() == 0


def test_a_deactivated_assignee_is_refused(rep_a, rep_a2, admin, make_deal):
    rep_a2.is_active = False
    rep_a2.save(update_fields=["is_active"])

    with pytest.raises(ValidationError) as caught:
        plan(rep_a, deal=make_deal(rep_a), assignee=rep_a2, due_at=at(18, 10))

    assert error_codes(caught.value) == {"assignee": ["inactive_assignee"]}
    assert Activity.objects.count() == 0


def test_logging_an_activity_done_in_the_future_is_refused(rep_a, make_deal):
    deal = make_deal(rep_a)

    with pytest.raises(ValidationError) as caught:
        plan(rep_a, deal=deal, done_at=NOW + datetime.timedelta(hours=1))

    assert error_codes(caught.value) == {"done_at": ["future_done"]}
    assert Activity.objects.count() == 0
    assert fresh(deal).first_touch_at is None


def test_a_duration_over_a_week_is_refused(rep_a, make_deal):
    with pytest.raises(ValidationError) as caught:
        plan(rep_a, deal=make_deal(rep_a), due_at=at(18, 10), duration_minutes=60 * 24 * 7 + 1)

    assert list(caught.value.error_dict) == ["duration_minutes"]


def test_the_system_creates_without_an_actor_for_a_given_assignee(rep_a, make_deal):
    deal = make_deal(rep_a)

    activity = plan(None, deal=deal, assignee=rep_a, due_at=at(18, 10))

    assert (activity.author_id, activity.assignee_id) == (None, rep_a.pk)
    assert Notification.objects.count() == 0


# --- the deal's next step -------------------------------------------------------------------------------


def test_the_deal_shows_its_soonest_open_activity_as_next_step(rep_a, make_deal):
    deal = make_deal(rep_a)

    plan(rep_a, "Send the offer", deal=deal, due_at=at(20, 10))
    plan(rep_a, "Call the buyer", deal=deal, due_at=at(18, 16))
    plan(rep_a, "Talked already", deal=deal, done_at=at(15, 8))

    deal = fresh(deal)
    assert (deal.next_step, deal.next_step_date) == ("Call the buyer", datetime.date(2030, 3, 18))


def test_the_next_step_date_is_the_local_day_of_the_due_time(rep_a, make_deal):
    deal = make_deal(rep_a)

    # 22:30 UTC is already the next day in Sofia (UTC+2 in March).
    plan(rep_a, "Late call", deal=deal, due_at=datetime.datetime(2030, 3, 18, 22, 30, tzinfo=UTC))

    assert fresh(deal).next_step_date == datetime.date(2030, 3, 19)


def test_rescheduling_moves_the_next_step(rep_a, make_deal):
    deal = make_deal(rep_a)
    first = plan(rep_a, "Call", deal=deal, due_at=at(18, 10))
    plan(rep_a, "Meet", type_kind="meeting", deal=deal, due_at=at(20, 10))

    activity_update(actor=rep_a, activity=first, data={"due_at": at(25, 10)})

    deal = fresh(deal)
    assert (deal.next_step, deal.next_step_date) == ("Meet", datetime.date(2030, 3, 20))


def test_renaming_the_soonest_activity_renames_the_next_step(rep_a, make_deal):
    deal = make_deal(rep_a)
    activity = plan(rep_a, "Call", deal=deal, due_at=at(18, 10))

    activity_update(actor=rep_a, activity=activity, data={"subject": "  Call the director  "})

    assert fresh(deal).next_step == "Call the director"
    assert fresh(activity).subject == "Call the director"


def test_marking_done_moves_the_next_step_to_the_following_activity(rep_a, make_deal):
    deal = make_deal(rep_a)
    first = plan(rep_a, "Call", deal=deal, due_at=at(15, 8))
    plan(rep_a, "Meet", type_kind="meeting", deal=deal, due_at=at(22, 11))

    activity_done(actor=rep_a, activity=first)

    deal = fresh(deal)
    assert (deal.next_step, deal.next_step_date) == ("Meet", datetime.date(2030, 3, 22))


def test_marking_the_last_open_activity_done_empties_the_next_step(rep_a, make_deal):
    deal = make_deal(rep_a)
    only = plan(rep_a, "Call", deal=deal, due_at=at(15, 8))

    activity_done(actor=rep_a, activity=only)

    deal = fresh(deal)
    assert (deal.next_step, deal.next_step_date) == ("", None)


def test_trashing_the_soonest_activity_moves_the_next_step(rep_a, make_deal):
    deal = make_deal(rep_a)
    first = plan(rep_a, "Call", deal=deal, due_at=at(18, 10))
    second = plan(rep_a, "Meet", type_kind="meeting", deal=deal, due_at=at(20, 10))

    activity_trash(actor=rep_a, activity=first)
    after_first = (fresh(deal).next_step, deal.next_step_date)
    activity_trash(actor=rep_a, activity=second)

    assert after_first == ("Meet", datetime.date(2030, 3, 20))
    assert (fresh(deal).next_step, deal.next_step_date) == ("", None)


def test_moving_an_activity_to_another_deal_refreshes_both_deals(rep_a, make_deal):
    old, new = make_deal(rep_a, "Old"), make_deal(rep_a, "New")
    activity = plan(rep_a, "Call", deal=old, due_at=at(18, 10))

    activity_update(actor=rep_a, activity=activity, data={"deal": new})

    assert (fresh(old).next_step, old.next_step_date) == ("", None)
    assert (fresh(new).next_step, new.next_step_date) == ("Call", datetime.date(2030, 3, 18))


def test_next_step_refresh_writes_nothing_when_nothing_changed(rep_a, make_deal, django_assert_num_queries):
    deal = make_deal(rep_a)
    plan(rep_a, "Call", deal=deal, due_at=at(18, 10))
    deal = fresh(deal)

    with django_assert_num_queries(1):  # the soonest open activity; no UPDATE
        deal_next_step_refresh(deal)


def test_a_long_subject_is_cut_to_the_next_step_length(rep_a, make_deal):
    deal = make_deal(rep_a)

    plan(rep_a, "x" * 255, deal=deal, due_at=at(18, 10))

    assert fresh(deal).next_step == "x" * 255


# --- first contact --------------------------------------------------------------------------------------


def test_a_done_call_is_the_deals_first_contact(rep_a, make_deal):
    deal = make_deal(rep_a)

    plan(rep_a, "Talked", deal=deal, done_at=at(15, 8, 30))

    assert fresh(deal).first_touch_at == at(15, 8, 30)


def test_a_planned_call_is_not_a_contact_yet(rep_a, make_deal):
    deal = make_deal(rep_a)

    plan(rep_a, "Call", deal=deal, due_at=at(18, 10))

    assert fresh(deal).first_touch_at is None


@pytest.mark.parametrize("type_kind", ["task", "note"])
def test_done_tasks_and_notes_are_not_a_contact(rep_a, make_deal, type_kind):
    deal = make_deal(rep_a)

    plan(rep_a, "Internal", type_kind=type_kind, deal=deal, done_at=at(15, 8))

    assert fresh(deal).first_touch_at is None


def test_an_admin_defined_type_counts_as_contact_when_it_says_so(rep_a, admin, make_deal):
    visit = activity_type_save(
        actor=admin, activity_type=None, data={"name": "Visit", "counts_as_contact": True}
    )
    memo = activity_type_save(
        actor=admin, activity_type=None, data={"name": "Memo", "counts_as_contact": False}
    )
    touched, untouched = make_deal(rep_a, "Touched"), make_deal(rep_a, "Untouched")

    activity_create(actor=rep_a, type=visit, subject="Visited", deal=touched, done_at=at(15, 8))
    activity_create(actor=rep_a, type=memo, subject="Memo", deal=untouched, done_at=at(15, 8))

    assert (fresh(touched).first_touch_at, fresh(untouched).first_touch_at) == (at(15, 8), None)


def test_the_first_contact_is_kept_when_more_contacts_follow(rep_a, make_deal):
    deal = make_deal(rep_a)
    plan(rep_a, "First", deal=deal, done_at=at(14, 10))

    plan(rep_a, "Second", deal=deal, done_at=at(15, 8))

    assert fresh(deal).first_touch_at == at(14, 10)


def test_marking_a_planned_call_done_is_the_first_contact(rep_a, make_deal):
    deal = make_deal(rep_a)
    call = plan(rep_a, "Call", deal=deal, due_at=at(15, 8))

    activity_done(actor=rep_a, activity=call, done_at=at(15, 8, 45))

    assert fresh(deal).first_touch_at == at(15, 8, 45)


# --- tasks to colleagues --------------------------------------------------------------------------------


def test_a_task_for_a_colleague_notifies_them_once(rep_a, rep_a2, make_deal):
    deal = make_deal(rep_a)

    activity = plan(
        rep_a, "Prepare the contract", type_kind="task", deal=deal, assignee=rep_a2, due_at=at(18, 10),
        description="Use the new template",
    )  # fmt: skip
    activity_update(actor=rep_a, activity=activity, data={"due_at": at(19, 10)})

    notification = Notification.objects.get()
    assert (notification.recipient_id, notification.kind, notification.actor_id) == (
        rep_a2.pk,
        Notification.Kind.TASK_ASSIGNED,
        rep_a.pk,
    )
    assert notification.key == f"assigned:{activity.pk}:{rep_a2.pk}"
    assert notification.title == "Rita Rep gave you: Prepare the contract"
    assert (notification.body, notification.url) == ("Use the new template", f"/activities/{activity.pk}/")


def test_planning_for_oneself_notifies_nobody(rep_a, make_deal):
    plan(rep_a, deal=make_deal(rep_a), due_at=at(18, 10))

    assert Notification.objects.count() == 0


def test_logging_a_done_activity_for_a_colleague_notifies_nobody(rep_a, rep_a2, make_deal):
    plan(rep_a, deal=make_deal(rep_a), assignee=rep_a2, done_at=at(15, 8))

    assert Notification.objects.count() == 0


def test_handing_a_task_over_notifies_the_new_assignee(rep_a, rep_a2, head_a, make_deal):
    activity = plan(rep_a, "Call", deal=make_deal(rep_a), due_at=at(18, 10))

    activity_update(actor=rep_a, activity=activity, data={"assignee": rep_a2})
    activity_update(actor=rep_a, activity=activity, data={"subject": "Call again"})

    assert list(Notification.objects.values_list("recipient_id", "kind")) == [
        (rep_a2.pk, Notification.Kind.TASK_ASSIGNED)
    ]
    assert activity_can_change(rep_a, fresh(activity))  # the author still may


def test_the_task_notification_is_in_the_assignees_language(rep_a, rep_a2, make_deal, monkeypatch):
    rep_a2.language = "bg"
    rep_a2.save(update_fields=["language"])
    languages: list[str | None] = []
    from tandem.activities import services

    def gettext_spy(message: str) -> str:
        if message == "%(user)s gave you: %(subject)s":
            languages.append(translation.get_language())
        return message

    monkeypatch.setattr(services, "_", gettext_spy)

    with translation.override("ru"):
        plan(rep_a, "Call", deal=make_deal(rep_a), assignee=rep_a2, due_at=at(18, 10))

    assert languages == ["bg"]


# --- update and reschedule ------------------------------------------------------------------------------


def test_rescheduling_re_arms_the_reminder_and_the_missed_call_check(rep_a, make_deal):
    activity = plan(rep_a, deal=make_deal(rep_a), due_at=at(18, 10), remind_at=at(18, 9, 45))
    Activity.objects.filter(pk=activity.pk).update(reminded_at=at(18, 9, 45), escalated_at=at(18, 10, 30))

    activity_update(actor=rep_a, activity=activity, data={"due_at": at(19, 14)})

    activity = fresh(activity)
    assert (activity.due_at, activity.occurred_at, activity.remind_at) == (
        at(19, 14),
        at(19, 14),
        at(19, 13, 45),
    )
    assert (activity.reminded_at, activity.escalated_at) == (None, None)


def test_rescheduling_with_a_new_reminder_time_keeps_that_time(rep_a, make_deal):
    activity = plan(rep_a, deal=make_deal(rep_a), due_at=at(18, 10), remind_at=at(18, 9, 45))

    activity_update(actor=rep_a, activity=activity, data={"due_at": at(19, 14), "remind_at": at(19, 9)})

    assert fresh(activity).remind_at == at(19, 9)


def test_the_same_due_time_written_in_another_time_zone_is_no_change(rep_a, make_deal):
    activity = plan(rep_a, deal=make_deal(rep_a), due_at=at(18, 10), remind_at=at(18, 9, 45))
    Activity.objects.filter(pk=activity.pk).update(reminded_at=at(18, 9, 45))
    events = Event.objects.count()

    activity_update(
        actor=rep_a,
        activity=fresh(activity),
        data={"due_at": at(18, 10).astimezone(NEW_YORK), "subject": "Call back"},
    )

    activity = fresh(activity)
    assert (activity.due_at, activity.remind_at, activity.reminded_at) == (
        at(18, 10),
        at(18, 9, 45),
        at(18, 9, 45),
    )
    assert Event.objects.count() == events


def test_a_new_reminder_time_re_arms_the_reminder(rep_a, make_deal):
    activity = plan(rep_a, deal=make_deal(rep_a), due_at=at(18, 10), remind_at=at(18, 9))
    Activity.objects.filter(pk=activity.pk).update(reminded_at=at(18, 9))

    activity_update(actor=rep_a, activity=activity, data={"remind_at": at(18, 9, 30)})

    activity = fresh(activity)
    assert (activity.remind_at, activity.reminded_at) == (at(18, 9, 30), None)


def test_an_update_is_recorded_with_old_and_new_values(rep_a, make_deal):
    activity = plan(rep_a, "Call", deal=make_deal(rep_a), due_at=at(18, 10))

    activity_update(
        actor=rep_a, activity=activity, data={"subject": "Call the director", "duration_minutes": 30}
    )

    event = Event.objects.get(action=Event.Action.UPDATED, target_id=activity.pk)
    assert (event.actor_id, event.target_label) == (rep_a.pk, "Call the director")
    assert event.changes == [
        {"field": "subject", "old": "Call", "new": "Call the director"},
        {"field": "duration_minutes", "old": None, "new": 30},
    ]


def test_fields_outside_the_activity_form_cannot_be_changed(rep_a, rep_b, make_deal):
    activity = plan(rep_a, deal=make_deal(rep_a), due_at=at(18, 10))
    before = activity_state(activity)

    with pytest.raises(ValidationError) as caught:
        activity_update(actor=rep_a, activity=activity, data={"author": rep_b, "reminded_at": None})

    assert error_codes(caught.value) == {"author": ["read_only"], "reminded_at": ["read_only"]}
    assert activity_state(activity) == before


def test_moving_an_activity_to_a_deal_the_actor_cannot_see_is_refused(rep_a, rep_b, make_deal):
    mine, theirs = make_deal(rep_a, "Mine"), make_deal(rep_b, "Theirs")
    activity = plan(rep_a, deal=mine, due_at=at(18, 10))
    before = activity_state(activity)

    with pytest.raises(ValidationError) as caught:
        activity_update(actor=rep_a, activity=activity, data={"deal": theirs})

    assert error_codes(caught.value) == {"deal": ["invalid_link"]}
    assert activity_state(activity) == before
    assert fresh(theirs).next_step == ""


def test_the_assignee_reschedules_a_task_on_a_deal_they_cannot_see(head_a, rep_a, rep_a2, make_deal):
    deal = make_deal(rep_a2, "Ravi's deal")
    task = plan(head_a, "Call Ravi's client", type_kind="task", deal=deal, assignee=rep_a, due_at=at(18, 10))

    activity_update(actor=rep_a, activity=task, data={"due_at": at(19, 10), "subject": "Call them"})
    activity_done(actor=rep_a, activity=task, done_at=at(15, 8, 50))

    task = fresh(task)
    assert (task.due_at, task.subject, task.done_at, task.deal_id) == (
        at(19, 10),
        "Call them",
        at(15, 8, 50),
        deal.pk,
    )


def test_the_company_follows_the_activity_to_another_deal(rep_a, make_deal, make_company):
    acme, globex = make_company(rep_a, "Acme"), make_company(rep_a, "Globex")
    old, new = make_deal(rep_a, "Old", company=acme), make_deal(rep_a, "New", company=globex)
    activity = plan(rep_a, deal=old, due_at=at(18, 10))

    activity_update(actor=rep_a, activity=activity, data={"deal": new})

    assert (fresh(activity).deal_id, activity.company_id) == (new.pk, globex.pk)


def test_a_company_chosen_by_hand_stays_when_the_deal_changes(rep_a, make_deal, make_company):
    acme, globex, chosen = (
        make_company(rep_a, "Acme"),
        make_company(rep_a, "Globex"),
        make_company(rep_a, "Chosen"),
    )
    old, new = make_deal(rep_a, "Old", company=acme), make_deal(rep_a, "New", company=globex)
    activity = plan(rep_a, deal=old, company=chosen, due_at=at(18, 10))

    activity_update(actor=rep_a, activity=activity, data={"deal": new})

    assert fresh(activity).company_id == chosen.pk


def test_reopening_a_done_activity_without_a_due_time_is_refused(rep_a, make_deal):
    activity = plan(rep_a, deal=make_deal(rep_a), done_at=at(15, 8))
    before = activity_state(activity)

    with pytest.raises(ValidationError) as caught:
        activity_update(actor=rep_a, activity=activity, data={"done_at": None})

    assert error_codes(caught.value) == {"due_at": ["no_time"]}
    assert activity_state(activity) == before


def test_an_update_cannot_move_the_done_time_into_the_future(rep_a, make_deal):
    activity = plan(rep_a, deal=make_deal(rep_a), done_at=at(15, 8))
    before = activity_state(activity)

    with pytest.raises(ValidationError) as caught:
        activity_update(actor=rep_a, activity=activity, data={"done_at": at(16, 8)})

    assert error_codes(caught.value) == {"done_at": ["future_done"]}
    assert activity_state(activity) == before


# --- done -----------------------------------------------------------------------------------------------


def test_done_stores_the_outcome_the_note_and_clears_the_reminder(rep_a, make_deal):
    deal = make_deal(rep_a)
    call = plan(
        rep_a,
        "Call",
        deal=deal,
        due_at=at(15, 8),
        remind_at=at(15, 7, 45),
        description="Ask about the budget",
    )
    no_answer = Outcome.objects.get(name="No answer")

    activity_done(actor=rep_a, activity=call, outcome=no_answer, note="  Voicemail  ", duration_minutes=2)

    call = fresh(call)
    assert (call.done_at, call.occurred_at, call.due_at) == (NOW, NOW, at(15, 8))
    assert (call.outcome_id, call.duration_minutes, call.remind_at) == (no_answer.pk, 2, None)
    assert call.description == "Ask about the budget\n\nVoicemail"
    event = Event.objects.get(action=Event.Action.UPDATED, target_id=call.pk)
    assert (event.actor_id, event.changes) == (
        rep_a.pk,
        [{"field": "done_at", "old": None, "new": NOW.astimezone(UTC).isoformat()}],
    )


def test_done_twice_changes_nothing_the_second_time(rep_a, make_deal):
    call = plan(rep_a, "Call", deal=make_deal(rep_a), due_at=at(15, 8))
    activity_done(actor=rep_a, activity=call, done_at=at(15, 8, 30), note="First")
    before = activity_state(call)

    with time_machine.travel(NOW + datetime.timedelta(hours=1), tick=False):
        activity_done(actor=rep_a, activity=call, note="Second", outcome=Outcome.objects.get(name="Reached"))

    call = fresh(call)
    assert activity_state(call) == before
    assert (call.description, call.outcome_id) == ("First", None)
    assert Event.objects.filter(target_id=call.pk, action=Event.Action.UPDATED).count() == 1


def test_done_in_the_future_is_refused(rep_a, make_deal):
    deal = make_deal(rep_a)
    call = plan(rep_a, "Call", deal=deal, due_at=at(15, 8))
    before = activity_state(call)

    with pytest.raises(ValidationError) as caught:
        activity_done(actor=rep_a, activity=call, done_at=NOW + datetime.timedelta(minutes=6))

    assert error_codes(caught.value) == {"done_at": ["future_done"]}
    assert activity_state(call) == before
    assert fresh(deal).next_step == "Call"


def test_done_a_few_minutes_ahead_is_allowed_for_clock_skew(rep_a, make_deal):
    call = plan(rep_a, "Call", deal=make_deal(rep_a), due_at=at(15, 8))

    activity_done(actor=rep_a, activity=call, done_at=NOW + datetime.timedelta(minutes=4))

    assert fresh(call).done_at == NOW + datetime.timedelta(minutes=4)


# --- trash ----------------------------------------------------------------------------------------------


def test_trash_hides_the_activity_and_records_it_once(rep_a, make_deal):
    activity = plan(rep_a, deal=make_deal(rep_a), due_at=at(18, 10))

    activity_trash(actor=rep_a, activity=activity)
    activity_trash(actor=rep_a, activity=activity)

    assert fresh(activity).deleted_at == NOW
    assert Event.objects.filter(action=Event.Action.DELETED, target_id=activity.pk).count() == 1
    with pytest.raises(Http404):
        activity_get_for_user(user=rep_a, pk=activity.pk)


def test_a_marketer_cannot_trash_activities(marketer, rep_a, make_contact):
    contact = make_contact(marketer, "Mia's", "Lead")
    note = plan(marketer, "Met at the fair", type_kind="note", contact=contact, done_at=at(14, 12))

    with pytest.raises(PermissionDenied):
        activity_trash(actor=marketer, activity=note)

    assert fresh(note).deleted_at is None


# --- who may change what --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "may_change"),
    [
        ("rep_a", True),  # author and assignee
        ("rep_a2", False),  # same team, another rep
        ("rep_b", False),  # another team
        ("head_a", True),  # the team's head
        ("admin", True),
        ("marketer", False),  # sees every activity, changes only their own
        ("readonly", False),
    ],
)
def test_who_may_change_a_reps_activity(request, rep_a, make_deal, who, may_change):
    activity = plan(rep_a, deal=make_deal(rep_a), due_at=at(18, 10))
    user = request.getfixturevalue(who)

    assert activity_can_change(user, fresh(activity)) is may_change


@pytest.mark.parametrize("who", ["rep_a2", "rep_b", "marketer", "readonly"])
def test_refused_users_change_nothing(request, rep_a, make_deal, who):
    deal = make_deal(rep_a)
    activity = plan(rep_a, "Call", deal=deal, due_at=at(18, 10))
    user = request.getfixturevalue(who)
    before = activity_state(activity)

    attempts = [
        lambda: activity_update(actor=user, activity=activity, data={"subject": "Hacked"}),
        lambda: activity_done(actor=user, activity=activity),
        lambda: activity_trash(actor=user, activity=activity),
    ]
    refused = 0
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
        refused += 1

    assert refused == 3
    assert activity_state(activity) == before
    assert (fresh(deal).next_step, deal.first_touch_at) == ("Call", None)


def test_the_assignee_may_change_a_task_a_colleague_gave_them(rep_a, rep_a2, make_deal):
    task = plan(rep_a, "Prepare", type_kind="task", deal=make_deal(rep_a), assignee=rep_a2, due_at=at(18, 10))

    activity_done(actor=rep_a2, activity=task)

    assert fresh(task).done_at == NOW


def test_a_deactivated_author_may_no_longer_change(rep_a, admin, make_deal):
    activity = plan(rep_a, deal=make_deal(rep_a), due_at=at(18, 10))
    rep_a.is_active = False
    rep_a.save(update_fields=["is_active"])

    assert activity_can_change(rep_a, fresh(activity)) is False


# --- activity types -------------------------------------------------------------------------------------


def test_only_admins_edit_activity_types(admin, rep_a):
    call = kind("call")

    with pytest.raises(PermissionDenied):
        activity_type_save(actor=rep_a, activity_type=call, data={"name": "Phone"})
    renamed = activity_type_save(actor=admin, activity_type=call, data={"name": "Phone", "kind": "note"})

    assert (fresh(renamed).name, renamed.kind) == ("Phone", "call")


def test_an_activity_type_needs_a_unique_name(admin):
    with pytest.raises(ValidationError) as caught:
        activity_type_save(actor=admin, activity_type=None, data={"name": kind("call").name})

    assert list(caught.value.error_dict) == ["name"]
    assert ActivityType.objects.filter(name=kind("call").name).count() == 1


def test_created_and_updated_times_follow_the_clock(rep_a, make_deal):
    activity = plan(rep_a, deal=make_deal(rep_a), due_at=at(18, 10))

    with time_machine.travel(NOW + datetime.timedelta(minutes=10), tick=False):
        activity_update(actor=rep_a, activity=activity, data={"subject": "Later"})

    activity = fresh(activity)
    assert (activity.created_at, activity.updated_at) == (NOW, NOW + datetime.timedelta(minutes=10))
    assert timezone.is_aware(activity.updated_at)
