"""Reads the table in an import file: CSV in any common encoding and delimiter, XLSX, XLS and ODS.

`inspect` looks at the start of the file (format, encoding, delimiter, sheet, header row, a sample);
`iter_rows` then streams the data rows. The format comes from the content, never from the name
alone: a binary file named .csv is rejected, and an Excel file saved without its extension still
opens. CSV is streamed and decoded with errors="replace", so neither a file of a million rows nor
a wrong encoding guess can exhaust memory or crash the import; spreadsheets are read with calamine.

Every refusal is a `FileRejected` with a stable `code` and a translated sentence that says what is
wrong and what the person can do.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import math
import re
import subprocess
import sys
import unicodedata
import zipfile
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from charset_normalizer import from_bytes
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from python_calamine import CalamineSheet, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from tandem.core.errors import ValidationError
from tandem.imports.columns import header_known

MAX_COLUMNS = 500
MAX_BYTES = 500 * 1024 * 1024  # settings.TANDEM_MAX_IMPORT_BYTES overrides it
SAMPLE_ROWS = 10
HEADER_SEARCH_ROWS = 20
SNIFF_BYTES = 64 * 1024
# A cell longer than this stops the import with a clear message instead of eating memory; the
# engine rejects far shorter values row by row.
MAX_CELL_CHARS = 64 * 1024 * 1024
# calamine loads a whole sheet as a dense grid: one stray cell at XFD1048576 in a 5 KB file asks for
# hundreds of GB and aborts the process. A child process with this much memory tries first.
SHEET_MEMORY_LIMIT = 2 * 1024 * 1024 * 1024
SHEET_PROBE_SECONDS = 300
DELIMITERS = (",", ";", "\t", "|")
FORMATS = ("csv", "xlsx", "xls", "ods")

# Legacy encodings people in Bulgaria, Russia and Western Europe still export, most likely first.
LEGACY_ENCODINGS = (
    "cp1251", "koi8_r", "cp866", "mac_cyrillic", "iso8859_5",
    "cp1252", "cp1250", "iso8859_2", "cp1257", "cp1253", "cp1254", "iso8859_15",
)  # fmt: skip

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_MARKUP_STARTS = ("<!doctype html", "<html", "<table", "<?xml", "<head", "<body", "<meta")
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v\x1a")
_VALUE_PATTERN = re.compile(r"[-+(]?[\d\s.,:/()+\-%]*\d[\d\s.,:/()+\-%]*|.*@.*|.*://.*|true|false", re.I)
_NEWLINE_CHUNK = 1024 * 1024
_SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xltx", ".ods", ".ots"})

csv.field_size_limit(max(csv.field_size_limit(), MAX_CELL_CHARS))


class FileRejected(ValidationError):
    """The file cannot be imported; `code` says why, the message tells the person what to do.

    Codes: empty_file, not_a_table, unknown_format, too_large, too_many_columns, no_rows, bad_sheet.
    """

    def __init__(self, message: str, *, code: str):
        super().__init__(message, code=code)


@dataclass
class TableInfo:
    """What `inspect` found; `iter_rows` needs it to read the same table again."""

    format: str  # "csv" | "xlsx" | "xls" | "ods"
    encoding: str = ""  # csv only: a Python codec name
    delimiter: str = ""  # csv only
    sheets: list[str] = field(default_factory=list)  # spreadsheet sheet names
    sheet: str = ""  # the chosen sheet
    header_row: int = 1  # 1-based row number of the header in the file or sheet
    headers: list[str] = field(default_factory=list)  # "" for a blank header cell
    sample: list[list[str]] = field(default_factory=list)  # first data rows, len(headers) cells each
    estimated_rows: int = 0  # data rows, exact or estimated (progress bar only)


# -- public API -------------------------------------------------------------------------------------


def inspect(
    path: Path, *, filename: str, sheet: str | None = None, header_row: int | None = None
) -> TableInfo:
    """Finds the table in the file at `path` (uploaded as `filename`) or raises FileRejected.

    `sheet` picks a spreadsheet's sheet (default: the first visible one with data); `header_row`
    (1-based) overrides the header detection. Reads only the start of the file, except for a cheap
    count of line breaks in a CSV.
    """
    _check_size(path)
    file_format = detect_format(path, filename=filename)
    if file_format == "csv":
        return _inspect_csv(path, header_row)
    return _inspect_spreadsheet(path, file_format, sheet, header_row)


def iter_rows(path: Path, info: TableInfo, *, after: int = 0) -> Iterator[tuple[int, list[str]]]:
    """Yields (row number, cells) for each non-empty data row below the header, in file order.

    The row number is the one a person sees in Excel; rows numbered `after` or less are skipped so
    an interrupted import resumes where it stopped. Cells are stripped strings, exactly
    len(info.headers) of them.
    """
    width = len(info.headers)
    first = max(after, info.header_row)
    with closing(_records(path, info)) as records:
        for row_number, cells in records:
            if row_number <= first:
                continue
            row = _fit(_clean(cells[:width]), width)
            if any(row):
                yield row_number, row


def detect_format(path: Path, *, filename: str = "") -> str:
    """Returns "csv", "xlsx", "xls" or "ods", read from the content; the name only shapes errors."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith((_ZIP_MAGIC, _EMPTY_ZIP_MAGIC)):
        return _zip_format(path, filename)
    if head.startswith(_OLE2_MAGIC):
        return "xls"
    return "csv"


# -- errors -----------------------------------------------------------------------------------------


def _empty() -> FileRejected:
    return FileRejected(
        _(
            "The file is empty. Upload a CSV, XLSX, XLS or ODS file with a header row "
            "and at least one row of data."
        ),
        code="empty_file",
    )


def _not_a_table() -> FileRejected:
    return FileRejected(
        _("The file is not a table: it holds binary data, not text. Upload a CSV, XLSX, XLS or ODS file."),
        code="not_a_table",
    )


def _unreadable_spreadsheet() -> FileRejected:
    return FileRejected(
        _(
            "The spreadsheet could not be opened: it may be damaged or protected by a password. "
            "Open it in Excel or LibreOffice, save it as XLSX or CSV without a password and upload it again."
        ),
        code="unknown_format",
    )


def _markup_file() -> FileRejected:
    return FileRejected(
        _(
            "This file is a web page or an XML document, not a table, even if its name ends in .xls. "
            "Open it in Excel or LibreOffice, save it as XLSX or CSV and upload that file."
        ),
        code="unknown_format",
    )


def _too_many_columns(count: int) -> FileRejected:
    return FileRejected(
        _(
            "The table has too many columns (%(count)s); at most %(limit)s can be imported. "
            "Delete the columns you do not need and upload the file again."
        )
        % {"count": count, "limit": MAX_COLUMNS},
        code="too_many_columns",
    )


def _no_rows(header_row: int) -> FileRejected:
    return FileRejected(
        _("There are no data rows below the header (row %(row)s). Add at least one row of data.")
        % {"row": header_row},
        code="no_rows",
    )


def _broken_row(row_number: int) -> FileRejected:
    return FileRejected(
        _(
            "Row %(row)s cannot be read: a cell is longer than the allowed size or a quotation mark "
            "is never closed. Fix that row and upload the file again."
        )
        % {"row": row_number},
        code="not_a_table",
    )


def _check_size(path: Path) -> None:
    size = path.stat().st_size
    limit = int(getattr(settings, "TANDEM_MAX_IMPORT_BYTES", MAX_BYTES))
    if size == 0:
        raise _empty()
    if size > limit:
        raise FileRejected(
            _("The file is %(size)s; files up to %(limit)s can be imported. Split it into smaller files.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
            code="too_large",
        )


# -- format -----------------------------------------------------------------------------------------


def _zip_format(path: Path, filename: str) -> str:
    """XLSX and ODS are ZIP archives; tell them apart by their parts without unpacking anything."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            mimetype = b""
            if "mimetype" in names:
                with archive.open("mimetype") as member:
                    mimetype = member.read(100)
    except Exception as error:  # a damaged archive fails in many ways: BadZipFile, EOFError, zlib.error…
        if Path(filename).suffix.lower() in _SPREADSHEET_SUFFIXES:
            raise _unreadable_spreadsheet() from error
        raise _not_a_table() from error
    if "xl/workbook.xml" in names:
        return "xlsx"
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        return "ods"
    if "xl/workbook.bin" in names or mimetype:
        raise FileRejected(
            _(
                "This document type cannot be imported. "
                "Save it as XLSX, ODS or CSV in your spreadsheet program and upload that file."
            ),
            code="unknown_format",
        )
    raise _not_a_table()


# -- CSV --------------------------------------------------------------------------------------------


def _inspect_csv(path: Path, header_row: int | None) -> TableInfo:
    with path.open("rb") as handle:
        sample = handle.read(SNIFF_BYTES)
        complete = not handle.read(1)
    encoding = _detect_encoding(sample, complete=complete)
    if encoding is None:
        raise _not_a_table()
    text = _decode_sample(sample, encoding, complete=complete)
    _check_text(text)
    info = TableInfo(format="csv", encoding=encoding, delimiter=_detect_delimiter(text))
    with closing(_records(path, info)) as records:
        _fill_table(info, records, header_row)
    info.estimated_rows = max(_count_lines(path, encoding) - info.header_row, len(info.sample))
    return info


def _detect_encoding(sample: bytes, *, complete: bool) -> str | None:
    """A codec that decodes `sample`: BOM, then UTF-16 by its zero bytes, strict UTF-8, then a guess."""
    for bom, encoding in _BOMS:
        if sample.startswith(bom):
            return encoding
    utf16 = _bomless_utf16(sample)
    if utf16:
        return utf16
    if b"\x00" in sample:
        return None
    if _is_utf8(sample, complete=complete):
        return "utf-8"
    return _guess_legacy_encoding(sample)


def _bomless_utf16(sample: bytes) -> str | None:
    """UTF-16 without a BOM: Latin letters, digits and delimiters leave a zero byte in every pair."""
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even_zeros = sample[0 : pairs * 2 : 2].count(0)
    odd_zeros = sample[1 : pairs * 2 : 2].count(0)
    if odd_zeros >= pairs * 0.1 and even_zeros <= pairs * 0.01:
        return "utf-16-le"
    if even_zeros >= pairs * 0.1 and odd_zeros <= pairs * 0.01:
        return "utf-16-be"
    return None


def _is_utf8(sample: bytes, *, complete: bool) -> bool:
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        # The sample may end in the middle of a multi-byte character.
        return not complete and error.start >= len(sample) - 3 and error.reason == "unexpected end of data"
    return True


def _guess_legacy_encoding(sample: bytes) -> str | None:
    """The legacy code page whose decoding of `sample` reads most like text, or None for binary data."""
    matches = list(from_bytes(sample, cp_isolation=list(LEGACY_ENCODINGS)))
    if not matches:
        return None

    def oddness(match: Any) -> tuple[float, float, float, int]:
        # Symbols where letters belong ("¯ó³ta" for "Żółta") betray a wrong code page.
        rank = LEGACY_ENCODINGS.index(match.encoding) if match.encoding in LEGACY_ENCODINGS else 99
        return (
            round(_non_letter_share(str(match)), 2),
            round(match.chaos, 2),
            -round(match.coherence, 2),
            rank,
        )

    best = min(matches, key=oddness)
    text = str(best)
    # Code pages that decode this sample identically (German in cp1250 and cp1252): the commonest.
    for encoding in LEGACY_ENCODINGS:
        if sample.decode(encoding, errors="replace") == text:
            return encoding
    return str(best.encoding)


def _non_letter_share(text: str) -> float:
    foreign = [char for char in text if ord(char) > 127]
    if not foreign:
        return 0.0
    return sum(1 for char in foreign if not char.isalpha()) / len(foreign)


def _decode_sample(sample: bytes, encoding: str, *, complete: bool) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    text = decoder.decode(sample, final=complete)
    if not complete and "\n" in text:
        text = text[: text.rindex("\n") + 1]  # drop the cut-off last line
    return text


def _check_text(text: str) -> None:
    if not text.strip():
        raise _empty()
    controls = sum(1 for char in text if unicodedata.category(char) == "Cc" and char not in _ALLOWED_CONTROLS)
    replaced = text.count("\ufffd")
    if controls + replaced > max(2, len(text) // 100):
        raise _not_a_table()
    if text.lstrip("\ufeff \t\r\n")[:200].lower().startswith(_MARKUP_STARTS):
        raise _markup_file()


def _detect_delimiter(text: str) -> str:
    """The delimiter that splits the sample's rows into the most consistent number of columns."""

    def score(delimiter: str) -> tuple[float, int, int, int]:
        counts = [len(row) for row in _sample_rows(text, delimiter) if any(cell.strip() for cell in row)]
        usual = max(set(counts), key=lambda count: (counts.count(count), count)) if counts else 0
        if usual < 2:  # does not split the rows: only how often it occurs counts
            return (0.0, 0, text.count(delimiter), -DELIMITERS.index(delimiter))
        consistency = round(counts.count(usual) / len(counts), 2)
        return (consistency, usual, 0, -DELIMITERS.index(delimiter))

    return max(DELIMITERS, key=score)


def _sample_rows(text: str, delimiter: str, limit: int = 50) -> list[list[str]]:
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append(row)
            if len(rows) >= limit:
                break
    except csv.Error:
        pass  # a quoted cell cut by the end of the sample
    return rows


def _csv_records(path: Path, encoding: str, delimiter: str) -> Generator[tuple[int, list[str]]]:
    """Every record of the CSV with its 1-based number; a cell with line breaks stays in one record."""
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        row_number = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise _broken_row(row_number + 1) from error
            row_number += 1
            yield row_number, cells


def _count_lines(path: Path, encoding: str) -> int:
    """Line breaks in the file, counted in binary chunks: fast, and close enough for a progress bar."""
    newline = "\n".encode(_codec_without_bom(encoding))
    count = 0
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(_NEWLINE_CHUNK):
            count += chunk.count(newline)
            last = chunk
    return count + (0 if last.endswith(newline) else 1)


def _codec_without_bom(encoding: str) -> str:
    if encoding == "utf-16":
        return "utf-16-le"
    if encoding == "utf-32":
        return "utf-32-le"
    return "utf-8" if encoding == "utf-8-sig" else encoding


# -- spreadsheets -----------------------------------------------------------------------------------


_PROBE = """
import sys
try:
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[2]), int(sys.argv[2])))
except (ImportError, ValueError, OSError):
    pass
from python_calamine import CalamineWorkbook
try:
    workbook = CalamineWorkbook.from_path(sys.argv[1])
    for name in workbook.sheet_names:
        workbook.get_sheet_by_name(name)
except MemoryError:
    sys.exit(3)
except BaseException:
    sys.exit(2)
"""


def _probe_spreadsheet(path: Path) -> None:
    """Opens every sheet in a child process with bounded memory before this process dares to."""
    command = [sys.executable, "-I", "-c", _PROBE, str(path), str(SHEET_MEMORY_LIMIT)]
    try:
        result = subprocess.run(command, capture_output=True, timeout=SHEET_PROBE_SECONDS, check=False)
    except subprocess.TimeoutExpired as error:
        raise _sheet_too_large() from error
    if result.returncode == 2:
        raise _unreadable_spreadsheet()
    if result.returncode != 0:  # out of memory: MemoryError, or a Rust abort (a negative signal number)
        raise _sheet_too_large()


def _sheet_too_large() -> FileRejected:
    return FileRejected(
        _(
            "The spreadsheet is too large to read: its cells spread over more rows and columns than the "
            "server can hold in memory. Delete the empty rows and columns far from the table, "
            "or save the sheet as CSV and upload that file."
        ),
        code="too_large",
    )


def _inspect_spreadsheet(
    path: Path, file_format: str, wanted: str | None, header_row: int | None
) -> TableInfo:
    _probe_spreadsheet(path)
    workbook = _open_workbook(path)
    with workbook:
        names = _worksheet_names(workbook)
        name, sheet = _choose_sheet(workbook, names, wanted)
        info = TableInfo(format=file_format, sheets=names, sheet=name)
        _fill_table(info, _sheet_records(sheet), header_row)
        last_row = sheet.end[0] + 1 if sheet.end else 0
    info.estimated_rows = max(last_row - info.header_row, len(info.sample))
    return info


def _open_workbook(path: Path) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_path(str(path))
    except BaseException as error:
        raise _calamine_failure(error) from error


def _calamine_failure(error: BaseException) -> BaseException:
    """The FileRejected to raise for a calamine error; a Rust panic arrives as a BaseException."""
    if isinstance(error, Exception) or type(error).__name__ == "PanicException":
        return _unreadable_spreadsheet()
    return error


def _worksheet_names(workbook: CalamineWorkbook) -> list[str]:
    names = [meta.name for meta in workbook.sheets_metadata if meta.typ == SheetTypeEnum.WorkSheet]
    return names or list(workbook.sheet_names)


def _choose_sheet(
    workbook: CalamineWorkbook, names: list[str], wanted: str | None
) -> tuple[str, CalamineSheet]:
    if wanted is not None and wanted not in names:
        raise FileRejected(
            _("The workbook has no sheet named “%(sheet)s”. Choose one of: %(sheets)s.")
            % {"sheet": wanted, "sheets": ", ".join(f"“{name}”" for name in names)},
            code="bad_sheet",
        )
    if not names:
        raise _empty()
    if wanted is not None:
        return wanted, _load_sheet(workbook, wanted)
    visible = {meta.name for meta in workbook.sheets_metadata if meta.visible == SheetVisibleEnum.Visible}
    with_data: tuple[str, CalamineSheet] | None = None
    for name in names:
        if name in visible:
            sheet = _load_sheet(workbook, name)
            if sheet.start is None or sheet.end is None:
                continue
            if sheet.end[0] > sheet.start[0]:  # a header and at least one row: a table
                return name, sheet
            with_data = with_data or (name, sheet)  # a cover sheet: only if nothing better
    return with_data or (names[0], _load_sheet(workbook, names[0]))


def _load_sheet(workbook: CalamineWorkbook, name: str) -> CalamineSheet:
    try:
        return workbook.get_sheet_by_name(name)
    except BaseException as error:
        raise _calamine_failure(error) from error


def _sheet_records(sheet: CalamineSheet) -> Iterator[tuple[int, list[str]]]:
    # calamine starts at the first row even when it is empty, so the index is the row number.
    for index, row in enumerate(sheet.iter_rows()):
        yield index + 1, [cell_text(value) for value in row]


def _workbook_records(path: Path, sheet_name: str) -> Generator[tuple[int, list[str]]]:
    with _open_workbook(path) as workbook:
        yield from _sheet_records(_load_sheet(workbook, sheet_name))


def cell_text(value: object) -> str:
    """A spreadsheet value as the text a person typed: 359888123456, 12.5, 2024-03-01, true."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds" if not value.microsecond else "auto")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value).strip()


def _number_text(value: float) -> str:
    if not math.isfinite(value):
        return ""
    if value.is_integer():
        return str(int(value))
    # Excel shows 15 significant digits: 0.1 + 0.2 is "0.3" there, and never "1e-05".
    return format(Decimal(format(value, ".15g")), "f")


# -- the table --------------------------------------------------------------------------------------


def _records(path: Path, info: TableInfo) -> Generator[tuple[int, list[str]]]:
    if info.format == "csv":
        return _csv_records(path, info.encoding, info.delimiter)
    return _workbook_records(path, info.sheet)


def _fill_table(info: TableInfo, records: Iterator[tuple[int, list[str]]], header_row: int | None) -> None:
    """Sets the header row, headers and sample of `info` from the first records of the table."""
    rows = _leading_rows(records, header_row)
    if not rows:
        if header_row is not None:
            raise _no_rows(header_row)
        raise _empty()
    header_index = _header_index(rows, header_row)
    info.header_row, header = rows[header_index]
    if header_row is not None and info.header_row != header_row:
        header = []  # the chosen header row is blank
        info.header_row = header_row
        header_index = -1
    data = rows[header_index + 1 :]
    data.extend(_take_rows(records, SAMPLE_ROWS - len(data)))
    if not data:
        raise _no_rows(info.header_row)
    sample = [cells for _number, cells in data[:SAMPLE_ROWS]]
    width = max(len(header), *(len(cells) for cells in sample))
    info.headers = _fit(header, width)
    info.sample = [_fit(cells, width) for cells in sample]


def _leading_rows(
    records: Iterator[tuple[int, list[str]]], header_row: int | None
) -> list[tuple[int, list[str]]]:
    """The first non-empty rows: those the header is searched in, or the chosen header and after."""
    if header_row is not None:
        records = ((number, cells) for number, cells in records if number >= header_row)
    limit = 1 if header_row is not None else HEADER_SEARCH_ROWS
    return _take_rows(records, limit)


def _take_rows(records: Iterable[tuple[int, list[str]]], limit: int) -> list[tuple[int, list[str]]]:
    """Up to `limit` non-empty rows, stripped and without trailing blank cells; checks their width."""
    rows: list[tuple[int, list[str]]] = []
    if limit <= 0:
        return rows
    for number, cells in records:
        row = _trim(_clean(cells))
        if len(row) > MAX_COLUMNS:
            raise _too_many_columns(len(row))
        if row:
            rows.append((number, row))
            if len(rows) >= limit:
                break
    return rows


def _header_index(rows: list[tuple[int, list[str]]], header_row: int | None) -> int:
    """Which of the leading rows is the header (see the module docs of `inspect`)."""
    if header_row is not None:
        return 0
    widest = max(_filled(cells) for _number, cells in rows)
    for index, (_number, cells) in enumerate(rows):
        filled = [cell for cell in cells if cell]
        known = sum(1 for cell in filled if header_known(cell))
        if known and known * 2 >= len(filled) and len(filled) * 2 >= widest:
            return index
    texts = [
        (index, _filled(cells))
        for index, (_number, cells) in enumerate(rows)
        if not any(_VALUE_PATTERN.fullmatch(cell) for cell in cells if cell)
    ]
    if not texts:
        return 0
    return max(texts, key=lambda item: (item[1], -item[0]))[0]


def _clean(cells: list[str]) -> list[str]:
    """Stripped cells; a line break inside a cell becomes "\\n" whichever one the file used."""
    return [_clean_cell(cell) for cell in cells]


def _clean_cell(cell: str) -> str:
    cell = cell.strip()
    return cell.replace("\r\n", "\n").replace("\r", "\n") if "\r" in cell else cell


def _filled(cells: list[str]) -> int:
    return sum(1 for cell in cells if cell)


def _trim(cells: list[str]) -> list[str]:
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]


def _fit(cells: list[str], width: int) -> list[str]:
    return cells[:width] + [""] * (width - len(cells))
