from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.utils import OperationalError


class Command(BaseCommand):
    help = "Explain configuration problems in plain words, then run Django's system checks."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Mode: {settings.MODE}")
        self.stdout.write(f"Data directory: {settings.DATA_DIR}")
        self.stdout.write(f"Database: {connection.vendor} ({connection.settings_dict.get('NAME')})")
        self.stdout.write(f"Job queue: {settings.HUEY['huey_class']}")
        self.stdout.write(
            f"Email: {'SMTP ' + settings.EMAIL_HOST if settings.EMAIL_HOST else 'printed to console'}"
        )
        try:
            connection.ensure_connection()
        except OperationalError as error:
            self.stderr.write(f"The database cannot be reached: {error}")
            raise SystemExit(2) from error
        call_command("check", deploy=settings.PRODUCTION)
        self.stdout.write(self.style.SUCCESS("Configuration is fine."))
