"""Reads of sales plans and channel costs, scoped to what the actor may see.

Plans follow the deals' visibility: whoever sees all deals (admins, marketers, read-only) sees every
plan, a head of sales their teams' and the members', a rep only their own.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet

from tandem.accounts.models import Team, User
from tandem.accounts.visibility import Scope, scope_for, team_ids
from tandem.analytics.models import ChannelCost, SalesPlan
from tandem.analytics.services import (
    can_edit_channel_costs,
    can_edit_plans,
    plan_teams_editable,
    plan_users_editable,
)
from tandem.contacts.models import Channel
from tandem.deals.models import Deal


def plans_visible(actor: User) -> QuerySet[SalesPlan]:
    """The sales plans `actor` may look at."""
    scope = scope_for(actor, Deal, "view")
    plans = SalesPlan.objects.all()
    if scope is Scope.ALL:
        return plans
    if scope is Scope.TEAM:
        teams = team_ids(actor)
        return plans.filter(Q(user__team_id__in=teams) | Q(user_id=actor.pk) | Q(team_id__in=teams))
    if scope is Scope.OWN:
        return plans.filter(user_id=actor.pk)
    return plans.none()


def plan_users_visible(actor: User) -> QuerySet[User]:
    """Managers whose rows the plans page shows to `actor`."""
    scope = scope_for(actor, Deal, "view")
    users = User.objects.filter(is_active=True).select_related("team")
    if scope is Scope.ALL:
        return users
    if scope is Scope.TEAM:
        return users.filter(Q(team_id__in=team_ids(actor)) | Q(pk=actor.pk))
    if scope is Scope.OWN:
        return users.filter(pk=actor.pk)
    return users.none()


def plan_teams_visible(actor: User) -> QuerySet[Team]:
    scope = scope_for(actor, Deal, "view")
    if scope is Scope.ALL:
        return Team.objects.all()
    if scope is Scope.TEAM:
        return Team.objects.filter(pk__in=team_ids(actor))
    return Team.objects.none()


def months_of(year: int) -> list[datetime.date]:
    return [datetime.date(year, number, 1) for number in range(1, 13)]


@dataclass
class PlanCell:
    month: datetime.date
    amount: Decimal | None = None
    won_count: int | None = None


@dataclass
class PlanLine:
    """One row of the plans grid: a manager or a team, with a cell per month."""

    kind: str  # "user" | "team"
    pk: int
    label: str
    editable: bool
    cells: list[PlanCell]
    members_amount: list[Decimal | None] = field(default_factory=list)  # team rows: sum of members

    @property
    def year_amount(self) -> Decimal | None:
        values = [cell.amount for cell in self.cells if cell.amount is not None]
        return sum(values, Decimal("0")) if values else None

    @property
    def year_count(self) -> int | None:
        values = [cell.won_count for cell in self.cells if cell.won_count is not None]
        return sum(values) if values else None


@dataclass
class PlanGroup:
    team: PlanLine | None  # None: managers without a team
    members: list[PlanLine]


@dataclass
class PlanGrid:
    year: int
    months: list[datetime.date]
    groups: list[PlanGroup]
    can_edit: bool


def plan_grid(*, actor: User, year: int) -> PlanGrid:
    """Every manager (grouped by team, with the team's own row) × 12 months that `actor` may see,
    in four queries whatever the number of rows."""
    months = months_of(year)
    users = list(plan_users_visible(actor).order_by("team__name", "full_name", "email"))
    teams = list(plan_teams_visible(actor).order_by("name"))
    editable_users = (
        set(plan_users_editable(actor).values_list("pk", flat=True)) if can_edit_plans(actor) else set()
    )
    editable_teams = (
        set(plan_teams_editable(actor).values_list("pk", flat=True)) if can_edit_plans(actor) else set()
    )
    plans = plans_visible(actor).filter(month__gte=months[0], month__lte=months[-1])
    by_user: dict[tuple[int, datetime.date], SalesPlan] = {}
    by_team: dict[tuple[int, datetime.date], SalesPlan] = {}
    for plan in plans:
        if plan.user_id:
            by_user[(plan.user_id, plan.month)] = plan
        elif plan.team_id:
            by_team[(plan.team_id, plan.month)] = plan

    def cells(source: dict[tuple[int, datetime.date], SalesPlan], pk: int) -> list[PlanCell]:
        row = []
        for month in months:
            plan = source.get((pk, month))
            row.append(PlanCell(month, plan.amount if plan else None, plan.won_count if plan else None))
        return row

    groups: list[PlanGroup] = []
    members_by_team: dict[int | None, list[PlanLine]] = {}
    for user in users:
        line = PlanLine("user", user.pk, str(user), user.pk in editable_users, cells(by_user, user.pk))
        members_by_team.setdefault(user.team_id, []).append(line)
    for team in teams:
        members = members_by_team.pop(team.pk, [])
        line = PlanLine("team", team.pk, team.name, team.pk in editable_teams, cells(by_team, team.pk))
        line.members_amount = [
            _sum_or_none([member.cells[index].amount for member in members]) for index in range(12)
        ]
        groups.append(PlanGroup(line, members))
    # Members of teams the actor cannot see as a whole (a rep's own row), and managers without a team.
    rest = [line for lines in members_by_team.values() for line in lines]
    if rest:
        groups.append(PlanGroup(None, rest))
    return PlanGrid(year, months, groups, can_edit_plans(actor))


def _sum_or_none(values: list[Decimal | None]) -> Decimal | None:
    present = [value for value in values if value is not None]
    return sum(present, Decimal("0")) if present else None


@dataclass
class CostLine:
    channel: Channel
    cells: list[tuple[datetime.date, Decimal | None]]

    @property
    def year_amount(self) -> Decimal | None:
        return _sum_or_none([amount for _month, amount in self.cells])


@dataclass
class CostGrid:
    year: int
    months: list[datetime.date]
    lines: list[CostLine]
    can_edit: bool
    month_totals: list[Decimal | None]


def channel_costs_visible(actor: User) -> bool:
    """Costs are company figures: everyone who sees more than their own deals, and marketers."""
    return can_edit_channel_costs(actor) or scope_for(actor, Deal, "view") in (Scope.TEAM, Scope.ALL)


def channel_cost_grid(*, actor: User, year: int) -> CostGrid:
    """Active lead channels (and inactive ones with costs that year) × 12 months, in two queries."""
    months = months_of(year)
    costs = {
        (cost.channel_id, cost.month): cost.amount
        for cost in ChannelCost.objects.filter(month__gte=months[0], month__lte=months[-1])
    }
    with_costs = {channel_id for channel_id, _month in costs}
    channels = Channel.objects.filter(Q(is_active=True) | Q(pk__in=with_costs)).order_by(
        "position", "name", "pk"
    )
    lines = [
        CostLine(channel, [(month, costs.get((channel.pk, month))) for month in months])
        for channel in channels
    ]
    totals = [_sum_or_none([line.cells[index][1] for line in lines]) for index in range(12)]
    return CostGrid(year, months, lines, can_edit_channel_costs(actor), totals)
