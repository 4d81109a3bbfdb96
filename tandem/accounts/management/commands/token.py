from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tandem.accounts.models import ApiToken, User
from tandem.accounts.services import token_create


class Command(BaseCommand):
    help = "API tokens: tandem token create EMAIL [--name NAME] [--scope read|write]"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["create"])
        parser.add_argument("email")
        parser.add_argument("--name", default="CLI")
        parser.add_argument("--scope", choices=ApiToken.Scope.values, default=ApiToken.Scope.WRITE)

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip(), is_active=True).first()
        if user is None:
            raise CommandError(f"No active user with email {options['email']}.")
        _token, secret = token_create(user=user, name=options["name"], scope=options["scope"])
        self.stdout.write(secret)
        self.stderr.write("Keep it safe: the token is stored hashed and cannot be shown again.")
