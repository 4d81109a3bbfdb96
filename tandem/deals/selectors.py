"""Reads of deals, the board and the sales-process configuration, scoped to what the user may see."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from tandem.accounts.models import User
from tandem.accounts.visibility import get_visible, scope_q
from tandem.contacts.models import Contact
from tandem.deals.models import Deal, DealContact, DealLine, Pipeline, Stage

DEAL_SORTS = {
    "-updated": ["-updated_at", "-id"],
    "-created": ["-created_at", "-id"],
    "created": ["created_at", "id"],
    "title": ["title", "id"],
}
BOARD_COLUMN_SIZE = 30


@dataclass
class DealFilters:
    """The same narrowing for the board, the deal list, the API and exports."""

    pipeline: int | None = None
    stage: int | None = None
    owner: int | None = None
    team: int | None = None
    channel: int | None = None
    product: int | None = None
    company: int | None = None
    contact: int | None = None
    close_from: datetime.date | None = None
    close_to: datetime.date | None = None
    search: str = ""
    status: str = ""  # "", "open", "won", "lost", "untaken", "stuck", "no_next_step"
    trashed: bool = False
    extra: dict[str, object] = field(default_factory=dict)


def deal_list(*, actor: User, filters: DealFilters | None = None) -> QuerySet[Deal]:
    """Deals the actor may see, narrowed by `filters`; unordered (the caller paginates)."""
    filters = filters or DealFilters()
    queryset = Deal.objects.filter(scope_q(actor, Deal, "view"), deleted_at__isnull=not filters.trashed)
    if filters.pipeline:
        queryset = queryset.filter(pipeline_id=filters.pipeline)
    if filters.stage:
        queryset = queryset.filter(stage_id=filters.stage)
    if filters.owner:
        queryset = queryset.filter(owner_id=filters.owner)
    if filters.team:
        queryset = queryset.filter(owner_id__in=User.objects.filter(team_id=filters.team).values("id"))
    if filters.channel:
        queryset = queryset.filter(channel_id=filters.channel)
    if filters.product:
        queryset = queryset.filter(
            pk__in=DealLine.objects.filter(product_id=filters.product).values("deal_id")
        )
    if filters.company:
        queryset = queryset.filter(company_id=filters.company)
    if filters.contact:
        queryset = queryset.filter(
            pk__in=DealContact.objects.filter(contact_id=filters.contact).values("deal_id")
        )
    if filters.close_from:
        queryset = queryset.filter(expected_close_date__gte=filters.close_from)
    if filters.close_to:
        queryset = queryset.filter(expected_close_date__lte=filters.close_to)
    if filters.search.strip():
        queryset = queryset.filter(title__icontains=filters.search.strip()[:100])
    queryset = _status(queryset, filters.status)
    return queryset.select_related("owner", "company", "stage", "currency", "pipeline")


def _status(queryset: QuerySet[Deal], status: str) -> QuerySet[Deal]:
    if status == "open":
        return queryset.filter(stage__kind=Stage.Kind.OPEN)
    if status == "won":
        return queryset.filter(stage__kind=Stage.Kind.WON)
    if status == "lost":
        return queryset.filter(stage__kind=Stage.Kind.LOST)
    if status == "untaken":
        return queryset.filter(taken_at__isnull=True)
    if status == "stuck":
        return queryset.filter(stuck_q())
    if status == "no_next_step":
        return queryset.filter(stage__kind=Stage.Kind.OPEN, next_step_date__isnull=True)
    return queryset


def stuck_q(now: datetime.datetime | None = None) -> Q:
    """Open deals that have stayed longer in their stage than the stage allows."""
    now = now or timezone.now()
    stuck_stages = Stage.objects.filter(kind=Stage.Kind.OPEN, max_days__isnull=False)
    condition = Q(pk__in=[])
    for stage_id, max_days in stuck_stages.values_list("id", "max_days"):
        condition |= Q(stage_id=stage_id, stage_entered_at__lt=now - datetime.timedelta(days=max_days or 0))
    return condition


def deal_get_for_user(*, user: User, pk: object, for_write: bool = False, trashed: bool = False) -> Deal:
    """The deal if `user` may see it (404 otherwise); PermissionDenied if `for_write` and read-only."""
    return get_visible(Deal.objects.all(), user=user, pk=pk, for_write=for_write, trashed=trashed)


def deal_card(*, user: User, pk: object) -> Deal:
    """A deal with everything its card shows, in a constant number of queries."""
    related = Deal.objects.select_related(
        "owner", "company", "stage", "pipeline", "currency", "channel", "lost_reason"
    ).prefetch_related(
        Prefetch("lines", queryset=DealLine.objects.select_related("product")),
        Prefetch("deal_contacts", queryset=DealContact.objects.select_related("contact")),
        Prefetch("stage_changes", queryset=_stage_history()),
    )
    return get_visible(related, user=user, pk=pk)


def _stage_history() -> QuerySet:
    from tandem.deals.models import StageChange

    return StageChange.objects.select_related("from_stage", "to_stage", "actor").order_by(
        "-changed_at", "-id"
    )


def visible_contacts(*, user: User, deal: Deal) -> list[DealContact]:
    """The deal's contacts the viewer may open (others are named but not linked)."""
    links = list(deal.deal_contacts.all())
    visible = set(
        Contact.objects.filter(
            scope_q(user, Contact, "view"), pk__in=[link.contact_id for link in links]
        ).values_list("pk", flat=True)
    )
    for link in links:
        link.visible = link.contact_id in visible  # type: ignore[attr-defined]
    return links


def pipelines_active() -> QuerySet[Pipeline]:
    return Pipeline.objects.filter(is_active=True).order_by("position", "id")


def stages_of(pipeline: Pipeline, *, include_archived: bool = False) -> list[Stage]:
    stages = pipeline.stages.all()
    if not include_archived:
        stages = stages.filter(is_archived=False)
    return list(stages.order_by("position", "id"))


@dataclass
class BoardColumn:
    stage: Stage
    count: int
    total: Decimal
    weighted: Decimal
    deals: list[Deal]
    has_more: bool


def board(
    *, actor: User, pipeline: Pipeline, filters: DealFilters | None = None, size: int = BOARD_COLUMN_SIZE
) -> list[BoardColumn]:
    """The kanban board: per open stage the count, sum and probability-weighted sum (base currency),
    and the first `size` cards, newest activity first. Queries: one aggregate plus one per column."""
    filters = replace(filters or DealFilters(), pipeline=pipeline.pk)  # the caller's stay as they were
    deals = deal_list(actor=actor, filters=filters)
    stages = [stage for stage in stages_of(pipeline) if stage.kind == Stage.Kind.OPEN]
    totals = {
        row["stage_id"]: row
        # Only the open columns: won and lost deals pile up over the years and are never shown here.
        for row in deals.filter(stage_id__in=[stage.pk for stage in stages])
        .order_by()
        .values("stage_id")
        .annotate(count=Count("id"), total=Coalesce(Sum("amount_base"), Value(Decimal("0"))))
    }
    columns = []
    for stage in stages:
        row = totals.get(stage.pk, {"count": 0, "total": Decimal("0")})
        cards = (
            list(deals.filter(stage_id=stage.pk).order_by("-updated_at", "-id")[: size + 1])
            if row["count"]
            else []
        )
        total = Decimal(row["total"])
        columns.append(
            BoardColumn(
                stage=stage,
                count=int(row["count"]),
                total=total,
                weighted=(total * Decimal(stage.probability) / Decimal(100)).quantize(Decimal("0.01")),
                deals=cards[:size],
                has_more=len(cards) > size,
            )
        )
    return columns


def board_column_page(
    *, actor: User, stage: Stage, filters: DealFilters | None, before: tuple[datetime.datetime, int] | None
) -> tuple[list[Deal], bool]:
    """More cards of one column (infinite scroll): the ones after (`updated_at`, `id`) `before`."""
    filters = replace(filters or DealFilters(), pipeline=stage.pipeline_id, stage=stage.pk)
    queryset = deal_list(actor=actor, filters=filters).order_by("-updated_at", "-id")
    if before is not None:
        moment, last_id = before
        queryset = queryset.filter(Q(updated_at__lt=moment) | Q(updated_at=moment, id__lt=last_id))
    cards = list(queryset[: BOARD_COLUMN_SIZE + 1])
    return cards[:BOARD_COLUMN_SIZE], len(cards) > BOARD_COLUMN_SIZE


def is_stuck(deal: Deal, now: datetime.datetime | None = None) -> bool:
    now = now or timezone.now()
    stage = deal.stage
    return bool(
        stage.kind == Stage.Kind.OPEN
        and stage.max_days is not None
        and deal.stage_entered_at < now - datetime.timedelta(days=stage.max_days)
    )
