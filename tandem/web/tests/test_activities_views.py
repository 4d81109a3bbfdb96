"""Activities on cards and the activity page: log and plan from the card's form (htmx and plain
posts), done with the next step asked for, reschedule, trash, the merged timeline with its filter,
attachments, @mentions, the deal move that plans a next step, who may do what, bad input, and a
constant number of queries on cards full of activities."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tandem.activities.attachments import attachment_add
from tandem.activities.models import Activity, ActivityType, Attachment, Outcome
from tandem.activities.services import activity_create, activity_trash
from tandem.deals.models import Deal, Stage
from tandem.deals.services import deal_move
from tandem.notifications.models import Notification
from tandem.web.tests.deal_helpers import make_deal, stage

HTMX = {"HTTP_HX_REQUEST": "true"}
SOFIA = zoneinfo.ZoneInfo("Europe/Sofia")
NOW = datetime.datetime(2030, 5, 14, 11, 0, tzinfo=SOFIA)  # a Tuesday morning
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 64


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def kind(name: str) -> ActivityType:
    return ActivityType.objects.get(kind=name)


def outcome(name: str) -> Outcome:
    return Outcome.objects.get(name=name)


def section_url(record) -> str:
    slug = {"Deal": "deals", "Contact": "contacts", "Company": "companies"}[type(record).__name__]
    return reverse("card_activities", args=[slug, record.pk])


def log_data(**changes):
    """The card form in "log what happened" mode (field names carry the form's prefix)."""
    data = {
        "mode": "log",
        "type": kind("call").pk,
        "subject": "Intro call",
        "done_at": "2030-05-14T10:30",
        "outcome": outcome("Reached").pk,
        "direction": "out",
        "duration_minutes": "12",
        "description": "",
        "due_at": "",
        "assignee": "",
        "reminder": "",
    }
    data.update(changes)
    return {f"activity-{name}": value for name, value in data.items()}


def plan_data(who, **changes):
    data = {
        "mode": "plan",
        "type": kind("call").pk,
        "subject": "Call back about the offer",
        "due_at": "2030-05-15T10:00",
        "assignee": who.pk,
        "reminder": "15",
        "duration_minutes": "",
        "description": "",
        "done_at": "",
        "outcome": "",
        "direction": "",
    }
    data.update(changes)
    return {f"activity-{name}": value for name, value in data.items()}


def planned(actor, record, subject="Call back", due=None, **extra) -> Activity:
    field = {"Deal": "deal", "Contact": "contact", "Company": "company"}[type(record).__name__]
    return activity_create(
        actor=actor,
        type=extra.pop("type", kind("call")),
        subject=subject,
        due_at=due or NOW + datetime.timedelta(days=1),
        **{field: record},
        **extra,
    )


def logged(actor, record, subject="Intro call", at=None, **extra) -> Activity:
    field = {"Deal": "deal", "Contact": "contact", "Company": "company"}[type(record).__name__]
    return activity_create(
        actor=actor,
        type=extra.pop("type", kind("call")),
        subject=subject,
        done_at=at or NOW - datetime.timedelta(hours=1),
        **{field: record},
        **extra,
    )


def stored_files(folder: str = "attachments") -> list[str]:
    if not default_storage.exists(folder):
        return []
    folders, files = default_storage.listdir(folder)
    found = [f"{folder}/{name}" for name in files]
    for name in folders:
        found += stored_files(f"{folder}/{name}")
    return found


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- who may do what -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,method",
    [
        ("card_activities", "get"),
        ("card_activities", "post"),
        ("activity_detail", "get"),
        ("activity_edit", "get"),
        ("activity_done", "post"),
        ("activity_reschedule", "post"),
        ("activity_trash", "post"),
        ("attachment_download", "get"),
    ],
)
def test_activity_views_send_anonymous_to_login(client, rep_a, name, method):
    deal = make_deal(rep_a)
    activity = planned(rep_a, deal)
    args = {
        "card_activities": ["deals", deal.pk],
        "attachment_download": [activity.pk, 1],
    }.get(name, [activity.pk])

    response = getattr(client, method)(reverse(name, args=args))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert Activity.objects.count() == 1


def test_rep_of_another_team_cannot_see_or_add_to_the_card(client, rep_a, rep_b):
    deal = make_deal(rep_a)
    client.force_login(rep_b)

    assert client.get(section_url(deal)).status_code == 404
    response = client.post(section_url(deal), log_data(), **HTMX)

    assert response.status_code == 404
    assert Activity.objects.count() == 0


@pytest.mark.parametrize(
    "name,method,data",
    [
        ("activity_detail", "get", None),
        ("activity_edit", "get", None),
        ("activity_edit", "post", {"type": "", "subject": "Changed"}),
        ("activity_done", "post", {"note": "sneaky"}),
        ("activity_reschedule", "post", {"shift": "week"}),
        ("activity_trash", "post", None),
    ],
)
def test_rep_of_another_team_gets_404_on_an_activity_and_nothing_changes(
    client, rep_a, rep_b, name, method, data
):
    deal = make_deal(rep_a)
    activity = planned(rep_a, deal, "Secret call")
    client.force_login(rep_b)

    response = getattr(client, method)(reverse(name, args=[activity.pk]), data)

    assert response.status_code == 404
    activity.refresh_from_db()
    assert (
        activity.subject,
        activity.done_at,
        activity.due_at,
        activity.deleted_at,
        activity.description,
    ) == (
        "Secret call",
        None,
        NOW + datetime.timedelta(days=1),
        None,
        "",
    )


def test_rep_of_another_team_cannot_download_an_attachment(client, rep_a, rep_b):
    activity = logged(rep_a, make_deal(rep_a))
    attachment = attachment_add(actor=rep_a, activity=activity, file=upload("offer.pdf", PDF))
    client.force_login(rep_b)

    response = client.get(reverse("attachment_download", args=[activity.pk, attachment.pk]))

    assert response.status_code == 404


def test_readonly_sees_the_card_and_activity_without_any_form_or_button(client, rep_a, readonly):
    deal = make_deal(rep_a)
    activity = planned(rep_a, deal, "Call back")
    client.force_login(readonly)

    card = client.get(reverse("deal_detail", args=[deal.pk]))
    page = client.get(reverse("activity_detail", args=[activity.pk]))

    assert card.status_code == 200 and page.status_code == 200
    assert card.context["section"].form is None
    assert card.context["section"].changeable == set()
    html = card.content.decode()
    assert "Call back" in html
    assert 'name="activity-mode"' not in html
    assert reverse("activity_done", args=[activity.pk]) not in html
    assert reverse("activity_edit", args=[activity.pk]) not in page.content.decode()


@pytest.mark.parametrize(
    "name,data",
    [
        ("activity_edit", {"type": "1", "subject": "Changed", "assignee": "1", "due_at": "2030-06-01T10:00"}),
        ("activity_done", {"note": "sneaky"}),
        ("activity_reschedule", {"shift": "week"}),
        ("activity_trash", None),
    ],
)
def test_readonly_gets_the_friendly_403_on_writes_and_nothing_changes(client, rep_a, readonly, name, data):
    activity = planned(rep_a, make_deal(rep_a), "Call back")
    client.force_login(readonly)

    response = client.post(reverse(name, args=[activity.pk]), data)

    assert response.status_code == 403
    assert "You cannot do this" in response.content.decode()
    activity.refresh_from_db()
    assert (activity.subject, activity.done_at, activity.due_at, activity.deleted_at) == (
        "Call back",
        None,
        NOW + datetime.timedelta(days=1),
        None,
    )


def test_readonly_cannot_log_on_a_card_and_nothing_is_created(client, rep_a, readonly):
    deal = make_deal(rep_a)
    client.force_login(readonly)

    response = client.post(section_url(deal), log_data(), **HTMX)

    assert response.status_code == 403
    assert Activity.objects.count() == 0


def test_head_works_on_the_team_reps_activities_but_not_on_another_team(client, rep_a, rep_b, head_a):
    mine = planned(rep_a, make_deal(rep_a), "Team call")
    other = planned(rep_b, make_deal(rep_b), "Other call")
    client.force_login(head_a)

    done = client.post(reverse("activity_done", args=[mine.pk]), {"note": "Head took it"})
    refused = client.post(reverse("activity_done", args=[other.pk]), {"note": "No"})

    assert done.status_code == 302 and refused.status_code == 404
    mine.refresh_from_db()
    other.refresh_from_db()
    assert (mine.done_at, mine.description) == (NOW, "Head took it")
    assert other.done_at is None


def test_admin_logs_on_any_card_and_trashes_any_activity(client, rep_b, admin):
    deal = make_deal(rep_b)
    theirs = planned(rep_b, deal, "Their call")
    client.force_login(admin)

    logged_response = client.post(section_url(deal), log_data(subject="Admin call"))
    trashed_response = client.post(reverse("activity_trash", args=[theirs.pk]))

    assert logged_response.status_code == 302 and trashed_response.status_code == 302
    assert Activity.objects.get(subject="Admin call").author == admin
    theirs.refresh_from_db()
    assert theirs.deleted_at == NOW


def test_a_colleague_in_the_same_team_cannot_change_a_reps_activity(client, rep_a, rep_a2, make_company):
    company = make_company(rep_a, "Shared Co")
    from tandem.contacts.services import record_share

    record_share(actor=rep_a, record=company, users=[rep_a2])
    activity = planned(rep_a, company, "Rita's call")
    client.force_login(rep_a2)

    page = client.get(reverse("activity_detail", args=[activity.pk]))
    response = client.post(reverse("activity_reschedule", args=[activity.pk]), {"shift": "week"})

    assert page.status_code == 200  # the card is shared with them, so its activities show
    assert response.status_code == 403
    activity.refresh_from_db()
    assert activity.due_at == NOW + datetime.timedelta(days=1)


def test_marketer_may_change_an_own_activity_but_not_trash_it(client, marketer, make_company):
    company = make_company(marketer, "Fair Co")
    activity = planned(marketer, company, "Booth visit")
    client.force_login(marketer)

    response = client.post(reverse("activity_trash", args=[activity.pk]))

    assert response.status_code == 403
    activity.refresh_from_db()
    assert activity.deleted_at is None


# --- log and plan on a card ----------------------------------------------------------------------


def test_logging_a_call_with_htmx_answers_with_the_fresh_section(client, rep_a):
    deal = make_deal(rep_a)
    planned(rep_a, deal, "Already planned")
    client.force_login(rep_a)

    response = client.post(section_url(deal), log_data(description="Asked for a discount"), **HTMX)

    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    html = response.content.decode()
    assert '<section id="activities"' in html and "<html" not in html
    assert "Logged: Intro call." in html
    activity = Activity.objects.get(subject="Intro call")
    assert (
        activity.type.kind,
        activity.done_at,
        activity.outcome.name,
        activity.direction,
        activity.duration_minutes,
        activity.description,
        activity.author,
        activity.assignee,
        activity.deal,
        activity.due_at,
    ) == ("call", NOW - datetime.timedelta(minutes=30), "Reached", "out", 12, "Asked for a discount", rep_a,
          rep_a, deal, None)  # fmt: skip
    entries = [entry.activity.subject for entry in response.context["section"].timeline if entry.activity]
    assert entries == ["Intro call"]


def test_logging_without_javascript_redirects_back_to_the_card(client, rep_a, make_contact):
    contact = make_contact(rep_a, "Ivan", "Petrov")
    client.force_login(rep_a)

    response = client.post(section_url(contact), log_data(**{"done_at": ""}))

    assert response.status_code == 302
    assert response["Location"] == reverse("contact_detail", args=[contact.pk]) + "#activities"
    activity = Activity.objects.get()
    assert (activity.contact, activity.done_at) == (contact, NOW)  # an empty "when" means now
    page = client.get(response["Location"])
    assert "Logged: Intro call." in page.content.decode()


def test_an_empty_subject_takes_the_types_name(client, rep_a, make_company):
    company = make_company(rep_a, "Acme")
    client.force_login(rep_a)

    client.post(section_url(company), log_data(subject="", type=kind("meeting").pk), **HTMX)

    assert Activity.objects.get().subject == "Meeting"


def test_planning_a_task_for_a_colleague_notifies_them_and_sets_the_reminder(client, rep_a, rep_a2):
    deal = make_deal(rep_a, next_step_date=None)
    client.force_login(rep_a)

    response = client.post(
        section_url(deal), plan_data(rep_a2, type=kind("task").pk, subject="Send the price list"), **HTMX
    )

    assert response.status_code == 200
    activity = Activity.objects.get()
    due = datetime.datetime(2030, 5, 15, 10, 0, tzinfo=SOFIA)
    assert (activity.due_at, activity.remind_at, activity.done_at, activity.assignee, activity.author) == (
        due,
        due - datetime.timedelta(minutes=15),
        None,
        rep_a2,
        rep_a,
    )
    assert [(n.recipient, n.kind, n.url) for n in Notification.objects.all()] == [
        (rep_a2, "task_assigned", f"/activities/{activity.pk}/")
    ]
    deal.refresh_from_db()
    assert (deal.next_step, deal.next_step_date) == ("Send the price list", datetime.date(2030, 5, 15))
    section = response.context["section"]
    assert [item.subject for item in section.planned] == ["Send the price list"]
    assert section.no_next_step is False


@pytest.mark.parametrize("choice,minutes", [("", None), ("0", 0), ("15", 15), ("60", 60), ("1440", 1440)])
def test_each_reminder_choice_sets_the_reminder_before_the_due_time(client, rep_a, choice, minutes):
    deal = make_deal(rep_a)
    client.force_login(rep_a)

    client.post(section_url(deal), plan_data(rep_a, reminder=choice), **HTMX)

    activity = Activity.objects.get()
    expected = None if minutes is None else activity.due_at - datetime.timedelta(minutes=minutes)
    assert activity.remind_at == expected


def test_a_planned_item_past_its_due_time_is_allowed_and_marked_overdue(client, rep_a):
    deal = make_deal(rep_a)
    client.force_login(rep_a)

    response = client.post(section_url(deal), plan_data(rep_a, due_at="2030-05-13T09:00"), **HTMX)

    assert response.status_code == 200
    activity = Activity.objects.get()
    assert activity.is_overdue is True
    html = response.content.decode()
    assert f'id="planned-{activity.pk}"' in html
    assert "planned-item is-overdue" in html and "overdue" in html


def test_planned_items_are_listed_soonest_first(client, rep_a):
    deal = make_deal(rep_a)
    planned(rep_a, deal, "Later", NOW + datetime.timedelta(days=3))
    planned(rep_a, deal, "Overdue", NOW - datetime.timedelta(days=1))
    planned(rep_a, deal, "Tomorrow", NOW + datetime.timedelta(days=1))
    client.force_login(rep_a)

    response = client.get(reverse("deal_detail", args=[deal.pk]))

    assert [item.subject for item in response.context["section"].planned] == ["Overdue", "Tomorrow", "Later"]


def test_an_open_deal_without_a_planned_activity_is_flagged_on_its_card(client, rep_a):
    bare = make_deal(rep_a, "Bare", next_step_date=None)
    busy = make_deal(rep_a, "Busy")
    planned(rep_a, busy, "Call")
    won = make_deal(rep_a, "Won one", amount="10.00")
    deal_move(actor=rep_a, deal=won, stage=stage("Won"))
    client.force_login(rep_a)

    flags = {}
    for deal in (bare, busy, won):
        response = client.get(reverse("deal_detail", args=[deal.pk]))
        flags[deal.title] = (
            response.context["section"].no_next_step,
            "No next step planned" in response.content.decode(),
        )

    assert flags == {"Bare": (True, True), "Busy": (False, False), "Won one": (False, False)}


def test_logging_on_an_open_deal_with_nothing_planned_asks_for_the_next_step(client, rep_a):
    deal = make_deal(rep_a, next_step_date=None)
    client.force_login(rep_a)

    response = client.post(section_url(deal), log_data(), **HTMX)

    section = response.context["section"]
    logged_activity = Activity.objects.get()
    assert section.after == logged_activity
    form = section.form
    assert (form.mode_value, form.initial["subject"], form.initial["type"]) == (
        "plan",
        "Intro call",
        kind("call").pk,
    )
    assert 'id="activity-mode-plan" value="plan" autocomplete="off" checked' in response.content.decode()


def test_plain_log_on_a_deal_redirects_to_the_next_step_prompt(client, rep_a):
    deal = make_deal(rep_a, next_step_date=None)
    client.force_login(rep_a)

    response = client.post(section_url(deal), log_data())

    activity = Activity.objects.get()
    assert (
        response["Location"] == f"{reverse('deal_detail', args=[deal.pk])}?after={activity.pk}#activity-form"
    )
    page = client.get(response["Location"])
    assert "is done. What is the next step?" in page.content.decode()


def test_the_card_form_can_open_in_plan_mode(client, rep_a):
    deal = make_deal(rep_a)
    client.force_login(rep_a)

    response = client.get(section_url(deal) + "?mode=plan")

    assert response.status_code == 200 and "<html" in response.content.decode()
    assert response.context["section"].form.mode_value == "plan"


# --- done and the next step ----------------------------------------------------------------------


def test_done_asks_for_the_outcome_inline_then_for_the_next_step(client, rep_a, make_contact):
    person = make_contact(rep_a, "Ivan", "Petrov")
    deal = make_deal(rep_a)
    activity = planned(rep_a, deal, "Call Ivan", contact=person, description="Ask about the budget")
    client.force_login(rep_a)

    inline = client.get(reverse("activity_done", args=[activity.pk]) + f"?card=deals:{deal.pk}", **HTMX)
    assert inline.status_code == 200
    inline_html = inline.content.decode()
    assert "<html" not in inline_html and 'hx-target="#activities"' in inline_html
    assert 'name="outcome"' in inline_html and 'name="note"' in inline_html

    response = client.post(
        reverse("activity_done", args=[activity.pk]),
        {"card": f"deals:{deal.pk}", "outcome": outcome("Asked to call back").pk, "note": "Budget in June"},
        **HTMX,
    )

    assert response.status_code == 200
    activity.refresh_from_db()
    assert (activity.done_at, activity.outcome.name, activity.description) == (
        NOW,
        "Asked to call back",
        "Ask about the budget\n\nBudget in June",
    )
    section = response.context["section"]
    assert section.after == activity and section.planned == []
    form = section.form
    assert (form.mode_value, form.initial["subject"], form.initial["contact"], form.initial["assignee"]) == (
        "plan",
        "Call Ivan",
        person.pk,
        rep_a.pk,
    )
    assert "Done: Call Ivan. What is the next step?" in response.content.decode()
    deal.refresh_from_db()
    assert (deal.next_step, deal.next_step_date) == ("", None)


def test_done_without_javascript_goes_to_the_card_asking_for_the_next_step(client, rep_a):
    deal = make_deal(rep_a)
    activity = planned(rep_a, deal, "Call")
    client.force_login(rep_a)

    page = client.get(reverse("activity_done", args=[activity.pk]))
    response = client.post(reverse("activity_done", args=[activity.pk]), {"outcome": "", "note": ""})

    assert page.status_code == 200 and "<html" in page.content.decode()
    assert response.status_code == 302
    assert (
        response["Location"] == f"{reverse('deal_detail', args=[deal.pk])}?after={activity.pk}#activity-form"
    )
    card = client.get(response["Location"])
    assert card.context["section"].after == activity
    assert card.context["section"].form.mode_value == "plan"


def test_the_prefilled_next_step_on_a_contact_card_keeps_the_deal_link(client, rep_a, make_contact):
    person = make_contact(rep_a, "Ivan", "Petrov")
    deal = make_deal(rep_a, next_step_date=None)
    first = planned(rep_a, deal, "Call Ivan", contact=person)
    client.force_login(rep_a)
    done = client.post(
        reverse("activity_done", args=[first.pk]), {"card": f"contacts:{person.pk}", "note": ""}, **HTMX
    )
    form = done.context["section"].form
    assert (form.initial["deal"], form.initial["contact"]) == (deal.pk, None)

    client.post(
        section_url(person),
        {**plan_data(rep_a, subject="Call Ivan again"), "activity-deal": deal.pk},
        **HTMX,
    )

    follow_up = Activity.objects.get(subject="Call Ivan again")
    assert (follow_up.deal, follow_up.contact) == (deal, person)
    deal.refresh_from_db()
    assert deal.next_step == "Call Ivan again"


def test_a_stale_done_button_answers_with_the_whole_fresh_section(client, rep_a):
    deal = make_deal(rep_a)
    activity = planned(rep_a, deal, "Call")
    client.force_login(rep_a)
    client.post(reverse("activity_done", args=[activity.pk]), {"note": "from another tab"})

    response = client.get(reverse("activity_done", args=[activity.pk]) + f"?card=deals:{deal.pk}", **HTMX)

    assert response.status_code == 200
    assert (response["HX-Retarget"], response["HX-Reswap"]) == ("#activities", "outerHTML")
    assert "This activity is already done." in response.content.decode()
    assert response.context["section"].planned == []


def test_done_twice_changes_nothing_the_second_time(client, rep_a):
    deal = make_deal(rep_a)
    activity = planned(rep_a, deal, "Call")
    client.force_login(rep_a)
    client.post(reverse("activity_done", args=[activity.pk]), {"note": "first"})

    response = client.post(reverse("activity_done", args=[activity.pk]), {"note": "second"})

    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.description == "first"


# --- reschedule and trash ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data,expected",
    [
        ({"shift": "hour"}, datetime.datetime(2030, 5, 14, 12, 0, tzinfo=SOFIA)),
        ({"shift": "tomorrow"}, datetime.datetime(2030, 5, 15, 16, 30, tzinfo=SOFIA)),
        ({"shift": "week"}, datetime.datetime(2030, 5, 21, 16, 30, tzinfo=SOFIA)),
        ({"due_at": "2030-06-02T09:15"}, datetime.datetime(2030, 6, 2, 9, 15, tzinfo=SOFIA)),
    ],
)
def test_reschedule_moves_the_due_time_and_the_reminder(client, rep_a, data, expected):
    deal = make_deal(rep_a)
    due = datetime.datetime(2030, 5, 13, 16, 30, tzinfo=SOFIA)  # overdue since yesterday afternoon
    activity = planned(rep_a, deal, "Call", due, remind_at=due - datetime.timedelta(minutes=15))
    client.force_login(rep_a)

    response = client.post(
        reverse("activity_reschedule", args=[activity.pk]), {"card": f"deals:{deal.pk}", **data}, **HTMX
    )

    assert response.status_code == 200
    activity.refresh_from_db()
    assert (activity.due_at, activity.remind_at) == (expected, expected - datetime.timedelta(minutes=15))
    deal.refresh_from_db()
    assert deal.next_step_date == expected.date()
    assert response.context["section"].planned[0].is_overdue is False


def test_reschedule_with_an_invalid_time_stays_in_the_row_and_changes_nothing(client, rep_a):
    deal = make_deal(rep_a)
    activity = planned(rep_a, deal, "Call")
    client.force_login(rep_a)

    response = client.post(
        reverse("activity_reschedule", args=[activity.pk]),
        {"card": f"deals:{deal.pk}", "due_at": "2030-02-30T25:00"},
        **HTMX,
    )

    assert response.status_code == 422
    assert response["HX-Retarget"] == f"#planned-{activity.pk} .planned-action"
    assert "Enter a valid date/time." in response.content.decode()
    activity.refresh_from_db()
    assert activity.due_at == NOW + datetime.timedelta(days=1)


def test_trash_removes_the_activity_from_the_card_and_the_deals_next_step(client, rep_a):
    deal = make_deal(rep_a)
    activity = planned(rep_a, deal, "Call")
    client.force_login(rep_a)

    response = client.post(
        reverse("activity_trash", args=[activity.pk]), {"card": f"deals:{deal.pk}"}, **HTMX
    )

    assert response.status_code == 200
    activity.refresh_from_db()
    assert activity.deleted_at == NOW
    assert response.context["section"].planned == [] and response.context["section"].no_next_step is True
    deal.refresh_from_db()
    assert (deal.next_step, deal.next_step_date) == ("", None)
    assert client.get(reverse("activity_detail", args=[activity.pk])).status_code == 404


# --- the timeline --------------------------------------------------------------------------------


def test_timeline_mixes_done_activities_and_history_newest_first(client, rep_a):
    deal = make_deal(rep_a)  # created at NOW
    logged(rep_a, deal, "Earlier call", NOW - datetime.timedelta(hours=2))
    planned(rep_a, deal, "Planned call")  # listed above, not on the timeline
    with time_machine.travel(NOW + datetime.timedelta(minutes=5), tick=False):
        deal_move(actor=rep_a, deal=deal, stage=stage("Qualified"))
    logged(rep_a, deal, "Latest note", NOW + datetime.timedelta(minutes=3), type=kind("note"))
    client.force_login(rep_a)

    response = client.get(reverse("deal_detail", args=[deal.pk]))

    rows = [
        entry.activity.subject if entry.activity else entry.action for entry in response.context["timeline"]
    ]
    assert rows == ["changed", "Latest note", "created", "Earlier call"]


def test_timeline_filter_chip_answers_with_the_timeline_alone(client, rep_a):
    deal = make_deal(rep_a)
    logged(rep_a, deal, "A call")
    logged(rep_a, deal, "A note", type=kind("note"))
    client.force_login(rep_a)
    url = section_url(deal) + f"?type={kind('note').pk}"

    response = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="card-timeline")
    history = client.get(
        section_url(deal) + "?type=history", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="card-timeline"
    )
    page = client.get(url)

    html = response.content.decode()
    assert html.lstrip().startswith('<div class="card border-0 shadow-sm" id="card-timeline">')
    assert "A note" in html and "A call" not in html and "activity-form" not in html
    assert "HX-Request" in response["Vary"]
    assert [entry.action for entry in history.context["section"].timeline] == ["created"]
    assert (
        "<html" in page.content.decode() and "A call" not in page.content.decode().split("card-timeline")[1]
    )


def test_timeline_shows_who_when_outcome_direction_duration_and_an_escaped_description(client, rep_a, rep_a2):
    deal = make_deal(rep_a)
    logged(
        rep_a,
        deal,
        "Intro call",
        NOW - datetime.timedelta(hours=1),
        outcome=outcome("Reached"),
        direction="in",
        duration_minutes=7,
        description="<script>alert(1)</script>\nSecond line",
    )
    client.force_login(rep_a)

    html = client.get(reverse("deal_detail", args=[deal.pk])).content.decode()

    entry = html.split('class="timeline-activity"')[1].split("</li>")[0]
    assert "bi-telephone" in entry and "Intro call" in entry and "Rita Rep" in entry
    assert "Reached" in entry and "inbound" in entry and "7 min" in entry
    assert 'datetime="2030-05-14T10:00:00+03:00"' in entry
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>Second line" in entry
    assert "<script>alert(1)" not in html


def test_a_timeline_filter_that_is_no_type_shows_everything(client, rep_a):
    deal = make_deal(rep_a)
    logged(rep_a, deal, "A call")
    client.force_login(rep_a)

    response = client.get(section_url(deal) + "?type=drop%20table", **HTMX)

    assert response.status_code == 200
    assert [e.activity.subject for e in response.context["section"].timeline if e.activity] == ["A call"]


# --- the activity page ---------------------------------------------------------------------------


def test_activity_page_shows_the_activity_with_its_links_and_actions(client, rep_a, make_contact):
    person = make_contact(rep_a, "Ivan", "Petrov")
    deal = make_deal(rep_a)
    activity = planned(rep_a, deal, "Call Ivan", contact=person, description="Line one\nLine two")
    client.force_login(rep_a)

    response = client.get(reverse("activity_detail", args=[activity.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert (
        reverse("deal_detail", args=[deal.pk]) in html and reverse("contact_detail", args=[person.pk]) in html
    )
    for name in ("activity_done", "activity_reschedule", "activity_edit", "activity_trash"):
        assert reverse(name, args=[activity.pk]) in html
    assert "<p>Line one<br>Line two</p>" in html


def test_editing_an_activity_changes_it_and_records_history(client, rep_a, rep_a2):
    deal = make_deal(rep_a)
    activity = planned(rep_a, deal, "Call")
    client.force_login(rep_a)
    form = client.get(reverse("activity_edit", args=[activity.pk])).context["form"]
    assert set(form.fields) == {
        "type", "subject", "due_at", "assignee", "reminder", "duration_minutes", "description", "attachments"
    }  # fmt: skip

    response = client.post(
        reverse("activity_edit", args=[activity.pk]),
        {
            "type": kind("meeting").pk,
            "subject": "Meet at their office",
            "due_at": "2030-05-20T14:00",
            "assignee": rep_a2.pk,
            "reminder": "60",
            "duration_minutes": "90",
            "description": "Bring samples",
        },
    )

    assert response.status_code == 302 and response["Location"] == reverse(
        "activity_detail", args=[activity.pk]
    )
    activity.refresh_from_db()
    due = datetime.datetime(2030, 5, 20, 14, 0, tzinfo=SOFIA)
    assert (
        activity.type.kind, activity.subject, activity.due_at, activity.remind_at, activity.assignee,
        activity.duration_minutes, activity.description,
    ) == (
        "meeting", "Meet at their office", due, due - datetime.timedelta(hours=1), rep_a2, 90, "Bring samples"
    )  # fmt: skip
    deal.refresh_from_db()
    assert deal.next_step == "Meet at their office"


def test_editing_a_done_activity_offers_the_log_fields(client, rep_a):
    activity = logged(rep_a, make_deal(rep_a), "Call", outcome=outcome("No answer"))
    client.force_login(rep_a)

    response = client.post(
        reverse("activity_edit", args=[activity.pk]),
        {
            "type": kind("call").pk,
            "subject": "Call",
            "done_at": "2030-05-14T09:00",
            "outcome": outcome("Reached").pk,
            "direction": "in",
            "assignee": rep_a.pk,
            "duration_minutes": "",
            "description": "",
        },
    )

    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.done_at, activity.outcome.name, activity.direction) == (
        datetime.datetime(2030, 5, 14, 9, 0, tzinfo=SOFIA),
        "Reached",
        "in",
    )


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"done_at": "2030-13-45T10:00"}, "done_at", "Enter a valid date/time."),
        ({"done_at": "yesterday-ish"}, "done_at", "Enter a valid date/time."),
        ({"done_at": "2030-03-31T03:30"}, "done_at", "couldn’t be interpreted in time zone Europe/Sofia"),
        (
            {"done_at": "2030-05-15T10:00"},
            "done_at",
            "It cannot have happened in the future; plan it instead.",
        ),
        ({"duration_minutes": "-5"}, "duration_minutes", "Ensure this value is greater than or equal to 1."),
        (
            {"duration_minutes": "99999999"},
            "duration_minutes",
            "Ensure this value is less than or equal to 10080.",
        ),
        ({"type": "999999"}, "type", "Select a valid choice."),
        ({"outcome": "abc"}, "outcome", "Select a valid choice."),
        ({"direction": "sideways"}, "direction", "Select a valid choice."),
    ],
)
def test_bad_log_input_is_refused_with_a_clear_error_and_nothing_saved(
    client, rep_a, changes, field, message
):
    deal = make_deal(rep_a)
    client.force_login(rep_a)

    response = client.post(section_url(deal), log_data(**changes), **HTMX)

    assert response.status_code == 422
    errors = response.context["section"].form.errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert Activity.objects.count() == 0


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"due_at": ""}, "due_at", "Set when it is due."),
        ({"due_at": "2030-10-27T03:30:00+99:00"}, "due_at", "Enter a valid date/time."),
        ({"reminder": "7"}, "reminder", "Select a valid choice."),
        ({"assignee": "0"}, "assignee", "Select a valid choice."),
    ],
)
def test_bad_plan_input_is_refused_with_a_clear_error(client, rep_a, changes, field, message):
    deal = make_deal(rep_a)
    client.force_login(rep_a)

    response = client.post(section_url(deal), plan_data(rep_a, **changes))

    assert response.status_code == 422 and "<html" in response.content.decode()
    errors = response.context["section"].form.errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert Activity.objects.count() == 0


def test_a_deactivated_colleague_cannot_be_given_a_task(client, rep_a, rep_a2, admin):
    from tandem.accounts.services import user_update

    user_update(actor=admin, user=rep_a2, is_active=False)
    client.force_login(rep_a)

    response = client.post(section_url(make_deal(rep_a)), plan_data(rep_a2), **HTMX)

    assert response.status_code == 422
    assert "Select a valid choice." in " ".join(response.context["section"].form.errors["assignee"])
    assert Activity.objects.count() == 0


@pytest.mark.parametrize("link", ["deal", "contact", "company"])
def test_linking_to_a_record_the_user_cannot_see_is_refused(
    client, rep_a, rep_b, make_company, make_contact, link
):
    hidden = {
        "deal": lambda: make_deal(rep_b, "Hidden deal"),
        "contact": lambda: make_contact(rep_b, "Hidden", "Person"),
        "company": lambda: make_company(rep_b, "Hidden Co"),
    }[link]()
    # The card's own link comes from its address: try the hidden link on another kind of card.
    mine = make_contact(rep_a, "My", "Person") if link == "company" else make_company(rep_a, "Mine")
    client.force_login(rep_a)

    response = client.post(section_url(mine), {**log_data(), f"activity-{link}": hidden.pk}, **HTMX)

    assert response.status_code == 422
    assert response.context["section"].form.top_errors() == ["Choose a record you can see."]
    assert "Choose a record you can see." in response.content.decode()
    assert Activity.objects.count() == 0


def test_linking_to_a_record_that_does_not_exist_is_refused(client, rep_a, make_company):
    mine = make_company(rep_a, "Mine")
    client.force_login(rep_a)

    response = client.post(section_url(mine), {**log_data(), "activity-deal": "987654"}, **HTMX)

    assert response.status_code == 422
    assert response.context["section"].form.top_errors() == ["Choose a record you can see."]
    assert Activity.objects.count() == 0


def test_a_card_that_does_not_exist_is_404(client, rep_a):
    client.force_login(rep_a)

    assert client.get(reverse("card_activities", args=["deals", 999999])).status_code == 404
    assert client.post(reverse("card_activities", args=["contacts", 999999]), log_data()).status_code == 404
    assert client.get("/activities/99999999999999999999/").status_code == 404


# --- attachments ---------------------------------------------------------------------------------


def test_files_attached_when_logging_are_stored_and_downloadable(client, rep_a, readonly):
    deal = make_deal(rep_a)
    client.force_login(rep_a)

    response = client.post(
        section_url(deal),
        {
            **log_data(),
            "activity-attachments": [upload("Оферта 2030.pdf", PDF), upload("call.mp3", MP3, "audio/mpeg")],
        },
        **HTMX,
    )

    assert response.status_code == 200
    activity = Activity.objects.get()
    offer, recording = activity.attachments.order_by("id")
    assert [(a.name, a.content_type, a.size, a.uploaded_by) for a in (offer, recording)] == [
        ("Оферта 2030.pdf", "application/pdf", len(PDF), rep_a),
        ("call.mp3", "audio/mpeg", len(MP3), rep_a),
    ]
    assert offer.file.name.startswith(f"attachments/2030/05/{activity.pk}/")
    html = response.content.decode()
    audio_url = reverse("attachment_download", args=[activity.pk, recording.pk])
    assert (
        f'<audio class="activity-audio d-block mb-1" controls preload="none" src="{audio_url}?inline=1"'
        in html
    )
    download = client.get(reverse("attachment_download", args=[activity.pk, offer.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert (
        download["Content-Disposition"]
        == "attachment; filename*=utf-8''%D0%9E%D1%84%D0%B5%D1%80%D1%82%D0%B0%202030.pdf"
    )
    assert b"".join(download.streaming_content) == PDF
    played = client.get(audio_url + "?inline=1")
    assert (played["Content-Type"], played["Content-Disposition"]) == (
        "audio/mpeg",
        'inline; filename="call.mp3"',
    )
    pdf_inline = client.get(reverse("attachment_download", args=[activity.pk, offer.pk]) + "?inline=1")
    assert pdf_inline["Content-Disposition"].startswith("attachment;")
    client.force_login(readonly)
    assert client.get(audio_url).status_code == 200


def test_an_attachment_is_only_served_through_its_own_activity(client, rep_a):
    deal = make_deal(rep_a)
    first, second = logged(rep_a, deal, "One"), logged(rep_a, deal, "Two")
    attachment = attachment_add(actor=rep_a, activity=first, file=upload("offer.pdf", PDF))
    client.force_login(rep_a)

    assert client.get(reverse("attachment_download", args=[second.pk, attachment.pk])).status_code == 404
    assert client.get(f"/media/{attachment.file.name}").status_code == 404
    activity_trash(actor=rep_a, activity=first)
    assert client.get(reverse("attachment_download", args=[first.pk, attachment.pk])).status_code == 404


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00", "setup.exe: programs and scripts cannot be attached."),
        (
            "offer.pdf",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00",
            "offer.pdf: programs and scripts cannot be attached.",
        ),
        ("notes.txt", b"#!/bin/sh\nrm -rf /\n", "notes.txt: programs and scripts cannot be attached."),
        ("photo.png", b"\x7fELF\x02\x01\x01\x00", "photo.png: programs and scripts cannot be attached."),
        ("archive.zip", b"PK\x03\x04", "archive.zip: this type of file cannot be attached"),
        ("offer.pdf", b"just text", "offer.pdf: the content is not what its name says (.pdf)."),
        ("empty.pdf", b"", "The submitted file is empty."),
    ],
)
def test_forbidden_uploads_are_refused_and_nothing_is_written(client, rep_a, name, content, message):
    deal = make_deal(rep_a)
    client.force_login(rep_a)
    before = stored_files()

    response = client.post(
        section_url(deal),
        {**log_data(), "activity-attachments": [upload("fine.pdf", PDF), upload(name, content)]},
        **HTMX,
    )

    assert response.status_code == 422
    errors = response.context["section"].form.errors
    assert list(errors) == ["attachments"]
    assert message in " ".join(errors["attachments"])
    assert Activity.objects.count() == 0 and Attachment.objects.count() == 0
    assert stored_files() == before


@override_settings(TANDEM_MAX_UPLOAD_BYTES=1024)
def test_an_oversized_upload_is_refused_with_the_limit(client, rep_a):
    deal = make_deal(rep_a)
    client.force_login(rep_a)
    before = stored_files()

    response = client.post(
        section_url(deal), {**log_data(), "activity-attachments": [upload("big.pdf", PDF + b"0" * 2000)]}
    )

    assert response.status_code == 422
    assert response.context["section"].form.errors["attachments"] == [
        "big.pdf is too large (2.0\xa0KB); the limit is 1.0\xa0KB."
    ]
    assert Activity.objects.count() == 0 and stored_files() == before


def test_attachments_can_be_added_and_removed_on_the_edit_page(client, rep_a):
    activity = logged(rep_a, make_deal(rep_a), "Call")
    old = attachment_add(actor=rep_a, activity=activity, file=upload("old.pdf", PDF))
    old_name = old.file.name
    client.force_login(rep_a)

    with pytest.MonkeyPatch.context():
        from django.test import TestCase

        with TestCase.captureOnCommitCallbacks(execute=True):
            response = client.post(
                reverse("activity_edit", args=[activity.pk]),
                {
                    "type": kind("call").pk,
                    "subject": "Call",
                    "done_at": "2030-05-14T10:00",
                    "assignee": rep_a.pk,
                    "remove_attachment": [str(old.pk)],
                    "attachments": [upload("new.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)],
                },
            )

    assert response.status_code == 302
    assert [(a.name, a.content_type) for a in activity.attachments.all()] == [("new.png", "image/png")]
    assert not default_storage.exists(old_name)


# --- mentions ------------------------------------------------------------------------------------


def test_mentioning_colleagues_notifies_those_who_can_see_the_activity(client, rep_a, rep_a2, head_a):
    deal = make_deal(rep_a)
    client.force_login(rep_a)

    response = client.post(
        section_url(deal),
        log_data(description="@Hana Head please approve; cc @rep.a2@example.com and me @Rita Rep"),
        **HTMX,
    )

    activity = Activity.objects.get()
    assert [(n.recipient, n.kind, n.key, n.url) for n in Notification.objects.all()] == [
        (head_a, "mention", f"mention:{activity.pk}:{head_a.pk}", f"/activities/{activity.pk}/")
    ]
    html = response.content.decode()
    assert "Notified: Hana Head." in html
    assert "Ravi Rep cannot see this activity and were not notified." in html


def test_editing_a_description_does_not_notify_a_mentioned_colleague_twice(client, rep_a, head_a):
    activity = logged(rep_a, make_deal(rep_a), "Call")
    client.force_login(rep_a)
    data = {
        "type": kind("call").pk,
        "subject": "Call",
        "done_at": "2030-05-14T10:00",
        "assignee": rep_a.pk,
        "description": "@Hana Head see this",
    }

    client.post(reverse("activity_edit", args=[activity.pk]), data)
    client.post(reverse("activity_edit", args=[activity.pk]), {**data, "description": "@Hana Head again"})

    assert Notification.objects.filter(recipient=head_a, kind="mention").count() == 1


def test_a_mention_in_the_done_note_notifies(client, rep_a, head_a):
    activity = planned(rep_a, make_deal(rep_a), "Call")
    client.force_login(rep_a)

    client.post(reverse("activity_done", args=[activity.pk]), {"note": "@head.a@example.com they agreed"})

    assert Notification.objects.filter(recipient=head_a, kind="mention").count() == 1


# --- the deal move plans a next step -------------------------------------------------------------


def _require_next_step(stage_name: str) -> Stage:
    target = stage(stage_name)
    Stage.objects.filter(pk=target.pk).update(required_fields=["next_step", "next_step_date"])
    target.refresh_from_db()
    return target


def _move(client, deal, stage_name, **extra):
    data = {"stage": stage(stage_name).pk, "expected_stage": deal.stage_id, **extra}
    return client.post(reverse("deal_move", args=[deal.pk]), data, **HTMX)


def test_a_stage_requiring_a_next_step_asks_to_plan_an_activity(client, rep_a):
    _require_next_step("Qualified")
    deal = make_deal(rep_a, next_step_date=None)
    client.force_login(rep_a)

    response = _move(client, deal, "Qualified")

    assert response.status_code == 422
    form = response.context["form"]
    assert form.shown == ["next_activity"]
    html = response.content.decode()
    assert (
        'name="activity_due"' in html and 'name="activity_type"' in html and 'name="activity_subject"' in html
    )
    assert 'name="next_step"' not in html and 'name="next_step_date"' not in html
    assert Deal.objects.get(pk=deal.pk).stage.name == "New request"


def test_completing_the_prompt_plans_the_activity_and_moves_the_deal(client, rep_a):
    _require_next_step("Qualified")
    deal = make_deal(rep_a, next_step_date=None)
    client.force_login(rep_a)

    response = _move(
        client,
        deal,
        "Qualified",
        asked_fields="next_activity",
        activity_type=kind("meeting").pk,
        activity_subject="Demo at their office",
        activity_due="2030-05-16T11:00",
    )

    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.stage.name, deal.next_step, deal.next_step_date) == (
        "Qualified",
        "Demo at their office",
        datetime.date(2030, 5, 16),
    )
    activity = Activity.objects.get()
    assert (activity.deal, activity.type.kind, activity.due_at, activity.assignee) == (
        deal,
        "meeting",
        datetime.datetime(2030, 5, 16, 11, 0, tzinfo=SOFIA),
        rep_a,
    )


def test_an_incomplete_next_step_prompt_moves_nothing_and_plans_nothing(client, rep_a):
    _require_next_step("Qualified")
    deal = make_deal(rep_a, next_step_date=None)
    client.force_login(rep_a)

    response = _move(client, deal, "Qualified", asked_fields="next_activity", activity_type=kind("call").pk)

    assert response.status_code == 422
    assert response.context["form"].errors["activity_due"] == ["Set when the next step is due."]
    assert Deal.objects.get(pk=deal.pk).stage.name == "New request"
    assert Activity.objects.count() == 0


def test_a_planned_activity_rolls_back_when_the_move_still_lacks_something(client, rep_a):
    target = _require_next_step("Offer sent")
    Stage.objects.filter(pk=target.pk).update(required_fields=["next_step_date", "amount"])
    deal = make_deal(rep_a, amount=None, next_step_date=None)
    client.force_login(rep_a)

    response = _move(
        client,
        deal,
        "Offer sent",
        asked_fields="next_activity",
        activity_type=kind("call").pk,
        activity_due="2030-05-16T11:00",
    )

    assert response.status_code == 422
    assert response.context["form"].shown == ["amount", "next_activity"]
    assert Activity.objects.count() == 0
    deal.refresh_from_db()
    assert (deal.stage.name, deal.next_step_date) == ("New request", None)


def test_a_deal_with_a_planned_activity_moves_without_being_asked(client, rep_a):
    _require_next_step("Qualified")
    deal = make_deal(rep_a, next_step_date=None)
    planned(rep_a, deal, "Call")
    client.force_login(rep_a)

    response = _move(client, deal, "Qualified")

    assert response.status_code == 200
    assert Deal.objects.get(pk=deal.pk).stage.name == "Qualified"


# --- board and list flags follow the planned activities ------------------------------------------


def test_board_and_list_flag_a_deal_until_an_activity_is_planned(client, rep_a):
    deal = make_deal(rep_a, "Printer fleet", next_step_date=None)
    client.force_login(rep_a)
    board = client.get(reverse("board")).content.decode()
    listing = client.get(reverse("deal_list"), {"status": "no_next_step"})
    assert "no next step" in board.split('aria-label="Printer fleet"')[1].split("</article>")[0]
    assert [row["deal"].title for row in listing.context["rows"]] == ["Printer fleet"]

    planned(rep_a, deal, "Call the buyer", NOW + datetime.timedelta(days=2))

    board = client.get(reverse("board")).content.decode()
    card = board.split('aria-label="Printer fleet"')[1].split("</article>")[0]
    assert "no next step" not in card and 'title="Call the buyer"' in card
    assert client.get(reverse("deal_list"), {"status": "no_next_step"}).context["rows"] == []


# --- queries -------------------------------------------------------------------------------------


def _card_queries(client, url, **headers) -> int:
    client.get(url, **headers)
    with CaptureQueriesContext(connection) as context:
        assert client.get(url, **headers).status_code == 200
    return len(context.captured_queries)


def _fill(record, owner, colleagues, count):
    for index in range(count):
        assignee = colleagues[index % len(colleagues)]
        done = logged(
            owner,
            record,
            f"Call {index}",
            NOW - datetime.timedelta(hours=index + 1),
            assignee=assignee,
            outcome=outcome("Reached"),
            description=f"Note {index}",
        )
        attachment_add(actor=owner, activity=done, file=upload(f"offer-{index}.pdf", PDF))
        planned(owner, record, f"Plan {index}", NOW + datetime.timedelta(days=index + 1), assignee=assignee)


@pytest.mark.parametrize("card", ["deal", "contact", "company"])
def test_card_query_count_does_not_grow_with_activities(
    client, rep_a, rep_a2, head_a, make_contact, make_company, card
):
    def make(title):
        if card == "deal":
            return make_deal(rep_a, title)
        if card == "contact":
            return make_contact(rep_a, title, "Person")
        return make_company(rep_a, title)

    few, many = make("Few"), make("Many")
    _fill(few, rep_a, [rep_a], 1)
    _fill(many, rep_a, [rep_a, rep_a2, head_a], 12)
    detail = {"deal": "deal_detail", "contact": "contact_detail", "company": "company_detail"}[card]
    client.force_login(head_a)  # team scope: the one role whose change rights need a query

    counts = {
        "card": (
            _card_queries(client, reverse(detail, args=[few.pk])),
            _card_queries(client, reverse(detail, args=[many.pk])),
        ),
        "section": (
            _card_queries(client, section_url(few), **HTMX),
            _card_queries(client, section_url(many), **HTMX),
        ),
    }

    assert counts["card"][0] == counts["card"][1]
    assert counts["section"][0] == counts["section"][1]
    assert counts["section"][1] <= 20


def test_activity_page_query_count_does_not_grow_with_attachments(client, rep_a):
    deal = make_deal(rep_a)
    few, many = logged(rep_a, deal, "Few"), logged(rep_a, deal, "Many")
    attachment_add(actor=rep_a, activity=few, file=upload("a.pdf", PDF))
    for index in range(8):
        attachment_add(actor=rep_a, activity=many, file=upload(f"a{index}.pdf", PDF))
    client.force_login(rep_a)

    assert _card_queries(client, reverse("activity_detail", args=[few.pk])) == _card_queries(
        client, reverse("activity_detail", args=[many.pk])
    )


def test_a_long_timeline_shows_a_page_and_links_to_the_older_entries(client, rep_a, make_contact):
    contact = make_contact(rep_a, "Ivan", "Petrov")
    start = datetime.datetime(2029, 1, 1, 9, tzinfo=datetime.UTC)
    for number in range(30):
        activity_create(
            actor=rep_a,
            type=kind("call"),
            subject=f"Call {number:02d}",
            contact=contact,
            done_at=start + datetime.timedelta(hours=number),
        )
    client.force_login(rep_a)

    first = client.get(reverse("contact_detail", args=[contact.pk])).content.decode()
    # 25 rows: the contact's creation (the newest) and the 24 newest calls.
    assert first.count('class="timeline-activity"') == 24
    assert "Call 29" in first and "Call 06" in first and "Call 05" not in first
    link = first.split("Older entries")[0].rsplit('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")

    second = client.get(link).content.decode()
    assert second.count('class="timeline-activity"') == 6
    assert "Call 05" in second and "Call 00" in second and "Call 06" not in second
    assert "Older entries" not in second


def test_a_malformed_before_shows_the_newest_page(client, rep_a, make_contact):
    contact = make_contact(rep_a, "Ivan", "Petrov")
    client.force_login(rep_a)

    response = client.get(section_url(contact), {"before": "yesterday'--"})

    assert response.status_code == 200
