"""Activity reads: who sees which activity, the list filters, My day at the local day's edges, the
calendar, whose day one may open, and a card's timeline of activities and history together."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.http import Http404
from django.utils import timezone

from tandem.accounts.models import User
from tandem.activities.selectors import (
    ActivityFilters,
    activities_for_card,
    activity_get_for_user,
    activity_list,
    calendar_items,
    day_viewable_users,
    my_day,
    planned_for_card,
    timeline_for_card,
)
from tandem.activities.services import activity_trash
from tandem.activities.tests.helpers import add, kind
from tandem.core.errors import PermissionDenied
from tandem.deals.models import Deal
from tandem.deals.services import deal_update

SOFIA = zoneinfo.ZoneInfo("Europe/Sofia")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
UTC = datetime.UTC


def local(month: int, day: int, hour: int = 0, minute: int = 0, zone=SOFIA) -> datetime.datetime:
    return datetime.datetime(2030, month, day, hour, minute, tzinfo=zone)


NOW = local(3, 15, 9)  # Friday 15 March 2030, 09:00 in Sofia


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def subjects(activities) -> list[str]:
    return [activity.subject for activity in activities]


@pytest.fixture
def cast(rep_a, rep_a2, rep_b, head_a, make_deal):
    """A deal per rep and activities written and assigned across people and teams."""
    deals = {
        "A": make_deal(rep_a, "Alpha"),
        "A2": make_deal(rep_a2, "Alpha Two"),
        "B": make_deal(rep_b, "Beta"),
    }
    due = local(3, 18, 10)
    return {
        "A own": add(rep_a, "A own", deal=deals["A"], due_at=due),
        "A2 own": add(rep_a2, "A2 own", deal=deals["A2"], due_at=due),
        "B own": add(rep_b, "B own", deal=deals["B"], due_at=due),
        "Head to A": add(head_a, "Head to A", type_kind="task", deal=deals["A2"], assignee=rep_a, due_at=due),
        "A to B": add(rep_a, "A to B", type_kind="task", deal=deals["A"], assignee=rep_b, due_at=due),
        "deals": deals,
    }


# --- activity_list: scope -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("rep_a", ["A own", "A to B", "Head to A"]),  # assigned to them, or written by them
        ("rep_a2", ["A2 own"]),
        ("rep_b", ["A to B", "B own"]),
        ("head_a", ["A own", "A2 own", "Head to A"]),  # assigned to the team
        ("admin", ["A own", "A to B", "A2 own", "B own", "Head to A"]),
        ("marketer", ["A own", "A to B", "A2 own", "B own", "Head to A"]),
        ("readonly", ["A own", "A to B", "A2 own", "B own", "Head to A"]),
    ],
)
def test_activity_list_shows_what_the_role_may_see(request, cast, who, expected):
    user = request.getfixturevalue(who)

    assert sorted(subjects(activity_list(actor=user))) == expected


def test_activity_list_leaves_out_the_trash(rep_a, cast):
    activity_trash(actor=rep_a, activity=cast["A own"])

    assert sorted(subjects(activity_list(actor=rep_a))) == ["A to B", "Head to A"]


# --- activity_list: filters -----------------------------------------------------------------------------


@pytest.fixture
def spread(rep_a, rep_a2, make_deal, make_contact, make_company):
    company = make_company(rep_a, "Acme")
    contact = make_contact(rep_a, "Ivan", "Petrov", company=company)
    deal = make_deal(rep_a, "Alpha")
    return {
        "overdue call": add(rep_a, "overdue call", deal=deal, due_at=local(3, 14, 10)),
        "call later today": add(rep_a, "call later today", contact=contact, due_at=local(3, 15, 16)),
        "meeting next week": add(rep_a, "meeting next week", "meeting", deal=deal, due_at=local(3, 20, 11)),
        "done call": add(rep_a, "done call", deal=deal, due_at=local(3, 13, 9), done_at=local(3, 13, 9, 30)),
        "logged note": add(rep_a, "logged note", "note", company=company, done_at=local(3, 15, 8)),
        "task for Ravi": add(
            rep_a, "task for Ravi", "task", deal=deal, assignee=rep_a2, due_at=local(3, 21, 9)
        ),
        "deal": deal,
        "contact": contact,
        "company": company,
    }


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": "planned"}, ["call later today", "meeting next week", "overdue call", "task for Ravi"]),
        ({"status": "done"}, ["done call", "logged note"]),
        ({"status": "overdue"}, ["overdue call"]),
        ({"due_from": local(3, 15), "due_to": local(3, 20, 11)}, ["call later today"]),
        ({"due_from": local(3, 20, 11)}, ["meeting next week", "task for Ravi"]),
        ({"due_to": local(3, 14, 10, 1)}, ["done call", "overdue call"]),
        ({"status": "planned", "due_to": local(3, 16)}, ["call later today", "overdue call"]),
    ],
)
def test_activity_list_filters_by_status_and_due_window(rep_a, spread, filters, expected):
    result = activity_list(actor=rep_a, filters=ActivityFilters(**filters))

    assert sorted(subjects(result)) == expected


def test_activity_list_filters_by_link_type_and_assignee(rep_a, rep_a2, spread):
    def by(**filters) -> list[str]:
        return sorted(subjects(activity_list(actor=rep_a, filters=ActivityFilters(**filters))))

    assert by(deal=spread["deal"].pk) == ["done call", "meeting next week", "overdue call", "task for Ravi"]
    assert by(contact=spread["contact"].pk) == ["call later today"]
    # The company is filled in from the contact, so the contact's call shows on the company too.
    assert by(company=spread["company"].pk) == ["call later today", "logged note"]
    assert by(type=kind("meeting").pk) == ["meeting next week"]
    assert by(assignee=rep_a2.pk) == ["task for Ravi"]
    assert by(assignee=rep_a2.pk, type=kind("call").pk) == []


def test_activity_list_is_two_queries_however_many_rows(rep_a, make_deal, django_assert_num_queries):
    deal = make_deal(rep_a)
    for index in range(12):
        add(rep_a, f"Call {index}", deal=deal, due_at=local(3, 18, 10))
    rep_a.has_perm("activities.view_activity")  # the permission cache is loaded once per request

    with django_assert_num_queries(2):
        rows = list(activity_list(actor=rep_a).order_by("due_at", "id"))
        labels = [(row.type.name, row.assignee.full_name, row.deal.title, row.author.email) for row in rows]

    assert len(labels) == 12


# --- activity_get_for_user ------------------------------------------------------------------------------


def test_get_for_user_gives_activities_in_scope(rep_a, cast):
    assert activity_get_for_user(user=rep_a, pk=cast["Head to A"].pk).subject == "Head to A"
    assert activity_get_for_user(user=rep_a, pk=str(cast["A own"].pk), for_write=True).subject == "A own"


@pytest.mark.parametrize("pk", ["abc", "", None, "12abc", 10**30])
def test_get_for_user_is_404_for_nonsense_ids(rep_a, pk):
    with pytest.raises(Http404):
        activity_get_for_user(user=rep_a, pk=pk)


def test_get_for_user_is_404_for_another_teams_activity(rep_a, head_a, cast):
    for user in (rep_a, head_a):
        with pytest.raises(Http404):
            activity_get_for_user(user=user, pk=cast["B own"].pk)


def test_get_for_user_is_404_for_the_trash(rep_a, cast):
    activity_trash(actor=rep_a, activity=cast["A own"])

    with pytest.raises(Http404):
        activity_get_for_user(user=rep_a, pk=cast["A own"].pk)


def test_an_activity_on_a_card_one_sees_shows_but_is_not_changeable(rep_a, rep_b, head_a, make_deal):
    deal = make_deal(rep_a, "Alpha")
    task = add(head_a, "For Boris", "task", deal=deal, assignee=rep_b, due_at=local(3, 18, 10))

    shown = activity_get_for_user(user=rep_a, pk=task.pk)
    with pytest.raises(PermissionDenied):
        activity_get_for_user(user=rep_a, pk=task.pk, for_write=True)

    assert shown.pk == task.pk
    assert subjects(activity_list(actor=rep_a)) == []  # the list is the scope, the card shows it


def test_the_marketer_reads_any_activity_but_changes_none_of_theirs(marketer, cast):
    assert activity_get_for_user(user=marketer, pk=cast["A own"].pk).subject == "A own"
    with pytest.raises(PermissionDenied):
        activity_get_for_user(user=marketer, pk=cast["A own"].pk, for_write=True)


# --- My day ---------------------------------------------------------------------------------------------


@pytest.fixture
def edges(rep_a, make_deal):
    """Planned activities just before and after the local day's edges around 15 March."""
    deal = make_deal(rep_a)
    times = {
        "last week": local(3, 8, 10),
        "yesterday 23:59": local(3, 14, 23, 59),
        "today 00:00": local(3, 15, 0, 0),
        "today 23:59": local(3, 15, 23, 59),
        "tomorrow 00:00": local(3, 16, 0, 0),
        "in 7 days 23:59": local(3, 22, 23, 59),
        "in 8 days 00:00": local(3, 23, 0, 0),
    }
    return {name: add(rep_a, name, deal=deal, due_at=due) for name, due in times.items()}


def day_subjects(day) -> tuple[list[str], list[str], list[str]]:
    return subjects(day.overdue), subjects(day.today), subjects(day.upcoming)


def test_my_day_splits_at_local_midnight(rep_a, edges):
    with time_machine.travel(local(3, 15, 0, 30), tick=False):
        day = my_day(user=rep_a)

    assert day_subjects(day) == (
        ["last week", "yesterday 23:59"],
        ["today 00:00", "today 23:59"],
        ["tomorrow 00:00", "in 7 days 23:59"],
    )


def test_my_day_late_in_the_evening_is_still_the_same_day(rep_a, edges):
    with time_machine.travel(local(3, 15, 23, 59), tick=False):
        day = my_day(user=rep_a)

    assert subjects(day.today) == ["today 00:00", "today 23:59"]


def test_my_day_follows_the_current_time_zone(rep_a, edges):
    # 00:30 in Sofia is 18:30 the day before in New York (UTC−4 in March).
    with time_machine.travel(local(3, 15, 0, 30), tick=False), timezone.override(NEW_YORK):
        day = my_day(user=rep_a)

    assert day_subjects(day) == (
        ["last week"],
        ["yesterday 23:59", "today 00:00"],
        ["today 23:59", "tomorrow 00:00"],  # New York's week ends 22 March 00:00, 06:00 in Sofia
    )


def test_my_day_week_ends_at_local_midnight_across_the_summer_time_change(rep_a, make_deal):
    # Sofia moves its clocks forward on Sunday 31 March 2030: the week ends at 00:00 +03:00.
    deal = make_deal(rep_a)
    add(rep_a, "Saturday night", deal=deal, due_at=local(4, 6, 23, 30))
    add(rep_a, "Sunday just after midnight", deal=deal, due_at=local(4, 7, 0, 30))

    with time_machine.travel(local(3, 30, 12), tick=False):
        day = my_day(user=rep_a)

    assert subjects(day.upcoming) == ["Saturday night"]
    assert day.upcoming[0].due_at.astimezone(UTC) == datetime.datetime(2030, 4, 6, 20, 30, tzinfo=UTC)


def test_my_day_is_only_the_users_open_untrashed_activities_soonest_first(rep_a, rep_a2, make_deal):
    deal = make_deal(rep_a)
    add(rep_a, "Later", deal=deal, due_at=local(3, 15, 16))
    add(rep_a, "Sooner", deal=deal, due_at=local(3, 15, 11))
    add(rep_a, "Done", deal=deal, due_at=local(3, 15, 8), done_at=local(3, 15, 8, 30))
    add(rep_a, "Ravi's", deal=deal, assignee=rep_a2, due_at=local(3, 15, 12))
    activity_trash(actor=rep_a, activity=add(rep_a, "Trashed", deal=deal, due_at=local(3, 15, 13)))

    day = my_day(user=rep_a)

    assert day_subjects(day) == ([], ["Sooner", "Later"], [])
    assert subjects(my_day(user=rep_a2).today) == ["Ravi's"]


def test_my_day_caps_each_window(rep_a, make_deal):
    deal = make_deal(rep_a)
    for hour in range(10, 15):
        add(rep_a, f"At {hour}", deal=deal, due_at=local(3, 15, hour))

    day = my_day(user=rep_a, limit=3)

    assert subjects(day.today) == ["At 10", "At 11", "At 12"]


def test_my_day_is_four_queries_however_full(rep_a, edges, django_assert_num_queries):
    with django_assert_num_queries(4):
        day = my_day(user=rep_a, now=local(3, 15, 0, 30))
        labels = [(item.type.name, item.deal.title) for item in day.overdue + day.today + day.upcoming]

    assert len(labels) == 6


# --- calendar -------------------------------------------------------------------------------------------


def test_calendar_shows_the_planned_activities_of_the_window_one_may_see(head_a, rep_a, cast):
    week = (local(3, 18), local(3, 25))

    assert subjects(calendar_items(actor=head_a, start=week[0], end=week[1])) == [
        "A own",
        "A2 own",
        "Head to A",
    ]
    assert subjects(calendar_items(actor=rep_a, start=week[0], end=week[1])) == [
        "A own",
        "Head to A",
        "A to B",
    ]


def test_calendar_of_one_assignee(head_a, rep_a, rep_b, cast):
    week = (local(3, 18), local(3, 25))

    assert subjects(calendar_items(actor=head_a, start=week[0], end=week[1], assignee=rep_a)) == [
        "A own",
        "Head to A",
    ]
    # Outside the actor's scope the assignee filter finds nothing, not another team's plan.
    assert subjects(calendar_items(actor=head_a, start=week[0], end=week[1], assignee=rep_b)) == []


def test_calendar_window_is_half_open_and_leaves_out_done_and_trashed(rep_a, make_deal):
    deal = make_deal(rep_a)
    add(rep_a, "At the start", deal=deal, due_at=local(3, 18))
    add(rep_a, "Just before the end", deal=deal, due_at=local(3, 24, 23, 59))
    add(rep_a, "At the end", deal=deal, due_at=local(3, 25))
    add(rep_a, "Before the start", deal=deal, due_at=local(3, 17, 23, 59))
    add(rep_a, "Done", deal=deal, due_at=local(3, 14, 10), done_at=local(3, 14, 10))
    activity_trash(actor=rep_a, activity=add(rep_a, "Trashed", deal=deal, due_at=local(3, 19)))

    items = calendar_items(actor=rep_a, start=local(3, 18), end=local(3, 25))

    assert subjects(items) == ["At the start", "Just before the end"]
    assert subjects(calendar_items(actor=rep_a, start=local(3, 14), end=local(3, 15))) == []


def test_calendar_caps_the_number_of_items(rep_a, make_deal):
    deal = make_deal(rep_a)
    for day in (18, 19, 20):
        add(rep_a, f"Day {day}", deal=deal, due_at=local(3, day, 10))

    assert subjects(calendar_items(actor=rep_a, start=local(3, 18), end=local(3, 25), limit=2)) == [
        "Day 18",
        "Day 19",
    ]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("rep_a", ["rep.a@example.com"]),
        ("head_a", ["head.a@example.com", "rep.a2@example.com", "rep.a@example.com"]),
        (
            "admin",
            [
                "admin@example.com",
                "head.a@example.com",
                "rep.a2@example.com",
                "rep.a@example.com",
                "rep.b@example.com",
            ],
        ),
    ],
)
def test_whose_day_one_may_open(request, head_a, rep_a, rep_a2, rep_b, admin, who, expected):
    inactive = User.objects.create(email="gone@example.com", team=rep_a.team, is_active=False)

    emails = sorted(day_viewable_users(actor=request.getfixturevalue(who)).values_list("email", flat=True))

    assert emails == expected
    assert inactive.email not in emails


# --- a card's activities and timeline -------------------------------------------------------------------


def test_planned_for_card_is_the_open_activities_soonest_first(rep_a, make_deal):
    deal = make_deal(rep_a)
    add(rep_a, "Later", deal=deal, due_at=local(3, 20, 10))
    add(rep_a, "Sooner", deal=deal, due_at=local(3, 18, 10))
    add(rep_a, "Done", deal=deal, done_at=local(3, 14, 10))

    assert subjects(planned_for_card(record=deal)) == ["Sooner", "Later"]


def test_activities_for_card_newest_first_by_type_without_the_trash(rep_a, make_deal, make_contact):
    contact = make_contact(rep_a)
    add(rep_a, "Old call", contact=contact, done_at=local(3, 10, 10))
    add(rep_a, "Planned meeting", "meeting", contact=contact, due_at=local(3, 20, 10))
    add(rep_a, "Recent call", contact=contact, done_at=local(3, 14, 10))
    activity_trash(actor=rep_a, activity=add(rep_a, "Trashed", contact=contact, done_at=local(3, 15, 8)))

    assert subjects(activities_for_card(record=contact)) == ["Planned meeting", "Recent call", "Old call"]
    assert subjects(activities_for_card(record=contact, type_id=kind("call").pk)) == [
        "Recent call",
        "Old call",
    ]
    assert subjects(activities_for_card(record=contact, limit=1)) == ["Planned meeting"]


def _timeline_labels(entries) -> list[str]:
    return [
        f"activity {entry.activity.subject}" if entry.activity else f"event {entry.event.action}"
        for entry in entries
    ]


def test_the_timeline_merges_activities_and_history_newest_first(rep_a, make_deal):
    with time_machine.travel(local(3, 10, 9), tick=False):
        deal = make_deal(rep_a, "Alpha")  # the "created" event
    add(rep_a, "Call on the 12th", deal=deal, done_at=local(3, 12, 10))
    with time_machine.travel(local(3, 13, 9), tick=False):
        deal_update(actor=rep_a, deal=deal, data={"notes": "Wants a discount"})  # the "updated" event
    add(rep_a, "Meeting on the 20th", "meeting", deal=deal, due_at=local(3, 20, 10))
    add(rep_a, "Note on the 14th", "note", deal=deal, done_at=local(3, 14, 10))

    entries = timeline_for_card(record=deal)

    assert _timeline_labels(entries) == [
        "activity Meeting on the 20th",
        "activity Note on the 14th",
        "event updated",
        "activity Call on the 12th",
        "event created",
    ]
    assert [entry.at for entry in entries] == sorted((entry.at for entry in entries), reverse=True)


def test_the_timeline_filters_activities_by_type_and_can_leave_out_history(rep_a, make_deal):
    with time_machine.travel(local(3, 10, 9), tick=False):
        deal = make_deal(rep_a, "Alpha")
    add(rep_a, "Call", deal=deal, done_at=local(3, 12, 10))
    add(rep_a, "Note", "note", deal=deal, done_at=local(3, 13, 10))

    calls = timeline_for_card(record=deal, type_id=kind("call").pk)
    only_activities = timeline_for_card(record=deal, include_history=False)

    assert _timeline_labels(calls) == ["activity Call", "event created"]
    assert _timeline_labels(only_activities) == ["activity Note", "activity Call"]


def test_the_timeline_keeps_the_newest_entries_up_to_the_limit(rep_a, make_deal):
    with time_machine.travel(local(3, 1, 9), tick=False):
        deal = make_deal(rep_a, "Alpha")
    for day in (11, 12, 13):
        add(rep_a, f"Call {day}", deal=deal, done_at=local(3, day, 10))

    assert _timeline_labels(timeline_for_card(record=deal, limit=2)) == [
        "activity Call 13",
        "activity Call 12",
    ]


def test_the_timeline_query_count_does_not_grow_with_the_rows(rep_a, make_deal, django_assert_num_queries):
    deal = make_deal(rep_a, "Alpha")
    timeline_for_card(record=deal)  # content types are cached after the first use

    def queries_for_timeline() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as context:
            entries = timeline_for_card(record=Deal.objects.get(pk=deal.pk))
            [(entry.activity.type.name, entry.activity.author.email) for entry in entries if entry.activity]
            [(entry.event.actor_id, entry.event.target_type.model) for entry in entries if entry.event]
        return len(context.captured_queries)

    add(rep_a, "Call 1", deal=deal, done_at=local(3, 12, 10))
    few = queries_for_timeline()
    for index in range(10):
        add(rep_a, f"Call {index + 2}", deal=deal, done_at=local(3, 13, 10))
        deal_update(actor=rep_a, deal=deal, data={"notes": f"Note {index}"})
    many = queries_for_timeline()

    assert few == many == 5  # the deal, activities, their deal, attachments, history rows
