"""Plain multi-row INSERTs for the import's hot path.

An import writes tens of thousands of rows a second; Django's bulk_create spends most of that time
compiling SQL per value. Here the statement is built once per table and the driver runs it with
`executemany`. Primary keys are taken first (a PostgreSQL sequence, or past SQLite's highest id while
the import's transaction holds the database's write lock), so new rows can be linked before they exist.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Field, Model
from django.db.models.fields.json import JSONField


def allocate_ids(model: type[Model], count: int) -> list[int]:
    """`count` fresh primary keys for `model`; call inside the transaction that inserts them."""
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [row[0] for row in cursor.fetchall()]
        quoted = connection.ops.quote_name(table)
        cursor.execute(
            f"SELECT MAX(n) FROM (SELECT MAX(id) AS n FROM {quoted} "  # noqa: S608 - a model's own table
            "UNION ALL SELECT seq FROM sqlite_sequence WHERE name = %s)",
            [table],
        )
        start = (cursor.fetchone()[0] or 0) + 1
    return list(range(start, start + count))


def _adapter(field: Field) -> Callable[[Any], Any] | None:
    """How a value of `field` becomes a driver parameter; None when it already is one."""
    if isinstance(field, JSONField):
        return json_text
    internal = field.get_internal_type()
    if internal == "DateTimeField":
        return connection.ops.adapt_datetimefield_value
    if internal == "DateField":
        return connection.ops.adapt_datefield_value
    return None


def copy_rows(target: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """PostgreSQL: stream rows with COPY (one round trip; JSON columns are parsed from their text)."""
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def json_text(value: Any) -> str | None:
    """A JSON column's value as text (the INSERT casts it on PostgreSQL)."""
    return None if value is None else json.dumps(value, cls=DjangoJSONEncoder)


def insert_models(model: type[Model], objects: Sequence[Model]) -> None:
    """INSERT model instances (primary keys already set) with every concrete column."""
    if not objects:
        return
    fields = model._meta.concrete_fields
    values = operator.attrgetter(*[field.attname for field in fields])
    adapters = [(index, adapt) for index, field in enumerate(fields) if (adapt := _adapter(field))]
    rows = []
    for obj in objects:
        row = list(values(obj))
        for index, adapt in adapters:
            row[index] = adapt(row[index])
        rows.append(tuple(row))
    insert_rows(model, [field.column for field in fields], rows)


def insert_rows(model: type[Model], columns: list[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """INSERT ready values (already adapted; JSON as text) into `model`'s table: COPY on PostgreSQL."""
    if not rows:
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    if connection.vendor == "postgresql":
        copy_rows(f"{quote(model._meta.db_table)} ({names})", rows)
        return
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({marks})",  # noqa: S608
            rows,
        )
