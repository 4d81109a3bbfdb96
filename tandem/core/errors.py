"""Typed errors raised by services; views and the API translate their codes, never parse strings."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError


class ApplicationError(Exception):
    """A business rule refused the operation. `code` is stable; `message` is translated for people."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, extra: dict[str, object] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.extra = extra or {}


class PermissionDenied(ApplicationError):
    code = "permission_denied"


class NotFound(ApplicationError):
    code = "not_found"


class Conflict(ApplicationError):
    code = "conflict"


class ValidationError(DjangoValidationError):
    """Django's ValidationError that keeps `code` when given a dict of field errors.

    Django drops `code` for `ValidationError({"field": "message"}, code="...")`, so callers could not
    tell a duplicate tax id from a bad phone. Here each field message carries the code too.
    """

    def __init__(self, message: Any, code: str | None = None, params: Any = None):
        if isinstance(message, dict) and code is not None:
            message = {
                field: messages
                if isinstance(messages, DjangoValidationError)
                else [
                    item
                    if isinstance(item, DjangoValidationError)
                    else DjangoValidationError(item, code=code)
                    for item in (messages if isinstance(messages, list) else [messages])
                ]
                for field, messages in message.items()
            }
        super().__init__(message, code, params)
        if hasattr(self, "error_dict"):
            self.code = code


__all__ = ["ApplicationError", "Conflict", "NotFound", "PermissionDenied", "ValidationError"]
