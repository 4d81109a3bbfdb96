"""Activities on a deal card in the real browser: log a call with a recording, plan the next step,
mark it done (which asks for the next one), filter the timeline, all without a page reload."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tandem.activities.models import Activity
from tandem.notifications.models import Notification
from tandem.web.tests.deal_helpers import make_deal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 256


def _local(days: int, hour: int) -> str:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return f"{day:%Y-%m-%d}T{hour:02d}:00"


def _form(page: Page):
    return page.locator("form.activity-form")


@pytest.mark.browser
def test_rep_logs_a_call_plans_the_next_step_marks_it_done_and_reads_the_timeline(
    login, live_server, rep_a, head_a, make_company, make_contact, screenshot
):
    company = make_company(rep_a, "Balkan Trade")
    make_contact(rep_a, "Ivan", "Petrov", company=company)
    deal = make_deal(rep_a, "Printer fleet", amount="1200.00", company=company, next_step_date=None)
    page = login(rep_a)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{live_server.url}/deals/{deal.pk}/")

    section = page.locator("#activities")
    expect(section.get_by_text("No next step planned for this deal.")).to_be_visible()
    expect(_form(page).get_by_label("Due", exact=True)).to_be_hidden()  # log mode first
    page.evaluate("window.__sameDocument = true")
    screenshot("activities-1-deal-card")

    # Log what happened: a call with its recording, mentioning the head of sales.
    form = _form(page)
    form.get_by_label("Subject").fill("Intro call with Ivan")
    form.get_by_label("Outcome").select_option(label="Reached")
    form.get_by_label("Direction").select_option(label="outbound")
    form.get_by_label("Duration (minutes)").fill("12")
    description = form.get_by_label("Description")
    description.fill("Needs 20 printers by March.\n")
    description.press_sequentially("@Han")
    suggestions = form.locator(".mention-menu")
    expect(suggestions).to_contain_text("Hana Head")
    screenshot("activities-1b-mention-suggestions")
    description.press("Enter")
    description.press_sequentially("can we go below list price?")
    expect(description).to_have_value("Needs 20 printers by March.\n@Hana Head can we go below list price?")
    form.get_by_label("Attachments").set_input_files(
        {"name": "call-ivan.mp3", "mimeType": "audio/mpeg", "buffer": MP3}
    )
    form.get_by_role("button", name="Log it").click()

    expect(section.get_by_text("Logged: Intro call with Ivan.")).to_be_visible()
    expect(section.get_by_text("Notified: Hana Head.")).to_be_visible()
    # Nothing is planned on this open deal yet: the form now asks for the next step.
    prompt = section.locator("[data-next-step-prompt]")
    expect(prompt).to_contain_text("“Intro call with Ivan” is done. What is the next step?")
    expect(_form(page).get_by_label("Due", exact=True)).to_be_visible()
    timeline = page.locator("#card-timeline")
    entry = timeline.locator(".timeline-activity", has_text="Intro call with Ivan")
    expect(entry).to_contain_text("Reached")
    expect(entry).to_contain_text("12 min")
    expect(entry.locator("audio.activity-audio")).to_have_count(1)
    expect(entry.get_by_role("link", name=re.compile("call-ivan.mp3"))).to_be_visible()
    screenshot("activities-2-logged-and-asked-for-the-next-step")

    # Plan the next step.
    form = _form(page)
    form.get_by_label("Subject").fill("Send the offer")
    form.get_by_label("Type").select_option(label="Email")
    form.get_by_label("Due", exact=True).fill(_local(1, 10))
    form.get_by_label("Reminder").select_option(label="1 hour before")
    form.get_by_role("button", name="Plan it").click()

    planned_item = section.locator(".planned-item", has_text="Send the offer")
    expect(planned_item).to_be_visible()
    expect(section.get_by_text("No next step planned for this deal.")).to_have_count(0)
    expect(section.locator("[data-next-step]")).to_contain_text("Send the offer")
    screenshot("activities-3-next-step-planned")

    # Done: the outcome and a short note, then the next step is asked for, prefilled.
    planned_item.get_by_role("link", name="Mark “Send the offer” done").click()
    done_form = planned_item.locator("form.done-form")
    expect(done_form).to_be_visible()
    done_form.get_by_label("Outcome").select_option(label="Agreed a meeting")
    done_form.get_by_label("Short note").fill("Offer sent, meeting on Friday.")
    screenshot("activities-4-done-form")
    done_form.get_by_role("button", name="Mark done").click()

    expect(section.get_by_text("Done: Send the offer. What is the next step?")).to_be_visible()
    form = _form(page)
    expect(form.get_by_label("Subject")).to_have_value("Send the offer")
    expect(form.get_by_label("Due", exact=True)).to_be_visible()
    form.get_by_label("Type").select_option(label="Meeting")
    form.get_by_label("Subject").fill("Meeting at their office")
    form.get_by_label("Due", exact=True).fill(_local(3, 11))
    form.get_by_role("button", name="Plan it").click()
    expect(section.locator(".planned-item", has_text="Meeting at their office")).to_be_visible()

    # The timeline: both done activities with the history, newest first; filter to calls only.
    expect(timeline.locator(".timeline-activity")).to_have_count(2)
    expect(timeline.locator(".timeline-activity").first).to_contain_text("Send the offer")
    expect(timeline.locator(".timeline-activity").first).to_contain_text("Offer sent, meeting on Friday.")
    screenshot("activities-5-timeline")
    timeline.get_by_role("link", name="Call", exact=True).click()
    expect(page.locator("#card-timeline .timeline-activity")).to_have_count(1)
    expect(page.locator("#card-timeline .timeline-activity")).to_contain_text("Intro call with Ivan")
    expect(page.locator("#card-timeline").get_by_role("link", name="Call", exact=True)).to_have_attribute(
        "aria-current", "true"
    )
    screenshot("activities-6-timeline-calls-only")

    assert page.evaluate("window.__sameDocument") is True  # every step without a page reload

    # The activity page (where notifications lead): details and what the rep may do with it.
    section.locator(".planned-item").get_by_role("link", name="Meeting at their office", exact=True).click()
    expect(page.get_by_role("heading", name="Meeting at their office", level=1)).to_be_visible()
    for name in ("Done", "Reschedule", "Edit", "Move to trash"):
        expect(
            page.get_by_role("main")
            .get_by_role("link", name=name)
            .or_(page.get_by_role("main").get_by_role("button", name=name))
        ).to_be_visible()
    screenshot("activities-9-activity-page")
    subjects = list(Activity.objects.order_by("id").values_list("subject", "done_at"))
    assert [subject for subject, _done in subjects] == [
        "Intro call with Ivan",
        "Send the offer",
        "Meeting at their office",
    ]
    assert [done is not None for _subject, done in subjects] == [True, True, False]
    deal.refresh_from_db()
    assert deal.next_step == "Meeting at their office"
    assert Notification.objects.filter(recipient=head_a, kind="mention").count() == 1

    # The planned meeting is on the rep's My day; marking it done there shows on the deal's timeline.
    meeting = Activity.objects.get(subject="Meeting at their office")
    page.get_by_role("link", name="My day", exact=True).first.click()
    item = page.locator(f"#activity-{meeting.pk}")
    expect(item).to_contain_text("Printer fleet")
    item.get_by_role("link", name="Done").click()
    item.locator("form.done-form").get_by_label("Outcome").select_option(label="Agreed a meeting")
    item.locator("form.done-form").get_by_role("button", name="Mark done").click()
    expect(page.locator("#my-day .alert-success")).to_contain_text("Done: Meeting at their office")
    screenshot("activities-10-done-on-my-day")
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    timeline = page.locator("#card-timeline")
    expect(timeline.locator(".timeline-activity")).to_have_count(3)
    expect(timeline.locator(".timeline-activity").first).to_contain_text("Meeting at their office")
    expect(page.locator("#activities").get_by_text("No next step planned for this deal.")).to_be_visible()
    screenshot("activities-11-timeline-after-my-day")


@pytest.mark.browser
def test_dragging_into_a_stage_that_needs_a_next_step_plans_an_activity(
    login, live_server, rep_a, screenshot
):
    from tandem.deals.models import Stage
    from tandem.web.tests.deal_helpers import stage
    from tandem.web.tests.test_browser_board import _column, _drag

    Stage.objects.filter(pk=stage("Qualified").pk).update(required_fields=["next_step", "next_step_date"])
    deal = make_deal(rep_a, "Warehouse racks", next_step_date=None)
    page = login(rep_a)
    page.set_viewport_size({"width": 1600, "height": 900})
    page.goto(f"{live_server.url}/deals/board/")

    _drag(
        page,
        _column(page, "New request").locator("article", has_text="Warehouse racks"),
        _column(page, "Qualified").locator(".board-cards"),
    )

    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Plan the next step")).to_be_visible()
    expect(dialog.get_by_label("Next step")).to_have_count(0)
    dialog.get_by_label("Type").select_option(label="Meeting")
    dialog.get_by_label("Due").fill(_local(2, 14))
    dialog.get_by_label("Subject").fill("Site visit")
    screenshot("activities-7-move-asks-to-plan-the-next-step")
    dialog.get_by_role("button", name=re.compile("Move to")).click()

    qualified = _column(page, "Qualified")
    card = qualified.locator("article", has_text="Warehouse racks")
    expect(card).to_be_visible()
    expect(card).to_contain_text(f"{timezone.localdate() + datetime.timedelta(days=2):%m/%d/%Y}")
    expect(card.get_by_text("no next step")).to_have_count(0)
    deal.refresh_from_db()
    assert (deal.stage.name, deal.next_step) == ("Qualified", "Site visit")
    assert Activity.objects.get().type.kind == "meeting"

    # The phone layout of the card: the form and the planned item stack cleanly.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    activities = page.locator("#activities")
    expect(activities.locator(".planned-item", has_text="Site visit")).to_be_visible()
    activities.scroll_into_view_if_needed()
    screenshot("activities-8-card-on-a-phone")
