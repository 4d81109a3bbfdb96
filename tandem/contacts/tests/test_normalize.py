import pytest

from tandem.contacts.normalize import company_name_key, email_key, split_legal_form


@pytest.mark.parametrize(
    ("typed", "name", "form"),
    [
        ('"Север" ЕООД', "Север", "ЕООД"),
        ("„Север“ ЕООД", "Север", "ЕООД"),
        ('ООО "Север"', "Север", "ООО"),
        ("ООО «Север»", "Север", "ООО"),
        ("АО «Северсталь Трейд»", "Северсталь Трейд", "АО"),
        ("ИП Иванов", "Иванов", "ИП"),
        ("Балкан Трейд ООД", "Балкан Трейд", "ООД"),
        ("ET Petrov", "Petrov", "ET"),
        ("Acme Ltd.", "Acme", "Ltd."),
        ("Acme, LLC", "Acme", "LLC"),
        ("Müller GmbH", "Müller", "GmbH"),
        ("'Acme' Inc", "Acme", "Inc"),
        ("Acme", "Acme", ""),
        ("ООД", "ООД", ""),
        ("  Two   Spaces  ", "Two Spaces", ""),
    ],
)
def test_split_legal_form_takes_the_form_from_either_end_and_drops_quotes(typed, name, form):
    assert split_legal_form(typed) == (name, form)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ('"АКМЕ" ООД', "Акме"),
        ("ООО «Север»", "север"),
        ('"Север" ЕООД', "ООО Север"),
        ("ACME LTD", "Acme Ltd."),
        ("Acme, Inc.", "acme"),
        ("Балкан  Трейд", "балкан трейд"),
    ],
)
def test_company_name_key_matches_names_as_people_write_them(first, second):
    assert company_name_key(first) == company_name_key(second)


def test_company_name_key_values():
    assert company_name_key('"АКМЕ Трейд" ООД') == "акме трейд"
    assert company_name_key("ACME, Ltd.") == "acme"
    assert company_name_key("Ёлка") == "ёлка"


def test_company_name_key_keeps_cyrillic_and_latin_apart():
    # "Акме" in Cyrillic and "Akme" in Latin are different names; no transliteration guesses.
    assert company_name_key("Акме") != company_name_key("Akme")


def test_company_name_key_differs_for_different_names():
    assert company_name_key("Север ООД") != company_name_key("Юг ООД")


def test_email_key_trims_and_folds_case():
    assert email_key("  Ivan.Petrov@Example.BG ") == "ivan.petrov@example.bg"
