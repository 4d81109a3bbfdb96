"""Reading a big file on the second core: rows parsed and cleaned in a child process, batch by batch.

Reading a spreadsheet and cleaning its rows (phone parsing above all) is about a third of an import's
work and needs no database, so for big files a child process does it while this one matches and
writes the previous batch. Batches come back in file order through a pipe (the child can only be a
pipe's worth ahead, so memory stays flat); an error in the child is raised here. Small files are read
in-process: a child costs a second to start.
"""

from __future__ import annotations

import itertools
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.utils import translation

from tandem.core.phones import remember_search_tokens
from tandem.imports import reader
from tandem.imports.children import child_setup, start_child, stop_child
from tandem.imports.rows import RowData, RowReader

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
    path: Path, info: reader.TableInfo, reader_args: ReaderArgs, *, after: int, size: int
) -> Iterator[list[RowData]]:
    """Batches from `python -m tandem.imports.pipeline`, pickled through its stdout (a pipe: when this
    process falls behind, the child waits; when this process dies, the child's next write fails)."""
    child = start_child("tandem.imports.pipeline")
    assert child.stdin is not None and child.stdout is not None
    try:
        pickle.dump((str(path), info, reader_args, after, size, translation.get_language()), child.stdin)
        child.stdin.close()
        while True:
            try:
                item = pickle.load(child.stdout)  # noqa: S301 - our own child process
            except EOFError:
                raise RuntimeError("the file reader stopped without a word") from None
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            for data in item:
                for phone in (*data.company_phones, *data.contact_phones):
                    remember_search_tokens(phone)
            yield item
    finally:
        stop_child(child)


def main() -> None:
    """The child: set Django up like the parent, read and clean, and write batch after batch."""
    output = child_setup()
    path, info, reader_args, after, size, language = pickle.load(sys.stdin.buffer)  # noqa: S301
    translation.activate(language or settings.LANGUAGE_CODE)
    try:
        for batch in _read_here(Path(path), info, reader_args, after=after, size=size):
            pickle.dump(batch, output, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(None, output)
    except BrokenPipeError:
        return  # the importing process is gone
    except Exception as error:
        pickle.dump(error, output)
    output.flush()


if __name__ == "__main__":
    main()
