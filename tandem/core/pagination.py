"""Keyset pagination for lists that must stay fast at a million rows: no OFFSET, no COUNT(*)."""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ExpressionWrapper, F, IntegerField, Model, Q, QuerySet
from django.db.models.sql.where import WhereNode

M = TypeVar("M", bound=Model)
COUNT_CAP = 1000


@dataclass
class Page(Generic[M]):
    rows: list[M]
    next_cursor: str | None
    previous_cursor: str | None
    count: int  # exact up to COUNT_CAP; -1 when not counted (pages after the first, broad searches)
    count_capped: bool


def _encode(values: list[Any], backwards: bool) -> str:
    plain = [value.isoformat() if isinstance(value, datetime.datetime) else value for value in values]
    raw = json.dumps({"v": plain, "b": backwards}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, ordering: list[str]) -> tuple[list[Any], bool] | None:
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        values, backwards = payload["v"], bool(payload["b"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    if not isinstance(values, list) or len(values) != len(ordering):
        return None
    return values, backwards


def _after(ordering: list[str], values: list[Any], backwards: bool, model: type[Model]) -> Q:
    """Rows strictly after `values` in `ordering` (before, when paging backwards)."""
    condition = Q()
    for index in range(len(ordering) - 1, -1, -1):
        name = ordering[index].lstrip("-")
        descending = ordering[index].startswith("-") != backwards
        value = values[index]
        field = model._meta.get_field(name.split("__")[0])
        if isinstance(value, str) and getattr(field, "get_internal_type", str)() == "DateTimeField":
            value = datetime.datetime.fromisoformat(value)
        step = Q(**{f"{name}__{'lt' if descending else 'gt'}": value})
        equal = Q(**{name: value})
        condition = step if index == len(ordering) - 1 else step | (equal & condition)
    return condition


def filter_nodes(queryset: QuerySet[Any]) -> Iterator[Any]:
    """Every node and expression of the WHERE clause of `queryset`."""
    nodes: list[Any] = [queryset.query.where]
    while nodes:
        node = nodes.pop()
        yield node
        nodes.extend(getattr(node, "children", ()))
        # filter(expression) is stored as Exact(expression, True).
        nodes.extend(side for side in (getattr(node, "lhs", None),) if side is not None)


def only_rows(queryset: QuerySet[M], pks: list[Any]) -> QuerySet[M]:
    """`queryset` (its joins, related rows and prefetches) narrowed to `pks` it has already yielded,
    without its filters: evaluated again they cost as much as the first time, and PostgreSQL drove
    such a page from a tag's 8,000-id array (20 ms) rather than from the 51 primary keys."""
    narrowed = queryset.all()
    narrowed.query.where = WhereNode()
    return narrowed.filter(pk__in=pks)


def _ordered_for_plan(queryset: QuerySet[Any], order: list[str]) -> list[Any]:
    """`order`, led on PostgreSQL by a constant the planner cannot see through when a filter is
    `matched_as_a_set` (an id list of `core.idsets`, a tag's GIN index) and the sort is by anything
    but the primary key.

    Finding the matches as a set and sorting the few that pass costs the same whatever the other
    filters are (11 ms for a tag's 8,000 contacts created last spring). Given the choice, PostgreSQL
    walked the name index instead, expecting the matches evenly spread: for "tag + created last
    spring" it read 69,000 rows (120 ms) for 51, and the narrower the other filters, the longer that
    walk. A primary-key order keeps the planner's own choice."""
    if order[0].lstrip("-") in ("pk", "id") or not any(
        getattr(node, "matched_as_a_set", False) for node in filter_nodes(queryset)
    ):
        return order
    return [ExpressionWrapper(F("pk") * 0, output_field=IntegerField()).asc(), *order]


def first_rows(queryset: QuerySet[M], order: list[str], limit: int, parts: Sequence[Q] = ()) -> list[M]:
    """The first `limit` rows of `queryset` in `order`; with `parts` (see `paginate`), each part's first
    primary keys are read along its own index and the rows are cut from their union."""
    if parts:
        candidates: list[Any] = []
        for part in parts:
            piece = queryset.filter(part)
            candidates += piece.order_by(*_ordered_for_plan(piece, order)).values_list("pk", flat=True)[
                :limit
            ]
        queryset = only_rows(queryset, candidates)
    return list(queryset.order_by(*_ordered_for_plan(queryset, order))[:limit])


def _countable(queryset: QuerySet[Any]) -> bool:
    """False when a filter says counting it costs too much (it has `uncountable = True`)."""
    return not any(getattr(node, "uncountable", False) for node in filter_nodes(queryset))


def count_rows(queryset: QuerySet[Any], parts: Sequence[Q] = ()) -> tuple[int, bool]:
    """How many rows `queryset` has, exact up to COUNT_CAP, and whether there are more ("1000+");
    (-1, False) when a filter is `uncountable`. `parts` as for `paginate`: each counted along its
    own index."""
    if not _countable(queryset):
        return -1, False
    pieces = [queryset.filter(part) for part in parts] or [queryset]
    total = sum(piece.order_by()[: COUNT_CAP + 1].count() for piece in pieces)
    return min(total, COUNT_CAP), total > COUNT_CAP


def paginate(
    queryset: QuerySet[M],
    *,
    ordering: list[str],
    cursor: str | None,
    size: int = 50,
    parts: Sequence[Q] = (),
    count: bool = True,
) -> Page[M]:
    """One page of `queryset` in `ordering` (its last field must be unique, e.g. `id`).

    `parts` are disjoint filters whose union is the whole queryset (e.g. "mine" and "shared with
    me"): each is walked along its own index and the page is cut from the union of their first rows,
    because an OR in one query keeps SQLite from reading rows in index order (it sorts them all).
    Unreadable cursors fall back to the first page instead of erroring: they come from URLs.
    The first page is counted (up to COUNT_CAP) unless `count` is False (the caller counts in a request
    of its own, `count_rows`) or a filter is `uncountable`.
    """
    decoded = _decode(cursor, ordering) if cursor else None
    backwards = bool(decoded and decoded[1])
    order = (
        [field[1:] if field.startswith("-") else f"-{field}" for field in ordering] if backwards else ordering
    )
    page_qs = queryset
    if decoded:
        try:
            page_qs = page_qs.filter(_after(ordering, decoded[0], backwards, queryset.model))
        except (ValueError, TypeError, OverflowError, DjangoValidationError):
            # A well-formed cursor holding nonsense (tampered, or from another sort order): first page.
            return paginate(queryset, ordering=ordering, cursor=None, size=size, parts=parts, count=count)
    rows = first_rows(page_qs, order, size + 1, parts)
    has_more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()

    def key(row: M) -> list[Any]:
        values = []
        for field in ordering:
            value: Any = row
            for part in field.lstrip("-").split("__"):
                value = getattr(value, part)
            values.append(value)
        return values

    next_cursor = previous_cursor = None
    if rows:
        if has_more or backwards:
            next_cursor = _encode(key(rows[-1]), False)
        if decoded and (not backwards or has_more):
            previous_cursor = _encode(key(rows[0]), True)
    total, capped = count_rows(queryset, parts) if count and not decoded else (-1, False)
    return Page(
        rows=rows, next_cursor=next_cursor, previous_cursor=previous_cursor, count=total, count_capped=capped
    )
