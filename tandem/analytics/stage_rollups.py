"""Rollups of the stage-change log, for the funnel and the activity report.

The facts are the deals and their `StageChange` rows. Two flags on each change are derived from the
deal's own log (and the pipeline's current stage order):

- `is_first_entry`: the deal's first change into `to_stage` (by `changed_at`, then id);
- `moved_on`: `to_stage` is open and the deal later (strictly later `changed_at`) changed into a stage
  further along: an open stage at a higher position, or a won stage.

From them and the deal's owner, three rollups count per local day (`settings.TIME_ZONE`, as
`ActivityDay`), for deals outside the trash only:

- `StageDay` (stage, owner, day): first entries into the stage, and how many of those moved on;
- `StageExitDay` (stage, owner, day, duration bucket): changes out of the stage, by time spent in it
  (`duration_bucket` of `seconds_in_previous`), so medians come from the histogram;
- `DealMoveDay` (mover, owner, day): the deals the mover changed the stage of that day (each once).

Every contribution belongs to exactly one deal, so the deal services keep the rollups by difference,
in the same transaction as the change: `stage_rollup_state` reads what the deals' rows contribute
now, the write happens, and `stage_rollup_update` recomputes the flags from the log, writes those that
changed and adds the difference to the rollups (one upsert statement per rollup; a creation, whose
only change is a first entry, is one upsert: `stage_rollup_created`). This covers every
way a contribution moves: a new change (creation, move, reopening, winning, losing), an owner change,
moving to the trash and restoring. Reordering stages or changing a stage's kind changes which entries
moved on: `stage_rollups_rebuild(pipeline_id=…)` recomputes that pipeline. Bulk writers that bypass the
services (the bench generator) run `tandem rollups rebuild`.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps as global_apps
from django.db import connection, transaction
from django.db.models import Count, F, IntegerField, Max, Min, Sum
from django.db.models.expressions import Case, When
from django.utils import timezone

from tandem.analytics.rollups import rollup_zone

WON_RANK = 1_000_000
ONE_DAY = 86_400

# (model name, key) → the deltas of that model's value columns
Contributions = dict[tuple[str, tuple[Any, ...]], list[int]]

KEYS = {
    "StageDay": ("stage_id", "owner_id", "day"),
    "StageExitDay": ("stage_id", "owner_id", "day", "bucket"),
    "DealMoveDay": ("actor_id", "owner_id", "day"),
}
VALUES = {
    "StageDay": ("entered", "moved_on"),
    "StageExitDay": ("exits",),
    "DealMoveDay": ("deals",),
}


def stage_rank(kind: str, position: int) -> int | None:
    """How far along a stage is: its position when open, beyond every open stage when won; a lost
    stage is no progress at all (the funnel's `_rank`)."""
    if kind == "won":
        return WON_RANK
    if kind == "open":
        return position
    return None


def bucket_seconds(seconds: int) -> int:
    """`reports.base.duration_bucket` in Python (integer division truncating toward zero, as SQL)."""
    if seconds < 3600:
        step = 60
    elif seconds < 2 * ONE_DAY:
        step = 600
    elif seconds < 30 * ONE_DAY:
        step = 3600
    else:
        step = ONE_DAY
    quotient = abs(seconds) // step
    return (quotient if seconds >= 0 else -quotient) * step


@dataclass
class _Change:
    pk: int
    deal_id: int
    from_stage_id: int | None
    to_stage_id: int
    changed_at: datetime.datetime
    actor_id: int | None
    seconds_in_previous: int | None
    is_first_entry: bool
    moved_on: bool


@dataclass
class RollupState:
    """What some deals contribute to the stage rollups as stored now (see `stage_rollup_state`)."""

    deal_ids: list[int]
    contributions: Contributions = field(default_factory=dict)


def _ranks(apps: Any = global_apps) -> dict[int, tuple[str, int | None]]:
    stage_model = apps.get_model("deals", "Stage")
    return {
        pk: (kind, stage_rank(kind, position))
        for pk, kind, position in stage_model.objects.values_list("pk", "kind", "position")
    }


def _read(deal_ids: Sequence[int]) -> tuple[dict[int, tuple[int, bool]], dict[int, list[_Change]]]:
    """(deal id → (owner id, in the trash)), (deal id → its changes in order)."""
    deal_model = global_apps.get_model("deals", "Deal")
    change_model = global_apps.get_model("deals", "StageChange")
    deals = {
        pk: (owner_id, deleted_at is not None)
        for pk, owner_id, deleted_at in deal_model.objects.filter(pk__in=deal_ids).values_list(
            "pk", "owner_id", "deleted_at"
        )
    }
    changes: dict[int, list[_Change]] = defaultdict(list)
    fields = [
        "pk", "deal_id", "from_stage_id", "to_stage_id", "changed_at", "actor_id", "seconds_in_previous",
        "is_first_entry", "moved_on",
    ]  # fmt: skip
    rows = change_model.objects.filter(deal_id__in=deal_ids).order_by("deal_id", "changed_at", "pk")
    for values in rows.values_list(*fields):
        change = _Change(*values)
        changes[change.deal_id].append(change)
    return deals, changes


def _flags(changes: list[_Change], ranks: dict[int, tuple[str, int | None]]) -> list[tuple[bool, bool]]:
    """(is_first_entry, moved_on) of each of one deal's changes (ordered by changed_at, id)."""
    seen: set[int] = set()
    flags = []
    for change in changes:
        first = change.to_stage_id not in seen
        seen.add(change.to_stage_id)
        kind, rank = ranks.get(change.to_stage_id, ("", None))
        moved_on = kind == "open" and any(
            later.changed_at > change.changed_at
            and (ranks.get(later.to_stage_id, ("", None))[1] or -1) > (rank or 0)
            for later in changes
        )
        flags.append((first, moved_on))
    return flags


def _contributions(
    deals: dict[int, tuple[int, bool]], changes: dict[int, list[_Change]], into: Contributions
) -> Contributions:
    zone = rollup_zone()
    for deal_id, (owner_id, trashed) in deals.items():
        if trashed:
            continue
        moved_days: set[tuple[int, datetime.date]] = set()
        for change in changes.get(deal_id, []):
            day = timezone.localdate(change.changed_at, zone)
            if change.is_first_entry:
                row = into.setdefault(("StageDay", (change.to_stage_id, owner_id, day)), [0, 0])
                row[0] += 1
                row[1] += int(change.moved_on)
            if change.from_stage_id is not None and change.seconds_in_previous is not None:
                key = (change.from_stage_id, owner_id, day, bucket_seconds(change.seconds_in_previous))
                into.setdefault(("StageExitDay", key), [0])[0] += 1
            if change.from_stage_id is not None and change.actor_id is not None:
                moved_days.add((change.actor_id, day))
        for actor_id, day in moved_days:
            into.setdefault(("DealMoveDay", (actor_id, owner_id, day)), [0])[0] += 1
    return into


def stage_rollup_state(deal_ids: Iterable[int]) -> RollupState:
    """What the deals contribute now, read before a write that may change it (one or two queries)."""
    ids = sorted(set(deal_ids))
    state = RollupState(ids)
    if ids:
        deals, changes = _read(ids)
        _contributions(deals, changes, state.contributions)
    return state


def stage_rollup_created(*, stage_id: int, owner_id: int, changed_at: datetime.datetime) -> None:
    """A new deal's only change (its creation, recorded with `is_first_entry`): one entry, in one
    statement — the short form of `stage_rollup_update` for `deal_create`."""
    _apply({("StageDay", (stage_id, owner_id, timezone.localdate(changed_at, rollup_zone()))): [1, 0]})


def stage_rollup_update(deal_ids: Iterable[int], before: RollupState | None = None) -> None:
    """After a write to these deals (or their log): recompute their changes' flags, store those that
    changed and add what the deals now contribute minus `before` (None: nothing, a new deal) to the
    rollups. Call inside the transaction of the write, with the deals locked."""
    ids = sorted(set(deal_ids) | set(before.deal_ids if before else []))
    if not ids:
        return
    deals, changes = _read(ids)
    ranks = _ranks()
    updates: dict[tuple[bool, bool], list[int]] = defaultdict(list)
    for rows in changes.values():
        for change, (first, moved_on) in zip(rows, _flags(rows, ranks), strict=True):
            if (change.is_first_entry, change.moved_on) != (first, moved_on):
                change.is_first_entry, change.moved_on = first, moved_on
                updates[(first, moved_on)].append(change.pk)
    change_model = global_apps.get_model("deals", "StageChange")
    for (first, moved_on), pks in updates.items():
        change_model.objects.filter(pk__in=pks).update(is_first_entry=first, moved_on=moved_on)
    after = _contributions(deals, changes, {})
    difference: Contributions = {key: list(values) for key, values in after.items()}
    for key, values in (before.contributions if before else {}).items():
        row = difference.setdefault(key, [0] * len(values))
        for index, value in enumerate(values):
            row[index] -= value
    _apply({key: values for key, values in difference.items() if any(values)})


def _adapt(value: Any) -> Any:
    return connection.ops.adapt_datefield_value(value) if isinstance(value, datetime.date) else value


def _apply(difference: Contributions) -> None:
    """Add the deltas to the rollups: one INSERT … ON CONFLICT DO UPDATE per rollup touched."""
    by_model: dict[str, list[tuple[tuple[Any, ...], list[int]]]] = defaultdict(list)
    for (model_name, key), values in sorted(
        difference.items(), key=lambda item: (item[0][0], str(item[0][1]))
    ):
        by_model[model_name].append((key, values))
    for model_name, rows in by_model.items():
        model = global_apps.get_model("analytics", model_name)
        table = connection.ops.quote_name(model._meta.db_table)
        keys, counters = KEYS[model_name], VALUES[model_name]
        placeholders = "(" + ", ".join(["%s"] * (len(keys) + len(counters))) + ")"
        params: list[Any] = []
        for key, deltas in rows:
            params += [_adapt(part) for part in key]
            params += deltas
        columns = ", ".join([*keys, *counters])
        updates = ", ".join(f"{name} = {table}.{name} + EXCLUDED.{name}" for name in counters)
        with connection.cursor() as cursor:
            cursor.execute(
                # The table and columns are the models' own; every value is a parameter.
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholders] * len(rows))} "  # noqa: S608
                f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}",
                params,
            )


# --- rebuilding from the facts ----------------------------------------------------------------------


def _flags_rebuild(apps: Any, pipeline_id: int | None) -> None:
    """Recompute both flags of every change (or those of one pipeline's deals) in one UPDATE … FROM
    over two window functions: the first change per (deal, stage), and the furthest rank among each
    change's strictly later ones (`EXCLUDE GROUP` leaves out changes at the same moment)."""
    change_table = connection.ops.quote_name(apps.get_model("deals", "StageChange")._meta.db_table)
    stage_table = connection.ops.quote_name(apps.get_model("deals", "Stage")._meta.db_table)
    scope, params = ("WHERE s.pipeline_id = %s", [pipeline_id]) if pipeline_id is not None else ("", [])
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    with connection.cursor() as cursor:
        cursor.execute(
            # Tables are the models' own; the only value is a parameter.
            f"""UPDATE {change_table} SET is_first_entry = f.is_first, moved_on = f.is_moved
            FROM (
                SELECT c.id,
                    (ROW_NUMBER() OVER (PARTITION BY c.deal_id, c.to_stage_id ORDER BY c.changed_at, c.id)
                        = 1) AS is_first,
                    (s.kind = 'open' AND COALESCE(MAX(CASE s.kind WHEN 'won' THEN {WON_RANK}
                        WHEN 'open' THEN s.position ELSE -1 END) OVER (
                            PARTITION BY c.deal_id ORDER BY c.changed_at DESC
                            RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW EXCLUDE GROUP
                        ), -1) > s.position) AS is_moved
                FROM {change_table} c JOIN {stage_table} s ON s.id = c.to_stage_id
                {scope}
            ) f
            WHERE {change_table}.id = f.id
              AND ({change_table}.is_first_entry {differs} f.is_first
                   OR {change_table}.moved_on {differs} f.is_moved)""",  # noqa: S608
            params,
        )


def _insert_grouped(model: Any, columns: Sequence[str], grouped: Any) -> None:
    sql, params = grouped.query.sql_with_params()
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) {sql}", params)


@transaction.atomic
def stage_rollups_rebuild(*, apps: Any = global_apps, pipeline_id: int | None = None) -> dict[str, int]:
    """Recompute the flags and the three rollups from the log (all, or one pipeline's stages) in a few
    INSERT … SELECT … GROUP BY statements; returns the rows per rollup. Deal and change writes wait
    meanwhile (PostgreSQL: SHARE locks), so no contribution is lost or doubled."""
    from tandem.analytics.reports.base import LocalDate, duration_bucket

    change_model = apps.get_model("deals", "StageChange")
    deal_model = apps.get_model("deals", "Deal")
    stage_model = apps.get_model("deals", "Stage")
    models = {name: apps.get_model("analytics", name) for name in KEYS}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (deal_model, change_model):
                cursor.execute(f"LOCK TABLE {connection.ops.quote_name(model._meta.db_table)} IN SHARE MODE")
    stage_ids = (
        list(stage_model.objects.filter(pipeline_id=pipeline_id).values_list("pk", flat=True))
        if pipeline_id is not None
        else None
    )
    _flags_rebuild(apps, pipeline_id)
    changes = change_model.objects.filter(deal__deleted_at__isnull=True)
    if stage_ids is not None:
        models["StageDay"].objects.filter(stage_id__in=stage_ids).delete()
        models["StageExitDay"].objects.filter(stage_id__in=stage_ids).delete()
        # Moves are not per stage: a pipeline's reorder leaves them as they are.
        changes = changes.filter(to_stage_id__in=stage_ids)
    else:
        for model in models.values():
            model.objects.all().delete()
    span = change_model.objects.aggregate(first=Min("changed_at"), last=Max("changed_at"))
    if span["first"] is not None:
        start = span["first"] - datetime.timedelta(days=1)
        end = span["last"] + datetime.timedelta(days=1)
        day = LocalDate(F("changed_at"), zone=rollup_zone(), start=start, end=end)
        entries = (
            changes.filter(is_first_entry=True)
            .order_by()
            .values("to_stage_id", owner=F("deal__owner_id"), day_value=day)
            .annotate(
                entered=Count("id"),
                moved=Sum(Case(When(moved_on=True, then=1), default=0, output_field=IntegerField())),
            )
            .values_list("to_stage_id", "owner", "day_value", "entered", "moved")
        )
        _insert_grouped(models["StageDay"], ["stage_id", "owner_id", "day", "entered", "moved_on"], entries)
        exits = (
            (changes if stage_ids is None else change_model.objects.filter(
                deal__deleted_at__isnull=True, from_stage_id__in=stage_ids
            ))
            .filter(from_stage_id__isnull=False, seconds_in_previous__isnull=False)
            .order_by()
            .values("from_stage_id", owner=F("deal__owner_id"), day_value=day,
                    bucket=duration_bucket(F("seconds_in_previous")))
            .annotate(exits=Count("id"))
            .values_list("from_stage_id", "owner", "day_value", "bucket", "exits")
        )  # fmt: skip
        _insert_grouped(models["StageExitDay"], ["stage_id", "owner_id", "day", "bucket", "exits"], exits)
        if stage_ids is None:
            moved = (
                changes.filter(from_stage_id__isnull=False, actor_id__isnull=False)
                .order_by()
                .values("actor_id", owner=F("deal__owner_id"), day_value=day)
                .annotate(deals=Count("deal_id", distinct=True))
                .values_list("actor_id", "owner", "day_value", "deals")
            )
            _insert_grouped(models["DealMoveDay"], ["actor_id", "owner_id", "day", "deals"], moved)
    return {name: int(model.objects.count()) for name, model in models.items()}


def stage_rollups_analyze() -> None:
    """Planner statistics after a rebuild (and the visibility map, on PostgreSQL outside a transaction)."""
    with connection.cursor() as cursor:
        for name in KEYS:
            table = connection.ops.quote_name(global_apps.get_model("analytics", name)._meta.db_table)
            vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
            cursor.execute(f"VACUUM ANALYZE {table}" if vacuum else f"ANALYZE {table}")


def stage_rollup_rows(*, apps: Any = global_apps) -> dict[str, dict[tuple[Any, ...], tuple[int, ...]]]:
    """Each rollup's non-zero rows, {key: values}: for checks and tests."""
    result: dict[str, dict[tuple[Any, ...], tuple[int, ...]]] = {}
    for name, keys in KEYS.items():
        values = VALUES[name]
        rows = apps.get_model("analytics", name).objects.values_list(*keys, *values)
        result[name] = {
            tuple(row[: len(keys)]): tuple(row[len(keys) :]) for row in rows if any(row[len(keys) :])
        }
    return result
