"""Demo figures for the reports: sales plans, channel costs and payments, through the real services.

Plans are set near what each rep actually wins in the demo (some above, some below), for the last
three months and the next two; every lead channel gets a monthly cost; most won deals are paid, some
in two instalments, some not yet.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from tandem.accounts.models import Team, User
from tandem.accounts.roles import Role
from tandem.analytics.services import channel_cost_set, payment_add, plan_set
from tandem.contacts.models import Channel
from tandem.deals.models import Deal

HUNDRED = Decimal(100)


def _month(day: datetime.date, shift: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + shift
    return datetime.date(index // 12, index % 12 + 1, 1)


def demo_analytics_create(*, users: dict[str, User], seed: int) -> int:
    """Create the figures; returns how many rows were written."""
    rng = random.Random(seed)
    admin = users["admin"]
    today = timezone.localdate()
    written = 0
    reps = [user for user in users.values() if user.role == Role.REP]
    for rep in reps:
        won = Deal.objects.filter(owner=rep, won_at__isnull=False).aggregate(total=Sum("amount_base"))[
            "total"
        ]
        monthly = max(Decimal(5000), (won or Decimal(0)) / 6).quantize(HUNDRED)
        for shift in range(-3, 3):
            target = (monthly * Decimal(rng.choice([80, 90, 100, 110, 125])) / HUNDRED).quantize(HUNDRED)
            plan_set(
                actor=admin, month=_month(today, shift), user=rep, amount=target, won_count=rng.randint(2, 6)
            )
            written += 1
    for team in Team.objects.all():
        members = [rep for rep in reps if rep.team_id == team.pk]
        if not members:
            continue
        for shift in range(-3, 3):
            amount = Decimal(15000 * len(members)).quantize(HUNDRED)
            plan_set(actor=admin, month=_month(today, shift), team=team, amount=amount)
            written += 1
    for channel in Channel.objects.all():
        base = Decimal(rng.choice([300, 600, 900, 1500]))
        for shift in range(-6, 1):
            cost = (base * Decimal(rng.randint(80, 120)) / HUNDRED).quantize(Decimal("1"))
            channel_cost_set(actor=admin, channel=channel, month=_month(today, shift), amount=cost)
            written += 1
    for deal in Deal.objects.filter(won_at__isnull=False, amount__isnull=False).select_related("currency"):
        roll = rng.random()
        if roll < 0.15 or not deal.amount:
            continue  # not paid yet
        won_on = timezone.localtime(deal.won_at).date()
        first = deal.amount if roll < 0.7 else (deal.amount / 2).quantize(Decimal("0.01"))
        payment_add(
            actor=admin,
            deal=deal,
            paid_on=min(today, won_on + datetime.timedelta(days=rng.randint(1, 20))),
            amount=first,
            currency=deal.currency,
        )
        written += 1
        if first != deal.amount:
            payment_add(
                actor=admin,
                deal=deal,
                paid_on=min(today, won_on + datetime.timedelta(days=rng.randint(21, 45))),
                amount=deal.amount - first,
                currency=deal.currency,
            )
            written += 1
    return written
