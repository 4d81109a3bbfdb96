"""Merging two records of one kind into one, undoing a merge, dismissing and scanning for duplicates.

A merge keeps `survivor`, copies the chosen field values from `other` into it, gives it the other's
phones, emails, tags and sharing it lacked, re-points everything that pointed at `other` (deals, deal
contacts, activities with their attachments, lead submissions, a company's people, history rows) and
moves `other` to the trash. Every value it overwrote and every row it re-pointed is kept in the
`Merge` row, so `merge_undo` puts the database back exactly as it was.

History rows of `other` are re-targeted to the survivor (not copied, not left behind): the survivor's
card then tells the whole story of the client with no change to how timelines are read, and undo
points them back.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import DateField, Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tandem.accounts.models import User
from tandem.accounts.roles import Role
from tandem.accounts.visibility import can
from tandem.activities.models import Activity
from tandem.contacts.models import Company, Contact, Email, Phone
from tandem.contacts.search import company_reindex, contact_reindex
from tandem.contacts.services import COMPANY_FIELDS, CONTACT_FIELDS
from tandem.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from tandem.core.events import event_emit
from tandem.deals.models import Deal, DealContact
from tandem.history.models import Event
from tandem.history.services import diff, event_record, snapshot
from tandem.leads.models import LeadSubmission
from tandem.merges.models import DuplicateCandidate, DuplicateScan, Merge, RecordKind

Record = TypeVar("Record", Company, Contact)

CONTACT_MERGE_FIELDS = CONTACT_FIELDS
# legal_form travels with the name (TRAVELS_WITH).
COMPANY_MERGE_FIELDS = [name for name in COMPANY_FIELDS if name != "legal_form"]
# Fields that only make sense together with the chosen one.
TRAVELS_WITH = {"name": ["legal_form", "name_key"], "marketing_consent": ["marketing_consent_at"]}
RELINK_CHUNK = 5000
SCAN_RUNNING_FOR = datetime.timedelta(hours=1)


def merge_fields(model: type[Model]) -> list[str]:
    """The fields whose surviving value a person chooses when merging records of `model`."""
    return COMPANY_MERGE_FIELDS if model is Company else CONTACT_MERGE_FIELDS


def _key(record: Company | Contact) -> str:
    """The name Phone and Email give their link to a record of this kind."""
    return "company" if isinstance(record, Company) else "contact"


def kind_of(model: type[Model]) -> str:
    return RecordKind.COMPANY if model is Company else RecordKind.CONTACT


# --- permissions ---------------------------------------------------------------------------------


def may_merge(user: User, first: Company | Contact, second: Company | Contact) -> bool:
    """Merging changes both records and moves one to the trash: change on both, and delete."""
    name = type(first)._meta.model_name
    return (
        user.has_perm(f"contacts.delete_{name}")
        and can(user, "change", first)
        and can(user, "change", second)
    )


def may_scan(user: User) -> bool:
    """Who may start a scan by hand: administrators and heads of sales (it reads the whole base)."""
    return user.is_active and (user.is_superuser or user.role in (Role.ADMIN, Role.HEAD))


def _require_merge(actor: User | None, first: Company | Contact, second: Company | Contact) -> None:
    if actor is not None and not may_merge(actor, first, second):
        raise PermissionDenied(_("You may merge only records you are allowed to change and delete."))


# --- raw values kept for undo --------------------------------------------------------------------


def _raw(record: Model, name: str) -> Any:
    """The stored value of a field as JSON keeps it (foreign keys by id, dates in ISO form)."""
    field = record._meta.get_field(name)
    value = getattr(record, field.attname)  # type: ignore[union-attr]
    return value.isoformat() if isinstance(value, datetime.date) else value


def _set_raw(record: Model, name: str, value: Any) -> None:
    field = record._meta.get_field(name)
    if value is not None and isinstance(field, DateField):
        value = field.to_python(value)
    setattr(record, field.attname, value)  # type: ignore[union-attr]


def _write(record: Model, values: dict[str, Any], log: dict[str, list]) -> None:
    """Set and save `values`, logging [old, new] of each one that changes."""
    changed = []
    for name, value in values.items():
        old = _raw(record, name)
        if old != value:
            log[name] = [old, value]
            _set_raw(record, name, value)
            changed.append(name)
    if changed:
        try:
            with transaction.atomic():
                record.save(update_fields=changed)
        except IntegrityError as error:
            raise Conflict(
                _("The records cannot be combined this way: %(error)s") % {"error": error}, code="integrity"
            ) from error


def _rewind(record: Model, log: dict[str, list]) -> None:
    _write(record, {name: old for name, (old, _new) in log.items()}, {})


# --- re-linking ----------------------------------------------------------------------------------


def _relink(undo: dict[str, Any], queryset: QuerySet[Any], field: str, old: int, new: int) -> list[int]:
    """Point the rows of `queryset` whose `field` is `old` at `new`; remember which for undo."""
    pks = list(queryset.filter(**{field: old}).values_list("pk", flat=True))
    model = queryset.model
    for start in range(0, len(pks), RELINK_CHUNK):
        model.objects.filter(pk__in=pks[start : start + RELINK_CHUNK]).update(**{field: new})
    if pks:
        undo["relinked"].append(
            {"model": model._meta.label, "field": field, "old": old, "new": new, "pks": pks}
        )
    return pks


def _relink_back(group: dict[str, Any]) -> None:
    from django.apps import apps

    model = apps.get_model(group["model"])
    pks, field = group["pks"], group["field"]
    for start in range(0, len(pks), RELINK_CHUNK):
        # Only rows still pointing at the survivor: one moved on since (or deleted) stays where it is.
        model.objects.filter(pk__in=pks[start : start + RELINK_CHUNK], **{field: group["new"]}).update(
            **{field: group["old"]}
        )


def _remove(undo: dict[str, Any], queryset: QuerySet[Any]) -> None:
    rows = list(queryset.values())
    if rows:
        undo["removed"].append({"model": queryset.model._meta.label, "rows": rows})
        queryset.model.objects.filter(pk__in=[row["id"] for row in rows]).delete()


def _points_to_move(survivor: Record, other: Record) -> tuple[list[int], list[int]]:
    """The other's phones and emails the survivor does not have yet (same number / same address)."""
    key = _key(survivor)
    phones = set(Phone.objects.filter(**{key: survivor}).values_list("e164", "extension"))
    emails = set(Email.objects.filter(**{key: survivor}).values_list("address", flat=True))
    seen_phones, phone_ids = set(phones), []
    for pk, e164, extension in Phone.objects.filter(**{key: other}).values_list("pk", "e164", "extension"):
        if (e164, extension) not in seen_phones:
            seen_phones.add((e164, extension))
            phone_ids.append(pk)
    seen_emails, email_ids = set(emails), []
    for pk, address in Email.objects.filter(**{key: other}).values_list("pk", "address"):
        if address not in seen_emails:
            seen_emails.add(address)
            email_ids.append(pk)
    return phone_ids, email_ids


def _relink_everything(undo: dict[str, Any], survivor: Record, other: Record) -> list[int]:
    """Re-point what belongs to `other` at `survivor`; returns the ids of contacts moved between companies."""
    old, new = other.pk, survivor.pk
    phone_ids, email_ids = _points_to_move(survivor, other)
    moved_people: list[int] = []
    if isinstance(survivor, Contact):
        on_both = DealContact.objects.filter(contact_id=new).values("deal_id")
        _remove(undo, DealContact.objects.filter(contact_id=old, deal_id__in=on_both))
        _relink(undo, DealContact.objects.all(), "contact_id", old, new)
        _relink(undo, Activity.objects.all(), "contact_id", old, new)
        _relink(undo, LeadSubmission.objects.all(), "contact_id", old, new)
        _relink(undo, Phone.objects.filter(pk__in=phone_ids), "contact_id", old, new)
        _relink(undo, Email.objects.filter(pk__in=email_ids), "contact_id", old, new)
    else:
        _relink(undo, Deal.objects.all(), "company_id", old, new)
        _relink(undo, Activity.objects.all(), "company_id", old, new)
        moved_people = _relink(undo, Contact.objects.all(), "company_id", old, new)
        _relink(undo, Phone.objects.filter(pk__in=phone_ids), "company_id", old, new)
        _relink(undo, Email.objects.filter(pk__in=email_ids), "company_id", old, new)
    content_type = ContentType.objects.get_for_model(survivor)
    _relink(undo, Event.objects.filter(target_type=content_type), "target_id", old, new)
    _relink(undo, Event.objects.filter(parent_type=content_type), "parent_id", old, new)
    return moved_people


def _add_links(undo: dict[str, Any], survivor: Record, other: Record) -> None:
    """Tags and sharing the survivor gains from the other (its owner needs no share)."""
    tags = set(other.tags.values_list("pk", flat=True)) - set(survivor.tags.values_list("pk", flat=True))
    users = set(other.shared_with.values_list("pk", flat=True)) - set(
        survivor.shared_with.values_list("pk", flat=True)
    )
    users.discard(survivor.owner_id)
    survivor.tags.add(*tags)
    survivor.shared_with.add(*users)
    undo["added"] = {"tags": sorted(tags), "shared_with": sorted(users)}


def _history_fields(model: type[Model]) -> list[str]:
    return merge_fields(model) + (["legal_form"] if model is Company else [])


def _points_snapshot(record: Company | Contact) -> dict[str, Any]:
    key = _key(record)
    return {
        "phones": [str(phone) for phone in Phone.objects.filter(**{key: record}).order_by("position", "id")],
        "emails": list(
            Email.objects.filter(**{key: record}).order_by("position", "id").values_list("address", flat=True)
        ),
        "tags": sorted(record.tags.values_list("name", flat=True)),
    }


def _parent(record: Company | Contact) -> Company | None:
    return record.company if isinstance(record, Contact) else None


def _reindex(records: Iterable[Company | Contact], moved_people: Iterable[int] = ()) -> None:
    for record in records:
        if isinstance(record, Company):
            company_reindex(record)
        else:
            contact_reindex(record)
    for person in Contact.objects.filter(pk__in=list(moved_people)).select_related("company"):
        contact_reindex(person)


def _lock_pair(model: Any, first_id: int, second_id: int) -> tuple[Any, Any]:
    rows = {row.pk: row for row in model.objects.select_for_update().filter(pk__in=[first_id, second_id])}
    if first_id not in rows or second_id not in rows:
        raise NotFound(_("One of the records no longer exists."), code="record_gone")
    return rows[first_id], rows[second_id]


# --- merge and undo ------------------------------------------------------------------------------


@transaction.atomic
def record_merge(
    *, actor: User | None, survivor: Record, other: Record, fields_from_other: Iterable[str] = ()
) -> Merge:
    """Merge `other` into `survivor` (two live companies or two live contacts) and return the Merge.

    `fields_from_other` names the fields of `merge_fields(model)` whose value comes from `other`;
    the rest keep the survivor's. The actor must be allowed to change both records and to delete
    (None: the system, e.g. an import). Raises PermissionDenied, Conflict (a record is in the trash,
    a tax id clash), ValidationError (unknown field, the same record twice, no name left)."""
    model = type(survivor)
    if type(other) is not model or survivor.pk == other.pk:
        raise ValidationError(_("Choose two different records of the same kind."), code="same_record")
    survivor, other = _lock_pair(model, survivor.pk, other.pk)
    _require_merge(actor, survivor, other)
    if survivor.is_deleted or other.is_deleted:
        raise Conflict(_("A record in the trash cannot be merged."), code="in_trash")
    chosen: list[str] = list(dict.fromkeys(fields_from_other))
    unknown = set(chosen) - set(merge_fields(model))
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be merged.") for name in sorted(unknown)}, code="unknown_field"
        )
    undo: dict[str, Any] = {"survivor": {}, "other": {}, "relinked": [], "removed": [], "added": {}}
    before = {**snapshot(survivor, _history_fields(model)), **_points_snapshot(survivor)}
    now = timezone.now()
    names: list[str] = []
    for choice in chosen:
        names.append(choice)
        names.extend(TRAVELS_WITH.get(choice, []))
    values = {name: _raw(other, name) for name in names}
    if isinstance(survivor, Contact) and not (
        values.get("first_name", survivor.first_name) or values.get("last_name", survivor.last_name)
    ):
        raise ValidationError({"first_name": _("Enter a first or a last name.")}, code="name_required")
    # The other goes to the trash first, giving up a tax id the survivor takes (it is unique).
    other_values: dict[str, Any] = {"deleted_at": now.isoformat()}
    if "tax_id" in chosen:
        other_values["tax_id"] = ""
    _write(other, other_values, undo["other"])
    _write(survivor, {**values, "updated_at": now.isoformat()}, undo["survivor"])
    moved_people = _relink_everything(undo, survivor, other)
    _add_links(undo, survivor, other)
    survivor.refresh_from_db()
    other.refresh_from_db()
    after = {**snapshot(survivor, _history_fields(model)), **_points_snapshot(survivor)}
    merge = Merge.objects.create(
        kind=kind_of(model),
        survivor_id=survivor.pk,
        other_id=other.pk,
        survivor_label=str(survivor)[:300],
        other_label=str(other)[:300],
        actor=actor if actor is not None and actor.pk else None,
        merged_at=now,
        undo=undo,
    )
    event_record(
        actor=actor, action=Event.Action.MERGED, target=survivor, parent=_parent(survivor),
        changes=diff(before, after),
    )  # fmt: skip
    event_record(actor=actor, action=Event.Action.MERGED, target=other, parent=survivor)
    name = model._meta.model_name
    event_emit(f"{name}.updated", survivor, actor=actor, merge_id=merge.pk)
    event_emit(f"{name}.deleted", other, actor=actor, merge_id=merge.pk, merged_into=survivor.pk)
    _reindex([survivor, other], moved_people)
    return merge


def _undo_refusal(merge: Merge, survivor: Company | Contact, other: Company | Contact) -> Conflict | None:
    if survivor.is_deleted:
        return Conflict(_("The kept record is in the trash; restore it first."), code="survivor_trashed")
    if not other.is_deleted:
        return Conflict(_("The merged record was taken out of the trash since."), code="other_restored")
    ids = [merge.survivor_id, merge.other_id]
    later = Merge.objects.filter(kind=merge.kind, undone_at__isnull=True, pk__gt=merge.pk).filter(
        Q(survivor_id__in=ids) | Q(other_id__in=ids)
    )
    if later.exists():
        return Conflict(_("A later merge involves these records; undo it first."), code="later_merge")
    changed = [
        name
        for name, (_old, new) in merge.undo.get("survivor", {}).items()
        if name != "updated_at" and _raw(survivor, name) != new
    ]
    if changed:
        fields = [type(survivor)._meta.get_field(name) for name in changed]
        labels = ", ".join(str(getattr(field, "verbose_name", field.name)) for field in fields)
        return Conflict(
            _("The kept record was edited since the merge (%(fields)s); undoing would lose that.")
            % {"fields": labels},
            code="changed_since",
        )
    return None


@transaction.atomic
def merge_undo(*, actor: User | None, merge: Merge) -> Merge:
    """Put both records and everything re-linked back exactly as before the merge.

    Refuses with Conflict (code already_undone, survivor_trashed, other_restored, later_merge,
    changed_since, integrity) when that cannot be done safely, changing nothing."""
    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    if merge.is_undone:
        raise Conflict(_("This merge has already been undone."), code="already_undone")
    model = Company if merge.kind == RecordKind.COMPANY else Contact
    survivor: Company | Contact
    other: Company | Contact
    survivor, other = _lock_pair(model, merge.survivor_id, merge.other_id)
    _require_merge(actor, survivor, other)
    refusal = _undo_refusal(merge, survivor, other)
    if refusal is not None:
        raise refusal
    undo = merge.undo
    _rewind(survivor, undo["survivor"])
    for group in reversed(undo["relinked"]):
        _relink_back(group)
    from django.apps import apps

    for group in undo["removed"]:
        removed_model = apps.get_model(group["model"])
        removed_model.objects.bulk_create([removed_model(**row) for row in group["rows"]])
    survivor.tags.remove(*undo["added"].get("tags", []))
    survivor.shared_with.remove(*undo["added"].get("shared_with", []))
    _rewind(other, undo["other"])
    merge.undone_at = timezone.now()
    merge.undone_by = actor if actor is not None and actor.pk else None
    merge.save(update_fields=["undone_at", "undone_by"])
    survivor.refresh_from_db()
    other.refresh_from_db()
    event_record(actor=actor, action=Event.Action.UNMERGED, target=survivor, parent=_parent(survivor))
    event_record(actor=actor, action=Event.Action.UNMERGED, target=other, parent=_parent(other))
    name = model._meta.model_name
    event_emit(f"{name}.updated", survivor, actor=actor, merge_id=merge.pk)
    event_emit(f"{name}.updated", other, actor=actor, merge_id=merge.pk)
    moved_people = [
        pk for group in undo["relinked"] if group["model"] == "contacts.Contact" for pk in group["pks"]
    ]
    _reindex([survivor, other], moved_people)
    return merge


# --- candidates ----------------------------------------------------------------------------------


@transaction.atomic
def candidate_dismiss(*, actor: User, candidate: DuplicateCandidate) -> DuplicateCandidate:
    """Mark a pair "not duplicates" for everyone; later scans keep it dismissed. Needs change on both."""
    model: type[Company] | type[Contact] = Company if candidate.kind == RecordKind.COMPANY else Contact
    records = {row.pk: row for row in model.objects.filter(pk__in=[candidate.low_id, candidate.high_id])}
    if len(records) != 2 or not all(can(actor, "change", row) for row in records.values()):
        raise PermissionDenied(_("You may dismiss only pairs of records you are allowed to change."))
    candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.dismissed_at is None:
        candidate.dismissed_at = timezone.now()
        candidate.dismissed_by = actor
        candidate.save(update_fields=["dismissed_at", "dismissed_by"])
    return candidate


def scan_is_running(kind: str) -> bool:
    since = timezone.now() - SCAN_RUNNING_FOR
    return DuplicateScan.objects.filter(kind=kind, finished_at__isnull=True, started_at__gte=since).exists()


@transaction.atomic
def duplicates_scan_request(*, actor: User, kind: str) -> None:
    """Start a scan of `kind` in the background ("Scan now"); refused while one is running."""
    from tandem.merges.tasks import duplicates_scan_task

    if not may_scan(actor):
        raise PermissionDenied(_("Only administrators and heads of sales can start a scan."))
    if kind not in RecordKind.values:
        raise ValidationError(_("Unknown kind of record."), code="unknown_kind")
    if scan_is_running(kind):
        raise Conflict(_("A scan is already running."), code="scan_running")
    transaction.on_commit(lambda: duplicates_scan_task(kind))
