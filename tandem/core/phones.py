"""Phone numbers: parse what people type into E.164, never invent a number.

A cell may hold several numbers ("0888 123 456, 02/987 65 43 (office)"); `split_phones` cuts it,
`parse_phone` normalises one piece against a default region and reports it as invalid otherwise.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers
from django.conf import settings

_SEPARATORS = re.compile(r"[,;\n|]+|\s{3,}")
_SLASH = re.compile(r"\s*/\s*")
# "02/987 65 43" writes an area code before the slash; only split on "/" between whole numbers.
_MIN_DIGITS_OF_A_NUMBER = 6
_EXTENSION = re.compile(r"(?:ext\.?|доб\.?|вътр\.?|x|#)\s*(\d{1,6})\s*$", re.IGNORECASE)
_NOTE = re.compile(r"\((?![\d\s+-]+\))[^)]*\)|(?:тел|моб|tel|phone|mob|факс|fax)[.:]*", re.IGNORECASE)
_DIGITS = re.compile(r"\D+")


@dataclass(frozen=True)
class ParsedPhone:
    raw: str
    e164: str
    extension: str
    tokens: tuple[str, ...] = field(default=(), compare=False)  # search_tokens(e164), when parsed here

    @property
    def national_digits(self) -> str:
        """The national significant number, e.g. 888123456 for +359888123456."""
        number = phonenumbers.parse(self.e164)
        return str(phonenumbers.national_significant_number(number))

    def search_tokens(self) -> list[str]:
        return list(search_tokens(self.e164))

    def display(self) -> str:
        return display_phone(self.e164, self.extension)


_TOKENS: dict[str, tuple[str, ...]] = {}
_TOKENS_KEPT = 100_000
# What national dialling puts before the significant number ("0" in BG, "8" in RU, "" in the US), per
# country and number pattern (its first digits and length): formatting is the slow part of indexing.
_TRUNK: dict[tuple[int, str, int], str | None] = {}


def _national_digits(number: phonenumbers.PhoneNumber, nsn: str) -> str:
    key = (number.country_code or 0, nsn[:3], len(nsn))
    trunk = _TRUNK.get(key, "?")
    if trunk == "?":
        national = _DIGITS.sub(
            "", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        )
        trunk = national[: -len(nsn)] if national.endswith(nsn) else None
        if len(_TRUNK) < 10_000:
            _TRUNK[key] = trunk
        return national
    if trunk is None:
        return _DIGITS.sub("", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))
    return trunk + nsn


def _tokens(number: phonenumbers.PhoneNumber, e164: str) -> tuple[str, ...]:
    nsn = str(phonenumbers.national_significant_number(number))
    tokens = tuple(dict.fromkeys([e164.lstrip("+"), _national_digits(number, nsn), nsn]))
    if len(_TOKENS) >= _TOKENS_KEPT:
        _TOKENS.clear()
    _TOKENS[e164] = tokens
    return tokens


def search_tokens(e164: str) -> tuple[str, ...]:
    """Digit strings under which a number is found: E.164, as dialled nationally, and bare NSN.

    The national form carries the country's own trunk prefix (0 in BG/GB, 8 in RU). `parse_phone`
    leaves them in a bounded cache, so indexing a number just parsed (an import) parses it once.
    """
    tokens = _TOKENS.get(e164)
    return tokens if tokens is not None else _tokens(phonenumbers.parse(e164), e164)


@functools.lru_cache(maxsize=65536)
def display_phone(e164: str, extension: str = "") -> str:
    """+359 88 812 3456 for +359888123456; cached because every list row shows phones."""
    number = phonenumbers.parse(e164)
    text = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return f"{text} ext. {extension}" if extension else text


class InvalidPhone(ValueError):
    def __init__(self, raw: str):
        super().__init__(raw)
        self.raw = raw


def default_region() -> str:
    return str(settings.PHONE_REGION)


def parse_phone(raw: str, region: str | None = None) -> ParsedPhone:
    """Parse one number typed in any common format; raise InvalidPhone when it is not a real number."""
    text = raw.strip()
    extension = ""
    match = _EXTENSION.search(text)
    if match:
        extension = match.group(1)
        text = text[: match.start()]
    text = _NOTE.sub(" ", text).strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region or default_region())
    except phonenumbers.NumberParseException as error:
        raise InvalidPhone(raw) from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(raw)
    if number.extension and not extension:
        extension = str(number.extension)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    tokens = _TOKENS.get(e164) or _tokens(number, e164)
    return ParsedPhone(raw=raw.strip(), e164=e164, extension=extension, tokens=tokens)


def remember_search_tokens(phone: ParsedPhone) -> None:
    """Keep the search tokens of a number parsed in another process (an import's file reader)."""
    if phone.tokens and phone.e164 not in _TOKENS:
        if len(_TOKENS) >= _TOKENS_KEPT:
            _TOKENS.clear()
        _TOKENS[phone.e164] = phone.tokens


def split_phones(cell: str) -> list[str]:
    """Cut a cell holding several numbers into the pieces that each look like one number."""
    pieces: list[str] = []
    for piece in _SEPARATORS.split(cell or ""):
        parts = _SLASH.split(piece)
        if len(parts) > 1 and all(len(_DIGITS.sub("", part)) >= _MIN_DIGITS_OF_A_NUMBER for part in parts):
            pieces += parts
        else:
            pieces.append(piece)
    return [piece.strip() for piece in pieces if _DIGITS.sub("", piece)]


def phone_query_digits(query: str, region: str | None = None) -> list[str]:
    """Digit prefixes to search for when `query` looks like (part of) a phone number, else []."""
    stripped = query.strip()
    if not stripped or not re.fullmatch(r"[\d\s()+\-./]+", stripped):
        return []
    digits = _DIGITS.sub("", stripped)
    if len(digits) < 3:
        return []
    if stripped.startswith("+"):
        return [digits]
    if digits.startswith("00"):
        return [digits[2:]]
    try:
        parsed = parse_phone(stripped, region)
    except InvalidPhone:
        return [digits]
    return [parsed.e164.lstrip("+")]


@functools.cache
def country_names() -> dict[str, dict[str, str]]:
    """The country names phonenumbers ships, per ISO code then language ("*xx": as language xx).

    Read from its `geodata/locale.py` alone: importing `phonenumbers.geodata` runs the package's
    `__init__`, which loads every per-prefix place name (~130 MB, for a geocoder Tandem does not use)
    into each web worker that opens the import wizard's region list.
    """
    path = Path(phonenumbers.__file__).parent / "geodata" / "locale.py"
    spec = importlib.util.spec_from_file_location("phonenumbers.geodata.locale", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    names: dict[str, dict[str, str]] = module.LOCALE_DATA
    return names
