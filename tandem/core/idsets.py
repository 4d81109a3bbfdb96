"""A filter by a list of primary keys read beforehand, passed as one parameter.

PostgreSQL plans `pk IN (SELECT … FROM tags WHERE tag_id = 7)` from statistics that cannot see which
rows the subquery yields: for a tag on 8,000 of a million contacts it walked the name index through
70,000 rows hoping to meet tagged ones early. Reading the few thousand ids first and filtering by
them as `id = ANY(array)` gives the planner the true count (it chooses between probing those ids and
walking the list's own index, checking each row against the hashed array), with one parameter:
thousands of `IN (%s, …)` parameters cost more to build than to run.
"""

from __future__ import annotations

from typing import Any

from django.db.models import BigAutoField, Lookup, Q


@BigAutoField.register_lookup
class AnyOf(Lookup):  # type: ignore[type-arg]
    """`pk__any_of=[…]`: PostgreSQL only (`= ANY(%s)` with an array parameter)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, list[Any]]:
        return "%s", [[int(item) for item in value]]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


def pk_in(ids: list[int]) -> Q:
    """`pk` is one of `ids` (PostgreSQL only: an array parameter)."""
    return Q(pk__any_of=ids)
