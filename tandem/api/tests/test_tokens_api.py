"""Bearer tokens: precise 401 codes, the read scope on every unsafe operation, and the per-token rate
limit (429 with Retry-After in the one error format)."""

from __future__ import annotations

import datetime
import io
import re

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tandem.accounts.models import ApiToken
from tandem.accounts.services import token_create, user_update
from tandem.contacts.models import Company
from tandem.core.errors import ValidationError

START = datetime.datetime(2030, 5, 1, 12, 0, 0, tzinfo=datetime.UTC)


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def test_expired_token_is_401_token_expired(rep_a):
    with time_machine.travel(START, tick=False):
        _token, secret = token_create(user=rep_a, name="x", expires_at=START + datetime.timedelta(days=30))
        assert bearer(secret).get("/api/v1/me/").status_code == 200
    with time_machine.travel(START + datetime.timedelta(days=30, seconds=1), tick=False):
        response = bearer(secret).get("/api/v1/me/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json() == {
        "error": {"code": "token_expired", "message": "This token has expired.", "fields": {}}
    }


def test_token_of_deactivated_user_is_401_user_inactive(admin, rep_a):
    _token, secret = token_create(user=rep_a, name="x")
    user_update(actor=admin, user=rep_a, is_active=False)

    response = bearer(secret).get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "user_inactive"


def test_token_cannot_be_created_already_expired(rep_a):
    with pytest.raises(ValidationError) as caught:
        token_create(user=rep_a, name="x", expires_at=timezone.now() - datetime.timedelta(seconds=1))

    assert caught.value.code == "invalid_expiry"
    assert ApiToken.objects.count() == 0


def test_cli_creates_an_expiring_read_token(rep_a):
    out, err = io.StringIO(), io.StringIO()
    with time_machine.travel(START, tick=False):
        call_command("token", "create", rep_a.email, "--scope", "read", "--days", "7", stdout=out, stderr=err)

    token = ApiToken.objects.get(user=rep_a)
    assert token.scope == "read"
    assert token.expires_at == START + datetime.timedelta(days=7)
    assert out.getvalue().strip().startswith("tdm_")


def _unsafe_operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = []
    for path, item in schema["paths"].items():
        for method in ("post", "put", "patch", "delete"):
            if method in item:
                operations.append((method, re.sub(r"\{[^}]+\}", "1", path)))
    return operations


def test_read_token_is_403_on_every_unsafe_operation(admin):
    operations = _unsafe_operations()
    client = bearer(token_create(user=admin, name="r", scope=ApiToken.Scope.READ)[1])

    answers = {
        (method, path): getattr(client, method)(path, {}, format="json") for method, path in operations
    }

    assert len(operations) >= 20
    refused = {key: response.json()["error"]["code"] for key, response in answers.items()}
    assert refused == dict.fromkeys(answers, "read_only_token")
    assert {response.status_code for response in answers.values()} == {403}
    assert Company.objects.count() == 0


def test_over_the_rate_limit_is_429_with_retry_after(rep_a, settings):
    settings.TANDEM_API_RATE = 3
    first = bearer(token_create(user=rep_a, name="a")[1])
    second = bearer(token_create(user=rep_a, name="b")[1])

    with time_machine.travel(START + datetime.timedelta(seconds=15), tick=False):
        statuses = [first.get("/api/v1/me/").status_code for _ in range(3)]
        refused = first.get("/api/v1/me/")
        other_token = second.get("/api/v1/me/")
    with time_machine.travel(START + datetime.timedelta(seconds=60), tick=False):
        next_minute = first.get("/api/v1/me/")

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "45"
    assert refused.json()["error"]["code"] == "throttled"
    assert set(refused.json()["error"]) == {"code", "message", "fields"}
    assert other_token.status_code == 200
    assert next_minute.status_code == 200


def test_rate_limit_default_is_600_a_minute():
    from django.conf import settings

    assert settings.TANDEM_API_RATE == 600


def test_session_requests_are_not_counted_against_tokens(rep_a, settings):
    settings.TANDEM_API_RATE = 1
    client = APIClient()
    client.force_login(rep_a)

    assert [client.get(reverse("api_me")).status_code for _ in range(3)] == [200, 200, 200]
