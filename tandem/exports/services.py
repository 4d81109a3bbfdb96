"""Exports: write what a user sees of a list to CSV or XLSX, at once or as a background job.

Small exports stream straight to the browser; bigger ones become an `ExportJob` a Huey task writes
under DATA_DIR/exports, reporting progress after every chunk. Files older than a week are removed.
"""

from __future__ import annotations

import datetime
import logging
import secrets
import zoneinfo
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from tandem.accounts.models import User
from tandem.exports.columns import Cell
from tandem.exports.entities import ExportSpec
from tandem.exports.models import ExportJob
from tandem.exports.selectors import export_chunks, export_count
from tandem.exports.writers import CsvWriter, TooManyRowsForExcel, XlsxWriter, csv_stream

logger = logging.getLogger(__name__)

EXPORT_INLINE_ROWS = 5000  # up to this many rows download at once; more become a background job
EXPORT_KEEP_DAYS = 7
ERROR_TOO_MANY_ROWS = "too_many_rows"
ERROR_FAILED = "failed"


def export_dir() -> Path:
    return Path(settings.DATA_DIR) / "exports"


def export_header(spec: ExportSpec) -> list[str]:
    """The column headers in the active language."""
    return [str(column.header) for column in spec.definition.columns]


def _values(spec: ExportSpec, rows: list) -> list[list[Cell]]:
    columns = spec.definition.columns
    return [[column.value(row) for column in columns] for row in rows]


def _value_chunks(actor: User, spec: ExportSpec) -> Iterator[list[list[Cell]]]:
    for rows in export_chunks(actor=actor, spec=spec):
        yield _values(spec, rows)


def export_csv_stream(*, actor: User, spec: ExportSpec) -> Iterator[bytes]:
    """The CSV of the rows `actor` sees, as bytes, chunk by chunk (for a streaming response).

    The rows are read while the response streams, after the request's language and time zone were
    switched off: the current ones are captured here and put back around every chunk."""
    language, zone = translation.get_language(), timezone.get_current_timezone()
    pieces = csv_stream(export_header(spec), _value_chunks(actor, spec))

    def in_context() -> Iterator[bytes]:
        while True:
            with translation.override(language), timezone.override(zone):
                piece = next(pieces, None)
            if piece is None:
                return
            yield piece

    return in_context()


def export_write(
    *,
    actor: User,
    spec: ExportSpec,
    file_format: str,
    target: Path | IO[bytes],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the rows `actor` sees to `target` (a path, or a binary file for XLSX); return their count.

    `progress` is called with the rows written so far after every chunk. Raises TooManyRowsForExcel
    past the row limit of a worksheet."""
    if file_format == ExportJob.Format.XLSX:
        widths = [column.width for column in spec.definition.columns]
        writer: CsvWriter | XlsxWriter = XlsxWriter(target, sheet=str(spec.definition.label), widths=widths)
        stream = None
    else:
        assert isinstance(target, Path), "CSV is written to a path (or streamed with export_csv_stream)"
        stream = target.open("w", encoding="utf-8", newline="")
        writer = CsvWriter(stream)
    try:
        writer.header(export_header(spec))
        for values in _value_chunks(actor, spec):
            writer.write(values)
            if progress is not None:
                progress(writer.rows)
    finally:
        writer.close()
        if stream is not None:
            stream.close()
    return writer.rows


@transaction.atomic
def export_job_create(*, actor: User, spec: ExportSpec, file_format: str) -> ExportJob:
    """Queue a background export of what `actor` sees; it runs once this transaction commits."""
    from tandem.exports.tasks import export_job_task

    job = ExportJob.objects.create(
        owner=actor,
        entity=spec.entity,
        file_format=file_format,
        filters=spec.filters_json(),
        ordering=spec.ordering,
    )
    transaction.on_commit(lambda: export_job_task(job.pk))
    return job


def _user_zone(user: User) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(user.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def export_job_run(*, job_id: int) -> None:
    """Write a queued job's file, in its owner's language, time zone and visibility.

    Idempotent: only a queued job is started (a second delivery of the task finds it running)."""
    if not ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING
    ):
        return
    job = ExportJob.objects.select_related("owner").get(pk=job_id)
    owner = job.owner
    directory = export_dir()
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{job.pk}-{secrets.token_hex(8)}.{job.file_format}"
    path = directory / name
    with translation.override(owner.language or None), timezone.override(_user_zone(owner)):
        try:
            spec = ExportSpec.from_json(job.entity, job.filters, job.ordering)
            total = export_count(actor=owner, spec=spec)
            ExportJob.objects.filter(pk=job.pk).update(rows_total=total)

            def progress(rows: int) -> None:
                ExportJob.objects.filter(pk=job.pk).update(rows_done=rows)

            rows = export_write(
                actor=owner, spec=spec, file_format=job.file_format, target=path, progress=progress
            )
        except Exception as error:
            logger.exception("export job %s failed", job.pk)
            path.unlink(missing_ok=True)
            code = ERROR_TOO_MANY_ROWS if isinstance(error, TooManyRowsForExcel) else ERROR_FAILED
            ExportJob.objects.filter(pk=job.pk).update(
                status=ExportJob.Status.FAILED, error=code, finished_at=timezone.now()
            )
            return
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.DONE,
        rows_done=rows,
        rows_total=rows,
        file_name=name,
        finished_at=timezone.now(),
    )


def export_job_path(job: ExportJob) -> Path | None:
    """The finished job's file, if it is still there."""
    if job.status != ExportJob.Status.DONE or not job.file_name:
        return None
    path = export_dir() / Path(job.file_name).name
    return path if path.is_file() else None


def export_jobs_cleanup(*, now: datetime.datetime | None = None) -> int:
    """Delete export jobs older than EXPORT_KEEP_DAYS together with their files; return how many."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=EXPORT_KEEP_DAYS)
    old = list(ExportJob.objects.filter(created_at__lt=cutoff).values_list("pk", "file_name")[:10_000])
    for _pk, file_name in old:
        if file_name:
            (export_dir() / Path(file_name).name).unlink(missing_ok=True)
    ExportJob.objects.filter(pk__in=[pk for pk, _name in old]).delete()
    return len(old)
