"""Huey jobs of imports: thin wrappers over the job bodies in `tandem.imports.services`."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from tandem.imports import services


@db_task()
def import_preview_task(job_id: int) -> None:
    services.preview_execute(job_id)


@db_task()
def import_run_task(job_id: int) -> None:
    services.run_execute(job_id)


@db_task()
def import_undo_task(job_id: int) -> None:
    services.undo_execute(job_id)


@db_periodic_task(crontab(minute="*/2"), expires=60)
def imports_requeue_stalled_every_two_minutes() -> None:
    services.imports_requeue_stalled()
