"""The batch being written while the next one is planned, as the planner must see it.

With a writer process (`imports.sink`), batch N+1 is matched against the database while batch N may
not be committed yet: its new records are missing there, and the records it changed still show their
old values, phones and emails. The planner keeps batch N's records as it left them and lays them over
what the database returned — dropping the database's copies of those records, adding the in-memory
ones under their current keys — so that N+1 plans exactly as if N were committed. When N is committed
(the in-process writer), the overlay changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from tandem.contacts.models import Company
from tandem.imports.matching import Found, folded_name
from tandem.imports.planned import Planned

Key = tuple[type[Model], int]


class InFlight:
    def __init__(self) -> None:
        self.records: dict[Key, Planned] = {}

    def replace(self, touched: list[Planned]) -> None:
        """The records the batch just handed to the writer created or changed (primary keys set)."""
        self.records = {(type(p.obj), p.obj.pk): p for p in touched}

    def known(self, key: Key) -> tuple[set[str], set[str], set[int]] | None:
        """A record's phones, emails and tags as the database will hold them (None: not in flight)."""
        planned = self.records.get(key)
        if planned is None:
            return None
        return set(planned.known_phones), set(planned.known_emails), set(planned.known_tags)

    def overlay(self, found: Found) -> None:
        if not self.records:
            return
        records = self.records

        found.companies_by_tax_id = {
            tax_id: company
            for tax_id, company in found.companies_by_tax_id.items()
            if (Company, company.pk) not in records
        }
        indexes: list[dict[Any, list[Any]]] = [
            found.companies_by_key,
            found.contacts_by_phone,
            found.contacts_by_email,
            found.contacts_by_name,
        ]
        for index in indexes:
            for key, group in index.items():
                if any((type(obj), obj.pk) in records for obj in group):
                    index[key] = [obj for obj in group if (type(obj), obj.pk) not in records]
        for planned in records.values():
            obj = planned.obj
            if isinstance(obj, Company):
                if obj.tax_id:
                    found.companies_by_tax_id[obj.tax_id] = obj
                found.companies_by_key.setdefault(obj.name_key, []).append(obj)
                found.visible_company_ids.add(obj.pk)
                continue
            for e164 in planned.known_phones:
                found.contacts_by_phone.setdefault(e164, []).append(obj)
            for address in planned.known_emails:
                found.contacts_by_email.setdefault(address, []).append(obj)
            if obj.company_id:
                name = folded_name(obj.first_name, obj.last_name)
                found.contacts_by_name.setdefault((obj.company_id, name), []).append(obj)
        for index in indexes:  # oldest first, as the database returns them
            for group in index.values():
                if len(group) > 1:
                    group.sort(key=lambda record: record.pk)
