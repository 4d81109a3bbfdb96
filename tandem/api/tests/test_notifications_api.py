"""/api/v1/notifications/: everyone reads and marks only their own notifications."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tandem.accounts.models import ApiToken, User
from tandem.notifications.models import Notification
from tandem.notifications.services import notifications_mark_read, notify

URL = "/api/v1/notifications/"
READ_URL = "/api/v1/notifications/read/"
NOW = datetime.datetime(2030, 3, 15, 7, 0, tzinfo=datetime.UTC)


def read_url(notification: Notification) -> str:
    return f"{URL}{notification.pk}/read/"


def send(recipient: User, title: str, *, minutes_ago: int = 0, **data) -> Notification:
    with time_machine.travel(NOW - datetime.timedelta(minutes=minutes_ago), tick=False):
        notification = notify(
            recipient=recipient,
            kind=data.pop("kind", Notification.Kind.REMINDER),
            key=f"test:{title}",
            title=title,
            **data,
        )
    assert notification is not None
    return notification


@pytest.fixture
def inbox(rep_a, rep_b, head_a):
    return {
        "old": send(rep_a, "Old reminder", minutes_ago=30, url="/activities/1/"),
        "new": send(rep_a, "New task", minutes_ago=5, kind=Notification.Kind.TASK_ASSIGNED, actor=head_a),
        "theirs": send(rep_b, "Boris's reminder", minutes_ago=10),
    }


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["title"] for row in response.json()["results"]]


def read_state() -> dict[str, datetime.datetime | None]:
    return dict(Notification.objects.values_list("title", "read_at"))


def error(response) -> tuple[int, str, list[str]]:
    body = response.json()["error"]
    return response.status_code, body["code"], sorted(body["fields"])


# --- authorization -----------------------------------------------------------------------------------


def test_anonymous_gets_401_and_nothing_is_marked(api, inbox):
    client = api()
    before = read_state()

    responses = [
        client.get(URL),
        client.post(READ_URL, {"all": True}, format="json"),
        client.post(read_url(inbox["old"]), {}, format="json"),
    ]

    assert [response.status_code for response in responses] == [401, 401, 401]
    assert read_state() == before


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("rep_a", ["New task", "Old reminder"]),
        ("rep_b", ["Boris's reminder"]),
        ("head_a", []),  # a head does not read the team's notifications
        ("admin", []),
        ("readonly", []),
    ],
)
def test_everyone_lists_only_their_own_newest_first(api, inbox, request, role, expected):
    assert titles(api(request.getfixturevalue(role)).get(URL)) == expected


def test_the_list_shows_what_each_notice_is_about(api, rep_a, head_a, inbox, settings):
    settings.SITE_URL = "https://crm.example.com"

    rows = api(rep_a).get(URL).json()["results"]

    assert rows == [
        {
            "id": inbox["new"].pk,
            "kind": "task_assigned",
            "kind_label": "A colleague gave me a task",
            "title": "New task",
            "body": "",
            "url": "",
            "actor": head_a.pk,
            "actor_name": "Hana Head",
            "created_at": "2030-03-15T08:55:00+02:00",
            "read_at": None,
            "is_read": False,
        },
        {
            "id": inbox["old"].pk,
            "kind": "reminder",
            "kind_label": "Reminder of a planned activity",
            "title": "Old reminder",
            "body": "",
            "url": "https://crm.example.com/activities/1/",
            "actor": None,
            "actor_name": None,
            "created_at": "2030-03-15T08:30:00+02:00",
            "read_at": None,
            "is_read": False,
        },
    ]


def test_someone_elses_notification_is_404_and_stays_unread(api, rep_a, inbox):
    response = api(rep_a).post(read_url(inbox["theirs"]), {}, format="json")

    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    assert read_state()["Boris's reminder"] is None


def test_someone_elses_ids_are_ignored_when_marking_many(api, rep_a, inbox):
    response = api(rep_a).post(READ_URL, {"ids": [inbox["theirs"].pk, inbox["old"].pk]}, format="json")

    assert response.json() == {"marked": 1, "unread": 1}
    state = read_state()
    assert (state["Boris's reminder"], state["New task"]) == (None, None)
    assert state["Old reminder"] is not None


def test_a_read_scope_token_lists_but_cannot_mark(api, rep_a, inbox):
    client = api(rep_a, scope=ApiToken.Scope.READ)
    before = read_state()

    listed = client.get(URL)
    responses = [
        client.post(READ_URL, {"all": True}, format="json"),
        client.post(read_url(inbox["old"]), {}, format="json"),
    ]

    assert listed.status_code == 200
    assert [response.status_code for response in responses] == [403, 403]
    assert {response.json()["error"]["code"] for response in responses} == {"read_only_token"}
    assert read_state() == before


def test_the_read_only_role_marks_its_own_notifications_read(api, readonly):
    notice = send(readonly, "Weekly digest", kind=Notification.Kind.DIGEST)

    response = api(readonly).post(read_url(notice), format="json")

    assert (response.status_code, response.json()["is_read"]) == (200, True)


# --- marking read ------------------------------------------------------------------------------------


def test_mark_one_read_returns_it_read(api, rep_a, inbox):
    with time_machine.travel(NOW, tick=False):
        response = api(rep_a).post(read_url(inbox["old"]), format="json")

    assert response.status_code == 200
    assert (response.json()["id"], response.json()["read_at"], response.json()["is_read"]) == (
        inbox["old"].pk,
        "2030-03-15T09:00:00+02:00",
        True,
    )
    assert read_state() == {"Old reminder": NOW, "New task": None, "Boris's reminder": None}


def test_marking_a_read_one_again_keeps_its_read_time(api, rep_a, inbox):
    first = NOW - datetime.timedelta(minutes=1)
    with time_machine.travel(first, tick=False):
        notifications_mark_read(actor=rep_a, ids=[inbox["old"].pk])

    response = api(rep_a).post(read_url(inbox["old"]), {}, format="json")

    assert response.status_code == 200
    assert read_state()["Old reminder"] == first


def test_mark_all_read(api, rep_a, inbox):
    client = api(rep_a)

    response = client.post(READ_URL, {"all": True}, format="json")
    again = client.post(READ_URL, {"all": True}, format="json")

    assert (response.json(), again.json()) == ({"marked": 2, "unread": 0}, {"marked": 0, "unread": 0})
    assert read_state()["Boris's reminder"] is None
    assert titles(client.get(URL, {"unread": "true"})) == []
    assert titles(client.get(URL, {"unread": "false"})) == ["New task", "Old reminder"]


def test_mark_some_read_by_id(api, rep_a, inbox):
    client = api(rep_a)

    response = client.post(READ_URL, {"ids": [inbox["new"].pk]}, format="json")

    assert response.json() == {"marked": 1, "unread": 1}
    assert titles(client.get(URL, {"unread": "true"})) == ["Old reminder"]


def test_an_empty_list_of_ids_marks_nothing(api, rep_a, inbox):
    response = api(rep_a).post(READ_URL, {"ids": []}, format="json")

    assert response.json() == {"marked": 0, "unread": 2}


@pytest.mark.parametrize(
    ("body", "code", "fields"),
    [
        ({}, "invalid", ["all", "ids"]),
        ({"all": False}, "invalid", ["all", "ids"]),
        ({"all": True, "ids": [1]}, "invalid", ["all", "ids"]),
        ({"ids": "1,2"}, "invalid", ["ids"]),
        ({"ids": [0]}, "invalid", ["ids.0"]),
        ({"ids": [5, "one"]}, "invalid", ["ids.1"]),
        ({"ids": list(range(1, 1002))}, "invalid", ["ids"]),
        ({"all": "yes please"}, "invalid", ["all"]),
        ({"all": True, "everything": True}, "unknown_field", ["everything"]),
    ],
)
def test_mark_many_refuses_bad_input_and_marks_nothing(api, rep_a, inbox, body, code, fields):
    response = api(rep_a).post(READ_URL, body, format="json")

    assert error(response) == (400, code, fields)
    assert set(read_state().values()) == {None}


def test_malformed_json_marks_nothing(api, rep_a, inbox):
    response = api(rep_a).post(READ_URL, '{"all": true', content_type="application/json")

    assert (response.status_code, response.json()["error"]["code"]) == (400, "parse_error")
    assert set(read_state().values()) == {None}


def test_mark_one_takes_no_body(api, rep_a, inbox):
    response = api(rep_a).post(read_url(inbox["old"]), {"read": False}, format="json")

    assert error(response) == (400, "unknown_field", ["read"])
    assert read_state()["Old reminder"] is None


@pytest.mark.parametrize("path", [f"{URL}999999/read/", f"{URL}abc/read/", f"{URL}1/"])
def test_unknown_notification_paths_are_404(api, rep_a, path):
    assert api(rep_a).post(path, {}, format="json").status_code == 404


# --- list: filters, pagination, queries ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "code", "fields"),
    [
        ({"unread": "maybe"}, "invalid_filter", ["unread"]),
        ({"kind": "reminder"}, "unknown_filter", ["kind"]),
        ({"ordering": "title"}, "invalid_filter", ["ordering"]),
        ({"cursor": "forged"}, "invalid_cursor", ["cursor"]),
    ],
)
def test_the_list_refuses_unknown_and_invalid_parameters(api, rep_a, params, code, fields):
    assert error(api(rep_a).get(URL, params)) == (400, code, fields)


def test_the_list_pages_newest_first_with_cursors(api, rep_a):
    for minutes in (50, 40, 30, 20, 10):
        send(rep_a, f"{minutes} minutes ago", minutes_ago=minutes)
    client = api(rep_a)

    first = client.get(URL, {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()

    assert [[row["title"] for row in page["results"]] for page in (first, second, third)] == [
        ["10 minutes ago", "20 minutes ago"],
        ["30 minutes ago", "40 minutes ago"],
        ["50 minutes ago"],
    ]
    assert third["next"] is None


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(URL, {"page_size": 100})
    assert response.status_code == 200
    return len(context.captured_queries)


def test_the_list_query_count_does_not_grow_with_the_rows(api, rep_a, head_a):
    client = api(rep_a)
    client.get(URL)  # the token's first use records last_used_at once
    for index in range(3):
        send(rep_a, f"First {index}", actor=head_a)
    few = _list_queries(client)
    for index in range(30):
        send(rep_a, f"More {index}", actor=head_a if index % 2 else None)
    many = _list_queries(client)

    assert len(client.get(URL, {"page_size": 100}).json()["results"]) == 33
    assert few == many == 2  # the token, the notifications with their actors
