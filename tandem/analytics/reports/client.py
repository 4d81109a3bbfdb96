"""A client's history with us, for its card: deals won and lost, revenue, touches per manager and the
time since the last one — how each seller does with this client."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from tandem.accounts.models import User
from tandem.accounts.visibility import scope_q
from tandem.activities.models import Activity
from tandem.activities.selectors import activity_scope_q
from tandem.analytics.reports.base import money
from tandem.contacts.models import Company, Contact
from tandem.deals.models import Deal, DealContact


@dataclass
class ClientManager:
    manager_id: int
    name: str
    touches: int = 0
    last_touch_at: datetime.datetime | None = None
    won: int = 0
    revenue: Decimal = Decimal("0.00")


@dataclass
class ClientHistory:
    won: int = 0
    lost: int = 0
    open: int = 0
    revenue: Decimal = Decimal("0.00")
    touches: int = 0
    last_touch_at: datetime.datetime | None = None
    days_since_touch: int | None = None
    managers: list[ClientManager] = field(default_factory=list)


def client_history(
    actor: User,
    *,
    company: Company | None = None,
    contact: Contact | None = None,
    now: datetime.datetime | None = None,
) -> ClientHistory:
    """The history of a company (its deals and the activities on it) or a contact (the deals it is a
    contact of and the activities with it), counting only the deals and activities the actor may see.
    Two aggregate queries and one for the managers' names."""
    now = now or timezone.now()
    deals: QuerySet[Deal] = Deal.objects.filter(scope_q(actor, Deal, "view"), deleted_at__isnull=True)
    activities = Activity.objects.filter(
        activity_scope_q(actor), deleted_at__isnull=True, done_at__isnull=False
    )
    if company is not None:
        deals, activities = deals.filter(company_id=company.pk), activities.filter(company_id=company.pk)
    elif contact is not None:
        deals = deals.filter(pk__in=DealContact.objects.filter(contact_id=contact.pk).values("deal_id"))
        activities = activities.filter(contact_id=contact.pk)
    else:
        raise ValueError("a company or a contact")
    won, lost = Q(won_at__isnull=False), Q(lost_at__isnull=False)
    history = ClientHistory()
    rows: dict[int, ClientManager] = {}
    for item in (
        deals.order_by()
        .values("owner_id")
        .annotate(
            won=Count("id", filter=won),
            lost=Count("id", filter=lost),
            open=Count("id", filter=Q(stage__kind="open")),
            revenue=Sum("amount_base", filter=won),
        )
    ):
        history.won += item["won"]
        history.lost += item["lost"]
        history.open += item["open"]
        history.revenue += money(item["revenue"])
        if item["won"]:
            rows[item["owner_id"]] = ClientManager(
                item["owner_id"], "", won=item["won"], revenue=money(item["revenue"])
            )
    for item in (
        activities.order_by().values("assignee_id").annotate(touches=Count("id"), last=Max("done_at"))
    ):
        row = rows.setdefault(item["assignee_id"], ClientManager(item["assignee_id"], ""))
        row.touches, row.last_touch_at = item["touches"], item["last"]
        history.touches += item["touches"]
        if history.last_touch_at is None or item["last"] > history.last_touch_at:
            history.last_touch_at = item["last"]
    if history.last_touch_at is not None:
        history.days_since_touch = max((now - history.last_touch_at).days, 0)
    names = {user.pk: str(user) for user in User.objects.filter(pk__in=list(rows))}
    for row in rows.values():
        row.name = names.get(row.manager_id, "")
    history.managers = sorted(rows.values(), key=lambda row: (-row.revenue, -row.touches, row.name))
    return history
