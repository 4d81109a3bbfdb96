"""Rollups: done activities per assignee, kind and local day (`ActivityDay`), for the activity report.

The facts stay the activities. The activity services call `activity_rollup_apply` in the same
transaction as every write that changes whether or where an activity counts (created done, marked
done, edited back to planned, moved to another day, assignee or type, moved to the trash), so the
rollup commits or rolls back with the activity. Bulk writers that bypass the services (the bench
generator) call `activity_rollups_rebuild` afterwards, as does `tandem rollups rebuild`.

Days are local dates in `settings.TIME_ZONE` (`ROLLUP_TIME_ZONE`), the zone every user starts with:
a report in another zone cannot be read from whole days and counts the activities instead. After
changing TANDEM_TIME_ZONE, run `tandem rollups rebuild`.
"""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

from django.apps import apps as global_apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min
from django.utils import timezone

# (assignee id, ActivityType.kind, local day) of an activity that counts.
RollupKey = tuple[int, str, datetime.date]


def rollup_zone() -> zoneinfo.ZoneInfo:
    """The time zone whose calendar days the rollup counts in."""
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def activity_rollup_key(activity: Any) -> RollupKey | None:
    """Where `activity` counts in the rollup: None unless it is done and not in the trash."""
    if activity.done_at is None or activity.deleted_at is not None:
        return None
    return (activity.assignee_id, activity.type.kind, timezone.localdate(activity.done_at, rollup_zone()))


def activity_rollup_apply(before: RollupKey | None, after: RollupKey | None) -> None:
    """Move one activity's count from `before` to `after` (either may be None) in one statement.

    Call inside the transaction that writes the activity. An upsert adds -1/+1 to the rows, so two
    writers on the same (assignee, kind, day) never lose a count (the row lock serializes them).
    """
    if before == after:
        return
    changes = [(key, -1) for key in (before,) if key is not None]
    changes += [(key, 1) for key in (after,) if key is not None]
    table = connection.ops.quote_name(_rollup_model()._meta.db_table)
    values: list[str] = []
    params: list[Any] = []
    for (assignee_id, kind, day), step in changes:
        values.append("(%s, %s, %s, %s)")
        params += [assignee_id, kind, connection.ops.adapt_datefield_value(day), step]
    with connection.cursor() as cursor:
        cursor.execute(
            # The table is the model's own; every value is a parameter.
            f"INSERT INTO {table} (assignee_id, kind, day, done) VALUES {', '.join(values)} "  # noqa: S608
            f"ON CONFLICT (assignee_id, kind, day) DO UPDATE SET done = {table}.done + EXCLUDED.done",
            params,
        )


def _rollup_model(apps: Any = global_apps) -> Any:
    return apps.get_model("analytics", "ActivityDay")


@transaction.atomic
def activity_rollups_rebuild(*, apps: Any = global_apps) -> int:
    """Recompute the whole rollup from the activities in one INSERT … SELECT … GROUP BY; returns
    the number of rows. Activity writes wait meanwhile (PostgreSQL: a SHARE lock on the activities),
    so no count is lost or doubled by a concurrent service."""
    from tandem.analytics.reports.base import LocalDate

    activity_model = apps.get_model("activities", "Activity")
    rollup_model = _rollup_model(apps)
    if connection.vendor == "postgresql":
        activities = connection.ops.quote_name(activity_model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {activities} IN SHARE MODE")
    rollup_model.objects.all().delete()
    counted = activity_model.objects.filter(done_at__isnull=False, deleted_at__isnull=True)
    span = counted.aggregate(first=Min("done_at"), last=Max("done_at"))
    if span["first"] is None:
        return 0
    # LocalDate cuts SQLite's conversion at the zone's offset changes between these two moments.
    start = span["first"] - datetime.timedelta(days=1)
    end = span["last"] + datetime.timedelta(days=1)
    day = LocalDate(F("done_at"), zone=rollup_zone(), start=start, end=end)
    grouped = (
        counted.order_by()
        .values("assignee_id", kind_value=F("type__kind"), day_value=day)
        .annotate(count=Count("id"))
        .values_list("assignee_id", "kind_value", "day_value", "count")
    )
    sql, params = grouped.query.sql_with_params()
    rollup = connection.ops.quote_name(rollup_model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {rollup} (assignee_id, kind, day, done) {sql}", params)
    return int(rollup_model.objects.count())


def activity_rollups_analyze() -> None:
    """Planner statistics (and, on PostgreSQL, the visibility map that lets a report read the period
    index alone) after a rebuild; outside a transaction, as VACUUM requires."""
    table = connection.ops.quote_name(_rollup_model()._meta.db_table)
    with connection.cursor() as cursor:
        # Inside a transaction (tests) PostgreSQL refuses VACUUM: statistics only.
        vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
        cursor.execute(f"VACUUM ANALYZE {table}" if vacuum else f"ANALYZE {table}")


def activity_rollup_rows(*, apps: Any = global_apps) -> dict[RollupKey, int]:
    """The rollup's non-zero rows (a count back at zero leaves its row at 0): for checks and tests."""
    rows = _rollup_model(apps).objects.exclude(done=0).values_list("assignee_id", "kind", "day", "done")
    return {(assignee_id, kind, day): done for assignee_id, kind, day, done in rows}
