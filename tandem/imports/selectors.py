"""Reads of imports: the user's own (an admin sees all), their issues, and the rejected-rows file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from tandem.accounts.models import User
from tandem.accounts.roles import Role
from tandem.imports.models import ImportIssue, ImportJob

LIST_LIMIT = 50


def import_list(actor: User, *, limit: int = LIST_LIMIT) -> QuerySet[ImportJob]:
    jobs = ImportJob.objects.select_related("created_by").order_by("-id")
    if actor.role != Role.ADMIN:
        jobs = jobs.filter(created_by=actor)
    return jobs[:limit]


def import_get_for_user(actor: User, pk: int) -> ImportJob:
    job = ImportJob.objects.select_related("created_by", "profile").filter(pk=pk).first()
    if job is None or (job.created_by_id != actor.pk and actor.role != Role.ADMIN):
        raise Http404
    return job


def import_issues(job: ImportJob, *, dry_run: bool, rejected: bool | None = None) -> QuerySet[ImportIssue]:
    issues = ImportIssue.objects.filter(job=job, dry_run=dry_run).order_by("row", "id")
    if rejected is not None:
        issues = issues.filter(rejected=rejected)
    return issues


def _neutral(value: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def rejected_rows_csv(job: ImportJob, *, dry_run: bool) -> Iterator[str]:
    """The rejected rows as the file had them, with the row number and the reason, as CSV lines."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: list[str]) -> str:
        writer.writerow([_neutral(cell) for cell in cells])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield "\ufeff" + line([_("Row"), _("Reason"), *job.table.get("headers", [])])
    issues = import_issues(job, dry_run=dry_run, rejected=True).only("row", "message", "cells")
    for issue in issues.iterator(chunk_size=2000):
        yield line([str(issue.row), issue.message, *(issue.cells or [])])
