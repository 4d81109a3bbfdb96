"""Writes on companies and contacts. Every change records its history row in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tandem.accounts.models import User
from tandem.accounts.services import users_assignable
from tandem.accounts.visibility import Scope, can, scope_for
from tandem.contacts.models import MESSENGERS, Company, Contact, Email, Phone, Tag
from tandem.contacts.normalize import company_name_key, email_key, split_legal_form
from tandem.contacts.search import company_reindex, contact_reindex
from tandem.core.errors import PermissionDenied, ValidationError
from tandem.core.events import event_emit
from tandem.core.phones import InvalidPhone, parse_phone
from tandem.history.models import Event
from tandem.history.services import diff, event_record, snapshot

Record = TypeVar("Record", Company, Contact)

COMPANY_FIELDS = [
    "name",
    "legal_form",
    "tax_id",
    "industry",
    "category",
    "channel",
    "website",
    "address",
    "delivery_address",
    "needs",
    "notes",
    "owner",
]
CONTACT_FIELDS = [
    "first_name",
    "middle_name",
    "last_name",
    "company",
    "position",
    "role",
    "channel",
    "birthday",
    "messengers",
    "interests",
    "preferences",
    "marketing_consent",
    "notes",
    "owner",
]


@dataclass(frozen=True)
class PhoneInput:
    number: str
    label: str = ""


@dataclass(frozen=True)
class EmailInput:
    address: str
    label: str = ""


def _parsed_phones(phones: Sequence[PhoneInput], region: str | None) -> list[Phone]:
    parsed: list[Phone] = []
    errors: list[str] = []
    seen: set[tuple[str, str]] = set()
    for position, item in enumerate(phones):
        if not item.number.strip():
            continue
        try:
            phone = parse_phone(item.number, region)
        except InvalidPhone:
            errors.append(_("“%(number)s” is not a valid phone number.") % {"number": item.number.strip()})
            continue
        if (phone.e164, phone.extension) in seen:
            continue
        seen.add((phone.e164, phone.extension))
        parsed.append(
            Phone(
                e164=phone.e164,
                extension=phone.extension,
                raw=phone.raw[:64],
                label=item.label[:40],
                position=position,
            )
        )
    if errors:
        raise ValidationError({"phones": errors}, code="invalid_phone")
    return parsed


def _parsed_emails(emails: Sequence[EmailInput]) -> list[Email]:
    parsed: list[Email] = []
    errors: list[str] = []
    seen: set[str] = set()
    for position, item in enumerate(emails):
        address = email_key(item.address)
        if not address:
            continue
        try:
            validate_email(address)
        except DjangoValidationError:
            errors.append(
                _("“%(address)s” is not a valid email address.") % {"address": item.address.strip()}
            )
            continue
        if address in seen:
            continue
        seen.add(address)
        parsed.append(Email(address=address, label=item.label[:40], position=position))
    if errors:
        raise ValidationError({"emails": errors}, code="invalid_email")
    return parsed


def _check_owner(actor: User | None, owner: User) -> None:
    if actor is None or owner.pk == actor.pk:
        return
    if not User.objects.filter(users_assignable(actor=actor), pk=owner.pk).exists():
        raise PermissionDenied(
            _("You cannot give records to %(user)s.") % {"user": owner}, code="owner_not_allowed"
        )


def _require(actor: User | None, action: str, obj: Company | Contact) -> None:
    if actor is not None and not can(actor, action, obj):
        raise PermissionDenied(_("You are not allowed to change this record."))


def cannot_create_message(model: type[Model]) -> str:
    """The refusal shown to a role that may not create records of `model` (a whole sentence per kind)."""
    if model is Company:
        return _("Your role cannot create companies.")
    return _("Your role cannot create contacts.")


def _require_add(actor: User | None, model: type[Company] | type[Contact]) -> None:
    if actor is not None and not actor.has_perm(f"contacts.add_{model._meta.model_name}"):
        raise PermissionDenied(cannot_create_message(model))


def _save_points(
    record: Company | Contact, phones: list[Phone] | None, emails: list[Email] | None
) -> list[dict]:
    """Replace the record's phones/emails when given; returns history changes."""
    changes: list[dict] = []
    key = "company" if isinstance(record, Company) else "contact"
    if phones is not None:
        old = [str(phone) for phone in Phone.objects.filter(**{key: record})]
        Phone.objects.filter(**{key: record}).delete()
        for phone in phones:
            setattr(phone, key, record)
        Phone.objects.bulk_create(phones)
        new = [str(phone) for phone in phones]
        if old != new:
            changes.append({"field": "phones", "old": old, "new": new})
    if emails is not None:
        old = list(Email.objects.filter(**{key: record}).values_list("address", flat=True))
        Email.objects.filter(**{key: record}).delete()
        for email in emails:
            setattr(email, key, record)
        Email.objects.bulk_create(emails)
        new = [email.address for email in emails]
        if old != new:
            changes.append({"field": "emails", "old": old, "new": new})
    return changes


def _save_tags(record: Company | Contact, tags: Iterable[Tag] | None) -> list[dict]:
    if tags is None:
        return []
    tags = list(tags)  # may be a one-shot iterable; read twice below
    old = sorted(tag.name for tag in record.tags.all())
    record.tags.set(tags)
    new = sorted(tag.name for tag in tags)
    return [{"field": "tags", "old": old, "new": new}] if old != new else []


def _apply(record: Company | Contact, data: dict[str, Any], allowed: list[str]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)}, code="unknown_field")
    for name, value in data.items():
        setattr(record, name, value.strip() if isinstance(value, str) else value)


def _clean_company(company: Company) -> None:
    if not company.legal_form:
        company.name, company.legal_form = split_legal_form(company.name)
    company.name_key = company_name_key(company.name)
    company.tax_id = company.tax_id.replace(" ", "").upper()
    # The tax id clash is checked before full_clean, whose unique-constraint check would otherwise
    # answer first with a generic message and no code.
    if company.tax_id:
        clash = Company.objects.filter(tax_id=company.tax_id).exclude(pk=company.pk).first()
        if clash is not None:
            if clash.is_deleted:
                message = _("Company %(name)s (in the trash) already has this tax id.")
            else:
                message = _("Company %(name)s already has this tax id.")
            raise ValidationError({"tax_id": message % {"name": clash}}, code="duplicate_tax_id")
    company.full_clean(exclude=["owner", "shared_with", "tags"], validate_unique=False)


def _clean_contact(contact: Contact, actor: User | None, *, check_company: bool = True) -> None:
    messengers = contact.messengers or {}
    if not isinstance(messengers, dict) or any(key not in MESSENGERS for key in messengers):
        raise ValidationError({"messengers": _("Unknown messenger.")}, code="invalid_messenger")
    contact.messengers = {
        key: str(value).strip()[:100] for key, value in messengers.items() if str(value).strip()
    }
    if not (contact.first_name or contact.last_name):
        raise ValidationError({"first_name": _("Enter a first or a last name.")}, code="name_required")
    if check_company and contact.company_id and actor is not None:
        company = Company.objects.filter(pk=contact.company_id, deleted_at__isnull=True).first()
        if company is None or not can(actor, "view", company):
            raise ValidationError({"company": _("Choose a company you can see.")}, code="invalid_company")
    if contact.marketing_consent and contact.marketing_consent_at is None:
        contact.marketing_consent_at = timezone.now()
    if not contact.marketing_consent:
        contact.marketing_consent_at = None
    contact.full_clean(exclude=["owner", "company", "shared_with", "tags"], validate_unique=False)


def _save(record: Company | Contact) -> None:
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError as error:
        raise ValidationError(
            _("The record conflicts with another one: %(error)s") % {"error": error}
        ) from error


@transaction.atomic
def company_create(
    *,
    actor: User | None,
    data: dict[str, Any],
    phones: Sequence[PhoneInput] = (),
    emails: Sequence[EmailInput] = (),
    tags: Iterable[Tag] | None = None,
    region: str | None = None,
) -> Company:
    """Create a company owned by `data['owner']` (default: the actor). Validates phones, emails, tax id."""
    _require_add(actor, Company)
    company = Company()
    data = {"owner": actor, **data}
    _apply(company, data, COMPANY_FIELDS)
    _check_owner(actor, company.owner)
    _clean_company(company)
    parsed_phones, parsed_emails = _parsed_phones(phones, region), _parsed_emails(emails)
    _save(company)
    _save_points(company, parsed_phones, parsed_emails)
    _save_tags(company, tags)
    event_record(actor=actor, action=Event.Action.CREATED, target=company)
    event_emit("company.created", company, actor=actor)
    company_reindex(company)
    return company


@transaction.atomic
def company_update(
    *,
    actor: User | None,
    company: Company,
    data: dict[str, Any],
    phones: Sequence[PhoneInput] | None = None,
    emails: Sequence[EmailInput] | None = None,
    tags: Iterable[Tag] | None = None,
    region: str | None = None,
) -> Company:
    """Change the given fields; phones/emails/tags are replaced only when passed."""
    company = Company.objects.select_for_update().get(pk=company.pk)
    _require(actor, "change", company)
    before = snapshot(company, COMPANY_FIELDS)
    _apply(company, data, COMPANY_FIELDS)
    if "owner" in data:
        _check_owner(actor, company.owner)
    if "name" in data and "legal_form" not in data:
        company.legal_form = ""
    _clean_company(company)
    parsed_phones = _parsed_phones(phones, region) if phones is not None else None
    parsed_emails = _parsed_emails(emails) if emails is not None else None
    company.updated_at = timezone.now()
    _save(company)
    changes = diff(before, snapshot(company, COMPANY_FIELDS))
    changes += _save_points(company, parsed_phones, parsed_emails) + _save_tags(company, tags)
    if changes:
        event_record(actor=actor, action=Event.Action.UPDATED, target=company, changes=changes)
        event_emit("company.updated", company, actor=actor)
    company_reindex(company)
    return company


@transaction.atomic
def contact_create(
    *,
    actor: User | None,
    data: dict[str, Any],
    phones: Sequence[PhoneInput] = (),
    emails: Sequence[EmailInput] = (),
    tags: Iterable[Tag] | None = None,
    region: str | None = None,
) -> Contact:
    """Create a contact (a person; with or without a company the actor can see)."""
    _require_add(actor, Contact)
    contact = Contact()
    data = {"owner": actor, **data}
    _apply(contact, data, CONTACT_FIELDS)
    _check_owner(actor, contact.owner)
    _clean_contact(contact, actor)
    parsed_phones, parsed_emails = _parsed_phones(phones, region), _parsed_emails(emails)
    _save(contact)
    _save_points(contact, parsed_phones, parsed_emails)
    _save_tags(contact, tags)
    event_record(actor=actor, action=Event.Action.CREATED, target=contact, parent=contact.company)
    event_emit("contact.created", contact, actor=actor)
    contact_reindex(contact)
    return contact


@transaction.atomic
def contact_update(
    *,
    actor: User | None,
    contact: Contact,
    data: dict[str, Any],
    phones: Sequence[PhoneInput] | None = None,
    emails: Sequence[EmailInput] | None = None,
    tags: Iterable[Tag] | None = None,
    region: str | None = None,
) -> Contact:
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    _require(actor, "change", contact)
    before = snapshot(contact, CONTACT_FIELDS)
    company_before = contact.company_id
    _apply(contact, data, CONTACT_FIELDS)
    if "owner" in data:
        _check_owner(actor, contact.owner)
    # Only a newly chosen company must be visible: a colleague may share a contact whose company they keep.
    _clean_contact(contact, actor, check_company=contact.company_id != company_before)
    parsed_phones = _parsed_phones(phones, region) if phones is not None else None
    parsed_emails = _parsed_emails(emails) if emails is not None else None
    contact.updated_at = timezone.now()
    _save(contact)
    changes = diff(before, snapshot(contact, CONTACT_FIELDS))
    changes += _save_points(contact, parsed_phones, parsed_emails) + _save_tags(contact, tags)
    if changes:
        event_record(
            actor=actor, action=Event.Action.UPDATED, target=contact, changes=changes, parent=contact.company
        )
        event_emit("contact.updated", contact, actor=actor)
    contact_reindex(contact)
    return contact


def _parent(record: Company | Contact) -> Company | None:
    return record.company if isinstance(record, Contact) else None


@transaction.atomic
def record_trash(*, actor: User | None, record: Record) -> Record:
    """Soft-delete: the record leaves lists and search but keeps its history and can be restored."""
    record = type(record).objects.select_for_update().get(pk=record.pk)
    if actor is not None and not (
        actor.has_perm(f"contacts.delete_{record._meta.model_name}") and can(actor, "change", record)
    ):
        raise PermissionDenied(_("You are not allowed to delete this record."))
    if record.deleted_at is None:
        record.deleted_at = timezone.now()
        record.save(update_fields=["deleted_at"])
        event_record(actor=actor, action=Event.Action.DELETED, target=record, parent=_parent(record))
        event_emit(f"{record._meta.model_name}.deleted", record, actor=actor)
    return record


@transaction.atomic
def record_restore(*, actor: User | None, record: Record) -> Record:
    record = type(record).objects.select_for_update().get(pk=record.pk)
    if actor is not None and not (
        actor.has_perm(f"contacts.delete_{record._meta.model_name}") and can(actor, "change", record)
    ):
        raise PermissionDenied(_("You are not allowed to restore this record."))
    if record.deleted_at is not None:
        record.deleted_at = None
        record.save(update_fields=["deleted_at"])
        event_record(actor=actor, action=Event.Action.RESTORED, target=record, parent=_parent(record))
        event_emit(f"{record._meta.model_name}.updated", record, actor=actor)
    return record


def _writable(actor: User, queryset: QuerySet[Record]) -> list[Record]:
    """Lock the chosen rows and refuse the whole batch if any one is not the actor's to change."""
    from tandem.accounts.visibility import scope_q

    model = queryset.model
    rows = list(queryset.select_for_update().order_by("pk"))
    allowed = set(
        model.objects.filter(scope_q(actor, model, "change"), pk__in=[r.pk for r in rows]).values_list(
            "pk", flat=True
        )
    )
    if len(allowed) != len(rows):
        raise PermissionDenied(_("Some of the chosen records are not yours to change; nothing was changed."))
    return rows


@transaction.atomic
def records_reassign(*, actor: User, queryset: QuerySet[Record], owner: User) -> int:
    """Give many records to `owner` (bulk action); all or nothing."""
    _check_owner(actor, owner)
    rows = _writable(actor, queryset)
    now = timezone.now()
    changed = [row for row in rows if row.owner_id != owner.pk]
    for row in changed:
        event_record(
            actor=actor,
            action=Event.Action.REASSIGNED,
            target=row,
            parent=_parent(row),
            changes=[{"field": "owner", "old": str(row.owner), "new": str(owner)}],
        )
        event_emit(f"{row._meta.model_name}.updated", row, actor=actor)
    queryset.model.objects.filter(pk__in=[row.pk for row in changed]).update(owner=owner, updated_at=now)
    return len(changed)


@transaction.atomic
def records_tag(*, actor: User, queryset: QuerySet[Record], tag: Tag) -> int:
    rows = _writable(actor, queryset)
    through = queryset.model.tags.through
    key = f"{queryset.model._meta.model_name}_id"
    existing = set(
        through.objects.filter(tag=tag, **{f"{key}__in": [r.pk for r in rows]}).values_list(key, flat=True)
    )
    new_rows = [row for row in rows if row.pk not in existing]
    through.objects.bulk_create([through(tag=tag, **{key: row.pk}) for row in new_rows])
    for row in new_rows:
        event_record(
            actor=actor,
            action=Event.Action.UPDATED,
            target=row,
            parent=_parent(row),
            changes=[{"field": "tags", "old": None, "new": tag.name}],
        )
        event_emit(f"{row._meta.model_name}.updated", row, actor=actor)
    return len(new_rows)


@transaction.atomic
def records_trash(*, actor: User, queryset: QuerySet[Record]) -> int:
    model = queryset.model
    if not actor.has_perm(f"contacts.delete_{model._meta.model_name}"):
        raise PermissionDenied(_("You are not allowed to delete these records."))
    rows = [row for row in _writable(actor, queryset) if row.deleted_at is None]
    for row in rows:
        event_record(actor=actor, action=Event.Action.DELETED, target=row, parent=_parent(row))
        event_emit(f"{model._meta.model_name}.deleted", row, actor=actor)
    model.objects.filter(pk__in=[row.pk for row in rows]).update(deleted_at=timezone.now())
    return len(rows)


@transaction.atomic
def record_share(*, actor: User, record: Record, users: Iterable[User]) -> Record:
    """The owner (or anyone who may change it) shares the record with colleagues.

    Sharing lets them view and edit it."""
    _require(actor, "change", record)
    users = [user for user in users if user.pk != record.owner_id]
    old = sorted(str(user) for user in record.shared_with.all())
    record.shared_with.set(users)
    new = sorted(str(user) for user in users)
    if old != new:
        event_record(
            actor=actor,
            action=Event.Action.SHARED,
            target=record,
            parent=_parent(record),
            changes=[{"field": "shared_with", "old": old, "new": new}],
        )
    return record


def tag_get_or_create(*, actor: User, name: str) -> Tag:
    name = " ".join(name.split())[:100]
    if not name:
        raise ValidationError({"name": _("Enter a tag name.")}, code="required")
    tag = Tag.objects.filter(name__iexact=name).first()
    if tag is not None:
        return tag
    if not actor.has_perm("contacts.add_tag") and scope_for(actor, Contact, "change") is Scope.NONE:
        raise PermissionDenied(_("Your role cannot create tags."))
    return Tag.objects.create(name=name)
