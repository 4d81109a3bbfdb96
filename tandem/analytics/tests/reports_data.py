"""Hand-built report data: deals with explicit stage paths and times, straight through the ORM."""

from __future__ import annotations

import datetime
from decimal import Decimal

from tandem.accounts.models import User
from tandem.activities.models import Activity, ActivityType
from tandem.analytics.rollups import activity_rollup_apply, activity_rollup_key
from tandem.analytics.stage_rollups import stage_rollup_update
from tandem.deals.models import Currency, Deal, Pipeline, Stage, StageChange

UTC = datetime.UTC


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=UTC)


def pipeline() -> Pipeline:
    return Pipeline.objects.order_by("position", "id").first()  # type: ignore[return-value]


def stages(pipe: Pipeline | None = None) -> dict[str, Stage]:
    """The seeded "New clients" stages: new, qualified, meeting, offer, negotiation, won, lost."""
    names = ["new", "qualified", "meeting", "offer", "negotiation", "won", "lost"]
    ordered = list(Stage.objects.filter(pipeline=pipe or pipeline()).order_by("position", "id"))
    return dict(zip(names, ordered, strict=True))


def make_deal(
    owner: User,
    path: list[tuple[Stage, datetime.datetime]],
    *,
    amount: str | None = None,
    currency: str = "EUR",
    actor: User | None = None,
    title: str = "Deal",
    **fields: object,
) -> Deal:
    """A deal that went through `path` (stage, when), with its stage changes; created at the first step."""
    money = Decimal(amount) if amount is not None else None
    rate = Currency.objects.get(pk=currency).rate
    last_stage, last_time = path[-1]
    deal = Deal.objects.create(
        title=title,
        pipeline_id=last_stage.pipeline_id,
        stage=last_stage,
        owner=owner,
        currency_id=currency,
        amount=money,
        amount_base=(money * rate).quantize(Decimal("0.01")) if money is not None else None,
        created_at=path[0][1],
        updated_at=last_time,
        stage_entered_at=last_time,
        taken_at=path[0][1],
        won_at=last_time if last_stage.kind == Stage.Kind.WON else None,
        lost_at=last_time if last_stage.kind == Stage.Kind.LOST else None,
        **fields,
    )
    previous: tuple[Stage, datetime.datetime] | None = None
    for stage, moment in path:
        StageChange.objects.create(
            deal=deal,
            from_stage=previous[0] if previous else None,
            to_stage=stage,
            changed_at=moment,
            actor=actor if previous else None,
            seconds_in_previous=int((moment - previous[1]).total_seconds()) if previous else None,
        )
        previous = (stage, moment)
    # Written past the services: derive the flags and keep the funnel's rollups as they would.
    stage_rollup_update([deal.pk])
    return deal


def activity(
    assignee: User,
    kind: str,
    *,
    done_at: datetime.datetime | None = None,
    due_at: datetime.datetime | None = None,
    **links: object,
) -> Activity:
    activity_type = ActivityType.objects.filter(kind=kind).order_by("position", "id").first()
    created = Activity.objects.create(
        type=activity_type,
        subject=f"{kind} {assignee}",
        assignee=assignee,
        author=assignee,
        done_at=done_at,
        due_at=due_at,
        occurred_at=done_at or due_at,
        **links,
    )
    # Written past the services: keep the activity report's rollup as they would.
    activity_rollup_apply(None, activity_rollup_key(created))
    return created
