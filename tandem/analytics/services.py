"""Writes of the sales analytics: sales plans (one by one or from a spreadsheet), channel costs and
payments on deals. Each write checks the actor's role and records its history row in the same
transaction."""

from __future__ import annotations

import datetime
import re
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tandem.accounts.models import Team, User
from tandem.accounts.roles import Role
from tandem.accounts.visibility import can, team_ids
from tandem.analytics.models import ChannelCost, Payment, SalesPlan
from tandem.contacts.models import Channel
from tandem.core.errors import PermissionDenied, ValidationError
from tandem.deals.models import Currency, Deal
from tandem.deals.money import to_base
from tandem.history.models import Event
from tandem.history.services import event_record

MAX_AMOUNT = Decimal("99999999999999.99")  # what the 16-digit, 2-decimal columns hold
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 5000


# -- who may plan whom ------------------------------------------------------------------------------


def _is_admin(actor: User) -> bool:
    return actor.is_active and (actor.role == Role.ADMIN or actor.is_superuser)


def plan_users_editable(actor: User) -> QuerySet[User]:
    """Managers whose plans `actor` may set: anyone for admins, their teams' members for heads."""
    if _is_admin(actor):
        return User.objects.filter(is_active=True)
    if actor.is_active and actor.role == Role.HEAD:
        return User.objects.filter(Q(team_id__in=team_ids(actor)) | Q(pk=actor.pk), is_active=True)
    return User.objects.none()


def plan_teams_editable(actor: User) -> QuerySet[Team]:
    """Teams whose plans `actor` may set: all for admins, the own and headed teams for heads."""
    if _is_admin(actor):
        return Team.objects.all()
    if actor.is_active and actor.role == Role.HEAD:
        return Team.objects.filter(pk__in=team_ids(actor))
    return Team.objects.none()


def can_edit_plans(actor: User) -> bool:
    return _is_admin(actor) or (actor.is_active and actor.role == Role.HEAD)


def can_edit_channel_costs(actor: User) -> bool:
    return _is_admin(actor) or (actor.is_active and actor.role == Role.MARKETER)


# -- sales plans ------------------------------------------------------------------------------------


def _check_month(month: datetime.date) -> None:
    if not isinstance(month, datetime.date) or month.day != 1:
        raise ValidationError(
            {"month": _("A plan is set for a month: give its first day.")}, code="bad_month"
        )


def _check_amount(value: Decimal | None, field_name: str, *, allow_none: bool = True) -> None:
    if value is None:
        if allow_none:
            return
        raise ValidationError({field_name: _("Enter an amount.")}, code="required")
    if not value.is_finite() or value < 0:
        raise ValidationError({field_name: _("The amount cannot be negative.")}, code="negative_amount")
    if value > MAX_AMOUNT:
        raise ValidationError({field_name: _("The amount is too large.")}, code="amount_too_large")


@transaction.atomic
def plan_set(
    *,
    actor: User,
    month: datetime.date,
    user: User | None = None,
    team: Team | None = None,
    amount: Decimal | None = None,
    won_count: int | None = None,
) -> SalesPlan | None:
    """Set the plan of one manager (`user`) or one team for `month` (its first day).

    Heads plan their teams' members and their teams, admins anyone; other roles get PermissionDenied.
    Giving neither an amount nor a number of won deals removes the plan (returns None). Amounts are
    in the base currency and not negative.
    """
    if (user is None) == (team is None):
        raise ValidationError(_("Set a plan either for a manager or for a team."), code="plan_target")
    _check_month(month)
    _check_amount(amount, "amount")
    if won_count is not None and won_count < 0:
        raise ValidationError(
            {"won_count": _("The number of deals cannot be negative.")}, code="negative_count"
        )
    if user is not None and not plan_users_editable(actor).filter(pk=user.pk).exists():
        raise PermissionDenied(_("You cannot set the sales plan of %(user)s.") % {"user": user})
    if team is not None and not plan_teams_editable(actor).filter(pk=team.pk).exists():
        raise PermissionDenied(_("You cannot set the sales plan of the team %(team)s.") % {"team": team})
    lookup: dict[str, Any] = (
        {"month": month, "user": user} if user is not None else {"month": month, "team": team}
    )
    plan = SalesPlan.objects.select_for_update().filter(**lookup).first()
    if amount is None and won_count is None:
        if plan is not None:
            event_record(actor=actor, action=Event.Action.DELETED, target=plan)
            plan.delete()
        return None
    before = (
        {"amount": _plain(plan.amount), "won_count": plan.won_count}
        if plan
        else {"amount": None, "won_count": None}
    )
    created = plan is None
    if plan is None:
        plan = SalesPlan(**lookup)
    plan.amount, plan.won_count, plan.updated_at = amount, won_count, timezone.now()
    plan.full_clean(validate_constraints=False)
    plan.save()
    after = {"amount": _plain(plan.amount), "won_count": plan.won_count}
    changes = [
        {"field": name, "old": before[name], "new": after[name]}
        for name in after
        if before[name] != after[name]
    ]
    if created or changes:
        event_record(
            actor=actor,
            action=Event.Action.CREATED if created else Event.Action.UPDATED,
            target=plan,
            changes=changes,
        )
    return plan


def _plain(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# The header names people use, in English, Bulgarian and Russian (compared case-insensitively).
PLAN_HEADERS = {
    "manager": ("manager email", "manager", "email", "e-mail", "мениджър", "имейл", "менеджер", "почта"),
    "team": ("team name", "team", "екип", "команда", "отдел"),
    "month": ("month", "месец", "месяц", "period", "период"),
    "amount": ("amount", "plan", "sum", "сума", "план", "сумма", "план, сумма"),
    "won_count": (
        "won deals",
        "won",
        "deals",
        "спечелени сделки",
        "сделки",
        "спечелени",
        "выигранные сделки",
        "выиграно сделок",
        "сделок",
    ),
}
TEMPLATE_HEADERS = ("Manager email", "Team name", "Month", "Amount", "Won deals")


@dataclass
class PlanRowError:
    row: int
    message: str


@dataclass
class PlanImportResult:
    saved: int = 0
    errors: list[PlanRowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _header_key(text: str) -> str | None:
    folded = re.sub(r"\s+", " ", text.strip().lower().replace("ё", "е"))
    folded = folded.rstrip(" *:")
    for key, names in PLAN_HEADERS.items():
        if folded in names:
            return key
    return None


_MONTH_RE = re.compile(r"^(\d{4})[-./](\d{1,2})(?:[-./](\d{1,2}))?(?:[ T].*)?$")
_MONTH_FIRST_RE = re.compile(r"^(\d{1,2})[./](\d{4})$")
_DATE_DMY_RE = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$")


def parse_month(text: str) -> datetime.date | None:
    """YYYY-MM, a date (YYYY-MM-DD, DD.MM.YYYY) or MM.YYYY → the first day of that month."""
    text = text.strip()
    year = number = None
    if match := _MONTH_RE.match(text):
        year, number = int(match.group(1)), int(match.group(2))
    elif match := _MONTH_FIRST_RE.match(text):
        number, year = int(match.group(1)), int(match.group(2))
    elif match := _DATE_DMY_RE.match(text):
        number, year = int(match.group(2)), int(match.group(3))
    if year is None or number is None or not 1 <= number <= 12 or not 1900 <= year <= 2999:
        return None
    return datetime.date(year, number, 1)


def parse_amount(text: str) -> Decimal | None:
    """A number as people type it: 12 500, 12,500.50, 12.500,50, 12500,5 (raises on garbage)."""
    cleaned = re.sub(r"[\s\u00a0\u202f']", "", text)
    if not cleaned:
        return None
    if "," in cleaned and "." in cleaned:
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    elif cleaned.count(",") > 1:
        cleaned = cleaned.replace(",", "")  # 1,250,000
    elif "," in cleaned:
        cleaned = cleaned.replace(",", ".")  # 1250,50: the decimal comma of bg/ru
    elif cleaned.count(".") > 1:
        cleaned = cleaned.replace(".", "")  # 1.250.000
    try:
        value = Decimal(cleaned)
    except InvalidOperation as error:
        raise ValueError(text) from error
    if not value.is_finite():
        raise ValueError(text)
    return value


def _plan_rows(path: Path, filename: str) -> list[tuple[int, dict[str, str]]]:
    # The importer's reader opens spreadsheets with calamine, guarded against sheets too large to load.
    from tandem.imports.reader import inspect, iter_rows

    info = inspect(path, filename=filename, header_row=1)
    keys = [_header_key(header) for header in info.headers]
    if (
        "month" not in keys
        or not ({"manager", "team"} & set(keys))
        or not ({"amount", "won_count"} & set(keys))
    ):
        raise ValidationError(
            _(
                "The first row must name the columns: Manager email or Team name, Month, and Amount "
                "and/or Won deals. Download the template to see them."
            ),
            code="bad_headers",
        )
    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in iter_rows(path, info):
        values = {key: cell for key, cell in zip(keys, cells, strict=False) if key}
        rows.append((number, values))
        if len(rows) > MAX_IMPORT_ROWS:
            raise ValidationError(
                _("A plan file may hold at most %(count)s rows.") % {"count": MAX_IMPORT_ROWS},
                code="too_many_rows",
            )
    return rows


@transaction.atomic
def plans_import_xlsx(*, actor: User, file: IO[bytes], filename: str = "plans.xlsx") -> PlanImportResult:
    """Set the plans listed in a spreadsheet (XLSX, also ODS/XLS/CSV): all rows or none.

    Columns (first row, English, Bulgarian or Russian names): Manager email or Team name, Month
    (YYYY-MM or any date in the month), Amount, Won deals. Every row is checked first — unknown
    manager or team, bad month or number, a plan the actor may not set, the same target twice — and
    if any row is wrong nothing is saved and the result lists each wrong row by its number.
    """
    if not can_edit_plans(actor):
        raise PermissionDenied(_("Your role cannot set sales plans."))
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "plans"
        size = 0
        with path.open("wb") as handle:
            while chunk := file.read(64 * 1024):
                size += len(chunk)
                if size > MAX_IMPORT_BYTES:
                    raise ValidationError(_("The plan file is too large (at most 5 MB)."), code="too_large")
                handle.write(chunk)
        rows = _plan_rows(path, filename)
    users = {user.email.lower(): user for user in plan_users_editable(actor)}
    all_emails = {email.lower() for email in User.objects.values_list("email", flat=True)}
    teams = {team.name.strip().lower(): team for team in plan_teams_editable(actor)}
    all_teams = {name.strip().lower() for name in Team.objects.values_list("name", flat=True)}
    result = PlanImportResult()
    planned: list[dict[str, Any]] = []
    seen: dict[tuple[str, int, datetime.date], int] = {}
    for number, values in rows:
        errors: list[str] = []
        email = values.get("manager", "").strip().lower()
        team_name = values.get("team", "").strip().lower()
        target: dict[str, Any] = {}
        if email:
            if email in users:
                target = {"user": users[email]}
            elif email in all_emails:
                errors.append(_("You cannot set the plan of %(email)s.") % {"email": email})
            else:
                errors.append(_("No user with the email %(email)s.") % {"email": email})
        elif team_name:
            if team_name in teams:
                target = {"team": teams[team_name]}
            elif team_name in all_teams:
                errors.append(_("You cannot set the plan of the team %(team)s.") % {"team": values["team"]})
            else:
                errors.append(_("No team named %(team)s.") % {"team": values["team"]})
        else:
            errors.append(_("Give a manager's email or a team name."))
        month = parse_month(values.get("month", ""))
        if month is None:
            errors.append(
                _("The month %(value)s is not a month (use YYYY-MM).") % {"value": values.get("month", "")}
            )
        amount = won_count = None
        try:
            amount = parse_amount(values.get("amount", ""))
            if amount is not None:
                _check_amount(amount.quantize(Decimal("0.01")), "amount")
                amount = amount.quantize(Decimal("0.01"))
        except (ValueError, InvalidOperation):
            errors.append(_("The amount %(value)s is not a number.") % {"value": values.get("amount", "")})
        except ValidationError as error:
            errors.extend(error.messages)
        count_text = values.get("won_count", "").strip()
        if count_text:
            try:
                count_value = parse_amount(count_text)
                if count_value is None or count_value != count_value.to_integral_value() or count_value < 0:
                    raise ValueError(count_text)
                won_count = int(count_value)
            except (ValueError, InvalidOperation):
                errors.append(
                    _("The number of won deals %(value)s is not a whole number.") % {"value": count_text}
                )
        if amount is None and won_count is None and not errors:
            errors.append(_("Give an amount or a number of won deals."))
        if target and month is not None:
            key = ("user" if "user" in target else "team", next(iter(target.values())).pk, month)
            if key in seen:
                errors.append(_("The same plan is already in row %(row)s.") % {"row": seen[key]})
            else:
                seen[key] = number
        if errors:
            result.errors.extend(PlanRowError(number, message) for message in errors)
            continue
        planned.append({**target, "month": month, "amount": amount, "won_count": won_count})
    if not rows:
        result.errors.append(PlanRowError(2, _("The file has no plans below the header.")))
    if result.errors:
        return result
    for item in planned:
        plan_set(actor=actor, **item)
    result.saved = len(planned)
    return result


# -- channel costs ----------------------------------------------------------------------------------


@transaction.atomic
def channel_cost_set(
    *, actor: User, channel: Channel, month: datetime.date, amount: Decimal | None
) -> ChannelCost | None:
    """Set what a lead channel cost in `month` (base currency); None removes it. Admins and marketers."""
    if not can_edit_channel_costs(actor):
        raise PermissionDenied(_("Only administrators and marketers can enter channel costs."))
    _check_month(month)
    _check_amount(amount, "amount")
    cost = ChannelCost.objects.select_for_update().filter(channel=channel, month=month).first()
    if amount is None:
        if cost is not None:
            event_record(actor=actor, action=Event.Action.DELETED, target=cost)
            cost.delete()
        return None
    old = _plain(cost.amount) if cost else None
    created = cost is None
    if cost is None:
        cost = ChannelCost(channel=channel, month=month, amount=amount)
    cost.amount, cost.updated_at = amount, timezone.now()
    cost.full_clean(validate_constraints=False)
    cost.save()
    if created or old != _plain(cost.amount):
        event_record(
            actor=actor,
            action=Event.Action.CREATED if created else Event.Action.UPDATED,
            target=cost,
            changes=[{"field": "amount", "old": old, "new": _plain(cost.amount)}],
        )
    return cost


# -- payments ---------------------------------------------------------------------------------------


@transaction.atomic
def payment_add(
    *,
    actor: User,
    deal: Deal,
    paid_on: datetime.date,
    amount: Decimal,
    currency: Currency,
    note: str = "",
) -> Payment:
    """Record money received on a deal. Needs the right to change the deal; the amount is converted
    to the base currency at the currency's current rate, as deal amounts are."""
    if not can(actor, "change", deal):
        raise PermissionDenied(_("You are not allowed to change this deal."))
    if deal.is_deleted:
        raise ValidationError(_("This deal is in the trash."), code="deal_trashed")
    if amount is None or not amount.is_finite() or amount <= 0:
        raise ValidationError({"amount": _("Enter an amount greater than zero.")}, code="amount_not_positive")
    if amount > MAX_AMOUNT:
        raise ValidationError({"amount": _("The amount is too large.")}, code="amount_too_large")
    currency = Currency.objects.get(pk=currency.pk)
    payment = Payment(
        deal=deal,
        paid_on=paid_on,
        amount=amount,
        currency=currency,
        amount_base=to_base(amount, currency) or Decimal("0"),
        note=note.strip(),
        created_by=actor,
        created_at=timezone.now(),
    )
    payment.full_clean(exclude=["amount_base"])
    payment.save()
    event_record(
        actor=actor,
        action=Event.Action.UPDATED,
        target=deal,
        parent=deal.company,
        changes=[
            {
                "field": "payment",
                "old": None,
                "new": f"{payment.amount} {currency.code} {paid_on.isoformat()}",
            }
        ],
    )
    return payment


@transaction.atomic
def payment_remove(*, actor: User, payment: Payment) -> None:
    """Delete a payment recorded by mistake; needs the right to change its deal."""
    deal = payment.deal
    if not can(actor, "change", deal):
        raise PermissionDenied(_("You are not allowed to change this deal."))
    event_record(
        actor=actor,
        action=Event.Action.UPDATED,
        target=deal,
        parent=deal.company,
        changes=[
            {
                "field": "payment",
                "old": f"{payment.amount} {payment.currency_id} {payment.paid_on.isoformat()}",
                "new": None,
            }
        ],
    )
    payment.delete()
