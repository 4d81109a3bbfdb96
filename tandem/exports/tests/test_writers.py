"""The writers: formula neutralisation, the CSV's encoding, and XLSX cells that stay plain values."""

from __future__ import annotations

import datetime
import zipfile
from decimal import Decimal

import pytest
from python_calamine import CalamineWorkbook

from tandem.exports.writers import XLSX_MAX_ROWS, TooManyRowsForExcel, XlsxWriter, csv_stream, neutralise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1:A2)", "'+SUM(A1:A2)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-", "'-"),
        ("+359 88 812 3456", "+359 88 812 3456"),
        ("+359 88 812 3456; +359 2 981 2345", "+359 88 812 3456; +359 2 981 2345"),
        ("+7 (495) 123-45-67 ext. 12", "+7 (495) 123-45-67 ext. 12"),
        ("-5", "-5"),
        ("-12.50", "-12.50"),
        ("Acme", "Acme"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_evaluate_are_neutralised_but_numbers_and_phones_are_not(
    text, expected
):
    assert neutralise(text) == expected


def test_the_csv_starts_with_a_byte_order_mark_and_formats_values_plainly(settings):
    moment = datetime.datetime(2025, 3, 14, 10, 30, tzinfo=datetime.UTC)  # 12:30 in Sofia
    chunks = [[["Иван", 5, Decimal("12.50")]], [[None, datetime.date(2025, 1, 2), moment]]]

    data = b"".join(csv_stream(["Name", "Count", "Amount"], chunks))

    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == "Name,Count,Amount\r\nИван,5,12.50\r\n,2025-01-02,2025-03-14 12:30\r\n"


def test_xlsx_cells_are_strings_numbers_and_dates_never_formulas(tmp_path):
    path = tmp_path / "out.xlsx"
    writer = XlsxWriter(path, sheet="Contacts", widths=[10, 10, 10, 10])
    writer.header(["Text", "Number", "Date", "Link"])
    writer.write([["=1+1", Decimal("12.50"), datetime.date(2025, 1, 2), "http://example.com"]])
    writer.write([["+SUM(A1)", 3, None, ""]])
    writer.close()

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Contacts").to_python()
    assert rows[0] == ["Text", "Number", "Date", "Link"]
    assert rows[1] == ["=1+1", 12.5, datetime.date(2025, 1, 2), "http://example.com"]
    assert rows[2][:2] == ["+SUM(A1)", 3]
    sheet_xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<hyperlink" not in sheet_xml
    assert '<pane ySplit="1"' in sheet_xml  # the header row stays in view


def test_an_xlsx_refuses_more_rows_than_a_sheet_holds(tmp_path, monkeypatch):
    monkeypatch.setattr("tandem.exports.writers.XLSX_MAX_ROWS", 3)
    writer = XlsxWriter(tmp_path / "big.xlsx", sheet="Deals", widths=[10])
    writer.header(["Title"])
    writer.write([["one"], ["two"]])
    with pytest.raises(TooManyRowsForExcel):
        writer.write([["three"]])
    writer.close()
    assert XLSX_MAX_ROWS == 1_048_576
