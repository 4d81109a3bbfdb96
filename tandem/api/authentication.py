from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from tandem.accounts.models import ApiToken
from tandem.accounts.services import token_authenticate, token_find


class TokenRefused(exceptions.AuthenticationFailed):
    """401 with a code that says exactly why the token is refused (it is its holder who asks)."""

    def __init__(self, message: str, code: str):
        super().__init__(detail=message, code=code)


def _refusal(secret: str) -> TokenRefused:
    token: ApiToken | None = token_find(secret)
    if token is None:
        return TokenRefused(_("There is no such token."), "token_invalid")
    if token.revoked_at is not None:
        return TokenRefused(_("This token has been revoked."), "token_revoked")
    if token.is_expired:
        return TokenRefused(_("This token has expired."), "token_expired")
    return TokenRefused(_("The token's user has been deactivated."), "user_inactive")


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>`; tokens are looked up by their SHA-256 digest.

    Refusals are 401 with `token_invalid`, `token_revoked`, `token_expired` or `user_inactive`;
    a header that is not a bearer token is `authentication_failed`.
    """

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0] != self.keyword:
            raise exceptions.AuthenticationFailed(_("Use the header “Authorization: Bearer <token>”."))
        token = token_authenticate(parts[1])
        if token is None:
            raise _refusal(parts[1])
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer"}
