import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tandem.accounts.models import Team
from tandem.accounts.roles import Role
from tandem.accounts.services import user_create
from tandem.core.errors import ValidationError


class Command(BaseCommand):
    help = "Create a user: tandem createuser EMAIL --role ROLE [--team NAME] [--password P]"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")
        parser.add_argument("--role", required=True, choices=[role.value for role in Role])
        parser.add_argument("--team", help="team name; created when it does not exist")
        parser.add_argument("--password", help="a password is generated and printed when omitted")
        parser.add_argument("--name", default="", help="full name")

    def handle(self, *args: Any, **options: Any) -> None:
        team = None
        if options["team"]:
            team, _created = Team.objects.get_or_create(name=options["team"].strip())
        password = options["password"] or secrets.token_urlsafe(12)
        try:
            user = user_create(
                actor=None,
                email=options["email"],
                role=Role(options["role"]),
                team=team,
                password=password,
                full_name=options["name"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"Created {user.email} ({user.role_label}).")
        if not options["password"]:
            self.stdout.write(f"Password: {password}")
