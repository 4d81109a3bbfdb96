"""A filter by a list of primary keys read beforehand, passed as one parameter.

PostgreSQL plans `pk IN (SELECT … FROM tags WHERE tag_id = 7)` from statistics that cannot see which
rows the subquery yields: for a tag on 8,000 of a million contacts it walked the name index through
70,000 rows hoping to meet tagged ones early. Reading the few thousand ids first and filtering by
them turns the plan into that many primary-key probes. One array parameter instead of `IN (%s, …)`:
thousands of parameters cost more to build than to run.
"""

from __future__ import annotations

from django.db.models import Q
from django.db.models.expressions import RawSQL


def pk_in(ids: list[int]) -> Q:
    """`pk` is one of `ids` (PostgreSQL only: an array parameter)."""
    return Q(pk__in=RawSQL("SELECT unnest(%s::bigint[])", [ids]))
