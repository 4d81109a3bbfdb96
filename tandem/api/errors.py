"""One JSON error format for the whole API: {"error": {"code", "message", "fields"}}.

`code` is stable and meant for programs; `message` is for people (translated); `fields` maps an input
name (dotted for nested items: "phones.1.number") to its messages, and is `{}` when no field is at fault.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from tandem.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied

logger = logging.getLogger(__name__)

ERROR_FORMAT_DESCRIPTION = """
Every error response has the same JSON body:

```
{"error": {"code": "duplicate_tax_id", "message": "Company Acme already has this tax id.",
           "fields": {"tax_id": ["Company Acme already has this tax id."]}}}
```

* `code` is stable and meant for programs; `message` is for people and may be translated;
  `fields` maps an input name to its messages (nested items are dotted: `phones.1.number`), `{}` when
  no single field is at fault.
* 400: `invalid` (the body does not have the expected shape), `unknown_field` (a key the endpoint
  does not accept), `parse_error` (malformed JSON), `unknown_filter` / `invalid_filter` /
  `invalid_cursor` (query parameters), or a business rule's code such as `invalid_phone`,
  `invalid_email`, `duplicate_tax_id`, `invalid_company`, `invalid_messenger`, `name_required`.
* 400 on a deal move: `missing_fields` (`fields` lists exactly what the target stage still needs;
  send them in the move's `fields` or edit the deal first), `stage_other_pipeline`, `stage_archived`,
  `lost_reason_required`, `stage_change_not_allowed` (an edit tried to change the stage: use the
  move endpoint).
* 409: `stale` (the deal was moved by someone else since you loaded it; `current_stage` holds the
  id of the stage it is in now).
* 401 (with `WWW-Authenticate: Bearer`): `not_authenticated` (no credentials), `authentication_failed`
  (the header is not `Bearer <token>`), `token_invalid` (no such token), `token_revoked`,
  `token_expired`, `user_inactive` (the token's user was deactivated).
* 403: `permission_denied`, `owner_not_allowed`, `read_only_token` (a token with scope "read" tried to write).
* 404: `not_found`; a record you may not see is reported exactly like one that does not exist.
* 405 `method_not_allowed`, 413 `request_too_large`, 415 `unsupported_media_type`, 500 `server_error`.
* 429 `throttled`: the token made more requests this minute than the server allows
  (`TANDEM_API_RATE`, 600 by default); the `Retry-After` header says how many seconds to wait.
"""


class ApiError(exceptions.APIException):
    """A refusal raised by the API layer itself (bad query parameters, oversized bodies…)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        http_status: int = status.HTTP_400_BAD_REQUEST,
        fields: dict[str, list[str]] | None = None,
    ):
        super().__init__(detail=message, code=code)
        self.status_code = http_status
        self.error_code = code
        self.fields = fields or {}


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "request_too_large"


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF/Django error details as {"field": [messages]}, nested fields dotted ("phones.0.number")."""
    fields: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key in (NON_FIELD_ERRORS, api_settings.NON_FIELD_ERRORS_KEY) and prefix:
                fields.update(
                    _flatten(value, prefix)
                )  # "phones: Expected a list", not "phones.non_field_errors"
            else:
                fields.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        for index, item in enumerate(detail):
            if item:
                fields.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    elif isinstance(detail, list):
        fields[prefix or "non_field_errors"] = [str(item) for item in detail]
    else:
        fields[prefix or "non_field_errors"] = [str(detail)]
    return fields


def _codes(codes: Any) -> set[str]:
    if isinstance(codes, dict):
        return set().union(*(_codes(value) for value in codes.values())) if codes else set()
    if isinstance(codes, list):
        return set().union(*(_codes(value) for value in codes)) if codes else set()
    return {str(codes)}


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def error_response(code: str, message: str, http_status: int, fields: dict | None = None) -> Response:
    return Response(error_body(code, message, fields), status=http_status)


def _application_error(exc: ApplicationError, http_status: int) -> Response:
    """A service's refusal; its `extra` facts join the error (`fields` as field names to fill in)."""
    extra = dict(exc.extra)
    names = extra.pop("fields", None)
    fields = {str(name): [exc.message] for name in names} if isinstance(names, list) else {}
    body = error_body(exc.code, exc.message, fields)
    body["error"].update(extra)
    return Response(body, status=http_status)


def _message(fields: dict[str, list[str]]) -> str:
    return "; ".join(f"{key}: {' '.join(value)}" for key, value in fields.items())


def _django_validation_error(exc: DjangoValidationError) -> Response:
    fields = _flatten(exc.message_dict) if hasattr(exc, "error_dict") else {}
    code = getattr(exc, "code", None) or "invalid"
    return error_response(str(code), "; ".join(exc.messages), status.HTTP_400_BAD_REQUEST, fields)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every error, ours or the framework's, in the one format."""
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    if isinstance(exc, DjangoValidationError):
        return _django_validation_error(exc)
    if isinstance(exc, PermissionDenied):
        return _application_error(exc, status.HTTP_403_FORBIDDEN)
    if isinstance(exc, NotFound):
        return _application_error(exc, status.HTTP_404_NOT_FOUND)
    if isinstance(exc, Conflict):
        return _application_error(exc, status.HTTP_409_CONFLICT)
    if isinstance(exc, ApplicationError):
        return _application_error(exc, status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        if settings.DEBUG:
            return None  # let Django's debug page show the traceback
        logger.exception("Unhandled error in the API", exc_info=exc)
        return error_response("server_error", _("Something went wrong on our side."), 500)
    if isinstance(exc, ApiError):
        response.data = error_body(exc.error_code, str(exc.detail), exc.fields)
    elif isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        code = "unknown_field" if "unknown_field" in _codes(exc.get_codes()) else "invalid"
        response.data = error_body(code, _message(fields) or _("Invalid input."), fields)
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        response.data = error_body(code, str(exc.detail))
    return response


@csrf_exempt  # it changes nothing; without this an unknown path got CSRF's HTML 403 on POST/DELETE
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown paths under /api/v1/ answer in the API's format instead of an HTML page."""
    message = _("There is no such endpoint. Paths end with a slash, e.g. /api/v1/companies/.")
    return JsonResponse(error_body("not_found", message), status=404)
