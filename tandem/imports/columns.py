"""Guesses which import field each column of a file fills, from its header.

Real files come from Excel sheets typed by hand and from other CRMs' exports (Bitrix24, amoCRM,
Pipedrive, HubSpot, Zoho, Outlook and Google contacts), in English, Bulgarian and Russian. A header
is normalised (case, ё/е, punctuation, "Телефон 2", "Email (work)", look-alike Latin/Cyrillic letters)
and looked up in a synonym table; a prefix such as "Organization - " or a note such as "(компания)"
moves a contact field to the company's one; phone and e-mail columns are also recognised by a word
("Рабочий телефон", "Home Phone"). Anything else stays unmapped: a wrong guess costs the person more
than an empty one.
"""

from __future__ import annotations

import re
import unicodedata

from tandem.imports.fields import BY_KEY

SYNONYMS: dict[str, str] = {
    "company.name": (
        "Фирма | Име на фирмата | Име на фирма | Наименование на фирмата | Наименование | Организация"
        " | Компания | Фирма/Организация | Работодател | Название | Название компании | Название организации"
        " | Наименование организации | Наименование компании | Контрагент | Место работы"
        " | Company | Company name | Organization | Organisation | Organization name | Account | Account name"
        " | Business name | Employer | Firm"
    ),
    "company.legal_form": (
        "Правна форма | Организационно-правна форма | Вид на фирмата | Организационно-правовая форма | ОПФ"
        " | Правовая форма | Legal form | Legal entity type | Entity type"
    ),
    "company.tax_id": (
        "ЕИК | БУЛСТАТ | ЕИК/БУЛСТАТ | ЕИК по БУЛСТАТ | ЕИК/ЕГН | ИН по ДДС | ИН по ЗДДС | ДДС номер | ДДС №"
        " | Идентификационен номер | Идент. № | Данъчен номер | ИНН | ИНН организации | УНП | БИН"
        " | Налоговый номер | VAT | VAT number | VAT ID | VAT No | Tax ID | Tax number | TIN"
        " | Company number | Registration number | Reg. No"
    ),
    "company.phones": (
        "Телефон фирма | Телефон на фирмата | Фирмен телефон | Телефон на организацията | Телефон компании"
        " | Телефон организации | Company phone | Organization phone | Office phone | Main phone"
    ),
    "company.emails": (
        "Email фирма | Имейл фирма | Имейл на фирмата | Ел. поща на фирмата | Фирмен имейл | Email компании"
        " | E-mail компании | Почта компании | Company email | Company e-mail | Organization email"
    ),
    "company.website": (
        "Сайт | Уебсайт | Уеб сайт | Уеб страница | Интернет страница | Интернет сайт | Корпоративный сайт"
        " | Веб-сайт | Адрес сайта | Website | Web site | Web page | Webpage | URL | Web | Homepage | Site"
        " | Website URL"
    ),
    "company.address": (
        "Адрес | Адрес на управление | Адрес на регистрация | Седалище и адрес на управление | Седалище"
        " | Юридически адрес | Адрес на фирмата | Юридический адрес | Адрес компании | Адрес регистрации"
        " | Address | Registered address | Legal address | Company address | Business address"
        " | Street address | Full address"
    ),
    "company.delivery_address": (
        "Адрес за доставка | Адрес за кореспонденция | Адрес на обекта | Адрес доставки | Фактический адрес"
        " | Почтовый адрес | Delivery address | Shipping address | Mailing address | Postal address"
    ),
    "company.industry": (
        "Отрасъл | Бранш | Сфера на дейност | Сфера | Вид дейност | Предмет на дейност | Отрасль"
        " | Сфера деятельности | Вид деятельности | Сфера бизнеса | Industry | Sector | Business type"
        " | Line of business"
    ),
    "company.category": (
        "Категория | Категория на клиента | Клиентска категория | Тип клиент | Сегмент | Категория клиента"
        " | Тип клиента | Category | Client category | Customer category | Segment | Customer type"
        " | Account type"
    ),
    "company.needs": (
        "Нужди | Потребности | Какво търсят | Защо се интересуват | От какво се нуждаят | Нужды | Потребность"
        " | Потребности клиента | Что нужно | Needs | Requirements | Pain points"
    ),
    "company.notes": (
        "Бележки за фирмата | Бележка за фирмата | Описание на фирмата | Примечание к компании"
        " | Описание компании | Комментарий к компании | Company notes | Company description"
        " | Organization notes"
    ),
    "contact.full_name": (
        "Контактно лице | Лице за контакт | Лице за контакти | Име и фамилия | Имена | Трите имена"
        " | Пълно име | Представител | МОЛ | Управител | Контакт | Контактное лицо | ФИО | Полное имя"
        " | Полное имя контакта | Имя и фамилия | Представитель | Full name | Name | Contact name | Contact"
        " | Contact person | Person | Person name | Display name"
    ),
    "contact.first_name": "Име | Собствено име | Имя | First name | Given name | Forename",
    "contact.middle_name": "Презиме | Бащино име | Отчество | Middle name | Additional name",
    "contact.last_name": "Фамилия | Фамилно име | Last name | Surname | Family name",
    "contact.position": (
        "Длъжност | Позиция | Должность | Position | Job title | Title | Designation | Job position"
    ),
    "contact.role": (
        "Роля | Роля във фирмата | Роля в сделката | Роль | Роль в компании | Роль в сделке | Role"
        " | Decision role | Buying role"
    ),
    "contact.phones": (
        "Телефон | Тел. | Тел | GSM | Мобилен | Мобилен телефон | Моб. | Моб | Моб. тел. | Телефонен номер"
        " | Телефон за връзка | Служебен телефон | Мобильный | Мобильный телефон | Сотовый | Номер телефона"
        " | Рабочий телефон | Phone | Phone number | Mobile | Mobile phone | Tel | Telephone | Cell"
        " | Cell phone | Work phone | Business phone | Home phone | Primary phone"
    ),
    "contact.emails": (
        "Email | E-mail | Имейл | Имейл адрес | Ел. поща | Ел. адрес | Електронна поща | Е-поща | Мейл"
        " | Емейл | Поща | Эл. почта | Электронная почта | Почта | Адрес электронной почты | Email address"
        " | E-mail address | Mail | Work email | Personal email | Primary email"
    ),
    "contact.birthday": (
        "Рожден ден | Дата на раждане | Роден на | День рождения | Дата рождения | Birthday | Date of birth"
        " | Birth date | Birthdate | DOB"
    ),
    "contact.interests": "Интереси | Интерес | Интересы | Interests | Interest | Interested in",
    "contact.marketing_consent": (
        "Съгласие за маркетинг | Съгласие за бюлетин | Съгласие | Абонамент за бюлетин | Согласие на рассылку"
        " | Согласие на маркетинг | Подписка на рассылку | Согласие | Marketing consent | Email opt-in"
        " | Opt-in | Subscribed | Newsletter | Accepts marketing | Email marketing"
    ),
    "contact.notes": (
        "Бележки | Бележка | Забележка | Забележки | Коментар | Коментари | Описание"
        " | Допълнителна информация | Допълнително | Примечание | Примечания | Комментарий"
        " | Комментарии | Дополнительно"
        " | Дополнительная информация | Notes | Note | Comment | Comments | Description | Remarks"
        " | Additional info"
    ),
    "channel": (
        "Източник | Канал | Откъде | Откъде ни намери | Източник на контакта | Източник на клиента | Источник"
        " | Источник контакта | Канал привлечения | Откуда узнал | Как узнал | Source | Channel | Lead source"
        " | Contact source | Original source | Referral source"
    ),
    "tags": "Тагове | Таг | Етикети | Етикет | Теги | Тег | Метки | Метка | Ярлыки | Tags | Tag | Labels",
    "owner": (
        "Отговорник | Отговорен | Отговорен търговец | Собственик | Търговец | Търговски представител"
        " | Мениджър | Ответственный | Ответственный менеджер | Менеджер | Ответственный сотрудник | Owner"
        " | Manager | Account owner | Contact owner | Lead owner | Record owner | Sales rep | Salesperson"
        " | Account manager | Assigned to | Responsible"
    ),
}

# Entity words used as a prefix ("Organization - Name", "Person - Phone") or a note ("(компания)").
_COMPANY_WORDS = frozenset(
    "фирма фирмата фирмен фирмена фирмено компания компании компанията организация организации "
    "организацията company organization organisation org account".split()
)
_CONTACT_WORDS = frozenset("person contact лице контакт контакта контактно".split())
# A column of a deal or a product ("Deal - Title") is not a contact's or a company's field.
_FOREIGN_WORDS = frozenset("deal deals lead leads сделка сделки заявка заявки продукт product".split())
# Parts that only say "the value of the part before": "Phone 1 - Value", "Address 1 - Formatted".
_VALUE_WORDS = frozenset({"value", "formatted", "значение"})
# Words that describe another column rather than hold a value: "Phone 1 - Type", "E-mail Display Name".
_DESCRIPTION_WORDS = frozenset(
    {"type", "label", "тип", "вид", "код", "code", "name", "display", "име", "имя"}
)

_PHONE_WORDS = frozenset(
    "телефон телефона телефони телефоны тел моб мобилен мобильный сотовый "
    "gsm phone phones telephone tel mobile cell".split()
)
_EMAIL_WORDS = frozenset("email emails mail имейл мейл емейл поща почта".split())
_WEBSITE_WORDS = frozenset("сайт уебсайт website url web".split())

_TO_COMPANY = {
    "contact.full_name": "company.name",
    "contact.phones": "company.phones",
    "contact.emails": "company.emails",
    "contact.notes": "company.notes",
}
# Headers that name a field only loosely; a precise header for the same field wins over them.
_VAGUE = frozenset({"title", "name", "manager", "менеджер", "source", "канал", "web", "site"})

_TO_CONTACT = {"company.phones": "contact.phones", "company.emails": "contact.emails"}

# Cyrillic letters that look like Latin ones, for headers typed on a mixed keyboard ("Е-mail").
_LOOKALIKES = str.maketrans("аеорсухк", "aeopcyxk")
_PARENTHESES = re.compile(r"[(\[{][^)\]}]*[)\]}]")
_PART_SEPARATOR = re.compile(r"\s+[-–—]\s+|:")
_NOT_WORD = re.compile(r"[\W_]+")
_TRAILING_NUMBER = re.compile(r"(?:\s*\d+)+$")
_LATIN = re.compile(r"[a-z]")
_CYRILLIC = re.compile(r"[а-я]")


def _words(text: str) -> list[str]:
    """Lower-case words of `text` without punctuation, look-alike letters or a trailing number."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    if _LATIN.search(text) and _CYRILLIC.search(text):
        text = text.translate(_LOOKALIKES)
    text = _NOT_WORD.sub(" ", text)
    return _TRAILING_NUMBER.sub("", text).split()


def _build_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for key, synonyms in SYNONYMS.items():
        for synonym in synonyms.split("|"):
            lookup.setdefault("".join(_words(synonym)), key)
    return lookup


_LOOKUP = _build_lookup()


def _lookup(words: list[str]) -> str | None:
    return _LOOKUP.get("".join(words))


def _context(words: list[str] | set[str]) -> str:
    """Which record the words name: "foreign" (a deal, a product), "company", "contact" or ""."""
    if _FOREIGN_WORDS.intersection(words):
        return "foreign"
    if _COMPANY_WORDS.intersection(words):
        return "company"
    if _CONTACT_WORDS.intersection(words):
        return "contact"
    return ""


def _in_context(key: str | None, context: str) -> str | None:
    """Moves a field to the record the header's prefix or note names: "Phone (company)" is the firm's."""
    if key is None or context == "foreign":
        return None
    if context == "company":
        return _TO_COMPANY.get(key, key)
    if context == "contact":
        return _TO_CONTACT.get(key, key)
    return key


def _by_word(words: list[str]) -> str | None:
    """Phone, e-mail and website columns the table does not list word for word ("Домашний телефон")."""
    if _DESCRIPTION_WORDS.intersection(words):
        return None
    in_company = bool(_COMPANY_WORDS.intersection(words))
    if _PHONE_WORDS.intersection(words):
        return "company.phones" if in_company else "contact.phones"
    if _EMAIL_WORDS.intersection(words) or ("e" in words and "mail" in words):
        return "company.emails" if in_company else "contact.emails"
    if _WEBSITE_WORDS.intersection(words):
        return "company.website"
    return None


def _match_parts(parts: list[list[str]], context: str) -> str | None:
    """Headers in parts ("Organization - Name", "Phone 1 - Value"): an entity first, then the field."""
    parts = [part for part in parts if part and not _VALUE_WORDS.issuperset(part)]
    if len(parts) > 1 and _context(parts[0]):
        context = context or _context(parts[0])
        parts = parts[1:]
    if len(parts) > 1 and _DESCRIPTION_WORDS.issuperset(parts[-1]):
        return None
    for part in parts:
        key = _lookup(part)
        if key:
            return _in_context(key, context)
    return _in_context(_by_word([word for part in parts for word in part]), context)


def match(header: str) -> str | None:
    """The field key a column named `header` fills, or None when the header is not recognised."""
    notes = _PARENTHESES.findall(header)
    context = _context(_words(" ".join(notes))) if notes else ""
    text = _PARENTHESES.sub(" ", header)
    words = _words(text)
    if not words:
        return None
    key = _lookup(words)
    if key:
        return _in_context(key, context)
    parts = _PART_SEPARATOR.split(text)
    if len(parts) > 1:
        return _match_parts([_words(part) for part in parts], context)
    return _in_context(_by_word(words), context)


def header_known(header: str) -> bool:
    """True when auto_map would map a column named `header` to a field."""
    return match(header) is not None


def auto_map(headers: list[str]) -> list[str | None]:
    """A field key (or None) per header, in order.

    A single-value field goes to the first column that names it, unless that header is vague
    ("Title" is a salutation in Outlook's export) and a later one names the field precisely
    ("Job Title"). Multi-value fields (phones, e-mails, tags) take every column that names them.
    """
    mapping = [match(header) for header in headers]
    owner: dict[str, int] = {}
    for index, key in enumerate(mapping):
        if key is None or BY_KEY[key].multi:
            continue
        first = owner.setdefault(key, index)
        if first != index and _is_vague(headers[first]) and not _is_vague(headers[index]):
            owner[key] = index
    return [
        key if key is None or BY_KEY[key].multi or owner[key] == index else None
        for index, key in enumerate(mapping)
    ]


def _is_vague(header: str) -> bool:
    return "".join(_words(header)) in _VAGUE
