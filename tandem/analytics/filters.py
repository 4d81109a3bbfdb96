"""What every report is narrowed by, and the deals and activities it may count (visibility first).

A period is a range of calendar days in the viewer's time zone; `bounds` turns it into the aware
datetimes [start, end) that the SQL compares with, so a deal won at 23:30 on the 31st in Sofia counts
in that month even though it is already the 1st in UTC+3's neighbour.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from tandem.accounts.models import User
from tandem.accounts.visibility import scope_q
from tandem.activities.models import Activity
from tandem.activities.selectors import activity_scope_q
from tandem.deals.models import Deal, DealLine


@dataclass(frozen=True)
class ReportFilters:
    start: datetime.date
    end: datetime.date  # inclusive
    time_zone: str = "UTC"
    pipeline: int | None = None
    team: int | None = None
    manager: int | None = None
    channel: int | None = None
    product: int | None = None
    category: int | None = None  # the client category of the deal's company

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """[first moment of `start`, first moment after `end`) in the viewer's time zone."""
        zone = self.zone
        first = datetime.datetime.combine(self.start, datetime.time.min, tzinfo=zone)
        after = datetime.datetime.combine(
            self.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
        )
        return first, after


def report_deals(actor: User, filters: ReportFilters) -> QuerySet[Deal]:
    """Deals (not in the trash) the actor may see, narrowed by every filter but the period."""
    deals = Deal.objects.filter(scope_q(actor, Deal, "view"), deleted_at__isnull=True)
    if filters.pipeline:
        deals = deals.filter(pipeline_id=filters.pipeline)
    if filters.manager:
        deals = deals.filter(owner_id=filters.manager)
    if filters.team:
        deals = deals.filter(owner__team_id=filters.team)
    if filters.channel:
        deals = deals.filter(channel_id=filters.channel)
    if filters.category:
        deals = deals.filter(company__category_id=filters.category)
    if filters.product:
        deals = deals.filter(Exists(DealLine.objects.filter(deal=OuterRef("pk"), product_id=filters.product)))
    return deals


def report_activities(actor: User, filters: ReportFilters) -> QuerySet[Activity]:
    """Activities (not in the trash) the actor may see, by assignee for the manager and team filters."""
    activities = Activity.objects.filter(activity_scope_q(actor), deleted_at__isnull=True)
    if filters.manager:
        activities = activities.filter(assignee_id=filters.manager)
    if filters.team:
        activities = activities.filter(assignee__team_id=filters.team)
    if filters.pipeline or filters.channel or filters.category or filters.product:
        activities = activities.filter(Q(deal__in=report_deals(actor, filters)))
    return activities
