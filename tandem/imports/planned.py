"""A record an import batch creates or changes, as the planner leaves it for the writer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model

from tandem.contacts.models import Company, Contact
from tandem.contacts.services import COMPANY_FIELDS, CONTACT_FIELDS
from tandem.core.phones import ParsedPhone
from tandem.imports.models import ImportChange

MODEL_KIND = {Company: ImportChange.Kind.COMPANY, Contact: ImportChange.Kind.CONTACT}


@dataclass(eq=False)
class Planned:
    """A record this batch creates or changes, with what it gains."""

    obj: Company | Contact
    new: bool  # created by this batch
    ours: bool  # created by this import (this batch or an earlier one)
    phones: list[ParsedPhone] = field(default_factory=list)  # to add
    emails: list[str] = field(default_factory=list)  # to add
    tags: list[Any] = field(default_factory=list)  # to add
    known_phones: set[str] = field(default_factory=set)
    known_emails: set[str] = field(default_factory=set)
    known_tags: set[int] = field(default_factory=set)
    before: dict[str, Any] | None = None  # an existing record's values before this import touched it
    before_display: dict[str, Any] = field(default_factory=dict)  # the same, as the timeline shows them
    changed: set[str] = field(default_factory=set)
    company: Planned | None = None  # a new contact's new company
    virtual_id: int = 0  # dry run: stands for the primary key

    @property
    def is_company(self) -> bool:
        return isinstance(self.obj, Company)

    @property
    def has_changes(self) -> bool:
        return bool(self.changed or self.phones or self.emails or self.tags)

    def handle(self) -> int:
        return self.obj.pk or self.virtual_id


def empty(value: Any) -> bool:
    return value in (None, "", False)


def plain(value: Any) -> Any:
    if isinstance(value, Model):
        return value.pk
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def remember_before(planned: Planned) -> None:
    """Keep an existing record's values before the import first changes it (for history and undo)."""
    if planned.new or planned.ours or planned.before is not None:
        return
    fields = COMPANY_FIELDS if planned.is_company else CONTACT_FIELDS
    planned.before = {name: plain(getattr(planned.obj, name)) for name in fields}
    planned.before_display = {name: display(getattr(planned.obj, name)) for name in fields}
    planned.before["updated_at"] = planned.obj.updated_at.isoformat()


def display(value: Any) -> Any:
    """A value as the timeline shows it: related records by name, dates as text."""
    if isinstance(value, Model):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
