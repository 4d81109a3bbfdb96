"""The batches being written while the next one is planned, as the planner must see them.

With a writer process (`imports.sink`), batch N+1 is matched against the database while batch N may
not be committed yet: its new records are missing there, and the records it changed still show their
old values, phones and emails. The planner keeps batch N's records as it left them and lays them over
what the database returned for N+1's keys — dropping the database's copies of those records, adding
the in-memory ones under their current keys — so that N+1 plans exactly as if N were committed.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from django.db.models import Model

from tandem.contacts.models import Company
from tandem.imports.matching import Found, folded_name
from tandem.imports.planned import Planned
from tandem.imports.rows import RowData

Key = tuple[type[Model], int]


class InFlight:
    """The records of the last `depth` batches handed to the writer (0: each is committed first)."""

    def __init__(self, depth: int) -> None:
        self.batches: deque[tuple[dict[Key, Planned], dict[str, list[Planned]]]] = deque(maxlen=depth)

    def push(self, touched: list[Planned]) -> None:
        """The records the batch just handed to the writer created or changed (primary keys set)."""
        if self.batches.maxlen == 0:
            return
        records: dict[Key, Planned] = {(type(p.obj), p.obj.pk): p for p in touched}
        by_key: dict[str, list[Planned]] = {}  # the keys `find_in_database` looks records up by
        for planned in touched:
            obj = planned.obj
            if isinstance(obj, Company):
                keys = [f"n:{obj.name_key}"] + [f"t:{obj.tax_id}"] * bool(obj.tax_id)
            else:
                keys = [f"p:{e164}" for e164 in planned.known_phones]
                keys += [f"e:{address}" for address in planned.known_emails]
                keys += [f"f:{folded_name(obj.first_name, obj.last_name)}"] * bool(obj.company_id)
            for key in keys:
                by_key.setdefault(key, []).append(planned)
        self.batches.append((records, by_key))

    def _latest(self, key: Key) -> Planned | None:
        for records, _by_key in reversed(self.batches):
            planned = records.get(key)
            if planned is not None:
                return planned
        return None

    def known(self, key: Key) -> tuple[set[str], set[str], set[int]] | None:
        """A record's phones, emails and tags as the database will hold them (None: not in flight)."""
        planned = self._latest(key)
        if planned is None:
            return None
        return set(planned.known_phones), set(planned.known_emails), set(planned.known_tags)

    def overlay(self, found: Found, rows: list[RowData]) -> None:
        """Lay the records in flight over what the database returned for these rows' keys."""
        if not self.batches:
            return
        records: dict[Key, Planned] = {}
        for batch_records, _by_key in self.batches:
            records.update(batch_records)  # a later batch's state of a record wins
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
        wanted = _row_keys(rows)
        added: set[tuple[str, Key]] = set()
        for _records, by_key in self.batches:
            for key in wanted & by_key.keys():
                for planned in by_key[key]:
                    record = (type(planned.obj), planned.obj.pk)
                    if (key, record) not in added:
                        added.add((key, record))
                        _add(found, key, records[record].obj)
        for index in indexes:  # oldest first, as the database returns them
            for group in index.values():
                if len(group) > 1:
                    group.sort(key=lambda record: record.pk)


def _add(found: Found, key: str, obj: Any) -> None:
    """`obj` (a company for the t: and n: keys, else a contact) as found under `key`, unless a later
    batch changed the value the key was made of (phones and emails are only ever added)."""
    kind, value = key[0], key[2:]
    if kind == "t" and obj.tax_id == value:
        found.companies_by_tax_id[value] = obj
        found.visible_company_ids.add(obj.pk)
    elif kind == "n" and obj.name_key == value:
        found.companies_by_key.setdefault(value, []).append(obj)
        found.visible_company_ids.add(obj.pk)
    elif kind == "p":
        found.contacts_by_phone.setdefault(value, []).append(obj)
    elif kind == "e":
        found.contacts_by_email.setdefault(value, []).append(obj)
    elif kind == "f" and obj.company_id and folded_name(obj.first_name, obj.last_name) == value:
        found.contacts_by_name.setdefault((obj.company_id, value), []).append(obj)


def _row_keys(rows: list[RowData]) -> set[str]:
    keys: set[str] = set()
    for row in rows:
        if row.has_company:
            keys.add(f"n:{row.company_key}")
            if row.company.get("tax_id"):
                keys.add(f"t:{row.company['tax_id']}")
        keys.update(f"p:{phone.e164}" for phone in row.contact_phones)
        keys.update(f"e:{address}" for address in row.contact_emails)
        if row.has_contact:
            keys.add(f"f:{folded_name(row.contact.get('first_name', ''), row.contact.get('last_name', ''))}")
    return keys
