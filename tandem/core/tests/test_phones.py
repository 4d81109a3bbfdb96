import os
import subprocess
import sys

import pytest

from tandem.core.phones import InvalidPhone, ParsedPhone, parse_phone, phone_query_digits, split_phones


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("0888 123 456", "+359888123456"),
        ("0888123456", "+359888123456"),
        ("088 812 3456", "+359888123456"),
        ("+359 88 812 3456", "+359888123456"),
        ("+359888123456", "+359888123456"),
        ("00359 888 123 456", "+359888123456"),
        ("00359888123456", "+359888123456"),
        ("02 987 65 43", "+35929876543"),
        ("02/987 65 43", "+35929876543"),
        ("(02) 987 65 43", "+35929876543"),
        ("032 123 456", "+35932123456"),
        ("+7 916 123-45-67", "+79161234567"),
        ("007 916 123 45 67", "+79161234567"),
        ("+44 20 7946 0123", "+442079460123"),
    ],
)
def test_parse_phone_turns_national_international_and_00_formats_into_e164(settings, typed, e164):
    settings.PHONE_REGION = "BG"

    parsed = parse_phone(typed)

    assert parsed == ParsedPhone(raw=typed, e164=e164, extension="")


def test_parse_phone_uses_the_given_region_for_national_numbers():
    assert parse_phone("8 (916) 123-45-67", "RU").e164 == "+79161234567"
    assert parse_phone("020 7946 0123", "GB").e164 == "+442079460123"


def test_parse_phone_uses_the_configured_region_by_default(settings):
    settings.PHONE_REGION = "RU"

    assert parse_phone("8 916 123 45 67").e164 == "+79161234567"


@pytest.mark.parametrize(
    ("typed", "e164", "extension"),
    [
        ("02 987 65 43 ext. 12", "+35929876543", "12"),
        ("02 987 65 43 ext 12", "+35929876543", "12"),
        ("02 987 65 43 доб. 12", "+35929876543", "12"),
        ("02 987 65 43 вътр. 305", "+35929876543", "305"),
        ("+44 20 7946 0123 x 7", "+442079460123", "7"),
        ("0888 123 456 #7", "+359888123456", "7"),
    ],
)
def test_parse_phone_keeps_the_extension_apart(typed, e164, extension):
    parsed = parse_phone(typed, "BG")

    assert (parsed.e164, parsed.extension, parsed.raw) == (e164, extension, typed)


@pytest.mark.parametrize(
    "typed",
    [
        "0888 123 456 (моб.)",
        "тел: 0888 123 456",
        "моб. 0888 123 456",
        "tel. +359888123456",
        "0888123456 (Ivan)",
    ],
)
def test_parse_phone_ignores_notes_around_the_number(typed):
    parsed = parse_phone(typed, "BG")

    assert (parsed.e164, parsed.extension) == ("+359888123456", "")


def test_parse_phone_keeps_the_raw_text_trimmed():
    assert parse_phone("  0888 123 456 \n", "BG").raw == "0888 123 456"


@pytest.mark.parametrize(
    "typed",
    ["", "abc", "123", "0888", "0888 123 45", "+359 1234", "+1 000 000 0000", "8 916 123 45 67 89 00"],
)
def test_parse_phone_refuses_what_is_not_a_real_number(typed):
    with pytest.raises(InvalidPhone) as raised:
        parse_phone(typed, "BG")

    assert raised.value.raw == typed


def test_parse_phone_does_not_read_a_russian_trunk_8_as_a_bulgarian_number():
    with pytest.raises(InvalidPhone):
        parse_phone("8 916 123 45 67", "BG")


def test_parsed_phone_displays_internationally_with_its_extension():
    assert parse_phone("02 987 65 43 доб. 12", "BG").display() == "+359 2 987 6543 ext. 12"
    assert parse_phone("0888 123 456", "BG").display() == "+359 88 812 3456"


def test_search_tokens_hold_e164_national_and_bare_digits():
    assert parse_phone("0888 123 456", "BG").search_tokens() == ["359888123456", "0888123456", "888123456"]
    # Russia dials 8 before the national number, not 0.
    assert parse_phone("+7 916 123 45 67").search_tokens() == ["79161234567", "89161234567", "9161234567"]


@pytest.mark.parametrize(
    ("cell", "pieces"),
    [
        ("0888 123 456, 0899 111 222", ["0888 123 456", "0899 111 222"]),
        ("0888 123 456; 0899 111 222", ["0888 123 456", "0899 111 222"]),
        ("0888 123 456 / 0899 111 222", ["0888 123 456", "0899 111 222"]),
        ("0888123456/0899111222", ["0888123456", "0899111222"]),
        ("0888 123 456\n0899 111 222\r\n02 987 65 43", ["0888 123 456", "0899 111 222", "02 987 65 43"]),
        ("0888 123 456 | 0899 111 222", ["0888 123 456", "0899 111 222"]),
        ("0888 123 456    0899 111 222", ["0888 123 456", "0899 111 222"]),
        ("02/987 65 43", ["02/987 65 43"]),
        ("0888 123 456, 02/987 65 43 (office)", ["0888 123 456", "02/987 65 43 (office)"]),
        ("0888 123 456, , ;", ["0888 123 456"]),
        ("", []),
        ("n/a", []),
    ],
)
def test_split_phones_cuts_a_cell_into_numbers(cell, pieces):
    assert split_phones(cell) == pieces


@pytest.mark.parametrize(
    ("query", "digits"),
    [
        ("0888 123 456", ["359888123456"]),
        ("+359 888 123 456", ["359888123456"]),
        ("00359 888 123 456", ["359888123456"]),
        ("888123456", ["359888123456"]),
        ("0888", ["0888"]),
        ("0888 12", ["088812"]),
        ("+3598", ["3598"]),
        ("00359 88", ["35988"]),
        ("(02) 987", ["02987"]),
        ("8 916 123 45 67", ["89161234567"]),
    ],
)
def test_phone_query_digits_gives_prefixes_for_full_and_partial_numbers(settings, query, digits):
    settings.PHONE_REGION = "BG"

    assert phone_query_digits(query) == digits


@pytest.mark.parametrize("query", ["", "  ", "12", "+3", "ivan", "0888 ivan", "ООД 123"])
def test_phone_query_digits_is_empty_for_text_and_too_short_input(query):
    assert phone_query_digits(query) == []


def test_country_names_come_without_loading_the_geocoder_data_into_the_process():
    code = (
        "import sys, django; django.setup(); import tandem.urls; "
        "from tandem.core.phones import country_names; "
        "assert country_names()['BG']['bg'] == 'България'; "
        "assert 'phonenumbers.geodata' not in sys.modules, 'geodata imported'"
    )
    env = {"DJANGO_SETTINGS_MODULE": "tandem.settings_test", "PATH": "/usr/bin:/bin"}
    env.update({key: value for key, value in os.environ.items() if key.startswith(("TANDEM_", "DATABASE_"))})
    command = [sys.executable, "-c", code]
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)

    assert result.returncode == 0, result.stderr[-2000:]
