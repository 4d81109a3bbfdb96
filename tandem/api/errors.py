"""One JSON error format for the whole API: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tandem.core.errors import ApplicationError, NotFound, PermissionDenied


def _fields(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {
            str(key): [str(item) for item in (value if isinstance(value, list) else [value])]
            for key, value in detail.items()
        }
    return {}


def error_response(code: str, message: str, http_status: int, fields: dict | None = None) -> Response:
    return Response({"error": {"code": code, "message": message, "fields": fields or {}}}, status=http_status)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        fields = _fields(exc.message_dict) if hasattr(exc, "error_dict") else {}
        message = "; ".join(exc.messages)
        code = getattr(exc, "code", None) or "invalid"
        return error_response(str(code), message, status.HTTP_400_BAD_REQUEST, fields)
    if isinstance(exc, PermissionDenied):
        return error_response(exc.code, exc.message, status.HTTP_403_FORBIDDEN)
    if isinstance(exc, NotFound):
        return error_response(exc.code, exc.message, status.HTTP_404_NOT_FOUND)
    if isinstance(exc, ApplicationError):
        return error_response(exc.code, exc.message, status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _fields(exc.detail)
        message = "; ".join(f"{key}: {' '.join(value)}" for key, value in fields.items()) or str(exc.detail)
        response.data = {"error": {"code": "invalid", "message": message, "fields": fields}}
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        response.data = {"error": {"code": code, "message": str(exc.detail), "fields": {}}}
    return response
