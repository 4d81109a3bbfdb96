"""A filter by a list of primary keys read beforehand (a selective search's matches), passed as one
parameter; and `one_of`, a column equal to any of many values (an import's keys).

PostgreSQL plans `pk IN (SELECT …)` from statistics that cannot see which rows the subquery yields:
for a tag on 8,000 of a million contacts it walked the name index through 70,000 rows hoping to meet
tagged ones early (tags have since their own GIN index, contacts/0008). Reading the few thousand
ids first and filtering by them as `id = ANY(array)` gives the planner the true count (it chooses
between probing those ids and walking the list's own index, checking each row against the hashed
array), with one parameter: thousands of `IN (%s, …)` parameters cost more to build than to run.

The ids travel as PostgreSQL's array text (`{1,2,3}`), read that way with `string_agg` and passed on
unparsed: as Python lists, 8,000 ids cost more to load, walk (Django resolves every item of a list
value) and dump back than the query that uses them.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from typing import Any

from django.db import connection
from django.db.models import Field, ForeignObject, Lookup, Q


class ArrayParam:
    """Integers (primary keys, mostly) or strings as one PostgreSQL array parameter: its text, the
    number of items and the array type."""

    __slots__ = ("array_type", "count", "text")

    def __init__(self, text: str, count: int, array_type: str = "bigint[]"):
        self.text = text
        self.count = count
        self.array_type = array_type

    @classmethod
    def of(cls, ids: Iterable[int]) -> ArrayParam:
        items = [str(int(item)) for item in ids]
        return cls("{" + ",".join(items) + "}", len(items))

    @classmethod
    def of_text(cls, values: Iterable[str]) -> ArrayParam:
        items = ['"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values]
        return cls("{" + ",".join(items) + "}", len(items), "text[]")

    def __len__(self) -> int:
        return self.count


class AnyOf(Lookup):  # type: ignore[type-arg]
    """`field__any_of=values`, with the values as one parameter: on PostgreSQL `= ANY(%s::bigint[])`
    (or `text[]`) given an ArrayParam; on SQLite `IN (SELECT value FROM json_each(%s))` given a list."""

    lookup_name = "any_of"
    prepare_rhs = False
    matched_as_a_set = True  # see `core.pagination._ordered_for_plan`

    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, list[Any]]:
        if connection.vendor == "sqlite":
            return "%s", [json.dumps(list(value))]
        ids = value if isinstance(value, ArrayParam) else ArrayParam.of(value)
        return f"%s::{ids.array_type}", [ids.text]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        if connection.vendor == "sqlite":
            return f"{lhs} IN (SELECT value FROM json_each({rhs}))", [*lhs_params, *rhs_params]  # noqa: S608
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # foreign keys look their lookups up apart from other fields


def pk_in(ids: ArrayParam) -> Q:
    """`pk` is one of `ids` (PostgreSQL only: an array parameter)."""
    return Q(pk__any_of=ids)


def one_of(field: str, values: Collection[Any]) -> Q:
    """`field` is one of `values` (integers or strings) as one parameter (a PostgreSQL array, a JSON
    list on SQLite), which costs a thousand-value batch lookup of an import a fraction of building
    `IN (%s, …)` (Django prepares every value apart)."""
    if not values:
        return Q(**{f"{field}__in": values})
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__any_of": list(values)})
    if all(isinstance(value, int) for value in values):
        return Q(**{f"{field}__any_of": ArrayParam.of(values)})
    return Q(**{f"{field}__any_of": ArrayParam.of_text(values)})


def read_ids(sql: str, params: Iterable[Any], limit: int) -> ArrayParam | None:
    """The ids in the one column of `sql` if there are at most `limit` of them, else None (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), '{' || coalesce(string_agg(id::text, ','), '') || '}' "  # noqa: S608
            f"FROM ({sql} LIMIT %s) AS ids(id)",
            [*params, limit + 1],
        )
        count, text = cursor.fetchone()
    return ArrayParam(text, count) if count <= limit else None
