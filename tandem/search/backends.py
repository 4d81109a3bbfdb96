"""Full-text search behind one small interface: SQLite FTS5 or PostgreSQL full-text.

Documents are keyed by (kind, object id) packed into one integer so updates and deletes hit the
primary key. Text is folded to lower-case alphanumeric words before indexing and querying, so both
engines see the same tokens; every query word is a prefix (as-you-type).
"""

from __future__ import annotations

import re
from enum import IntEnum

from django.db import connection
from django.db.models.expressions import RawSQL

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
KIND_BITS = 4
MAX_QUERY_WORDS = 8


class Kind(IntEnum):
    COMPANY = 1
    CONTACT = 2


def fold(text: str) -> str:
    return " ".join(_NON_WORD.sub(" ", text.lower()).replace("_", " ").split())


def _doc_id(kind: Kind, object_id: int) -> int:
    return (object_id << KIND_BITS) | int(kind)


def _is_sqlite() -> bool:
    return connection.vendor == "sqlite"


def index_many(kind: Kind, documents: list[tuple[int, str]], *, new: bool = False) -> None:
    """Insert or replace the searchable text of many records of one kind (`new`: none is indexed yet)."""
    if not documents:
        return
    rows = [(_doc_id(kind, object_id), fold(text)) for object_id, text in documents]
    with connection.cursor() as cursor:
        if _is_sqlite():
            if not new:
                cursor.executemany("DELETE FROM search_fts WHERE rowid = %s", [(row[0],) for row in rows])
            cursor.executemany("INSERT INTO search_fts(rowid, body) VALUES (%s, %s)", rows)
        elif new:
            with cursor.cursor.copy("COPY search_document (id, body) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(
                "INSERT INTO search_document(id, body) VALUES (%s, %s) "
                "ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body",
                rows,
            )


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
    tsquery = " & ".join(f"{word}:*" for word in words)
    return RawSQL(
        "SELECT id >> %s FROM search_document "
        "WHERE to_tsvector('simple', body) @@ to_tsquery('simple', %s) AND (id & %s) = %s",
        [KIND_BITS, tsquery, (1 << KIND_BITS) - 1, int(kind)],
    )
