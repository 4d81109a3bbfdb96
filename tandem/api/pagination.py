"""Keyset ("cursor") pagination for API lists: no OFFSET and no COUNT(*), fast at any depth.

The order is `-id` unless the view offers more (`?ordering=name`); every ordering ends with the
primary key so the position of a row is exact. Cursors are signed, so a tampered or foreign cursor
is refused (400 `invalid_cursor`) instead of reaching the database.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core import signing
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from tandem.api.errors import ApiError
from tandem.core.pagination import first_rows

DEFAULT_ORDERING = "-id"


def view_orderings(view: Any) -> dict[str, list[str]]:
    """The orderings a list view offers: `-id` plus the view's `ordering_choices`."""
    return {DEFAULT_ORDERING: ["-id"], **getattr(view, "ordering_choices", {})}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.datetime | datetime.date) else value


def _field_value(model: type[Model], name: str, value: Any) -> Any:
    internal_type = model._meta.get_field(name).get_internal_type()  # type: ignore[union-attr]
    if isinstance(value, str) and internal_type == "DateTimeField":
        return datetime.datetime.fromisoformat(value)
    return value


def _after(model: type[Model], ordering: list[str], values: list[Any], backwards: bool) -> Q:
    """Rows strictly after `values` in `ordering` (strictly before, when paging backwards)."""
    condition = Q()
    for index in range(len(ordering) - 1, -1, -1):
        name = ordering[index].lstrip("-")
        descending = ordering[index].startswith("-") != backwards
        value = _field_value(model, name, values[index])
        step = Q(**{f"{name}__{'lt' if descending else 'gt'}": value})
        condition = step if index == len(ordering) - 1 else step | (Q(**{name: value}) & condition)
    return condition


class IdCursorPagination(BasePagination):
    """`?cursor=` from the previous page's `next`/`previous`, `?page_size=` (1–200), `?ordering=`."""

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    ordering_query_param = "ordering"
    page_size = 50
    max_page_size = 200
    salt = "tandem.api.cursor"

    request: Request
    next_cursor: str | None
    previous_cursor: str | None

    def _page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            message = _("Enter a whole number from 1 to %(max)s.") % {"max": self.max_page_size}
            raise ApiError("invalid_filter", message, fields={self.page_size_query_param: [message]})
        return min(size, self.max_page_size)

    def _ordering(self, request: Request, view: Any) -> tuple[str, list[str]]:
        choices = view_orderings(view)
        key = request.query_params.get(self.ordering_query_param, DEFAULT_ORDERING)
        if key not in choices:
            message = _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)}
            raise ApiError("invalid_filter", message, fields={self.ordering_query_param: [message]})
        return key, choices[key]

    def _decode(self, request: Request, scope: str, length: int) -> tuple[list[Any], bool] | None:
        cursor = request.query_params.get(self.cursor_query_param)
        if not cursor:
            return None
        try:
            payload = signing.loads(cursor, salt=self.salt)
            if payload["s"] != scope or len(payload["v"]) != length:
                raise ValueError(scope)
            return list(payload["v"]), bool(payload["b"])
        except (signing.BadSignature, ValueError, KeyError, TypeError) as error:
            message = _("This cursor is not valid for this list; start again from the first page.")
            raise ApiError("invalid_cursor", message, fields={self.cursor_query_param: [message]}) from error

    def _encode(self, scope: str, row: Model, ordering: list[str], backwards: bool) -> str:
        values = [_plain(getattr(row, name.lstrip("-"))) for name in ordering]
        return signing.dumps({"s": scope, "v": values, "b": backwards}, salt=self.salt, compress=True)

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: Any = None) -> list[Any]:
        self.request = request
        size = self._page_size(request)
        key, ordering = self._ordering(request, view)
        scope = f"{queryset.model._meta.label_lower}:{key}"
        decoded = self._decode(request, scope, len(ordering))
        backwards = bool(decoded and decoded[1])
        order = (
            [name[1:] if name.startswith("-") else f"-{name}" for name in ordering] if backwards else ordering
        )
        if decoded:
            queryset = queryset.filter(_after(queryset.model, ordering, decoded[0], backwards))
        parts = view.scope_parts() if view is not None and hasattr(view, "scope_parts") else []
        # "Mine" and "shared with me" (or "written by me") each walk their own index (see `paginate`).
        rows = first_rows(queryset, order, size + 1, parts)
        has_more = len(rows) > size
        rows = rows[:size]
        if backwards:
            rows.reverse()
        self.next_cursor = self.previous_cursor = None
        if rows:
            if has_more or backwards:
                self.next_cursor = self._encode(scope, rows[-1], ordering, backwards=False)
            if decoded and (has_more or not backwards):
                self.previous_cursor = self._encode(scope, rows[0], ordering, backwards=True)
        return rows

    def _link(self, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "next": self._link(self.next_cursor),
                "previous": self._link(self.previous_cursor),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {**link, "description": "The next page, or null on the last page."},
                "previous": {**link, "description": "The previous page, or null on the first page."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque position from a previous page's `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, 1–{self.max_page_size} (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
            {
                "name": self.ordering_query_param,
                "required": False,
                "in": "query",
                "description": "Sort order (default `-id`: newest first); `created` is the creation time.",
                "schema": {"type": "string", "enum": list(view_orderings(view)), "default": DEFAULT_ORDERING},
            },
        ]
