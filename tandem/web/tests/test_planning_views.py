"""My day and the calendar: whose plan each role may open, one-click done and reschedule, the calendar's
events and drops, the iCal feed and its token on the profile page; bad input never a 500."""

from __future__ import annotations

import datetime
import re
import zoneinfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from tandem.accounts.models import User
from tandem.activities.calendar_feed import calendar_feed_create
from tandem.activities.models import Activity, ActivityType, CalendarFeed, Outcome
from tandem.activities.services import activity_create, activity_done, activity_trash
from tandem.core.models import WorkSchedule
from tandem.history.models import Event
from tandem.web.tests.deal_helpers import make_deal

SOFIA = zoneinfo.ZoneInfo("Europe/Sofia")
NOW = datetime.datetime(2030, 1, 16, 12, 0, tzinfo=SOFIA)  # a Wednesday


def at(day: int, hour: int, minute: int = 0, month: int = 1) -> datetime.datetime:
    return datetime.datetime(2030, month, day, hour, minute, tzinfo=SOFIA)


def activity_type(kind: str = "call") -> ActivityType:
    return ActivityType.objects.get(kind=kind)


def plan(
    assignee: User, subject: str, due: datetime.datetime, *, author: User | None = None, **links
) -> Activity:
    """A planned activity of `assignee`, written by `author` (the assignee by default)."""
    if not links:
        raise ValueError("link the activity to a deal, contact or company")
    return activity_create(
        actor=author or assignee,
        type=activity_type(links.pop("kind", "call")),
        subject=subject,
        assignee=assignee,
        due_at=due,
        **links,
    )


def section_ids(html: str, key: str) -> list[int]:
    """The activity ids listed in one section of My day, in page order."""
    match = re.search(rf'day-section-{key}".*?</section>', html, re.S)
    return [int(pk) for pk in re.findall(r'data-activity="(\d+)"', match.group(0))] if match else []


def snapshot(activity: Activity) -> tuple:
    activity.refresh_from_db()
    return (
        activity.due_at,
        activity.done_at,
        activity.outcome_id,
        activity.duration_minutes,
        activity.updated_at,
    )


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def ivan(rep_a, make_contact):
    return make_contact(rep_a, "Ivan", "Petrov")


@pytest.fixture
def boris_client(rep_b, make_contact):
    return make_contact(rep_b, "Boyan", "Kolev")


def login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


# --- anonymous -----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_and_changes_nothing(client, frozen, rep_a, ivan):
    call = plan(rep_a, "Call Ivan", at(16, 15), contact=ivan)
    before = snapshot(call)
    for url in ["/my-day/", "/calendar/", f"/my-day/{call.pk}/done/", f"/my-day/{call.pk}/reschedule/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/")
    assert client.post(f"/my-day/{call.pk}/done/", {"note": "x"}).status_code == 302
    assert client.post(f"/my-day/{call.pk}/reschedule/", {"when": "tomorrow"}).status_code == 302
    events = client.get("/calendar/events/", {"start": "2030-01-14T00:00:00+02:00", "end": "2030-01-21"})
    assert events.status_code == 401
    moved = client.post(f"/calendar/events/{call.pk}/move/", {"start": "2030-01-17T10:00:00+02:00"})
    assert moved.status_code == 401
    assert snapshot(call) == before


def test_home_is_my_day_for_signed_in_users(client, rep_a):
    login(client, rep_a)
    response = client.get("/")
    assert (response.status_code, response["Location"]) == (302, "/my-day/")


# --- My day --------------------------------------------------------------------------------------


def test_my_day_lists_overdue_today_and_the_next_seven_days_in_order(client, frozen, rep_a, rep_a2, ivan):
    overdue_old = plan(rep_a, "Send the offer", at(10, 9), contact=ivan)
    overdue_today = plan(rep_a, "Morning call", at(16, 9), contact=ivan)
    later_today = plan(rep_a, "Evening call", at(16, 18), contact=ivan)
    early_today = plan(rep_a, "Lunch meeting", at(16, 12, 30), contact=ivan, kind="meeting")
    tomorrow = plan(rep_a, "Follow up", at(17, 10), contact=ivan)
    next_week = plan(rep_a, "Check payment", at(23, 17), contact=ivan)
    plan(rep_a, "Too far ahead", at(24, 9), contact=ivan)
    done = plan(rep_a, "Already done", at(16, 14), contact=ivan)
    activity_done(actor=rep_a, activity=done)
    trashed = plan(rep_a, "Trashed", at(16, 15), contact=ivan)
    activity_trash(actor=rep_a, activity=trashed)
    plan(rep_a2, "Colleague's call", at(16, 16), contact=ivan, author=rep_a)

    response = login(client, rep_a).get("/my-day/")

    assert response.status_code == 200
    html = response.content.decode()
    # Today's list starts at midnight: the 09:00 call is already late but still today's.
    assert section_ids(html, "overdue") == [overdue_old.pk]
    assert section_ids(html, "today") == [overdue_today.pk, early_today.pk, later_today.pk]
    assert section_ids(html, "upcoming") == [tomorrow.pk, next_week.pk]
    for hidden in ["Too far ahead", "Already done", "Trashed", "Colleague&#x27;s call"]:
        assert hidden not in html
    assert "Whose day" not in html  # a rep has no switcher


def test_each_item_links_to_its_card(client, frozen, rep_a, ivan, make_company):
    deal = make_deal(rep_a, "Printer fleet")
    acme = make_company(rep_a, "Acme")
    plan(rep_a, "Deal call", at(16, 14), deal=deal)
    plan(rep_a, "Contact call", at(16, 15), contact=ivan)
    plan(rep_a, "Company call", at(16, 16), company=acme)

    html = login(client, rep_a).get("/my-day/").content.decode()

    assert f'href="/deals/{deal.pk}/">Deal call</a>' in html
    assert f'href="/contacts/{ivan.pk}/">Contact call</a>' in html
    assert f'href="/companies/{acme.pk}/">Company call</a>' in html


def test_a_rep_cannot_open_a_colleagues_day(client, frozen, rep_a, rep_a2, rep_b, ivan):
    plan(rep_a2, "Ravi's secret call", at(16, 15), contact=ivan, author=rep_a)
    plan(rep_a, "Rita's call", at(16, 15), contact=ivan)
    login(client, rep_a)
    for value in [rep_a2.pk, rep_b.pk, "abc", "all", 999999]:
        response = client.get("/my-day/", {"user": value})
        assert response.status_code == 404, value
    own = client.get("/my-day/", {"user": rep_a.pk})
    assert own.status_code == 200
    assert "Rita&#x27;s call" in own.content.decode()


def test_the_head_of_sales_switches_to_a_team_members_day(
    client, frozen, head_a, rep_a, rep_b, ivan, boris_client
):
    plan(rep_a, "Rita's call", at(16, 15), contact=ivan)
    plan(rep_b, "Boris's call", at(16, 15), contact=boris_client)
    login(client, head_a)

    own = client.get("/my-day/").content.decode()
    assert "Whose day" in own
    assert f'<option value="{rep_a.pk}">Rita Rep</option>' in own
    assert "Boris Rep" not in own

    team_member = client.get("/my-day/", {"user": rep_a.pk})
    assert team_member.status_code == 200
    html = team_member.content.decode()
    assert "Day of Rita Rep" in html
    assert "Rita&#x27;s call" in html
    assert client.get("/my-day/", {"user": rep_b.pk}).status_code == 404


def test_an_admin_opens_anyones_day(client, frozen, admin, rep_b, boris_client):
    plan(rep_b, "Boris's call", at(16, 15), contact=boris_client)
    response = login(client, admin).get("/my-day/", {"user": rep_b.pk})
    assert response.status_code == 200
    assert "Boris&#x27;s call" in response.content.decode()


def test_done_asks_for_the_outcome_then_marks_the_activity_done(client, frozen, rep_a, ivan):
    call = plan(rep_a, "Call Ivan", at(16, 11), contact=ivan)
    reached = Outcome.objects.get(name="Reached")
    login(client, rep_a)

    form = client.get(f"/my-day/{call.pk}/done/", HTTP_HX_REQUEST="true")
    assert form.status_code == 200
    html = form.content.decode()
    assert "<html" not in html
    assert f'<option value="{reached.pk}">Reached</option>' in html

    response = client.post(
        f"/my-day/{call.pk}/done/",
        {"outcome": reached.pk, "note": "Wants 20 printers"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert response["HX-Retarget"] == "#my-day"
    html = response.content.decode()
    assert "Done: Call Ivan" in html
    assert f'href="/contacts/{ivan.pk}/"' in html and "Plan the next step" in html
    call.refresh_from_db()
    assert (call.done_at, call.outcome, call.description) == (NOW, reached, "Wants 20 printers")
    assert section_ids(html, "overdue") == []


def test_done_without_javascript_goes_back_to_my_day(client, frozen, rep_a, ivan):
    call = plan(rep_a, "Call Ivan", at(16, 11), contact=ivan)
    login(client, rep_a)
    page = client.get(f"/my-day/{call.pk}/done/")
    assert page.status_code == 200
    assert "Mark “Call Ivan” done" in page.content.decode()

    response = client.post(f"/my-day/{call.pk}/done/", {"outcome": "", "note": ""})

    assert (response.status_code, response["Location"]) == (302, "/my-day/")
    call.refresh_from_db()
    assert call.done_at == NOW


def test_done_with_an_unknown_outcome_is_refused(client, frozen, rep_a, ivan):
    call = plan(rep_a, "Call Ivan", at(16, 11), contact=ivan)
    before = snapshot(call)
    response = login(client, rep_a).post(f"/my-day/{call.pk}/done/", {"outcome": "999999"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert snapshot(call) == before


@pytest.mark.parametrize(
    ("due", "when", "expected"),
    [
        (at(16, 15), "hour", at(16, 16)),  # a future item moves an hour later
        (at(15, 9), "hour", at(16, 13)),  # an overdue one an hour from now
        (at(16, 15), "tomorrow", at(17, 9)),
        (at(16, 15), "monday", at(21, 9)),
    ],
)
def test_quick_reschedule_choices(client, frozen, rep_a, ivan, due, when, expected):
    call = plan(rep_a, "Call Ivan", due, contact=ivan)
    response = login(client, rep_a).post(f"/my-day/{call.pk}/reschedule/", {"when": when})
    assert (response.status_code, response["Location"]) == (302, "/my-day/")
    call.refresh_from_db()
    assert call.due_at == expected
    assert Event.objects.filter(action=Event.Action.UPDATED, target_id=call.pk).count() == 1


def test_reschedule_to_a_picked_time_is_read_in_the_users_time_zone(client, frozen, rep_a, ivan):
    rep_a.time_zone = "Europe/Moscow"
    rep_a.save(update_fields=["time_zone"])
    call = plan(rep_a, "Call Ivan", at(16, 15), contact=ivan)
    response = login(client, rep_a).post(
        f"/my-day/{call.pk}/reschedule/",
        {"when": "custom", "due_at": "2030-02-03T10:30"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#my-day"
    call.refresh_from_db()
    assert call.due_at == datetime.datetime(2030, 2, 3, 10, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Moscow"))


@pytest.mark.parametrize(
    "data",
    [
        {"when": "custom", "due_at": "2030-13-45T25:00"},
        {"when": "custom", "due_at": ""},
        {"when": "custom"},
        {"when": "yesterday"},
        {},
    ],
)
def test_reschedule_with_bad_input_is_refused_without_a_server_error(client, frozen, rep_a, ivan, data):
    call = plan(rep_a, "Call Ivan", at(16, 15), contact=ivan)
    before = snapshot(call)
    login(client, rep_a)

    page = client.post(f"/my-day/{call.pk}/reschedule/", data)
    assert page.status_code == 400
    assert 'class="alert alert-danger"' in page.content.decode()

    fragment = client.post(f"/my-day/{call.pk}/reschedule/", data, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert "Could not move “Call Ivan”" in fragment.content.decode()
    assert snapshot(call) == before


def test_a_quick_choice_ignores_a_half_typed_picked_time(client, frozen, rep_a, ivan):
    call = plan(rep_a, "Call Ivan", at(16, 15), contact=ivan)
    login(client, rep_a).post(f"/my-day/{call.pk}/reschedule/", {"when": "tomorrow", "due_at": "2030-02"})
    call.refresh_from_db()
    assert call.due_at == at(17, 9)


def test_reschedule_uses_the_working_day_start(client, frozen, admin, rep_a, ivan):
    from tandem.core.services import work_schedule_update

    work_schedule_update(actor=admin, data={"day_starts": datetime.time(8, 30)})
    call = plan(rep_a, "Call Ivan", at(16, 15), contact=ivan)
    login(client, rep_a)
    assert "Tomorrow 8:30" in client.get("/my-day/").content.decode()
    client.post(f"/my-day/{call.pk}/reschedule/", {"when": "tomorrow"})
    call.refresh_from_db()
    assert call.due_at == at(17, 8, 30)


@pytest.mark.parametrize(
    ("role", "status"), [("rep_b", 404), ("rep_a2", 404), ("readonly", 403), ("marketer", 403)]
)
def test_who_may_not_change_an_activity_cannot_finish_or_move_it(
    client, frozen, rep_a, ivan, request, role, status
):
    call = plan(rep_a, "Call Ivan", at(16, 15), contact=ivan)
    before = snapshot(call)
    login(client, request.getfixturevalue(role))
    attempts = [
        client.get(f"/my-day/{call.pk}/done/"),
        client.post(f"/my-day/{call.pk}/done/", {"note": "hacked"}),
        client.post(f"/my-day/{call.pk}/reschedule/", {"when": "tomorrow"}),
        client.post(f"/my-day/{call.pk}/reschedule/", {"when": "tomorrow"}, HTTP_HX_REQUEST="true"),
    ]
    assert [response.status_code for response in attempts] == [status] * 4
    assert snapshot(call) == before


def test_readonly_sees_a_day_without_the_buttons(client, frozen, readonly, rep_a, ivan):
    call = plan(rep_a, "Call Ivan", at(16, 15), contact=ivan)
    html = login(client, readonly).get("/my-day/", {"user": rep_a.pk}).content.decode()
    assert "Call Ivan" in html
    assert f"/my-day/{call.pk}/done/" not in html
    assert f"/my-day/{call.pk}/reschedule/" not in html


def test_the_head_of_sales_finishes_a_team_members_call_from_their_day(client, frozen, head_a, rep_a, ivan):
    call = plan(rep_a, "Call Ivan", at(16, 11), contact=ivan)
    login(client, head_a)
    html = client.get("/my-day/", {"user": rep_a.pk}).content.decode()
    assert f"/my-day/{call.pk}/done/?user={rep_a.pk}" in html

    response = client.post(f"/my-day/{call.pk}/done/", {"user": rep_a.pk}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "Day of Rita Rep" in response.content.decode()
    call.refresh_from_db()
    assert call.done_at == NOW


def test_my_day_query_count_does_not_grow_with_the_items(
    client, frozen, rep_a, ivan, django_assert_max_num_queries
):
    deal = make_deal(rep_a, "Printer fleet")
    for index in range(30):
        plan(
            rep_a,
            f"Call {index}",
            at(10 + index % 12, 9 + index % 8),
            contact=ivan if index % 2 else None,
            deal=deal,
        )
    WorkSchedule.current()  # the first read of an instance creates the row
    login(client, rep_a)
    with django_assert_max_num_queries(10):
        response = client.get("/my-day/")
    assert len(re.findall(r'data-activity="\d+"', response.content.decode())) == 30


def test_my_day_of_a_team_member_query_count(
    client, frozen, head_a, rep_a, ivan, django_assert_max_num_queries
):
    for index in range(20):
        plan(rep_a, f"Call {index}", at(12 + index % 8, 9 + index % 8), contact=ivan)
    WorkSchedule.current()
    login(client, head_a)
    with django_assert_max_num_queries(13):
        response = client.get("/my-day/", {"user": rep_a.pk})
    assert len(re.findall(rf'hx-get="/my-day/\d+/done/\?user={rep_a.pk}"', response.content.decode())) == 20


# --- the calendar page (works without JavaScript) ------------------------------------------------


def test_the_calendar_page_lists_the_week_for_browsers_without_javascript(client, frozen, rep_a, ivan):
    plan(rep_a, "Monday call", at(14, 10), contact=ivan)
    plan(rep_a, "Sunday call", at(20, 10), contact=ivan)
    plan(rep_a, "Next week call", at(21, 10), contact=ivan)

    response = login(client, rep_a).get("/calendar/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Monday call" in html and "Sunday call" in html
    assert "Next week call" not in html
    assert 'data-events-url="/calendar/events/"' in html
    assert 'data-view="week"' in html and 'data-date="2030-01-16"' in html
    assert "vendor/fullcalendar/index.global.min.js" in html
    assert "tandem/calendar.js" in html

    month = client.get("/calendar/", {"view": "month", "date": "2030-01-01"}).content.decode()
    assert "Next week call" in month and "Monday call" in month


def test_the_calendar_loads_fullcalendars_locale_for_bulgarian_and_russian(client, frozen, rep_a):
    for language in ["bg", "ru"]:
        rep_a.language = language
        rep_a.save(update_fields=["language"])
        html = login(client, rep_a).get("/calendar/").content.decode()
        assert f"vendor/fullcalendar/locales/{language}.global.min.js" in html
        assert f'data-locale="{language}"' in html


@pytest.mark.parametrize("date", ["2030-02-30", "yesterday", "99999-01-01", "2030-1-1'"])
def test_an_invalid_date_on_the_calendar_page_shows_the_current_week(client, frozen, rep_a, ivan, date):
    plan(rep_a, "Wednesday call", at(16, 10), contact=ivan)
    response = login(client, rep_a).get("/calendar/", {"date": date, "view": "decade"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "The date in the address is not valid" in html
    assert "Wednesday call" in html


def test_a_rep_cannot_open_a_colleagues_calendar(client, frozen, rep_a, rep_a2, ivan):
    plan(rep_a2, "Ravi's call", at(16, 15), contact=ivan, author=rep_a)
    login(client, rep_a)
    assert client.get("/calendar/", {"user": rep_a2.pk}).status_code == 404
    assert client.get("/calendar/", {"user": "all"}).status_code == 404
    html = client.get("/calendar/").content.decode()
    assert "Ravi" not in html
    assert "Whose calendar" not in html


# --- the calendar's events -----------------------------------------------------------------------

WEEK = {"start": "2030-01-14T00:00:00+02:00", "end": "2030-01-21T00:00:00+02:00"}


def test_calendar_events_are_the_planned_activities_of_the_period(client, frozen, rep_a, ivan):
    deal = make_deal(rep_a, "Printer fleet")
    call = plan(rep_a, "Call Ivan", at(15, 10), contact=ivan)
    meeting = activity_create(
        actor=rep_a,
        type=activity_type("meeting"),
        subject="Demo",
        deal=deal,
        due_at=at(17, 14),
        duration_minutes=90,
    )
    plan(rep_a, "Before", at(13, 23, 59), contact=ivan)
    plan(rep_a, "After", at(21, 0), contact=ivan)

    response = login(client, rep_a).get("/calendar/events/", WEEK)

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": str(call.pk),
            "title": "Call Ivan",
            "start": "2030-01-15T10:00:00+02:00",
            "end": "2030-01-15T10:30:00+02:00",
            "url": f"/contacts/{ivan.pk}/",
            "editable": True,
            "classNames": ["activity-kind-call", "activity-overdue"],
            "extendedProps": {
                "type": "Call",
                "icon": "bi-telephone",
                "card": "Ivan Petrov",
                "assignee": "Rita Rep",
                "moveUrl": f"/calendar/events/{call.pk}/move/",
            },
        },
        {
            "id": str(meeting.pk),
            "title": "Demo",
            "start": "2030-01-17T14:00:00+02:00",
            "end": "2030-01-17T15:30:00+02:00",
            "url": f"/deals/{deal.pk}/",
            "editable": True,
            "classNames": ["activity-kind-meeting"],
            "extendedProps": {
                "type": "Meeting",
                "icon": "bi-people",
                "card": "Printer fleet",
                "assignee": "Rita Rep",
                "moveUrl": f"/calendar/events/{meeting.pk}/move/",
            },
        },
    ]


def test_calendar_events_accept_the_forms_fullcalendar_sends(client, frozen, rep_a, ivan):
    plan(rep_a, "Call Ivan", at(15, 10), contact=ivan)
    login(client, rep_a)
    for start, end in [
        ("2030-01-14T00:00:00Z", "2030-01-21T00:00:00Z"),
        ("2030-01-14T00:00:00 02:00", "2030-01-21T00:00:00 02:00"),  # an unencoded "+"
        ("2030-01-14", "2030-01-21"),
    ]:
        response = client.get("/calendar/events/", {"start": start, "end": end})
        assert response.status_code == 200, start
        assert [event["title"] for event in response.json()] == ["Call Ivan"]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"start": "2030-01-14"},
        {"start": "soon", "end": "2030-01-21"},
        {"start": "2030-01-21", "end": "2030-01-14"},
        {"start": "2030-01-01", "end": "2031-01-01"},
        {"start": "2030-02-30T00:00:00", "end": "2030-03-05"},
        {"start": "2030-01-14T00:00:00+99:00", "end": "2030-01-21"},
    ],
)
def test_calendar_events_with_a_bad_period_are_a_clear_400(client, rep_a, params):
    response = login(client, rep_a).get("/calendar/events/", params)
    assert response.status_code == 400
    assert response.json()["error"] == "Invalid period."


def test_a_reps_calendar_never_shows_a_colleagues_activities(client, frozen, rep_a, rep_a2, ivan):
    own = plan(rep_a, "Rita's call", at(15, 10), contact=ivan)
    plan(rep_a2, "Task for Ravi", at(15, 11), contact=ivan, author=rep_a)
    login(client, rep_a)
    assert [event["id"] for event in client.get("/calendar/events/", WEEK).json()] == [str(own.pk)]
    for value in [rep_a2.pk, "all", "x"]:
        response = client.get("/calendar/events/", {**WEEK, "user": value})
        assert response.status_code == 404, value
        assert response.json()["error"] == "You cannot see this calendar."


def test_the_head_of_sales_sees_the_whole_team_with_names(
    client, frozen, head_a, rep_a, rep_a2, rep_b, ivan, boris_client
):
    first = plan(rep_a, "Rita's call", at(15, 10), contact=ivan)
    second = plan(rep_a2, "Ravi's call", at(15, 11), contact=ivan, author=rep_a)
    plan(rep_b, "Boris's call", at(15, 12), contact=boris_client)
    login(client, head_a)

    team = client.get("/calendar/events/", {**WEEK, "user": "all"}).json()
    assert [(event["id"], event["title"], event["editable"]) for event in team] == [
        (str(first.pk), "Rita's call · Rita Rep", True),
        (str(second.pk), "Ravi's call · Ravi Rep", True),
    ]
    one = client.get("/calendar/events/", {**WEEK, "user": rep_a2.pk}).json()
    assert [event["title"] for event in one] == ["Ravi's call"]
    assert client.get("/calendar/events/", {**WEEK, "user": rep_b.pk}).status_code == 404


def test_readonly_sees_events_it_cannot_drag(client, frozen, readonly, rep_a, ivan):
    plan(rep_a, "Rita's call", at(15, 10), contact=ivan)
    events = login(client, readonly).get("/calendar/events/", {**WEEK, "user": "all"}).json()
    assert [(event["title"], event["editable"]) for event in events] == [("Rita's call · Rita Rep", False)]


def test_calendar_events_query_count(
    client, frozen, head_a, rep_a, rep_a2, ivan, django_assert_max_num_queries
):
    deal = make_deal(rep_a, "Printer fleet")
    for index in range(30):
        assignee = rep_a if index % 2 else rep_a2
        plan(
            assignee,
            f"Call {index}",
            at(14 + index % 7, 8 + index % 10),
            contact=ivan,
            deal=deal,
            author=rep_a,
        )
    login(client, head_a)
    with django_assert_max_num_queries(9):
        response = client.get("/calendar/events/", {**WEEK, "user": "all"})
    assert len(response.json()) == 30


# --- dropping an event ---------------------------------------------------------------------------


def test_a_drop_moves_the_activity_and_records_it(client, frozen, rep_a, ivan):
    call = plan(rep_a, "Call Ivan", at(15, 10), contact=ivan)
    response = login(client, rep_a).post(
        f"/calendar/events/{call.pk}/move/", {"start": "2030-01-17T12:00:00.000Z"}
    )
    assert response.status_code == 200
    assert response.json()["start"] == "2030-01-17T14:00:00+02:00"
    call.refresh_from_db()
    assert (call.due_at, call.duration_minutes) == (at(17, 14), None)
    event = Event.objects.get(action=Event.Action.UPDATED, target_id=call.pk)
    assert [change["field"] for change in event.changes] == ["due_at"]


def test_a_resize_sets_the_duration(client, frozen, rep_a, ivan):
    call = plan(rep_a, "Call Ivan", at(15, 10), contact=ivan)
    response = login(client, rep_a).post(
        f"/calendar/events/{call.pk}/move/",
        {"start": "2030-01-15T10:00:00+02:00", "end": "2030-01-15T11:15:00+02:00"},
    )
    assert response.status_code == 200
    call.refresh_from_db()
    assert (call.due_at, call.duration_minutes) == (at(15, 10), 75)


def test_a_drop_needs_the_csrf_token(rep_a, ivan, frozen):
    call = plan(rep_a, "Call Ivan", at(15, 10), contact=ivan)
    before = snapshot(call)
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep_a)
    response = client.post(f"/calendar/events/{call.pk}/move/", {"start": "2030-01-17T10:00:00+02:00"})
    assert response.status_code == 403
    assert snapshot(call) == before
    client.get("/calendar/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        f"/calendar/events/{call.pk}/move/", {"start": "2030-01-17T10:00:00+02:00"}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"start": "tomorrow"},
        {"start": "2030-02-30T10:00:00"},
        {"start": "2030-01-17T10:00:00+02:00", "end": "2030-01-17T09:00:00+02:00"},
        {"start": "2030-01-17T10:00:00+02:00", "end": "2030-03-17T09:00:00+02:00"},
    ],
)
def test_a_drop_with_bad_times_is_a_clear_400(client, frozen, rep_a, ivan, data):
    call = plan(rep_a, "Call Ivan", at(15, 10), contact=ivan)
    before = snapshot(call)
    response = login(client, rep_a).post(f"/calendar/events/{call.pk}/move/", data)
    assert response.status_code == 400
    assert response.json()["error"] == "Invalid date or time."
    assert snapshot(call) == before


def test_a_done_activity_cannot_be_dragged(client, frozen, rep_a, ivan):
    call = plan(rep_a, "Call Ivan", at(15, 10), contact=ivan)
    activity_done(actor=rep_a, activity=call)
    before = snapshot(call)
    response = login(client, rep_a).post(
        f"/calendar/events/{call.pk}/move/", {"start": "2030-01-17T10:00:00Z"}
    )
    assert (response.status_code, response.json()["error"]) == (400, "This activity is already done.")
    assert snapshot(call) == before


@pytest.mark.parametrize(
    ("role", "status"), [("rep_b", 404), ("rep_a2", 404), ("readonly", 403), ("marketer", 403)]
)
def test_who_may_not_change_an_activity_cannot_drag_it(client, frozen, rep_a, ivan, request, role, status):
    call = plan(rep_a, "Call Ivan", at(15, 10), contact=ivan)
    before = snapshot(call)
    response = login(client, request.getfixturevalue(role)).post(
        f"/calendar/events/{call.pk}/move/", {"start": "2030-01-17T10:00:00+02:00"}
    )
    assert response.status_code == status
    assert snapshot(call) == before


def test_a_drop_must_be_a_post(client, rep_a, ivan):
    call = plan(rep_a, "Call Ivan", at(15, 10), contact=ivan)
    assert login(client, rep_a).get(f"/calendar/events/{call.pk}/move/").status_code == 405


# --- the iCal feed -------------------------------------------------------------------------------


def feed_path(token: str) -> str:
    return reverse("calendar_feed", args=[token])


def parse(response) -> Calendar:
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def test_the_profile_creates_a_calendar_link_shown_once(client, frozen, rep_a):
    login(client, rep_a)
    assert "Create calendar link" in client.get("/profile/").content.decode()

    response = client.post("/profile/calendar-feed/", {"action": "create"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    url = re.search(r'id="feed-url" value="(http://testserver/calendar/feed/(cal_[\w-]+)\.ics)"', html)
    assert url is not None
    feed = CalendarFeed.objects.get(user=rep_a)
    assert url.group(2) not in feed.digest
    assert len(feed.digest) == 64
    again = client.get("/profile/").content.decode()
    assert url.group(2) not in again
    assert "Make a new link" in again and "Not used yet." in again
    assert client.get(feed_path(url.group(2))).status_code == 200


def test_the_feed_holds_the_plan_from_30_days_back_to_180_days_ahead(client, frozen, rep_a, rep_a2, ivan):
    deal = make_deal(rep_a, "Printer fleet")
    meeting = activity_create(
        actor=rep_a,
        type=activity_type("meeting"),
        subject="Demo",
        description="Bring the catalogue",
        deal=deal,
        due_at=at(17, 14),
        duration_minutes=90,
    )
    old = plan(rep_a, "Overdue call", datetime.datetime(2029, 12, 20, 9, tzinfo=SOFIA), contact=ivan)
    plan(rep_a, "Too old", datetime.datetime(2029, 12, 16, 9, tzinfo=SOFIA), contact=ivan)
    plan(rep_a, "Too far", datetime.datetime(2030, 7, 16, 9, tzinfo=SOFIA), contact=ivan)
    done = plan(rep_a, "Done call", at(16, 9), contact=ivan)
    activity_done(actor=rep_a, activity=done)
    trashed = plan(rep_a, "Trashed", at(16, 10), contact=ivan)
    activity_trash(actor=rep_a, activity=trashed)
    plan(rep_a2, "Colleague's", at(16, 11), contact=ivan, author=rep_a)
    _feed, token = calendar_feed_create(user=rep_a)

    response = client.get(feed_path(token))

    assert response.status_code == 200
    calendar = parse(response)
    assert str(calendar["version"]) == "2.0"
    assert str(calendar["prodid"]) == "-//Tandem CRM//Planned activities//EN"
    events = calendar.walk("VEVENT")
    assert [str(event["summary"]) for event in events] == ["Call: Overdue call", "Meeting: Demo"]
    demo = events[1]
    assert str(demo["uid"]) == f"activity-{meeting.pk}@127.0.0.1"
    assert demo.decoded("dtstart") == datetime.datetime(2030, 1, 17, 12, 0, tzinfo=datetime.UTC)
    assert demo.decoded("dtend") == datetime.datetime(2030, 1, 17, 13, 30, tzinfo=datetime.UTC)
    assert str(demo["url"]) == f"http://127.0.0.1:8000/deals/{deal.pk}/"
    assert (
        str(demo["description"])
        == f"Printer fleet\n\nBring the catalogue\n\nhttp://127.0.0.1:8000/deals/{deal.pk}/"
    )
    assert events[0].decoded("dtend") - events[0].decoded("dtstart") == datetime.timedelta(minutes=30)
    assert str(events[0]["uid"]) == f"activity-{old.pk}@127.0.0.1"
    assert CalendarFeed.objects.get(user=rep_a).last_used_at == NOW


def test_the_feed_is_bounded(client, frozen, rep_a, ivan, monkeypatch):
    from tandem.activities import calendar_feed

    monkeypatch.setattr(calendar_feed, "FEED_LIMIT", 3)
    for index in range(5):
        plan(rep_a, f"Call {index}", at(17, 9 + index), contact=ivan)
    _feed, token = calendar_feed_create(user=rep_a)
    events = parse(client.get(feed_path(token))).walk("VEVENT")
    assert [str(event["summary"]) for event in events] == ["Call: Call 0", "Call: Call 1", "Call: Call 2"]


@pytest.mark.parametrize(
    "token",
    ["cal_" + "A" * 43, "guess", "tdm_" + "A" * 43, "cal_", "x" * 100],
)
def test_a_guessed_token_is_a_404(client, rep_a, token):
    calendar_feed_create(user=rep_a)
    assert client.get(feed_path(token)).status_code == 404


def test_malformed_feed_addresses_are_a_404(client, rep_a):
    _feed, token = calendar_feed_create(user=rep_a)
    for path in [f"/calendar/feed/{token}.ics/", f"/calendar/feed/{token}", f"/calendar/feed/{token}%2F.ics"]:
        assert client.get(path).status_code == 404, path
    assert client.get(f"/calendar/feed/{'a' * 101}.ics").status_code == 404


def test_regenerating_the_link_revokes_the_old_one(client, rep_a):
    _feed, old = calendar_feed_create(user=rep_a)
    login(client, rep_a)
    response = client.post("/profile/calendar-feed/", {"action": "regenerate"})
    new = re.search(r"/calendar/feed/(cal_[\w-]+)\.ics", response.content.decode()).group(1)
    assert new != old
    assert client.get(feed_path(old)).status_code == 404
    assert client.get(feed_path(new)).status_code == 200
    assert CalendarFeed.objects.filter(user=rep_a).count() == 1


def test_switching_the_link_off_revokes_it(client, rep_a):
    _feed, token = calendar_feed_create(user=rep_a)
    login(client, rep_a)
    response = client.post("/profile/calendar-feed/", {"action": "revoke"})
    assert (response.status_code, response["Location"]) == (302, "/profile/#calendar-feed")
    assert not CalendarFeed.objects.filter(user=rep_a).exists()
    assert client.get(feed_path(token)).status_code == 404
    assert "Create calendar link" in client.get("/profile/").content.decode()


def test_a_deactivated_users_feed_is_a_404(client, rep_a):
    _feed, token = calendar_feed_create(user=rep_a)
    rep_a.is_active = False
    rep_a.save(update_fields=["is_active"])
    assert client.get(feed_path(token)).status_code == 404


def test_managing_the_feed_needs_a_signed_in_post(client, rep_a):
    assert client.post("/profile/calendar-feed/", {"action": "create"})["Location"].startswith("/login/")
    assert not CalendarFeed.objects.exists()
    login(client, rep_a)
    assert client.get("/profile/calendar-feed/").status_code == 405
    assert client.post("/profile/calendar-feed/", {"action": "steal"}).status_code == 400
    assert not CalendarFeed.objects.exists()


def test_one_users_link_never_touches_anothers_feed(client, rep_a, rep_b):
    _feed, token_b = calendar_feed_create(user=rep_b)
    login(client, rep_a)
    client.post("/profile/calendar-feed/", {"action": "revoke"})
    client.post("/profile/calendar-feed/", {"action": "regenerate"})
    assert client.get(feed_path(token_b)).status_code == 200
    assert CalendarFeed.objects.count() == 2


@pytest.mark.parametrize("language", ["bg", "ru"])
def test_the_planning_pages_render_in_bulgarian_and_russian(client, frozen, rep_a, ivan, language):
    plan(rep_a, "Call Ivan", at(17, 10), contact=ivan)
    rep_a.language = language
    rep_a.save(update_fields=["language"])
    login(client, rep_a)
    for url in ["/my-day/", "/calendar/", "/calendar/?view=month", "/notifications/", "/profile/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{language}">' in response.content.decode()
