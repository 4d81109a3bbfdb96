"""Writing an import batch: new rows with plain INSERTs (COPY on PostgreSQL), changes, history, undo log
and search text — recorded as the batch's statements, which run in one transaction (`imports.sink`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Model
from django.utils import timezone

from tandem.accounts.models import User
from tandem.contacts.models import Company, Contact, Email, Phone
from tandem.contacts.normalize import company_name_key
from tandem.contacts.search import company_text, contact_text
from tandem.core.statements import Statements
from tandem.history.models import Event
from tandem.imports.bulk import Ids, assign, insert_models, insert_rows, json_text, update_models
from tandem.imports.models import ImportChange, ImportJob
from tandem.imports.planned import MODEL_KIND, Planned, display, plain, remember_before
from tandem.search.backends import Kind, index_many


@dataclass
class BatchWrite:
    job: ImportJob
    actor: User
    types: dict[type[Model], ContentType]
    new: list[Planned]  # records this batch creates
    planned: list[Planned]  # existing records rows of this batch named
    ours: dict[type[Model], set[int]]  # records this import created: new ones are added here
    ids: Ids
    into: Statements


def write_batch(batch: BatchWrite) -> list[Planned]:
    """Record what a batch planned: new records, changes, phones, emails, tags, history, undo log, index.
    Returns the records it creates or changes (primary keys set)."""
    now = timezone.now()
    into = batch.into
    new_companies = [p.obj for p in batch.new if isinstance(p.obj, Company)]
    new_contacts = [p for p in batch.new if isinstance(p.obj, Contact)]
    for company, pk in zip(new_companies, batch.ids.take(Company, len(new_companies)), strict=True):
        company.pk = pk
        company.name_key = company_name_key(company.name)
        company.created_at = company.updated_at = now
    insert_models(Company, new_companies, into)
    for planned, pk in zip(new_contacts, batch.ids.take(Contact, len(new_contacts)), strict=True):
        contact = planned.obj
        contact.pk = pk
        if planned.company is not None:
            assign(contact, "company", planned.company.obj)
        contact.created_at = contact.updated_at = now
    insert_models(Contact, [p.obj for p in new_contacts], into)
    changed = [p for p in batch.planned if p.has_changes]
    for model in (Company, Contact):
        rows = [p for p in changed if isinstance(p.obj, model) and p.changed]
        for planned in rows:
            remember_before(planned)
            if planned.company is not None:  # an existing contact joins a company this batch creates
                assign(planned.obj, "company", planned.company.obj)
            planned.obj.updated_at = now
        if rows:
            names = sorted({name for p in rows for name in p.changed} | {"updated_at"})
            update_models(model, [p.obj for p in rows], names, into)
    touched = batch.new + changed
    _write_points(touched, into)
    _write_history(batch, touched, now)
    _write_undo_log(batch, touched)
    _reindex(touched, into)
    for planned in batch.new:
        batch.ours[type(planned.obj)].add(planned.obj.pk)
    return touched


def _write_points(touched: list[Planned], into: Statements) -> None:
    phones: dict[str, list[tuple[Any, ...]]] = {"company": [], "contact": []}
    emails: dict[str, list[tuple[Any, ...]]] = {"company": [], "contact": []}
    tags: dict[str, list[tuple[int, int]]] = {"company": [], "contact": []}
    for planned in touched:
        key = "company" if planned.is_company else "contact"
        pk = planned.obj.pk
        start = len(planned.known_phones) - len(planned.phones)
        phones[key] += [
            ("", position, pk, p.e164, p.extension, p.raw[:64])
            for position, p in enumerate(planned.phones, start=start)
        ]
        start = len(planned.known_emails) - len(planned.emails)
        emails[key] += [("", position, pk, a) for position, a in enumerate(planned.emails, start=start)]
        tags[key] += [(pk, tag.pk) for tag in planned.tags]
    for key, model in (("company", Company), ("contact", Contact)):
        owner = f"{key}_id"
        insert_rows(Phone, ["label", "position", owner, "e164", "extension", "raw"], phones[key], into)
        insert_rows(Email, ["label", "position", owner, "address"], emails[key], into)
        insert_rows(model.tags.through, [owner, "tag_id"], tags[key], into)  # type: ignore[attr-defined]


def _write_history(batch: BatchWrite, touched: list[Planned], now: Any) -> None:
    label = f"#{batch.job.pk} {batch.job.filename}"
    occurred_at = connection.ops.adapt_datetimefield_value(now)
    created = json_text([{"field": "import", "old": None, "new": label}])  # the same for every new record
    rows = []
    for planned in touched:
        if planned.ours and not planned.new:
            continue
        obj = planned.obj
        if planned.new:
            text = created
        else:
            changes: list[dict[str, Any]] = [
                {
                    "field": name,
                    "old": planned.before_display.get(name),
                    "new": display(getattr(obj, name)),
                }
                for name in sorted(planned.changed)
            ]
            if planned.phones:
                changes.append({"field": "phones", "old": None, "new": [p.e164 for p in planned.phones]})
            if planned.emails:
                changes.append({"field": "emails", "old": None, "new": planned.emails})
            if planned.tags:
                changes.append({"field": "tags", "old": None, "new": [t.name for t in planned.tags]})
            changes.append({"field": "import", "old": None, "new": label})
            text = json_text(changes)
        company_id = obj.company_id if isinstance(obj, Contact) else None
        rows.append(
            (
                occurred_at,
                batch.actor.pk,
                Event.Action.IMPORTED.value,
                batch.types[type(obj)].pk,
                obj.pk,
                str(obj)[:300],
                batch.types[Company].pk if company_id else None,
                company_id,
                text,
            )
        )
    columns = ["occurred_at", "actor_id", "action", "target_type_id", "target_id", "target_label"]
    insert_rows(Event, [*columns, "parent_type_id", "parent_id", "changes"], rows, batch.into)


def _write_undo_log(batch: BatchWrite, touched: list[Planned]) -> None:
    number = batch.job.batches + 1
    rows: list[tuple[Any, ...]] = []
    for planned in touched:
        if planned.ours and not planned.new:
            continue
        kind = MODEL_KIND[type(planned.obj)]
        if planned.new:
            rows.append((batch.job.pk, number, kind, planned.obj.pk, True, None, None))
            continue
        if planned.before is None:
            remember_before(planned)
        after = {
            "fields": {name: plain(getattr(planned.obj, name)) for name in sorted(planned.changed)},
            "phones": [phone.e164 for phone in planned.phones],
            "emails": planned.emails,
            "tags": [tag.pk for tag in planned.tags],
        }
        rows.append(
            (batch.job.pk, number, kind, planned.obj.pk, False, json_text(planned.before), json_text(after))
        )
    columns = ["job_id", "batch", "kind", "object_id", "created", "before", "after"]
    insert_rows(ImportChange, columns, rows, batch.into)


def _reindex(touched: list[Planned], into: Statements) -> None:
    documents: dict[tuple[Kind, bool], list[tuple[int, str]]] = {}
    for planned in touched:
        obj = planned.obj
        phones, emails = sorted(planned.known_phones), sorted(planned.known_emails)
        if isinstance(obj, Company):
            key, text = Kind.COMPANY, company_text(obj, phones, emails)
        else:
            company_name = obj.company.name if obj.company_id and obj.company else ""
            key, text = Kind.CONTACT, contact_text(obj, company_name, phones, emails)
        documents.setdefault((key, planned.new), []).append((obj.pk, text))
    for (kind, new), rows in documents.items():
        index_many(kind, rows, new=new, into=into)
