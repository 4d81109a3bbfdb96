"""Plan vs fact and the forecast of plan fulfilment, from this company's own history.

History (aggregated in SQL, never loaded deal by deal):
- the win probability of a stage is the share of closed deals that were ever in the stage and ended
  won (each deal counted once per stage, whatever its path: skipped stages are not counted, a deal
  that moved back counts once, a reopened deal counts by its final outcome, an open one not at all);
- the time to close from a stage is the distribution of days from a won deal's last entry into the
  stage to its win, kept in buckets.
A manager's own figures are used from MIN_MANAGER_DEALS closed deals from the stage (won deals for
the time to close), else the company's; the stage's configured probability only when the company has
fewer than MIN_COMPANY_DEALS closed deals from the stage.

An open deal counts in a period with p(win) × p(close in the period): the second factor is 1 or 0 for
a deal whose expected close date is today or later (in or out of the period), and for a deal with no
date (or a date already past) it comes from the time-to-close distribution given how long the deal
has already been in its stage. The Monte Carlo draws every deal's outcome RUNS times with a fixed
seed; fact (won in the period) is added to every run. Lost deals never count.
"""

from __future__ import annotations

import bisect
import calendar
import datetime
import math
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from tandem.accounts.models import Team, User
from tandem.analytics.filters import ReportFilters, report_deals
from tandem.analytics.plans import plans_visible
from tandem.deals.models import Deal, Stage, StageChange
from tandem.deals.money import base_currency_code

RUNS = 2000
SEED = 20260101
MIN_MANAGER_DEALS = 30
MIN_COMPANY_DEALS = 5
# Open deals simulated one by one (those with the largest spread, shared out among the managers, at
# least MIN_EXACT_PER_MANAGER each); the rest of a manager's deals are summed into a normal distribution
# with the same mean and variance, which many small deals follow closely. Bounds the work per run.
EXACT_DEALS = 600
MIN_EXACT_PER_MANAGER = 10
# Above this many open deals the pipeline is read grouped in SQL (manager, stage, week of entry into
# the stage, amount bucket) instead of deal by deal; the result says so.
MAX_DEALS = 20000
# Days from the entry into a stage to the win: the upper edges of the buckets (the last one is open
# and taken as ending at LAST_BUCKET_END).
DAY_EDGES = (1, 2, 3, 5, 7, 10, 14, 21, 30, 45, 60, 90, 120, 180, 270, 365, 540, 730)
LAST_BUCKET_END = 1095
# With no history at all, a deal without an expected close date is taken to close evenly within
# this many days from now.
FALLBACK_CLOSE_DAYS = 90
AMOUNT_EDGES = tuple(round(100 * 1.25**step) for step in range(60))  # 100 … ~60 million, 25 % apart
SECONDS_PER_DAY = 86400.0


class DaysBetween(Func):
    """(later - earlier) in days, as a float, on SQLite and PostgreSQL."""

    output_field = FloatField()

    def __init__(self, later: Any, earlier: Any) -> None:
        super().__init__(later, earlier)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="(julianday(%(expressions)s))",
            arg_joiner=") - julianday(",
            **extra,
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="(EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0)",
            arg_joiner=" - ",
            **extra,
        )


def _day_bucket(expression: str) -> Case:
    whens = [When(**{f"{expression}__lt": edge}, then=Value(index)) for index, edge in enumerate(DAY_EDGES)]
    return Case(*whens, default=Value(len(DAY_EDGES)), output_field=IntegerField())


# -- history ----------------------------------------------------------------------------------------


@dataclass
class Odds:
    probability: float
    source: str  # "manager" | "company" | "configured"
    won: int = 0
    closed: int = 0


@dataclass
class Timing:
    """A time-to-close distribution over DAY_EDGES buckets (counts of won deals)."""

    counts: list[int]
    source: str  # "manager" | "company" | "all stages" | "fallback"

    @property
    def total(self) -> int:
        return sum(self.counts)

    def cdf(self, days: float) -> float:
        """Share of wins within `days` of the entry into the stage (linear within a bucket)."""
        if days <= 0:
            return 0.0
        total = self.total
        below = 0
        lower = 0.0
        for index, count in enumerate(self.counts):
            upper = float(DAY_EDGES[index]) if index < len(DAY_EDGES) else float(LAST_BUCKET_END)
            if days < upper:
                return (below + count * (days - lower) / (upper - lower)) / total
            below += count
            lower = upper
        return 1.0

    def close_within(self, age: float, start: float, end: float) -> float:
        """P(the win falls in [start, end) days after the entry | not closed after `age` days)."""
        if end <= start:
            return 0.0
        survival = 1.0 - self.cdf(age)
        if survival <= 1e-9:  # older than every won deal: take it to close soon, evenly
            return _even_share(age, age + 30.0, start, end)
        return max(0.0, min(1.0, (self.cdf(end) - self.cdf(max(start, age))) / survival))


def _even_share(first: float, last: float, start: float, end: float) -> float:
    overlap = min(end, last) - max(start, first)
    return max(0.0, overlap / (last - first))


@dataclass
class History:
    """Win and time-to-close figures per stage, company-wide and per manager."""

    outcomes: dict[tuple[int, int], list[int]] = field(default_factory=dict)  # (stage, owner) -> [won, lost]
    company_outcomes: dict[int, list[int]] = field(default_factory=dict)  # stage -> [won, lost]
    timings: dict[tuple[int, int], list[int]] = field(default_factory=dict)  # (stage, owner) -> buckets
    company_timings: dict[int, list[int]] = field(default_factory=dict)
    pooled_timing: list[int] = field(default_factory=lambda: [0] * (len(DAY_EDGES) + 1))
    configured: dict[int, float] = field(default_factory=dict)  # stage -> configured probability

    def win_odds(self, stage_id: int, owner_id: int | None) -> Odds:
        own = self.outcomes.get((stage_id, owner_id or 0))
        if own and sum(own) >= MIN_MANAGER_DEALS:
            return Odds(own[0] / sum(own), "manager", own[0], sum(own))
        company = self.company_outcomes.get(stage_id)
        if company and sum(company) >= MIN_COMPANY_DEALS:
            return Odds(company[0] / sum(company), "company", company[0], sum(company))
        return Odds(self.configured.get(stage_id, 0.0), "configured")

    def timing(self, stage_id: int, owner_id: int | None) -> Timing:
        own = self.timings.get((stage_id, owner_id or 0))
        if own and sum(own) >= MIN_MANAGER_DEALS:
            return Timing(own, "manager")
        company = self.company_timings.get(stage_id)
        if company and sum(company) >= MIN_COMPANY_DEALS:
            return Timing(company, "company")
        if sum(self.pooled_timing) >= MIN_COMPANY_DEALS:
            return Timing(self.pooled_timing, "all stages")
        return Timing([], "fallback")


def stage_history(
    *, as_of: datetime.datetime | None = None, stage_ids: Iterable[int] | None = None
) -> History:
    """The company's history in three grouped queries (outcomes, times to close, stage settings).

    `as_of` looks only at what was known then: deals closed and stage moves made before it (for
    backtests). Counts every deal not in the trash, whoever may see it: the figures are statistics.
    """
    history = History()
    stages = Stage.objects.all()
    if stage_ids is not None:
        stage_ids = list(stage_ids)
        stages = stages.filter(pk__in=stage_ids)
    history.configured = {
        pk: probability / 100 for pk, probability in stages.values_list("pk", "probability")
    }
    changes = StageChange.objects.filter(to_stage__kind=Stage.Kind.OPEN, deal__deleted_at__isnull=True)
    if as_of is not None:
        changes = changes.filter(changed_at__lt=as_of)
        closed = Q(deal__stage__kind=Stage.Kind.WON, deal__won_at__lt=as_of) | Q(
            deal__stage__kind=Stage.Kind.LOST, deal__lost_at__lt=as_of
        )
    else:
        closed = Q(deal__stage__kind__in=[Stage.Kind.WON, Stage.Kind.LOST])
    outcome_rows = (
        changes.filter(closed)
        .values("to_stage_id", "deal__owner_id", "deal__stage__kind")
        .annotate(deals=Count("deal_id", distinct=True))
        .order_by()
    )
    for row in outcome_rows:
        key = (row["to_stage_id"], row["deal__owner_id"])
        index = 0 if row["deal__stage__kind"] == Stage.Kind.WON else 1
        history.outcomes.setdefault(key, [0, 0])[index] += row["deals"]
        history.company_outcomes.setdefault(row["to_stage_id"], [0, 0])[index] += row["deals"]
    later_entry = StageChange.objects.filter(
        deal_id=OuterRef("deal_id"),
        to_stage_id=OuterRef("to_stage_id"),
        changed_at__gt=OuterRef("changed_at"),
    )
    if as_of is not None:
        later_entry = later_entry.filter(changed_at__lt=as_of)
        won = Q(deal__stage__kind=Stage.Kind.WON, deal__won_at__lt=as_of)
    else:
        won = Q(deal__stage__kind=Stage.Kind.WON)
    timing_rows = (
        changes.filter(won, deal__won_at__isnull=False)
        .filter(~Exists(later_entry))
        .alias(days=DaysBetween(F("deal__won_at"), F("changed_at")))
        .annotate(bucket=_day_bucket("days"))
        .values("to_stage_id", "deal__owner_id", "bucket")
        .annotate(deals=Count("id"))
        .order_by()
    )
    size = len(DAY_EDGES) + 1
    for row in timing_rows:
        bucket = row["bucket"]
        stage = row["to_stage_id"]
        history.timings.setdefault((stage, row["deal__owner_id"]), [0] * size)[bucket] += row["deals"]
        history.company_timings.setdefault(stage, [0] * size)[bucket] += row["deals"]
        history.pooled_timing[bucket] += row["deals"]
    return history


# -- the pipeline of a period -----------------------------------------------------------------------


@dataclass
class Chance:
    """One open deal (or, for big pipelines, a group of alike deals) and its odds in the period."""

    owner_id: int
    amount: float  # base currency, per deal
    win: float
    close: float
    deals: int = 1

    @property
    def probability(self) -> float:
        return self.win * self.close


@dataclass
class Pipeline:
    chances: list[Chance]
    grouped: bool  # read grouped in SQL (more than MAX_DEALS open deals)
    open_deals: int
    sources: dict[str, int] = field(default_factory=dict)  # open deals by where their odds came from


def _close_share(
    timing: Timing,
    entered: datetime.datetime,
    now: datetime.datetime,
    first: datetime.datetime,
    after: datetime.datetime,
) -> float:
    age = (now - entered).total_seconds() / SECONDS_PER_DAY
    start = (max(first, now) - entered).total_seconds() / SECONDS_PER_DAY
    end = (after - entered).total_seconds() / SECONDS_PER_DAY
    if not timing.counts:
        return _even_share(age, age + FALLBACK_CLOSE_DAYS, start, end)
    return timing.close_within(age, start, end)


def open_pipeline(
    deals: QuerySet[Deal], filters: ReportFilters, *, now: datetime.datetime, history: History | None = None
) -> tuple[Pipeline, History]:
    """The open deals of `deals` that may close in the period, each with p(win) and p(close in it)."""
    first, after = filters.bounds()
    today = now.astimezone(filters.zone).date()
    if after <= now:
        return Pipeline([], False, 0), history or History()
    candidates = deals.filter(stage__kind=Stage.Kind.OPEN).filter(
        Q(expected_close_date__isnull=True)
        | Q(expected_close_date__lt=today)
        | Q(expected_close_date__gte=filters.start, expected_close_date__lte=filters.end)
    )
    rows = list(
        candidates.order_by("pk").values_list(
            "owner_id", "stage_id", "amount_base", "expected_close_date", "stage_entered_at"
        )[: MAX_DEALS + 1]
    )
    grouped = len(rows) > MAX_DEALS
    if grouped:
        return _grouped_pipeline(candidates, filters, now=now, today=today, history=history)
    if history is None:
        history = stage_history(stage_ids={row[1] for row in rows})
    chances: list[Chance] = []
    shares: dict[tuple[int, int, datetime.datetime], float] = {}
    sources: dict[str, int] = defaultdict(int)
    for owner_id, stage_id, amount, close_date, entered in rows:
        odds = history.win_odds(stage_id, owner_id)
        sources[odds.source] += 1
        if close_date is not None and close_date >= today:
            close = 1.0  # the query kept only dates in the period
        else:
            key = (stage_id, owner_id, entered)
            if key not in shares:
                shares[key] = _close_share(history.timing(stage_id, owner_id), entered, now, first, after)
            close = shares[key]
        if odds.probability > 0 and close > 0:
            chances.append(Chance(owner_id, float(amount or 0), odds.probability, close))
    return Pipeline(chances, False, len(rows), dict(sources)), history


def _amount_bucket() -> Case:
    whens = [When(amount_base__lt=edge, then=Value(index)) for index, edge in enumerate(AMOUNT_EDGES)]
    return Case(*whens, default=Value(len(AMOUNT_EDGES)), output_field=IntegerField())


def _grouped_pipeline(
    candidates: QuerySet[Deal],
    filters: ReportFilters,
    *,
    now: datetime.datetime,
    today: datetime.date,
    history: History | None,
) -> tuple[Pipeline, History]:
    first, after = filters.bounds()
    rows = list(
        candidates.annotate(
            dated=Case(
                When(expected_close_date__gte=today, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
            week=TruncWeek("stage_entered_at", tzinfo=datetime.UTC),
            bucket=_amount_bucket(),
        )
        .values("owner_id", "stage_id", "dated", "week", "bucket")
        .annotate(deals=Count("id"), total=Sum("amount_base"))
        .order_by("owner_id", "stage_id", "dated", "week", "bucket")
    )
    if history is None:
        history = stage_history(stage_ids={row["stage_id"] for row in rows})
    chances: list[Chance] = []
    count = 0
    sources: dict[str, int] = defaultdict(int)
    for row in rows:
        count += row["deals"]
        odds = history.win_odds(row["stage_id"], row["owner_id"])
        sources[odds.source] += row["deals"]
        if row["dated"]:
            close = 1.0
        else:
            entered = _aware(row["week"]) + datetime.timedelta(days=3.5)
            close = _close_share(
                history.timing(row["stage_id"], row["owner_id"]), min(entered, now), now, first, after
            )
        if odds.probability > 0 and close > 0:
            amount = float(row["total"] or 0) / row["deals"]
            chances.append(Chance(row["owner_id"], amount, odds.probability, close, row["deals"]))
    return Pipeline(chances, True, count, dict(sources)), history


def _aware(value: datetime.datetime | datetime.date) -> datetime.datetime:
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime.combine(value, datetime.time.min)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=datetime.UTC)
    return value


# -- the simulation ---------------------------------------------------------------------------------


@dataclass
class Simulation:
    """RUNS totals (amount and won deals) per manager, in run order."""

    amounts: dict[int, list[float]]
    counts: dict[int, list[float]]
    runs: int


def simulate(
    chances: list[Chance], owners: Iterable[int], *, runs: int = RUNS, seed: int = SEED
) -> Simulation:
    """Draw every open deal's outcome `runs` times (fixed seed: the same data gives the same answer).

    Per manager the deals with the largest spread (EXACT_DEALS shared out) are drawn one by one; the
    others (and groups of alike deals) are summed into a normal distribution with their mean and variance.
    """
    generator = random.Random(seed)
    uniform, gauss = generator.random, generator.gauss
    owners = sorted(set(owners) | {chance.owner_id for chance in chances})
    by_owner: dict[int, list[Chance]] = defaultdict(list)
    for chance in chances:
        by_owner[chance.owner_id].append(chance)
    plans: list[tuple[int, list[tuple[float, float]], float, float, float, float]] = []
    per_owner = max(MIN_EXACT_PER_MANAGER, EXACT_DEALS // max(len(owners), 1))
    for owner in owners:
        items = sorted(
            by_owner.get(owner, []),
            key=lambda chance: chance.amount**2 * chance.probability * (1 - chance.probability),
        )
        exact = [item for item in items if item.deals == 1][-per_owner:]
        exact_ids = {id(item) for item in exact}
        mean = variance = count_mean = count_variance = 0.0
        for item in items:
            if id(item) in exact_ids:
                continue
            p = item.probability
            mean += item.deals * item.amount * p
            variance += item.deals * item.amount**2 * p * (1 - p)
            count_mean += item.deals * p
            count_variance += item.deals * p * (1 - p)
        pairs = [(item.amount, item.probability) for item in exact]
        plans.append((owner, pairs, mean, math.sqrt(variance), count_mean, math.sqrt(count_variance)))
    amounts: dict[int, list[float]] = {owner: [0.0] * runs for owner in owners}
    counts: dict[int, list[float]] = {owner: [0.0] * runs for owner in owners}
    for run in range(runs):
        for owner, pairs, mean, spread, count_mean, count_spread in plans:
            total = 0.0
            won = 0.0
            for amount, probability in pairs:
                if uniform() < probability:
                    total += amount
                    won += 1
            if spread or count_spread or mean:
                draw = gauss(0.0, 1.0)
                total += max(0.0, mean + spread * draw)
                won += max(0.0, count_mean + count_spread * draw)
            amounts[owner][run] = total
            counts[owner][run] = won
    return Simulation(amounts, counts, runs)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of already sorted values."""
    if not values:
        return 0.0
    index = max(0, min(len(values) - 1, math.ceil(share * len(values)) - 1))
    return values[index]


# -- plan vs fact -----------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the plan-vs-fact table: a manager, a team or everyone."""

    label: str
    kind: str  # "manager" | "team" | "total"
    user_id: int | None = None
    team_id: int | None = None
    plan_amount: Decimal | None = None
    plan_count: Decimal | None = None
    fact_amount: Decimal = Decimal("0")
    fact_count: int = 0
    weighted: Decimal = Decimal("0")
    weighted_count: float = 0.0
    p10: Decimal = Decimal("0")
    p50: Decimal = Decimal("0")
    p90: Decimal = Decimal("0")
    count_p10: float = 0.0
    count_p90: float = 0.0
    chance_of_plan: float | None = None  # P(amount ≥ plan amount), 0..1
    chance_of_count: float | None = None  # P(won deals ≥ plan count)
    members: list[Row] = field(default_factory=list)

    @property
    def percent_of_plan(self) -> float | None:
        if not self.plan_amount:
            return None
        return float(self.fact_amount / self.plan_amount * 100)

    @property
    def percent_of_count(self) -> float | None:
        if not self.plan_count:
            return None
        return float(Decimal(self.fact_count) / self.plan_count * 100)

    @property
    def expected(self) -> Decimal:
        return self.fact_amount + self.weighted

    @property
    def bar(self) -> dict[str, float | None] | None:
        """Positions (% of the widest figure) of fact, the P10–P90 range and the plan, for a bar."""
        top = max(float(self.p90), float(self.plan_amount or 0), float(self.fact_amount)) * 1.05
        if top <= 0:
            return None
        low, high = float(self.p10) / top * 100, float(self.p90) / top * 100
        return {
            "fact": float(self.fact_amount) / top * 100,
            "low": low,
            "width": max(high - low, 0.5),
            "plan": float(self.plan_amount) / top * 100 if self.plan_amount else None,
        }


@dataclass
class Forecast:
    start: datetime.date
    end: datetime.date
    total: Row
    teams: list[Row]
    managers: list[Row]  # every manager row, in table order
    open_deals: int
    grouped: bool
    runs: int
    sources: dict[str, int]  # how many open deals used manager / company / configured odds


def _plan_days(month: datetime.date, start: datetime.date, end: datetime.date) -> tuple[int, int]:
    """(days of `month` inside [start, end], days in `month`)."""
    days = calendar.monthrange(month.year, month.month)[1]
    last = month.replace(day=days)
    covered = (min(last, end) - max(month, start)).days + 1
    return max(covered, 0), days


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def period_plans(
    actor: User, start: datetime.date, end: datetime.date
) -> tuple[dict[int, list[Decimal | None]], dict[int, list[Decimal | None]]]:
    """Plans visible to `actor` for the period, per user and per team: [amount, won deals], a month's
    plan counted in proportion to the days of it inside the period."""
    first_month = start.replace(day=1)
    users: dict[int, list[Decimal | None]] = {}
    teams: dict[int, list[Decimal | None]] = {}
    for plan in plans_visible(actor).filter(month__gte=first_month, month__lte=end):
        covered, days = _plan_days(plan.month, start, end)
        target = (
            users.setdefault(plan.user_id, [None, None])
            if plan.user_id
            else teams.setdefault(plan.team_id or 0, [None, None])
        )
        if plan.amount is not None:
            target[0] = (target[0] or Decimal("0")) + plan.amount * covered / days
        if plan.won_count is not None:
            target[1] = (target[1] or Decimal("0")) + Decimal(plan.won_count) * covered / days
    return users, teams


def _add(left: Decimal | None, right: Decimal | None) -> Decimal | None:
    if left is None:
        return right
    if right is None:
        return left
    return left + right


def forecast(
    actor: User,
    filters: ReportFilters,
    *,
    now: datetime.datetime | None = None,
    runs: int = RUNS,
    seed: int = SEED,
    history: History | None = None,
) -> Forecast:
    """Plan, fact, weighted pipeline and the simulated range per manager, team and in total, for the
    deals `actor` may see narrowed by `filters` (a rep: only their own)."""
    now = now or timezone.now()
    first, after = filters.bounds()
    deals = report_deals(actor, filters)
    fact_rows = (
        deals.filter(stage__kind=Stage.Kind.WON, won_at__gte=first, won_at__lt=after)
        .values("owner_id")
        .annotate(total=Sum("amount_base"), deals=Count("id"))
        .order_by()
    )
    facts = {row["owner_id"]: (row["total"] or Decimal("0"), row["deals"]) for row in fact_rows}
    pipeline, history = open_pipeline(deals, filters, now=now, history=history)
    user_plans, team_plans = period_plans(actor, filters.start, filters.end)
    if filters.manager:
        user_plans = {key: value for key, value in user_plans.items() if key == filters.manager}
        team_plans = {}
    owner_ids = set(facts) | {chance.owner_id for chance in pipeline.chances} | set(user_plans)
    users = {user.pk: user for user in User.objects.filter(pk__in=owner_ids).select_related("team")}
    if filters.team:
        owner_ids = {pk for pk in owner_ids if pk in users and users[pk].team_id == filters.team}
        team_plans = {key: value for key, value in team_plans.items() if key == filters.team}
    simulation = simulate(
        [c for c in pipeline.chances if c.owner_id in owner_ids], owner_ids, runs=runs, seed=seed
    )
    weighted: dict[int, float] = defaultdict(float)
    weighted_count: dict[int, float] = defaultdict(float)
    for chance in pipeline.chances:
        weighted[chance.owner_id] += chance.amount * chance.probability * chance.deals
        weighted_count[chance.owner_id] += chance.probability * chance.deals
    team_names = dict(
        Team.objects.filter(
            pk__in=set(team_plans) | {u.team_id for u in users.values() if u.team_id}
        ).values_list("pk", "name")
    )

    def manager_row(pk: int) -> Row:
        user = users[pk]
        plan = user_plans.get(pk, [None, None])
        fact_amount, fact_count = facts.get(pk, (Decimal("0"), 0))
        return Row(
            label=str(user),
            kind="manager",
            user_id=pk,
            team_id=user.team_id,
            plan_amount=plan[0],
            plan_count=plan[1],
            fact_amount=fact_amount,
            fact_count=fact_count,
            weighted=_money(weighted.get(pk, 0.0)),
            weighted_count=weighted_count.get(pk, 0.0),
        )

    by_team: dict[int, list[Row]] = defaultdict(list)
    for pk in sorted(owner_ids, key=lambda pk: (str(users[pk]).lower(), pk)):
        by_team[users[pk].team_id or 0].append(manager_row(pk))
    team_rows: list[Row] = []
    for team_id in sorted(
        set(by_team) | set(team_plans), key=lambda pk: (pk == 0, team_names.get(pk, "").lower())
    ):
        members = by_team.get(team_id, [])
        label = team_names.get(team_id) or _("Without a team")
        row = Row(label=label, kind="team", team_id=team_id or None, members=members)
        _sum_into(row, members)
        if team_id in team_plans:  # the team's own plan, when set, rather than the sum of its members'
            row.plan_amount, row.plan_count = team_plans[team_id]
        team_rows.append(row)
    total = Row(label=_("Total"), kind="total", members=team_rows)
    _sum_into(total, team_rows)
    managers = [member for team in team_rows for member in team.members]
    _finish(total, team_rows, simulation, facts)
    for team in team_rows:
        _finish(team, team.members, simulation, facts)
        for member in team.members:
            _finish(member, [], simulation, facts)
    return Forecast(
        start=filters.start,
        end=filters.end,
        total=total,
        teams=team_rows,
        managers=managers,
        open_deals=pipeline.open_deals,
        grouped=pipeline.grouped,
        runs=runs,
        sources=pipeline.sources,
    )


def _sum_into(row: Row, parts: list[Row]) -> None:
    for part in parts:
        row.plan_amount = _add(row.plan_amount, part.plan_amount)
        row.plan_count = _add(row.plan_count, part.plan_count)
        row.fact_amount += part.fact_amount
        row.fact_count += part.fact_count
        row.weighted += part.weighted
        row.weighted_count += part.weighted_count


def _owners(row: Row) -> list[int]:
    if row.kind == "manager":
        return [row.user_id] if row.user_id is not None else []
    return [pk for member in row.members for pk in _owners(member)]


def _finish(
    row: Row, parts: list[Row], simulation: Simulation, facts: dict[int, tuple[Decimal, int]]
) -> None:
    """The row's simulated range: its managers' runs added up, plus their fact."""
    owners = _owners(row)
    runs = simulation.runs
    amounts = [0.0] * runs
    counts = [0.0] * runs
    fact = float(sum((facts.get(pk, (Decimal("0"), 0))[0] for pk in owners), Decimal("0")))
    fact_count = sum(facts.get(pk, (Decimal("0"), 0))[1] for pk in owners)
    for pk in owners:
        owner_amounts = simulation.amounts.get(pk)
        owner_counts = simulation.counts.get(pk)
        if owner_amounts is None or owner_counts is None:
            continue
        for run in range(runs):
            amounts[run] += owner_amounts[run]
            counts[run] += owner_counts[run]
    amounts = sorted(fact + value for value in amounts)
    counts = sorted(fact_count + value for value in counts)
    row.p10, row.p50, row.p90 = (_money(percentile(amounts, share)) for share in (0.1, 0.5, 0.9))
    row.count_p10, row.count_p90 = percentile(counts, 0.1), percentile(counts, 0.9)
    if row.plan_amount:
        goal = float(row.plan_amount) - 0.005
        row.chance_of_plan = (runs - bisect.bisect_left(amounts, goal)) / runs
    elif row.plan_amount is not None:
        row.chance_of_plan = 1.0
    if row.plan_count:
        goal_count = float(row.plan_count) - 1e-9
        row.chance_of_count = (runs - bisect.bisect_left(counts, goal_count)) / runs
    elif row.plan_count is not None:
        row.chance_of_count = 1.0


def method_explanation() -> str:
    """The one paragraph the page shows under the table (translated)."""
    return _(
        "Fact is the amount (in the base currency) of deals won in the period. Each open deal counts with "
        "two probabilities learned from this company's own history: that it is won — the share of closed "
        "deals that passed through its current stage and ended won (the manager's own figure once they have "
        "%(manager_min)s closed deals from that stage, otherwise the company's; the stage's configured "
        "probability only where there is no history yet) — and that it closes within the period: 100%% if "
        "its expected close date falls in the period, otherwise from how long won deals took from that stage "
        "to close, given how long the deal has already waited. The weighted pipeline is the sum of amount × "
        "both probabilities. The range comes from %(runs)s simulations with a fixed seed in which every open "
        "deal is won or not by its probability; P10–P90 means that 8 out of 10 simulated outcomes lie in "
        "it, and the chance of meeting the plan is the share of simulations that reach it. Lost deals never "
        "count."
    ) % {"manager_min": MIN_MANAGER_DEALS, "runs": f"{RUNS:,}".replace(",", "\u202f")}


def plan_fact_context(
    actor: User, filters: ReportFilters, *, now: datetime.datetime | None = None
) -> dict[str, Any]:
    """What analytics/partials/plan_fact.html renders (the dashboard includes it as `plan_fact`)."""
    result = forecast(actor, filters, now=now)
    rows: list[Row] = []
    for team in result.teams:
        if len(result.teams) > 1 or team.team_id is not None:
            rows.append(team)
        rows.extend(team.members)
    # The period and people of this table as dashboard parameters: for its export and drill-downs.
    query = {"period": "custom", "start": filters.start.isoformat(), "end": filters.end.isoformat()}
    query.update({name: value for name in ("team", "manager") if (value := getattr(filters, name))})
    return {
        "forecast": result,
        "rows": rows,
        "total": result.total,
        "show_total": len(result.managers) > 1,
        "method": method_explanation(),
        "start": filters.start,
        "end": filters.end,
        "base_currency": base_currency_code(),
        "query": urlencode(query),
    }
