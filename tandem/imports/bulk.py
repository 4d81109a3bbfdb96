"""Plain multi-row INSERTs for the import's hot path.

An import writes tens of thousands of rows a second; Django's bulk_create spends most of that time
compiling SQL per value. Here the statement is built once per table, recorded into the batch's
`Statements` with its rows, and run by the driver with `executemany` (COPY on PostgreSQL). Primary keys
are taken first (`Ids`), so new rows can be linked before they exist.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Field, Model
from django.db.models.base import ModelState
from django.db.models.fields.json import JSONField

from tandem.core.statements import Statements

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


class Ids:
    """Primary keys for an import's new rows, taken before the rows are written (so they can be linked).

    PostgreSQL takes them from the table's sequence. SQLite has none: a short write transaction reserves
    a block past the table's highest id and its `sqlite_sequence` entry, which every later INSERT (ours
    or anyone's) then goes past. `ahead` reserves that many more at a time, so that a planner running
    ahead of its writer process seldom waits for the writer's lock (unused ids are a gap, as a
    sequence's are)."""

    def __init__(self, *, ahead: int = 0) -> None:
        self.ahead = ahead
        self.free: dict[type[Model], list[int]] = {}

    def take(self, model: type[Model], count: int) -> list[int]:
        if count == 0:
            return []
        table = model._meta.db_table
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [table, count],
                )
                return [row[0] for row in cursor.fetchall()]
        free = self.free.setdefault(model, [])
        if len(free) < count:
            free[:] = self._reserve(table, count + self.ahead)
        taken, free[:] = free[:count], free[count:]
        return taken

    @staticmethod
    def _reserve(table: str, count: int) -> list[int]:
        quoted = connection.ops.quote_name(table)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT MAX(n) FROM (SELECT MAX(id) AS n FROM {quoted} "  # noqa: S608 - a model's own table
                "UNION ALL SELECT seq FROM sqlite_sequence WHERE name = %s)",
                [table],
            )
            start = (cursor.fetchone()[0] or 0) + 1
            last = start + count - 1
            cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [last, table])
            if cursor.rowcount == 0:
                cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, last])
        return list(range(start, last + 1))


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


def json_text(value: Any) -> str | None:
    """A JSON column's value as text (the INSERT casts it on PostgreSQL)."""
    return None if value is None else json.dumps(value, cls=DjangoJSONEncoder)


def insert_models(model: type[Model], objects: Sequence[Model], into: Statements) -> None:
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
    insert_rows(model, [field.column for field in fields], rows, into)


def update_models(
    model: type[Model], objects: Sequence[Model], names: Sequence[str], into: Statements
) -> None:
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
    into.executemany(f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE id = %s", rows)  # noqa: S608


def insert_rows(
    model: type[Model], columns: list[str], rows: Sequence[tuple[Any, ...]], into: Statements
) -> None:
    """INSERT ready values (already adapted; JSON as text) into `model`'s table: COPY on PostgreSQL."""
    quote = connection.ops.quote_name
    table, names = quote(model._meta.db_table), ", ".join(quote(column) for column in columns)
    if connection.vendor == "postgresql":
        into.copy(f"COPY {table} ({names}) FROM STDIN", rows)
        return
    marks = ", ".join(["%s"] * len(columns))
    into.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608


def commit_without_waiting() -> None:
    """Let PostgreSQL confirm this transaction's commit before its WAL reaches the disk.

    A batch and its progress commit together, so a crash that loses the last few hundred milliseconds
    of commits loses both, and the import resumes from the batch before: consistent, never half-written
    (PostgreSQL's asynchronous commit cannot corrupt data). Waiting for the disk was a tenth of an import.
    SQLite's WAL with `synchronous=NORMAL` already commits so."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
