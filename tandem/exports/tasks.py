"""Background work of exports: writing a big export, and removing week-old export files."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from tandem.exports import services


@db_task()
def export_job_task(job_id: int) -> None:
    services.export_job_run(job_id=job_id)


@db_periodic_task(crontab(hour="3", minute="23"), expires=60 * 60)
def export_files_cleanup_daily() -> None:
    services.export_jobs_cleanup()
