"""`tandem demo`: load realistic demo data through the real services (history and search included)."""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import Team, User
from tandem.accounts.roles import Role
from tandem.accounts.services import team_create, team_update, user_create
from tandem.analytics.stage_rollups import stage_rollups_rebuild
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
from tandem.core.demo_activities import demo_activities_create
from tandem.core.demo_analytics import demo_analytics_create
from tandem.core.demo_data import DEMO_PASSWORD, USERS, CompanySpec, ContactSpec, DealSpec, PhoneSpec
from tandem.deals.defaults import EUR_RATES, sales_process_seed
from tandem.deals.models import (
    Currency,
    Deal,
    LostReason,
    Pipeline,
    Product,
    ProductCategory,
    Stage,
    StageChange,
)
from tandem.deals.services import (
    ContactInput,
    LineInput,
    base_currency,
    currency_save,
    deal_create,
    deal_move,
    product_save,
)
from tandem.history.models import Event

CENT = Decimal("0.01")
# Fields a stage may require that the demo can fill in on the way (contacts and lines come at creation).
FILLABLE = ["amount", "expected_close_date", "company", "next_step", "next_step_date", "channel"]

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
        parser.add_argument("--deals", type=int, default=250, help="number of deals (default 250)")
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
            companies=max(options["companies"], 0),
            contacts=max(options["contacts"], 0),
            deals=max(options["deals"], 0),
            seed=options["seed"],
        )
        with transaction.atomic():
            users = self._users()
            reference = self._reference_lists()
            companies = [self._company(spec, users, reference) for spec in plan.companies]
            contacts = [self._contact(spec, companies, users, reference) for spec in plan.contacts]
            for index in plan.trash_companies:
                record_trash(actor=users[plan.companies[index].owner_key], record=companies[index])
            currencies = self._currencies(users["admin"])
            products = self._products(users["admin"], currencies)
            deals = _DealMaker(users, reference, companies, contacts, products, currencies).make(plan.deals)
            activities = demo_activities_create(
                users=users, language=settings.LANGUAGE_CODE, seed=options["seed"]
            )
            demo_analytics_create(users=users, seed=options["seed"])
        seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {len(plan.companies)} companies, {len(plan.contacts)} contacts, {deals} deals, "
                f"{activities} activities, {len(products)} products and {len(USERS)} users "
                f"in {seconds:.1f} s."
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
        language = _language()
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

    def _currencies(self, admin: User) -> dict[str, Currency]:
        """The active currencies; EUR, BGN and USD are added when missing and their rate is known."""
        if not Pipeline.objects.exists() or not Currency.objects.exists():
            sales_process_seed(django_apps)  # the data migration's defaults, when a flush removed them
        base = base_currency()
        if base in EUR_RATES:
            existing = set(Currency.objects.values_list("code", flat=True))
            for code in ("EUR", "BGN", "USD"):
                if code not in existing:
                    rate = (EUR_RATES[code] / EUR_RATES[base]).quantize(Decimal("0.00000001"))
                    currency_save(actor=admin, code=code, rate=rate)
        return {currency.code: currency for currency in Currency.objects.filter(is_active=True)}

    def _products(self, admin: User, currencies: dict[str, Currency]) -> list[Product]:
        """The catalogue in the instance language; a product whose SKU already exists is reused."""
        language = _language()
        categories = [
            ProductCategory._default_manager.get_or_create(name=name, defaults={"position": position})[0]
            for position, name in enumerate(demo_data.product_category_names(language))
        ]
        base = currencies.get(base_currency()) or Currency.objects.get(pk=base_currency())
        products: list[Product] = []
        for spec in demo_data.PRODUCTS:
            product = Product.objects.select_related("currency").filter(sku=spec.sku).first()
            if product is None:
                units = demo_data.UNITS[spec.unit]
                product = product_save(
                    actor=admin,
                    product=None,
                    data={
                        "name": spec.name(language),
                        "sku": spec.sku,
                        "category": categories[spec.category],
                        "unit": units.get(language, units["en"]),
                        "price": Decimal(spec.price),
                        "currency": currencies.get(spec.currency, base),
                        "vat_rate": Decimal("20"),
                    },
                )
            products.append(product)
        return products

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


def _language() -> str:
    return str(settings.LANGUAGE_CODE).split("-")[0]


@dataclass
class _Flow:
    """A pipeline's active stages as the demo walks them."""

    pipeline: Pipeline
    open: list[Stage]
    won: Stage | None
    lost: Stage | None


class _DealMaker:
    """Creates the planned deals with `deal_create`, walks them with `deal_move`, then backdates them.

    The services stamp every change with the current time; a living pipeline needs months of history,
    so once all deals exist their timestamps (deal, stage changes, history) are moved back in bulk,
    consistently: created ≤ each stage change ≤ now, and the time spent in each stage adds up.
    """

    def __init__(
        self,
        users: dict[str, User],
        reference: dict[str, list[Any]],
        companies: list[Company],
        contacts: list[Contact],
        products: list[Product],
        currencies: dict[str, Currency],
    ) -> None:
        self.users, self.reference = users, reference
        self.companies, self.contacts, self.products = companies, contacts, products
        self.currencies = currencies
        self.base = currencies.get(base_currency()) or Currency.objects.get(pk=base_currency())
        self.reasons = list(LostReason.objects.filter(is_active=True).order_by("position", "id"))
        self.flows: list[_Flow] = []
        for pipeline in Pipeline.objects.filter(is_active=True).order_by("position", "id")[:2]:
            stages = list(pipeline.stages.filter(is_archived=False).order_by("position", "id"))
            opened = [stage for stage in stages if stage.kind == Stage.Kind.OPEN]
            if opened:
                won = next((stage for stage in stages if stage.kind == Stage.Kind.WON), None)
                lost = next((stage for stage in stages if stage.kind == Stage.Kind.LOST), None)
                self.flows.append(_Flow(pipeline, opened, won, lost))
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)

    def make(self, specs: list[DealSpec]) -> int:
        if not self.flows:
            return 0
        timelines: dict[int, list[datetime.datetime]] = {}
        deals: list[Deal] = []
        for spec in specs:
            deal, times = self._deal(spec)
            timelines[deal.pk] = times
            deals.append(deal)
        self._backdate(deals, timelines)
        return len(deals)

    def _path(self, spec: DealSpec, flow: _Flow, has_contacts: bool, has_lines: bool) -> list[Stage]:
        """The stages the deal enters, its creation stage first."""
        reach = min(int(spec.reach * len(flow.open)), len(flow.open) - 1)
        wanted = list(flow.open[: reach + 1])
        if spec.outcome == "won" and flow.won is not None:
            wanted = [*flow.open, flow.won]
        elif spec.outcome == "lost" and flow.lost is not None and self.reasons:
            wanted.append(flow.lost)
        path: list[Stage] = []
        for stage in wanted:
            required = stage.required_fields or []
            if ("contacts" in required and not has_contacts) or ("lines" in required and not has_lines):
                break
            path.append(stage)
        return path or flow.open[:1]

    def _timeline(self, spec: DealSpec, path: list[Stage]) -> list[datetime.datetime]:
        """When the deal was created and entered each later stage of its path.

        Counted back from its last stage entry: each earlier stage held it for around its allowed
        days (sometimes longer), and an open deal has been in its current stage for a share of the
        allowed time, or well beyond it when it is stuck.
        """
        day = datetime.timedelta(days=1)
        last = path[-1]
        if last.kind == Stage.Kind.OPEN:
            share = spec.stage_share * 3 + 1.3 if spec.stuck else spec.stage_share
            end = self.now - (last.max_days or 20) * share * day
        else:
            end = self.now - (spec.closed_days_ago + spec.stage_share) * day
        times = [end]
        for index, stage in enumerate(reversed(path[:-1])):
            stay = (stage.max_days or 7) * spec.gaps[index % len(spec.gaps)] * 0.8
            times.append(times[-1] - stay * day)
        times.reverse()
        earliest = self.now - 182 * day
        if times[0] < earliest:  # squeeze the history into the demo's half year
            span = times[-1] - times[0]
            room = max(times[-1] - earliest, datetime.timedelta(0))
            times = [times[-1] - (times[-1] - moment) * (room / span) for moment in times]
        return times

    def _deal(self, spec: DealSpec) -> tuple[Deal, list[datetime.datetime]]:
        flow = self.flows[spec.pipeline % len(self.flows)]
        owner = self.users[spec.owner_key]
        currency = self.currencies.get(spec.currency, self.base)
        roles = demo_data.DEAL_CONTACT_ROLES[spec.country]
        people = [
            ContactInput(self.contacts[index], role=roles[role])
            for index, role in zip(spec.contact_indices, spec.contact_roles, strict=True)
        ]
        lines = [
            LineInput(
                name="",
                quantity=Decimal(quantity),
                unit_price=(
                    self.products[index].price * self.products[index].currency.rate / currency.rate
                ).quantize(CENT),
                discount_percent=Decimal(discount),
                product=self.products[index],
            )
            for index, quantity, discount in spec.lines
        ]
        path = self._path(spec, flow, bool(people), bool(lines))
        times = self._timeline(spec, path)
        closing = path[-1].kind != Stage.Kind.OPEN
        if closing:
            close_date = times[-1].date() + datetime.timedelta(days=spec.close_in_days)
            step_date: datetime.date | None = times[0].date() + datetime.timedelta(days=2)
        else:
            close_date = self.today + datetime.timedelta(days=spec.close_in_days)
            step_date = (
                self.today + datetime.timedelta(days=spec.next_step_in_days)
                if spec.next_step_in_days is not None
                else None
            )
        amount = None if lines else spec.amount
        values: dict[str, Any] = {
            "amount": amount,
            "expected_close_date": close_date,
            "company": self.companies[spec.company_index],
            "next_step": spec.next_step if step_date else "",
            "next_step_date": step_date,
            "channel": self.reference["channels"][spec.channel],
        }
        data = {
            "title": spec.title,
            "pipeline": flow.pipeline,
            "currency": currency,
            "amount_from_lines": bool(lines),
            **{name: values[name] for name in ("company", "channel", "next_step", "next_step_date")},
            **_needed(path[0], values),
        }
        if spec.amount_known_early:
            data.update(amount=amount, expected_close_date=close_date)
        if spec.taken:
            deal = deal_create(actor=owner, data=data, lines=lines or None, contacts=people, stage=path[0])
        else:  # an inbound request from the web form: nobody acted on it yet
            deal = deal_create(
                actor=None, data={**data, "owner": owner}, lines=lines or None, contacts=people, taken=False
            )
        for stage in path[1:]:
            fields = _needed(stage, values)
            reason = None
            if stage.kind != Stage.Kind.OPEN:
                fields.update(next_step="", next_step_date=None)
            if stage.kind == Stage.Kind.LOST:
                reason = self.reasons[spec.lost_reason % len(self.reasons)]
            deal = deal_move(actor=owner, deal=deal, stage=stage, fields=fields, lost_reason=reason)
        return deal, times

    def _backdate(self, deals: list[Deal], timelines: dict[int, list[datetime.datetime]]) -> None:
        """Move the just-written timestamps back onto each deal's timeline, in a few bulk updates."""
        for deal in deals:
            times = timelines[deal.pk]
            deal.created_at, deal.updated_at, deal.stage_entered_at = times[0], times[-1], times[-1]
            deal.taken_at = times[0] if deal.taken_at is not None else None
            deal.won_at = times[-1] if deal.won_at is not None else None
            deal.lost_at = times[-1] if deal.lost_at is not None else None
        fields = ["created_at", "updated_at", "stage_entered_at", "taken_at", "won_at", "lost_at"]
        Deal.objects.bulk_update(deals, fields, batch_size=200)
        changes = list(StageChange.objects.filter(deal_id__in=timelines).order_by("deal_id", "id"))
        _spread(changes, "deal_id", timelines, "changed_at")
        for previous, change in zip([None, *changes], changes, strict=False):
            if previous is not None and previous.deal_id == change.deal_id:
                seconds = (change.changed_at - previous.changed_at).total_seconds()
                change.seconds_in_previous = int(seconds)
        StageChange.objects.bulk_update(changes, ["changed_at", "seconds_in_previous"], batch_size=200)
        # Moved past the deal services: recount the funnel's rollups (tandem.analytics.stage_rollups).
        stage_rollups_rebuild()
        events = list(
            Event.objects.filter(
                target_type=ContentType.objects.get_for_model(Deal), target_id__in=list(timelines)
            ).order_by("target_id", "id")
        )
        _spread(events, "target_id", timelines, "occurred_at")
        Event.objects.bulk_update(events, ["occurred_at"], batch_size=200)


def _needed(stage: Stage, values: dict[str, Any]) -> dict[str, Any]:
    """The values the demo has for the fields `stage` requires (sent along with the move)."""
    return {
        name: values[name]
        for name in stage.required_fields or []
        if name in FILLABLE and values.get(name) not in (None, "")
    }


def _spread(rows: list[Any], key: str, timelines: dict[int, list[datetime.datetime]], field: str) -> None:
    """Give each deal's rows (in the order they were written) the times of its timeline."""
    position: dict[int, int] = {}
    for row in rows:
        owner = getattr(row, key)
        index = position.get(owner, 0)
        times = timelines[owner]
        setattr(row, field, times[min(index, len(times) - 1)])
        position[owner] = index + 1


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
