"""Header auto-mapping: synonyms in English, Bulgarian and Russian, and other CRMs' export headers."""

from __future__ import annotations

import pytest

from tandem.imports.columns import SYNONYMS, _words, auto_map, header_known, match
from tandem.imports.fields import FIELD_KEYS

EXPECTED = {
    "company.name": [
        "Фирма", "Организация", "Компания", "Company", "Наименование", "Име на фирмата", "Company Name",
        "Organization", "Название компании", "Контрагент", "Account Name",
    ],
    "company.tax_id": [
        "ЕИК", "БУЛСТАТ", "ЕИК/БУЛСТАТ", "ИНН", "VAT", "ДДС номер", "ИН по ДДС", "Tax ID", "ДДС №",
        "VAT number",
    ],
    "contact.full_name": [
        "Контактно лице", "Контактное лицо", "ФИО", "Ф.И.О.", "Име и фамилия", "Full name", "Name", "МОЛ",
        "Лице за контакт",
    ],
    "contact.first_name": ["Име", "Имя", "First name", "Given Name", "first_name", "FirstName"],
    "contact.middle_name": ["Презиме", "Отчество", "Middle Name", "Additional Name"],
    "contact.last_name": ["Фамилия", "Last name", "Surname", "Family Name"],
    "contact.phones": [
        "Телефон", "Тел.", "Тел", "GSM", "Мобилен", "Моб.", "Мобильный", "Phone", "Mobile", "Телефон 2",
        "Телефон (моб.)", "Mobile Phone", "Business Phone", "Home Phone 2", "Рабочий телефон",
        "Домашний телефон", "Мобилен телефон", "Тел./факс", "Phone Number",
    ],
    "contact.emails": [
        "Email", "E-mail", "Имейл", "Ел. поща", "Эл. почта", "Электронная почта", "Email 1", "E-mail Address",
        "E-mail 2 Address", "Рабочий e-mail", "Частный e-mail", "  e-MAIL  ", "«Email»",
        "Е-mail",  # starts with a Cyrillic Е
    ],
    "contact.position": ["Длъжност", "Должность", "Position", "Job title", "Title", "Job Title"],
    "contact.role": ["Роля", "Роль", "Role"],
    "company.address": ["Адрес", "Address", "Юридический адрес", "Адрес на управление"],
    "company.delivery_address": ["Адрес за доставка", "Фактический адрес", "Shipping address"],
    "company.website": ["Сайт", "Уебсайт", "Website", "URL", "Web Page", "Корпоративный сайт", "Уеб сайт"],
    "contact.notes": ["Бележки", "Забележка", "Примечание", "Комментарий", "Notes", "Comment", "Description"],
    "company.category": ["Категория", "Category", "Категория клиента"],
    "company.industry": ["Отрасъл", "Бранш", "Отрасль", "Industry", "Сфера на дейност"],
    "channel": ["Източник", "Источник", "Канал", "Source", "Channel", "Lead Source"],
    "tags": ["Тагове", "Етикети", "Теги", "Метки", "Tags", "Labels"],
    "contact.birthday": ["Рожден ден", "Дата на раждане", "День рождения", "Дата рождения", "Birthday"],
    "owner": ["Отговорник", "Собственик", "Ответственный", "Менеджер", "Owner", "Manager", "Contact owner"],
    "company.legal_form": ["Правна форма", "Организационно-правовая форма", "Legal form", "ОПФ"],
    "company.phones": ["Телефон фирма", "Телефон на фирмата", "Company phone", "Фирмен телефон"],
    "company.emails": ["Email фирма", "Company email", "Имейл на фирмата"],
    "company.needs": ["Нужди", "Нужды", "Needs"],
    "contact.interests": ["Интереси", "Интересы", "Interests"],
    "contact.marketing_consent": ["Съгласие за маркетинг", "Согласие на рассылку", "Marketing consent"],
}  # fmt: skip

CASES = [(header, key) for key, headers in EXPECTED.items() for header in headers]


@pytest.mark.parametrize(("header", "key"), CASES)
def test_known_header_maps_to_its_field(header, key):
    assert match(header) == key
    assert header_known(header)


@pytest.mark.parametrize(
    "header",
    [
        "", "   ", "ID", "№", "Клиенти 2024", "Дата на създаване", "Бюджет", "Город", "Номер факса",
        "E-mail Display Name", "Phone 1 - Type", "Deal - Title", "Сделка - Название", "КПП", "x", "123",
    ],
)  # fmt: skip
def test_unknown_header_maps_to_nothing(header):
    assert match(header) is None
    assert not header_known(header)


@pytest.mark.parametrize(
    ("header", "key"),
    [
        # Pipedrive
        ("Organization - Name", "company.name"),
        ("Organization - Address", "company.address"),
        ("Person - Name", "contact.full_name"),
        ("Person - Organization", "company.name"),
        ("Person - Phone - Work", "contact.phones"),
        ("Person - Email - Home", "contact.emails"),
        ("Person - Labels", "tags"),
        ("Person - Owner", "owner"),
        ("Organization - Phone", "company.phones"),
        # Google contacts
        ("Phone 1 - Value", "contact.phones"),
        ("E-mail 1 - Value", "contact.emails"),
        ("Organization 1 - Name", "company.name"),
        ("Organization 1 - Title", "contact.position"),
        ("Address 1 - Formatted", "company.address"),
        # amoCRM / Bitrix24: the note in parentheses names the record
        ("Рабочий телефон (контакт)", "contact.phones"),
        ("Рабочий телефон (компания)", "company.phones"),
        ("Email (фирма)", "company.emails"),
        ("Примечание (компания)", "company.notes"),
        ("Название (компания)", "company.name"),
        ("Должность (контакт)", "contact.position"),
        ("Полное имя контакта", "contact.full_name"),
        # HubSpot / Zoho / Outlook
        ("Contact owner", "owner"),
        ("Lead Source", "channel"),
        ("Designation", "contact.position"),
        ("Web Page", "company.website"),
        ("Date of Birth", "contact.birthday"),
    ],
)
def test_other_crms_export_headers(header, key):
    assert match(header) == key


def test_auto_map_gives_a_single_value_field_to_the_first_column_only():
    headers = ["Фирма", "Организация", "Име", "Имя", "Фамилия", "Бележки", "Notes"]

    assert auto_map(headers) == [
        "company.name", None, "contact.first_name", None, "contact.last_name", "contact.notes", None,
    ]  # fmt: skip


def test_auto_map_gives_multi_value_fields_to_every_column():
    headers = ["Телефон", "Телефон 2", "GSM", "Email", "E-mail 2", "Тагове", "Етикети", "Company phone"]

    assert auto_map(headers) == [
        "contact.phones", "contact.phones", "contact.phones", "contact.emails", "contact.emails",
        "tags", "tags", "company.phones",
    ]  # fmt: skip


def test_auto_map_of_a_bulgarian_export():
    headers = ["№", "Фирма", "ЕИК", "МОЛ", "Телефон", "Ел. поща", "Адрес", "Град", "Бележки", ""]

    assert auto_map(headers) == [
        None, "company.name", "company.tax_id", "contact.full_name", "contact.phones", "contact.emails",
        "company.address", None, "contact.notes", None,
    ]  # fmt: skip


def test_auto_map_of_a_bitrix24_contact_export():
    headers = [
        "ID", "Обращение", "Имя", "Отчество", "Фамилия", "Дата рождения", "Должность", "Компания",
        "Рабочий телефон", "Мобильный телефон", "Рабочий e-mail", "Корпоративный сайт", "Источник",
        "Ответственный", "Комментарий",
    ]  # fmt: skip

    assert auto_map(headers) == [
        None, None, "contact.first_name", "contact.middle_name", "contact.last_name", "contact.birthday",
        "contact.position", "company.name", "contact.phones", "contact.phones", "contact.emails",
        "company.website", "channel", "owner", "contact.notes",
    ]  # fmt: skip


def test_auto_map_of_an_outlook_export():
    headers = [
        "Title", "First Name", "Middle Name", "Last Name", "Company", "Job Title", "Business Phone",
        "Mobile Phone", "E-mail Address", "E-mail Display Name", "E-mail 2 Address", "Notes", "Birthday",
    ]  # fmt: skip

    # Outlook's "Title" is Mr./Mrs.: it yields the position to "Job Title".
    assert auto_map(headers) == [
        None, "contact.first_name", "contact.middle_name", "contact.last_name", "company.name",
        "contact.position", "contact.phones", "contact.phones", "contact.emails", None, "contact.emails",
        "contact.notes", "contact.birthday",
    ]  # fmt: skip


def test_a_vague_header_yields_its_field_to_a_precise_one_but_keeps_it_when_alone():
    assert auto_map(["Title", "Job title"]) == [None, "contact.position"]
    assert auto_map(["Title", "Name"]) == ["contact.position", "contact.full_name"]


def test_every_synonym_names_an_existing_field_and_only_one():
    seen: dict[str, str] = {}
    for key, synonyms in SYNONYMS.items():
        assert key in FIELD_KEYS
        for synonym in synonyms.split("|"):
            normalised = "".join(_words(synonym))
            assert normalised, synonym
            assert seen.setdefault(normalised, key) == key, f"{synonym} maps to {seen[normalised]} and {key}"
            assert match(synonym) == key, synonym
