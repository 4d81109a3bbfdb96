"""`tandem import contacts FILE …`; `tandem import undo|resume|status ID`.

The import runs in this process (progress on stderr) unless `--background` hands it to the worker.
`--json` prints the report: the import id, its status, the counts and every row's error or warning.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tandem.accounts.models import User
from tandem.accounts.roles import Role
from tandem.core.errors import ApplicationError
from tandem.imports import services
from tandem.imports.engine import ImportRun
from tandem.imports.models import ImportIssue, ImportJob, MappingProfile, OnDuplicate


class _Progress(ImportRun):
    def after_batch(self) -> None:
        job = self.job
        print(f"\r{job.rows_done} rows…", end="", file=sys.stderr, flush=True)


def report(job: ImportJob, *, dry_run: bool) -> dict[str, Any]:
    issues = ImportIssue.objects.filter(job=job, dry_run=dry_run).order_by("row", "id")
    return {
        "import": job.pk,
        "status": job.status,
        "dry_run": dry_run,
        "file": job.filename,
        "counts": job.preview if dry_run else job.counts,
        "errors": [
            {
                "row": issue.row,
                "column": issue.column,
                "value": issue.value,
                "code": issue.code,
                "message": issue.message,
                "rejected": issue.rejected,
            }
            for issue in issues.iterator(chunk_size=2000)
        ],
    }


class Command(BaseCommand):
    help = "Import clients from a CSV/XLSX/XLS/ODS file, or undo, resume or show an import."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        contacts = commands.add_parser("contacts", help="import companies and their contact people")
        contacts.add_argument("file", type=Path)
        contacts.add_argument(
            "--region", default=None, help="country of phone numbers written without a code"
        )
        contacts.add_argument("--profile", default=None, help="a saved mapping profile's name")
        contacts.add_argument("--on-duplicate", choices=OnDuplicate.values, default=None)
        contacts.add_argument("--sheet", default=None)
        contacts.add_argument(
            "--dry-run", action="store_true", help="report what would happen; change nothing"
        )
        contacts.add_argument("--background", action="store_true", help="leave the import to `tandem worker`")
        contacts.add_argument(
            "--as", dest="as_user", default=None, help="importing user's email (default: an admin)"
        )
        contacts.add_argument("--json", action="store_true")
        for name in ("undo", "resume", "status"):
            sub = commands.add_parser(name)
            sub.add_argument("id", type=int)
            sub.add_argument("--json", action="store_true")
            if name != "status":
                sub.add_argument("--background", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "contacts":
                job, dry_run = self._import(options)
            else:
                job, dry_run = self._again(options)
        except ApplicationError as error:
            raise CommandError(error.message) from error
        except DjangoValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        result = report(job, dry_run=dry_run)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2, default=str))
            return
        self.stdout.write(f"\nImport #{job.pk}: {job.get_status_display()}")
        for key, value in sorted(result["counts"].items()):
            self.stdout.write(f"  {key}: {value}")
        rejected = sum(1 for error in result["errors"] if error["rejected"])
        if rejected:
            self.stdout.write(f"  rejected rows: {rejected} (see --json for each row)")
        if job.error:
            self.stdout.write(f"  error: {job.error}")

    def _user(self, email: str | None) -> User:
        users = User.objects.filter(is_active=True)
        user = users.filter(email__iexact=email).first() if email else users.filter(role=Role.ADMIN).first()
        if user is None:
            raise CommandError(f"No active user {email}." if email else "No active admin; pass --as EMAIL.")
        return user

    def _import(self, options: dict[str, Any]) -> tuple[ImportJob, bool]:
        actor = self._user(options["as_user"])
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        profile = None
        if options["profile"]:
            profile = MappingProfile.objects.filter(owner=actor, name=options["profile"]).first()
            if profile is None:
                raise CommandError(f"{actor} has no mapping profile named {options['profile']!r}.")
        with path.open("rb") as stream:
            job = services.import_upload(
                actor=actor, stream=stream, filename=path.name, sheet=options["sheet"], profile=profile
            )
        job = services.import_configure(
            actor=actor, job=job, region=options["region"], on_duplicate=options["on_duplicate"]
        )
        background = options["background"]
        if options["dry_run"]:
            services.import_preview(actor=actor, job=job, enqueue=background)
            if not background:
                services.preview_execute(job.pk, run_class=_Progress)
        else:
            services.import_start(actor=actor, job=job, enqueue=background)
            if not background:
                services.run_execute(job.pk, run_class=_Progress)
        job.refresh_from_db()
        return job, options["dry_run"]

    def _again(self, options: dict[str, Any]) -> tuple[ImportJob, bool]:
        job = ImportJob.objects.select_related("created_by").filter(pk=options["id"]).first()
        if job is None:
            raise CommandError(f"No import #{options['id']}.")
        actor = job.created_by
        background = options.get("background", False)
        if options["action"] == "undo":
            services.import_undo(actor=actor, job=job, enqueue=background)
            if not background:
                services.undo_execute(job.pk)
        elif options["action"] == "resume":
            services.import_resume(actor=actor, job=job, enqueue=background)
            if not background:
                services.run_execute(job.pk, run_class=_Progress)
        job.refresh_from_db()
        return job, job.status == ImportJob.Status.PREVIEWED
