"""Typed errors raised by services; views and the API translate their codes, never parse strings."""

from __future__ import annotations

from django.core.exceptions import ValidationError


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


__all__ = ["ApplicationError", "Conflict", "NotFound", "PermissionDenied", "ValidationError"]
