"""Reads of duplicates and merges, scoped to what the acting user may see.

A pair is shown only when the user may see both records; a merge only when they may see the kept one.
Visibility is applied in SQL (IN over the scoped records), so pages stay bounded at a million rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from tandem.accounts.models import User
from tandem.accounts.visibility import Scope, scope_for, scope_q
from tandem.activities.models import Activity
from tandem.contacts.models import Company, Contact, Email, Phone
from tandem.contacts.normalize import email_key
from tandem.core.pagination import paginate
from tandem.core.phones import display_phone
from tandem.deals.models import Deal, DealContact
from tandem.leads.models import LeadSubmission
from tandem.merges import matching
from tandem.merges.matching import MAX_BLOCK, MIN_SCORE
from tandem.merges.models import DuplicateCandidate, DuplicateScan, Merge, RecordKind
from tandem.merges.services import TRAVELS_WITH, merge_fields

PAGE_SIZE = 25
CANDIDATE_ORDERING = ["-score", "-id"]
T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """A keyset page of `rows` built from model rows (see tandem.core.pagination.Page)."""

    rows: list[T]
    next_cursor: str | None
    previous_cursor: str | None
    count: int = -1  # on the first page: exact up to tandem.core.pagination.COUNT_CAP
    count_capped: bool = False


def model_for(kind: str) -> type[Company] | type[Contact]:
    return Company if kind == RecordKind.COMPANY else Contact


def _visible(user: User, model: Any, field: str, *, live: bool = True) -> Q:
    """Rows whose `field` names a record of `model` the user may see (and, if `live`, not trashed).

    Whoever sees everything gets a primary-key probe per row (EXISTS); an IN over "every record"
    would make SQLite build a million-row list first. Others get an IN over their own (few) records."""
    if scope_for(user, model, "view") is Scope.ALL:
        if not live:
            return Q()
        return Q(Exists(model.objects.filter(pk=OuterRef(field), deleted_at__isnull=True)))
    records = model.objects.filter(scope_q(user, model, "view"))
    if live:
        records = records.filter(deleted_at__isnull=True)
    return Q(**{f"{field}__in": records.values("pk")})


# --- the duplicates page -------------------------------------------------------------------------


@dataclass
class Pair:
    candidate: DuplicateCandidate
    first: Company | Contact
    second: Company | Contact
    reasons: list[str]
    can_merge: bool = False


def reason_text(reason: dict) -> str:
    """A reason as people read it: "same phone +359 88 812 3456", "similar name 93%"."""
    code = reason.get("code")
    if code == "phone":
        return _("same phone %(phone)s") % {"phone": display_phone(str(reason.get("value", "")))}
    if code == "email":
        return _("same email %(email)s") % {"email": reason.get("value", "")}
    if code == "same_name":
        return _("same name")
    if code == "same_company":
        return _("similar name at the same company")
    if code == "name":
        return _("similar name %(score)s%%") % {"score": reason.get("score", 0)}
    return str(code)


def candidate_list(*, actor: User, kind: str) -> QuerySet[DuplicateCandidate]:
    """Open pairs of `kind` both of whose (live) records the actor may see; unordered."""
    model = model_for(kind)
    return DuplicateCandidate.objects.filter(
        _visible(actor, model, "low_id"),
        _visible(actor, model, "high_id"),
        kind=kind,
        dismissed_at__isnull=True,
        score__gte=MIN_SCORE,
    )


def _records(actor: User, model: type[Company] | type[Contact], ids: set[int]) -> dict[int, Any]:
    queryset: Any = model.objects.filter(pk__in=ids).select_related("owner")
    if model is Contact:
        queryset = queryset.select_related("company")
    return {row.pk: row for row in queryset.prefetch_related("phones", "emails")}


def _mergeable(actor: User, model: type[Company] | type[Contact], ids: set[int]) -> set[int]:
    """Of `ids`, those the actor may merge (change and delete), in one query."""
    if not ids or not actor.has_perm(f"contacts.delete_{model._meta.model_name}"):
        return set()
    return set(model.objects.filter(scope_q(actor, model, "change"), pk__in=ids).values_list("pk", flat=True))


def _age(record: Company | Contact) -> tuple:
    return (record.created_at, record.pk)


def candidate_page(*, actor: User, kind: str, cursor: str | None, size: int = PAGE_SIZE) -> Page[Pair]:
    """One keyset page of pairs, best first, with both records loaded (a constant number of queries)."""
    page = paginate(
        candidate_list(actor=actor, kind=kind), ordering=CANDIDATE_ORDERING, cursor=cursor, size=size
    )
    model = model_for(kind)
    ids = {pk for row in page.rows for pk in (row.low_id, row.high_id)}
    records = _records(actor, model, ids)
    mergeable = _mergeable(actor, model, ids)
    pairs = []
    for row in page.rows:
        if row.low_id not in records or row.high_id not in records:
            continue
        # The older record comes first: it is the one kept by default.
        first, second = sorted(
            (records[row.low_id], records[row.high_id]), key=lambda r: (r.created_at, r.pk)
        )
        pairs.append(
            Pair(
                candidate=row,
                first=first,
                second=second,
                reasons=[reason_text(reason) for reason in row.reasons],
                can_merge=row.low_id in mergeable and row.high_id in mergeable,
            )
        )
    return Page(pairs, page.next_cursor, page.previous_cursor, page.count, page.count_capped)


def last_scan(kind: str) -> DuplicateScan | None:
    return DuplicateScan.objects.filter(kind=kind).order_by("-started_at").first()


def candidate_get_for_user(*, user: User, pk: object) -> DuplicateCandidate:
    """An open pair the user may see both sides of; DuplicateCandidate.DoesNotExist otherwise."""
    candidate = DuplicateCandidate.objects.get(pk=int(str(pk)))
    return candidate_list(actor=user, kind=candidate.kind).get(pk=candidate.pk)


# --- possible duplicates of one record (a card, an import row) ------------------------------------


@dataclass
class Match:
    pk: int
    score: int
    reasons: list[dict]
    record: Any = None
    texts: list[str] = field(default_factory=list)


def duplicate_matches(
    *,
    kind: str,
    first_name: str = "",
    last_name: str = "",
    company_name_key: str = "",
    company_id: int | None = None,
    phones: Sequence[str] = (),
    emails: Sequence[str] = (),
    exclude_id: int | None = None,
) -> list[Match]:
    """Live records of `kind` that look like the given values, best first, scored like the scan.

    For a card and for the importer (values of a row not saved yet). Not scoped by visibility:
    callers filter (see `duplicates_for_record`). Every lookup is an index probe bounded by MAX_BLOCK."""
    model = model_for(kind)
    owner = f"{kind}_id"
    found: dict[int, list[dict]] = defaultdict(list)
    live = {f"{kind}__deleted_at__isnull": True, f"{kind}__isnull": False}
    if phones:
        phone_rows = Phone.objects.filter(e164__in=list(phones), **live).values_list("e164", owner)
        for e164, pk in phone_rows[: MAX_BLOCK * 4]:
            found[pk].append({"code": "phone", "value": e164})
    if emails:
        addresses = [email_key(address) for address in emails]
        email_rows = Email.objects.filter(address__in=addresses, **live).values_list("address", owner)
        for address, pk in email_rows[: MAX_BLOCK * 4]:
            found[pk].append({"code": "email", "value": address})
    if model is Company and company_name_key:
        same = Company.objects.filter(name_key=company_name_key, deleted_at__isnull=True)
        for pk in same.values_list("pk", flat=True)[:MAX_BLOCK]:
            found[pk].append({"code": "same_name"})
    name = matching.person_name_key(first_name, last_name) if model is Contact else company_name_key
    if model is Contact and company_id:
        colleagues = Contact.objects.filter(company_id=company_id, deleted_at__isnull=True)
        for pk, first, last in colleagues.values_list("pk", "first_name", "last_name")[:MAX_BLOCK]:
            other = matching.person_name_key(first, last)
            if other == name:
                found[pk].append({"code": "same_name"})
            elif matching.name_similarity(name, other) >= matching.SAME_COMPANY_NAME_FROM:
                found[pk].append({"code": "same_company"})
    found.pop(exclude_id, None)  # type: ignore[arg-type]
    names = _names(kind, list(found))
    matches = []
    for pk, reasons in found.items():
        value, scored = matching.score(
            matching.merge_reasons(reasons), matching.name_similarity(name, names[pk])
        )
        if value >= MIN_SCORE:
            matches.append(Match(pk=pk, score=value, reasons=scored))
    return sorted(matches, key=lambda match: (-match.score, match.pk))


def _names(kind: str, ids: list[int]) -> dict[int, str]:
    from tandem.merges.scan import record_names

    names = record_names(kind, ids) if ids else {}
    return {pk: names.get(pk, "") for pk in ids}


def duplicates_for_record(*, actor: User, record: Company | Contact, limit: int = 20) -> list[Match]:
    """Possible duplicates of one record the actor may see, with the records loaded."""
    kind = RecordKind.COMPANY if isinstance(record, Company) else RecordKind.CONTACT
    key = "company" if kind == RecordKind.COMPANY else "contact"
    phones = list(Phone.objects.filter(**{key: record}).values_list("e164", flat=True))
    emails = list(Email.objects.filter(**{key: record}).values_list("address", flat=True))
    matches = duplicate_matches(
        kind=kind,
        first_name=getattr(record, "first_name", ""),
        last_name=getattr(record, "last_name", ""),
        company_name_key=getattr(record, "name_key", ""),
        company_id=getattr(record, "company_id", None),
        phones=phones,
        emails=emails,
        exclude_id=record.pk,
    )
    model = type(record)
    visible = set(
        model.objects.filter(
            scope_q(actor, model, "view"), pk__in=[match.pk for match in matches]
        ).values_list("pk", flat=True)
    )
    matches = [match for match in matches if match.pk in visible][:limit]
    records = _records(actor, model, {match.pk for match in matches})
    for match in matches:
        match.record = records[match.pk]
        match.texts = [reason_text(reason) for reason in match.reasons]
    return matches


# --- the merge screen ----------------------------------------------------------------------------


@dataclass
class FieldChoice:
    name: str
    label: str
    survivor_value: str
    other_value: str
    take_other: bool


@dataclass
class MergePlan:
    fields: list[FieldChoice]
    same: list[str]  # labels of the fields both records agree on
    moves: list[tuple[str, int]]  # (what, how many) re-linked to the survivor


def _display(record: Model, name: str) -> str:
    value = getattr(record, name)
    if name == "name" and isinstance(record, Company):
        return str(record)
    if value is None or value in ("", {}, []):
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict):
        return ", ".join(f"{key}: {item}" for key, item in value.items())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def merge_plan(*, survivor: Company | Contact, other: Company | Contact) -> MergePlan:
    """What merging `other` into `survivor` would do: the differing fields with a default choice (the
    survivor's value unless it is empty and the other's is not), and how many rows would move."""
    model = type(survivor)
    choices, same = [], []
    for name in merge_fields(model):
        model_field = model._meta.get_field(name)
        label = str(getattr(model_field, "verbose_name", name))
        mine, theirs = _display(survivor, name), _display(other, name)
        companions_differ = any(getattr(survivor, c) != getattr(other, c) for c in TRAVELS_WITH.get(name, []))
        if mine == theirs and not (name == "name" and companions_differ):
            same.append(label)
            continue
        choices.append(FieldChoice(name, label, mine, theirs, take_other=not mine and bool(theirs)))
    if isinstance(other, Contact):
        counts = [
            (_("deals"), DealContact.objects.filter(contact_id=other.pk).count()),
            (_("activities"), Activity.objects.filter(contact_id=other.pk).count()),
            (_("web requests"), LeadSubmission.objects.filter(contact_id=other.pk).count()),
        ]
    else:
        counts = [
            (_("contacts"), Contact.objects.filter(company_id=other.pk).count()),
            (_("deals"), Deal.objects.filter(company_id=other.pk).count()),
            (_("activities"), Activity.objects.filter(company_id=other.pk).count()),
        ]
    return MergePlan(fields=choices, same=same, moves=[(what, count) for what, count in counts if count])


# --- the merges log ------------------------------------------------------------------------------


@dataclass
class MergeRow:
    merge: Merge
    can_undo: bool


def merge_list(*, actor: User) -> QuerySet[Merge]:
    """Merges whose kept record the actor may see (in the trash or not); unordered."""
    return Merge.objects.filter(
        Q(kind=RecordKind.CONTACT) & _visible(actor, Contact, "survivor_id", live=False)
        | Q(kind=RecordKind.COMPANY) & _visible(actor, Company, "survivor_id", live=False)
    ).select_related("actor", "undone_by")


def merge_page(*, actor: User, cursor: str | None, size: int = PAGE_SIZE) -> Page[MergeRow]:
    page = paginate(merge_list(actor=actor), ordering=["-id"], cursor=cursor, size=size)
    mergeable: set[tuple[str, int]] = set()
    for kind in RecordKind.values:
        model = model_for(kind)
        ids = {pk for row in page.rows if row.kind == kind for pk in (row.survivor_id, row.other_id)}
        mergeable |= {(kind, pk) for pk in _mergeable(actor, model, ids)}
    rows = [
        MergeRow(
            merge=row,
            can_undo=not row.is_undone
            and (row.kind, row.survivor_id) in mergeable
            and (row.kind, row.other_id) in mergeable,
        )
        for row in page.rows
    ]
    return Page(rows, page.next_cursor, page.previous_cursor, page.count, page.count_capped)


def merge_get_for_user(*, user: User, pk: object) -> Merge:
    """A merge the user may see; Merge.DoesNotExist otherwise."""
    return merge_list(actor=user).get(pk=int(str(pk)))
