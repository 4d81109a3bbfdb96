"""One file row, as mapped by the user, cleaned into the values of a company and/or a contact person.

Nothing here touches the database: reference lists (industry, tags, owner…) are resolved by name
later, in batches. A bad value that can be kept as text is a warning (the value goes to the record's
notes, never invented into a phone or an email); a row that cannot become a record is rejected.
"""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext as _

from tandem.contacts.normalize import company_name_key, email_key, split_legal_form
from tandem.core.phones import InvalidPhone, ParsedPhone, parse_phone, split_phones

MAX_LENGTHS = {
    "company.name": 255,
    "company.legal_form": 20,
    "company.tax_id": 32,
    "company.website": 200,
    "contact.first_name": 100,
    "contact.middle_name": 100,
    "contact.last_name": 100,
    "contact.full_name": 300,
    "contact.position": 150,
    "contact.role": 100,
    "company.industry": 100,
    "company.category": 100,
    "channel": 100,
    "owner": 254,
}
MAX_TEXT = 10_000  # notes, addresses, needs: longer is surely not what the column was meant to hold
TEXT_FIELDS = {
    "company.address": "address",
    "company.delivery_address": "delivery_address",
    "company.needs": "needs",
    "company.notes": "notes",
    "contact.interests": "interests",
    "contact.notes": "notes",
}
_EMAIL_SPLIT = re.compile(r"[,;\s]+")
_TAX_ID_NOISE = re.compile(r"[\s.\-/]+")
_TAX_ID = re.compile(r"[A-Z]{0,2}\d{4,30}[A-Z0-9]*")
_TRUE = {"1", "yes", "y", "true", "x", "да", "д", "+", "✓", "v"}
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d.%m.%y", "%d-%m-%Y", "%Y-%m-%d %H:%M:%S")
_PATRONYMIC = re.compile(r"(?:вич|вна|чна|ична|оглы|кызы)$", re.IGNORECASE)
_URL = URLValidator()


@dataclass(frozen=True)
class Issue:
    row: int
    column: str
    value: str
    code: str
    message: str


@dataclass
class RowData:
    row: int
    cells: list[str]
    company: dict[str, Any] = field(default_factory=dict)
    company_phones: list[ParsedPhone] = field(default_factory=list)
    company_emails: list[str] = field(default_factory=list)
    contact: dict[str, Any] = field(default_factory=dict)
    contact_phones: list[ParsedPhone] = field(default_factory=list)
    contact_emails: list[str] = field(default_factory=list)
    refs: dict[str, str] = field(default_factory=dict)  # "company.industry"… -> the name in the file
    ref_columns: dict[str, str] = field(default_factory=dict)  # the same keys -> the column's header
    tags: list[str] = field(default_factory=list)
    tag_items: list[Any] = field(default_factory=list)  # Tag rows, once resolved
    warnings: list[Issue] = field(default_factory=list)
    rejection: Issue | None = None

    @property
    def has_company(self) -> bool:
        return bool(self.company.get("name"))

    @property
    def has_contact(self) -> bool:
        return bool(self.contact.get("first_name") or self.contact.get("last_name"))

    @functools.cached_property
    def company_key(self) -> str:
        """Read once the row is finished (the name and legal form are split by then)."""
        return company_name_key(self.company.get("name", ""))

    def contact_name(self) -> str:
        parts = (self.contact.get(name, "") for name in ("first_name", "middle_name", "last_name"))
        return " ".join(part for part in parts if part)


class RowReader:
    """Turns the cells of a mapped file into RowData; one per import, reused for every row."""

    def __init__(self, headers: list[str], mapping: list[str | None], region: str):
        self.headers = [
            header or _("Column %(number)s") % {"number": n + 1} for n, header in enumerate(headers)
        ]
        self.mapping = mapping
        self.region = region
        self.columns: dict[str, list[int]] = {}
        for index, key in enumerate(mapping):
            if key:
                self.columns.setdefault(key, []).append(index)
        # A lone "Name"/"Име" column holds whole names ("Иван Петров") far more often than first names.
        if "contact.first_name" in self.columns and not {"contact.last_name", "contact.full_name"} & set(
            self.columns
        ):
            self.columns["contact.full_name"] = self.columns.pop("contact.first_name")
        # "ФИО" lists the family name first: Петров Иван Сергеевич.
        self.family_first = any(
            headers[index].strip().casefold() in {"фио", "ф.и.о.", "ф. и. о."}
            for index in self.columns.get("contact.full_name", [])
        )

    def read(self, row: int, cells: list[str]) -> RowData:
        data = RowData(row=row, cells=cells)
        for key, indexes in self.columns.items():
            for index in indexes:
                value = cells[index].strip() if index < len(cells) else ""
                if value:
                    self._take(data, key, value, self.headers[index])
                if data.rejection:
                    return data
        self._finish(data)
        return data

    def _reject(self, data: RowData, column: str, value: str, code: str, message: str) -> None:
        if data.rejection is None:
            data.rejection = Issue(data.row, column, value[:500], code, message)

    def _warn(self, data: RowData, column: str, value: str, code: str, message: str, group: str) -> None:
        """Report the value; keep it as text in the notes of the record it was meant for."""
        data.warnings.append(Issue(data.row, column, value[:500], code, message))
        if group:
            target = data.company if group == "company" else data.contact
            note = _("%(column)s (as in the file): %(value)s") % {"column": column, "value": value}
            target["_kept"] = [*target.get("_kept", []), note]

    def _take(self, data: RowData, key: str, value: str, column: str) -> None:
        limit = MAX_LENGTHS.get(key, MAX_TEXT)
        if len(value) > limit:
            message = _("The value is too long (%(length)s characters; at most %(limit)s).") % {
                "length": len(value),
                "limit": limit,
            }
            self._reject(data, column, value, "too_long", message)
            return
        group, _dot, name = key.partition(".")
        if key in ("company.phones", "contact.phones"):
            self._phones(data, group, value, column)
        elif key in ("company.emails", "contact.emails"):
            self._emails(data, group, value, column)
        elif key == "tags":
            data.tags += [tag.strip()[:100] for tag in re.split(r"[,;]", value) if tag.strip()]
        elif key in ("company.industry", "company.category", "contact.role", "channel", "owner"):
            data.refs.setdefault(key, value)
            data.ref_columns.setdefault(key, column)
        elif key in TEXT_FIELDS:
            target = data.company if group == "company" else data.contact
            field_name = TEXT_FIELDS[key]
            target[field_name] = f"{target[field_name]}\n{value}" if target.get(field_name) else value
        elif key == "company.tax_id":
            self._tax_id(data, value, column)
        elif key == "company.website":
            self._website(data, value, column)
        elif key == "contact.full_name":
            data.contact.setdefault("_full_name", value)
        elif key == "contact.birthday":
            self._birthday(data, value, column)
        elif key == "contact.marketing_consent":
            data.contact["marketing_consent"] = value.casefold() in _TRUE
        else:
            target = data.company if group == "company" else data.contact
            target.setdefault(name, " ".join(value.split()))

    def _phones(self, data: RowData, group: str, value: str, column: str) -> None:
        target = data.company_phones if group == "company" else data.contact_phones
        for piece in split_phones(value):
            try:
                phone = parse_phone(piece, self.region)
            except InvalidPhone:
                message = _("“%(number)s” is not a valid phone number; kept in the notes.") % {
                    "number": piece
                }
                self._warn(data, column, piece, "invalid_phone", message, group)
                continue
            if all(phone.e164 != known.e164 for known in target):
                target.append(phone)

    def _emails(self, data: RowData, group: str, value: str, column: str) -> None:
        target = data.company_emails if group == "company" else data.contact_emails
        for piece in _EMAIL_SPLIT.split(value):
            address = email_key(piece.strip("<>()\"'"))
            if not address:
                continue
            try:
                validate_email(address)
            except DjangoValidationError:
                message = _("“%(address)s” is not a valid email address; kept in the notes.") % {
                    "address": piece
                }
                self._warn(data, column, piece, "invalid_email", message, group)
                continue
            if address not in target:
                target.append(address)

    def _tax_id(self, data: RowData, value: str, column: str) -> None:
        tax_id = _TAX_ID_NOISE.sub("", value).upper()
        if not _TAX_ID.fullmatch(tax_id):
            message = _("“%(value)s” is not a tax id (EIK, BULSTAT, INN or VAT number).") % {"value": value}
            self._reject(data, column, value, "invalid_tax_id", message)
            return
        data.company["tax_id"] = tax_id

    def _website(self, data: RowData, value: str, column: str) -> None:
        url = value if "://" in value else f"https://{value}"
        try:
            _URL(url)
        except DjangoValidationError:
            message = _("“%(value)s” is not a web address; kept in the notes.") % {"value": value}
            self._warn(data, column, value, "invalid_website", message, "company")
            return
        data.company["website"] = url

    def _birthday(self, data: RowData, value: str, column: str) -> None:
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.datetime.strptime(value, fmt).date()  # noqa: DTZ007 (a date, no zone)
            except ValueError:
                continue
            if datetime.date(1900, 1, 1) <= parsed <= datetime.date.today():  # noqa: DTZ011
                data.contact["birthday"] = parsed
                return
        message = _("“%(value)s” is not a date; kept in the notes.") % {"value": value}
        self._warn(data, column, value, "invalid_date", message, "contact")

    def _finish(self, data: RowData) -> None:
        contact = data.contact
        full_name = contact.pop("_full_name", "")
        if full_name and not (contact.get("first_name") or contact.get("last_name")):
            contact.update(self._split_name(full_name))
        for name in ("first_name", "middle_name", "last_name"):
            if len(contact.get(name, "")) > MAX_LENGTHS[f"contact.{name}"]:
                contact[name] = contact[name][: MAX_LENGTHS[f"contact.{name}"]]
        company = data.company
        if company.get("name") and not company.get("legal_form"):
            company["name"], company["legal_form"] = split_legal_form(company["name"])
        if not data.has_contact:
            # A row without a person: its phones and emails are the company's.
            data.company_phones += [p for p in data.contact_phones if p not in data.company_phones]
            data.company_emails += [e for e in data.contact_emails if e not in data.company_emails]
            data.contact_phones, data.contact_emails = [], []
            company.setdefault("notes", contact.get("notes", ""))
            kept = contact.pop("_kept", [])
            if kept:
                company["_kept"] = [*company.get("_kept", []), *kept]
            if data.has_company:
                data.contact = {}
        if not data.has_company and not data.has_contact:
            self._reject(
                data,
                "",
                "",
                "no_name",
                _("The row has neither a company name nor a person's name."),
            )
        for target in (company, contact):
            kept = target.pop("_kept", [])
            if kept:
                target["notes"] = "\n".join(filter(None, [target.get("notes", ""), *kept]))

    def _split_name(self, full_name: str) -> dict[str, str]:
        words = full_name.replace(",", " ").split()
        if len(words) == 1:
            return {"first_name": words[0]}
        if len(words) == 2:
            if self.family_first:
                return {"last_name": words[0], "first_name": words[1]}
            return {"first_name": words[0], "last_name": words[1]}
        if self.family_first or (_PATRONYMIC.search(words[-1]) and not _PATRONYMIC.search(words[1])):
            # Петров Иван Сергеевич: family name, given name, patronymic.
            return {"last_name": words[0], "first_name": words[1], "middle_name": " ".join(words[2:])}
        return {"first_name": words[0], "middle_name": " ".join(words[1:-1]), "last_name": words[-1]}
