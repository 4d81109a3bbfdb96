"""Reading a big file on the second core: rows parsed and cleaned in a child process, batch by batch.

Reading a spreadsheet and cleaning its rows (phone parsing above all) is about a third of an import's
work and needs no database, so for big files a child process does it while this one matches and
writes the previous batch. Batches come back in file order through a bounded queue (a few batches
ahead at most, so memory stays flat); an error in the child is raised here. Small files are read
in-process: a child costs a second to start.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import translation

from tandem.core.phones import remember_search_tokens
from tandem.imports import reader
from tandem.imports.rows import RowData, RowReader

AHEAD = 3  # batches the child may read ahead of the writer
WAIT_SECONDS = 5.0
ReaderArgs = tuple[list[str], list[str | None], str]  # RowReader(headers, mapping, region)


def read_batches(
    path: Path,
    info: reader.TableInfo,
    reader_args: ReaderArgs,
    *,
    after: int,
    size: int,
) -> Iterator[list[RowData]]:
    """Cleaned rows of the file after row `after`, `size` at a time."""
    if info.estimated_rows >= settings.TANDEM_IMPORT_PARALLEL_ROWS:
        return _from_child(path, info, reader_args, after=after, size=size)
    return _read_here(path, info, reader_args, after=after, size=size)


def _read_here(
    path: Path, info: reader.TableInfo, reader_args: ReaderArgs, *, after: int, size: int
) -> Iterator[list[RowData]]:
    rows = RowReader(*reader_args)
    cells = reader.iter_rows(path, info, after=after)
    while chunk := list(itertools.islice(cells, size)):
        yield [rows.read(number, row) for number, row in chunk]


def _from_child(
    path: Path,
    info: reader.TableInfo,
    reader_args: ReaderArgs,
    *,
    after: int,
    size: int,
) -> Iterator[list[RowData]]:
    context = multiprocessing.get_context("spawn")
    batches: Any = context.Queue(maxsize=AHEAD)
    arguments = (str(path), info, reader_args, after, size, translation.get_language(), os.environ.copy())
    child = context.Process(target=_produce, args=(batches, arguments), daemon=True)
    child.start()
    try:
        while True:
            try:
                item = batches.get(timeout=WAIT_SECONDS)
            except queue.Empty:
                if not child.is_alive():
                    raise RuntimeError("the file reader stopped without a word") from None
                continue
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            for data in item:
                for phone in (*data.company_phones, *data.contact_phones):
                    remember_search_tokens(phone)
            yield item
    finally:
        if child.is_alive():
            child.terminate()
        child.join(timeout=5)


def _produce(batches: Any, arguments: tuple[Any, ...]) -> None:
    """The child: set Django up like the parent, read and clean, and hand over batch after batch."""
    path, info, reader_args, after, size, language, environment = arguments
    os.environ.update(environment)
    import django

    django.setup()
    translation.activate(language or settings.LANGUAGE_CODE)
    try:
        for batch in _read_here(Path(path), info, reader_args, after=after, size=size):
            batches.put(batch)
        batches.put(None)
    except BaseException as error:
        batches.put(error)
