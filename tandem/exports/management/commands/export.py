"""`tandem export contacts --format xlsx --output FILE [--as EMAIL] [--search TEXT]`."""

from __future__ import annotations

import dataclasses
import zoneinfo
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation

from tandem.accounts.models import User
from tandem.exports.entities import ENTITIES, spec_default
from tandem.exports.models import ExportJob
from tandem.exports.services import export_write
from tandem.exports.writers import TooManyRowsForExcel


def system_actor() -> User:
    """Who sees everything: an unsaved, active superuser (every scope is "all")."""
    return User(is_active=True, is_superuser=True, email="system@localhost")


class Command(BaseCommand):
    help = (
        "Export a list to CSV or XLSX: everything, or what the user given with --as sees. "
        "Prints the number of rows written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("entity", choices=list(ENTITIES))
        parser.add_argument("--format", choices=ExportJob.Format.values, default=ExportJob.Format.CSV)
        parser.add_argument("--output", help="File to write (default: ENTITY.FORMAT here).")
        parser.add_argument("--as", dest="as_email", metavar="EMAIL", help="Export what this user sees.")
        parser.add_argument("--search", default="", help="Only rows matching this text, as the list search.")

    def handle(self, *args: Any, **options: Any) -> None:
        entity, file_format = options["entity"], options["format"]
        search = options["search"].strip()
        field_names = {field.name for field in dataclasses.fields(ENTITIES[entity].filters_class)}
        if search and "search" not in field_names:
            raise CommandError(f"--search is not available for {entity}.")
        actor = system_actor()
        language, zone = None, None
        if options["as_email"]:
            found = User.objects.filter(email__iexact=options["as_email"].strip(), is_active=True).first()
            if found is None:
                raise CommandError(f"No active user with email {options['as_email']}.")
            actor, language = found, found.language or None
            zone = zoneinfo.ZoneInfo(found.time_zone)
        output = Path(options["output"] or f"{entity}.{file_format}")
        if not output.parent.is_dir():
            raise CommandError(f"No such directory: {output.parent}")
        with translation.override(language), timezone.override(zone):
            spec = spec_default(entity, search=search)
            try:
                rows = export_write(actor=actor, spec=spec, file_format=file_format, target=output)
            except TooManyRowsForExcel as error:
                output.unlink(missing_ok=True)
                raise CommandError("Too many rows for one Excel sheet: export to CSV instead.") from error
        self.stdout.write(f"{rows} {entity} exported to {output}.")
