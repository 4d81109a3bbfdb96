"""Undoing an import, newest batch first, one transaction per batch (so an undo can be resumed too).

Records the import created are deleted with their phones, emails, tags and history — unless something
has been linked to them since (a deal, an activity, a web request, a contact added by hand): those go
to the trash instead, so no one's work disappears. Records it changed get their values back, field by
field, where nobody has changed the field again since; the phones, emails and tags it added are removed.
"""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Max, Model
from django.utils import timezone

from tandem.accounts.models import User
from tandem.activities.models import Activity
from tandem.contacts.models import Company, Contact, Email, Phone
from tandem.contacts.search import company_reindex, contact_reindex
from tandem.deals.models import Deal, DealContact
from tandem.history.models import Event
from tandem.history.services import event_record
from tandem.imports.models import ImportChange, ImportJob
from tandem.leads.models import LeadSubmission
from tandem.search.backends import Kind, remove_many

MODELS: dict[int, type[Company] | type[Contact]] = {
    ImportChange.Kind.COMPANY: Company,
    ImportChange.Kind.CONTACT: Contact,
}
DATE_FIELDS = {"birthday"}


def undo_run(job: ImportJob, actor: User | None) -> Counter[str]:
    counts: Counter[str] = Counter()
    while True:
        batch = ImportChange.objects.filter(job=job).aggregate(last=Max("batch"))["last"]
        if batch is None:
            return counts
        with transaction.atomic():
            changes = list(ImportChange.objects.filter(job=job, batch=batch))
            _undo_batch(job, changes, actor, counts)
            ImportChange.objects.filter(job=job, batch=batch).delete()
            job.heartbeat_at = timezone.now()
            job.save(update_fields=["heartbeat_at"])


def _undo_batch(
    job: ImportJob, changes: list[ImportChange], actor: User | None, counts: Counter[str]
) -> None:
    # Changed records first: a person the batch moved to a company it created leaves that company
    # again, so that the company can go too (unless someone has moved them there since).
    for change in changes:
        if not change.created:
            _restore(change, actor, counts)
    created = {kind: [c.object_id for c in changes if c.created and c.kind == kind] for kind in MODELS}
    kept_contacts = _linked_contacts(created[ImportChange.Kind.CONTACT])
    kept_companies = _linked_companies(job, created[ImportChange.Kind.COMPANY])
    kept = {ImportChange.Kind.CONTACT: kept_contacts, ImportChange.Kind.COMPANY: kept_companies}
    for kind in (ImportChange.Kind.CONTACT, ImportChange.Kind.COMPANY):
        model = MODELS[kind]
        doomed = [pk for pk in created[kind] if pk not in kept[kind]]
        if doomed:
            content_type = ContentType.objects.get_for_model(model)
            Event.objects.filter(target_type=content_type, target_id__in=doomed).delete()
            model.objects.filter(pk__in=doomed).delete()
            remove_many(Kind.COMPANY if model is Company else Kind.CONTACT, doomed)
            counts[f"{model._meta.model_name}_removed"] += len(doomed)
        if kept[kind]:
            now = timezone.now()
            for record in model.objects.filter(pk__in=kept[kind], deleted_at__isnull=True):
                record.deleted_at = now
                record.save(update_fields=["deleted_at"])
                _event(actor, Event.Action.DELETED, record, [])
                remove_many(Kind.COMPANY if model is Company else Kind.CONTACT, [record.pk])
            counts["kept_in_trash"] += len(kept[kind])


def _linked_contacts(ids: list[int]) -> set[int]:
    if not ids:
        return set()
    linked = set(DealContact.objects.filter(contact_id__in=ids).values_list("contact_id", flat=True))
    linked |= set(Activity.objects.filter(contact_id__in=ids).values_list("contact_id", flat=True))
    linked |= set(LeadSubmission.objects.filter(contact_id__in=ids).values_list("contact_id", flat=True))
    return linked


def _linked_companies(job: ImportJob, ids: list[int]) -> set[int]:
    """Companies with work of someone else's: deals, activities, people this import did not create
    (those of earlier batches included: they are undone next)."""
    if not ids:
        return set()
    linked = set(Deal.objects.filter(company_id__in=ids).values_list("company_id", flat=True))
    linked |= set(Activity.objects.filter(company_id__in=ids).values_list("company_id", flat=True))
    created = ImportChange.objects.filter(job=job, created=True, kind=ImportChange.Kind.CONTACT)
    others = Contact.objects.filter(company_id__in=ids).exclude(pk__in=created.values("object_id"))
    linked |= set(others.values_list("company_id", flat=True))
    return {pk for pk in linked if pk is not None}


def _event(actor: User | None, action: str, record: Company | Contact, changes: list[dict[str, Any]]) -> None:
    parent = record.company if isinstance(record, Contact) and record.company_id else None
    event_record(actor=actor, action=action, target=record, changes=changes, parent=parent)


def _current(record: Model, name: str) -> Any:
    field = record._meta.get_field(name)
    if field.many_to_one:
        return getattr(record, f"{name}_id")
    value = getattr(record, name)
    return value.isoformat() if hasattr(value, "isoformat") else value


def _set(record: Model, name: str, value: Any) -> None:
    field = record._meta.get_field(name)
    if field.many_to_one:
        setattr(record, f"{name}_id", value)
    elif name in DATE_FIELDS and value:
        setattr(record, name, datetime.date.fromisoformat(value))
    else:
        setattr(record, name, value)


def _restore(change: ImportChange, actor: User | None, counts: Counter[str]) -> None:
    model = MODELS[change.kind]
    record = model.objects.select_for_update().filter(pk=change.object_id).first()
    if record is None:
        return
    before, after = change.before or {}, change.after or {}
    restored: list[dict[str, Any]] = []
    conflicts = 0
    for name, value in after.get("fields", {}).items():
        if _current(record, name) != value:
            conflicts += 1  # changed again since the import: the newer value stays
            continue
        _set(record, name, before.get(name))
        restored.append({"field": name, "old": value, "new": before.get(name)})
    if restored and not conflicts and before.get("updated_at"):
        record.updated_at = datetime.datetime.fromisoformat(before["updated_at"])
    record.save()
    key = "company" if model is Company else "contact"
    Phone.objects.filter(**{key: record}, e164__in=after.get("phones", [])).delete()
    Email.objects.filter(**{key: record}, address__in=after.get("emails", [])).delete()
    model.tags.through.objects.filter(**{f"{key}_id": record.pk}, tag_id__in=after.get("tags", [])).delete()
    for name in ("phones", "emails", "tags"):
        if after.get(name):
            restored.append({"field": name, "old": after[name], "new": None})
    _event(actor, Event.Action.IMPORT_UNDONE, record, restored)
    counts[f"{key}_restored"] += 1
    counts["undo_conflicts"] += conflicts
    if isinstance(record, Company):
        company_reindex(record)
    else:
        contact_reindex(record)
