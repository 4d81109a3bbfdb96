"""The import run: batches of rows planned against the file and the database, then written in bulk.

Each batch is one transaction holding its records, their phones/emails/tags, their history rows,
its undo log, its rejected rows and the job's progress (`last_row`): a worker killed mid-batch
leaves nothing of that batch, and the next run continues after `last_row`. A batch is planned into
`Statements` and handed to a sink (`imports.sink`), which for big files writes it in another process
while the next batch is planned. A dry run plans the same way and writes nothing but its report, so
it costs no more than the import.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from tandem.accounts.models import User
from tandem.accounts.visibility import scope_q
from tandem.contacts.models import Company, Contact, Email, Phone
from tandem.core.idsets import one_of
from tandem.core.phones import ParsedPhone
from tandem.core.statements import Statements
from tandem.imports import reader
from tandem.imports.bulk import Ids, assign, blank, insert_rows, json_text, update_models
from tandem.imports.children import fewer_collections
from tandem.imports.inflight import InFlight
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
from tandem.imports.planned import Planned, empty, remember_before
from tandem.imports.references import References
from tandem.imports.rows import Issue, RowData
from tandem.imports.sink import HereSink, Sink, WriterProcess
from tandem.imports.writer import BatchWrite, write_batch


def batch_rows() -> int:
    return int(settings.TANDEM_IMPORT_BATCH_ROWS)


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
        self.types: dict[type[Model], ContentType] = {
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
        self.in_flight = InFlight(depth=0)
        self.ids = Ids(ahead=4 * batch_rows() if self.writes_apart() else 0)

    # --- the loop ----------------------------------------------------------------------------------

    def batches(self) -> Iterator[list[RowData]]:
        after = 0 if self.dry_run else self.job.last_row
        arguments = (self.info.headers, self.job.mapping, self.job.region)
        return read_batches(self.path, self.info, arguments, after=after, size=batch_rows())

    def writes_apart(self) -> bool:
        """Big files are written by a writer process while the next batch is planned."""
        return not self.dry_run and self.info.estimated_rows >= settings.TANDEM_IMPORT_WRITER_ROWS

    def make_sink(self) -> Sink:
        return WriterProcess() if self.writes_apart() else HereSink()

    def run(self) -> None:
        sink = self.make_sink()
        self.in_flight = InFlight(sink.depth)
        try:
            with fewer_collections():
                for chunk in self.batches():
                    sink.write(self.batch(chunk))
                    self.after_batch()
            sink.finish()
        except BaseException:
            sink.close()
            raise

    def after_batch(self) -> None:
        """Hook for callers that report progress (the CLI)."""

    def _save_progress(self, last_row: int, rows: int, into: Statements) -> None:
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
        update_models(ImportJob, [job], fields, into)

    # --- one batch ---------------------------------------------------------------------------------

    def batch(self, chunk: list[RowData]) -> Statements:
        """Plan a batch: the statements that write it, with its issues and the job's progress."""
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
        self.in_flight.overlay(found, rows)
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
        statements = Statements()
        if not self.dry_run:
            self.in_flight.push(self.write(statements))
        self._write_issues(issues, statements)
        self._save_progress(chunk[-1].row, len(chunk), statements)
        return statements

    def _write_issues(self, issues: list[ImportIssue], into: Statements) -> None:
        columns = ["job_id", "dry_run", "row", "column", "value", "code", "message", "rejected", "cells"]
        rows = [
            (i.job_id, i.dry_run, i.row, i.column, i.value, i.code, i.message, i.rejected, json_text(i.cells))
            for i in issues
        ]
        insert_rows(ImportIssue, columns, rows, into)

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
            for object_id, e164 in Phone.objects.filter(one_of(key, ids)).values_list(key, "e164"):
                self.known[(model, object_id)][0].add(e164)
            for object_id, address in Email.objects.filter(one_of(key, ids)).values_list(key, "address"):
                self.known[(model, object_id)][1].add(address)
            through = model.tags.through
            tag_key = f"{model._meta.model_name}_id"
            for object_id, tag_id in through.objects.filter(one_of(tag_key, ids)).values_list(
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
                Company.objects.filter(
                    scope_q(self.actor, Company, "change"), one_of("pk", companies)
                ).values_list("pk", flat=True)
            )
            if companies
            else set(),
            Contact: set(
                Contact.objects.filter(
                    scope_q(self.actor, Contact, "change"), one_of("pk", contacts)
                ).values_list("pk", flat=True)
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
            known = self.in_flight.known((model, obj.pk)) or self.known.get((model, obj.pk))
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
            if company.new:  # linked by the writer, once the company has its primary key
                linked = planned.company is not None or planned.obj.company_id is not None  # type: ignore[union-attr]
                if planned.company is not company and (not linked or not fill):
                    remember_before(planned)
                    planned.company = company
                    planned.changed.add("company")
            else:
                if not fill:
                    planned.company = None  # this row's known company replaces a pending new one
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
            if empty(value) or name.startswith("_"):
                continue
            if name == "company":
                current = obj.company_id  # type: ignore[union-attr]
                if (current is None or not fill) and current != value.pk:
                    remember_before(planned)
                    assign(obj, "company", value)
                    planned.changed.add("company")
                continue
            current = getattr(obj, name)
            if (fill and not empty(current)) or current == value:
                continue
            if name == "owner" and not planned.new:
                continue  # an import never takes records away from their owner
            remember_before(planned)
            assign(obj, name, value)
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

    # --- writing a batch ---------------------------------------------------------------------------

    def write(self, into: Statements) -> list[Planned]:
        planned = list(self.planned.values())
        return write_batch(
            BatchWrite(self.job, self.actor, self.types, self.new, planned, self.ours, self.ids, into)
        )
