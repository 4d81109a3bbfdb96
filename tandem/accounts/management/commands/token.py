import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tandem.accounts.models import ApiToken, User
from tandem.accounts.services import token_create


class Command(BaseCommand):
    help = "API tokens: tandem token create EMAIL [--name NAME] [--scope read|write] [--days N]"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["create"])
        parser.add_argument("email")
        parser.add_argument("--name", default="CLI")
        parser.add_argument("--scope", choices=ApiToken.Scope.values, default=ApiToken.Scope.WRITE)
        parser.add_argument("--days", type=int, default=None, help="Expire after this many days.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip(), is_active=True).first()
        if user is None:
            raise CommandError(f"No active user with email {options['email']}.")
        days = options["days"]
        if days is not None and not 1 <= days <= 3650:
            raise CommandError("--days must be from 1 to 3650.")
        expires_at = timezone.now() + datetime.timedelta(days=days) if days else None
        _token, secret = token_create(
            user=user, name=options["name"], scope=options["scope"], expires_at=expires_at
        )
        self.stdout.write(secret)
        self.stderr.write("Keep it safe: the token is stored hashed and cannot be shown again.")
