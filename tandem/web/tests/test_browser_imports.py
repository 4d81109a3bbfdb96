"""The import wizard in the real browser: upload a CSV, fix a column, check it with a dry run, import it,
find the new person in the contact list, undo it; and a running import's page that follows its progress
and shows the report when the job ends."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tandem.imports.models import ImportJob

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CSV = (
    "Company,Name,Phone,Email,Favourite colour\n"
    "Balkan Trade,Ivan Petrov,0888 123 456,ivan@balkan.bg,blue\n"
    "Balkan Trade,Maria Ivanova,0888 654 321,maria@balkan.bg,red\n"
    ",,0888 111 222,,orange\n"
)


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"


def test_rep_imports_a_csv_after_a_dry_run_and_undoes_it(login, live_server, rep_a, screenshot, tmp_path):
    path = tmp_path / "clients.csv"
    path.write_text(CSV, encoding="utf-8")
    page = login(rep_a)
    page.set_viewport_size({"width": 1300, "height": 900})
    page.get_by_role("button", name="Data").click()
    page.get_by_role("link", name="Import", exact=True).first.click()
    expect(page.get_by_role("heading", name="Imports")).to_be_visible()

    page.get_by_label("File").set_input_files(str(path))
    page.get_by_role("button", name="Upload and continue").click()

    expect(page.get_by_role("heading", name="clients.csv")).to_be_visible()
    expect(page.get_by_label("Company", exact=True)).to_have_value("company.name")
    expect(page.get_by_label("Name", exact=True)).to_have_value("contact.full_name")
    expect(page.get_by_label("Favourite colour")).to_have_value("")
    expect(page.get_by_role("cell", name="Ivan Petrov")).to_be_visible()
    page.get_by_label("Favourite colour").select_option("contact.notes")
    screenshot("imports-1-mapping")

    page.get_by_role("button", name="Check (dry run)").click()

    report = page.locator("#dry-run-report")
    expect(report.get_by_text("3 rows checked. Nothing has been saved yet.")).to_be_visible()
    expect(report.locator("[data-stat=contacts_created] dd")).to_have_text("2")
    expect(report.locator("[data-stat=companies_created] dd")).to_have_text("1")
    expect(report.locator("[data-stat=rejected] dd")).to_have_text("1")
    expect(page.locator("#import-issues").get_by_role("cell", name="4", exact=True)).to_be_visible()
    expect(page.get_by_label("Favourite colour")).to_have_value("contact.notes")
    screenshot("imports-2-dry-run")

    report.get_by_role("button", name="Import now").click()

    expect(page.get_by_role("heading", name="The import is done")).to_be_visible()
    expect(page.locator("#import-report [data-stat=contacts_created] dd")).to_have_text("2")
    screenshot("imports-3-report")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download rejected rows (CSV)").click()
    assert download_info.value.suggested_filename.endswith("-rejected.csv")

    page.get_by_role("link", name="Contacts added on those days").click()
    expect(page.get_by_role("link", name="Ivan Petrov")).to_be_visible()
    expect(page.get_by_role("link", name="Maria Ivanova")).to_be_visible()
    page.go_back()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Undo this import").click()

    expect(page.get_by_role("heading", name="The import was undone")).to_be_visible()
    expect(page.locator("[data-stat=contact_removed] dd")).to_have_text("2")
    expect(page.locator(".badge", has_text="undone")).to_be_visible()
    screenshot("imports-4-undone")

    # A big import runs in the background: its page follows the progress, then shows the report.
    job = ImportJob.objects.create(
        created_by=rep_a,
        filename="big.csv",
        table={"format": "csv", "headers": ["Name"]},
        status=ImportJob.Status.RUNNING,
        rows_total=1000,
        rows_done=400,
        heartbeat_at=timezone.now(),
    )
    page.goto(f"{live_server.url}/imports/{job.pk}/")
    expect(page.get_by_text(re.compile("400 of about 1000 rows"))).to_be_visible()
    screenshot("imports-5-progress")
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE,
        rows_done=1000,
        counts={"rows": 1000, "contacts_created": 1000},
        finished_at=timezone.now(),
    )
    expect(page.get_by_role("heading", name="The import is done")).to_be_visible(timeout=5000)
    expect(page.locator("[data-stat=contacts_created] dd")).to_have_text("1000")
    page.get_by_role("link", name="Imports").click()
    expect(page.get_by_role("link", name="big.csv")).to_be_visible()
    screenshot("imports-6-list")
