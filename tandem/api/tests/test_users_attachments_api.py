"""/api/v1/users/ (read-only colleagues) and /api/v1/activities/{id}/attachments/ (upload, list,
download, remove): who may do what over the roles, and the bad input each refuses."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tandem.accounts.models import ApiToken
from tandem.accounts.services import user_update
from tandem.activities.attachments import attachment_add
from tandem.activities.models import Activity, ActivityType, Attachment
from tandem.activities.services import activity_create

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()


# --- users --------------------------------------------------------------------------------------


def test_users_list_is_active_colleagues_without_secrets(api, admin, rep_a, rep_b, team_a, readonly):
    user_update(actor=admin, user=readonly, is_active=False)

    response = api(rep_b, scope=ApiToken.Scope.READ).get("/api/v1/users/", {"ordering": "full_name"})

    assert response.status_code == 200
    results = response.json()["results"]
    assert [user["full_name"] for user in results] == ["Ada Admin", "Boris Rep", "Rita Rep"]
    assert results[2] == {
        "id": rep_a.pk,
        "email": "rep.a@example.com",
        "full_name": "Rita Rep",
        "role": "rep",
        "team": {"id": team_a.pk, "name": team_a.name},
    }


@pytest.mark.parametrize("role", ["admin", "head_a", "rep_a", "readonly"])
def test_every_role_reads_one_user(request, api, role, rep_b):
    user = request.getfixturevalue(role)

    response = api(user).get(f"/api/v1/users/{rep_b.pk}/")

    assert response.status_code == 200
    assert response.json()["email"] == "rep.b@example.com"


def test_deactivated_or_unknown_user_is_404(api, admin, rep_a, rep_b):
    user_update(actor=admin, user=rep_b, is_active=False)
    client = api(rep_a)

    assert client.get(f"/api/v1/users/{rep_b.pk}/").json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/users/999999999/").status_code == 404


def test_users_filters_and_unknown_filter(api, admin, head_a, rep_a, rep_b, team_a):
    client = api(admin)

    by_team = client.get("/api/v1/users/", {"team": team_a.pk, "ordering": "full_name"}).json()["results"]
    by_role = client.get("/api/v1/users/", {"role": "head"}).json()["results"]
    by_search = client.get("/api/v1/users/", {"search": "boris"}).json()["results"]
    unknown = client.get("/api/v1/users/", {"password": "x"})

    assert [user["full_name"] for user in by_team] == ["Hana Head", "Rita Rep"]
    assert [user["id"] for user in by_role] == [head_a.pk]
    assert [user["id"] for user in by_search] == [rep_b.pk]
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "unknown_filter"


def test_users_are_read_only_and_anonymous_is_401(api, admin, rep_a):
    assert api().get("/api/v1/users/").status_code == 401
    response = api(admin).post("/api/v1/users/", {"email": "x@example.com"}, format="json")
    assert response.status_code == 405
    assert api(admin).delete(f"/api/v1/users/{rep_a.pk}/").status_code == 405


def test_users_list_query_count_is_constant(api, admin, rep_a, rep_b, head_a, django_assert_max_num_queries):
    client = api(admin)
    with django_assert_max_num_queries(4):
        assert client.get("/api/v1/users/").status_code == 200


# --- attachments --------------------------------------------------------------------------------


@pytest.fixture
def activity(rep_a, make_contact) -> Activity:
    contact = make_contact(owner=rep_a)
    return activity_create(
        actor=rep_a,
        type=ActivityType.objects.get(kind="call"),
        subject="Call about the offer",
        contact=contact,
        due_at=timezone.now() + datetime.timedelta(days=1),
    )


def url(activity: Activity, attachment: Attachment | None = None) -> str:
    base = f"/api/v1/activities/{activity.pk}/attachments/"
    return f"{base}{attachment.pk}/" if attachment else base


def pdf(name: str = "offer.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_author_uploads_lists_and_downloads_a_file(api, rep_a, activity):
    client = api(rep_a)

    created = client.post(url(activity), {"file": pdf()}, format="multipart")

    assert created.status_code == 201
    attachment = Attachment.objects.get(activity=activity)
    body = created.json()
    assert {key: body[key] for key in ("id", "name", "content_type", "size", "uploaded_by")} == {
        "id": attachment.pk,
        "name": "offer.pdf",
        "content_type": "application/pdf",
        "size": len(PDF),
        "uploaded_by": rep_a.pk,
    }
    assert body["download"] == f"http://testserver{url(activity, attachment)}"
    assert [item["id"] for item in client.get(url(activity)).json()] == [attachment.pk]
    download = client.get(url(activity, attachment))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="offer.pdf"'
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert b"".join(download.streaming_content) == PDF


@pytest.mark.parametrize(("role", "reads", "uploads"), [
    ("admin", 200, 201),
    ("head_a", 200, 201),
    ("rep_a", 200, 201),
    ("rep_b", 404, 404),
    ("readonly", 200, 403),
])  # fmt: skip
def test_attachment_access_over_the_roles(request, api, activity, rep_a, role, reads, uploads):
    existing = attachment_add(actor=rep_a, activity=activity, file=pdf("first.pdf"))
    client = api(request.getfixturevalue(role))

    assert client.get(url(activity)).status_code == reads
    assert client.get(url(activity, existing)).status_code == reads
    assert client.post(url(activity), {"file": pdf()}, format="multipart").status_code == uploads
    assert Attachment.objects.filter(activity=activity).count() == (2 if uploads == 201 else 1)


def test_anonymous_and_read_token_change_nothing(api, rep_a, activity):
    existing = attachment_add(actor=rep_a, activity=activity, file=pdf("first.pdf"))
    read_only = api(rep_a, scope=ApiToken.Scope.READ)

    assert api().post(url(activity), {"file": pdf()}, format="multipart").status_code == 401
    refused = read_only.post(url(activity), {"file": pdf()}, format="multipart")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "read_only_token"
    assert read_only.delete(url(activity, existing)).status_code == 403
    assert read_only.get(url(activity, existing)).status_code == 200
    assert list(Attachment.objects.values_list("name", flat=True)) == ["first.pdf"]


def test_program_is_refused_with_the_services_code(api, rep_a, activity):
    response = api(rep_a).post(url(activity), {"file": pdf("setup.exe", b"MZ\x90\x00")}, format="multipart")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "program"
    assert Attachment.objects.count() == 0


def test_upload_bad_input(api, rep_a, activity, settings):
    client = api(rep_a)
    settings.TANDEM_MAX_UPLOAD_BYTES = 1024

    as_json = client.post(url(activity), {"file": "offer.pdf"}, format="json")
    unknown = client.post(url(activity), {"file": pdf(), "owner": "1"}, format="multipart")
    missing = client.post(url(activity), {}, format="multipart")
    too_large_file = client.post(url(activity), {"file": pdf(content=PDF + b"0" * 2000)}, format="multipart")
    oversized_body = client.post(
        url(activity), {"file": pdf(content=PDF + b"0" * 70 * 1024)}, format="multipart"
    )

    assert (as_json.status_code, as_json.json()["error"]["code"]) == (415, "unsupported_media_type")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (400, "unknown_field")
    assert missing.json()["error"]["fields"] == {"file": ["No file was submitted."]}
    assert (too_large_file.status_code, too_large_file.json()["error"]["code"]) == (400, "too_large")
    assert (oversized_body.status_code, oversized_body.json()["error"]["code"]) == (413, "request_too_large")
    assert Attachment.objects.count() == 0


def test_forged_ids_are_404(api, rep_a, activity, make_contact):
    other = activity_create(
        actor=rep_a,
        type=ActivityType.objects.get(kind="call"),
        subject="Another",
        contact=make_contact(owner=rep_a, first_name="Olga"),
        due_at=timezone.now() + datetime.timedelta(days=2),
    )
    elsewhere = attachment_add(actor=rep_a, activity=other, file=pdf())
    client = api(rep_a)

    assert client.get(url(activity, elsewhere)).status_code == 404
    assert client.delete(url(activity, elsewhere)).status_code == 404
    assert client.get("/api/v1/activities/999999999/attachments/").status_code == 404
    assert client.delete(f"/api/v1/activities/{activity.pk}/attachments/-1/").json()["error"]["code"] == (
        "not_found"
    )
    assert Attachment.objects.filter(pk=elsewhere.pk).exists()


def test_author_removes_a_file(api, rep_a, activity):
    existing = attachment_add(actor=rep_a, activity=activity, file=pdf())

    assert api(rep_a).delete(url(activity, existing)).status_code == 204
    assert Attachment.objects.count() == 0
