"""Full-text search behind one small interface: SQLite FTS5 or PostgreSQL full-text.

Documents are keyed by (kind, object id) packed into one integer so updates and deletes hit the
primary key. Text is folded to lower-case alphanumeric words before indexing and querying, so both
engines see the same tokens; every query word is a prefix (as-you-type).
"""

from __future__ import annotations

import re
import time
from enum import IntEnum
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Func, OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.expressions import RawSQL

from tandem.core.idsets import pk_in, read_ids
from tandem.core.pagination import filter_nodes
from tandem.core.statements import Statements

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
KIND_BITS = 4
MAX_QUERY_WORDS = 8
# PostgreSQL: a search with more matches than this is "broad" and probed per record (`matching_q`).
SELECTIVE_MATCHES = 5000


class Kind(IntEnum):
    COMPANY = 1
    CONTACT = 2


def fold(text: str) -> str:
    return " ".join(_NON_WORD.sub(" ", text.lower()).replace("_", " ").split())


def _doc_id(kind: Kind, object_id: int) -> int:
    return (object_id << KIND_BITS) | int(kind)


def _is_sqlite() -> bool:
    return connection.vendor == "sqlite"


def index_many(
    kind: Kind, documents: list[tuple[int, str]], *, new: bool = False, into: Statements | None = None
) -> None:
    """Insert or replace the searchable text of many records of one kind (`new`: none is indexed yet);
    `into`: record the statements there instead of running them now."""
    if not documents:
        return
    statements = into if into is not None else Statements()
    # A record named twice keeps its last text (one statement cannot write a row twice).
    rows = list({_doc_id(kind, object_id): fold(text) for object_id, text in documents}.items())
    if _is_sqlite():
        if not new:
            statements.executemany("DELETE FROM search_fts WHERE rowid = %s", [(row[0],) for row in rows])
        statements.executemany("INSERT INTO search_fts(rowid, body) VALUES (%s, %s)", rows)
    elif new:
        statements.copy("COPY search_document (id, body) FROM STDIN", rows)
    else:
        # One statement for the whole list (an import reindexes thousands of updated records).
        statements.execute(
            "INSERT INTO search_document(id, body) SELECT * FROM unnest(%s::bigint[], %s::text[]) "
            "ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body",
            [[row[0] for row in rows], [row[1] for row in rows]],
        )
    if into is None:
        statements.run()


def index_one(kind: Kind, object_id: int, text: str) -> None:
    index_many(kind, [(object_id, text)])


def remove(kind: Kind, object_id: int) -> None:
    remove_many(kind, [object_id])


def remove_many(kind: Kind, object_ids: list[int]) -> None:
    table, key = ("search_fts", "rowid") if _is_sqlite() else ("search_document", "id")
    with connection.cursor() as cursor:
        cursor.executemany(
            f"DELETE FROM {table} WHERE {key} = %s",  # noqa: S608
            [(_doc_id(kind, object_id),) for object_id in object_ids],
        )


def query_words(query: str) -> list[str]:
    return fold(query).split()[:MAX_QUERY_WORDS]


def _kind_sql(kind: Kind) -> str:
    """PostgreSQL: the documents of one kind, written as the predicate of that kind's partial index
    (a literal, so that a prepared, generic plan can still use the index)."""
    return f"(id & {(1 << KIND_BITS) - 1}) = {int(kind)}"


def _tsquery(words: list[str]) -> str:
    return " & ".join(f"{word}:*" for word in words)


def matching_ids(kind: Kind, words: list[str]) -> RawSQL | None:
    """A subquery of object ids of `kind` whose text has every word as a prefix; None for no words."""
    words = [word for word in words if word]
    if not words:
        return None
    if _is_sqlite():
        match = " ".join(f'"{word}"*' for word in words)
        return RawSQL(
            "SELECT rowid >> %s FROM search_fts WHERE search_fts MATCH %s AND (rowid & %s) = %s",
            [KIND_BITS, match, (1 << KIND_BITS) - 1, int(kind)],
        )
    # The only formatted value is the kind, an integer enum; the words are parameters.
    return RawSQL(  # noqa: S611
        f"SELECT id >> %s FROM search_document WHERE tsv @@ to_tsquery('simple', %s) AND {_kind_sql(kind)}",  # noqa: S608
        [KIND_BITS, _tsquery(words)],
    )


def matching_q(kind: Kind, words: list[str]) -> Q | None:
    """A filter on records of `kind` (by primary key): every word is a prefix of their text.

    SQLite: an IN over the FTS5 matches, which FTS5 lists in milliseconds even for a prefix that
    75,000 documents share (a per-record FTS5 probe costs far more).

    PostgreSQL: one query first reads the ids of up to SELECTIVE_MATCHES + 1 matches (one GIN
    bitmap, at most that many table rows). Within the limit, the records are filtered by those ids:
    a few thousand primary-key probes, whatever the planner guesses of the words (it has no
    statistics on a phone prefix and guessed 150 rows for 33,000 "0888…" matches). Beyond it the
    words are broad ("иван", "0888"): the filter becomes a probe of each record's document by primary
    key, so the list walks its own index (newest first, by name, a rep's own rows) and stops at the
    page instead of reading every match.
    """
    words = [word for word in words if word]
    if not words:
        return None
    if _is_sqlite():
        return Q(pk__in=matching_ids(kind, words))
    tsquery = _tsquery(words)
    if _known_broad(kind, tsquery):
        return _probe(kind, tsquery)
    ids = read_ids(
        "SELECT id >> %s FROM search_document "  # noqa: S608 (the kind is an integer enum)
        f"WHERE tsv @@ to_tsquery('simple', %s) AND {_kind_sql(kind)}",
        [KIND_BITS, tsquery],
        SELECTIVE_MATCHES,
    )
    if ids is not None:
        return pk_in(ids)
    _broad_until[(kind, tsquery)] = time.monotonic() + BROAD_MEMORY_SECONDS
    return _probe(kind, tsquery)


# Words found broad, per process, until a monotonic time: a broad search skips the id query (25 ms for
# "иван"). Either plan gives the same rows, so a stale entry costs speed, never correctness.
BROAD_MEMORY_SECONDS = 600.0
_broad_until: dict[tuple[Kind, str], float] = {}


def _known_broad(kind: Kind, tsquery: str) -> bool:
    now = time.monotonic()
    if len(_broad_until) > 1000:
        for key in [key for key, until in _broad_until.items() if until <= now]:
            del _broad_until[key]
        if len(_broad_until) > 1000:
            _broad_until.clear()
    return _broad_until.get((kind, tsquery), 0.0) > now


def forget_broad_searches() -> None:
    """Drop what this process learnt about broad words (tests that change SELECTIVE_MATCHES)."""
    _broad_until.clear()


def _probe(kind: Kind, tsquery: str) -> Q:
    from tandem.search.models import SearchDocument

    # A scalar subquery per record, not EXISTS: PostgreSQL turns an EXISTS into a join and, with no
    # statistics on a phone prefix, hashes all 33,000 matches of "0888" (400 ms) instead of probing
    # the 1,500 newest records.
    vector = SearchDocument.objects.filter(id=OuterRef("pk") * (1 << KIND_BITS) + int(kind)).values(
        vector=RawSQL("tsv", [], output_field=TextField())
    )
    query = RawSQL("to_tsquery('simple', %s)", [tsquery], output_field=TextField())
    return Q(BroadMatch(Subquery(vector), query))


def probes_per_record(queryset: QuerySet[Any]) -> bool:
    """Whether a broad search's per-record probe filters `queryset`: such a list can be paged by
    visibility parts (`paginate`), each walking its own index, while a matched set would be matched
    again for every part."""
    return any(isinstance(node, BroadMatch) for node in filter_nodes(queryset))


class BroadMatch(Func):
    """`document @@ query` probed per record for a broad search. Counting its rows would walk every
    match (tens of thousands), so `core.pagination` leaves such lists uncounted, as it does pages
    after the first."""

    arg_joiner = " @@ "
    template = "(%(expressions)s)"
    output_field = BooleanField()
    uncountable = True
