"""The duplicates journey in the real browser: find a pair, merge it choosing a value, undo the merge."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tandem.contacts.models import Contact
from tandem.merges.models import RecordKind
from tandem.merges.scan import duplicates_scan


@pytest.mark.browser
def test_a_rep_merges_a_duplicate_and_undoes_it(
    login, live_server, rep_a, make_company, make_contact, screenshot
):
    acme = make_company(rep_a, "Acme", legal_form="ООД")
    kept = make_contact(rep_a, "Ivan", "Petrov", phones=["0888 123 456"], position="Buyer")
    other = make_contact(
        rep_a, "Ivan", "Petroff", phones=["+359 888 123 456"], emails=["ivan@acme.bg"], company=acme,
        position="Head of purchasing",
    )  # fmt: skip
    make_contact(rep_a, "Maria", "Koleva", phones=["+359 2 981 1234"])
    duplicates_scan(kind=RecordKind.CONTACT)

    page = login(rep_a)
    page.get_by_role("button", name="Data").click()
    page.get_by_role("link", name="Duplicates", exact=True).click()
    expect(page.get_by_role("heading", name="Duplicates", level=1)).to_be_visible()
    expect(page.get_by_text("same phone +359 88 812 3456")).to_be_visible()
    screenshot("merges-1-duplicates")

    page.get_by_role("link", name="Merge…").click()
    expect(page.get_by_role("heading", name="Merge Ivan Petroff into Ivan Petrov")).to_be_visible()
    page.get_by_label("Head of purchasing").check()
    screenshot("merges-2-merge-screen")
    page.get_by_role("button", name="Merge").click()

    page.wait_for_url(f"{live_server.url}/contacts/{kept.pk}/")
    expect(page.get_by_role("alert")).to_contain_text("Ivan Petroff was merged into Ivan Petrov")
    expect(page.get_by_text("Head of purchasing").first).to_be_visible()
    expect(page.get_by_text("ivan@acme.bg").first).to_be_visible()
    screenshot("merges-3-merged-card")

    page.goto(f"{live_server.url}/duplicates/merges/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_role("alert")).to_contain_text("was undone")
    expect(page.get_by_text("undone", exact=True)).to_be_visible()
    screenshot("merges-4-undone")
    kept.refresh_from_db()
    assert kept.position == "Buyer"
    assert not Contact.objects.get(pk=other.pk).is_deleted
