"""The visibility matrix for planned activities: My day, the calendar page, the calendar's events, a
drop on the calendar and the iCal feed show (and change) an activity exactly when the role's scope
over its assignee allows; each user's notifications stay their own."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.test import Client
from icalendar import Calendar

from tandem.activities.calendar_feed import calendar_feed_create
from tandem.activities.models import Activity
from tandem.notifications.models import Notification
from tandem.notifications.services import notify
from tandem.web.tests.test_planning_views import NOW, at, plan
from tandem.web.tests.test_visibility_matrix import CASES, MATRIX

WEEK = {"start": "2030-01-14T00:00:00+02:00", "end": "2030-01-21T00:00:00+02:00"}
SUBJECTS = {"alpha": "Alphaworth callback", "bravo": "Bravokin meeting"}


@pytest.fixture
def users(rep_a, rep_a2, head_a, rep_b, admin, marketer, readonly):
    return {
        "rep_a": rep_a,
        "rep_a2": rep_a2,
        "head_a": head_a,
        "rep_b": rep_b,
        "admin": admin,
        "marketer": marketer,
        "readonly": readonly,
    }


@pytest.fixture
def activities(rep_a, rep_b, make_contact) -> dict[str, Activity]:
    with time_machine.travel(NOW, tick=False):
        return {
            "alpha": plan(
                rep_a, SUBJECTS["alpha"], at(16, 15), contact=make_contact(rep_a, "Zeb", "Alphaworth")
            ),
            "bravo": plan(
                rep_b, SUBJECTS["bravo"], at(16, 16), contact=make_contact(rep_b, "Xan", "Bravokin")
            ),
        }


@pytest.fixture
def as_user(users):
    def make(name: str) -> Client:
        client = Client()
        client.force_login(users[name])
        return client

    return make


@pytest.mark.parametrize(("viewer", "record"), CASES)
def test_every_planning_surface_shows_an_activity_exactly_when_the_role_allows(
    viewer, record, activities, users, as_user
):
    activity = activities[record]
    assignee = activity.assignee
    may_see, may_change = MATRIX[viewer][record]
    is_own = assignee.pk == users[viewer].pk

    with time_machine.travel(NOW, tick=False):
        client = as_user(viewer)  # signed in at the frozen time, so the session is current
        # My day and the calendar of the viewer themselves: only their own activities.
        own_day = client.get("/my-day/").content.decode()
        assert (SUBJECTS[record] in own_day) is is_own
        own_events = client.get("/calendar/events/", WEEK).json()
        assert (str(activity.pk) in [event["id"] for event in own_events]) is is_own

        # The assignee's day, calendar page and events: exactly when the scope covers them.
        day = client.get("/my-day/", {"user": assignee.pk})
        assert day.status_code == (200 if may_see else 404)
        assert (SUBJECTS[record] in day.content.decode()) is may_see
        page = client.get("/calendar/", {"user": assignee.pk, "date": "2030-01-16"})
        assert page.status_code == (200 if may_see else 404)
        assert (SUBJECTS[record] in page.content.decode()) is may_see
        events = client.get("/calendar/events/", {**WEEK, "user": assignee.pk})
        assert events.status_code == (200 if may_see else 404)
        if may_see:
            [event] = events.json()
            assert (event["id"], event["editable"]) == (str(activity.pk), may_change)

        # "Everyone I can see" exists only for team- and company-wide scopes.
        everyone = client.get("/calendar/events/", {**WEEK, "user": "all"})
        if viewer in ("rep_a", "rep_a2", "rep_b"):
            assert everyone.status_code == 404
        else:
            assert (str(activity.pk) in [event["id"] for event in everyone.json()]) is may_see

        # A drop on the calendar changes the activity exactly when the role may change it.
        before = Activity.objects.get(pk=activity.pk).due_at
        moved = client.post(f"/calendar/events/{activity.pk}/move/", {"start": "2030-01-18T10:00:00+02:00"})
        assert moved.status_code == (200 if may_change else 403 if may_see else 404)
        after = Activity.objects.get(pk=activity.pk).due_at
        assert (after != before) is may_change

        # The viewer's own iCal feed holds only the viewer's own plan.
        _feed, token = calendar_feed_create(user=users[viewer])
        feed = Calendar.from_ical(client.get(f"/calendar/feed/{token}.ics").content)
        uids = [str(event["uid"]) for event in feed.walk("VEVENT")]
        assert (f"activity-{activity.pk}@127.0.0.1" in uids) is is_own


def test_each_user_sees_only_their_own_notifications(users, as_user):
    for name, user in users.items():
        notify(
            recipient=user, kind=Notification.Kind.REMINDER, key="k", title=f"For {name} only", url="/my-day/"
        )
    for name in users:
        client = as_user(name)
        listing = client.get("/notifications/").content.decode()
        menu = client.get("/notifications/menu/").content.decode()
        bell = client.get("/notifications/bell/").content.decode()
        for other in users:
            assert (f"For {other} only" in listing) is (other == name)
            assert (f"For {other} only" in menu) is (other == name)
        assert 'data-unread="1"' in bell
        others = Notification.objects.exclude(recipient=users[name])
        for notification in others:
            assert client.get(f"/notifications/{notification.pk}/").status_code == 404
            assert client.post(f"/notifications/{notification.pk}/read/").status_code == 404
        client.post("/notifications/read-all/")
        assert others.filter(read_at__isnull=False).count() == 0
        Notification.objects.filter(recipient=users[name]).update(read_at=None)


def test_feeds_of_two_users_never_mix(client, rep_a, rep_b, activities):
    _feed_a, token_a = calendar_feed_create(user=rep_a)
    _feed_b, token_b = calendar_feed_create(user=rep_b)
    with time_machine.travel(NOW - datetime.timedelta(hours=1), tick=False):
        # the feed needs no session
        body_a = client.get(f"/calendar/feed/{token_a}.ics").content.decode()
        body_b = client.get(f"/calendar/feed/{token_b}.ics").content.decode()
    assert SUBJECTS["alpha"] in body_a and SUBJECTS["bravo"] not in body_a
    assert SUBJECTS["bravo"] in body_b and SUBJECTS["alpha"] not in body_b
