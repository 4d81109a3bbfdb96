"""The columns of each exported list: a translated header and a plain value per row.

Headers reuse the labels Tandem's import recognises ("Company name", "First name", "Phones", "Owner
(email)"…) so an exported file imports back. Values are plain: phones in international format and
emails joined with "; ", names instead of ids, dates as dates (the writers format them).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

Cell = str | int | Decimal | datetime.date | datetime.datetime | None
JOIN = "; "


@dataclass(frozen=True)
class Column:
    header: str | Promise
    value: Callable[[Any], Cell]
    width: int = 16  # characters, for the spreadsheet


def _name(value: object) -> str:
    return "" if value is None else str(value)


def _joined(items: Iterable[object]) -> str:
    return JOIN.join(str(item) for item in items)


def _yes_no(value: bool) -> str:
    return gettext("yes") if value else gettext("no")


def _owner_email(row: Any) -> str:
    return row.owner.email if row.owner_id else ""


def _tags(row: Any) -> str:
    return _joined(row.export_tags)


OWNER = Column(_("Owner"), lambda row: _name(row.owner), 20)
OWNER_EMAIL = Column(_("Owner (email)"), _owner_email, 24)
TAGS = Column(_("Tags"), _tags, 20)
CREATED = Column(_("Created"), lambda row: row.created_at, 17)

COMPANY_COLUMNS = [
    Column(_("Company name"), lambda row: row.name, 30),
    Column(_("Legal form"), lambda row: row.legal_form, 10),
    Column(_("Tax id"), lambda row: row.tax_id, 14),
    Column(_("Company phones"), lambda row: _joined(row.export_phones), 24),
    Column(_("Company emails"), lambda row: _joined(row.export_emails), 28),
    Column(_("Website"), lambda row: row.website, 24),
    Column(_("Registered address"), lambda row: row.address, 30),
    Column(_("Delivery address"), lambda row: row.delivery_address, 30),
    Column(_("Industry"), lambda row: _name(row.industry), 18),
    Column(_("Client category"), lambda row: _name(row.category), 16),
    Column(_("Source channel"), lambda row: _name(row.channel), 16),
    TAGS,
    OWNER,
    OWNER_EMAIL,
    CREATED,
    Column(_("Company notes"), lambda row: row.notes, 40),
]

CONTACT_COLUMNS = [
    Column(_("First name"), lambda row: row.first_name, 16),
    Column(_("Middle name"), lambda row: row.middle_name, 16),
    Column(_("Last name"), lambda row: row.last_name, 18),
    # Only a company the exporting user may see, as the list names it.
    Column(_("Company name"), lambda row: _name(row.company) if row.export_company_visible else "", 30),
    Column(_("Position"), lambda row: row.position, 20),
    Column(_("Role at company"), lambda row: _name(row.role), 16),
    Column(_("Phones"), lambda row: _joined(row.export_phones), 24),
    Column(_("Emails"), lambda row: _joined(row.export_emails), 28),
    Column(_("Birthday"), lambda row: row.birthday, 12),
    Column(_("Interests and needs"), lambda row: row.interests, 30),
    Column(_("Agrees to marketing"), lambda row: _yes_no(row.marketing_consent), 10),
    Column(_("Source channel"), lambda row: _name(row.channel), 16),
    TAGS,
    OWNER,
    OWNER_EMAIL,
    CREATED,
    Column(pgettext_lazy("import field", "Contact notes"), lambda row: row.notes, 40),
]

DEAL_COLUMNS = [
    Column(_("Title"), lambda row: row.title, 30),
    Column(_("Company"), lambda row: _name(row.company), 30),
    Column(_("Pipeline"), lambda row: _name(row.pipeline), 16),
    Column(_("Stage"), lambda row: _name(row.stage), 16),
    Column(_("Amount"), lambda row: row.amount, 12),
    Column(_("Currency"), lambda row: _name(row.currency), 8),
    Column(_("Expected close date"), lambda row: row.expected_close_date, 12),
    Column(_("Next step"), lambda row: row.next_step, 24),
    Column(_("Next step date"), lambda row: row.next_step_date, 12),
    Column(_("Source channel"), lambda row: _name(row.channel), 16),
    OWNER,
    OWNER_EMAIL,
    CREATED,
]


def _activity_status(row: Any) -> str:
    return pgettext("activity", "Done") if row.done_at else pgettext("activity", "Planned")


ACTIVITY_COLUMNS = [
    Column(_("Type"), lambda row: _name(row.type), 12),
    Column(_("Subject"), lambda row: row.subject, 30),
    Column(_("Status"), _activity_status, 10),
    Column(_("Due"), lambda row: row.due_at, 17),
    Column(pgettext_lazy("activity", "Done at"), lambda row: row.done_at, 17),
    Column(_("Duration, minutes"), lambda row: row.duration_minutes, 10),
    Column(_("Outcome"), lambda row: _name(row.outcome), 16),
    Column(_("Assignee"), lambda row: _name(row.assignee), 20),
    Column(_("Author"), lambda row: _name(row.author), 20),
    Column(_("Deal"), lambda row: _name(row.deal), 24),
    Column(_("Contact"), lambda row: _name(row.contact), 24),
    Column(_("Company"), lambda row: _name(row.company), 24),
    Column(_("Description"), lambda row: row.description, 40),
]
