"""The export pages: the list's filters travel with the export, small ones download at once, big ones
become a job only its owner can follow and download."""

from __future__ import annotations

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from conftest import PASSWORD
from tandem.exports import services
from tandem.exports.models import ExportJob

pytestmark = pytest.mark.django_db


def _login(client, user):
    assert client.login(email=user.email, password=PASSWORD)
    return client


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8-sig")


def test_a_small_export_downloads_at_once_with_the_lists_filters(client, rep_a, rep_b, make_contact):
    make_contact(rep_a, "Anna", "Smith")
    make_contact(rep_a, "Boris", "Smith")
    make_contact(rep_b, "Annette", "Other")
    _login(client, rep_a)

    response = client.post(reverse("export_start", args=["contacts"]) + "?q=Ann", {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="contacts-')
    lines = _body(response).splitlines()
    assert [line.split(",")[0] for line in lines] == ["First name", "Anna"]  # rep_b's Annette is not visible
    assert not ExportJob.objects.exists()


def test_an_xlsx_export_of_deals_is_a_spreadsheet(client, rep_a, make_deal, tmp_path):
    make_deal(rep_a, "=1+1 deal")
    _login(client, rep_a)

    response = client.post(reverse("export_start", args=["deals"]), {"format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="deals-')
    path = tmp_path / "deals.xlsx"
    path.write_bytes(b"".join(response.streaming_content))
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Deals").to_python()
    assert rows[1][0] == "=1+1 deal"


def test_the_list_pages_offer_the_export_menu_with_their_filters(client, rep_a):
    _login(client, rep_a)
    for name, entity in [("company_list", "companies"), ("contact_list", "contacts"), ("deal_list", "deals")]:
        page = client.get(reverse(name) + "?q=abc").content.decode()
        assert f'action="/exports/{entity}/?q=abc"' in page
        fragment = client.get(reverse(name) + "?q=xyz", headers={"HX-Request": "true"}).content.decode()
        assert 'id="export-menu" hx-swap-oob="true"' in fragment
        assert f'action="/exports/{entity}/?q=xyz"' in fragment


def test_a_big_export_becomes_a_job_its_owner_follows_and_downloads(
    client, rep_a, make_contact, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "EXPORT_INLINE_ROWS", 2)
    for first in ("Anna", "Boris", "Vera"):
        make_contact(rep_a, first, "Smith")
    _login(client, rep_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("export_start", args=["contacts"]) + "?sort=-name", {"format": "csv"})

    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("export_job", args=[job.pk])
    assert (job.owner, job.entity, job.file_format, job.status) == (rep_a, "contacts", "csv", "done")
    assert (job.rows_done, job.rows_total, job.ordering) == (3, 3, ["-last_name", "-first_name", "-id"])
    page = client.get(response["Location"]).content.decode()
    assert "3 rows exported." in page and reverse("export_job_download", args=[job.pk]) in page
    assert "every 1s" not in page  # finished: no more polling
    download = client.get(reverse("export_job_download", args=[job.pk]))
    assert [line.split(",")[0] for line in _body(download).splitlines()] == [
        "First name",
        "Vera",
        "Boris",
        "Anna",
    ]
    assert (
        reverse("export_job_download", args=[job.pk]) in client.get(reverse("export_list")).content.decode()
    )


def test_a_running_job_page_polls_and_shows_progress(client, rep_a):
    job = ExportJob.objects.create(
        owner=rep_a, entity="contacts", file_format="xlsx", status="running", rows_done=500, rows_total=2000
    )
    _login(client, rep_a)

    fragment = client.get(
        reverse("export_job", args=[job.pk]), headers={"HX-Request": "true"}
    ).content.decode()

    assert 'hx-trigger="every 1s"' in fragment
    assert "25%" in fragment and "500 of 2000 rows" in fragment
    assert "<html" not in fragment


@pytest.mark.parametrize("intruder", ["rep_b", "rep_a2", "head_a", "admin"])
def test_nobody_but_the_owner_sees_or_downloads_a_job(
    client, request, rep_a, intruder, make_contact, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "EXPORT_INLINE_ROWS", 0)
    make_contact(rep_a, "Anna", "Smith")
    with django_capture_on_commit_callbacks(execute=True):
        _login(client, rep_a).post(reverse("export_start", args=["contacts"]), {"format": "csv"})
    job = ExportJob.objects.get()
    client.logout()
    _login(client, request.getfixturevalue(intruder))

    assert client.get(reverse("export_job", args=[job.pk])).status_code == 404
    assert client.get(reverse("export_job_download", args=[job.pk])).status_code == 404
    assert reverse("export_job", args=[job.pk]) not in client.get(reverse("export_list")).content.decode()


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.post(reverse("export_start", args=["contacts"]), {"format": "csv"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get(reverse("export_list")).status_code == 302


def test_unknown_lists_and_formats_are_refused(client, rep_a):
    _login(client, rep_a)
    assert client.post(reverse("export_start", args=["users"]), {"format": "csv"}).status_code == 404
    assert client.post(reverse("export_start", args=["contacts"]), {"format": "pdf"}).status_code == 400
    assert client.get(reverse("export_start", args=["contacts"])).status_code == 405


def test_activities_export_from_the_exports_page_with_its_filters(client, rep_a, make_contact):
    import datetime

    from tandem.activities.models import ActivityType
    from tandem.activities.services import activity_create

    contact = make_contact(rep_a, "Ivan", "Petrov")
    activity_type = ActivityType.objects.order_by("position", "id").first()
    now = datetime.datetime.now(tz=datetime.UTC)
    activity_create(actor=rep_a, type=activity_type, subject="Planned call", contact=contact, due_at=now)
    activity_create(actor=rep_a, type=activity_type, subject="Done call", contact=contact, done_at=now)
    _login(client, rep_a)
    assert "Export activities" in client.get(reverse("export_list")).content.decode()

    response = client.post(
        reverse("export_start", args=["activities"]), {"format": "csv", "status": "planned"}
    )

    lines = _body(response).splitlines()
    assert len(lines) == 2 and "Planned call" in lines[1]


def test_a_failed_job_says_so(client, rep_a):
    job = ExportJob.objects.create(
        owner=rep_a, entity="deals", file_format="xlsx", status="failed", error="too_many_rows"
    )
    _login(client, rep_a)
    page = client.get(reverse("export_job", args=[job.pk])).content.decode()
    assert "Too many rows for one Excel sheet: export to CSV instead." in page
