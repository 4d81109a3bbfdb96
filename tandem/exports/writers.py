"""CSV and XLSX writers: plain values in, a file a spreadsheet opens safely out.

CSV: UTF-8 with a byte order mark (so Excel reads Cyrillic right), comma-separated, dates ISO
(date-times in the current time zone, to the minute), and formula injection neutralised: see
`neutralise`. XLSX: XlsxWriter in constant-memory mode, every cell written by its type (a string is
always a string, never a formula or a link), a bold frozen header row and column widths.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO

import xlsxwriter
from django.utils import timezone

from tandem.exports.columns import Cell

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Left alone although they start with + or -: a plain number ("-5", "-12.50") and phone numbers
# ("+359 88 812 3456", "+7 (495) 123-45-67 ext. 12", several joined with "; "). Neither can hold a
# function name, a reference or a link, so a spreadsheet can at worst read them as a number.
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
_PHONE = r"\+\d[\d ().-]{5,}\d(?: ext\. \d+)?"
_PHONES = re.compile(rf"{_PHONE}(?:; {_PHONE})*")
XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_STRING = 32_767
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def neutralise(text: str) -> str:
    """`text` made safe for a CSV cell (OWASP's "CSV injection" advice, with two exceptions).

    A cell starting with = + - @, a tab or a carriage return is prefixed with an apostrophe, which
    spreadsheets show as text instead of evaluating it: `=1+1`, `+SUM(A1)`, `-2+3`, `@cmd`. Left as
    they are: plain numbers and phone numbers in international format (see `_NUMBER`, `_PHONES`),
    because Tandem exports every phone as `+359 …` and an apostrophe there would spoil each of them.
    """
    if not text.startswith(FORMULA_STARTS):
        return text
    if _NUMBER.fullmatch(text) or _PHONES.fullmatch(text):
        return text
    return "'" + text


def csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, int | Decimal):
        return str(value)
    return neutralise(value)


class CsvWriter:
    """Rows to a text stream; `csv_stream` yields the same as bytes for a streaming response."""

    def __init__(self, stream: IO[str]):
        self.stream = stream
        self.writer = csv.writer(stream, delimiter=",", lineterminator="\r\n")
        self.rows = 0

    def header(self, names: list[str]) -> None:
        self.stream.write(BOM)
        self.writer.writerow([neutralise(name) for name in names])

    def write(self, rows: Iterable[list[Cell]]) -> None:
        for row in rows:
            self.writer.writerow([csv_text(value) for value in row])
            self.rows += 1

    def close(self) -> None:
        self.stream.flush()


def csv_stream(header: list[str], chunks: Iterable[list[list[Cell]]]) -> Iterator[bytes]:
    """The CSV as bytes, one piece per chunk of rows (never the whole file in memory)."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.header(header)
    for rows in chunks:
        writer.write(rows)
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


class TooManyRowsForExcel(Exception):
    pass


def sheet_name(label: str) -> str:
    return _SHEET_NAME_FORBIDDEN.sub(" ", label).strip()[:31] or "Sheet1"


class XlsxWriter:
    """Rows to an .xlsx file (a path, or a binary file object), one row at a time (constant memory)."""

    def __init__(self, target: Path | IO[bytes], *, sheet: str, widths: list[int]):
        options = {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        }
        self.workbook = xlsxwriter.Workbook(str(target) if isinstance(target, Path) else target, options)
        self.sheet = self.workbook.add_worksheet(sheet_name(sheet))
        self.bold = self.workbook.add_format({"bold": True})
        self.date = self.workbook.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime = self.workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        for index, width in enumerate(widths):
            self.sheet.set_column(index, index, width)
        self.sheet.freeze_panes(1, 0)
        self.rows = 0

    def header(self, names: list[str]) -> None:
        for column, name in enumerate(names):
            self.sheet.write_string(0, column, name, self.bold)

    def write(self, rows: Iterable[list[Cell]]) -> None:
        for row in rows:
            if self.rows + 1 >= XLSX_MAX_ROWS:
                raise TooManyRowsForExcel
            self.rows += 1
            for column, value in enumerate(row):
                self._cell(self.rows, column, value)

    def _cell(self, row: int, column: int, value: Cell) -> None:
        sheet = self.sheet
        if value is None or value == "":
            return
        if isinstance(value, datetime.datetime):
            local = timezone.localtime(value).replace(tzinfo=None)
            sheet.write_datetime(row, column, local, self.datetime)
        elif isinstance(value, datetime.date):
            sheet.write_datetime(row, column, datetime.datetime.combine(value, datetime.time()), self.date)
        elif isinstance(value, int | Decimal):
            sheet.write_number(row, column, float(value))
        else:
            sheet.write_string(row, column, value[:XLSX_MAX_STRING])

    def close(self) -> None:
        self.workbook.close()
