"""The main journeys of the web UI in the real browser: log in, create, find, edit, bulk-tag,
the visibility boundary and the phone layout. Each ends with a screenshot under var/screenshots/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tandem.contacts.models import Company, Contact, Tag

CARD_URL = re.compile(r"/contacts/(\d+)/$")
COMPANY_URL = re.compile(r"/companies/(\d+)/$")


def _fill_first_phone(page: Page, number: str) -> None:
    """The first phone row of a company or contact form (its label is visually hidden)."""
    page.get_by_label("Phone", exact=True).first.fill(number)


def _save(page: Page, url: re.Pattern[str]) -> None:
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(url)


@pytest.mark.browser
def test_rep_logs_in_and_opens_the_contact_list(login, live_server, rep_a, make_contact, screenshot):
    make_contact(rep_a, "Ivan", "Petrov", position="Buyer", phones=["0888 123 456"])

    page = login(rep_a)
    expect(page).to_have_url(f"{live_server.url}/my-day/")  # signing in lands on My day
    page.get_by_role("link", name="Contacts", exact=True).click()

    expect(page).to_have_url(f"{live_server.url}/contacts/")
    expect(page.get_by_role("heading", name="Contacts", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Ivan Petrov")).to_be_visible()
    expect(page.get_by_text("1 found")).to_be_visible()
    expect(page.get_by_role("button", name="Rita Rep")).to_be_visible()
    screenshot("journey-1-contact-list-after-login")


@pytest.mark.browser
def test_rep_creates_a_company_and_two_contacts_in_it(login, live_server, rep_a, screenshot):
    page = login(rep_a)

    page.get_by_role("link", name="Companies", exact=True).click()
    page.get_by_role("link", name="New company").click()
    page.get_by_label("Name", exact=True).fill("Balkan Trade")
    page.get_by_label("Legal form").fill("ООД")
    _fill_first_phone(page, "02 987 6543")
    screenshot("journey-2a-company-form")
    _save(page, COMPANY_URL)

    expect(page.get_by_role("heading", name="Balkan Trade ООД", level=1)).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Company Balkan Trade ООД created.")
    expect(page.get_by_role("link", name="+359 2 987 6543")).to_be_visible()
    company_url = page.url

    for first, last, position, phone in [
        ("Ivan", "Petrov", "Buyer", "0888 123 456"),
        ("Maria", "Ivanova", "CFO", "0899 765 432"),
    ]:
        page.get_by_role("link", name="Add contact").click()
        expect(page.get_by_role("heading", name="New contact")).to_be_visible()
        expect(page.get_by_label("Company", exact=True)).to_have_value(
            str(Company.objects.get(name="Balkan Trade").pk)
        )
        page.get_by_label("First name").fill(first)
        page.get_by_label("Last name").fill(last)
        page.get_by_label("Position").fill(position)
        _fill_first_phone(page, phone)
        _save(page, CARD_URL)
        expect(page.get_by_role("heading", name=f"{first} {last}", level=1)).to_be_visible()
        page.get_by_role("link", name="Balkan Trade ООД").click()
        page.wait_for_url(company_url)

    contacts = page.get_by_role("listitem").filter(
        has=page.get_by_role("link", name=re.compile("Petrov|Ivanova"))
    )
    expect(contacts).to_have_count(2)
    expect(contacts.filter(has_text="Ivan Petrov")).to_contain_text("+359 88 812 3456")
    expect(contacts.filter(has_text="Maria Ivanova")).to_contain_text("+359 89 976 5432")
    expect(page.get_by_role("heading", name="Contacts 2")).to_be_visible()
    expect(page.get_by_role("link", name="+359 2 987 6543")).to_be_visible()
    assert Contact.objects.filter(company__name="Balkan Trade").count() == 2
    screenshot("journey-2b-company-card-with-two-contacts")


@pytest.mark.browser
def test_global_search_finds_a_contact_by_its_national_phone(
    login, live_server, rep_a, make_company, make_contact, screenshot
):
    company = make_company(rep_a, "Balkan Trade")
    ivan = make_contact(rep_a, "Ivan", "Petrov", company=company, phones=["+359888123456"])
    make_contact(rep_a, "Maria", "Ivanova", company=company, phones=["0899 765 432"])
    page = login(rep_a)

    page.get_by_role("searchbox", name="Search clients").press_sequentially("0888 123 456")

    dropdown = page.locator("#global-search-results")
    match = dropdown.get_by_role("link", name=re.compile("Ivan Petrov"))
    expect(match).to_be_visible()
    expect(match).to_contain_text("+359 88 812 3456")
    expect(dropdown.get_by_role("link", name=re.compile("Maria Ivanova"))).to_have_count(0)
    screenshot("journey-3a-global-search-dropdown")

    match.click()

    page.wait_for_url(f"{live_server.url}/contacts/{ivan.pk}/")
    expect(page.get_by_role("heading", name="Ivan Petrov", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="+359 88 812 3456")).to_be_visible()
    screenshot("journey-3b-contact-card-from-search")


@pytest.mark.browser
def test_editing_a_contact_shows_old_and_new_on_the_timeline(
    login, live_server, rep_a, make_contact, screenshot
):
    ivan = make_contact(rep_a, "Ivan", "Petrov", position="Buyer", phones=["0888 123 456"])
    page = login(rep_a)
    page.goto(f"{live_server.url}/contacts/{ivan.pk}/")

    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", name="Edit Ivan Petrov")).to_be_visible()
    expect(page.get_by_label("Position")).to_have_value("Buyer")
    expect(page.get_by_label("Phone", exact=True).first).to_have_value("+359 88 812 3456")
    page.get_by_label("Position").fill("Head of purchasing")
    _save(page, CARD_URL)

    expect(page.get_by_role("alert")).to_contain_text("Changes saved.")
    expect(page.get_by_role("heading", name="Ivan Petrov", level=1)).to_contain_text("Ivan Petrov")
    change = page.locator(".timeline .change-list li").filter(has_text="Position:")
    expect(change).to_have_count(1)
    expect(change).to_contain_text(re.compile(r"Position:\s*Buyer\s*→?\s*Head of purchasing"))
    expect(change.locator(".text-decoration-line-through")).to_have_text("Buyer")
    screenshot("journey-4-contact-timeline-after-edit")


@pytest.mark.browser
def test_rep_cannot_open_another_teams_contact_by_url(
    login, live_server, rep_a, rep_b, make_contact, screenshot
):
    hidden = make_contact(rep_b, "Boris", "Secretov", phones=["0899 765 432"])
    page = login(rep_a)

    response = page.goto(f"{live_server.url}/contacts/{hidden.pk}/")

    assert response is not None and response.status == 404
    expect(page.get_by_text("Secretov")).to_have_count(0)
    expect(page.get_by_text("+359 89 976 5432")).to_have_count(0)
    expect(page.get_by_role("heading", name="Nothing found.")).to_be_visible()
    expect(page.get_by_role("link", name="Back to the client base")).to_be_visible()
    expect(page.get_by_role("button", name="Rita Rep")).to_be_visible()
    screenshot("journey-5-other-teams-contact-is-404")

    edit = page.goto(f"{live_server.url}/contacts/{hidden.pk}/edit/")
    assert edit is not None and edit.status == 404
    expect(page.get_by_text("Secretov")).to_have_count(0)


@pytest.mark.browser
def test_bulk_tag_two_contacts_from_the_list(login, live_server, rep_a, make_contact, screenshot):
    ivan = make_contact(rep_a, "Ivan", "Petrov")
    make_contact(rep_a, "Maria", "Ivanova")
    make_contact(rep_a, "Georgi", "Dimitrov")
    page = login(rep_a)
    page.goto(f"{live_server.url}/contacts/")

    bar = page.locator("[data-bulk-bar]")
    expect(bar.get_by_role("button", name="Apply")).to_be_disabled()
    page.get_by_role("checkbox", name="Select Ivan Petrov").check()
    page.get_by_role("checkbox", name="Select Maria Ivanova").check()
    expect(bar).to_contain_text("Selected: 2")
    bar.get_by_label("Action").select_option(label="Add tag…")
    bar.get_by_label("Tag").fill("VIP 2025")
    screenshot("journey-6a-bulk-tag-ready")
    bar.get_by_role("button", name="Apply").click()

    expect(page.get_by_role("alert")).to_contain_text("2 records tagged.")
    tag = Tag.objects.get(name="VIP 2025")
    assert set(tag.contacts.values_list("last_name", flat=True)) == {"Petrov", "Ivanova"}

    page.get_by_role("button", name="Filters").click()
    page.locator("#filters").get_by_label("Tag").select_option(label="VIP 2025")
    expect(page.get_by_role("link", name="Georgi Dimitrov")).to_have_count(0)
    expect(page.get_by_role("link", name="Ivan Petrov")).to_be_visible()
    expect(page.get_by_role("link", name="Maria Ivanova")).to_be_visible()
    expect(page.get_by_text("2 found")).to_be_visible()
    screenshot("journey-6b-list-filtered-by-the-new-tag")

    page.get_by_role("link", name="Ivan Petrov").click()
    page.wait_for_url(f"{live_server.url}/contacts/{ivan.pk}/")
    expect(page.locator(".tag-badge", has_text="VIP 2025")).to_be_visible()


@pytest.mark.browser
def test_contact_list_is_usable_on_a_phone(login, live_server, rep_a, make_company, make_contact, screenshot):
    company = make_company(rep_a, "Balkan Trade", legal_form="ООД")
    for first, last, phone in [
        ("Ivan", "Petrov", "0888 123 456"),
        ("Maria", "Ivanova", "0899 765 432"),
        ("Aleksandar", "Konstantinov-Hristov", "02 987 6543"),
    ]:
        make_contact(rep_a, first, last, company=company, position="Purchasing manager", phones=[phone])
    page = login(rep_a)
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{live_server.url}/contacts/")

    expect(page.get_by_role("link", name="Ivan Petrov")).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Ivan Petrov"))
    expect(row).to_contain_text("Balkan Trade ООД")
    expect(row).to_contain_text("+359 88 812 3456")
    expect(page.get_by_role("checkbox", name="Select Ivan Petrov")).to_be_visible()
    expect(page.get_by_role("searchbox", name="Search clients")).to_be_hidden()
    expect(page.get_by_role("button", name="Menu")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a phone"
    screenshot("journey-6c-contact-list-on-a-phone")

    page.get_by_role("button", name="Menu").click()
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))  # the slide has ended
    expect(page.get_by_role("searchbox", name="Search clients")).to_be_visible()
    expect(page.get_by_role("link", name="Companies", exact=True)).to_be_visible()
    screenshot("journey-6d-phone-menu-open")
