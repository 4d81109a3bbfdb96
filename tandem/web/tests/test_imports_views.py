"""The import wizard pages: upload, map the columns, dry run, import, report, rejected rows, undo; each
person sees only their own imports, and refusals come back as form errors, never a server error."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import PASSWORD
from tandem.contacts.models import Company, Contact
from tandem.imports.models import ImportIssue, ImportJob, MappingProfile
from tandem.imports.tests.files import write_xlsx
from tandem.web.views import imports as views

pytestmark = pytest.mark.django_db

CSV = (
    b"Company,Name,Phone,Email,Favourite colour\n"
    b"Balkan Trade,Ivan Petrov,0888 123 456,ivan@balkan.bg,blue\n"
    b"Balkan Trade,Maria Ivanova,0888 654 321,maria@balkan.bg,red\n"
    b"Sofia Print,Petar Georgiev,02 981 1111,petar@sofiaprint.bg,green\n"
    b"Balkan Trade,Ivan Petrov,0888 123 456,ivan.petrov@gmail.com,teal\n"
    b",,0888 111 222,,orange\n"
)
GUESSED = ["company.name", "contact.full_name", "contact.phones", "contact.emails", None]


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path  # the engine keeps uploaded files under DATA_DIR/imports


def _login(client, user):
    assert client.login(email=user.email, password=PASSWORD)
    return client


def _upload(client, content: bytes = CSV, name: str = "clients.csv", **data):
    return client.post(reverse("import_list"), {"file": SimpleUploadedFile(name, content), **data})


def _uploaded(client, user) -> ImportJob:
    _login(client, user)
    response = _upload(client)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("import_detail", args=[job.pk])
    return job


def _settings(job: ImportJob, action: str, mapping: list[str | None] | None = None, **extra) -> dict:
    mapping = GUESSED if mapping is None else mapping
    data = {f"column_{index}": key or "" for index, key in enumerate(mapping)}
    return {**data, "region": "BG", "on_duplicate": "update", "action": action, **extra}


def _post(client, job: ImportJob, action: str, mapping: list[str | None] | None = None, **extra):
    return client.post(reverse("import_detail", args=[job.pk]), _settings(job, action, mapping, **extra))


def _page(client, job: ImportJob, query: str = "") -> str:
    response = client.get(reverse("import_detail", args=[job.pk]) + query)
    assert response.status_code == 200
    return response.content.decode()


def _stats(page: str) -> dict[str, int]:
    found = re.findall(r'data-stat="(\w+)">.*?<dd[^>]*>(\d+)</dd>', page, re.S)
    return {key: int(value) for key, value in found}


def _streamed(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


def test_upload_shows_the_mapping_with_headers_samples_and_guessed_fields(client, rep_a):
    job = _uploaded(client, rep_a)

    page = _page(client, job)

    assert job.status == ImportJob.Status.NEW and job.created_by == rep_a
    for header in ("Company", "Name", "Phone", "Email", "Favourite colour"):
        assert f">{header}</label>" in page
    assert "Ivan Petrov" in page and "Maria Ivanova" in page and "Sofia Print" in page
    selected = re.findall(
        r'<select name="(column_\d)".*?(?:<option value="([\w.]*)" selected>|</select>)', page, re.S
    )
    assert selected == [(f"column_{i}", key or "") for i, key in enumerate(GUESSED)]
    assert "— don&#x27;t import —" in page and '<optgroup label="Contact person">' in page
    assert '<option value="BG" selected>Bulgaria (+359)</option>' in page
    assert 'accept=".csv,.xlsx,.xls,.ods"' in _page_list(client)


def _page_list(client) -> str:
    return client.get(reverse("import_list")).content.decode()


def test_dry_run_with_a_changed_mapping_reports_the_numbers_and_writes_nothing(client, rep_a):
    job = _uploaded(client, rep_a)
    mapping = [*GUESSED[:4], "contact.notes"]

    response = _post(client, job, "preview", mapping, profile_name="Our export")

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEWED
    assert job.mapping == mapping
    page = _page(client, job)
    assert "Dry run: what the import would do" in page
    assert "5 rows checked. Nothing has been saved yet." in page
    stats = _stats(page)
    assert stats["companies_created"] == 2 and stats["contacts_created"] == 3 and stats["rejected"] == 1
    assert ">Choose the column with the company name or the person&#x27;s name.<" not in page
    assert reverse("import_rejected_csv", args=[job.pk]) + "?dry_run=1" in page
    assert Company.objects.count() == 0 and Contact.objects.count() == 0
    assert MappingProfile.objects.get(owner=rep_a).mapping["Favourite colour"] == "contact.notes"


def test_import_now_shows_the_final_report_with_the_counts(client, rep_a):
    job = _uploaded(client, rep_a)
    _post(client, job, "preview")

    response = _post(client, job, "start")

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    page = _page(client, job)
    assert "The import is done" in page and "5 rows read." in page
    assert _stats(page) == {
        "companies_created": 2,
        "contacts_created": 3,
        "companies_updated": 0,
        "contacts_updated": 0,
        "rows_merged": 1,
        "rows_skipped": 0,
        "rejected": 1,
        "warnings": 0,
    }
    assert sorted(Contact.objects.values_list("first_name", flat=True)) == ["Ivan", "Maria", "Petar"]
    assert "Undo this import" in page
    assert reverse("contact_list") + "?created_from=" in page


def test_rejected_rows_download_as_csv_with_the_reason_and_the_original_cells(client, rep_a):
    job = _uploaded(client, rep_a)
    _post(client, job, "start")

    response = client.get(reverse("import_rejected_csv", args=[job.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="import-{job.pk}-rejected.csv"'
    lines = _streamed(response).splitlines()
    assert lines[0] == "Row,Reason,Company,Name,Phone,Email,Favourite colour"
    assert len(lines) == 2 and lines[1].startswith("6,") and lines[1].endswith(",,,0888 111 222,,orange")


def test_the_dry_run_rejected_rows_download_separately(client, rep_a):
    job = _uploaded(client, rep_a)
    _post(client, job, "preview")

    response = client.get(reverse("import_rejected_csv", args=[job.pk]) + "?dry_run=1")

    assert response["Content-Disposition"] == f'attachment; filename="import-{job.pk}-dry-run-rejected.csv"'
    assert len(_streamed(response).splitlines()) == 2


def test_undo_removes_the_imported_records_and_says_what_it_did(client, rep_a):
    job = _uploaded(client, rep_a)
    _post(client, job, "start")

    response = client.post(reverse("import_undo", args=[job.pk]))

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UNDONE
    assert Contact.objects.count() == 0 and Company.objects.count() == 0
    stats = _stats(_page(client, job))
    assert stats["contact_removed"] == 3 and stats["company_removed"] == 2 and stats["kept_in_trash"] == 0


def test_an_import_cannot_be_undone_twice(client, rep_a):
    job = _uploaded(client, rep_a)
    _post(client, job, "start")
    client.post(reverse("import_undo", args=[job.pk]))

    response = client.post(reverse("import_undo", args=[job.pk]), follow=True)

    assert "Only a finished, failed or interrupted import can be undone." in response.content.decode()


def test_another_rep_gets_404_and_changes_nothing_while_an_admin_sees_the_import(
    client, rep_a, rep_a2, admin
):
    job = _uploaded(client, rep_a)
    _post(client, job, "start")
    client.logout()
    _login(client, rep_a2)

    for response in (
        client.get(reverse("import_detail", args=[job.pk])),
        client.post(reverse("import_detail", args=[job.pk]), _settings(job, "preview")),
        client.post(reverse("import_undo", args=[job.pk])),
        client.post(reverse("import_resume", args=[job.pk])),
        client.get(reverse("import_rejected_csv", args=[job.pk])),
    ):
        assert response.status_code == 404
    assert "clients.csv" not in _page_list(client)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and Contact.objects.count() == 3


def test_an_admin_sees_everyones_imports(client, rep_a, admin):
    job = _uploaded(client, rep_a)
    _post(client, job, "start")
    client.logout()
    _login(client, admin)
    assert "clients.csv" in _page_list(client) and "Rita Rep" in _page_list(client)
    assert "The import is done" in _page(client, job)


def test_anonymous_visitors_go_to_the_login_page(client):
    response = client.get(reverse("import_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_readonly_role_sees_no_upload_form_and_cannot_upload(client, readonly):
    _login(client, readonly)
    page = _page_list(client)
    assert "Your role cannot import clients." in page and 'type="file"' not in page
    assert 'href="/imports/"' not in page  # no menu entry either

    response = _upload(client)

    assert response.status_code == 403
    assert "Your role cannot import clients." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_binary_file_named_csv_is_refused_on_the_upload_form(client, rep_a, tmp_path):
    _login(client, rep_a)

    response = _upload(client, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "clients.csv")

    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="form-control is-invalid"' in page
    assert re.search(r'<div class="invalid-feedback" id="upload-file-errors"><div>[^<]{20,}</div>', page)
    assert not ImportJob.objects.exists()
    assert not list((tmp_path / "imports").iterdir())


def test_a_mapping_without_a_name_column_is_a_form_error(client, rep_a):
    job = _uploaded(client, rep_a)

    response = _post(client, job, "preview", [None, None, "contact.phones", "contact.emails", None])

    assert response.status_code == 400
    assert "Choose the column with the company name or the person&#x27;s name." in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.NEW and job.mapping == GUESSED


def test_two_columns_into_one_field_is_a_form_error_and_the_choices_stay(client, rep_a):
    job = _uploaded(client, rep_a)

    response = _post(client, job, "start", ["company.name", "company.name", None, None, None])

    page = response.content.decode()
    assert response.status_code == 400 and "Two columns go into" in page
    assert page.count('<option value="company.name" selected>') == 2
    assert ImportJob.objects.get().status == ImportJob.Status.NEW and not Company.objects.exists()


def test_a_saved_mapping_chosen_on_upload_preselects_its_fields(client, rep_a):
    MappingProfile.objects.create(
        owner=rep_a, name="Ours", mapping={"Favourite colour": "contact.notes", "Name": "contact.full_name"}
    )
    _login(client, rep_a)
    assert "Ours" in _page_list(client)

    _upload(client, profile=MappingProfile.objects.get().pk)

    job = ImportJob.objects.get()
    assert job.mapping[4] == "contact.notes"
    assert "uses the saved mapping “Ours”" in _page(client, job)


def test_a_running_import_shows_a_progress_bar_that_polls_and_reloads_when_done(client, rep_a):
    job = _uploaded(client, rep_a)
    ImportJob.objects.filter(pk=job.pk).update(status="running", rows_total=200, rows_done=50)
    job.refresh_from_db()
    assert not job.heartbeat_at  # never started: looks stalled

    page = _page(client, job)
    assert 'hx-trigger="every 1500ms"' in page and "50 of about 200 rows" in page and "25%" in page
    assert "You may leave this page" in page
    assert reverse("import_resume", args=[job.pk]) in page and reverse("import_undo", args=[job.pk]) in page

    poll = client.get(reverse("import_detail", args=[job.pk]), headers={"HX-Request": "true"})
    assert poll.status_code == 200 and "HX-Request" in poll["Vary"]
    assert poll.content.decode().lstrip().startswith('<div id="import-progress"')

    ImportJob.objects.filter(pk=job.pk).update(status="done")
    done = client.get(reverse("import_detail", args=[job.pk]), headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true"


def test_a_stalled_import_can_be_continued(client, rep_a):
    job = _uploaded(client, rep_a)
    ImportJob.objects.filter(pk=job.pk).update(status="running")

    response = client.post(reverse("import_resume", args=[job.pk]))

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and Contact.objects.count() == 3


def test_a_started_import_ignores_a_late_mapping_post(client, rep_a):
    job = _uploaded(client, rep_a)
    _post(client, job, "start")

    url = reverse("import_detail", args=[job.pk])
    response = client.post(url, _settings(job, "preview"), follow=True)

    assert "its settings can no longer change" in response.content.decode()
    assert ImportJob.objects.get().status == ImportJob.Status.DONE


def test_issues_are_paged_in_file_order(client, rep_a, monkeypatch):
    monkeypatch.setattr(views, "ISSUES_PAGE", 2)
    rows = "".join(f",,0888 111 {n:03d},,x\n" for n in range(5))
    _login(client, rep_a)
    _upload(client, b"Company,Name,Phone,Email,Colour\n" + rows.encode())
    job = ImportJob.objects.get()
    _post(client, job, "start")

    first = _page(client, job)
    after = re.search(r'href="\?after=([\d-]+)#import-issues"', first)
    assert after is not None
    second = _page(client, job, f"?after={after.group(1)}")

    def shown(page: str) -> list[str]:
        return re.findall(r'<td class="text-end text-nowrap ps-3">(\d+)</td>', page)

    assert shown(first) == ["2", "3"] and shown(second) == ["4", "5"]
    assert ImportIssue.objects.filter(job=job, dry_run=False).count() == 5


def test_the_pages_run_a_bounded_number_of_queries(client, rep_a, django_assert_max_num_queries):
    job = _uploaded(client, rep_a)
    for _number in range(4):
        _upload(client)
    _post(client, job, "start")

    with django_assert_max_num_queries(8):
        assert client.get(reverse("import_list")).status_code == 200
    with django_assert_max_num_queries(8):
        _page(client, job)
    other = ImportJob.objects.exclude(pk=job.pk).first()
    assert other is not None
    with django_assert_max_num_queries(8):
        _page(client, other)


def test_contacts_and_companies_lists_link_to_the_import(client, rep_a, readonly):
    _login(client, rep_a)
    for name in ("contact_list", "company_list"):
        assert f'href="{reverse("import_list")}"' in client.get(reverse(name)).content.decode()


def test_a_workbook_with_several_sheets_offers_them_and_reads_the_chosen_one(client, rep_a, tmp_path):
    path = write_xlsx(
        tmp_path / "book.xlsx",
        {
            "Notes": [["Topic", "Text"], ["Call", "Monday"]],
            "Clients": [["Фирма", "Телефон"], ["Балкан ООД", "0888 123 456"]],
        },
    )
    _login(client, rep_a)
    _upload(client, path.read_bytes(), "book.xlsx")
    job = ImportJob.objects.get()
    page = _page(client, job)
    assert '<option value="Clients"' in page and '<option value="Notes"' in page

    response = client.post(reverse("import_detail", args=[job.pk]), {"action": "sheet", "sheet": "Clients"})

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.table["sheet"] == "Clients" and job.mapping[0] == "company.name"
    assert "Балкан ООД" in _page(client, job)


def test_headers_and_values_from_the_file_are_escaped(client, rep_a):
    _login(client, rep_a)
    _upload(client, b"Name,<script>alert(1)</script>\nIvan,<img src=x onerror=alert(2)>\n", "<b>x</b>.csv")
    page = _page(client, ImportJob.objects.get())
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "<b>x</b>" not in page
