"""The life of an import: upload, mapping, dry run, run, resume, undo.

Starting services only flip the job's status with a conditional UPDATE and enqueue the Huey job;
the `*_execute` functions are the job bodies (also called in-process by the CLI). A job claims its
import with the same conditional UPDATE, so two workers never run one import.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

import phonenumbers
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tandem.accounts.models import User
from tandem.accounts.roles import Role
from tandem.core.errors import PermissionDenied, ValidationError
from tandem.core.events import event_emit
from tandem.history.models import Event
from tandem.imports import reader
from tandem.imports.columns import auto_map
from tandem.imports.engine import ImportRun
from tandem.imports.fields import BY_KEY, FIELD_KEYS
from tandem.imports.models import ImportIssue, ImportJob, MappingProfile, OnDuplicate
from tandem.imports.undo import undo_run

logger = logging.getLogger(__name__)
Status = ImportJob.Status
COPY_CHUNK = 1024 * 1024
NAME_FIELDS = {"company.name", "contact.full_name", "contact.first_name", "contact.last_name"}


def imports_dir() -> Path:
    return Path(settings.DATA_DIR) / "imports"


def max_import_bytes() -> int:
    return int(settings.TANDEM_MAX_IMPORT_BYTES)


def import_allowed(actor: User) -> bool:
    return actor.has_perm("contacts.add_contact") or actor.has_perm("contacts.add_company")


def _require_allowed(actor: User) -> None:
    if not import_allowed(actor):
        raise PermissionDenied(_("Your role cannot import clients."))


def _require_own(actor: User, job: ImportJob) -> None:
    if job.created_by_id != actor.pk and actor.role != Role.ADMIN:
        raise PermissionDenied(_("This import is not yours."))


def _store(stream: IO[bytes], suffix: str) -> tuple[Path, int]:
    directory = imports_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{uuid.uuid4().hex}{suffix[:8]}"
    size = 0
    limit = max_import_bytes()
    with path.open("wb") as output:
        while chunk := stream.read(COPY_CHUNK):
            size += len(chunk)
            if size > limit:
                output.close()
                path.unlink(missing_ok=True)
                message = _("The file is larger than %(limit)s MB.") % {"limit": limit // (1024 * 1024)}
                raise ValidationError({"file": message}, code="too_large")
            output.write(chunk)
    return path, size


def _table(info: reader.TableInfo) -> dict[str, Any]:
    table = asdict(info)
    table.pop("sample", None)
    return table


def profile_for(actor: User, headers: list[str]) -> MappingProfile | None:
    """The user's saved mapping that knows the most of these headers (at least half of them)."""
    best, best_hits = None, 0
    for profile in MappingProfile.objects.filter(owner=actor)[:200]:
        hits = sum(1 for header in headers if header in profile.mapping)
        if hits > best_hits:
            best, best_hits = profile, hits
    return best if best is not None and best_hits * 2 >= len([h for h in headers if h]) else None


def _mapping_from_profile(
    profile: MappingProfile, headers: list[str], auto: list[str | None]
) -> list[str | None]:
    return [
        profile.mapping.get(header, key) if header else key for header, key in zip(headers, auto, strict=True)
    ]


def import_upload(
    *,
    actor: User,
    stream: IO[bytes],
    filename: str,
    sheet: str | None = None,
    profile: MappingProfile | None = None,
) -> ImportJob:
    """Store the file, read its layout and guess the mapping (or take a saved profile's)."""
    _require_allowed(actor)
    suffix = Path(filename).suffix.lower()
    path, size = _store(stream, suffix)
    try:
        info = reader.inspect(path, filename=filename, sheet=sheet)
    except reader.FileRejected:
        path.unlink(missing_ok=True)
        raise
    mapping = auto_map(info.headers)
    profile = profile or profile_for(actor, info.headers)
    if profile is not None:
        mapping = _mapping_from_profile(profile, info.headers, mapping)
    return ImportJob.objects.create(
        created_by=actor,
        filename=Path(filename).name[:255] or "import",
        file_path=str(path.relative_to(Path(settings.DATA_DIR))),
        file_size=size,
        table=_table(info),
        mapping=mapping,
        region=(profile.region if profile and profile.region else settings.PHONE_REGION),
        on_duplicate=profile.on_duplicate if profile else OnDuplicate.UPDATE,
        profile=profile,
        rows_total=info.estimated_rows,
    )


def job_path(job: ImportJob) -> Path:
    return Path(settings.DATA_DIR) / job.file_path


def job_sample(job: ImportJob, limit: int = 5) -> list[tuple[int, list[str]]]:
    info = reader.TableInfo(**{**job.table, "sample": []})
    rows = reader.iter_rows(job_path(job), info)
    return [row for _index, row in zip(range(limit), rows, strict=False)]


def _validate_mapping(actor: User, headers: list[str], mapping: list[str | None]) -> list[str | None]:
    if len(mapping) != len(headers):
        raise ValidationError(
            {"mapping": _("Give one field (or none) for every column.")}, code="invalid_mapping"
        )
    errors: list[str] = []
    seen: set[str] = set()
    for header, key in zip(headers, mapping, strict=True):
        if key is None:
            continue
        if key not in FIELD_KEYS:
            errors.append(_("“%(key)s” is not a field you can import into.") % {"key": key})
        elif key in seen and not BY_KEY[key].multi:
            errors.append(
                _("Two columns go into “%(field)s”; choose one of them (%(header)s).")
                % {"field": BY_KEY[key].label, "header": header}
            )
        seen.add(key)
    if not errors and not seen & NAME_FIELDS:
        errors.append(_("Choose the column with the company name or the person's name."))
    if errors:
        raise ValidationError({"mapping": errors}, code="invalid_mapping")
    if any(key.startswith("company.") for key in seen) and not actor.has_perm("contacts.add_company"):
        raise PermissionDenied(_("Your role cannot create companies."))
    if seen & {"contact.full_name", "contact.first_name", "contact.last_name"} and not actor.has_perm(
        "contacts.add_contact"
    ):
        raise PermissionDenied(_("Your role cannot create contacts."))
    return mapping


def import_configure(
    *,
    actor: User,
    job: ImportJob,
    mapping: list[str | None] | None = None,
    region: str | None = None,
    on_duplicate: str | None = None,
    sheet: str | None = None,
    profile_name: str = "",
) -> ImportJob:
    """Set the mapping, the phone region and the duplicate policy; a changed setting voids the dry run."""
    _require_own(actor, job)
    _release_dead_preview(job)
    if job.status not in (Status.NEW, Status.PREVIEWED):
        raise ValidationError(
            _("This import has started; its settings can no longer change."), code="started"
        )
    if sheet is not None and sheet != job.table.get("sheet"):
        info = reader.inspect(job_path(job), filename=job.filename, sheet=sheet)
        job.table, job.rows_total = _table(info), info.estimated_rows
        job.mapping = auto_map(info.headers)
    headers = job.table["headers"]
    if mapping is not None:
        job.mapping = _validate_mapping(actor, headers, [key or None for key in mapping])
    if region is not None:
        region = region.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValidationError(
                {"region": _("Choose a country for the phone numbers.")}, code="invalid_region"
            )
        job.region = region
    if on_duplicate is not None:
        if on_duplicate not in OnDuplicate.values:
            raise ValidationError(
                {"on_duplicate": _("Choose what to do with duplicates.")}, code="invalid_choice"
            )
        job.on_duplicate = on_duplicate
    job.status, job.preview = Status.NEW, {}
    profile_name = " ".join(profile_name.split())[:100]
    if profile_name:
        job.profile, _created = MappingProfile.objects.update_or_create(
            owner=actor,
            name=profile_name,
            defaults={
                "mapping": {h: k for h, k in zip(headers, job.mapping, strict=True) if h},
                "region": job.region,
                "on_duplicate": job.on_duplicate,
                "updated_at": timezone.now(),
            },
        )
    job.save()
    return job


def _flip(job: ImportJob, allowed: Iterable[str], status: str, **values: Any) -> bool:
    """Move the job to `status` if it is still in one of `allowed` states (one conditional UPDATE)."""
    changed = ImportJob.objects.filter(pk=job.pk, status__in=list(allowed)).update(status=status, **values)
    if changed:
        job.refresh_from_db()
    return bool(changed)


def _stalled_after() -> datetime.timedelta:
    """A batch takes seconds; no heartbeat for this long means the worker died."""
    return datetime.timedelta(seconds=settings.TANDEM_IMPORT_STALLED_SECONDS)


def _stalled() -> Q:
    return Q(heartbeat_at__lt=timezone.now() - _stalled_after()) | Q(heartbeat_at__isnull=True)


def import_is_stalled(job: ImportJob) -> bool:
    moment = timezone.now() - _stalled_after()
    return job.status in (Status.RUNNING, Status.UNDOING, Status.PREVIEWING, Status.QUEUED) and (
        job.heartbeat_at is None or job.heartbeat_at < moment
    )


def _release_dead_preview(job: ImportJob) -> None:
    """A dry run whose worker died leaves the import as uploaded: its settings and runs are free again."""
    if ImportJob.objects.filter(_stalled(), pk=job.pk, status=Status.PREVIEWING).update(
        status=Status.NEW, preview={}
    ):
        job.refresh_from_db()


def import_preview(*, actor: User, job: ImportJob, enqueue: bool = True) -> ImportJob:
    """Queue the dry run: the same planning as the import, writing nothing but its report."""
    _require_own(actor, job)
    _release_dead_preview(job)
    _validate_mapping(actor, job.table["headers"], job.mapping)
    ImportIssue.objects.filter(job=job, dry_run=True).delete()
    if not _flip(
        job, [Status.NEW, Status.PREVIEWED], Status.PREVIEWING, preview={}, heartbeat_at=timezone.now()
    ):
        raise ValidationError(_("This import has started already."), code="started")
    if enqueue:
        _enqueue("preview", job)
    return job


def import_start(*, actor: User, job: ImportJob, enqueue: bool = True) -> ImportJob:
    _require_own(actor, job)
    _release_dead_preview(job)
    _validate_mapping(actor, job.table["headers"], job.mapping)
    if not _flip(job, [Status.NEW, Status.PREVIEWED], Status.QUEUED, heartbeat_at=timezone.now()):
        raise ValidationError(_("This import has started already."), code="started")
    if enqueue:
        _enqueue("run", job)
    return job


def _take_over(job: ImportJob, interrupted: Sequence[str], settled: Sequence[str], status: str) -> bool:
    """Move the job to `status` if it sits in a `settled` state, or in an `interrupted` one whose
    worker has gone quiet (one conditional UPDATE either way)."""
    now = timezone.now()
    taken = ImportJob.objects.filter(_stalled(), pk=job.pk, status__in=interrupted).update(
        status=status, heartbeat_at=now
    ) or ImportJob.objects.filter(pk=job.pk, status__in=settled).update(
        status=status, error="", heartbeat_at=now
    )
    job.refresh_from_db()
    return bool(taken)


def import_resume(*, actor: User, job: ImportJob, enqueue: bool = True) -> ImportJob:
    """Continue an import whose worker died or that failed, after the last committed batch."""
    _require_own(actor, job)
    if not _take_over(job, [Status.RUNNING, Status.QUEUED], [Status.FAILED], Status.QUEUED):
        raise ValidationError(
            _("Only a failed or interrupted import can be continued."), code="not_resumable"
        )
    if enqueue:
        _enqueue("run", job)
    return job


def import_undo(*, actor: User, job: ImportJob, enqueue: bool = True) -> ImportJob:
    _require_own(actor, job)
    interrupted = [Status.RUNNING, Status.QUEUED, Status.UNDOING]
    if not _take_over(job, interrupted, [Status.DONE, Status.FAILED], Status.UNDOING):
        raise ValidationError(
            _("Only a finished, failed or interrupted import can be undone."), code="not_undoable"
        )
    if enqueue:
        _enqueue("undo", job)
    return job


def _enqueue(what: str, job: ImportJob) -> None:
    from tandem.imports import tasks

    {"preview": tasks.import_preview_task, "run": tasks.import_run_task, "undo": tasks.import_undo_task}[
        what
    ](job.pk)


# --- the job bodies ---------------------------------------------------------------------------------


def _claim(job_id: int, allowed: str, status: str) -> ImportJob | None:
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, status=allowed).update(status=status, heartbeat_at=now)
    if not claimed:
        return None
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.started_at is None and status == Status.RUNNING:
        job.started_at = now
        job.save(update_fields=["started_at"])
    return job


def _fail(job: ImportJob, error: Exception) -> None:
    """Mark the job failed; the details go to the server log, not to the page (they may be internal)."""
    logger.exception("import %s failed", job.pk)
    job.refresh_from_db()
    job.status = Status.FAILED
    job.error = _("An unexpected error stopped the job (%(kind)s); the details are in the server log.") % {
        "kind": type(error).__name__
    }
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])


def _history(job: ImportJob, action: str, changes: list[dict[str, Any]]) -> None:
    Event.objects.create(
        actor=job.created_by,
        action=action,
        target_type=ContentType.objects.get_for_model(ImportJob),
        target_id=job.pk,
        target_label=str(job)[:300],
        changes=changes,
    )


def preview_execute(job_id: int, run_class: type[ImportRun] = ImportRun) -> ImportJob | None:
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id, status=Status.PREVIEWING).first()
    if job is None:
        return None
    job.rows_done, job.batches = 0, 0
    try:
        run_class(job, dry_run=True).run()
    except Exception as error:
        _fail(job, error)
        return job
    job.rows_total = job.rows_done
    job.rows_done, job.batches, job.status = 0, 0, Status.PREVIEWED
    job.save(update_fields=["rows_total", "rows_done", "batches", "status"])
    return job


def run_execute(job_id: int, run_class: type[ImportRun] = ImportRun) -> ImportJob | None:
    job = _claim(job_id, Status.QUEUED, Status.RUNNING)
    if job is None:
        return None
    try:
        run_class(job, dry_run=False).run()
    except Exception as error:
        _fail(job, error)
        return job
    job.status, job.finished_at = Status.DONE, timezone.now()
    job.rows_total = job.rows_done
    job.save(update_fields=["status", "finished_at", "rows_total"])
    _history(
        job,
        Event.Action.IMPORTED,
        [{"field": key, "old": None, "new": value} for key, value in job.counts.items()],
    )
    event_emit("import.finished", job, actor=job.created_by, status=job.status, counts=job.counts)
    return job


def undo_execute(job_id: int) -> ImportJob | None:
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id, status=Status.UNDOING).first()
    if job is None:
        return None
    try:
        counts = undo_run(job, job.created_by)
    except Exception as error:
        _fail(job, error)
        return job
    job.status, job.undone_at = Status.UNDONE, timezone.now()
    job.counts = {**job.counts, "undo": dict(counts)}
    job.save(update_fields=["status", "undone_at", "counts"])
    _history(
        job, Event.Action.IMPORT_UNDONE, [{"field": k, "old": None, "new": v} for k, v in counts.items()]
    )
    return job


def imports_requeue_stalled() -> int:
    """Continue imports (and undos) whose worker died mid-job; run by a periodic task."""
    count = 0
    ImportJob.objects.filter(_stalled(), status=Status.PREVIEWING).update(status=Status.NEW, preview={})
    for job in ImportJob.objects.filter(_stalled(), status__in=[Status.RUNNING, Status.UNDOING])[:20]:
        if job.status == Status.RUNNING:
            ImportJob.objects.filter(pk=job.pk, status=Status.RUNNING).update(status=Status.QUEUED)
            _enqueue("run", job)
        else:
            ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
            _enqueue("undo", job)
        count += 1
    return count
