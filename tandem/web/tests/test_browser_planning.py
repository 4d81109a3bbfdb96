"""Planning in the real browser: a rep lands on My day, marks a call done with its outcome, reschedules
another, and drags a meeting to a new slot in the calendar's week view; the bell shows a notice."""

from __future__ import annotations

import datetime
import re
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tandem.activities.models import Activity, Outcome
from tandem.notifications.models import Notification
from tandem.notifications.services import notify
from tandem.web.tests.test_planning_views import plan

SOFIA = zoneinfo.ZoneInfo("Europe/Sofia")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    # The browser shows times in the same zone as the user's profile.
    pytest.mark.browser_context_args(timezone_id="Europe/Sofia", locale="en-GB"),
]


def _drag_event(page: Page, event, *, from_time: str, to_date: str, to_time: str) -> None:
    """A real mouse drag in small steps, grabbing the event at its centre (where FullCalendar measures
    the move from) and letting go at the same spot of the target slot. A 30-minute event's centre sits
    on a 15-minute snap boundary, so the test event is longer."""
    event.scroll_into_view_if_needed()
    box = event.bounding_box()
    origin = page.locator(f"td.fc-timegrid-slot-lane[data-time='{from_time}']").bounding_box()
    target = page.locator(f"td.fc-timegrid-slot-lane[data-time='{to_time}']").bounding_box()
    column = page.locator(f"td.fc-timegrid-col[data-date='{to_date}']").bounding_box()
    start_x, start_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    end_x, end_y = column["x"] + column["width"] / 2, target["y"] + (start_y - origin["y"])
    page.mouse.move(start_x, start_y)
    page.mouse.down()
    page.mouse.move(start_x + 5, start_y + 5, steps=5)
    page.mouse.move(end_x, end_y, steps=25)
    page.mouse.move(end_x, end_y, steps=2)
    page.mouse.up()


@pytest.mark.browser
def test_rep_finishes_a_call_on_my_day_and_drags_a_meeting_in_the_calendar(
    login, live_server, rep_a, make_contact, screenshot
):
    ivan = make_contact(rep_a, "Ivan", "Petrov")
    now = timezone.now()
    call = plan(rep_a, "Call Ivan about the offer", now + datetime.timedelta(hours=1), contact=ivan)
    contract = plan(rep_a, "Send the contract", now - datetime.timedelta(days=2), contact=ivan, kind="task")
    plan(rep_a, "Visit the warehouse", now + datetime.timedelta(days=3), contact=ivan, kind="meeting")
    meeting = plan(
        rep_a,
        "Demo at Balkan Trade",
        datetime.datetime(2030, 1, 16, 10, tzinfo=SOFIA),
        contact=ivan,
        kind="meeting",
        duration_minutes=45,
    )
    notify(
        recipient=rep_a,
        kind=Notification.Kind.TASK_ASSIGNED,
        key="browser",
        title="Hana Head gave you: Call the bank",
        url="/my-day/",
    )

    page = login(rep_a)
    page.set_viewport_size({"width": 1400, "height": 900})

    # Signing in lands on My day; the bell already counts the unread notice.
    expect(page).to_have_url(f"{live_server.url}/my-day/")
    expect(page.get_by_role("heading", name="My day", level=1)).to_be_visible()
    expect(page.locator("#notification-count [data-unread]")).to_have_text(re.compile(r"^1"))
    expect(page.locator(f"#activity-{contract.pk}")).to_contain_text("overdue")
    screenshot("planning-1-my-day")

    # One click on Done asks how it ended.
    item = page.locator(f"#activity-{call.pk}")
    item.get_by_role("link", name="Done").click()
    form = item.locator("form.done-form")
    form.get_by_label("Outcome").select_option(label="Reached")
    form.get_by_label("What was agreed").fill("Sends the signed offer on Friday")
    screenshot("planning-2-done-form")
    form.get_by_role("button", name="Mark done").click()

    expect(page.locator("#my-day .alert-success")).to_contain_text("Done: Call Ivan about the offer")
    expect(page.locator(f"#activity-{call.pk}")).to_have_count(0)
    call.refresh_from_db()
    assert call.done_at is not None
    assert call.outcome == Outcome.objects.get(name="Reached")
    assert call.description == "Sends the signed offer on Friday"
    screenshot("planning-3-after-done")

    # The overdue task moves to tomorrow morning from the reschedule menu.
    overdue = page.locator(f"#activity-{contract.pk}")
    overdue.get_by_role("button", name="Reschedule").click()
    screenshot("planning-4-reschedule-menu")
    overdue.get_by_role("button", name=re.compile(r"^Tomorrow")).click()
    expect(page.locator("section.day-section-upcoming")).to_contain_text("Send the contract")
    tomorrow = timezone.localdate(timezone.now(), SOFIA) + datetime.timedelta(days=1)
    contract.refresh_from_db()
    assert contract.due_at == datetime.datetime.combine(tomorrow, datetime.time(9), tzinfo=SOFIA)

    # The bell's dropdown lists the notice.
    page.locator(".notification-bell > a").click()
    expect(page.locator("#notification-menu-items")).to_contain_text("Hana Head gave you: Call the bank")
    screenshot("planning-5-notifications")
    page.keyboard.press("Escape")

    # The calendar's week view: drag the demo from Wednesday 10:00 to Thursday 14:00.
    page.goto(f"{live_server.url}/calendar/?view=week&date=2030-01-16")
    event = page.locator(f".fc-event[data-activity='{meeting.pk}']")
    expect(event).to_be_visible()
    expect(page.locator("#calendar-agenda")).to_be_hidden()
    screenshot("planning-6-calendar-week")
    _drag_event(page, event, from_time="10:00:00", to_date="2030-01-17", to_time="14:00:00")

    expect(page.locator("#calendar-toast")).to_contain_text("Moved.")
    expect(page.locator(f".fc-event[data-activity='{meeting.pk}']")).to_contain_text("14:00")
    meeting.refresh_from_db()
    assert (meeting.due_at, meeting.duration_minutes) == (
        datetime.datetime(2030, 1, 17, 14, tzinfo=SOFIA),
        45,
    )
    screenshot("planning-7-calendar-after-drag")

    # The month view shows it on its new day; the address remembers the view.
    page.get_by_role("button", name="Month").click()
    expect(page).to_have_url(re.compile(r"view=month"))
    expect(page.locator("td[data-date='2030-01-17']")).to_contain_text("Demo at Balkan Trade")
    screenshot("planning-8-calendar-month")
    assert Activity.objects.filter(assignee=rep_a, done_at__isnull=True).count() == 3

    # On a phone, My day and the calendar fit the screen's width.
    page.set_viewport_size({"width": 375, "height": 812})
    for path, name in [
        ("/my-day/", "planning-9-my-day-phone"),
        ("/calendar/?view=week&date=2030-01-16", "planning-10-calendar-phone"),
    ]:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        screenshot(name)
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
