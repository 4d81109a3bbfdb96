from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from tandem.accounts.models import ApiToken


class TokenScopePermission(BasePermission):
    """A token with scope "read" may only read; sessions and "write" tokens are limited by role only."""

    message = _(
        "This API token is read-only: create a token with the “read and write” scope to make changes."
    )
    code = "read_only_token"

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        token = request.auth
        return not (isinstance(token, ApiToken) and token.scope != ApiToken.Scope.WRITE)
