"""The escalation rules with a controlled clock: exact notices at exact times, in working hours,
never twice, recorded in history; the daily digest; the periodic tasks that run them.

The calendar is the default one: Monday to Friday, 09:00–18:00, Europe/Sofia (UTC+3 in June).
2025-06-02 is a Monday."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import connection

from tandem.accounts.models import User
from tandem.accounts.roles import Role
from tandem.accounts.services import user_create
from tandem.activities import escalation, tasks
from tandem.activities.escalation import (
    SweepCounts,
    digests_send,
    escalation_sweep,
    lead_rules,
    missed_call_candidates,
    missed_calls_escalate,
    reminder_candidates,
    reminders_send,
    stuck_deal_candidates,
    stuck_deals_notify,
    untouched_lead_candidates,
    untouched_leads_escalate,
)
from tandem.activities.models import Activity, ActivityType
from tandem.activities.services import activity_create, activity_done, activity_trash, activity_update
from tandem.core.models import Holiday, WorkSchedule
from tandem.deals.models import Deal, Pipeline, Stage
from tandem.deals.services import deal_create, deal_move
from tandem.history.models import Event
from tandem.notifications.digest import SECTION_SIZE
from tandem.notifications.models import Notification

SOFIA = zoneinfo.ZoneInfo("Europe/Sofia")
PASSWORD = "correct-horse-battery-staple"


def sofia(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 6) -> datetime.datetime:
    return datetime.datetime(2025, month, day, hour, minute, second, tzinfo=SOFIA)


def stamp(moment: datetime.datetime) -> int:
    return int(moment.timestamp())


@pytest.fixture
def clock(time_machine):
    def move(moment: datetime.datetime) -> None:
        time_machine.move_to(moment, tick=False)

    return move


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run a rule as the periodic task does: outside a transaction, emails sent after commit."""

    def call(rule, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return rule(**kwargs)

    return call


@pytest.fixture
def call_type(db) -> ActivityType:
    return ActivityType.objects.get(kind=ActivityType.Kind.CALL)


@pytest.fixture
def task_type(db) -> ActivityType:
    return ActivityType.objects.get(kind=ActivityType.Kind.TASK)


@pytest.fixture
def pipeline(db) -> Pipeline:
    return Pipeline.objects.get(name="New clients")


def new_deal(owner: User, title: str = "Big order", **data) -> Deal:
    return deal_create(
        actor=owner, data={"title": title, "pipeline": Pipeline.objects.get(name="New clients"), **data}
    )


def plan(
    user: User, kind: ActivityType, subject: str, *, due: datetime.datetime, deal: Deal | None = None, **kw
):
    return activity_create(actor=user, type=kind, subject=subject, deal=deal, due_at=due, **kw)


def notices(kind: str | None = None) -> list[tuple[str, str, str]]:
    """(recipient email, kind, key) of every notification, oldest first."""
    queryset = Notification.objects.order_by("id")
    if kind:
        queryset = queryset.filter(kind=kind)
    return [(n.recipient.email, n.kind, n.key) for n in queryset.select_related("recipient")]


def notified_events(target) -> list[Event]:
    return list(
        Event.objects.filter(
            action=Event.Action.NOTIFIED,
            target_type=ContentType.objects.get_for_model(target),
            target_id=target.pk,
        ).order_by("id")
    )


def make_admin(email: str, *, active: bool = True, name: str = "") -> User:
    user = user_create(actor=None, email=email, role=Role.ADMIN, password=PASSWORD, full_name=name)
    if not active:
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.refresh_from_db()
    return user


# --- 1. reminders ----------------------------------------------------------------------------------


def test_reminder_is_sent_to_the_assignee_at_the_reminder_time_and_recorded(clock, run, rep_a, call_type):
    clock(sofia(2, 9))
    deal = new_deal(rep_a)
    activity = plan(
        rep_a, call_type, "Call the buyer", due=sofia(2, 11), deal=deal, remind_at=sofia(2, 10, 45)
    )

    clock(sofia(2, 10, 44, 59))
    assert run(reminders_send) == 0
    clock(sofia(2, 10, 45))
    assert run(reminders_send) == 1

    notification = Notification.objects.get()
    assert notification.recipient == rep_a
    assert notification.kind == Notification.Kind.REMINDER
    assert notification.key == f"reminder:{activity.pk}:{stamp(sofia(2, 10, 45))}"
    assert notification.title == "Reminder: Call the buyer"
    assert notification.body == "Due 06/02/2025 11 a.m.\nAbout: Big order"
    assert notification.url == f"/activities/{activity.pk}/"
    activity.refresh_from_db()
    assert activity.reminded_at == sofia(2, 10, 45)
    [event] = notified_events(activity)
    assert event.actor is None
    assert event.parent_id == deal.pk
    assert event.changes == [
        {"field": "notification", "old": None, "new": "Reminder of a planned activity", "kind": "reminder"},
        {"field": "recipients", "old": None, "new": ["Rita Rep"]},
    ]
    assert [message.subject for message in mail.outbox] == ["Reminder: Call the buyer"]
    assert mail.outbox[0].to == ["rep.a@example.com"]


def test_reminder_job_run_twice_sends_nothing_new(clock, run, rep_a, call_type):
    clock(sofia(2, 9))
    activity = plan(rep_a, call_type, "Call", due=sofia(2, 11), deal=new_deal(rep_a), remind_at=sofia(2, 10))
    clock(sofia(2, 10))

    assert run(reminders_send) == 1
    assert run(reminders_send) == 0
    clock(sofia(2, 10, 1))
    assert run(reminders_send) == 0

    assert Notification.objects.count() == 1
    assert len(notified_events(activity)) == 1
    assert len(mail.outbox) == 1


def test_reminder_handled_by_another_run_meanwhile_is_skipped(clock, run, rep_a, call_type):
    clock(sofia(2, 9))
    activity = plan(rep_a, call_type, "Call", due=sofia(2, 11), deal=new_deal(rep_a), remind_at=sofia(2, 10))
    clock(sofia(2, 10))
    stale_candidates = list(reminder_candidates(sofia(2, 10)).values_list("pk", flat=True))
    run(reminders_send)

    # A second consumer that read the candidates before the first one sent them re-checks under lock.
    assert [escalation._remind(pk, sofia(2, 10)) for pk in stale_candidates] == [0]
    assert Notification.objects.count() == 1
    assert len(notified_events(activity)) == 1


def test_reminder_is_not_sent_for_a_done_or_trashed_activity(clock, run, rep_a, call_type):
    clock(sofia(2, 9))
    deal = new_deal(rep_a)
    done = plan(rep_a, call_type, "Done early", due=sofia(2, 11), deal=deal, remind_at=sofia(2, 10))
    trashed = plan(rep_a, call_type, "Cancelled", due=sofia(2, 11), deal=deal, remind_at=sofia(2, 10))
    activity_done(actor=rep_a, activity=done)
    activity_trash(actor=rep_a, activity=trashed)
    clock(sofia(2, 10, 30))

    assert run(reminders_send) == 0
    assert Notification.objects.count() == 0


def test_rescheduled_activity_reminds_again_at_its_new_time(clock, run, rep_a, call_type):
    clock(sofia(2, 9))
    activity = plan(
        rep_a, call_type, "Call", due=sofia(2, 11), deal=new_deal(rep_a), remind_at=sofia(2, 10, 45)
    )
    clock(sofia(2, 10, 45))
    run(reminders_send)
    activity_update(actor=rep_a, activity=activity, data={"due_at": sofia(3, 11)})

    clock(sofia(3, 10, 44))
    assert run(reminders_send) == 0
    clock(sofia(3, 10, 45))
    assert run(reminders_send) == 1

    assert notices() == [
        ("rep.a@example.com", "reminder", f"reminder:{activity.pk}:{stamp(sofia(2, 10, 45))}"),
        ("rep.a@example.com", "reminder", f"reminder:{activity.pk}:{stamp(sofia(3, 10, 45))}"),
    ]


def test_reminder_title_is_in_the_assignees_language_and_time_zone(clock, run, rep_a, call_type):
    User.objects.filter(pk=rep_a.pk).update(language="bg", time_zone="Europe/London")
    rep_a.refresh_from_db()
    clock(sofia(2, 9))
    plan(rep_a, call_type, "Обаждане", due=sofia(2, 11), deal=new_deal(rep_a), remind_at=sofia(2, 10))
    clock(sofia(2, 10))

    run(reminders_send)

    # 11:00 in Sofia is 09:00 in London, written the Bulgarian way.
    assert "02.06.2025 09:00" in Notification.objects.get().body


# --- 2. untouched new leads ------------------------------------------------------------------------


def test_untouched_lead_reminds_the_owner_after_the_sla_and_tells_the_head_after_the_second_threshold(
    clock, run, rep_a, head_a
):
    clock(sofia(2, 10))
    deal = new_deal(rep_a, "Website request")

    clock(sofia(2, 12))
    assert run(untouched_leads_escalate) == (0, 0)
    clock(sofia(2, 12, 1))
    assert run(untouched_leads_escalate) == (1, 0)
    clock(sofia(2, 14))
    assert run(untouched_leads_escalate) == (0, 0)
    clock(sofia(2, 14, 1))
    assert run(untouched_leads_escalate) == (0, 1)
    clock(sofia(2, 14, 2))
    assert run(untouched_leads_escalate) == (0, 0)

    assert notices() == [
        ("rep.a@example.com", "lead_untouched", f"lead-untouched:{deal.pk}"),
        ("head.a@example.com", "lead_escalated", f"lead-escalated:{deal.pk}"),
    ]
    owner_notice, head_notice = Notification.objects.order_by("id")
    assert owner_notice.title == "New lead still untouched: Website request"
    assert owner_notice.body == (
        "The lead came in 06/02/2025 10 a.m. and nobody has contacted the client within 2 working hours."
    )
    assert head_notice.title == "Lead left untouched: Website request (Rita Rep)"
    assert head_notice.body == (
        "The lead came in 06/02/2025 10 a.m.; Rita Rep has not contacted the client within 4 working hours."
    )
    assert head_notice.url == f"/deals/{deal.pk}/"
    deal.refresh_from_db()
    assert deal.lead_escalation == 2
    assert [event.changes[0]["kind"] for event in notified_events(deal)] == [
        "lead_untouched",
        "lead_escalated",
    ]
    # The owner chose nothing special: LEAD_ESCALATED goes by email, LEAD_UNTOUCHED only in the app.
    assert [message.to for message in mail.outbox] == [["head.a@example.com"]]


def test_lead_created_on_friday_evening_escalates_on_monday_in_working_hours(clock, run, rep_a, head_a):
    clock(sofia(6, 17, 30))
    deal = new_deal(rep_a)

    for moment in (sofia(6, 19, 31), sofia(7, 12), sofia(8, 23), sofia(9, 10, 30)):
        clock(moment)
        assert run(untouched_leads_escalate) == (0, 0), moment
    clock(sofia(9, 10, 31))  # 30 min on Friday + 1 h 30 min on Monday
    assert run(untouched_leads_escalate) == (1, 0)
    clock(sofia(9, 12, 30))
    assert run(untouched_leads_escalate) == (0, 0)
    clock(sofia(9, 12, 31))
    assert run(untouched_leads_escalate) == (0, 1)

    deal.refresh_from_db()
    assert deal.lead_escalation == 2


def test_lead_waiting_over_the_spring_clock_change_escalates_in_local_working_hours(
    clock, run, rep_a, head_a
):
    # Sunday 30 March 2025, 03:00 EET → 04:00 EEST.
    clock(sofia(28, 17, 30, month=3))
    new_deal(rep_a)

    clock(sofia(31, 10, 30, month=3))
    assert run(untouched_leads_escalate) == (0, 0)
    clock(sofia(31, 10, 31, month=3))
    assert run(untouched_leads_escalate) == (1, 0)
    assert Notification.objects.get().body == (
        "The lead came in 03/28/2025 5:30 p.m. and nobody has contacted the client within 2 working hours."
    )


def test_lead_waiting_over_a_holiday_escalates_on_the_next_working_day(clock, run, rep_a, head_a):
    Holiday.objects.create(date=datetime.date(2025, 6, 3), name="Company day off")
    clock(sofia(2, 17))
    new_deal(rep_a)

    clock(sofia(3, 15))
    assert run(untouched_leads_escalate) == (0, 0)
    clock(sofia(4, 10))
    assert run(untouched_leads_escalate) == (0, 0)
    clock(sofia(4, 10, 1))
    assert run(untouched_leads_escalate) == (1, 0)
    clock(sofia(4, 12, 1))
    assert run(untouched_leads_escalate) == (0, 1)


def test_lead_late_for_both_thresholds_tells_owner_and_head_in_one_run(clock, run, rep_a, head_a):
    clock(sofia(2, 9))
    deal = new_deal(rep_a)
    clock(sofia(3, 9))

    assert run(untouched_leads_escalate) == (1, 1)
    assert run(untouched_leads_escalate) == (0, 0)
    assert [kind for _email, kind, _key in notices()] == ["lead_untouched", "lead_escalated"]
    assert len(notified_events(deal)) == 2


def test_lead_contacted_in_time_is_never_escalated(clock, run, rep_a, head_a, call_type):
    clock(sofia(2, 10))
    deal = new_deal(rep_a)
    clock(sofia(2, 11))
    activity_create(actor=rep_a, type=call_type, subject="Called back", deal=deal, done_at=sofia(2, 11))

    clock(sofia(3, 17))
    assert run(untouched_leads_escalate) == (0, 0)
    assert Notification.objects.count() == 0


def test_a_task_is_not_contact_with_the_client(clock, run, rep_a, head_a, task_type):
    clock(sofia(2, 10))
    deal = new_deal(rep_a)
    activity_create(actor=rep_a, type=task_type, subject="Prepare the offer", deal=deal, done_at=sofia(2, 10))

    clock(sofia(2, 12, 1))
    assert run(untouched_leads_escalate) == (1, 0)


def test_lead_moved_out_of_the_first_stage_is_not_escalated(clock, run, rep_a, head_a, pipeline):
    clock(sofia(2, 10))
    deal = new_deal(rep_a)
    deal_move(actor=rep_a, deal=deal, stage=Stage.objects.get(pipeline=pipeline, name="Qualified"))

    clock(sofia(3, 17))
    assert run(untouched_leads_escalate) == (0, 0)


def test_trashed_lead_is_not_escalated(clock, run, rep_a, head_a):
    from tandem.deals.services import deal_trash

    clock(sofia(2, 10))
    deal_trash(actor=rep_a, deal=new_deal(rep_a))

    clock(sofia(3, 17))
    assert run(untouched_leads_escalate) == (0, 0)


def test_lead_thresholds_come_from_the_pipeline(clock, run, rep_a, head_a, pipeline):
    Pipeline.objects.filter(pk=pipeline.pk).update(
        lead_sla_hours=Decimal("0.5"), lead_escalate_hours=Decimal("1.25")
    )
    clock(sofia(2, 10))
    new_deal(rep_a)

    clock(sofia(2, 10, 30))
    assert run(untouched_leads_escalate) == (0, 0)
    clock(sofia(2, 10, 31))
    assert run(untouched_leads_escalate) == (1, 0)
    assert Notification.objects.get().body.endswith("within 0.5 working hours.")
    clock(sofia(2, 11, 16))
    assert run(untouched_leads_escalate) == (0, 1)


def test_lead_in_a_team_without_head_goes_to_every_active_admin(clock, run, rep_b, admin):
    second_admin = make_admin("admin2@example.com", name="Second Admin")
    make_admin("gone@example.com", active=False)
    clock(sofia(2, 10))
    deal = new_deal(rep_b)

    clock(sofia(2, 14, 1))
    assert run(untouched_leads_escalate) == (1, 1)

    assert notices() == [
        ("rep.b@example.com", "lead_untouched", f"lead-untouched:{deal.pk}"),
        ("admin@example.com", "lead_escalated", f"lead-escalated:{deal.pk}"),
        (second_admin.email, "lead_escalated", f"lead-escalated:{deal.pk}"),
    ]
    [_owner_event, head_event] = notified_events(deal)
    assert head_event.changes[1] == {"field": "recipients", "old": None, "new": ["Ada Admin", "Second Admin"]}


def test_lead_of_the_head_themselves_goes_to_the_admins(clock, run, head_a, admin):
    clock(sofia(2, 10))
    deal = new_deal(head_a)

    clock(sofia(2, 14, 1))
    run(untouched_leads_escalate)

    assert notices() == [
        ("head.a@example.com", "lead_untouched", f"lead-untouched:{deal.pk}"),
        ("admin@example.com", "lead_escalated", f"lead-escalated:{deal.pk}"),
    ]


def test_lead_rules_use_the_first_open_stage_of_active_pipelines(db, pipeline):
    first = Stage.objects.get(pipeline=pipeline, name="New request")
    Stage.objects.filter(pk=first.pk).update(is_archived=True)
    Pipeline.objects.filter(name="Repeat sales").update(is_active=False)

    [rule] = lead_rules()

    assert rule.pipeline_id == pipeline.pk
    assert rule.stage_id == Stage.objects.get(pipeline=pipeline, name="Qualified").pk
    assert (rule.sla_hours, rule.escalate_hours) == (Decimal("2"), Decimal("4"))


# --- 3. missed callbacks ---------------------------------------------------------------------------


def test_missed_call_tells_the_head_after_the_configured_minutes(clock, run, rep_a, head_a, call_type):
    clock(sofia(2, 9))
    deal = new_deal(rep_a)
    call = plan(rep_a, call_type, "Call back about the offer", due=sofia(2, 11), deal=deal)

    clock(sofia(2, 11, 30))
    assert run(missed_calls_escalate) == 0
    clock(sofia(2, 11, 31))
    assert run(missed_calls_escalate) == 1
    assert run(missed_calls_escalate) == 0

    notification = Notification.objects.get(kind=Notification.Kind.CALL_MISSED)
    assert (notification.recipient, notification.key) == (
        head_a,
        f"call-missed:{call.pk}:{stamp(sofia(2, 11))}",
    )
    assert notification.title == "Missed call: Call back about the offer (Rita Rep)"
    assert notification.body == (
        "Rita Rep planned this call for 06/02/2025 11 a.m. and has not marked it done.\nAbout: Big order"
    )
    call.refresh_from_db()
    assert call.escalated_at == sofia(2, 11, 31)
    [event] = notified_events(call)
    assert (event.parent_id, event.changes[0]["kind"]) == (deal.pk, "call_missed")
    assert [message.to for message in mail.outbox] == [["head.a@example.com"]]


def test_missed_call_minutes_come_from_the_work_schedule(clock, run, rep_a, head_a, call_type):
    WorkSchedule.objects.filter(pk=WorkSchedule.current().pk).update(missed_call_minutes=90)
    clock(sofia(2, 9))
    plan(rep_a, call_type, "Call", due=sofia(2, 11), deal=new_deal(rep_a))

    clock(sofia(2, 12, 30))
    assert run(missed_calls_escalate) == 0
    clock(sofia(2, 12, 31))
    assert run(missed_calls_escalate) == 1


def test_overdue_task_or_done_call_is_not_a_missed_call(clock, run, rep_a, head_a, call_type, task_type):
    clock(sofia(2, 9))
    deal = new_deal(rep_a)
    plan(rep_a, task_type, "Prepare the offer", due=sofia(2, 10), deal=deal)
    done = plan(rep_a, call_type, "Call", due=sofia(2, 10), deal=deal)
    clock(sofia(2, 10, 5))
    activity_done(actor=rep_a, activity=done)

    clock(sofia(2, 15))
    assert run(missed_calls_escalate) == 0
    assert Notification.objects.count() == 0


def test_rescheduled_call_escalates_again_when_missed_again(clock, run, rep_a, head_a, call_type):
    clock(sofia(2, 9))
    call = plan(rep_a, call_type, "Call", due=sofia(2, 11), deal=new_deal(rep_a))
    clock(sofia(2, 11, 31))
    run(missed_calls_escalate)
    clock(sofia(2, 12))
    activity_update(actor=rep_a, activity=call, data={"due_at": sofia(2, 15)})

    clock(sofia(2, 15, 30))
    assert run(missed_calls_escalate) == 0
    clock(sofia(2, 15, 31))
    assert run(missed_calls_escalate) == 1

    assert notices() == [
        ("head.a@example.com", "call_missed", f"call-missed:{call.pk}:{stamp(sofia(2, 11))}"),
        ("head.a@example.com", "call_missed", f"call-missed:{call.pk}:{stamp(sofia(2, 15))}"),
    ]
    assert len(notified_events(call)) == 2


def test_missed_call_of_a_rep_without_head_goes_to_the_admins(clock, run, rep_b, admin, call_type):
    clock(sofia(2, 9))
    plan(rep_b, call_type, "Call", due=sofia(2, 11), deal=new_deal(rep_b))

    clock(sofia(2, 11, 31))
    run(missed_calls_escalate)

    assert [email for email, _kind, _key in notices()] == ["admin@example.com"]


def test_call_missed_more_than_a_week_ago_is_not_announced_any_more(clock, run, rep_a, head_a, call_type):
    clock(sofia(2, 9))
    plan(rep_a, call_type, "Call", due=sofia(2, 11), deal=new_deal(rep_a))

    clock(sofia(9, 11, 31))
    assert run(missed_calls_escalate) == 0


# --- 4. stuck deals --------------------------------------------------------------------------------


def test_stuck_deal_tells_the_owner_once_per_stage_entry(clock, run, rep_a, pipeline):
    # "New request" allows 2 days, "Qualified" 5.
    clock(sofia(2, 10))
    deal = new_deal(rep_a)

    clock(sofia(4, 10))
    assert run(stuck_deals_notify) == 0
    clock(sofia(4, 10, 1))
    assert run(stuck_deals_notify) == 1
    assert run(stuck_deals_notify) == 0
    clock(sofia(4, 11))
    deal_move(actor=rep_a, deal=deal, stage=Stage.objects.get(pipeline=pipeline, name="Qualified"))
    clock(sofia(9, 11))
    assert run(stuck_deals_notify) == 0
    clock(sofia(9, 11, 1))
    assert run(stuck_deals_notify) == 1

    assert notices() == [
        ("rep.a@example.com", "deal_stuck", f"deal-stuck:{deal.pk}:{stamp(sofia(2, 10))}"),
        ("rep.a@example.com", "deal_stuck", f"deal-stuck:{deal.pk}:{stamp(sofia(4, 11))}"),
    ]
    first = Notification.objects.order_by("id").first()
    assert first.title == "Deal stuck in “New request”: Big order"
    assert (
        first.body
        == "The deal has been in this stage since 06/02/2025 10 a.m., longer than the 2 days allowed."
    )
    assert len(notified_events(deal)) == 2


def test_deal_stuck_long_ago_is_left_to_the_digest(clock, run, rep_a):
    clock(sofia(2, 10))
    new_deal(rep_a)

    clock(sofia(7, 10))  # stuck since the 4th: more than two days ago
    assert run(stuck_deals_notify) == 0


# --- 5. the daily digest ---------------------------------------------------------------------------


@pytest.fixture
def rep_day(clock, rep_a, call_type, task_type):
    """Rita's Tuesday 3 June: a call today, a task overdue since Monday, a deal stuck since Wednesday."""
    clock(sofia(2, 9))
    deal = new_deal(rep_a, "Old request")
    Deal.objects.filter(pk=deal.pk).update(stage_entered_at=sofia(28, 9, month=5))
    plan(rep_a, call_type, "Call the buyer", due=sofia(3, 11), deal=deal)
    plan(rep_a, task_type, "Prepare the offer", due=sofia(2, 15), deal=deal)
    plan(rep_a, task_type, "Next week", due=sofia(10, 15), deal=deal)
    return deal


def test_digest_goes_out_at_the_digest_hour_once_per_local_day(clock, run, rep_a, rep_day):
    clock(sofia(3, 7, 59))
    assert run(digests_send) == 0
    clock(sofia(3, 8))
    assert run(digests_send) == 1
    clock(sofia(3, 8, 30))
    assert run(digests_send) == 0
    clock(sofia(3, 9))
    assert run(digests_send) == 0
    clock(sofia(4, 8, 1))
    assert run(digests_send) == 1

    assert notices() == [
        ("rep.a@example.com", "digest", "digest:2025-06-03"),
        ("rep.a@example.com", "digest", "digest:2025-06-04"),
    ]
    assert len(mail.outbox) == 2


def test_digest_lists_todays_plan_overdue_items_and_stuck_deals(clock, run, rep_a, rep_day):
    clock(sofia(3, 8))
    run(digests_send)

    notification = Notification.objects.get()
    assert notification.title == "Your day, June 3, 2025"
    assert notification.url == "/my-day/"
    text = notification.body
    base = "http://127.0.0.1:8000"
    call = Activity.objects.get(subject="Call the buyer")
    task = Activity.objects.get(subject="Prepare the offer")
    assert "Good morning, Rita!" in text
    assert (
        f"Planned for today\n- 11 a.m.  Call: Call the buyer — Old request\n  {base}/activities/{call.pk}/\n"
        in text
    )
    assert (
        "Overdue\n- 06/02/2025 3 p.m.  Task: Prepare the offer — Old request\n"
        f"  {base}/activities/{task.pk}/\n" in text
    )
    assert (
        f"Stuck deals\n- Old request — in “New request” since 05/28/2025\n  {base}/deals/{rep_day.pk}/\n"
        in text
    )
    assert "Next week" not in text
    [email] = mail.outbox
    assert email.subject == "Your day, June 3, 2025"
    assert email.to == ["rep.a@example.com"]
    assert email.body == text
    [(html, mime)] = email.alternatives
    assert mime == "text/html"
    assert f'<a href="{base}/activities/{call.pk}/" style="color:#0d6efd;">Call: Call the buyer</a>' in html
    assert f'<a href="{base}/deals/{rep_day.pk}/" style="color:#0d6efd;">Old request</a>' in html
    assert "Stuck deals" in html and "Overdue" in html


def test_digest_is_in_the_recipients_language_and_time_zone(clock, run, rep_a, rep_day):
    User.objects.filter(pk=rep_a.pk).update(language="bg", time_zone="America/New_York")
    clock(sofia(3, 8))
    assert run(digests_send) == 0  # 01:00 in New York
    clock(sofia(3, 15))  # 08:00 in New York
    assert run(digests_send) == 1

    notification = Notification.objects.get()
    assert notification.key == "digest:2025-06-03"
    assert "03 Юни 2025" in notification.title
    # The call at 11:00 in Sofia is at 04:00 in New York.
    assert "- 04:00  " in notification.body
    assert 'lang="bg"' in mail.outbox[0].alternatives[0][0]


def test_digest_of_a_head_lists_the_teams_stuck_deals(clock, run, rep_a, head_a, rep_b, rep_day):
    clock(sofia(2, 9))
    other_team = new_deal(rep_b, "Other team's deal")
    Deal.objects.filter(pk=other_team.pk).update(stage_entered_at=sofia(28, 9, month=5))
    clock(sofia(3, 8))

    assert run(digests_send) == 3

    head_digest = Notification.objects.get(recipient=head_a)
    assert "Stuck deals in your team\n- Old request — in “New request” since 05/28/2025, Rita Rep\n" in (
        head_digest.body
    )
    assert "Other team's deal" not in head_digest.body
    assert "Nothing is planned for today." in head_digest.body
    assert "Other team's deal" in Notification.objects.get(recipient=rep_b).body


def test_digest_sections_are_bounded_with_and_n_more(clock, run, rep_a, task_type):
    clock(sofia(2, 9))
    deal = new_deal(rep_a)
    for number in range(SECTION_SIZE + 5):
        plan(rep_a, task_type, f"Task {number:02d}", due=sofia(2, 10), deal=deal)
    clock(sofia(3, 8))

    run(digests_send)

    text = Notification.objects.get().body
    assert text.count("Task: Task ") == SECTION_SIZE
    assert "Task 49" in text and "Task 50" not in text
    assert "and 5 more" in text


def test_no_digest_on_weekends_holidays_or_when_there_is_nothing_to_say(clock, run, rep_a, rep_day, readonly):
    Holiday.objects.create(date=datetime.date(2025, 6, 5))
    for moment in (sofia(7, 8), sofia(8, 8), sofia(5, 8)):
        clock(moment)
        assert run(digests_send) == 0, moment
    clock(sofia(6, 8))
    assert run(digests_send) == 1  # Rita, not the read-only user with an empty day

    assert notices() == [("rep.a@example.com", "digest", "digest:2025-06-06")]


def test_digest_hour_comes_from_the_work_schedule(clock, run, rep_a, rep_day):
    WorkSchedule.objects.filter(pk=WorkSchedule.current().pk).update(digest_hour=7)
    clock(sofia(3, 8))
    assert run(digests_send) == 0
    clock(sofia(4, 7))
    assert run(digests_send) == 1


def test_digest_check_when_nobody_is_due_is_two_queries(clock, rep_a, rep_day, django_assert_num_queries):
    clock(sofia(3, 10))
    WorkSchedule.current()
    calendar = escalation.work_calendar()

    with django_assert_num_queries(2):  # the schedule, the users
        assert digests_send(calendar=calendar) == 0


def test_digests_for_many_users_are_a_bounded_number_of_queries(
    clock, run, rep_a, rep_a2, head_a, rep_day, django_assert_max_num_queries
):
    clock(sofia(3, 8))

    with django_assert_max_num_queries(60):
        assert run(digests_send) == 2


# --- the sweep, its queries and the periodic tasks -------------------------------------------------


def test_escalation_sweep_runs_every_rule_and_counts_what_it_sent(
    clock, run, rep_a, head_a, call_type, task_type
):
    clock(sofia(31, 8, month=5))
    stuck = new_deal(rep_a, "Stuck")  # "New request" allows two days: stuck since 2 June 08:00
    Deal.objects.filter(pk=stuck.pk).update(first_touch_at=sofia(31, 8, month=5))
    clock(sofia(2, 8, 30))
    lead = new_deal(rep_a, "Lead")
    plan(rep_a, call_type, "Missed", due=sofia(2, 8, 45), deal=lead, remind_at=sofia(2, 8, 40))

    clock(sofia(3, 8, 0))
    counts = run(escalation_sweep)

    assert counts == SweepCounts(
        reminders=1, leads_untouched=1, leads_escalated=1, calls_missed=1, deals_stuck=1, digests=2
    )
    assert counts.total == 7
    assert run(escalation_sweep) == SweepCounts()


def test_sweep_with_nothing_to_do_is_a_handful_of_queries(clock, rep_a, django_assert_max_num_queries):
    clock(sofia(2, 10))
    new_deal(rep_a)
    clock(sofia(2, 11))
    WorkSchedule.current()  # the row exists after the first run

    with django_assert_max_num_queries(11):
        assert escalation_sweep() == SweepCounts()


def _plan_text(queryset) -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.explain()


def test_sweep_candidates_come_from_the_partial_indexes(clock, rep_a, pipeline):
    now = sofia(2, 12)
    call_types = [ActivityType.objects.get(kind="call").pk]

    assert "activity_remind_idx" in _plan_text(reminder_candidates(now).values("pk")[:500])
    assert "activity_overdue_idx" in _plan_text(missed_call_candidates(now, call_types).values("pk")[:500])
    assert "deal_untouched_idx" in _plan_text(untouched_lead_candidates(now, lead_rules()).values("pk")[:500])
    assert "stagechange_to_idx" in _plan_text(stuck_deal_candidates(now).values("pk")[:500])


def test_periodic_tasks_run_the_rules(clock, run, rep_a, head_a, call_type):
    clock(sofia(2, 9))
    deal = new_deal(rep_a)
    plan(rep_a, call_type, "Call", due=sofia(2, 11), deal=deal, remind_at=sofia(2, 10))
    clock(sofia(2, 14, 1))

    for task in (
        tasks.reminders_every_minute,
        tasks.untouched_leads_every_minute,
        tasks.missed_calls_every_minute,
        tasks.digests_every_minute,
        tasks.stuck_deals_hourly,
    ):
        run(task.call_local)

    assert sorted(kind for _email, kind, _key in notices()) == [
        "call_missed",
        "lead_escalated",
        "lead_untouched",
        "reminder",
    ]


def test_periodic_tasks_are_scheduled_every_minute_and_hourly():
    from huey.contrib.djhuey import HUEY

    def scheduled_at(moment: datetime.datetime) -> list[str]:
        return sorted(
            type(task).__name__
            for task in HUEY.read_periodic(moment)
            if type(task).__module__ == tasks.__name__
        )

    every_minute = ["digests_every_minute", "missed_calls_every_minute", "reminders_every_minute"]
    every_minute.insert(3, "untouched_leads_every_minute")
    assert scheduled_at(datetime.datetime(2025, 6, 2, 10, 3)) == every_minute
    assert scheduled_at(datetime.datetime(2025, 6, 2, 10, 7)) == sorted([*every_minute, "stuck_deals_hourly"])
