from __future__ import annotations

from django.test import Client
from rest_framework.test import APIClient

from tandem.accounts.models import ApiToken
from tandem.accounts.services import token_create, token_revoke, user_update
from tandem.contacts.models import Company

PASSWORD = "correct-horse-battery-staple"


def test_anonymous_request_is_401_with_bearer_challenge(db):
    response = APIClient().get("/api/v1/companies/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response.json()["error"]["fields"] == {}


def test_anonymous_write_is_401_and_creates_nothing(db):
    response = APIClient().post("/api/v1/companies/", {"name": "Acme"}, format="json")

    assert response.status_code == 401
    assert Company.objects.count() == 0


def test_bearer_token_authenticates_me(api, rep_a, team_a):
    response = api(rep_a).get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json() == {
        "id": rep_a.pk,
        "email": "rep.a@example.com",
        "full_name": "Rita Rep",
        "role": "rep",
        "team": {"id": team_a.pk, "name": "Team A"},
        "language": "en",
        "time_zone": "Europe/Sofia",
    }


def test_me_without_team_has_null_team(api, admin):
    response = api(admin).get("/api/v1/me/")

    assert response.json()["team"] is None
    assert response.json()["role"] == "admin"


def test_unknown_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer tdm_not-a-real-token")

    response = client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "token_invalid"


def test_malformed_authorization_header_is_401(rep_a):
    _token, secret = token_create(user=rep_a, name="x")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")

    response = client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_revoked_token_is_401(rep_a):
    token, secret = token_create(user=rep_a, name="x")
    token_revoke(user=rep_a, token=token)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")

    response = client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_revoked"


def test_token_of_deactivated_user_is_401(admin, rep_a):
    _token, secret = token_create(user=rep_a, name="x")
    user_update(actor=admin, user=rep_a, is_active=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert client.get("/api/v1/me/").status_code == 401


def test_token_use_records_last_used(rep_a):
    token, secret = token_create(user=rep_a, name="x")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")

    client.get("/api/v1/me/")

    token.refresh_from_db()
    assert token.last_used_at is not None


def test_read_token_reads(api, rep_a, make_company):
    make_company(rep_a, "Acme")

    response = api(rep_a, scope=ApiToken.Scope.READ).get("/api/v1/companies/")

    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["Acme"]


def test_read_token_cannot_create(api, rep_a):
    response = api(rep_a, scope=ApiToken.Scope.READ).post(
        "/api/v1/companies/", {"name": "Acme"}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "read_only_token"
    assert Company.objects.count() == 0


def test_read_token_cannot_update_or_delete(api, rep_a, make_company):
    company = make_company(rep_a, "Acme")
    client = api(rep_a, scope=ApiToken.Scope.READ)

    patch = client.patch(f"/api/v1/companies/{company.pk}/", {"name": "Other"}, format="json")
    delete = client.delete(f"/api/v1/companies/{company.pk}/")

    assert (patch.status_code, delete.status_code) == (403, 403)
    company.refresh_from_db()
    assert (company.name, company.deleted_at) == ("Acme", None)


def test_write_token_writes(api, rep_a):
    response = api(rep_a).post("/api/v1/companies/", {"name": "Acme"}, format="json")

    assert response.status_code == 201
    assert Company.objects.get().name == "Acme"


def test_session_auth_reads(rep_a, make_company):
    make_company(rep_a, "Acme")
    client = Client()
    client.force_login(rep_a)

    response = client.get("/api/v1/companies/")

    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["Acme"]


def test_session_write_without_csrf_token_is_403(rep_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep_a)

    response = client.post("/api/v1/companies/", {"name": "Acme"}, content_type="application/json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert "CSRF" in response.json()["error"]["message"]
    assert Company.objects.count() == 0


def test_session_write_with_csrf_token_works(rep_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep_a)
    secret = "k" * 32  # a CSRF secret is 32 letters or digits
    client.cookies["csrftoken"] = secret

    response = client.post(
        "/api/v1/companies/", {"name": "Acme"}, content_type="application/json", HTTP_X_CSRFTOKEN=secret
    )

    assert response.status_code == 201
    assert Company.objects.get().name == "Acme"
