"""The lists that export, each reading through the selector and visibility pieces its page uses.

An export is described by an `ExportSpec`: the entity, the parsed filters (the very dataclass the
list's selector takes) and the list's sort. It round-trips through JSON for background jobs.
"""

from __future__ import annotations

import dataclasses
import datetime
import typing
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tandem.accounts.models import User
from tandem.accounts.visibility import scope_parts
from tandem.activities.models import Activity
from tandem.activities.selectors import ActivityFilters, activity_list, activity_scope_parts
from tandem.contacts.models import Company, Contact, Email, Phone
from tandem.contacts.selectors import COMPANY_SORTS, CONTACT_SORTS, ListFilters, company_list, contact_list
from tandem.core.phones import display_phone
from tandem.deals.models import Deal
from tandem.deals.selectors import DEAL_SORTS, DealFilters, deal_list
from tandem.exports import columns
from tandem.exports.columns import Column

ACTIVITY_SORTS = {"-occurred_at": ["-occurred_at", "-id"]}


@dataclass(frozen=True)
class Entity:
    key: str
    label: str | Promise  # the sheet's name
    model: type[Model]
    filters_class: type
    sorts: dict[str, list[str]]
    default_sort: str
    rows: Callable[[User, Any], QuerySet]
    parts: Callable[[User, Any], list[Q]]
    columns: list[Column]
    # Sets per-row attributes a column needs, with at most one query for the whole chunk.
    prepare: Callable[[User, list[Any]], None] | None = None


def _searching(filters: Any) -> bool:
    return bool(filters.search.strip())


def _attach_points(rows: list[Any], key: str) -> None:
    """Each row's phones, emails and tag names as plain lists, in one query each for the whole chunk.

    Done by hand: `prefetch_related` builds a queryset per row and relation, which cost more than
    the rest of the export together (about 0.5 ms a row)."""
    ids = [row.pk for row in rows]
    phones: dict[int, list[str]] = defaultdict(list)
    emails: dict[int, list[str]] = defaultdict(list)
    tags: dict[int, list[str]] = defaultdict(list)
    lookup, owner = {f"{key}_id__in": ids}, f"{key}_id"
    phone_rows = Phone.objects.filter(**lookup).order_by("position", "id")
    for owner_id, e164, extension in phone_rows.values_list(owner, "e164", "extension"):
        phones[owner_id].append(display_phone(e164, extension))
    email_rows = Email.objects.filter(**lookup).order_by("position", "id")
    for owner_id, address in email_rows.values_list(owner, "address"):
        emails[owner_id].append(address)
    through = type(rows[0]).tags.through
    for owner_id, name in through.objects.filter(**lookup).values_list(owner, "tag__name"):
        tags[owner_id].append(name)
    for row in rows:
        row.export_phones, row.export_emails = phones[row.pk], emails[row.pk]
        row.export_tags = sorted(tags[row.pk])


def _companies_prepare(actor: User, companies: list[Company]) -> None:
    _attach_points(companies, "company")


def _contacts_prepare(actor: User, contacts: list[Contact]) -> None:
    """Name only the companies the user may see, as the contact list does (one query per chunk)."""
    _attach_points(contacts, "contact")
    ids = {contact.company_id for contact in contacts if contact.company_id}
    visible: set[int] = set()
    if ids:
        queryset = company_list(actor=actor).prefetch_related(None).filter(pk__in=ids)
        visible = set(queryset.values_list("pk", flat=True))
    for contact in contacts:
        contact.export_company_visible = contact.company_id in visible  # type: ignore[attr-defined]


ENTITIES: dict[str, Entity] = {
    "companies": Entity(
        key="companies",
        label=_("Companies"),
        model=Company,
        filters_class=ListFilters,
        sorts=COMPANY_SORTS,
        default_sort="name",
        rows=lambda actor, filters: (
            company_list(actor=actor, filters=filters).select_related("channel").prefetch_related(None)
        ),
        # Searching walks the search matches in id order, as the list page does.
        parts=lambda actor, filters: [] if _searching(filters) else scope_parts(actor, Company),
        columns=columns.COMPANY_COLUMNS,
        prepare=_companies_prepare,
    ),
    "contacts": Entity(
        key="contacts",
        label=_("Contacts"),
        model=Contact,
        filters_class=ListFilters,
        sorts=CONTACT_SORTS,
        default_sort="name",
        rows=lambda actor, filters: (
            contact_list(actor=actor, filters=filters).select_related("channel").prefetch_related(None)
        ),
        parts=lambda actor, filters: [] if _searching(filters) else scope_parts(actor, Contact),
        columns=columns.CONTACT_COLUMNS,
        prepare=_contacts_prepare,
    ),
    "deals": Entity(
        key="deals",
        label=_("Deals"),
        model=Deal,
        filters_class=DealFilters,
        sorts=DEAL_SORTS,
        default_sort="-updated",
        rows=lambda actor, filters: deal_list(actor=actor, filters=filters).select_related("channel"),
        parts=lambda actor, filters: scope_parts(actor, Deal),
        columns=columns.DEAL_COLUMNS,
    ),
    "activities": Entity(
        key="activities",
        label=_("Activities"),
        model=Activity,
        filters_class=ActivityFilters,
        sorts=ACTIVITY_SORTS,
        default_sort="-occurred_at",
        rows=lambda actor, filters: activity_list(actor=actor, filters=filters),
        parts=lambda actor, filters: activity_scope_parts(actor),
        columns=columns.ACTIVITY_COLUMNS,
    ),
}


@dataclass
class ExportSpec:
    """What to export: `filters` is an instance of the entity's `filters_class`."""

    entity: str
    filters: Any
    ordering: list[str]

    def filters_json(self) -> dict[str, Any]:
        return {
            name: value.isoformat() if isinstance(value, datetime.date) else value
            for name, value in dataclasses.asdict(self.filters).items()
        }

    @classmethod
    def from_json(cls, entity: str, filters: dict[str, Any], ordering: list[str]) -> ExportSpec:
        """The spec of a stored job; unknown names are dropped, an unknown sort becomes the default."""
        definition = ENTITIES[entity]
        hints = typing.get_type_hints(definition.filters_class)
        values: dict[str, Any] = {}
        for field in dataclasses.fields(definition.filters_class):
            if field.name not in filters:
                continue
            value = filters[field.name]
            if isinstance(value, str) and value:
                if datetime.datetime in typing.get_args(hints[field.name]):
                    value = datetime.datetime.fromisoformat(value)
                elif datetime.date in typing.get_args(hints[field.name]):
                    value = datetime.date.fromisoformat(value)
            values[field.name] = value
        if list(ordering) not in definition.sorts.values():
            ordering = definition.sorts[definition.default_sort]
        return cls(entity=entity, filters=definition.filters_class(**values), ordering=list(ordering))

    @property
    def definition(self) -> Entity:
        return ENTITIES[self.entity]


def spec_default(entity: str, *, search: str = "") -> ExportSpec:
    """The whole list in its default order (optionally narrowed by a search), as the CLI exports it."""
    definition = ENTITIES[entity]
    filters = definition.filters_class(search=search) if search else definition.filters_class()
    return ExportSpec(entity=entity, filters=filters, ordering=definition.sorts[definition.default_sort])
