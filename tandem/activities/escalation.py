"""The periodic rules of the sales process: reminders, untouched new leads, missed callbacks, stuck
deals and the daily digest.

Contract of every rule (callers: `tandem.activities.tasks`, the bench, tests):
* idempotent: each occurrence is notified at most once — a marker on the row (`reminded_at`,
  `escalated_at`, `Deal.lead_escalation`) plus the notification's unique `(recipient, key)`; running a
  rule twice sends nothing new, also when two consumers run it at the same time (each row is
  re-checked under a row lock before it is handled);
* index-driven: candidates come from the partial indexes made for them (`activity_remind_idx`,
  `activity_overdue_idx`, `deal_untouched_idx`), bounded in time and in count (`BATCH` per run; the
  next run picks up the rest), never a scan of the whole table;
* recorded: every notice sent writes a history event NOTIFIED on the activity or deal (shown on its
  card), in the same transaction as the marker.
Each rule takes `now` (default: the current time) so the clock can be controlled.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Model, Q, QuerySet
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tandem.accounts.models import Team, User
from tandem.accounts.roles import Role
from tandem.activities.models import Activity, ActivityType
from tandem.core.models import WorkSchedule
from tandem.core.workhours import WorkCalendar, add_working_time, work_calendar
from tandem.deals.models import Deal, Pipeline, Stage, StageChange
from tandem.deals.selectors import stuck_q
from tandem.history.models import Event
from tandem.history.services import event_record
from tandem.notifications.digest import digest_send, moment_text, recipient_locale, user_zone
from tandem.notifications.models import Notification
from tandem.notifications.services import notify

# Rows handled per rule and run; a backlog drains over the next runs (every minute).
BATCH = 500
# Candidates looked at per run for untouched leads (some are not yet due in working time).
LEAD_CANDIDATES = 2000
# How far back the rules look. Older occurrences (the worker was down for longer) are not announced
# any more: the digest still lists what is overdue and stuck.
LEAD_LOOKBACK = datetime.timedelta(days=30)
MISSED_CALL_LOOKBACK = datetime.timedelta(days=7)
STUCK_LOOKBACK = datetime.timedelta(days=2)

Message = Callable[[User], tuple[str, str]]


@dataclass
class SweepCounts:
    """How many notices each rule sent in one sweep."""

    reminders: int = 0
    leads_untouched: int = 0
    leads_escalated: int = 0
    calls_missed: int = 0
    deals_stuck: int = 0
    digests: int = 0

    @property
    def total(self) -> int:
        return (
            self.reminders
            + self.leads_untouched
            + self.leads_escalated
            + self.calls_missed
            + self.deals_stuck
            + self.digests
        )


class HeadsOfSales:
    """Who hears about a user's missed calls and untouched leads: the head of the user's team, or —
    when the team has none, the head is deactivated or is the user themselves — every active admin
    (except the user). Admins are read once per sweep."""

    def __init__(self) -> None:
        self._admins: list[User] | None = None

    def of(self, user: User) -> list[User]:
        team = user.team
        head = team.head if team is not None else None
        if head is not None and head.is_active and head.pk != user.pk:
            return [head]
        if self._admins is None:
            self._admins = list(User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk"))
        return [admin for admin in self._admins if admin.pk != user.pk]


def _open_activities() -> QuerySet[Activity]:
    return Activity.objects.filter(done_at__isnull=True, deleted_at__isnull=True)


def _send(*, recipients: Sequence[User], kind: str, key: str, url: str, message: Message) -> list[User]:
    """Notify each recipient once (title and body in their language); returns who was notified now."""
    notified = []
    for recipient in recipients:
        with recipient_locale(recipient):
            title, body = message(recipient)
        if notify(recipient=recipient, kind=kind, key=key, title=title, body=body, url=url) is not None:
            notified.append(recipient)
    return notified


def _record(*, target: Model, parent: Model | None, kind: str, recipients: Sequence[User]) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        label = str(Notification.Kind(kind).label)
    event_record(
        actor=None,
        action=Event.Action.NOTIFIED,
        target=target,
        parent=parent,
        changes=[
            {"field": "notification", "old": None, "new": label, "kind": kind},
            {"field": "recipients", "old": None, "new": [str(user) for user in recipients]},
        ],
    )


def _card(activity: Activity) -> Model | None:
    return activity.deal or activity.contact or activity.company


def _hours_text(hours: Decimal) -> str:
    """2, 2.5 or 0.25 in the current language's notation (no trailing zeros)."""
    return number_format(Decimal(hours).normalize())


def _plural_number(hours: Decimal) -> int:
    value = Decimal(hours)
    return int(value) if value == value.to_integral_value() else 2


# --- 1. reminders ----------------------------------------------------------------------------------


def reminders_send(*, now: datetime.datetime | None = None, limit: int = BATCH) -> int:
    """Remind assignees of open activities whose reminder time has come (`remind_at <= now`), once per
    reminder time: `reminded_at` is set, and a rescheduled activity (services reset it) reminds again."""
    now = now or timezone.now()
    ids = list(reminder_candidates(now).values_list("pk", flat=True)[:limit])
    return sum(_remind(pk, now) for pk in ids)


def reminder_candidates(now: datetime.datetime) -> QuerySet[Activity]:
    """Open activities whose reminder is due and not sent, oldest first (`activity_remind_idx`)."""
    return _open_activities().filter(remind_at__lte=now, reminded_at__isnull=True).order_by("remind_at")


@transaction.atomic
def _remind(pk: int, now: datetime.datetime) -> int:
    still_due = _open_activities().filter(pk=pk, remind_at__lte=now, reminded_at__isnull=True)
    if still_due.select_for_update().values_list("pk").first() is None:
        return 0
    activity = Activity.objects.select_related("type", "assignee", "deal", "contact", "company").get(pk=pk)
    assert activity.remind_at is not None
    card = _card(activity)

    def message(user: User) -> tuple[str, str]:
        lines = [_("Due %(due)s") % {"due": moment_text(activity.due_at)}] if activity.due_at else []
        if card is not None:
            lines.append(_("About: %(record)s") % {"record": card})
        return _("Reminder: %(subject)s") % {"subject": activity.subject}, "\n".join(lines)

    notified = _send(
        recipients=[activity.assignee],
        kind=Notification.Kind.REMINDER,
        key=f"reminder:{pk}:{int(activity.remind_at.timestamp())}",
        url=f"/activities/{pk}/",
        message=message,
    )
    Activity.objects.filter(pk=pk).update(reminded_at=now)
    if notified:
        _record(target=activity, parent=card, kind=Notification.Kind.REMINDER, recipients=notified)
    return len(notified)


# --- 2. untouched new leads ------------------------------------------------------------------------


@dataclass(frozen=True)
class LeadRule:
    pipeline_id: int
    stage_id: int  # the pipeline's first open stage: where new leads wait
    sla_hours: Decimal
    escalate_hours: Decimal

    def level(self, created_at: datetime.datetime, now: datetime.datetime, calendar: WorkCalendar) -> int:
        """0, 1 (the SLA is exceeded) or 2 (the escalation threshold is exceeded), in working time."""
        if add_working_time(created_at, self.escalate_hours, calendar) < now:
            return 2
        if add_working_time(created_at, self.sla_hours, calendar) < now:
            return 1
        return 0


def lead_rules() -> list[LeadRule]:
    """One rule per active pipeline that has an open stage (two queries)."""
    first_stage: dict[int, int] = {}
    for pipeline_id, stage_id in (
        Stage.objects.filter(kind=Stage.Kind.OPEN, is_archived=False)
        .order_by("pipeline_id", "position", "id")
        .values_list("pipeline_id", "id")
    ):
        first_stage.setdefault(pipeline_id, stage_id)
    return [
        LeadRule(pipeline.pk, first_stage[pipeline.pk], pipeline.lead_sla_hours, pipeline.lead_escalate_hours)
        for pipeline in Pipeline.objects.filter(is_active=True).order_by("pk")
        if pipeline.pk in first_stage
    ]


def untouched_leads_escalate(
    *,
    now: datetime.datetime | None = None,
    calendar: WorkCalendar | None = None,
    heads: HeadsOfSales | None = None,
    limit: int = BATCH,
) -> tuple[int, int]:
    """New leads nobody has contacted: deals in their pipeline's first open stage with no contact
    activity (`first_touch_at` empty) whose working time since creation exceeds the pipeline's
    `lead_sla_hours` → the owner is told (LEAD_UNTOUCHED, `lead_escalation` 1); beyond
    `lead_escalate_hours` → the head of sales is told (LEAD_ESCALATED, `lead_escalation` 2).

    Candidates come from `deal_untouched_idx` with a wall-clock prefilter (working time never runs
    faster than the wall clock) and are checked in working time in Python. Returns (untouched, escalated).
    """
    now = now or timezone.now()
    calendar = calendar or work_calendar(today=now.date())
    heads = heads or HeadsOfSales()
    rules = {rule.stage_id: rule for rule in lead_rules()}
    if not rules or not calendar.working_days:
        return 0, 0
    candidates = untouched_lead_candidates(now, list(rules.values())).values_list(
        "pk", "stage_id", "created_at", "lead_escalation"
    )[:LEAD_CANDIDATES]
    untouched = escalated = handled = 0
    for pk, stage_id, created_at, level in candidates:
        rule = rules[stage_id]
        wanted = rule.level(created_at, now, calendar)
        if wanted <= level:
            continue
        owner_told, head_told = _escalate_lead(pk, rule, wanted, heads)
        untouched += owner_told
        escalated += head_told
        handled += 1
        if handled >= limit:
            break
    return untouched, escalated


def untouched_lead_candidates(now: datetime.datetime, rules: list[LeadRule]) -> QuerySet[Deal]:
    """Never-contacted, not fully escalated deals waiting in a first stage for longer (wall clock) than
    the pipeline's first threshold, within `LEAD_LOOKBACK`, oldest first (`deal_untouched_idx`)."""
    waited = Q(pk__in=[])
    latest = now - LEAD_LOOKBACK
    for rule in rules:
        created_before = now - datetime.timedelta(hours=float(min(rule.sla_hours, rule.escalate_hours)))
        waited |= Q(stage_key=rule.stage_id, created_at__lt=created_before)
        latest = max(latest, created_before)
    return (
        Deal.objects.filter(
            first_touch_at__isnull=True,
            lead_escalation__lt=2,
            deleted_at__isnull=True,
            created_at__gte=now - LEAD_LOOKBACK,
            created_at__lt=latest,
        )
        # `stage_id + 0`: a filter, not an index choice — the first stage's index holds every deal that
        # ever stayed there, the untouched index only the recent never-contacted ones.
        .alias(stage_key=F("stage_id") + 0)
        .filter(waited)
        .order_by("created_at")
    )


@transaction.atomic
def _escalate_lead(pk: int, rule: LeadRule, wanted: int, heads: HeadsOfSales) -> tuple[int, int]:
    still_due = Deal.objects.filter(
        pk=pk,
        stage_id=rule.stage_id,
        first_touch_at__isnull=True,
        deleted_at__isnull=True,
        lead_escalation__lt=wanted,
    )
    if still_due.select_for_update().values_list("pk").first() is None:
        return 0, 0
    deal = Deal.objects.select_related("owner__team__head", "company").get(pk=pk)
    owner = deal.owner
    url = f"/deals/{pk}/"
    owner_told = head_told = 0
    if deal.lead_escalation < 1:

        def to_owner(user: User) -> tuple[str, str]:
            body = ngettext(
                "The lead came in %(created)s and nobody has contacted the client "
                "within %(hours)s working hour.",
                "The lead came in %(created)s and nobody has contacted the client "
                "within %(hours)s working hours.",
                _plural_number(rule.sla_hours),
            ) % {"created": moment_text(deal.created_at), "hours": _hours_text(rule.sla_hours)}
            return _("New lead still untouched: %(deal)s") % {"deal": deal.title}, body

        told = _send(
            recipients=[owner],
            kind=Notification.Kind.LEAD_UNTOUCHED,
            key=f"lead-untouched:{pk}",
            url=url,
            message=to_owner,
        )
        if told:
            _record(target=deal, parent=deal.company, kind=Notification.Kind.LEAD_UNTOUCHED, recipients=told)
            owner_told = 1
    if wanted >= 2:

        def to_head(user: User) -> tuple[str, str]:
            body = ngettext(
                "The lead came in %(created)s; %(owner)s has not contacted the client "
                "within %(hours)s working hour.",
                "The lead came in %(created)s; %(owner)s has not contacted the client "
                "within %(hours)s working hours.",
                _plural_number(rule.escalate_hours),
            ) % {
                "owner": owner,
                "hours": _hours_text(rule.escalate_hours),
                "created": moment_text(deal.created_at),
            }
            return _("Lead left untouched: %(deal)s (%(owner)s)") % {"deal": deal.title, "owner": owner}, body

        told = _send(
            recipients=heads.of(owner),
            kind=Notification.Kind.LEAD_ESCALATED,
            key=f"lead-escalated:{pk}",
            url=url,
            message=to_head,
        )
        if told:
            _record(target=deal, parent=deal.company, kind=Notification.Kind.LEAD_ESCALATED, recipients=told)
            head_told = 1
    Deal.objects.filter(pk=pk).update(lead_escalation=wanted)
    return owner_told, head_told


# --- 3. missed callbacks ---------------------------------------------------------------------------


def missed_calls_escalate(
    *,
    now: datetime.datetime | None = None,
    schedule: WorkSchedule | None = None,
    heads: HeadsOfSales | None = None,
    limit: int = BATCH,
) -> int:
    """Planned calls overdue by more than `WorkSchedule.missed_call_minutes` → the head of sales of the
    assignee is told (CALL_MISSED) and `escalated_at` is set. Rescheduling a call clears
    `escalated_at` (activity services), so a call missed again escalates again (the key names the
    due time)."""
    now = now or timezone.now()
    schedule = schedule or WorkSchedule.current()
    heads = heads or HeadsOfSales()
    call_types = list(ActivityType.objects.filter(kind=ActivityType.Kind.CALL).values_list("pk", flat=True))
    if not call_types:
        return 0
    cutoff = now - datetime.timedelta(minutes=schedule.missed_call_minutes)
    ids = list(missed_call_candidates(cutoff, call_types).values_list("pk", flat=True)[:limit])
    return sum(_escalate_call(pk, cutoff, call_types, now, heads) for pk in ids)


def missed_call_candidates(cutoff: datetime.datetime, call_types: list[int]) -> QuerySet[Activity]:
    """Open, not yet escalated calls due before `cutoff` (within `MISSED_CALL_LOOKBACK` of it), oldest
    first (`activity_overdue_idx`)."""
    return (
        _open_activities()
        # `type_id + 0`: a filter, not an index choice — without statistics SQLite would rather walk
        # the type index (a sixth of the table) than the small range of the overdue index.
        .alias(type_key=F("type_id") + 0)
        .filter(
            escalated_at__isnull=True,
            due_at__lt=cutoff,
            due_at__gte=cutoff - MISSED_CALL_LOOKBACK,
            type_key__in=call_types,
        )
        .order_by("due_at")
    )


@transaction.atomic
def _escalate_call(
    pk: int, cutoff: datetime.datetime, call_types: list[int], now: datetime.datetime, heads: HeadsOfSales
) -> int:
    still_missed = _open_activities().filter(
        pk=pk, escalated_at__isnull=True, due_at__lt=cutoff, type_id__in=call_types
    )
    if still_missed.select_for_update().values_list("pk").first() is None:
        return 0
    activity = Activity.objects.select_related(
        "type", "assignee__team__head", "deal", "contact", "company"
    ).get(pk=pk)
    due_at = activity.due_at
    assert due_at is not None
    assignee = activity.assignee
    card = _card(activity)

    def message(user: User) -> tuple[str, str]:
        title = _("Missed call: %(subject)s (%(user)s)") % {"subject": activity.subject, "user": assignee}
        lines = [
            _("%(user)s planned this call for %(due)s and has not marked it done.")
            % {"user": assignee, "due": moment_text(due_at)}
        ]
        if card is not None:
            lines.append(_("About: %(record)s") % {"record": card})
        return title, "\n".join(lines)

    notified = _send(
        recipients=heads.of(assignee),
        kind=Notification.Kind.CALL_MISSED,
        key=f"call-missed:{pk}:{int(due_at.timestamp())}",
        url=f"/activities/{pk}/",
        message=message,
    )
    Activity.objects.filter(pk=pk).update(escalated_at=now)
    if notified:
        _record(target=activity, parent=card, kind=Notification.Kind.CALL_MISSED, recipients=notified)
    return 1 if notified else 0


# --- 4. stuck deals --------------------------------------------------------------------------------


def stuck_deals_notify(*, now: datetime.datetime | None = None, limit: int = BATCH) -> int:
    """Tell owners about deals that became stuck (longer in an open stage than its `max_days`, as
    `deals.selectors.stuck_q`) within the last `STUCK_LOOKBACK`: DEAL_STUCK once per deal and stage
    entry (the key names `stage_entered_at`). Every stuck deal is also listed in the daily digest."""
    now = now or timezone.now()
    deals = list(stuck_deal_candidates(now).values_list("pk", "owner_id", "stage_entered_at")[:limit])
    keys = {pk: f"deal-stuck:{pk}:{int(entered.timestamp())}" for pk, _owner, entered in deals}
    sent_before = set(
        Notification.objects.filter(
            recipient_id__in={owner for _pk, owner, _entered in deals}, key__in=keys.values()
        ).values_list("recipient_id", "key")
    )
    return sum(
        _notify_stuck(pk, keys[pk]) for pk, owner, _entered in deals if (owner, keys[pk]) not in sent_before
    )


def stuck_deal_candidates(now: datetime.datetime) -> QuerySet[Deal]:
    """Live deals whose stay in an open stage passed its `max_days` within `STUCK_LOOKBACK` of `now`.

    Found through the stage entries (`stagechange_to_idx`: every entry into a stage is a StageChange
    row written with the deal's `stage_entered_at`), then checked on the deal: still in that stage,
    since then. Deals has no index on the time of entry, and needs none for this."""
    entered = Q(pk__in=[])
    stuck = Q(pk__in=[])
    slack = datetime.timedelta(minutes=1)  # a new deal's entry row is written microseconds later
    stages = Stage.objects.filter(kind=Stage.Kind.OPEN, max_days__isnull=False).order_by()
    for stage_id, max_days in stages.values_list("id", "max_days"):
        limit_at = now - datetime.timedelta(days=max_days or 0)
        earliest = limit_at - STUCK_LOOKBACK
        entered |= Q(to_stage_id=stage_id, changed_at__gte=earliest - slack, changed_at__lt=limit_at + slack)
        stuck |= Q(stage_id=stage_id, stage_entered_at__gte=earliest, stage_entered_at__lt=limit_at)
    return (
        Deal.objects.filter(pk__in=StageChange.objects.filter(entered).values("deal_id"))
        .filter(stuck, deleted_at__isnull=True)
        .order_by("stage_entered_at", "id")
    )


@transaction.atomic
def _notify_stuck(pk: int, key: str) -> int:
    deal = Deal.objects.select_related("stage", "owner", "company").get(pk=pk)
    if deal.deleted_at is not None or deal.stage.max_days is None:
        return 0
    max_days = deal.stage.max_days

    def message(user: User) -> tuple[str, str]:
        body = ngettext(
            "The deal has been in this stage since %(since)s, longer than the %(days)s day allowed.",
            "The deal has been in this stage since %(since)s, longer than the %(days)s days allowed.",
            max_days,
        ) % {"since": moment_text(deal.stage_entered_at), "days": max_days}
        return _("Deal stuck in “%(stage)s”: %(deal)s") % {"stage": deal.stage.name, "deal": deal.title}, body

    notified = _send(
        recipients=[deal.owner],
        kind=Notification.Kind.DEAL_STUCK,
        key=key,
        url=f"/deals/{pk}/",
        message=message,
    )
    if notified:
        _record(target=deal, parent=deal.company, kind=Notification.Kind.DEAL_STUCK, recipients=notified)
    return len(notified)


# --- 5. the daily digest ---------------------------------------------------------------------------


def digests_send(
    *,
    now: datetime.datetime | None = None,
    schedule: WorkSchedule | None = None,
    calendar: WorkCalendar | None = None,
) -> int:
    """Send the daily digest to every active user whose local time (their own time zone) is in the
    `WorkSchedule.digest_hour` hour of a working day, once per local date. Users with nothing planned,
    overdue or stuck get none. Two queries when nobody is due; a few per digest otherwise."""
    now = now or timezone.now()
    schedule = schedule or WorkSchedule.current()
    calendar = calendar or work_calendar(schedule=schedule, today=now.date())
    due: list[tuple[User, str]] = []
    for user in User.objects.filter(is_active=True).order_by("pk"):
        local = now.astimezone(user_zone(user))
        if local.hour == schedule.digest_hour and calendar.is_working_day(local.date()):
            due.append((user, f"digest:{local.date():%Y-%m-%d}"))
    if not due:
        return 0
    sent_before = set(
        Notification.objects.filter(
            recipient_id__in=[user.pk for user, _key in due], key__in={key for _user, key in due}
        ).values_list("recipient_id", "key")
    )
    due = [(user, key) for user, key in due if (user.pk, key) not in sent_before]
    if not due:
        return 0
    head_ids = set(Team.objects.filter(head__isnull=False).values_list("head_id", flat=True))
    stuck = stuck_q(now)
    sent = 0
    for user, _key in due:
        with transaction.atomic():
            if digest_send(user=user, now=now, stuck_condition=stuck, is_head=user.pk in head_ids):
                sent += 1
    return sent


# --- all of them -----------------------------------------------------------------------------------


def escalation_sweep(*, now: datetime.datetime | None = None) -> SweepCounts:
    """Run every rule once at `now`; what the periodic tasks do, in one call (bench, tests, support)."""
    now = now or timezone.now()
    schedule = WorkSchedule.current()
    calendar = work_calendar(schedule=schedule, today=now.date())
    heads = HeadsOfSales()
    counts = SweepCounts()
    counts.reminders = reminders_send(now=now)
    counts.leads_untouched, counts.leads_escalated = untouched_leads_escalate(
        now=now, calendar=calendar, heads=heads
    )
    counts.calls_missed = missed_calls_escalate(now=now, schedule=schedule, heads=heads)
    counts.deals_stuck = stuck_deals_notify(now=now)
    counts.digests = digests_send(now=now, schedule=schedule, calendar=calendar)
    return counts
