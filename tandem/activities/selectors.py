"""Reads of activities, scoped to what the acting user may see.

An activity is visible to its author, and to whoever's scope covers its assignee (own / team / all,
like the owner of a deal). On a card the user may already see, every activity of that card shows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, Q, QuerySet, prefetch_related_objects
from django.http import Http404
from django.utils import timezone

from tandem.accounts.models import User
from tandem.accounts.visibility import Scope, can, scope_for, scope_parts, scope_q
from tandem.activities.models import Activity, ActivityType, Outcome
from tandem.contacts.models import Company, Contact
from tandem.core.errors import PermissionDenied
from tandem.deals.models import Deal
from tandem.history.models import Event
from tandem.history.selectors import event_list_for_card

CARD_FIELDS = {Deal: "deal", Contact: "contact", Company: "company"}


def activity_scope_q(user: User, action: str = "view") -> Q:
    """Activities `user` may `action`: by scope over the assignee, plus those the user wrote."""
    scope = scope_q(user, Activity, action, owner="assignee")
    if not scope:
        return scope  # Q() is "all": OR-ing it with anything would narrow it to the other side
    return scope | Q(author_id=user.pk)


LINKS = ("deal", "contact", "company")


def activity_scope_parts(user: User) -> list[Q]:
    """Disjoint pieces of `activity_scope_q` for keyset pages ([] = one piece): by assignee, then
    written by the user for someone outside their scope."""
    parts = scope_parts(user, Activity, "view", owner="assignee")
    if not parts:
        return [] if scope_for(user, Activity, "view") is Scope.ALL else [Q(author_id=user.pk)]
    # Written by the user for someone else: the small `activity_delegated_idx` is walked (rows also in
    # the first part are merged away by the page's `pk IN`).
    return [parts[0], Q(author_id=user.pk, delegated=True)]


def _related(queryset: QuerySet[Activity]) -> QuerySet[Activity]:
    # Joining all seven made PostgreSQL spend ~10 ms planning each query (the rows take 0.3 ms);
    # the linked records come in three small `IN` queries instead.
    return _joined(queryset).prefetch_related(*LINKS)


def _joined(queryset: QuerySet[Activity]) -> QuerySet[Activity]:
    return queryset.select_related("type", "outcome", "assignee", "author")


@dataclass
class ActivityFilters:
    assignee: int | None = None
    type: int | None = None
    deal: int | None = None
    contact: int | None = None
    company: int | None = None
    status: str = ""  # "", "planned", "done", "overdue"
    due_from: datetime.datetime | None = None
    due_to: datetime.datetime | None = None


def activity_list(*, actor: User, filters: ActivityFilters | None = None) -> QuerySet[Activity]:
    """Activities the actor may see, narrowed by `filters`; unordered (the caller paginates)."""
    filters = filters or ActivityFilters()
    queryset = Activity.objects.filter(activity_scope_q(actor), deleted_at__isnull=True)
    for name in ("assignee", "type", "deal", "contact", "company"):
        value = getattr(filters, name)
        if value:
            queryset = queryset.filter(**{f"{name}_id": value})
    if filters.status == "planned":
        queryset = queryset.filter(done_at__isnull=True)
    elif filters.status == "done":
        queryset = queryset.filter(done_at__isnull=False)
    elif filters.status == "overdue":
        queryset = queryset.filter(done_at__isnull=True, due_at__lt=timezone.now())
    if filters.due_from:
        queryset = queryset.filter(due_at__gte=filters.due_from)
    if filters.due_to:
        queryset = queryset.filter(due_at__lt=filters.due_to)
    return _related(queryset)


def _linked_visible(user: User, activity: Activity) -> bool:
    return any(
        record is not None and not record.is_deleted and can(user, "view", record)
        for record in (activity.deal, activity.contact, activity.company)
    )


def activity_get_for_user(*, user: User, pk: object, for_write: bool = False) -> Activity:
    """The activity if `user` may see it (in scope, or on a card they can see); 404 otherwise.

    PermissionDenied if `for_write` and the user may not change it."""
    try:
        activity = _related(Activity.objects.filter(deleted_at__isnull=True)).get(pk=int(str(pk)))
    except (Activity.DoesNotExist, ValueError, TypeError) as error:
        raise Http404 from error
    in_scope = Activity.objects.filter(activity_scope_q(user), pk=activity.pk).exists()
    if not in_scope and not _linked_visible(user, activity):
        raise Http404
    if for_write and not activity_can_change(user, activity):
        raise PermissionDenied("read only")
    return activity


def activity_can_change(user: User, activity: Activity) -> bool:
    """Authors and assignees change their activities; others by their change scope over the assignee."""
    if not user.is_active or not user.has_perm("activities.change_activity"):
        return False
    if user.pk in (activity.author_id, activity.assignee_id):
        return True
    return Activity.objects.filter(
        scope_q(user, Activity, "change", owner="assignee"), pk=activity.pk
    ).exists()


def activities_changeable_ids(*, user: User, activities: list[Activity]) -> set[int]:
    """Which of these fetched activities `user` may change (the rule of `activity_can_change`), in at
    most one query instead of one per row."""
    if not activities or not user.is_active or not user.has_perm("activities.change_activity"):
        return set()
    mine = {item.pk for item in activities if user.pk in (item.author_id, item.assignee_id)}
    scope = scope_for(user, Activity, "change")
    if scope is Scope.ALL:
        return {item.pk for item in activities}
    rest = [item.pk for item in activities if item.pk not in mine]
    if scope is Scope.TEAM and rest:
        in_scope = Activity.objects.filter(scope_q(user, Activity, "change", owner="assignee"), pk__in=rest)
        mine |= set(in_scope.values_list("pk", flat=True))
    return mine


def activities_for_card(
    *,
    record: Model,
    type_id: int | None = None,
    limit: int = 50,
    done_only: bool = False,
    before: datetime.datetime | None = None,
) -> QuerySet[Activity]:
    """The newest activities linked to a card the caller has already authorized (only done ones if
    `done_only`: the card lists the planned ones separately; only older than `before`, if given)."""
    field = CARD_FIELDS[type(record)]
    queryset = Activity.objects.filter(**{f"{field}_id": record.pk}, deleted_at__isnull=True)
    if before is not None:
        queryset = queryset.filter(occurred_at__lt=before)
    if done_only:
        queryset = queryset.filter(done_at__isnull=False)
    if type_id:
        queryset = queryset.filter(type_id=type_id)
    return _related(queryset).prefetch_related("attachments").order_by("-occurred_at", "-id")[:limit]


def planned_for_card(*, record: Model, limit: int = 20) -> list[Activity]:
    """Open (planned) activities of a card, soonest first."""
    field = CARD_FIELDS[type(record)]
    queryset = Activity.objects.filter(
        **{f"{field}_id": record.pk}, done_at__isnull=True, deleted_at__isnull=True
    )
    return list(_related(queryset).order_by("due_at", "id")[:limit])


@dataclass
class TimelineEntry:
    at: datetime.datetime
    activity: Activity | None = None
    event: Event | None = None


def timeline_for_card(
    *,
    record: Model,
    type_id: int | None = None,
    include_history: bool = True,
    limit: int = 50,
    done_only: bool = False,
    before: datetime.datetime | None = None,
) -> list[TimelineEntry]:
    """Activities and history rows of a card together, newest first (at most `limit`, all older than
    `before` when given: the next page starts before the last entry shown)."""
    entries = [
        TimelineEntry(at=item.occurred_at, activity=item)
        for item in activities_for_card(
            record=record, type_id=type_id, limit=limit, done_only=done_only, before=before
        )
    ]
    if include_history:
        entries += [
            TimelineEntry(at=event.occurred_at, event=event)
            for event in event_list_for_card(record=record, limit=limit, before=before)
        ]
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]


@dataclass
class Day:
    overdue: list[Activity]
    today: list[Activity]
    upcoming: list[Activity]


def _local_day_start(now: datetime.datetime) -> datetime.datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def my_day(*, user: User, now: datetime.datetime | None = None, limit: int = 100) -> Day:
    """`user`'s open activities: overdue, due today, due in the next 7 days (each at most `limit`).

    Days are the current time zone's days. The caller authorizes looking at another user's day."""
    now = now or timezone.now()
    today = _local_day_start(now)
    tomorrow = today + datetime.timedelta(days=1)
    week_end = today + datetime.timedelta(days=8)
    base = _joined(Activity.objects.filter(assignee=user, done_at__isnull=True, deleted_at__isnull=True))

    def window(start: datetime.datetime | None, end: datetime.datetime) -> list[Activity]:
        queryset = base.filter(due_at__lt=end)
        if start is not None:
            queryset = queryset.filter(due_at__gte=start)
        return list(queryset.order_by("due_at", "id")[:limit])

    day = Day(overdue=window(None, today), today=window(today, tomorrow), upcoming=window(tomorrow, week_end))
    # The linked records of all three windows in one query each, not three.
    prefetch_related_objects(day.overdue + day.today + day.upcoming, *LINKS)
    return day


def calendar_items(
    *,
    actor: User,
    start: datetime.datetime,
    end: datetime.datetime,
    assignee: User | None = None,
    limit: int = 2000,
) -> list[Activity]:
    """Planned and done activities in [start, end) visible to `actor` (one assignee's, if given)."""
    queryset = Activity.objects.filter(activity_scope_q(actor), deleted_at__isnull=True)
    queryset = queryset.filter(Q(done_at__isnull=True, due_at__gte=start, due_at__lt=end))
    if assignee is not None:
        queryset = queryset.filter(assignee=assignee)
    return list(_related(queryset).order_by("due_at", "id")[:limit])


def day_viewable_users(*, actor: User) -> QuerySet[User]:
    """Whose day and calendar `actor` may open: themselves, plus everyone in their activity scope."""
    from tandem.accounts.visibility import Scope, scope_for, team_ids

    scope = scope_for(actor, Activity, "view")
    if scope is Scope.ALL:
        return User.objects.filter(is_active=True)
    if scope is Scope.TEAM:
        return User.objects.filter(Q(team_id__in=team_ids(actor)) | Q(pk=actor.pk), is_active=True)
    return User.objects.filter(pk=actor.pk)


def activity_types_active() -> QuerySet[ActivityType]:
    return ActivityType.objects.filter(is_active=True).order_by("position", "name")


def outcomes_active() -> QuerySet[Outcome]:
    return Outcome.objects.filter(is_active=True).order_by("position", "name")


def card_of(activity: Activity) -> Any:
    """The card an activity links to first (deal, else contact, else company)."""
    return activity.deal or activity.contact or activity.company
