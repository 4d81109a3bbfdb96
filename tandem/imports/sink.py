"""Where an import's planned batches are written: here, or in a writer process of their own.

A batch arrives as `Statements` (its records, links, history, undo log, issues and the job's progress)
and is written in one transaction. For big files a writer process does it with its own connection
while this process plans the next batch, so that planning (Python) and writing (the database) use
both cores. At most `depth` batches are in flight: `write` first waits for the oldest to be committed, so the
planner knows what the unconfirmed batches hold from memory (`imports.inflight`). A batch
the writer fails to write raises here, before anything after it is sent; the job's progress in the
database stays at the last batch committed, where a resumed import continues.
"""

from __future__ import annotations

import pickle
import sys
from typing import Protocol

from django.db import connection, transaction

from tandem.core.statements import Statements
from tandem.imports.bulk import commit_without_waiting
from tandem.imports.children import child_setup, start_child, stop_child


class WriterFailed(RuntimeError):
    """The writer process could not write a batch (its message says why)."""


class Sink(Protocol):
    depth: int  # how many batches handed over may still be unwritten while the next one is planned

    def write(self, statements: Statements) -> None: ...

    def finish(self) -> None:
        """Wait until everything written is committed."""

    def close(self) -> None:
        """Stop at once (after an error): an unconfirmed batch may or may not be committed."""


def write_now(statements: Statements) -> None:
    with transaction.atomic():
        commit_without_waiting()
        statements.run()


class HereSink:
    """Each batch written in this process before the next one is planned."""

    depth = 0

    def write(self, statements: Statements) -> None:
        write_now(statements)

    def finish(self) -> None:
        pass

    def close(self) -> None:
        pass


class WriterProcess:
    """Each batch written by `python -m tandem.imports.sink`, one batch behind the planner (two behind
    measured no faster on PostgreSQL and slower on SQLite: the three processes share two cores)."""

    depth = 1

    def __init__(self) -> None:
        self.child = start_child("tandem.imports.sink")
        self.pending = 0
        self._send(connection.settings_dict["NAME"])  # the planner's database (a test's, say)

    def write(self, statements: Statements) -> None:
        while self.pending >= self.depth:
            self._confirm()
        self._send(statements.items)
        self.pending += 1

    def finish(self) -> None:
        while self.pending:
            self._confirm()
        assert self.child.stdin is not None
        self.child.stdin.close()  # the writer's cue to exit
        self.child.wait(timeout=60)
        stop_child(self.child)

    def close(self) -> None:
        stop_child(self.child)

    def _send(self, item: object) -> None:
        assert self.child.stdin is not None
        try:
            pickle.dump(item, self.child.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.child.stdin.flush()
        except BrokenPipeError:
            while self.pending:
                self._confirm()  # the writer has gone: say why
            raise WriterFailed("the batch writer stopped") from None

    def _confirm(self) -> None:
        assert self.child.stdout is not None
        try:
            reply = pickle.load(self.child.stdout)  # noqa: S301 - our own child process
        except EOFError:
            raise WriterFailed("the batch writer stopped without a word") from None
        self.pending -= 1
        if reply is not True:
            raise WriterFailed(str(reply))


def main() -> None:
    """The writer: batch after batch from stdin, each in one transaction, confirmed on stdout."""
    output = child_setup()
    source = sys.stdin.buffer
    connection.close()
    connection.settings_dict["NAME"] = pickle.load(source)  # noqa: S301
    while True:
        try:
            items = pickle.load(source)  # noqa: S301
        except EOFError:
            return  # the planner is done (or gone: the batch before was the last)
        statements = Statements()
        statements.items = items
        try:
            write_now(statements)
        except Exception as error:  # reported to the planner, which fails the import
            pickle.dump(f"{type(error).__name__}: {error}", output)
            output.flush()
            return
        pickle.dump(True, output)
        output.flush()


if __name__ == "__main__":
    main()
