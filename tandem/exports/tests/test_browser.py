"""In the real browser: filter the contact list, export it, and get the filtered rows in the file."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tandem.exports import services


@pytest.mark.browser
def test_rep_exports_the_filtered_contact_list(
    login, live_server, rep_a, rep_b, make_contact, screenshot, monkeypatch
):
    make_contact(rep_a, "Anna", "Smith", phones=["0888 123 456"])
    make_contact(rep_a, "Boris", "Smith")
    make_contact(rep_b, "Annette", "Other")
    page = login(rep_a)
    page.goto(f"{live_server.url}/contacts/")

    page.locator("#filters [name=q]").fill("Anna")
    expect(page.get_by_role("link", name="Boris Smith")).to_have_count(0)
    expect(page.get_by_role("link", name="Anna Smith")).to_be_visible()
    page.get_by_role("button", name="Export").click()
    expect(page.get_by_role("button", name="CSV")).to_be_visible()
    screenshot("exports-1-contact-list-export-menu")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="CSV").click()

    download = download_info.value
    assert download.suggested_filename.startswith("contacts-") and download.suggested_filename.endswith(
        ".csv"
    )
    with open(download.path(), encoding="utf-8-sig") as handle:
        lines = handle.read().splitlines()
    assert len(lines) == 2
    assert lines[1].startswith("Anna,,Smith,,,,+359 88 812 3456,")

    # A bigger export (here: anything) is prepared in the background and waits under My exports.
    monkeypatch.setattr(services, "EXPORT_INLINE_ROWS", 0)
    page.get_by_role("button", name="Export").click()
    page.get_by_role("button", name="Excel (XLSX)").click()
    expect(page.get_by_role("heading", name="Export of Contacts")).to_be_visible()
    expect(page.get_by_text("1 row exported.")).to_be_visible()
    screenshot("exports-2-background-job-done")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download").click()
    assert download_info.value.suggested_filename.endswith(".xlsx")
    page.get_by_role("link", name="My exports").click()
    expect(page.get_by_role("cell", name="Contacts")).to_be_visible()
    screenshot("exports-3-my-exports")
