"""/api/v1/activities/ (with done/), /api/v1/activity-types/ and /api/v1/outcomes/: who may do what,
what each refusal says, and that a refused request changes nothing."""

from __future__ import annotations

import datetime
import json
import zoneinfo
from urllib.parse import quote

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tandem.accounts.models import ApiToken
from tandem.activities.models import Activity, ActivityType, Outcome
from tandem.activities.services import activity_trash
from tandem.activities.tests.helpers import add, kind
from tandem.contacts.services import record_trash
from tandem.deals.models import Deal
from tandem.history.models import Event
from tandem.notifications.models import Notification

URL = "/api/v1/activities/"
SOFIA = zoneinfo.ZoneInfo("Europe/Sofia")
NOW = datetime.datetime(2030, 3, 15, 9, 0, tzinfo=SOFIA)


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2030, 3, day, hour, minute, tzinfo=SOFIA)


def iso(day: int, hour: int, minute: int = 0) -> str:
    """How the API writes a Sofia time of March 2030 (UTC+2)."""
    return at(day, hour, minute).isoformat()


def detail(activity: Activity) -> str:
    return f"{URL}{activity.pk}/"


def done_url(activity: Activity) -> str:
    return f"{URL}{activity.pk}/done/"


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def deals(rep_a, rep_a2, rep_b, make_deal):
    return {
        "A1": make_deal(rep_a, "Alpha One"),
        "A2": make_deal(rep_a2, "Alpha Two"),
        "B1": make_deal(rep_b, "Beta"),
    }


@pytest.fixture
def activities(rep_a, rep_a2, rep_b, deals):
    """One planned call per rep, each on their own deal."""
    return {
        "A1": add(rep_a, "Call Alpha One", deal=deals["A1"], due_at=at(18, 10)),
        "A2": add(rep_a2, "Call Alpha Two", deal=deals["A2"], due_at=at(18, 11)),
        "B1": add(rep_b, "Call Beta", deal=deals["B1"], due_at=at(18, 12)),
    }


def subjects(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(row["subject"] for row in response.json()["results"])


def state(activity: Activity) -> tuple:
    activity = Activity.objects.get(pk=activity.pk)
    return (
        activity.subject,
        activity.due_at,
        activity.done_at,
        activity.deleted_at,
        activity.outcome_id,
        activity.deal_id,
        activity.assignee_id,
        activity.updated_at,
    )


def error(response) -> tuple[int, str, list[str]]:
    body = response.json()["error"]
    return response.status_code, body["code"], sorted(body["fields"])


# --- authorization ----------------------------------------------------------------------------------


def test_anonymous_gets_401_everywhere_and_nothing_changes(api, activities, deals):
    client = api()
    activity = activities["A1"]
    before = state(activity)

    responses = [
        client.get(URL),
        client.get(detail(activity)),
        client.post(URL, {"type": kind("call").pk, "subject": "X", "deal": deals["A1"].pk}, format="json"),
        client.patch(detail(activity), {"subject": "X"}, format="json"),
        client.post(done_url(activity), {}, format="json"),
        client.delete(detail(activity)),
        client.get("/api/v1/activity-types/"),
        client.get("/api/v1/outcomes/"),
    ]

    assert [response.status_code for response in responses] == [401] * 8
    assert {response.json()["error"]["code"] for response in responses} == {"not_authenticated"}
    assert state(activity) == before
    assert Activity.objects.count() == 3


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("rep_a", ["Call Alpha One"]),
        ("rep_a2", ["Call Alpha Two"]),
        ("rep_b", ["Call Beta"]),
        ("head_a", ["Call Alpha One", "Call Alpha Two"]),
        ("admin", ["Call Alpha One", "Call Alpha Two", "Call Beta"]),
        ("marketer", ["Call Alpha One", "Call Alpha Two", "Call Beta"]),
        ("readonly", ["Call Alpha One", "Call Alpha Two", "Call Beta"]),
    ],
)
def test_the_list_shows_what_the_role_may_see(api, activities, request, role, expected):
    assert subjects(api(request.getfixturevalue(role)).get(URL)) == expected


@pytest.mark.parametrize("role", ["rep_a", "head_a", "rep_a2"])
def test_an_activity_out_of_sight_is_404_for_every_operation_and_stays_unchanged(
    api, activities, request, role
):
    activity = activities["B1"] if role != "rep_a2" else activities["A1"]
    before = state(activity)
    client = api(request.getfixturevalue(role))

    responses = [
        client.get(detail(activity)),
        client.patch(detail(activity), {"subject": "Hacked"}, format="json"),
        client.post(done_url(activity), {}, format="json"),
        client.delete(detail(activity)),
    ]

    assert [response.status_code for response in responses] == [404] * 4
    assert {response.json()["error"]["code"] for response in responses} == {"not_found"}
    assert state(activity) == before


def test_the_rep_reads_changes_finishes_and_trashes_their_activity(api, rep_a, activities, deals):
    activity = activities["A1"]
    client = api(rep_a)

    read = client.get(detail(activity))
    patch = client.patch(detail(activity), {"subject": "Call the director"}, format="json")
    done = client.post(done_url(activity), {}, format="json")
    delete = client.delete(detail(activity))

    assert [read.status_code, patch.status_code, done.status_code, delete.status_code] == [200, 200, 200, 204]
    activity.refresh_from_db()
    assert (activity.subject, activity.done_at, activity.deleted_at) == ("Call the director", NOW, NOW)
    assert client.get(detail(activity)).status_code == 404


def test_the_head_changes_the_teams_activities(api, head_a, activities):
    client = api(head_a)

    patch = client.patch(detail(activities["A2"]), {"due_at": iso(19, 9)}, format="json")
    done = client.post(done_url(activities["A1"]), {}, format="json")

    assert (patch.status_code, done.status_code) == (200, 200)
    assert Activity.objects.get(pk=activities["A2"].pk).due_at == at(19, 9)
    assert Activity.objects.get(pk=activities["A1"].pk).done_at == NOW


def test_the_admin_trashes_any_activity(api, admin, activities, deals):
    response = api(admin).delete(detail(activities["B1"]))

    assert response.status_code == 204
    assert Activity.objects.get(pk=activities["B1"].pk).deleted_at == NOW
    deals["B1"].refresh_from_db()
    assert (deals["B1"].next_step, deals["B1"].next_step_date) == ("", None)


def test_readonly_reads_but_gets_403_on_every_write(api, readonly, activities, deals):
    activity = activities["A1"]
    before = state(activity)
    client = api(readonly)

    assert client.get(detail(activity)).status_code == 200
    responses = [
        client.post(
            URL,
            {"type": kind("call").pk, "subject": "X", "deal": deals["A1"].pk, "due_at": iso(20, 9)},
            format="json",
        ),
        client.post(URL, {"subject": ""}, format="json"),  # the role is refused before the input is checked
        client.patch(detail(activity), {"subject": "X"}, format="json"),
        client.post(done_url(activity), {}, format="json"),
        client.delete(detail(activity)),
    ]

    assert [response.status_code for response in responses] == [403] * 5
    assert {response.json()["error"]["code"] for response in responses} == {"permission_denied"}
    assert state(activity) == before
    assert Activity.objects.count() == 3


def test_a_read_scope_token_reads_but_gets_403_on_every_write(api, rep_a, activities, deals):
    activity = activities["A1"]
    before = state(activity)
    client = api(rep_a, scope=ApiToken.Scope.READ)

    assert client.get(detail(activity)).status_code == 200
    assert client.get(URL).status_code == 200
    responses = [
        client.post(
            URL,
            {"type": kind("call").pk, "subject": "X", "deal": deals["A1"].pk, "due_at": iso(20, 9)},
            format="json",
        ),
        client.patch(detail(activity), {"subject": "X"}, format="json"),
        client.post(done_url(activity), {}, format="json"),
        client.delete(detail(activity)),
    ]

    assert [response.status_code for response in responses] == [403] * 4
    assert {response.json()["error"]["code"] for response in responses} == {"read_only_token"}
    assert state(activity) == before
    assert Activity.objects.count() == 3


def test_the_marketer_reads_every_activity_but_changes_only_their_own_and_deletes_none(
    api, marketer, activities, make_contact
):
    client = api(marketer)
    contact = make_contact(marketer, "Fair", "Visitor")
    before = state(activities["A1"])

    created = client.post(
        URL,
        {
            "type": kind("note").pk,
            "subject": "Met at the fair",
            "contact": contact.pk,
            "done_at": iso(14, 12),
        },
        format="json",
    )
    own = Activity.objects.get(pk=created.json()["id"])
    responses = [
        client.get(detail(activities["A1"])),
        client.patch(detail(activities["A1"]), {"subject": "X"}, format="json"),
        client.patch(detail(own), {"subject": "Met at the spring fair"}, format="json"),
        client.delete(detail(own)),
    ]

    assert created.status_code == 201
    assert [response.status_code for response in responses] == [200, 403, 200, 403]
    assert state(activities["A1"]) == before
    own.refresh_from_db()
    assert (own.subject, own.deleted_at) == ("Met at the spring fair", None)


def test_an_activity_on_a_card_one_sees_reads_but_is_not_changeable(api, rep_a, rep_b, head_a, deals):
    task = add(head_a, "For Boris", "task", deal=deals["A1"], assignee=rep_b, due_at=at(18, 10))
    before = state(task)
    client = api(rep_a)

    read = client.get(detail(task))
    patch = client.patch(detail(task), {"subject": "X"}, format="json")

    assert (read.status_code, read.json()["assignee"]) == (200, rep_b.pk)
    assert (patch.status_code, patch.json()["error"]["code"]) == (403, "permission_denied")
    assert state(task) == before


# --- create and retrieve ----------------------------------------------------------------------------


def test_create_a_planned_call_returns_the_whole_activity(api, rep_a, deals, make_company):
    company = make_company(rep_a, "Acme")
    deal = deals["A1"]
    Deal.objects.filter(pk=deal.pk).update(company=company)
    body = {
        "type": kind("call").pk,
        "subject": "Call about the offer",
        "description": "Ask about the budget",
        "deal": deal.pk,
        "due_at": "2030-03-18T08:00:00Z",
        "duration_minutes": 15,
        "direction": "out",
        "remind_at": "2030-03-18T09:45:00+02:00",
    }

    response = api(rep_a).post(URL, body, format="json")

    assert response.status_code == 201
    activity = Activity.objects.get(subject="Call about the offer")
    assert response.json() == {
        "id": activity.pk,
        "type": kind("call").pk,
        "type_name": "Call",
        "type_kind": "call",
        "subject": "Call about the offer",
        "description": "Ask about the budget",
        "deal": deal.pk,
        "deal_title": "Alpha One",
        "contact": None,
        "contact_name": None,
        "company": company.pk,
        "company_name": "Acme",
        "author": rep_a.pk,
        "author_name": "Rita Rep",
        "assignee": rep_a.pk,
        "assignee_name": "Rita Rep",
        "due_at": "2030-03-18T10:00:00+02:00",
        "duration_minutes": 15,
        "done_at": None,
        "direction": "out",
        "outcome": None,
        "outcome_name": None,
        "remind_at": "2030-03-18T09:45:00+02:00",
        "status": "planned",
        "is_overdue": False,
        "occurred_at": "2030-03-18T10:00:00+02:00",
        "created_at": "2030-03-15T09:00:00+02:00",
        "updated_at": "2030-03-15T09:00:00+02:00",
    }
    deal.refresh_from_db()
    assert (deal.next_step, deal.next_step_date) == ("Call about the offer", datetime.date(2030, 3, 18))


def test_create_a_done_call_logs_the_first_contact(api, rep_a, deals):
    reached = Outcome.objects.get(name="Reached")

    response = api(rep_a).post(
        URL,
        {
            "type": kind("call").pk,
            "subject": "Talked",
            "deal": deals["A1"].pk,
            "done_at": iso(15, 8, 30),
            "outcome": reached.pk,
        },
        format="json",
    )

    assert response.status_code == 201
    data = response.json()
    assert (data["status"], data["done_at"], data["outcome_name"], data["due_at"]) == (
        "done",
        "2030-03-15T08:30:00+02:00",
        "Reached",
        None,
    )
    deals["A1"].refresh_from_db()
    assert deals["A1"].first_touch_at == at(15, 8, 30)


def test_a_task_for_a_colleague_notifies_them(api, rep_a, rep_a2, deals):
    response = api(rep_a).post(
        URL,
        {
            "type": kind("task").pk,
            "subject": "Prepare the contract",
            "deal": deals["A1"].pk,
            "assignee": rep_a2.pk,
            "due_at": iso(18, 10),
        },
        format="json",
    )

    assert response.status_code == 201
    assert (response.json()["assignee"], response.json()["author"]) == (rep_a2.pk, rep_a.pk)
    notification = Notification.objects.get()
    assert (notification.recipient_id, notification.kind, notification.title) == (
        rep_a2.pk,
        "task_assigned",
        "Rita Rep gave you: Prepare the contract",
    )


def test_dates_come_back_in_the_users_time_zone(api, rep_a, activities):
    rep_a.time_zone = "America/New_York"
    rep_a.save(update_fields=["time_zone"])

    response = api(rep_a).get(detail(activities["A1"]))

    assert response.json()["due_at"] == "2030-03-18T04:00:00-04:00"


def test_read_only_fields_sent_back_are_ignored(api, rep_a, rep_b, deals):
    response = api(rep_a).post(
        URL,
        {
            "type": kind("call").pk,
            "subject": "Call",
            "deal": deals["A1"].pk,
            "due_at": iso(18, 10),
            "author": rep_b.pk,
            "created_at": "2000-01-01T00:00:00Z",
            "status": "done",
            "id": 999,
        },
        format="json",
    )

    assert response.status_code == 201
    activity = Activity.objects.get()
    assert (activity.author_id, activity.created_at, activity.done_at) == (rep_a.pk, NOW, None)
    assert response.json()["id"] == activity.pk


BAD_CREATE_BODIES = [
    # (changes to a good body, status, code, fields)
    ({"colour": "red"}, "unknown_field", ["colour"]),
    ({"due_at": None}, "no_time", ["due_at"]),
    ({"deal": None}, "not_linked", ["deal"]),
    ({"subject": "   "}, "invalid", ["subject"]),
    ({"subject": None}, "invalid", ["subject"]),
    ({"type": 999_999}, "invalid", ["type"]),
    ({"type": "call"}, "invalid", ["type"]),
    ({"deal": 999_999}, "invalid", ["deal"]),
    ({"deal": "1; DROP TABLE"}, "invalid", ["deal"]),
    ({"contact": 999_999}, "invalid", ["contact"]),
    ({"company": 999_999}, "invalid", ["company"]),
    ({"assignee": 999_999}, "invalid", ["assignee"]),
    ({"outcome": 999_999}, "invalid", ["outcome"]),
    ({"due_at": "tomorrow"}, "invalid", ["due_at"]),
    ({"due_at": "2030-02-30T10:00:00+02:00"}, "invalid", ["due_at"]),
    ({"due_at": "2030-03-18T10:00:00+25:00"}, "invalid", ["due_at"]),
    ({"due_at": "2030-03-18T10:00:00[Mars/Olympus]"}, "invalid", ["due_at"]),
    ({"due_at": "2030-03-18T10:00:00"}, "invalid", ["due_at"]),
    ({"due_at": "2030-03-18"}, "invalid", ["due_at"]),
    ({"due_at": 1900000000}, "invalid", ["due_at"]),
    ({"remind_at": "2030-03-18 09:45"}, "invalid", ["remind_at"]),
    ({"done_at": "2030-03-16T10:00:00+02:00"}, "future_done", ["done_at"]),
    ({"direction": "sideways"}, "invalid", ["direction"]),
    ({"duration_minutes": -1}, "invalid", ["duration_minutes"]),
    ({"duration_minutes": 60 * 24 * 7 + 1}, "invalid", ["duration_minutes"]),
    ({"subject": "x" * 256}, "invalid", ["subject"]),
]


@pytest.mark.parametrize(("changes", "code", "fields"), BAD_CREATE_BODIES)
def test_create_refuses_bad_input_with_a_field_error_and_creates_nothing(
    api, rep_a, deals, changes, code, fields
):
    body = {
        "type": kind("call").pk,
        "subject": "Call",
        "deal": deals["A1"].pk,
        "due_at": iso(18, 10),
        **changes,
    }

    response = api(rep_a).post(URL, body, format="json")

    assert error(response) == (400, code, fields)
    assert Activity.objects.count() == 0
    assert Notification.objects.count() == 0


def test_a_date_time_without_offset_says_how_to_write_one(api, rep_a, deals):
    response = api(rep_a).post(
        URL,
        {"type": kind("call").pk, "subject": "Call", "deal": deals["A1"].pk, "due_at": "2030-03-18T10:00"},
        format="json",
    )

    assert response.json()["error"]["fields"]["due_at"] == [
        "Include the time zone offset, e.g. 2030-01-31T09:30:00+02:00 or 2030-01-31T07:30:00Z."
    ]


def test_links_to_records_out_of_sight_get_the_same_answer_as_missing_ones(
    api, rep_a, rep_b, deals, make_contact, make_company
):
    contact = make_contact(rep_b, "Boris", "Client")
    company = make_company(rep_b, "Beta Corp")
    client = api(rep_a)
    base = {"type": kind("call").pk, "subject": "Steal", "due_at": iso(18, 10)}

    invisible = client.post(
        URL, {**base, "deal": deals["B1"].pk, "contact": contact.pk, "company": company.pk}, format="json"
    )
    missing = client.post(
        URL, {**base, "deal": 999_997, "contact": 999_998, "company": 999_999}, format="json"
    )

    assert error(invisible) == error(missing) == (400, "invalid", ["company", "contact", "deal"])
    assert invisible.json()["error"]["fields"]["deal"] == [
        f'Invalid pk "{deals["B1"].pk}" - object does not exist.'
    ]
    assert Activity.objects.count() == 0


def test_links_to_trashed_records_are_refused(api, rep_a, make_contact):
    contact = make_contact(rep_a)
    record_trash(actor=rep_a, record=contact)

    response = api(rep_a).post(
        URL,
        {"type": kind("call").pk, "subject": "Call", "contact": contact.pk, "due_at": iso(18, 10)},
        format="json",
    )

    assert error(response) == (400, "invalid", ["contact"])
    assert Activity.objects.count() == 0


def test_an_inactive_type_or_colleague_is_refused(api, rep_a, rep_a2, admin, deals):
    memo = ActivityType.objects.create(name="Memo", is_active=False)
    rep_a2.is_active = False
    rep_a2.save(update_fields=["is_active"])
    client = api(rep_a)
    base = {"subject": "Call", "deal": deals["A1"].pk, "due_at": iso(18, 10)}

    inactive_type = client.post(URL, {**base, "type": memo.pk}, format="json")
    inactive_user = client.post(URL, {**base, "type": kind("call").pk, "assignee": rep_a2.pk}, format="json")

    assert error(inactive_type) == (400, "invalid", ["type"])
    assert error(inactive_user) == (400, "invalid", ["assignee"])
    assert Activity.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        ('{"subject": "Call",', "application/json", 400, "parse_error"),
        ("[1, 2]", "application/json", 400, "invalid"),
        ('"just a string"', "application/json", 400, "invalid"),
        ("subject=Call", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(api, rep_a, body, content_type, status, code):
    response = api(rep_a).post(URL, body, content_type=content_type)

    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert Activity.objects.count() == 0


# --- partial update ---------------------------------------------------------------------------------


def test_rescheduling_moves_the_reminder_and_the_deals_next_step(api, rep_a, deals):
    activity = add(rep_a, "Call", deal=deals["A1"], due_at=at(18, 10), remind_at=at(18, 9, 45))
    Activity.objects.filter(pk=activity.pk).update(reminded_at=at(18, 9, 45))

    response = api(rep_a).patch(detail(activity), {"due_at": "2030-03-19T12:00:00Z"}, format="json")

    assert response.status_code == 200
    assert (response.json()["due_at"], response.json()["remind_at"]) == (
        "2030-03-19T14:00:00+02:00",
        "2030-03-19T13:45:00+02:00",
    )
    activity.refresh_from_db()
    assert activity.reminded_at is None
    deals["A1"].refresh_from_db()
    assert deals["A1"].next_step_date == datetime.date(2030, 3, 19)


def test_patching_back_what_get_returned_changes_nothing(api, rep_a, activities):
    client = api(rep_a)
    activity = activities["A1"]
    body = client.get(detail(activity)).json()
    Activity.objects.filter(pk=activity.pk).update(reminded_at=at(18, 9, 45))
    events = Event.objects.count()

    response = client.patch(detail(activity), body, format="json")

    assert response.status_code == 200
    assert Event.objects.count() == events
    activity.refresh_from_db()
    assert (activity.subject, activity.due_at, activity.reminded_at) == (
        "Call Alpha One",
        at(18, 10),
        at(18, 9, 45),
    )


def test_the_assignee_sends_back_a_task_on_a_deal_they_cannot_see(api, rep_a, head_a, deals):
    task = add(head_a, "Call Ravi's client", "task", deal=deals["A2"], assignee=rep_a, due_at=at(18, 10))
    client = api(rep_a)
    body = client.get(detail(task)).json()
    body["due_at"] = iso(19, 10)

    response = client.patch(detail(task), body, format="json")

    assert response.status_code == 200, response.content
    task.refresh_from_db()
    assert (task.due_at, task.deal_id) == (at(19, 10), deals["A2"].pk)


def test_moving_an_activity_to_a_deal_out_of_sight_is_refused(api, rep_a, activities, deals):
    before = state(activities["A1"])

    response = api(rep_a).patch(detail(activities["A1"]), {"deal": deals["B1"].pk}, format="json")

    assert error(response) == (400, "invalid", ["deal"])
    assert state(activities["A1"]) == before


def test_moving_an_activity_to_another_deal_moves_the_next_step(api, rep_a, make_deal, activities, deals):
    other = make_deal(rep_a, "Alpha Three")

    response = api(rep_a).patch(detail(activities["A1"]), {"deal": other.pk}, format="json")

    assert (response.status_code, response.json()["deal_title"]) == (200, "Alpha Three")
    deals["A1"].refresh_from_db()
    other.refresh_from_db()
    assert (deals["A1"].next_step, other.next_step) == ("", "Call Alpha One")


@pytest.mark.parametrize(
    ("body", "code", "fields"),
    [
        ({"author": None, "reminded_at": None}, "unknown_field", ["reminded_at"]),
        ({"due_at": "2030-03-18T10:00:00"}, "invalid", ["due_at"]),
        ({"due_at": None}, "no_time", ["due_at"]),
        ({"done_at": iso(16, 9)}, "future_done", ["done_at"]),
        ({"type": None}, "invalid", ["type"]),
        ({"assignee": 999_999}, "invalid", ["assignee"]),
    ],
)
def test_patch_refuses_bad_input_and_changes_nothing(api, rep_a, activities, body, code, fields):
    before = state(activities["A1"])

    response = api(rep_a).patch(detail(activities["A1"]), body, format="json")

    assert error(response) == (400, code, fields)
    assert state(activities["A1"]) == before


def test_put_is_not_offered(api, rep_a, activities):
    response = api(rep_a).put(detail(activities["A1"]), {"subject": "X"}, format="json")

    assert (response.status_code, response.json()["error"]["code"]) == (405, "method_not_allowed")


# --- done -------------------------------------------------------------------------------------------


def test_done_stores_outcome_note_and_time(api, rep_a, activities, deals):
    no_answer = Outcome.objects.get(name="No answer")

    response = api(rep_a).post(
        done_url(activities["A1"]),
        {
            "outcome": no_answer.pk,
            "note": "Voicemail",
            "done_at": "2030-03-15T06:30:00Z",
            "duration_minutes": 2,
        },
        format="json",
    )

    assert response.status_code == 200
    data = response.json()
    assert (
        data["status"],
        data["done_at"],
        data["outcome"],
        data["description"],
        data["duration_minutes"],
    ) == (
        "done",
        "2030-03-15T08:30:00+02:00",
        no_answer.pk,
        "Voicemail",
        2,
    )
    deals["A1"].refresh_from_db()
    assert (deals["A1"].first_touch_at, deals["A1"].next_step) == (at(15, 8, 30), "")


def test_done_without_a_body_means_now(api, rep_a, activities):
    response = api(rep_a).post(done_url(activities["A1"]))

    assert (response.status_code, response.json()["done_at"]) == (200, "2030-03-15T09:00:00+02:00")


def test_done_twice_answers_200_and_changes_nothing(api, rep_a, activities):
    client = api(rep_a)
    client.post(done_url(activities["A1"]), {"note": "First"}, format="json")
    before = state(activities["A1"])

    response = client.post(
        done_url(activities["A1"]), {"note": "Second", "done_at": iso(15, 7)}, format="json"
    )

    assert (response.status_code, response.json()["description"]) == (200, "First")
    assert state(activities["A1"]) == before


@pytest.mark.parametrize(
    ("body", "code", "fields"),
    [
        ({"done_at": iso(15, 9, 6)}, "future_done", ["done_at"]),
        ({"done_at": "2030-03-15T08:00:00"}, "invalid", ["done_at"]),
        ({"done_at": "yesterday"}, "invalid", ["done_at"]),
        ({"outcome": 999_999}, "invalid", ["outcome"]),
        ({"outcome": "Reached"}, "invalid", ["outcome"]),
        ({"result": "ok"}, "unknown_field", ["result"]),
        ({"duration_minutes": -5}, "invalid", ["duration_minutes"]),
    ],
)
def test_done_refuses_bad_input_and_changes_nothing(api, rep_a, activities, body, code, fields):
    before = state(activities["A1"])

    response = api(rep_a).post(done_url(activities["A1"]), body, format="json")

    assert error(response) == (400, code, fields)
    assert state(activities["A1"]) == before


def test_done_of_a_trashed_activity_is_404(api, rep_a, activities):
    activity_trash(actor=rep_a, activity=activities["A1"])

    response = api(rep_a).post(done_url(activities["A1"]), {}, format="json")

    assert response.status_code == 404
    assert Activity.objects.get(pk=activities["A1"].pk).done_at is None


@pytest.mark.parametrize("path", ["abc/", "0/", "99999999999999999999/", "-1/"])
def test_nonsense_ids_are_404(api, rep_a, path):
    assert api(rep_a).get(f"{URL}{path}").status_code == 404


# --- list: filters, ordering, pagination, queries --------------------------------------------------


@pytest.fixture
def spread(rep_a, rep_a2, make_deal, make_contact):
    deal = make_deal(rep_a, "Alpha")
    contact = make_contact(rep_a, "Ivan", "Petrov")
    add(rep_a, "overdue call", deal=deal, due_at=at(14, 10))
    add(rep_a, "call today", contact=contact, due_at=at(15, 16))
    add(rep_a, "meeting next week", "meeting", deal=deal, due_at=at(20, 11))
    add(rep_a, "logged note", "note", deal=deal, done_at=at(15, 8))
    add(rep_a, "task for Ravi", "task", deal=deal, assignee=rep_a2, due_at=at(21, 9))
    return {"deal": deal, "contact": contact}


def test_the_list_filters_like_the_web_lists(api, rep_a, rep_a2, spread):
    client = api(rep_a)

    assert subjects(client.get(URL, {"status": "overdue"})) == ["overdue call"]
    assert subjects(client.get(URL, {"status": "done"})) == ["logged note"]
    assert subjects(client.get(URL, {"status": "planned", "assignee": rep_a2.pk})) == ["task for Ravi"]
    assert subjects(client.get(URL, {"type": kind("meeting").pk})) == ["meeting next week"]
    assert subjects(client.get(URL, {"contact": spread["contact"].pk})) == ["call today"]
    assert subjects(client.get(URL, {"deal": spread["deal"].pk, "status": "planned"})) == [
        "meeting next week",
        "overdue call",
        "task for Ravi",
    ]
    assert subjects(
        client.get(URL, {"due_from": "2030-03-15T00:00:00+02:00", "due_to": "2030-03-20T11:00:00+02:00"})
    ) == ["call today"]
    # 09:00Z is 11:00 in Sofia: the start of the window is included.
    assert subjects(client.get(URL, {"due_from": "2030-03-20T09:00:00Z"})) == [
        "meeting next week",
        "task for Ravi",
    ]
    assert subjects(client.get(URL, {"due_from": "2030-03-20T09:00:01Z"})) == ["task for Ravi"]


def test_a_plus_in_a_time_zone_must_be_url_encoded(api, rep_a, spread):
    client = api(rep_a)

    encoded = client.get(f"{URL}?due_from={quote('2030-03-20T11:00:00+02:00')}")
    raw = client.get(f"{URL}?due_from=2030-03-20T11:00:00+02:00")  # "+" arrives as a space

    assert subjects(encoded) == ["meeting next week", "task for Ravi"]
    assert error(raw) == (400, "invalid_filter", ["due_from"])


@pytest.mark.parametrize(
    ("params", "code", "fields"),
    [
        ({"colour": "red"}, "unknown_filter", ["colour"]),
        ({"status": "sleeping"}, "invalid_filter", ["status"]),
        ({"assignee": "me"}, "invalid_filter", ["assignee"]),
        ({"deal": "0"}, "invalid_filter", ["deal"]),
        ({"due_from": "2030-03-15T00:00:00"}, "invalid_filter", ["due_from"]),
        ({"due_to": "next week"}, "invalid_filter", ["due_to"]),
        ({"due_to": "2030-03-18T10:00:00+25:00"}, "invalid_filter", ["due_to"]),
        ({"ordering": "subject"}, "invalid_filter", ["ordering"]),
        ({"cursor": "forged"}, "invalid_cursor", ["cursor"]),
        ({"page_size": "0"}, "invalid_filter", ["page_size"]),
    ],
)
def test_the_list_refuses_unknown_and_invalid_parameters(api, rep_a, params, code, fields):
    assert error(api(rep_a).get(URL, params)) == (400, code, fields)


def test_a_filter_by_a_record_out_of_sight_finds_nothing(api, rep_a, activities, deals):
    assert subjects(api(rep_a).get(URL, {"deal": deals["B1"].pk})) == []


def test_ordering_by_due_time_pages_with_cursors_and_leaves_out_undue_activities(api, rep_a, make_deal):
    deal = make_deal(rep_a)
    for day in (20, 18, 22, 19, 21):
        add(rep_a, f"Due {day}", deal=deal, due_at=at(day, 10))
    add(rep_a, "Logged without a due time", "note", deal=deal, done_at=at(15, 8))
    client = api(rep_a)

    first = client.get(URL, {"ordering": "due_at", "page_size": 2}).json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    back = client.get(third["previous"]).json()

    pages = [[row["subject"] for row in page["results"]] for page in (first, second, third, back)]
    assert pages == [["Due 18", "Due 19"], ["Due 20", "Due 21"], ["Due 22"], ["Due 20", "Due 21"]]
    assert (first["previous"], third["next"]) == (None, None)


def test_ordering_by_occurred_time_is_the_timeline_order(api, rep_a, make_deal):
    deal = make_deal(rep_a)
    add(rep_a, "Planned for the 20th", deal=deal, due_at=at(20, 10))
    add(rep_a, "Done on the 14th", deal=deal, done_at=at(14, 10))
    add(rep_a, "Done on the 15th", deal=deal, done_at=at(15, 8))

    response = api(rep_a).get(URL, {"ordering": "-occurred_at"})

    assert [row["subject"] for row in response.json()["results"]] == [
        "Planned for the 20th",
        "Done on the 15th",
        "Done on the 14th",
    ]


def test_a_cursor_of_another_ordering_is_refused(api, rep_a, make_deal):
    deal = make_deal(rep_a)
    for day in (18, 19, 20):
        add(rep_a, f"Due {day}", deal=deal, due_at=at(day, 10))
    client = api(rep_a)
    cursor = client.get(URL, {"ordering": "due_at", "page_size": 1}).json()["next"].split("cursor=")[1]

    response = client.get(URL, {"ordering": "-occurred_at", "cursor": cursor})

    assert error(response) == (400, "invalid_cursor", ["cursor"])


def _list_queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(URL, {"page_size": 100, **params})
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("role", ["admin", "head_a", "rep_a"])
def test_the_list_query_count_does_not_grow_with_the_rows(
    api, request, role, rep_a, rep_a2, make_deal, make_contact, make_company
):
    company = make_company(rep_a, "Acme")
    contact = make_contact(rep_a, "Ivan", "Petrov", company=company)
    deal = make_deal(rep_a, company=company)
    reached = Outcome.objects.get(name="Reached")

    def add_some(count: int) -> None:
        for index in range(count):
            add(
                rep_a,
                f"Call {index}",
                deal=deal,
                contact=contact,
                due_at=at(18, 10),
                done_at=at(15, 8),
                outcome=reached,
            )
            add(rep_a, f"Task {index}", "task", deal=deal, assignee=rep_a2, due_at=at(18, 10))

    client = api(request.getfixturevalue(role))
    client.get(URL)  # the token's first use records last_used_at once
    add_some(2)
    few = _list_queries(client)
    add_some(20)
    many = _list_queries(client, ordering="due_at")

    assert len(client.get(URL, {"page_size": 100}).json()["results"]) == 44
    # token, two permission loads, (teams), the page's ids along each scope part (not for admins),
    # activities, their deals, contacts and companies
    expected = {"admin": 7, "head_a": 10, "rep_a": 9}[role]
    assert few == many == expected


# --- activity types and outcomes -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["rep_b", "readonly", "marketer", "admin"])
def test_every_role_reads_activity_types_and_outcomes(api, request, role):
    client = api(request.getfixturevalue(role))

    types = client.get("/api/v1/activity-types/")
    outcomes = client.get("/api/v1/outcomes/")

    assert [row["kind"] for row in types.json()] == ["call", "meeting", "letter", "email", "task", "note"]
    assert types.json()[0] == {
        "id": kind("call").pk,
        "name": "Call",
        "kind": "call",
        "icon": "bi-telephone",
        "counts_as_contact": True,
        "is_active": True,
        "position": 0,
    }
    assert [row["name"] for row in outcomes.json()] == [
        "Reached",
        "No answer",
        "Asked to call back",
        "Wrong number",
        "Not interested",
        "Agreed a meeting",
    ]
    assert set(outcomes.json()[0]) == {"id", "name", "is_active"}


def test_a_read_scope_token_reads_the_reference_lists(api, head_a):
    client = api(head_a, scope=ApiToken.Scope.READ)

    assert client.get("/api/v1/activity-types/").status_code == 200
    assert client.get(f"/api/v1/outcomes/{Outcome.objects.first().pk}/").status_code == 200


def test_the_reference_lists_are_two_queries_however_long(api, admin):
    client = api(admin)
    client.get("/api/v1/outcomes/")  # the token's first use records last_used_at once
    for index in range(15):
        Outcome.objects.create(name=f"Outcome {index}")
        ActivityType.objects.create(name=f"Type {index}")

    for path in ("/api/v1/activity-types/", "/api/v1/outcomes/"):
        with CaptureQueriesContext(connection) as context:
            response = client.get(path)
        assert (response.status_code, len(response.json()), len(context.captured_queries)) == (200, 21, 2)


def test_activity_types_and_outcomes_are_read_only(api, admin):
    client = api(admin)
    call = kind("call")

    responses = [
        client.post("/api/v1/activity-types/", {"name": "Visit"}, format="json"),
        client.patch(f"/api/v1/activity-types/{call.pk}/", {"name": "Phone"}, format="json"),
        client.delete(f"/api/v1/outcomes/{Outcome.objects.first().pk}/"),
    ]

    assert [response.status_code for response in responses] == [405, 405, 405]
    assert ActivityType.objects.get(pk=call.pk).name == "Call"
    assert client.get(f"/api/v1/activity-types/{call.pk}/").json()["name"] == "Call"


def test_the_reference_lists_take_no_query_parameters(api, rep_a):
    response = api(rep_a).get("/api/v1/activity-types/", {"kind": "call"})

    assert error(response) == (400, "unknown_filter", ["kind"])


def test_the_done_endpoint_is_documented_with_its_errors(api):
    schema = api().get("/api/v1/schema/", {"format": "json"}).json()

    done = schema["paths"]["/api/v1/activities/{id}/done/"]["post"]
    parameters = schema["paths"]["/api/v1/activities/"]["get"]["parameters"]

    assert sorted(done["responses"]) == ["200", "400", "401", "403", "404", "413", "415", "429"]
    assert "future_done" in done["description"]
    assert sorted(parameter["name"] for parameter in parameters) == [
        "assignee", "company", "contact", "cursor", "deal", "due_from", "due_to", "ordering", "page_size",
        "status", "type",
    ]  # fmt: skip
    ordering = next(parameter for parameter in parameters if parameter["name"] == "ordering")
    assert ordering["schema"]["enum"] == ["-id", "due_at", "-occurred_at"]
    assert json.dumps(schema).count("ActivityKindEnum") > 0


def test_a_task_written_for_a_colleague_in_another_team_stays_in_the_authors_list(api, rep_a, rep_b, deals):
    # rep_b is outside rep_a's scope: the activity reaches rep_a's list through the "delegated" part.
    activity = add(
        rep_a, "Check the stock for me", "task", deal=deals["A1"], assignee=rep_b, due_at=at(18, 10)
    )

    ids = [row["id"] for row in api(rep_a).get(URL, {"page_size": 200}).json()["results"]]

    assert activity.delegated is True
    assert activity.pk in ids


def test_a_mention_in_an_activity_created_through_the_api_notifies_the_colleague(api, rep_a, head_a, deals):
    body = {
        "type": kind("note").pk,
        "subject": "Discount?",
        "description": "@Hana Head can we go below list price?",
        "deal": deals["A1"].pk,
        "done_at": "2030-03-15T06:30:00Z",
    }

    response = api(rep_a).post(URL, body, format="json")

    assert response.status_code == 201
    assert Notification.objects.filter(recipient=head_a, kind="mention").count() == 1
