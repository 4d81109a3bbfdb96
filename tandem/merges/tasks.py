"""Background duplicate scans: nightly for both kinds, and on demand ("Scan now")."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from tandem.merges.models import RecordKind
from tandem.merges.scan import duplicates_scan


@db_task()
def duplicates_scan_task(kind: str) -> None:
    duplicates_scan(kind=kind)


@db_periodic_task(crontab(hour="2", minute="43"), expires=6 * 60 * 60)
def duplicates_scan_nightly() -> None:
    for kind in RecordKind.values:
        duplicates_scan(kind=kind)
