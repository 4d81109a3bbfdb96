"""Reads of exports: the rows of a list in keyset chunks, and the caller's own export jobs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from tandem.accounts.models import User
from tandem.core.pagination import paginate
from tandem.exports.entities import ExportSpec
from tandem.exports.models import ExportJob

CHUNK_SIZE = 2000


def export_chunks(*, actor: User, spec: ExportSpec, chunk_size: int | None = None) -> Iterator[list[Any]]:
    """Every row `actor` sees in the list `spec` describes, `chunk_size` at a time, in the list's order.

    Walks the list with the list pages' own keyset pagination (same selector, visibility pieces and
    sort), so each chunk costs a fixed number of queries and no more than one chunk is in memory."""
    definition = spec.definition
    size = chunk_size or CHUNK_SIZE
    queryset = definition.rows(actor, spec.filters)
    parts = definition.parts(actor, spec.filters)
    cursor: str | None = None
    while True:
        page = paginate(queryset, ordering=spec.ordering, cursor=cursor, size=size, parts=parts)
        if page.rows:
            if definition.prepare is not None:
                definition.prepare(actor, page.rows)
            yield page.rows
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def export_count(*, actor: User, spec: ExportSpec, limit: int | None = None) -> int:
    """How many rows the export holds, counting at most `limit` (each visibility piece on its own)."""
    definition = spec.definition
    queryset = definition.rows(actor, spec.filters).order_by()
    pieces = [queryset.filter(part) for part in definition.parts(actor, spec.filters)] or [queryset]
    if limit is None:
        return sum(piece.count() for piece in pieces)
    return min(limit, sum(piece.values("pk")[:limit].count() for piece in pieces))


def export_jobs_of(*, user: User, limit: int = 50) -> QuerySet[ExportJob]:
    """The user's own most recent export jobs (nobody else's)."""
    return ExportJob.objects.filter(owner=user).order_by("-created_at", "-id")[:limit]


def export_job_get_for_user(*, user: User, pk: object) -> ExportJob:
    """The job if `user` started it; 404 for anyone else, administrators included."""
    try:
        return ExportJob.objects.get(pk=int(str(pk)), owner_id=user.pk)
    except (ExportJob.DoesNotExist, ValueError, TypeError) as error:
        raise Http404 from error
