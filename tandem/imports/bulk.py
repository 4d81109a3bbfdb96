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
from django.db.models.base import ModelState
from django.db.models.fields.json import JSONField

_TEMPLATES: dict[type[Model], tuple[dict[str, Any], list[tuple[str, Callable[[], Any]]]]] = {}


def blank(model: type[Model], **values: Any) -> Any:
    """A new, unsaved instance without Model.__init__ (its defaults and signals cost more than an import
    row): every column at its default — callable defaults other than empty containers are left None for
    the caller (the import sets its timestamps itself)."""
    template = _TEMPLATES.get(model)
    if template is None:
        static: dict[str, Any] = {}
        fresh: list[tuple[str, Callable[[], Any]]] = []
        for field in model._meta.concrete_fields:
            default = field.default if field.has_default() else None
            if default in (dict, list):
                fresh.append((field.attname, default))
            elif callable(default) or field.primary_key:
                static[field.attname] = None
            elif default is not None:
                static[field.attname] = default
            else:
                static[field.attname] = None if field.null or not field.empty_strings_allowed else ""
        template = _TEMPLATES[model] = (static, fresh)
    obj = model.__new__(model)
    obj.__dict__.update(template[0])
    for name, make in template[1]:
        obj.__dict__[name] = make()
    obj._state = ModelState()
    for name, value in values.items():
        assign(obj, name, value)
    return obj


def assign(obj: Model, name: str, value: Any) -> None:
    """`setattr(obj, name, value)`, a related record set without its descriptor's checks (a tenth of an
    import's planning): the import only ever assigns saved records of the field's own model."""
    if isinstance(value, Model):
        obj.__dict__[f"{name}_id"] = value.pk
        obj._state.fields_cache[name] = value
    else:
        setattr(obj, name, value)


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
    last: dict[int, tuple[Any, Any]] = {}  # per column: the last value and its adapted form
    for obj in objects:
        row = list(values(obj))
        for index, adapt in adapters:
            value = row[index]
            if value is None:
                continue
            seen = last.get(index)
            if seen is not None and seen[0] is value:  # the batch's one "now", for instance
                row[index] = seen[1]
            else:
                row[index] = adapt(value)
                last[index] = (value, row[index])
        rows.append(tuple(row))
    insert_rows(model, [field.column for field in fields], rows)


def update_models(model: type[Model], objects: Sequence[Model], names: Sequence[str]) -> None:
    """UPDATE the named fields of model instances, one statement run for all of them (Django's
    bulk_update builds a CASE expression per object and field, slower than the update itself)."""
    if not objects:
        return
    fields = [field for field in model._meta.concrete_fields if field.name in names]
    adapters = [_adapter(field) for field in fields]
    rows = []
    for obj in objects:
        values = [getattr(obj, field.attname) for field in fields]
        row = [
            adapt(value) if adapt and value is not None else value
            for adapt, value in zip(adapters, values, strict=True)
        ]
        rows.append((*row, obj.pk))
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE id = %s",  # noqa: S608
            rows,
        )


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


def commit_without_waiting() -> None:
    """Let PostgreSQL confirm this transaction's commit before its WAL reaches the disk.

    A batch and its progress commit together, so a crash that loses the last few hundred milliseconds
    of commits loses both, and the import resumes from the batch before: consistent, never half-written
    (PostgreSQL's asynchronous commit cannot corrupt data). Waiting for the disk was a tenth of an import.
    SQLite's WAL with `synchronous=NORMAL` already commits so."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
