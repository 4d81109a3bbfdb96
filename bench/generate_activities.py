"""Fill a generated database (`bench.generate ... --deals N`) with activities: `--activities 5000000`.

    python -m bench.generate_activities --activities 5000000 [--seed 1]

Replaces the activities already there. The shape is the steady state of a busy sales team:
* every open deal has one planned next step (a call, meeting or task) due from 10 days ago to 30 days
  ahead, assigned to the deal's owner; most have a reminder, those in the past already sent;
* the rest are done touches over the last three years: about 70 % on deals (with the deal's company
  and first contact), 30 % on contacts without a deal; calls carry an outcome and a direction;
* one key account (the company with the most deals) and one deal are "heavy" cards with thousands of
  activities each, so the timeline is measured where it is hardest;
* deals have `first_touch_at` from their first contact activity; untouched old leads are marked as
  already escalated, as the sweep would have left them, except those of the last hours.
"""

from __future__ import annotations

import argparse
import datetime
import random
import sys
import time
from array import array
from collections.abc import Iterator
from typing import Any

from bench import setup_django

CHUNK = 50_000
HEAVY_COMPANY_ACTIVITIES = 20_000
HEAVY_DEAL_ACTIVITIES = 5_000
SUBJECTS = {
    "call": ["Call about the offer", "Follow-up call", "Clarify the order", "Discuss delivery terms"],
    "meeting": ["Meeting at the client's office", "Product demo", "Contract negotiation"],
    "letter": ["Letter with the contract", "Sent the price list by post"],
    "email": ["Sent the commercial offer", "Answered the questions", "Invoice sent"],
    "task": ["Prepare the offer", "Check the payment", "Send samples", "Update the contract"],
    "note": ["Client asked for a discount", "Decision after the board meeting", "Prefers email"],
}
# (kind, weight) of done touches
DONE_KINDS = [("call", 40), ("email", 20), ("meeting", 10), ("letter", 5), ("task", 10), ("note", 15)]
PLANNED_KINDS = [("call", 60), ("meeting", 20), ("task", 20)]


class Progress:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def say(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.started:7.1f}s] {message}", flush=True)


def weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    total = sum(weight for _, weight in choices)
    pick = rng.uniform(0, total)
    for value, weight in choices:
        pick -= weight
        if pick <= 0:
            return value
    return choices[-1][0]


def generate(count: int, seed: int) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from bench.generate import Writer
    from tandem.activities.models import Activity, ActivityType, Attachment, Outcome
    from tandem.contacts.models import Contact
    from tandem.core.models import WorkSchedule
    from tandem.deals.models import Deal, DealContact, Stage

    progress = Progress()
    progress.say("migrate")
    call_command("migrate", interactive=False, verbosity=0)
    if not Deal.objects.exists():
        sys.exit("No deals here: run `python -m bench.generate ... --deals 500000` first.")
    writer = Writer()
    rng = random.Random(seed)
    now = datetime.datetime.now(tz=datetime.UTC).replace(microsecond=0)
    table = Activity._meta.db_table
    progress.say(f"database: {connection.vendor} {connection.settings_dict['NAME']}; clearing activities")
    if writer.postgres:
        writer.execute(f"TRUNCATE {Attachment._meta.db_table}, {table} RESTART IDENTITY")
    else:
        writer.execute(f"DELETE FROM {Attachment._meta.db_table}")
        writer.execute(f"DELETE FROM {table}")
    WorkSchedule.current()

    types = {row.kind: row.pk for row in ActivityType.objects.exclude(kind="other")}
    outcomes = list(Outcome.objects.values_list("id", flat=True))

    progress.say("reading deals and contacts")
    open_stages = set(Stage.objects.filter(kind=Stage.Kind.OPEN).values_list("id", flat=True))
    first_contact: dict[int, int] = dict(
        DealContact.objects.order_by("deal_id", "id").values_list("deal_id", "contact_id").distinct()
    )
    deal_ids = array("q")
    deal_owner = array("q")
    deal_company = array("q")
    deal_created: list[datetime.datetime] = []
    open_deals: list[int] = []
    for index, (pk, owner, company, stage, created) in enumerate(
        Deal.objects.filter(deleted_at__isnull=True)
        .order_by("id")
        .values_list("id", "owner_id", "company_id", "stage_id", "created_at")
        .iterator(chunk_size=20_000)
    ):
        deal_ids.append(pk)
        deal_owner.append(owner)
        deal_company.append(company or 0)
        deal_created.append(created)
        if stage in open_stages:
            open_deals.append(index)
    contact_ids = array("q")
    contact_owner = array("q")
    contact_company = array("q")
    for pk, owner, company in (
        Contact.objects.filter(deleted_at__isnull=True)
        .order_by("id")
        .values_list("id", "owner_id", "company_id")
        .iterator(chunk_size=50_000)
    ):
        contact_ids.append(pk)
        contact_owner.append(owner)
        contact_company.append(company or 0)
    heavy_company = (
        Deal.objects.filter(company__isnull=False)
        .values("company_id")
        .order_by()
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("company_id", flat=True)
        .first()
    )
    heavy_deal_index = open_deals[0] if open_deals else 0
    progress.say(
        f"{len(deal_ids):,} deals ({len(open_deals):,} open), {len(contact_ids):,} contacts; "
        f"heavy company {heavy_company}, heavy deal {deal_ids[heavy_deal_index]}"
    )

    columns = [
        "type_id",
        "subject",
        "description",
        "deal_id",
        "contact_id",
        "company_id",
        "author_id",
        "assignee_id",
        "due_at",
        "duration_minutes",
        "done_at",
        "direction",
        "outcome_id",
        "remind_at",
        "reminded_at",
        "escalated_at",
        "delegated",
        "occurred_at",
        "created_at",
        "updated_at",
        "deleted_at",
    ]
    ts = writer.timestamp
    missed_after = datetime.timedelta(minutes=WorkSchedule.current().missed_call_minutes)

    def row(
        kind: str,
        deal: int | None,
        contact: int | None,
        company: int | None,
        assignee: int,
        due: datetime.datetime | None,
        done: datetime.datetime | None,
    ) -> tuple[Any, ...]:
        remind = reminded = escalated = None
        if done is None and due is not None:
            if rng.random() < 0.6:
                remind = due - datetime.timedelta(minutes=15)
                reminded = remind if remind < now - datetime.timedelta(minutes=10) else None
            if kind == "call" and due < now - missed_after - datetime.timedelta(minutes=10):
                escalated = due + missed_after
        is_call = kind == "call"
        occurred = done or due
        return (
            types[kind],
            rng.choice(SUBJECTS[kind]),
            "",
            deal,
            contact,
            company,
            assignee,
            assignee,
            ts(due),
            rng.choice((5, 10, 15, 30)) if is_call else (60 if kind == "meeting" else None),
            ts(done),
            rng.choice(("in", "out", "out")) if is_call and done else "",
            rng.choice(outcomes) if is_call and done and outcomes else None,
            ts(remind),
            ts(reminded),
            ts(escalated),
            False,
            ts(occurred),
            ts((done or due) - datetime.timedelta(days=1) if (done or due) else now),
            ts(occurred),
            None,
        )

    def planned() -> Iterator[tuple[Any, ...]]:
        for index in open_deals:
            company = deal_company[index] or None
            due = now + datetime.timedelta(minutes=rng.randint(-10 * 24 * 60, 30 * 24 * 60))
            due = due.replace(minute=due.minute // 15 * 15, second=0)
            yield row(
                weighted(rng, PLANNED_KINDS),
                deal_ids[index],
                first_contact.get(deal_ids[index]),
                company,
                deal_owner[index],
                due,
                None,
            )

    three_years = 3 * 365 * 24 * 3600

    def done_moment() -> datetime.datetime:
        # More recent activity than old: a triangular distribution towards now.
        return now - datetime.timedelta(seconds=int(rng.triangular(60, three_years, 60)))

    def done(total: int) -> Iterator[tuple[Any, ...]]:
        for number in range(total):
            kind = weighted(rng, DONE_KINDS)
            if number < HEAVY_COMPANY_ACTIVITIES and heavy_company:
                index = rng.randrange(len(deal_ids))
                yield row(kind, None, None, heavy_company, deal_owner[index], None, done_moment())
            elif number < HEAVY_COMPANY_ACTIVITIES + HEAVY_DEAL_ACTIVITIES:
                index = heavy_deal_index
                deal = deal_ids[index]
                yield row(
                    kind,
                    deal,
                    first_contact.get(deal),
                    deal_company[index] or None,
                    deal_owner[index],
                    None,
                    done_moment(),
                )
            elif rng.random() < 0.7:
                index = rng.randrange(len(deal_ids))
                deal = deal_ids[index]
                moment = max(done_moment(), deal_created[index])
                yield row(
                    kind,
                    deal,
                    first_contact.get(deal),
                    deal_company[index] or None,
                    deal_owner[index],
                    None,
                    moment,
                )
            else:
                index = rng.randrange(len(contact_ids))
                yield row(
                    kind,
                    None,
                    contact_ids[index],
                    contact_company[index] or None,
                    contact_owner[index],
                    None,
                    done_moment(),
                )

    indexes = writer.secondary_indexes([table])
    progress.say(f"dropping {len(indexes)} secondary indexes for the load")
    for name, _statement in indexes:
        writer.execute(f'DROP INDEX "{name}"')
    writer.execute(
        "SET session_replication_role = replica" if writer.postgres else "PRAGMA foreign_keys = OFF"
    )
    total_done = max(0, count - len(open_deals))
    written = 0
    for source in (planned(), done(total_done)):
        batch: list[tuple[Any, ...]] = []
        for item in source:
            batch.append(item)
            if len(batch) >= CHUNK:
                with connection.cursor():
                    writer.write(table, columns, batch)
                written += len(batch)
                batch = []
                if written % 500_000 < CHUNK:
                    progress.say(f"activities: {written:,}")
        if batch:
            writer.write(table, columns, batch)
            written += len(batch)
    if not connection.get_autocommit():
        connection.commit()
    progress.say(f"activities: {written:,} written; recreating indexes")
    for name, statement in indexes:
        progress.say(f"  {name}")
        writer.execute(statement)
    writer.execute(
        "SET session_replication_role = DEFAULT" if writer.postgres else "PRAGMA foreign_keys = ON"
    )

    deals_state(writer, progress, now)
    # Written past the services: the activity report's rollup is recounted from the rows.
    from tandem.analytics.rollups import activity_rollups_analyze, activity_rollups_rebuild

    progress.say(f"rollups: {activity_rollups_rebuild():,} activity days")
    activity_rollups_analyze()
    progress.say("done")


def deals_state(writer: Any, progress: Progress, now: datetime.datetime) -> None:
    """What the services keep on deals, derived in bulk from the generated activities."""
    from django.db import connection

    from tandem.activities.models import Activity, ActivityType
    from tandem.deals.models import Deal

    table = Activity._meta.db_table
    ts = writer.timestamp
    progress.say("deals: first contact, mirrored next step, escalation state")
    deal_table = Deal._meta.db_table
    contact_types = ", ".join(
        str(pk) for pk in ActivityType.objects.filter(counts_as_contact=True).values_list("id", flat=True)
    )
    if writer.postgres:
        # One grouped pass; a correlated subquery per deal takes many minutes here.
        writer.execute(
            f"UPDATE {deal_table} d SET first_touch_at = t.first FROM (SELECT deal_id, MIN(done_at) AS first "
            f"FROM {table} WHERE done_at IS NOT NULL AND deal_id IS NOT NULL "
            f"AND type_id IN ({contact_types}) GROUP BY deal_id) t WHERE t.deal_id = d.id"
        )
    else:
        writer.execute(
            f"UPDATE {deal_table} SET first_touch_at = (SELECT MIN(a.done_at) FROM {table} a "
            f"WHERE a.deal_id = {deal_table}.id AND a.done_at IS NOT NULL AND a.type_id IN ({contact_types}))"
        )
    if writer.postgres:
        writer.execute(
            f"UPDATE {deal_table} d SET next_step = a.subject, "
            f"next_step_date = (a.due_at AT TIME ZONE 'UTC')::date "
            f"FROM {table} a WHERE a.deal_id = d.id AND a.done_at IS NULL"
        )
    else:
        writer.execute(
            f"UPDATE {deal_table} SET (next_step, next_step_date) = "
            f"(SELECT a.subject, date(a.due_at) FROM {table} a "
            f"WHERE a.deal_id = {deal_table}.id AND a.done_at IS NULL ORDER BY a.due_at LIMIT 1) "
            f"WHERE id IN (SELECT deal_id FROM {table} WHERE done_at IS NULL AND deal_id IS NOT NULL)"
        )
    recent = now - datetime.timedelta(hours=6)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {deal_table} SET lead_escalation = 2 WHERE first_touch_at IS NULL AND created_at < %s",
            [ts(recent)],
        )
    if writer.postgres:
        progress.say("VACUUM ANALYZE")
        writer.execute(f"VACUUM ANALYZE {table}")
        writer.execute(f"VACUUM ANALYZE {deal_table}")
    else:
        progress.say("ANALYZE")
        writer.execute(f"ANALYZE {table}")
        writer.execute(f"ANALYZE {deal_table}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate_activities", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--activities", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--deals-state-only",
        action="store_true",
        help="only re-derive the deals' next step and first contact",
    )
    args = parser.parse_args(argv)
    if args.activities < 1:
        parser.error("--activities must be positive")
    setup_django()
    started = time.perf_counter()
    if args.deals_state_only:
        from bench.generate import Writer

        deals_state(Writer(), Progress(), datetime.datetime.now(tz=datetime.UTC).replace(microsecond=0))
    else:
        generate(args.activities, args.seed)
    print(f"generation took {time.perf_counter() - started:.0f}s", flush=True)


if __name__ == "__main__":
    main()
