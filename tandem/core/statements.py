"""SQL recorded now and run later, in order, on whichever connection runs it.

An import plans a batch in one process and may write it in another (so that planning the next batch
and writing this one use both cores): the batch is recorded as plain statements and values, which
pickle, and run in one transaction by the writer. Code that writes through a `Statements` works the
same whether it runs at once (`run()` here) or in the writer process.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection


class Statements:
    def __init__(self) -> None:
        self.items: list[tuple[str, str, Any]] = []  # (how, sql, parameters or rows)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.items.append(("one", sql, params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.items.append(("many", sql, rows))

    def copy(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """PostgreSQL: `COPY … FROM STDIN` with these rows (one round trip)."""
        if rows:
            self.items.append(("copy", sql, rows))

    def __len__(self) -> int:
        return len(self.items)

    def run(self) -> None:
        """Run every statement on this process's connection (inside the caller's transaction)."""
        with connection.cursor() as cursor:
            for how, sql, data in self.items:
                if how == "one":
                    cursor.execute(sql, data)
                elif how == "many":
                    cursor.executemany(sql, data)
                else:
                    with cursor.cursor.copy(sql) as copy:
                        for row in data:
                            copy.write_row(row)
