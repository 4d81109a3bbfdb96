"""The imports API: upload starts the job, the detail reports status, counts and per-row errors;
dry run then start, undo, and the refusals (role, token scope, bad files, bad mapping, other people's)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tandem.accounts.models import ApiToken
from tandem.contacts.models import Contact, Phone
from tandem.imports.models import ImportJob

CSV = "Име;Телефон;Имейл\nИван Петров;0888 123 456;ivan@example.bg\nМария;12;not-an-email\n;;\n"


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def upload(content: str | bytes = CSV, name: str = "people.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode("cp1251") if isinstance(content, str) else content)


def test_upload_imports_and_the_detail_reports_counts_and_row_errors(api, rep_a):
    client = api(rep_a)

    created = client.post("/api/v1/imports/", {"file": upload(), "region": "BG"}, format="multipart")

    assert created.status_code == 202, created.content
    body = created.json()
    assert body["headers"] == ["Име", "Телефон", "Имейл"]
    assert body["mapping"] == ["contact.first_name", "contact.phones", "contact.emails"]
    detail = client.get(f"/api/v1/imports/{body['id']}/").json()
    assert detail["status"] == "done"
    assert detail["counts"]["contacts_created"] == 2
    assert [(e["row"], e["code"], e["rejected"]) for e in detail["errors"]] == [
        (3, "invalid_phone", False),
        (3, "invalid_email", False),
    ]
    assert detail["errors_truncated"] is False
    assert list(Phone.objects.values_list("e164", flat=True)) == ["+359888123456"]
    assert Contact.objects.get(first_name="Иван").owner == rep_a


def test_dry_run_then_start_then_undo(api, admin):
    client = api(admin)
    mapping = json.dumps({"Име": "contact.full_name", "Телефон": "contact.phones"})

    created = client.post(
        "/api/v1/imports/", {"file": upload(), "dry_run": "true", "mapping": mapping}, format="multipart"
    ).json()

    job_id = created["id"]
    assert created["status"] == "previewed"
    assert created["dry_run_counts"]["contacts_created"] == 2
    assert Contact.objects.count() == 0
    assert client.post(f"/api/v1/imports/{job_id}/start/").json()["status"] == "done"
    assert Contact.objects.count() == 2
    assert client.post(f"/api/v1/imports/{job_id}/undo/").json()["status"] == "undone"
    assert Contact.objects.count() == 0
    again = client.post(f"/api/v1/imports/{job_id}/undo/")
    assert again.status_code == 400 and again.json()["error"]["code"] == "not_undoable"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty_file"),
        (bytes(range(256)) * 40, "not_a_table"),
        (b"Name;Phone\n", "no_rows"),
    ],
)
def test_bad_files_are_refused_with_a_code_and_create_nothing(api, admin, content, code):
    response = api(admin).post("/api/v1/imports/", {"file": upload(content)}, format="multipart")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert not ImportJob.objects.exists()


def test_a_mapping_without_a_name_column_is_refused(api, admin):
    mapping = json.dumps(["contact.phones", None, None])

    response = api(admin).post("/api/v1/imports/", {"file": upload(), "mapping": mapping}, format="multipart")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_mapping"


def test_readonly_role_and_read_scope_tokens_cannot_import(api, readonly, rep_a):
    assert api(readonly).post("/api/v1/imports/", {"file": upload()}, format="multipart").status_code == 403
    read_token = api(rep_a, scope=ApiToken.Scope.READ)
    assert read_token.post("/api/v1/imports/", {"file": upload()}, format="multipart").status_code == 403
    assert api().get("/api/v1/imports/").status_code == 401


def test_other_peoples_imports_are_not_found_but_admins_see_them(api, rep_a, rep_b, admin):
    job_id = api(rep_a).post("/api/v1/imports/", {"file": upload()}, format="multipart").json()["id"]

    assert api(rep_b).get(f"/api/v1/imports/{job_id}/").status_code == 404
    assert api(rep_b).post(f"/api/v1/imports/{job_id}/undo/").status_code == 404
    assert [job["id"] for job in api(rep_b).get("/api/v1/imports/").json()["results"]] == []
    assert [job["id"] for job in api(admin).get("/api/v1/imports/").json()["results"]] == [job_id]
