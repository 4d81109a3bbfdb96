"""Notifications in the app: the bell's count (one query), its dropdown, the list with keyset pages,
marking read, following a notification, and choosing which kinds go by email. A user only ever sees
and changes their own notifications."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from tandem.accounts.models import User
from tandem.notifications.models import Notification, NotificationSettings
from tandem.notifications.services import notify


def note(
    recipient: User, title: str, *, key: str | None = None, url: str = "", kind: str = "reminder", **extra
):
    notification = notify(recipient=recipient, kind=kind, key=key or title, title=title, url=url, **extra)
    assert notification is not None
    return notification


def many(recipient: User, count: int, *, read: bool = False) -> list[Notification]:
    start = timezone.now() - datetime.timedelta(hours=count)
    rows = Notification.objects.bulk_create(
        Notification(
            recipient=recipient,
            kind=Notification.Kind.REMINDER,
            key=f"bulk:{index}",
            title=f"Reminder {index:03d}",
            created_at=start + datetime.timedelta(minutes=index),
            read_at=timezone.now() if read else None,
        )
        for index in range(count)
    )
    return rows


def unread(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def rows(html: str) -> int:
    return len(re.findall(r'id="notification-\d+"', html))


def login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


# --- anonymous -----------------------------------------------------------------------------------


def test_anonymous_gets_nothing_and_changes_nothing(client, rep_a):
    mine = note(rep_a, "Call Ivan")
    assert client.get("/notifications/bell/").status_code == 204
    for url in ["/notifications/", "/notifications/menu/", f"/notifications/{mine.pk}/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/")
    assert client.post(f"/notifications/{mine.pk}/read/").status_code == 302
    assert client.post("/notifications/read-all/").status_code == 302
    assert client.post("/profile/notifications/", {"email_kinds": ["digest"]}).status_code == 302
    assert unread(rep_a) == 1
    assert not NotificationSettings.objects.exists()


# --- the bell ------------------------------------------------------------------------------------


def test_the_bell_shows_the_unread_count(client, rep_a, rep_b):
    note(rep_a, "One")
    note(rep_a, "Two")
    note(rep_a, "Read", key="read")
    Notification.objects.filter(key="read").update(read_at=timezone.now())
    note(rep_b, "Not mine")

    response = login(client, rep_a).get("/notifications/bell/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-unread="2">2<' in html
    assert 'hx-trigger="every 60s, notifications-changed from:body"' in html
    assert "load" not in html  # the polled fragment must not trigger itself again
    assert "no-store" in response["Cache-Control"]


def test_the_bell_caps_the_count_at_99_plus(client, rep_a):
    many(rep_a, 120)
    html = login(client, rep_a).get("/notifications/bell/").content.decode()
    assert ">99+<" in html


def test_the_bell_is_empty_without_unread_notifications(client, rep_a):
    html = login(client, rep_a).get("/notifications/bell/").content.decode()
    assert "badge" not in html


def test_the_bell_costs_one_query(client, rep_a, django_assert_num_queries):
    many(rep_a, 150)
    login(client, rep_a)
    with django_assert_num_queries(3):  # the session, the user, the count
        client.get("/notifications/bell/")


def test_every_page_has_the_bell_that_loads_its_count(client, rep_a):
    html = login(client, rep_a).get("/contacts/").content.decode()
    bell = 'hx-get="/notifications/bell/" hx-trigger="load, every 60s, notifications-changed from:body"'
    assert f'{bell} hx-target="this"' in html
    assert 'hx-get="/notifications/menu/"' in html


# --- the dropdown and the list -------------------------------------------------------------------


def test_the_dropdown_shows_the_newest_own_notifications(client, rep_a, rep_b):
    many(rep_a, 12)
    note(rep_b, "Boris's reminder")
    html = login(client, rep_a).get("/notifications/menu/").content.decode()
    assert html.count('class="dropdown-item d-flex') == 8
    assert "Reminder 011" in html and "Reminder 004" in html and "Reminder 003" not in html
    assert "Boris" not in html


def test_the_list_shows_only_own_notifications_newest_first(client, rep_a, rep_b):
    note(rep_a, "Older", url="/deals/1/")
    note(rep_a, "Newer", kind=Notification.Kind.TASK_ASSIGNED, actor=rep_b)
    note(rep_b, "Boris's reminder")

    response = login(client, rep_a).get("/notifications/")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Newer") < html.index("Older")
    assert "A colleague gave me a task · Boris Rep" in " ".join(html.split())
    assert "Boris&#x27;s reminder" not in html


def test_the_list_pages_by_keyset(client, rep_a):
    many(rep_a, 35)
    login(client, rep_a)
    first = client.get("/notifications/").content.decode()
    assert rows(first) == 30
    assert "Reminder 034" in first and "Reminder 005" in first and "Reminder 004" not in first
    cursor = first.split("cursor=")[1].split('"')[0]
    second = client.get("/notifications/", {"cursor": cursor}).content.decode()
    assert rows(second) == 5
    assert "Reminder 004" in second and "Reminder 000" in second
    assert client.get("/notifications/", {"cursor": "garbage!!"}).status_code == 200


def test_the_list_filters_unread(client, rep_a):
    note(rep_a, "Still new")
    note(rep_a, "Seen", key="seen")
    Notification.objects.filter(key="seen").update(read_at=timezone.now())
    html = login(client, rep_a).get("/notifications/", {"unread": "1"}).content.decode()
    assert "Still new" in html and "Seen" not in html


def test_the_list_query_count(client, rep_a, rep_b, django_assert_max_num_queries):
    many(rep_a, 40)
    for index in range(10):
        note(rep_a, f"Task {index}", kind=Notification.Kind.TASK_ASSIGNED, actor=rep_b)
    login(client, rep_a)
    # the session, the user, the page, its bounded count, and the menu's permission lookups
    with django_assert_max_num_queries(6):
        response = client.get("/notifications/")
    assert rows(response.content.decode()) == 30


# --- reading -------------------------------------------------------------------------------------


def test_following_a_notification_marks_it_read_and_opens_what_it_is_about(client, rep_a):
    mine = note(rep_a, "Call Ivan", url="/activities/7/")
    response = login(client, rep_a).get(f"/notifications/{mine.pk}/")
    assert (response.status_code, response["Location"]) == (302, "/activities/7/")
    mine.refresh_from_db()
    assert mine.read_at is not None


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("https://evil.example/phish", "/notifications/"),
        ("//evil.example/", "/notifications/"),
        ("", "/notifications/"),
        ("http://127.0.0.1:8000/deals/5/", "/deals/5/"),
    ],
)
def test_following_a_notification_stays_on_this_site(client, rep_a, url, target):
    mine = note(rep_a, "Odd link", url=url)
    response = login(client, rep_a).get(f"/notifications/{mine.pk}/")
    assert response["Location"] == target


def test_mark_one_read(client, rep_a):
    first = note(rep_a, "First")
    second = note(rep_a, "Second")
    login(client, rep_a)
    response = client.post(f"/notifications/{first.pk}/read/")
    assert (response.status_code, response["Location"]) == (302, "/notifications/")
    fragment = client.post(f"/notifications/{second.pk}/read/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert fragment["HX-Trigger"] == "notifications-changed"
    assert f'id="notification-{second.pk}"' in fragment.content.decode()
    assert "Mark read" not in fragment.content.decode()
    assert unread(rep_a) == 0


def test_mark_all_read_marks_only_own(client, rep_a, rep_b):
    many(rep_a, 5)
    many(rep_b, 3)
    login(client, rep_a)
    response = client.post("/notifications/read-all/")
    assert (response.status_code, response["Location"]) == (302, "/notifications/")
    assert (unread(rep_a), unread(rep_b)) == (0, 3)
    menu = client.post("/notifications/read-all/", {"from": "menu"}, HTTP_HX_REQUEST="true")
    assert menu["HX-Trigger"] == "notifications-changed"
    assert "Reminder 004" in menu.content.decode()


@pytest.mark.parametrize("role", ["rep_a2", "rep_b", "head_a", "admin", "readonly"])
def test_nobody_reads_or_marks_someone_elses_notification(client, rep_a, request, role):
    mine = note(rep_a, "Rita's private reminder", url="/deals/1/")
    login(client, request.getfixturevalue(role))
    assert client.get(f"/notifications/{mine.pk}/").status_code == 404
    assert client.post(f"/notifications/{mine.pk}/read/").status_code == 404
    client.post("/notifications/read-all/")
    for url in ["/notifications/", "/notifications/menu/"]:
        assert "Rita&#x27;s private reminder" not in client.get(url).content.decode()
    assert 'data-unread="' not in client.get("/notifications/bell/").content.decode()
    assert unread(rep_a) == 1


def test_marking_read_needs_a_post(client, rep_a):
    mine = note(rep_a, "Call Ivan")
    login(client, rep_a)
    assert client.get(f"/notifications/{mine.pk}/read/").status_code == 405
    assert client.get("/notifications/read-all/").status_code == 405
    assert unread(rep_a) == 1


# --- which kinds go by email ---------------------------------------------------------------------


def test_the_profile_shows_the_email_choices_with_the_defaults_ticked(client, rep_a):
    html = login(client, rep_a).get("/profile/").content.decode()
    assert "Notifications by email" in html
    assert 'value="digest" class="form-check-input" id="id_email_kinds_7" checked' in html
    assert 'value="mention" class="form-check-input" id="id_email_kinds_2">' in html


def test_a_user_chooses_which_kinds_go_by_email(client, rep_a, rep_b):
    login(client, rep_a)
    response = client.post("/profile/notifications/", {"email_kinds": ["mention", "digest"]})
    assert (response.status_code, response["Location"]) == (302, "/profile/#notifications")
    assert NotificationSettings.objects.get(user=rep_a).email_kinds == ["digest", "mention"]
    assert not NotificationSettings.objects.filter(user=rep_b).exists()
    html = client.get("/profile/").content.decode()
    assert 'value="mention" class="form-check-input" id="id_email_kinds_2" checked' in html

    client.post("/profile/notifications/", {})
    assert NotificationSettings.objects.get(user=rep_a).email_kinds == []


def test_an_unknown_kind_is_refused(client, rep_a):
    response = login(client, rep_a).post("/profile/notifications/", {"email_kinds": ["digest", "everything"]})
    assert response.status_code == 400
    assert (
        "Select a valid choice. everything is not one of the available choices." in response.content.decode()
    )
    assert not NotificationSettings.objects.exists()
