"""The import run: batches of rows planned against the file and the database, then written in bulk.

Each batch is one transaction holding its records, their phones/emails/tags, their history rows,
its undo log, its rejected rows and the job's progress (`last_row`): a worker killed mid-batch
leaves nothing of that batch, and the next run continues after `last_row`. A dry run plans the
same way and writes nothing but its report, so it costs no more than the import.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from tandem.accounts.models import User
from tandem.accounts.visibility import scope_q
from tandem.contacts.models import Company, Contact, Email, Phone
from tandem.contacts.normalize import company_name_key
from tandem.contacts.search import company_text, contact_text
from tandem.contacts.services import COMPANY_FIELDS, CONTACT_FIELDS
from tandem.core.phones import ParsedPhone
from tandem.history.models import Event
from tandem.imports import reader
from tandem.imports.bulk import allocate_ids, blank, insert_models, insert_rows, json_text
from tandem.imports.matching import (
    EMAIL_NAME_SCORE,
    PHONE_NAME_SCORE,
    Found,
    find_in_database,
    folded_name,
    name_score,
)
from tandem.imports.models import ImportChange, ImportIssue, ImportJob, OnDuplicate
from tandem.imports.pipeline import read_batches
from tandem.imports.references import References
from tandem.imports.rows import Issue, RowData
from tandem.search.backends import Kind, index_many

MODEL_KIND = {Company: ImportChange.Kind.COMPANY, Contact: ImportChange.Kind.CONTACT}


def batch_rows() -> int:
    return int(settings.TANDEM_IMPORT_BATCH_ROWS)


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


def _empty(value: Any) -> bool:
    return value in (None, "", False)


def _plain(value: Any) -> Any:
    if isinstance(value, Model):
        return value.pk
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class Memory:
    """Keys of records created earlier in this import, across batches (dry run only: a real run
    finds them in the database, where earlier batches have committed them)."""

    def __init__(self) -> None:
        self.keys: dict[str, int] = {}
        self.names: dict[int, str] = {}
        self.next_id = -1

    def new_id(self) -> int:
        self.next_id -= 1
        return self.next_id


class ImportRun:
    def __init__(self, job: ImportJob, *, dry_run: bool):
        self.job = job
        self.actor: User = job.created_by
        self.dry_run = dry_run
        self.policy = job.on_duplicate
        table = job.table
        self.info = reader.TableInfo(**{**table, "sample": []})
        self.path = Path(settings.DATA_DIR) / job.file_path
        self.refs = References(self.actor, dry_run=dry_run)
        self.memory = Memory()
        self.counts: Counter[str] = Counter(job.counts if not dry_run else {})
        self.types = {
            Company: ContentType.objects.get_for_model(Company),
            Contact: ContentType.objects.get_for_model(Contact),
        }
        self.ours: dict[type[Model], set[int]] = {Company: set(), Contact: set()}
        if not dry_run:
            for kind, object_id in ImportChange.objects.filter(job=job, created=True).values_list(
                "kind", "object_id"
            ):
                self.ours[Company if kind == ImportChange.Kind.COMPANY else Contact].add(object_id)
        self.may_change: dict[type[Model], set[int]] = {Company: set(), Contact: set()}
        self.known: dict[tuple[type[Model], int], tuple[set[str], set[str], set[int]]] = {}
        self.seen: set[tuple[type[Model], int]] = set()  # existing records rows of earlier batches named

    # --- the loop ----------------------------------------------------------------------------------

    def batches(self) -> Iterator[list[RowData]]:
        after = 0 if self.dry_run else self.job.last_row
        arguments = (self.info.headers, self.job.mapping, self.job.region)
        return read_batches(self.path, self.info, arguments, after=after, size=batch_rows())

    def run(self) -> None:
        for chunk in self.batches():
            with transaction.atomic():
                self.batch(chunk)
                self._save_progress(chunk[-1].row, len(chunk))
            self.after_batch()

    def after_batch(self) -> None:
        """Hook for callers that report progress (the CLI)."""

    def _save_progress(self, last_row: int, rows: int) -> None:
        job = self.job
        job.rows_done += rows
        job.batches += 1
        job.heartbeat_at = timezone.now()
        if job.rows_done > job.rows_total:
            job.rows_total = job.rows_done
        fields = ["rows_done", "batches", "heartbeat_at", "rows_total"]
        if self.dry_run:
            job.preview = dict(self.counts)
            fields.append("preview")
        else:
            job.last_row = last_row
            job.counts = dict(self.counts)
            fields += ["last_row", "counts"]
        job.save(update_fields=fields)

    # --- one batch ---------------------------------------------------------------------------------

    def batch(self, chunk: list[RowData]) -> None:
        issues: list[ImportIssue] = []
        rows: list[RowData] = []
        for data in chunk:
            self.counts["rows"] += 1
            if data.rejection is not None:
                self.counts["rejected"] += 1
                issues.append(self._issue(data.rejection, rejected=True, cells=data.cells))
                continue
            self.refs.resolve(data)
            rows.append(data)
        found = find_in_database(self.actor, rows)
        self._load_changeable(found)
        self._load_known()
        self.local: dict[str, Planned] = {}
        self.seen_now: set[tuple[type[Model], int]] = set()
        self.planned: dict[tuple[type[Model], int], Planned] = {}
        self.new: list[Planned] = []
        for data in rows:
            problem = self.plan_row(data, found)
            if problem is not None:
                self.counts["rejected"] += 1
                issues.append(self._issue(problem, rejected=True, cells=data.cells))
                continue
            if data.warnings:
                self.counts["warnings"] += 1
                issues += [self._issue(warning) for warning in data.warnings]
        updated = [
            p
            for p in self.planned.values()
            if not p.ours and p.has_changes and (type(p.obj), p.obj.pk) not in self.seen
        ]
        self.seen |= self.seen_now
        for planned in self.new:
            self.counts["companies_created" if planned.is_company else "contacts_created"] += 1
        for planned in updated:
            self.counts["companies_updated" if planned.is_company else "contacts_updated"] += 1
        if not self.dry_run:
            self.write()
        ImportIssue.objects.bulk_create(issues)

    def _issue(self, issue: Issue, *, rejected: bool = False, cells: list[str] | None = None) -> ImportIssue:
        return ImportIssue(
            job=self.job,
            dry_run=self.dry_run,
            row=issue.row,
            column=issue.column[:255],
            value=issue.value[:500],
            code=issue.code,
            message=issue.message[:500],
            rejected=rejected,
            cells=[cell[:1000] for cell in cells] if cells is not None else None,
        )

    def _load_known(self) -> None:
        """The phones, emails and tags the candidate records already have (four queries)."""
        self.known = {}
        for model in (Company, Contact):
            ids = self.may_change[model]
            if not ids:
                continue
            key = "company_id" if model is Company else "contact_id"
            for object_id in ids:
                self.known[(model, object_id)] = (set(), set(), set())
            for object_id, e164 in Phone.objects.filter(**{f"{key}__in": ids}).values_list(key, "e164"):
                self.known[(model, object_id)][0].add(e164)
            for object_id, address in Email.objects.filter(**{f"{key}__in": ids}).values_list(key, "address"):
                self.known[(model, object_id)][1].add(address)
            through = model.tags.through
            tag_key = f"{model._meta.model_name}_id"
            for object_id, tag_id in through.objects.filter(**{f"{tag_key}__in": ids}).values_list(
                tag_key, "tag_id"
            ):
                self.known[(model, object_id)][2].add(tag_id)

    def _load_changeable(self, found: Found) -> None:
        companies = {c.pk for group in found.companies_by_key.values() for c in group}
        companies |= found.visible_company_ids
        contacts = {c.pk for group in found.contacts_by_phone.values() for c in group}
        contacts |= {c.pk for group in found.contacts_by_email.values() for c in group}
        contacts |= {c.pk for group in found.contacts_by_name.values() for c in group}
        self.may_change = {
            Company: set(
                Company.objects.filter(scope_q(self.actor, Company, "change"), pk__in=companies).values_list(
                    "pk", flat=True
                )
            )
            if companies
            else set(),
            Contact: set(
                Contact.objects.filter(scope_q(self.actor, Contact, "change"), pk__in=contacts).values_list(
                    "pk", flat=True
                )
            )
            if contacts
            else set(),
        }

    # --- planning a row ----------------------------------------------------------------------------

    def plan_row(self, data: RowData, found: Found) -> Issue | None:
        company: Planned | None = None
        company_handle = 0
        outcome: str | None = None
        if data.has_company:
            match = self._match_company(data, found)
            if isinstance(match, Issue):
                return match
            company, outcome, company_handle = match
        if data.has_contact:
            outcome = self._plan_contact(data, found, company, company_handle)
        if outcome in ("merged", "skipped"):
            self.counts[f"rows_{outcome}"] += 1
        return None

    def _match_company(self, data: RowData, found: Found) -> tuple[Planned | None, str, int] | Issue:
        """The company the row names (planned), the row's outcome, and a handle for its contacts."""
        result = self._find_company(data, found)
        if isinstance(result, Issue):
            return result
        planned, outcome, handle = result
        if planned is not None:
            tax_id = getattr(planned.obj, "tax_id", "")
            keys = [f"t:{tax_id}"] * bool(tax_id) + [f"n:{data.company_key}"]
            self._remember_keys(planned, keys)
        return planned, outcome, handle

    def _find_company(self, data: RowData, found: Found) -> tuple[Planned | None, str, int] | Issue:
        tax_id = data.company.get("tax_id", "")
        key = data.company_key
        local = self.local.get(f"t:{tax_id}") if tax_id else None
        local = local or self.local.get(f"n:{key}")
        if local is not None and (not tax_id or getattr(local.obj, "tax_id", "") in ("", tax_id)):
            self._merge(
                local, data.company, data.company_phones, data.company_emails, data.tag_items, fill=True
            )
            return local, "merged", local.handle()
        remembered = self.memory.keys.get(f"t:{tax_id}") if tax_id else None
        remembered = remembered or self.memory.keys.get(f"n:{key}")
        if remembered is not None:
            return None, "merged", remembered
        existing: Company | None = None
        if tax_id and tax_id in found.companies_by_tax_id:
            existing = found.companies_by_tax_id[tax_id]
            if existing.deleted_at is not None or existing.pk not in found.visible_company_ids:
                hidden = existing.deleted_at is None
                message = (
                    _("A company with tax id %(tax_id)s already exists, but you cannot see it.")
                    if hidden
                    else _("A company with tax id %(tax_id)s is in the trash; restore it first.")
                )
                return Issue(data.row, "", tax_id, "tax_id_taken", message % {"tax_id": tax_id})
        else:
            for candidate in self._ours_first(Company, found.companies_by_key.get(key, [])):
                if not tax_id or candidate.tax_id in ("", tax_id):
                    existing = candidate
                    break
        if existing is not None and (Company, existing.pk) in self.seen:
            planned = self._existing(existing, ours=False)
            if self.policy != OnDuplicate.SKIP and existing.pk in self.may_change[Company]:
                fill = self.policy != OnDuplicate.OVERWRITE
                self._merge(
                    planned, data.company, data.company_phones, data.company_emails, data.tag_items, fill=fill
                )
            return planned, "merged", existing.pk
        if existing is not None:
            ours = existing.pk in self.ours[Company]
            if not ours and self.policy == OnDuplicate.CREATE and not tax_id:
                existing = None
            elif not ours and self.policy == OnDuplicate.SKIP:
                return self._existing(existing, ours=False), "skipped", existing.pk
        if existing is not None:
            planned = self._existing(existing, ours=existing.pk in self.ours[Company])
            if not planned.ours and existing.pk not in self.may_change[Company]:
                return planned, "skipped", existing.pk
            fill = planned.ours or self.policy != OnDuplicate.OVERWRITE
            had_changes = planned.has_changes
            self._merge(
                planned, data.company, data.company_phones, data.company_emails, data.tag_items, fill=fill
            )
            if planned.ours:
                return planned, "merged", existing.pk
            return planned, "updated" if planned.has_changes or had_changes else "skipped", existing.pk
        company = blank(Company, name_key=key, owner=self.actor)
        planned = Planned(obj=company, new=True, ours=True, virtual_id=self.memory.new_id())
        self._merge(
            planned, data.company, data.company_phones, data.company_emails, data.tag_items, fill=True
        )
        self._register_new(planned, str(company))
        return planned, "created", planned.virtual_id

    def _existing(self, obj: Company | Contact, *, ours: bool) -> Planned:
        model = type(obj)
        planned = self.planned.get((model, obj.pk))
        if planned is None:
            known = self.known.get((model, obj.pk))
            planned = Planned(obj=obj, new=False, ours=ours)
            if known is not None:
                planned.known_phones, planned.known_emails, planned.known_tags = known
            self.planned[(model, obj.pk)] = planned
        return planned

    def _register_new(self, planned: Planned, name: str) -> None:
        self.new.append(planned)
        if self.dry_run:
            self.memory.names[planned.virtual_id] = name

    def _remember_keys(self, planned: Planned, keys: list[str]) -> None:
        """Later rows with any of these keys are this record (in this batch; in a dry run, later too).

        An existing record remembered so is "seen": rows about it in later batches are duplicates
        within the file ("merged"), in the import as in its dry run, whatever the policy said first.
        """
        if not planned.new and not planned.ours:
            self.seen_now.add((type(planned.obj), planned.obj.pk))
        for key in keys:
            self.local.setdefault(key, planned)
            if self.dry_run:
                self.memory.keys.setdefault(key, planned.handle())

    def _contact_keys(self, data: RowData, company_handle: int) -> list[str]:
        keys = [f"p:{phone.e164}" for phone in data.contact_phones] + [
            f"e:{email}" for email in data.contact_emails
        ]
        name = folded_name(data.contact.get("first_name", ""), data.contact.get("last_name", ""))
        if company_handle:
            keys.append(f"c:{company_handle}:{name}")
        return keys

    def _plan_contact(self, data: RowData, found: Found, company: Planned | None, company_handle: int) -> str:
        name = data.contact_name()
        keys = self._contact_keys(data, company_handle)
        for key in keys:
            local = self.local.get(key)
            if (
                local is not None
                and isinstance(local.obj, Contact)
                and self._same_person(key, name, str(local.obj))
            ):
                self._merge_contact(local, data, company, fill=True)
                self._remember_keys(local, keys)
                return "merged"
        for key in keys:
            remembered = self.memory.keys.get(key)
            if remembered is not None and self._same_person(key, name, self.memory.names.get(remembered, "")):
                return "merged"
        existing = self._existing_contact(data, found, company_handle, name)
        if existing is not None and (Contact, existing.pk) in self.seen:
            planned = self._existing(existing, ours=False)
            if self.policy != OnDuplicate.SKIP and existing.pk in self.may_change[Contact]:
                self._merge_contact(planned, data, company, fill=self.policy != OnDuplicate.OVERWRITE)
            self._remember_keys(planned, keys)
            return "merged"
        if existing is not None:
            ours = existing.pk in self.ours[Contact]
            if not ours and self.policy == OnDuplicate.SKIP:
                return "skipped"
            if ours or self.policy != OnDuplicate.CREATE:
                planned = self._existing(existing, ours=ours)
                if not ours and existing.pk not in self.may_change[Contact]:
                    return "skipped"
                had_changes = planned.has_changes
                self._merge_contact(planned, data, company, fill=ours or self.policy != OnDuplicate.OVERWRITE)
                self._remember_keys(planned, keys)
                if self.dry_run:
                    self.memory.names.setdefault(existing.pk, str(existing))
                if ours:
                    return "merged"
                return "updated" if planned.has_changes or had_changes else "skipped"
        contact = blank(Contact, owner=self.actor)
        planned = Planned(obj=contact, new=True, ours=True, virtual_id=self.memory.new_id())
        self._merge_contact(planned, data, company, fill=True)
        self._register_new(planned, name)
        self._remember_keys(planned, keys)
        return "created"

    @staticmethod
    def _same_person(key: str, name: str, other: str) -> bool:
        if key.startswith("c:"):
            return True
        threshold = PHONE_NAME_SCORE if key.startswith("p:") else EMAIL_NAME_SCORE
        return name_score(name, other) >= threshold

    def _existing_contact(
        self, data: RowData, found: Found, company_handle: int, name: str
    ) -> Contact | None:
        candidates: list[tuple[Contact, float]] = []
        for phone in data.contact_phones:
            candidates += [(c, PHONE_NAME_SCORE) for c in found.contacts_by_phone.get(phone.e164, [])]
        for email in data.contact_emails:
            candidates += [(c, EMAIL_NAME_SCORE) for c in found.contacts_by_email.get(email, [])]
        if company_handle > 0:
            key = (
                company_handle,
                folded_name(data.contact.get("first_name", ""), data.contact.get("last_name", "")),
            )
            candidates += [(c, 0) for c in found.contacts_by_name.get(key, [])]
        # A record this import created (an earlier row of the file) wins over an older one.
        candidates.sort(key=lambda pair: pair[0].pk not in self.ours[Contact])
        for contact, threshold in candidates:
            if name_score(name, str(contact)) >= threshold:
                return contact
        return None

    def _ours_first(self, model: type[Model], records: list[Any]) -> list[Any]:
        return sorted(records, key=lambda record: record.pk not in self.ours[model])

    def _merge_contact(self, planned: Planned, data: RowData, company: Planned | None, *, fill: bool) -> None:
        values = dict(data.contact)
        if company is not None:
            if company.new:
                if planned.new and planned.company is None:
                    planned.company = company
            else:
                values["company"] = company.obj
        self._merge(planned, values, data.contact_phones, data.contact_emails, data.tag_items, fill=fill)

    def _merge(
        self,
        planned: Planned,
        values: dict[str, Any],
        phones: list[ParsedPhone],
        emails: list[str],
        tags: list[Any],
        *,
        fill: bool,
    ) -> None:
        """Copy the row's values in (only into empty fields when `fill`); add unknown phones, emails, tags."""
        obj = planned.obj
        for name, value in values.items():
            if _empty(value) or name.startswith("_"):
                continue
            if name == "company":
                current = obj.company_id  # type: ignore[union-attr]
                if (current is None or not fill) and current != value.pk:
                    self._remember_before(planned)
                    obj.company = value  # type: ignore[union-attr]
                    planned.changed.add("company")
                continue
            current = getattr(obj, name)
            if (fill and not _empty(current)) or current == value:
                continue
            if name == "owner" and not planned.new:
                continue  # an import never takes records away from their owner
            self._remember_before(planned)
            setattr(obj, name, value)
            planned.changed.add(name)
        for phone in phones:
            if phone.e164 not in planned.known_phones:
                planned.known_phones.add(phone.e164)
                planned.phones.append(phone)
        for email in emails:
            if email not in planned.known_emails:
                planned.known_emails.add(email)
                planned.emails.append(email)
        for tag in tags:
            key = tag.pk or id(tag)
            if key not in planned.known_tags:
                planned.known_tags.add(key)
                planned.tags.append(tag)

    def _remember_before(self, planned: Planned) -> None:
        if planned.new or planned.ours or planned.before is not None:
            return
        fields = COMPANY_FIELDS if planned.is_company else CONTACT_FIELDS
        planned.before = {name: _plain(getattr(planned.obj, name)) for name in fields}
        planned.before_display = {name: _display(getattr(planned.obj, name)) for name in fields}
        planned.before["updated_at"] = planned.obj.updated_at.isoformat()

    # --- writing a batch ---------------------------------------------------------------------------

    def write(self) -> None:
        now = timezone.now()
        new_companies = [p.obj for p in self.new if isinstance(p.obj, Company)]
        new_contacts = [p for p in self.new if isinstance(p.obj, Contact)]
        for company, pk in zip(new_companies, allocate_ids(Company, len(new_companies)), strict=True):
            company.pk = pk
            company.name_key = company_name_key(company.name)
            company.created_at = company.updated_at = now
        insert_models(Company, new_companies)
        for planned, pk in zip(new_contacts, allocate_ids(Contact, len(new_contacts)), strict=True):
            contact = planned.obj
            contact.pk = pk
            if planned.company is not None:
                contact.company = planned.company.obj  # type: ignore[union-attr,assignment]
            contact.created_at = contact.updated_at = now
        insert_models(Contact, [p.obj for p in new_contacts])
        changed = [p for p in self.planned.values() if p.has_changes]
        for model in (Company, Contact):
            rows = [p for p in changed if isinstance(p.obj, model) and p.changed]
            for planned in rows:
                self._remember_before(planned)
                planned.obj.updated_at = now
            if rows:
                names = sorted({name for p in rows for name in p.changed} | {"updated_at"})
                model.objects.bulk_update([p.obj for p in rows], names)  # type: ignore[misc,attr-defined]
        touched = self.new + changed
        self._write_points(touched)
        self._write_history(touched, now)
        self._write_undo_log(touched)
        self._reindex(touched)
        for planned in self.new:
            self.ours[type(planned.obj)].add(planned.obj.pk)

    def _write_points(self, touched: list[Planned]) -> None:
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
            insert_rows(Phone, ["label", "position", owner, "e164", "extension", "raw"], phones[key])
            insert_rows(Email, ["label", "position", owner, "address"], emails[key])
            insert_rows(model.tags.through, [owner, "tag_id"], tags[key])  # type: ignore[attr-defined]

    def _write_history(self, touched: list[Planned], now: Any) -> None:
        label = f"#{self.job.pk} {self.job.filename}"
        occurred_at = connection.ops.adapt_datetimefield_value(now)
        rows = []
        for planned in touched:
            if planned.ours and not planned.new:
                continue
            obj = planned.obj
            changes: list[dict[str, Any]]
            if planned.new:
                changes = [{"field": "import", "old": None, "new": label}]
            else:
                changes = [
                    {
                        "field": name,
                        "old": planned.before_display.get(name),
                        "new": _display(getattr(obj, name)),
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
            company_id = obj.company_id if isinstance(obj, Contact) else None
            rows.append(
                (
                    occurred_at,
                    self.actor.pk,
                    Event.Action.IMPORTED.value,
                    self.types[type(obj)].pk,
                    obj.pk,
                    str(obj)[:300],
                    self.types[Company].pk if company_id else None,
                    company_id,
                    json_text(changes),
                )
            )
        columns = ["occurred_at", "actor_id", "action", "target_type_id", "target_id", "target_label"]
        insert_rows(Event, [*columns, "parent_type_id", "parent_id", "changes"], rows)

    def _write_undo_log(self, touched: list[Planned]) -> None:
        batch = self.job.batches + 1
        rows: list[tuple[Any, ...]] = []
        for planned in touched:
            if planned.ours and not planned.new:
                continue
            kind = MODEL_KIND[type(planned.obj)]
            if planned.new:
                rows.append((self.job.pk, batch, kind, planned.obj.pk, True, None, None))
                continue
            if planned.before is None:
                self._remember_before(planned)
            after = {
                "fields": {name: _plain(getattr(planned.obj, name)) for name in sorted(planned.changed)},
                "phones": [phone.e164 for phone in planned.phones],
                "emails": planned.emails,
                "tags": [tag.pk for tag in planned.tags],
            }
            rows.append(
                (self.job.pk, batch, kind, planned.obj.pk, False, json_text(planned.before), json_text(after))
            )
        columns = ["job_id", "batch", "kind", "object_id", "created", "before", "after"]
        insert_rows(ImportChange, columns, rows)

    def _reindex(self, touched: list[Planned]) -> None:
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
            index_many(kind, rows, new=new)


def _display(value: Any) -> Any:
    """A value as the timeline shows it: related records by name, dates as text."""
    if isinstance(value, Model):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
