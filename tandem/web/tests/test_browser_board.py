"""The deals board in the real browser: drag a deal to the next stage, drag it into a stage that
asks for more and fill the prompt, drop it on Lost with a reason; the column sums follow."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tandem.deals.models import Deal, LostReason
from tandem.web.tests.deal_helpers import make_deal, stage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _column(page: Page, name: str):
    return page.locator(f"section.board-column[aria-label='{name}']")


def _drag(page: Page, card, target) -> None:
    """A real mouse drag in small steps, as a person does it (SortableJS listens to these)."""
    card.scroll_into_view_if_needed()
    source = card.bounding_box()
    page.mouse.move(source["x"] + source["width"] / 2, source["y"] + 12)
    page.mouse.down()
    page.mouse.move(source["x"] + source["width"] / 2 + 10, source["y"] + 20, steps=5)
    box = target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + min(box["height"] / 2, 60), steps=20)
    page.mouse.move(box["x"] + box["width"] / 2 + 2, box["y"] + min(box["height"] / 2, 60) + 2, steps=5)
    page.mouse.up()


@pytest.mark.browser
def test_rep_drags_a_deal_to_the_next_stage(login, live_server, rep_a, make_company, screenshot):
    company = make_company(rep_a, "Balkan Trade")
    make_deal(rep_a, "Printer fleet", amount="1200.00", company=company)
    make_deal(rep_a, "Paper supply", amount="300.00")
    page = login(rep_a)
    page.set_viewport_size({"width": 1600, "height": 900})

    page.get_by_role("link", name="Deals", exact=True).click()
    expect(page.get_by_role("heading", name="Deals", level=1)).to_be_visible()
    new = _column(page, "New request")
    expect(new.locator("[data-column-count]")).to_have_text("2")
    expect(new.locator("[data-column-total]")).to_have_text("1,500 EUR")
    screenshot("board-1-before-drag")

    _drag(
        page,
        new.locator("article", has_text="Printer fleet"),
        _column(page, "Qualified").locator(".board-cards"),
    )

    qualified = _column(page, "Qualified")
    expect(qualified.locator("article", has_text="Printer fleet")).to_be_visible()
    expect(qualified.locator("[data-column-count]")).to_have_text("1")
    expect(qualified.locator("[data-column-total]")).to_have_text("1,200 EUR")
    expect(_column(page, "New request").locator("[data-column-total]")).to_have_text("300 EUR")
    assert Deal.objects.get(title="Printer fleet").stage == stage("Qualified")
    screenshot("board-2-after-drag")


@pytest.mark.browser
def test_dragging_into_a_stage_with_requirements_asks_for_them(login, live_server, rep_a, screenshot):
    make_deal(rep_a, "Warehouse racks", amount=None, stage_name="Qualified")
    page = login(rep_a)
    page.set_viewport_size({"width": 1600, "height": 900})
    page.goto(f"{live_server.url}/deals/board/")

    _drag(
        page,
        _column(page, "Qualified").locator("article", has_text="Warehouse racks"),
        _column(page, "Offer sent").locator(".board-cards"),
    )

    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Amount")).to_be_visible()
    expect(dialog.get_by_label("Next step")).to_have_count(0)
    screenshot("board-3-required-fields-prompt")
    dialog.get_by_label("Amount").fill("4800")
    dialog.get_by_label("Expected close").fill("2030-06-30")
    dialog.get_by_role("button", name=re.compile("Move to")).click()

    offer = _column(page, "Offer sent")
    expect(offer.locator("article", has_text="Warehouse racks")).to_be_visible()
    expect(offer.locator("[data-column-total]")).to_have_text("4,800 EUR")
    expect(offer.locator("[data-column-weighted]")).to_contain_text("2,880")
    expect(dialog).to_be_hidden()
    deal = Deal.objects.get(title="Warehouse racks")
    assert (deal.stage.name, deal.amount) == ("Offer sent", Decimal("4800.00"))
    expect(page.locator(".modal-backdrop")).to_have_count(0)
    screenshot("board-4-after-prompt")


@pytest.mark.browser
def test_rep_drops_a_deal_on_lost_with_a_reason(login, live_server, rep_a, screenshot):
    make_deal(rep_a, "Office chairs", amount="900.00")
    make_deal(rep_a, "Desks", amount="100.00")
    page = login(rep_a)
    page.set_viewport_size({"width": 1600, "height": 900})
    page.goto(f"{live_server.url}/deals/board/")

    _drag(
        page,
        _column(page, "New request").locator("article", has_text="Office chairs"),
        page.locator(".board-drop-lost"),
    )

    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Why was it lost?")).to_be_visible()
    screenshot("board-5-lost-reason")
    dialog.get_by_label("Why was it lost?").select_option(label="Chose a competitor")
    dialog.get_by_role("button", name=re.compile("Move to")).click()

    new = _column(page, "New request")
    expect(new.locator("article", has_text="Office chairs")).to_have_count(0)
    expect(new.locator("[data-column-count]")).to_have_text("1")
    expect(new.locator("[data-column-total]")).to_have_text("100 EUR")
    deal = Deal.objects.get(title="Office chairs")
    assert (deal.stage.name, deal.lost_reason) == ("Lost", LostReason.objects.get(name="Chose a competitor"))


@pytest.mark.browser
def test_board_on_a_phone_scrolls_sideways(login, live_server, rep_a, screenshot):
    make_deal(rep_a, "Printer fleet", amount="1200.00")
    page = login(rep_a)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/deals/board/")

    columns = page.locator(".board-columns")
    expect(columns).to_be_visible()
    assert columns.evaluate("element => element.scrollWidth > element.clientWidth")
    screenshot("board-6-phone")


@pytest.mark.browser
def test_rep_moves_a_deal_without_dragging_through_the_cards_menu(login, live_server, rep_a, screenshot):
    make_deal(rep_a, "Keyboard deal", amount="700.00")
    page = login(rep_a)
    page.set_viewport_size({"width": 1600, "height": 900})
    # goto waits for the load event: htmx (a deferred script) must be running to fetch the menu.
    page.goto(f"{live_server.url}/deals/board/")

    card = _column(page, "New request").locator("article", has_text="Keyboard deal")
    card.get_by_label("Move to…").first.click()
    menu = card.locator("select[name='stage']")
    expect(menu).to_be_visible()
    menu.select_option(label="Qualified")
    screenshot("board-7-move-menu")
    card.get_by_role("button", name="Move", exact=True).click()

    qualified = _column(page, "Qualified")
    expect(qualified.locator("article", has_text="Keyboard deal")).to_be_visible()
    expect(qualified.locator("[data-column-total]")).to_have_text("700 EUR")
    assert Deal.objects.get(title="Keyboard deal").stage == stage("Qualified")
