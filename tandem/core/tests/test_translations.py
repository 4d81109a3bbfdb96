"""The Bulgarian and Russian catalogs are complete, compiled, and used at run time.

The .po files are parsed here with a small reader of our own (polib is not a dependency); the .mo
files are read with the standard library's gettext, so a catalog edited but not compiled fails.
"""

from __future__ import annotations

import ast
import gettext
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale"
PACKAGE_DIR = LOCALE_DIR.parent
LANGUAGES = {"bg": 2, "ru": 3}  # language -> nplurals
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%|%[sd]|\{\w*\}|</?[a-z]+>")


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


def _unquote(text: str) -> str:
    # PO strings are C-style quoted; for the escapes gettext writes (\" \\ \n \t) Python agrees.
    value = ast.literal_eval(text)
    assert isinstance(value, str)
    return value


def parse_po(path: Path) -> list[Entry]:
    """Entries of a .po file, the header (msgid "") first; obsolete (#~) entries are skipped."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None  # which string continuation lines extend
    flags: set[str] = set()

    def finish() -> None:
        nonlocal current, flags
        if current is not None:
            entries.append(current)
        current, flags = None, set()

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if current is not None and current.msgstr:
                finish()
            continue
        if line.startswith("#,"):
            if current is not None and current.msgstr:
                finish()
            flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            if current is not None and current.msgstr:
                finish()
            continue
        keyword, _space, rest = line.partition(" ")
        if keyword == "msgctxt" or (keyword == "msgid" and (current is None or current.msgstr)):
            if current is not None and current.msgstr:
                finish()
            current = Entry(flags=flags, line=number)
        assert current is not None, f"{path}:{number}: text outside an entry"
        if line.startswith('"'):
            assert target is not None, f"{path}:{number}: continuation without a keyword"
            name, index = target
            if name == "msgstr":
                current.msgstr[index] += _unquote(line)
            else:
                setattr(current, name, getattr(current, name) + _unquote(line))
            continue
        if keyword == "msgctxt":
            current.msgctxt, target = _unquote(rest), ("msgctxt", 0)
        elif keyword == "msgid":
            current.msgid, target = _unquote(rest), ("msgid", 0)
        elif keyword == "msgid_plural":
            current.msgid_plural, target = _unquote(rest), ("msgid_plural", 0)
        elif keyword == "msgstr":
            current.msgstr[0], target = _unquote(rest), ("msgstr", 0)
        elif (match := re.fullmatch(r"msgstr\[(\d+)\]", keyword)) is not None:
            index = int(match.group(1))
            current.msgstr[index], target = _unquote(rest), ("msgstr", index)
        else:
            raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    finish()
    return entries


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def header_fields(header: Entry) -> dict[str, str]:
    lines = header.msgstr[0].splitlines()
    return {name.strip(): value.strip() for name, _colon, value in (item.partition(":") for item in lines)}


@pytest.fixture(scope="module", params=sorted(LANGUAGES))
def catalog(request: pytest.FixtureRequest) -> tuple[str, Entry, list[Entry]]:
    language = request.param
    entries = parse_po(po_path(language))
    assert entries and entries[0].msgid == "" and entries[0].msgctxt is None, "the header comes first"
    return language, entries[0], entries[1:]


def test_header(catalog: tuple[str, Entry, list[Entry]]) -> None:
    language, header, _entries = catalog
    fields = header_fields(header)
    assert "fuzzy" not in header.flags
    assert fields["Language"] == language
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert f"nplurals={LANGUAGES[language]};" in fields["Plural-Forms"].replace(" ", "")


def test_every_entry_is_translated_and_not_fuzzy(catalog: tuple[str, Entry, list[Entry]]) -> None:
    language, _header, entries = catalog
    assert len(entries) > 300
    fuzzy = [f"line {entry.line}: {entry.msgid!r}" for entry in entries if "fuzzy" in entry.flags]
    untranslated = []
    for entry in entries:
        expected = range(LANGUAGES[language]) if entry.msgid_plural is not None else range(1)
        if sorted(entry.msgstr) != list(expected) or not all(entry.msgstr.values()):
            untranslated.append(f"line {entry.line}: {entry.msgid!r}")
    assert not fuzzy, f"fuzzy entries in {language}: {fuzzy}"
    assert not untranslated, f"untranslated entries in {language}: {untranslated}"
    keys = [entry.key for entry in entries]
    assert len(keys) == len(set(keys)), "duplicate msgids"


def test_placeholders_and_markup_are_kept(catalog: tuple[str, Entry, list[Entry]]) -> None:
    language, _header, entries = catalog
    wrong = []
    for entry in entries:
        sources = {entry.msgid, entry.msgid_plural or entry.msgid}
        allowed = [sorted(PLACEHOLDER.findall(source)) for source in sources]
        for text in entry.msgstr.values():
            if sorted(PLACEHOLDER.findall(text)) not in allowed:
                wrong.append((entry.msgid, text))
    assert not wrong, f"{language}: placeholders differ: {wrong}"


def test_compiled_catalog_matches_the_po_file(catalog: tuple[str, Entry, list[Entry]]) -> None:
    """Every .po entry is in the .mo with the same text: the .mo was compiled after the last edit."""
    language, header, entries = catalog
    with (po_path(language).with_suffix(".mo")).open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    table: dict[object, str] = compiled._catalog  # type: ignore[attr-defined]
    stale = []
    for entry in entries:
        msgid = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            if table.get(msgid) != entry.msgstr[0]:
                stale.append(entry.msgid)
        elif any(table.get((msgid, index)) != text for index, text in entry.msgstr.items()):
            stale.append(entry.msgid)
    assert not stale, f"{language}: the .mo is older than the .po; run compilemessages: {stale}"
    assert compiled.info()["plural-forms"] == header_fields(header)["Plural-Forms"]


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_catalogs_hold_every_marked_string(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """makemessages on a copy of the sources finds no msgid that the catalogs lack, nor one they keep for
    nothing: a string marked for translation but not yet translated fails here."""
    source = tmp_path / "tandem"
    shutil.copytree(
        PACKAGE_DIR,
        source,
        ignore=shutil.ignore_patterns("static", "tests", "locale", "__pycache__", "*.pyc", "*.mo", "*.po"),
    )
    (source / "locale").mkdir()
    monkeypatch.chdir(source)
    with override_settings(LOCALE_PATHS=[]):
        call_command(
            "makemessages",
            locale=["bg"],
            extensions=["html", "py", "txt"],
            ignore_patterns=["static/*", "tests/*"],
            no_obsolete=True,
            keep_pot=True,
            verbosity=0,
        )
    extracted = {entry.key for entry in parse_po(source / "locale" / "django.pot")[1:]}
    for language in LANGUAGES:
        present = {entry.key for entry in parse_po(po_path(language))[1:]}
        assert not extracted - present, f"{language} lacks (run `make messages` and translate): " + repr(
            sorted(extracted - present, key=str)
        )
        assert not present - extracted, f"{language} keeps strings no longer used: {present - extracted}"


@pytest.mark.parametrize(
    ("language", "english", "expected"),
    [
        ("bg", "Contacts", "Контакти"),
        ("ru", "Contacts", "Контакты"),
        ("bg", "Companies", "Компании"),
        ("ru", "Tax id", "ИНН"),
        ("bg", "Tax id", "ЕИК/БУЛСТАТ"),
        ("bg", "Head of sales", "Ръководител продажби"),
        ("ru", "Sales rep", "Менеджер по продажам"),
        ("ru", "Legal form", "Организационно-правовая форма"),
    ],
)
def test_strings_translate_at_run_time(language: str, english: str, expected: str) -> None:
    with translation.override(language):
        assert translation.gettext(english) == expected


def test_plural_forms_at_run_time() -> None:
    singular, plural = "%(count)d record moved to trash.", "%(count)d records moved to trash."
    with translation.override("ru"):
        forms = {n: translation.ngettext(singular, plural, n) % {"count": n} for n in (1, 3, 5, 11, 21, 22)}
    assert forms == {
        1: "1 запись перемещена в корзину.",
        3: "3 записи перемещены в корзину.",
        5: "5 записей перемещено в корзину.",
        11: "11 записей перемещено в корзину.",
        21: "21 запись перемещена в корзину.",
        22: "22 записи перемещены в корзину.",
    }
    with translation.override("bg"):
        assert translation.ngettext(singular, plural, 1) % {"count": 1} == "1 запис е преместен в кошчето."
        assert translation.ngettext(singular, plural, 7) % {"count": 7} == "7 записа са преместени в кошчето."


def test_role_labels_translate() -> None:
    from tandem.accounts.roles import Role

    with translation.override("bg"):
        bg = {str(role.label) for role in Role}
    with translation.override("ru"):
        ru = {str(role.label) for role in Role}
    assert bg == {
        "Администратор",
        "Ръководител продажби",
        "Търговски представител",
        "Маркетолог",
        "Само четене",
    }
    assert ru == {
        "Администратор",
        "Руководитель отдела продаж",
        "Менеджер по продажам",
        "Маркетолог",
        "Только чтение",
    }
