"""API test helpers: a client authenticated with a real bearer token of a given scope."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tandem.accounts.models import ApiToken, User
from tandem.accounts.services import token_create


@pytest.fixture
def api(db):
    """api(user) → an APIClient sending `Authorization: Bearer <secret>`; api() → anonymous."""

    def make(user: User | None = None, scope: str = ApiToken.Scope.WRITE) -> APIClient:
        client = APIClient()
        if user is not None:
            _token, secret = token_create(user=user, name="test", scope=scope)
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return make
