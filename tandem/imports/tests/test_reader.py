"""The file reader: formats, encodings, delimiters, header detection, streaming and refusals."""

from __future__ import annotations

import datetime
import io
import random
import tracemalloc
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from tandem.imports import reader
from tandem.imports.reader import FileRejected, TableInfo, cell_text, inspect, iter_rows
from tandem.imports.tests.files import write_ods, write_xls, write_xlsx

BG_TABLE = (
    "Фирма;Контактно лице;Телефон;Имейл\r\n"
    "Електрон ООД;Иван Петров;0888 123 456;ivan@elektron.bg\r\n"
    "Бялата къща ЕТ;Мария Георгиева;+359 2 987 6543;maria@byala.bg\r\n"
    "Жълт слон АД;Цветелина Щерева;0899111222;\r\n"
)
BG_ROWS = [
    (2, ["Електрон ООД", "Иван Петров", "0888 123 456", "ivan@elektron.bg"]),
    (3, ["Бялата къща ЕТ", "Мария Георгиева", "+359 2 987 6543", "maria@byala.bg"]),
    (4, ["Жълт слон АД", "Цветелина Щерева", "0899111222", ""]),
]
RU_TABLE = (
    "Компания,Контактное лицо,Должность,Телефон\n"
    "Рога и копыта,Иван Сергеевич Петров,Директор,+7 495 123-45-67\n"
    "Ёлка ООО,Мария Ивановна Щукина,Бухгалтер,8 800 555 35 35\n"
    "Щит и меч,Фёдор Юрьевич Жуков,Менеджер по закупкам,+7 812 000-11-22\n"
)
DE_TABLE = (
    "Firma\tName\tStraße\n"
    "Müller GmbH\tJürgen Groß\tKönigstraße 5\n"
    "Bäckerei Öztürk\tDörte Weiß\tHauptstraße 12\n"
    "Schäfer & Söhne KG\tÄnne Fröhlich\tÜberseering 3\n"
)


def write(tmp_path: Path, data: bytes, name: str = "clients.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read_all(path: Path, **options: object) -> tuple[TableInfo, list[tuple[int, list[str]]]]:
    info = inspect(path, filename=path.name, **options)
    return info, list(iter_rows(path, info))


def rejected(path: Path, **options: object) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        inspect(path, filename=path.name, **options)
    return caught.value


# -- CSV: encodings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16", "utf-16"),  # Python writes a BOM, little-endian here
        ("utf-16-le", "utf-16-le"),  # no BOM: found by the zero bytes
        ("utf-16-be", "utf-16-be"),
        ("cp1251", "cp1251"),
        ("koi8-r", "koi8_r"),
        ("cp866", "cp866"),
    ],
)
def test_bulgarian_csv_is_decoded_in_each_encoding(tmp_path, encoding, expected):
    path = write(tmp_path, BG_TABLE.encode(encoding))

    info, rows = read_all(path)

    assert info.format == "csv"
    assert info.encoding == expected
    assert info.delimiter == ";"
    assert info.header_row == 1
    assert info.headers == ["Фирма", "Контактно лице", "Телефон", "Имейл"]
    assert rows == BG_ROWS


def test_utf16_big_endian_with_bom_is_decoded(tmp_path):
    path = write(tmp_path, b"\xfe\xff" + BG_TABLE.encode("utf-16-be"))

    info, rows = read_all(path)

    assert info.encoding == "utf-16"
    assert info.headers[0] == "Фирма"  # no BOM left in the first header
    assert rows == BG_ROWS


def test_utf8_bom_is_not_part_of_the_first_header(tmp_path):
    path = write(tmp_path, "Email,Name\nana@example.com,Ana\n".encode("utf-8-sig"))

    info = inspect(path, filename="x.csv")

    assert info.headers == ["Email", "Name"]


@pytest.mark.parametrize("encoding", ["cp1251", "koi8-r", "utf-8"])
def test_russian_csv_is_decoded(tmp_path, encoding):
    path = write(tmp_path, RU_TABLE.encode(encoding))

    info, rows = read_all(path)

    assert info.delimiter == ","
    assert info.headers == ["Компания", "Контактное лицо", "Должность", "Телефон"]
    assert rows[1] == (3, ["Ёлка ООО", "Мария Ивановна Щукина", "Бухгалтер", "8 800 555 35 35"])
    assert len(rows) == 3


def test_german_cp1252_tab_separated_is_decoded(tmp_path):
    path = write(tmp_path, DE_TABLE.encode("cp1252"))

    info, rows = read_all(path)

    assert (info.encoding, info.delimiter) == ("cp1252", "\t")
    assert info.headers == ["Firma", "Name", "Straße"]
    assert rows == [
        (2, ["Müller GmbH", "Jürgen Groß", "Königstraße 5"]),
        (3, ["Bäckerei Öztürk", "Dörte Weiß", "Hauptstraße 12"]),
        (4, ["Schäfer & Söhne KG", "Änne Fröhlich", "Überseering 3"]),
    ]


def test_utf8_character_cut_by_the_sample_end_is_still_utf8(tmp_path):
    prefix = b"Name;Note\n" + b"x;1\n" * 1000
    prefix += b"y" * (reader.SNIFF_BYTES - 1 - len(prefix))
    data = prefix + "Ж;1\n".encode() + "Иван;2\n".encode() * 5
    assert data[reader.SNIFF_BYTES - 1 : reader.SNIFF_BYTES + 1] == "Ж".encode()
    path = write(tmp_path, data)

    info, rows = read_all(path)

    assert info.encoding == "utf-8"
    assert rows[-1] == (1007, ["Иван", "2"])


def test_a_wrong_byte_after_the_sample_is_replaced_not_fatal(tmp_path):
    rows = "".join(f"Firma {index};Иван;088812{index:04d}\n" for index in range(3000))
    data = ("Фирма;Име;Телефон\n" + rows).encode() + b"Bad \xff\xfe byte;x;1\n"
    path = write(tmp_path, data)

    info, read = read_all(path)

    assert info.encoding == "utf-8"
    assert read[-1] == (3002, ["Bad \ufffd\ufffd byte", "x", "1"])


# -- CSV: delimiters and quoting --------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_delimiter_is_detected_and_quoted_cells_keep_other_delimiters(tmp_path, delimiter):
    def line(*cells: str) -> str:
        return delimiter.join(f'"{cell}"' if any(c in cell for c in ',;\t|\n"') else cell for cell in cells)

    text = "\n".join(
        [
            line("Company", "Contact", "Address", "Notes"),
            line("Acme, Inc.", "Ann Lee", "1 Main St; Springfield", "pipe | here"),
            line("Beta", "Bob", "Tab\there", 'said ""hi""'),
            line("Gamma", "Gus", "Line one\nline two", ""),
        ]
    )
    path = write(tmp_path, text.encode())

    info, rows = read_all(path)

    assert info.delimiter == delimiter
    assert rows == [
        (2, ["Acme, Inc.", "Ann Lee", "1 Main St; Springfield", "pipe | here"]),
        (3, ["Beta", "Bob", "Tab\there", 'said "hi"']),
        (4, ["Gamma", "Gus", "Line one\nline two", ""]),
    ]


def test_semicolon_file_with_decimal_commas_and_addresses_keeps_semicolon(tmp_path):
    text = "Фирма;Оборот;Адрес\nАлфа;1,5;ул. Витоша 1, София\nБета;2,25;бул. България 5, Варна\n"
    path = write(tmp_path, text.encode())

    info, rows = read_all(path)

    assert info.delimiter == ";"
    assert rows[0] == (2, ["Алфа", "1,5", "ул. Витоша 1, София"])


def test_windows_line_breaks_inside_a_cell_become_plain_line_breaks(tmp_path):
    path = write(tmp_path, b'Name,Notes\r\nAnn,"first\r\nsecond"\r\nBob,x\r\n')

    _info, rows = read_all(path)

    assert rows == [(2, ["Ann", "first\nsecond"]), (3, ["Bob", "x"])]


# -- header detection -------------------------------------------------------------------------------


def test_title_rows_and_blank_lines_above_the_header_are_skipped(tmp_path):
    text = (
        "Клиенти 2024;;;\n;;;\n\n"
        "Фирма;Контактно лице;Телефон;Имейл\nАлфа ООД;Иван;0888;a@b.bg\n\nБета;Мария;0899;\n"
    )
    path = write(tmp_path, text.encode("cp1251"))

    info, rows = read_all(path)

    assert info.header_row == 4
    assert info.headers == ["Фирма", "Контактно лице", "Телефон", "Имейл"]
    assert info.sample == [["Алфа ООД", "Иван", "0888", "a@b.bg"], ["Бета", "Мария", "0899", ""]]
    assert rows == [(5, ["Алфа ООД", "Иван", "0888", "a@b.bg"]), (7, ["Бета", "Мария", "0899", ""])]


def test_unknown_headers_are_found_as_the_widest_all_text_row(tmp_path):
    text = "Report of March\n\nAlpha,Beta,Gamma\nx,12,2024-01-05\ny,13,2024-01-06\n"
    path = write(tmp_path, text.encode())

    info = inspect(path, filename="x.csv")

    assert info.header_row == 3
    assert info.headers == ["Alpha", "Beta", "Gamma"]


def test_header_row_argument_overrides_detection(tmp_path):
    text = "Name,Email\nAnn,ann@example.com\nBob,bob@example.com\nCid,cid@example.com\n"
    path = write(tmp_path, text.encode())

    info, rows = read_all(path, header_row=2)

    assert info.header_row == 2
    assert info.headers == ["Ann", "ann@example.com"]
    assert rows == [(3, ["Bob", "bob@example.com"]), (4, ["Cid", "cid@example.com"])]


def test_header_row_past_the_data_is_rejected(tmp_path):
    path = write(tmp_path, b"Name,Email\nAnn,ann@example.com\n")

    assert rejected(path, header_row=2).code == "no_rows"


def test_blank_headers_and_extra_data_columns_get_empty_header_names(tmp_path):
    path = write(tmp_path, b"Name,,Email\nAnn,x,ann@example.com,extra\nBob\n")

    info, rows = read_all(path)

    assert info.headers == ["Name", "", "Email", ""]
    assert rows == [(2, ["Ann", "x", "ann@example.com", "extra"]), (3, ["Bob", "", "", ""])]


def test_rows_are_padded_and_truncated_to_the_header_width(tmp_path):
    lines = ["Name,Email"] + [f"P{index},p{index}@example.com" for index in range(12)] + ["Zed,z@e.com,a,b"]
    path = write(tmp_path, "\n".join(lines).encode())

    info, rows = read_all(path)

    assert info.headers == ["Name", "Email"]
    assert len(info.sample) == reader.SAMPLE_ROWS
    assert rows[-1] == (14, ["Zed", "z@e.com"])


# -- resume, streaming, estimates -------------------------------------------------------------------


def test_after_resumes_below_the_given_row(tmp_path):
    path = write(tmp_path, BG_TABLE.encode())
    info = inspect(path, filename="x.csv")

    assert list(iter_rows(path, info, after=3)) == [BG_ROWS[2]]
    assert list(iter_rows(path, info, after=0)) == BG_ROWS
    assert list(iter_rows(path, info, after=4)) == []


def test_estimated_rows_counts_data_lines(tmp_path):
    lines = ["Name;Phone"] + [f"Person {index};0888{index:06d}" for index in range(1234)]
    path = write(tmp_path, "\r\n".join(lines).encode("utf-16"))

    info = inspect(path, filename="x.csv")

    assert info.estimated_rows == 1234


def test_iter_rows_streams_a_large_csv_in_little_memory(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("Фирма;Контактно лице;Телефон;Имейл;Бележки\n")
        for index in range(200_000):
            handle.write(f"Фирма {index} ООД;Иван Петров {index};0888{index:06d};i{index}@x.bg;бележка\n")
    info = inspect(path, filename="big.csv")

    tracemalloc.start()
    try:
        count = 0
        last = None
        for row in iter_rows(path, info):
            count += 1
            last = row
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == 200_000
    assert last == (
        200_001,
        ["Фирма 199999 ООД", "Иван Петров 199999", "0888199999", "i199999@x.bg", "бележка"],
    )
    assert peak < 20 * 1024 * 1024
    assert info.estimated_rows == 200_000


def test_a_ten_megabyte_cell_is_read(tmp_path):
    huge = "a" * (10 * 1024 * 1024)
    path = write(tmp_path, f"Name,Notes\nAnn,{huge}\nBob,short\n".encode())

    _info, rows = read_all(path)

    assert [number for number, _cells in rows] == [2, 3]
    assert len(rows[0][1][1]) == 10 * 1024 * 1024
    assert rows[1] == (3, ["Bob", "short"])


def test_a_quote_never_closed_runs_to_the_end_without_crashing(tmp_path):
    path = write(tmp_path, b'Name,Notes\nAnn,"open quote\nBob,x\n')

    _info, rows = read_all(path)

    assert rows == [(2, ["Ann", "open quote\nBob,x"])]


# -- CSV refusals -----------------------------------------------------------------------------------


def test_empty_file_is_rejected(tmp_path):
    assert rejected(write(tmp_path, b"")).code == "empty_file"


def test_file_of_blank_lines_is_rejected_as_empty(tmp_path):
    assert rejected(write(tmp_path, b"\r\n  \r\n;;;\r\n")).code == "empty_file"


def test_header_only_is_rejected(tmp_path):
    error = rejected(write(tmp_path, "Фирма;Телефон\r\n".encode()))

    assert error.code == "no_rows"
    assert "row 1" in error.message


def test_ten_thousand_columns_are_rejected_from_the_first_row(tmp_path):
    header = ",".join(f"Column {index}" for index in range(10_000))
    path = write(tmp_path, (header + "\n" + "x\n" * 1000).encode())

    error = rejected(path)

    assert error.code == "too_many_columns"
    assert "10000" in error.message


def test_file_over_the_size_limit_is_rejected(tmp_path, settings):
    settings.TANDEM_MAX_IMPORT_BYTES = 1000
    path = write(tmp_path, b"Name\n" + b"Ann\n" * 300)

    error = rejected(path)

    assert error.code == "too_large"


@pytest.mark.parametrize("seed", range(8))
def test_random_bytes_are_rejected(tmp_path, seed):
    generator = random.Random(seed)
    data = bytes(generator.randrange(256) for _ in range(generator.randrange(1, 200_000)))

    assert rejected(write(tmp_path, data)).code == "not_a_table"


@pytest.mark.parametrize("seed", range(4))
def test_random_bytes_without_zero_bytes_are_rejected(tmp_path, seed):
    generator = random.Random(seed)
    data = bytes(generator.randrange(1, 256) for _ in range(20_000))

    assert rejected(write(tmp_path, data)).code == "not_a_table"


def test_png_named_csv_is_rejected(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    assert rejected(write(tmp_path, png + bytes(range(256)) * 4)).code == "not_a_table"


def test_zip_that_is_not_a_spreadsheet_named_csv_is_rejected(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")

    assert rejected(write(tmp_path, buffer.getvalue())).code == "not_a_table"


def test_text_with_nul_bytes_is_rejected(tmp_path):
    assert rejected(write(tmp_path, b"Name,Email\x00\nAnn\x00,a@b.c\n" * 50)).code == "not_a_table"


def test_html_saved_as_xls_is_rejected_with_advice(tmp_path):
    html = b"<html><body><table><tr><td>Name</td></tr><tr><td>Ann</td></tr></table></body></html>"

    error = rejected(write(tmp_path, html, "export.xls"))

    assert error.code == "unknown_format"
    assert "XLSX" in error.message


# -- spreadsheets -----------------------------------------------------------------------------------

SHEET_ROWS: list[list[object]] = [
    ["Клиенти 2024"],
    [],
    ["Фирма", "Телефон", "Рожден ден", "Среща", "Оборот", "Активен", "Бележки"],
    [
        "Алфа ООД",
        359888123456,
        datetime.date(1980, 3, 1),
        datetime.datetime(2024, 5, 6, 14, 30),
        1234.5,
        True,
        None,
    ],
    ["Бета ЕТ", 88812345, datetime.date(1991, 12, 31), datetime.datetime(2024, 5, 7), 0.1, False, "  да  "],
    [],
    [None, None, None, None, 1e20, None, "последен"],
]
SHEET_EXPECTED = [
    (4, ["Алфа ООД", "359888123456", "1980-03-01", "2024-05-06 14:30:00", "1234.5", "true", ""]),
    (5, ["Бета ЕТ", "88812345", "1991-12-31", "2024-05-07", "0.1", "false", "да"]),
    (7, ["", "", "", "", "100000000000000000000", "", "последен"]),
]


def test_xlsx_numbers_dates_and_title_rows(tmp_path):
    path = write_xlsx(tmp_path / "clients.xlsx", {"Клиенти": SHEET_ROWS, "Други": [["A"], ["b"]]})

    info, rows = read_all(path)

    assert info.format == "xlsx"
    assert (info.encoding, info.delimiter) == ("", "")
    assert info.sheets == ["Клиенти", "Други"]
    assert info.sheet == "Клиенти"
    assert info.header_row == 3
    assert info.headers == ["Фирма", "Телефон", "Рожден ден", "Среща", "Оборот", "Активен", "Бележки"]
    assert rows == SHEET_EXPECTED
    assert info.sample == [cells for _number, cells in SHEET_EXPECTED]
    assert info.estimated_rows == 4


def test_xlsx_second_sheet_is_read_when_chosen(tmp_path):
    sheets = {"Summary": [["Total", 3]], "Contacts": [["Name", "Email"], ["Ann", "ann@example.com"]]}
    path = write_xlsx(tmp_path / "book.xlsx", sheets)

    info, rows = read_all(path, sheet="Contacts")

    assert info.sheet == "Contacts"
    assert info.headers == ["Name", "Email"]
    assert rows == [(2, ["Ann", "ann@example.com"])]


def test_first_sheet_with_data_is_the_default(tmp_path):
    path = write_xlsx(tmp_path / "book.xlsx", {"Empty": [], "Data": [["Name"], ["Ann"]]})

    info = inspect(path, filename="book.xlsx")

    assert info.sheet == "Data"


def test_a_cover_sheet_with_only_a_header_is_passed_over_for_the_table(tmp_path):
    sheets = {"About": [["Topic", "Text"]], "Clients": [["Name", "Phone"], ["Ann", "0888 123 456"]]}
    path = write_xlsx(tmp_path / "book.xlsx", sheets)

    info = inspect(path, filename="book.xlsx")

    assert (info.sheet, info.headers) == ("Clients", ["Name", "Phone"])


def test_unknown_sheet_is_rejected_with_the_available_ones(tmp_path):
    path = write_xlsx(tmp_path / "book.xlsx", {"Alpha": [["Name"], ["Ann"]], "Beta": [["x"]]})

    error = rejected(path, sheet="Gamma")

    assert error.code == "bad_sheet"
    assert "“Alpha”, “Beta”" in error.message


def test_xlsx_without_extension_is_read_by_content(tmp_path):
    path = write_xlsx(tmp_path / "book.xlsx", {"S": [["Name"], ["Ann"]]})
    renamed = path.rename(tmp_path / "upload.bin")

    info, rows = read_all(renamed)

    assert info.format == "xlsx"
    assert rows == [(2, ["Ann"])]


def test_xlsx_header_only_is_rejected(tmp_path):
    path = write_xlsx(tmp_path / "book.xlsx", {"S": [["Name", "Email"]]})

    assert rejected(path).code == "no_rows"


def test_xlsx_with_too_many_columns_is_rejected(tmp_path):
    path = write_xlsx(tmp_path / "wide.xlsx", {"S": [[f"C{index}" for index in range(600)], ["x"]]})

    assert rejected(path).code == "too_many_columns"


def test_empty_xlsx_is_rejected(tmp_path):
    path = write_xlsx(tmp_path / "empty.xlsx", {"S": []})

    assert rejected(path).code == "empty_file"


def test_ods_is_read(tmp_path):
    rows = [
        ["Име", "Телефон", "Дата на раждане", "Съгласие"],
        ["Иван", 359888123456, datetime.date(1980, 3, 1), True],
        ["Мария", 0.25, None, False],
    ]
    path = write_ods(tmp_path / "clients.ods", {"Клиенти": rows, "Втори": [["Name"], ["Ann"]]})

    info, read = read_all(path)

    assert info.format == "ods"
    assert info.sheets == ["Клиенти", "Втори"]
    assert info.headers == ["Име", "Телефон", "Дата на раждане", "Съгласие"]
    assert read == [(2, ["Иван", "359888123456", "1980-03-01", "true"]), (3, ["Мария", "0.25", "", "false"])]


def test_ods_second_sheet(tmp_path):
    path = write_ods(tmp_path / "clients.ods", {"A": [["x"], ["y"]], "Втори": [["Name"], ["Ann"]]})

    _info, rows = read_all(path, sheet="Втори")

    assert rows == [(2, ["Ann"])]


def test_xls_is_read(tmp_path):
    pytest.importorskip("xlwt")
    sheets = {
        "Лист1": [["Cover"]],
        "Клиенти": [
            ["Фирма", "Телефон", "Рожден ден"],
            ["Алфа ООД", 359888123456, datetime.date(1980, 3, 1)],
            ["Бета", 12.25, None],
        ],
    }
    path = write_xls(tmp_path / "clients.xls", sheets)

    info, rows = read_all(path, sheet="Клиенти")

    assert info.format == "xls"
    assert info.sheets == ["Лист1", "Клиенти"]
    assert rows == [(2, ["Алфа ООД", "359888123456", "1980-03-01"]), (3, ["Бета", "12.25", ""])]


def test_spreadsheet_resume_with_after(tmp_path):
    path = write_xlsx(tmp_path / "clients.xlsx", {"S": SHEET_ROWS})
    info = inspect(path, filename="clients.xlsx")

    assert list(iter_rows(path, info, after=4)) == SHEET_EXPECTED[1:]


def test_truncated_xlsx_is_rejected(tmp_path):
    data = write_xlsx(tmp_path / "ok.xlsx", {"S": SHEET_ROWS}).read_bytes()

    error = rejected(write(tmp_path, data[: len(data) // 2], "broken.xlsx"))

    assert error.code == "unknown_format"


def test_xlsx_with_a_garbage_sheet_is_rejected(tmp_path):
    source = write_xlsx(tmp_path / "ok.xlsx", {"S": SHEET_ROWS})
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(broken, "w") as copy:
        for item in original.infolist():
            content = original.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = b"<worksheet><sheetData><row><c r='A1' t='s'><v>99</v></c></row><oops"
            copy.writestr(item, content)

    assert rejected(broken).code == "unknown_format"


def test_a_stray_cell_at_the_last_excel_cell_is_rejected_not_fatal(tmp_path):
    # calamine would allocate the dense grid (hundreds of GB) and abort the whole process.
    path = tmp_path / "far.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("S")
    sheet.write(0, 0, "Name")
    sheet.write(1, 0, "Ann")
    sheet.write(1_048_575, 16_383, "stray")
    workbook.close()

    error = rejected(path)

    assert error.code == "too_large"
    assert "CSV" in error.message


def test_ods_repeating_a_cell_billions_of_times_is_rejected(tmp_path):
    path = write_ods(tmp_path / "bomb.ods", {"S": [["Name"], ["Ann"]]})
    with zipfile.ZipFile(path) as archive:
        content = archive.read("content.xml").decode()
    bomb = (
        '<table:table-row table:number-rows-repeated="1000000">'
        '<table:table-cell table:number-columns-repeated="16000" office:value-type="string">'
        "<text:p>x</text:p></table:table-cell></table:table-row></table:table>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content.replace("</table:table>", bomb))

    assert rejected(path).code in {"too_large", "unknown_format"}


def test_ole2_garbage_named_xls_is_rejected(tmp_path):
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(random.Random(1).randrange(256) for _ in range(5000))

    assert rejected(write(tmp_path, data, "old.xls")).code == "unknown_format"


@pytest.mark.parametrize("seed", range(6))
def test_damaged_spreadsheets_never_crash(tmp_path, seed):
    generator = random.Random(seed)
    builders = [
        lambda: write_xlsx(tmp_path / "s.xlsx", {"S": SHEET_ROWS}),
        lambda: write_ods(tmp_path / "s.ods", {"S": SHEET_ROWS}),
    ]
    data = bytearray(builders[seed % 2]().read_bytes())
    for _ in range(20):
        data[generator.randrange(len(data))] = generator.randrange(256)
    path = write(tmp_path, bytes(data), "damaged.bin")

    try:
        info = inspect(path, filename="damaged.xlsx")
        list(iter_rows(path, info))
    except FileRejected as error:
        assert error.code in {"unknown_format", "not_a_table", "empty_file", "no_rows", "too_many_columns"}


# -- cell values ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (359888123456.0, "359888123456"),
        (1.5e20, "150000000000000000000"),
        (12.25, "12.25"),
        (0.1 + 0.2, "0.3"),
        (1e-05, "0.00001"),
        (-3.0, "-3"),
        (42, "42"),
        (float("nan"), ""),
        (datetime.date(2024, 3, 1), "2024-03-01"),
        (datetime.datetime(2024, 3, 1), "2024-03-01"),
        (datetime.datetime(2024, 3, 1, 9, 5), "2024-03-01 09:05:00"),
        (datetime.time(9, 5), "09:05:00"),
        ("  text  ", "text"),
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text
