"""`tandem demo`: load realistic demo data through the real services (history and search included)."""

from __future__ import annotations

import datetime
import time
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import Team, User
from tandem.accounts.roles import Role
from tandem.accounts.services import team_create, team_update, user_create
from tandem.contacts.models import Channel, ClientCategory, Company, Contact, ContactRole, Industry, Tag
from tandem.contacts.services import (
    EmailInput,
    PhoneInput,
    company_create,
    contact_create,
    record_share,
    record_trash,
)
from tandem.core import demo_data
from tandem.core.demo_data import DEMO_PASSWORD, USERS, CompanySpec, ContactSpec, PhoneSpec
from tandem.history.models import Event

REFERENCE_MODELS = {
    "industries": Industry,
    "categories": ClientCategory,
    "channels": Channel,
    "roles": ContactRole,
    "tags": Tag,
}


class Command(BaseCommand):
    help = "Load demo companies, contacts and users of every role (once; a second run changes nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--companies", type=int, default=200, help="number of companies (default 200)")
        parser.add_argument("--contacts", type=int, default=600, help="number of contacts (default 600)")
        parser.add_argument(
            "--seed", type=int, default=2025, help="random seed; the same seed gives the same data"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if User.objects.filter(email__iexact=demo_data.ADMIN_EMAIL).exists():
            self.stdout.write("Demo data is already loaded; nothing was changed.")
            self._print_credentials()
            return
        started = time.monotonic()
        plan = demo_data.build_plan(
            companies=max(options["companies"], 0), contacts=max(options["contacts"], 0), seed=options["seed"]
        )
        with transaction.atomic():
            users = self._users()
            reference = self._reference_lists()
            companies = [self._company(spec, users, reference) for spec in plan.companies]
            for spec in plan.contacts:
                self._contact(spec, companies, users, reference)
            for index in plan.trash_companies:
                record_trash(actor=users[plan.companies[index].owner_key], record=companies[index])
        seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {len(plan.companies)} companies, {len(plan.contacts)} contacts "
                f"and {len(USERS)} users in {seconds:.1f} s."
            )
        )
        self._print_credentials()

    # --- steps -----------------------------------------------------------------------------------------

    def _users(self) -> dict[str, User]:
        teams: dict[str, Team] = {}
        users: dict[str, User] = {}
        for spec in USERS:
            team = None
            if spec.team:
                team = teams.get(spec.team) or Team.objects.filter(name=spec.team).first()
                if team is None:
                    team = team_create(actor=None, name=spec.team)
                teams[spec.team] = team
            users[spec.key] = user_create(
                actor=None,
                email=spec.email,
                role=Role(spec.role),
                full_name=spec.full_name,
                team=team,
                password=DEMO_PASSWORD,
            )
        admin = users["admin"]
        for spec in USERS:
            if spec.heads_team and spec.team:
                team_update(actor=admin, team=teams[spec.team], name=spec.team, head=users[spec.key])
        return users

    def _reference_lists(self) -> dict[str, list[Any]]:
        """Reference entries in the instance language; existing entries of the same name are reused."""
        language = str(settings.LANGUAGE_CODE).split("-")[0]
        reference: dict[str, list[Any]] = {}
        for kind, model in REFERENCE_MODELS.items():
            items = []
            for position, name in enumerate(demo_data.reference_names(kind, language)):
                # No service owns reference lists yet; this is the admin seeding its own lists.
                item, _created = model._default_manager.get_or_create(
                    name=name, defaults={"position": position}
                )
                items.append(item)
            reference[kind] = items
        return reference

    def _company(self, spec: CompanySpec, users: dict[str, User], reference: dict[str, list[Any]]) -> Company:
        owner = users[spec.owner_key]
        company = company_create(
            actor=owner,
            data={
                "name": spec.name,
                "tax_id": spec.tax_id,
                "industry": reference["industries"][spec.industry],
                "category": reference["categories"][spec.category],
                "channel": reference["channels"][spec.channel],
                "website": spec.website,
                "address": spec.address,
                "needs": spec.needs,
            },
            phones=_phones(spec.phones),
            emails=[EmailInput(address) for address in spec.emails],
            tags=[reference["tags"][index] for index in spec.tags],
            region=spec.phones[0].region if spec.phones else None,
        )
        _backdate(company, spec.age_days)
        if spec.share_with_key:
            record_share(actor=owner, record=company, users=[users[spec.share_with_key]])
        return company

    def _contact(
        self,
        spec: ContactSpec,
        companies: list[Company],
        users: dict[str, User],
        reference: dict[str, list[Any]],
    ) -> Contact:
        owner = users[spec.owner_key]
        contact = contact_create(
            actor=owner,
            data={
                "first_name": spec.first_name,
                "middle_name": spec.middle_name,
                "last_name": spec.last_name,
                "company": companies[spec.company_index] if spec.company_index is not None else None,
                "position": spec.position,
                "role": reference["roles"][spec.role],
                "channel": reference["channels"][spec.channel],
                "birthday": datetime.date(*spec.birthday) if spec.birthday else None,
                "messengers": spec.messengers,
                "interests": spec.interests,
                "preferences": spec.preferences,
                "marketing_consent": spec.marketing_consent,
            },
            phones=_phones(spec.phones),
            emails=[EmailInput(address) for address in spec.emails],
            tags=[reference["tags"][index] for index in spec.tags],
            region=spec.phones[0].region if spec.phones else None,
        )
        _backdate(contact, spec.age_days)
        if spec.trash:
            record_trash(actor=owner, record=contact)
        return contact

    def _print_credentials(self) -> None:
        existing = {
            user.email: user for user in User.objects.filter(email__in=[spec.email for spec in USERS])
        }
        rows = [("Email", "Password", "Role", "Team")]
        for spec in USERS:
            user = existing.get(spec.email)
            if user is not None:
                team = user.team.name if user.team_id and user.team else ""
                rows.append((user.email, DEMO_PASSWORD, user.role_label, team))
        widths = [max(len(row[column]) for row in rows) for column in range(4)]
        self.stdout.write("")
        self.stdout.write("Demo users (sign in with any of them):")
        for number, row in enumerate(rows):
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
            self.stdout.write(("  " + "  ".join(cells)).rstrip())
            if number == 0:
                self.stdout.write("  " + "  ".join("-" * width for width in widths))


def _phones(phones: list[PhoneSpec]) -> list[PhoneInput]:
    return [PhoneInput(phone.number, phone.label) for phone in phones]


def _backdate(record: Company | Contact, age_days: int) -> None:
    """Spread demo records over two years so lists, filters and reports have a history to show.

    A demo-only correction of timestamps the service has just written, together with its history row.
    """
    created = timezone.now() - datetime.timedelta(days=age_days, minutes=age_days * 7 % 600)
    type(record).objects.filter(pk=record.pk).update(created_at=created, updated_at=created)
    Event.objects.filter(
        target_type=ContentType.objects.get_for_model(record),
        target_id=record.pk,
        action=Event.Action.CREATED,
    ).update(occurred_at=created)
    record.created_at = record.updated_at = created
