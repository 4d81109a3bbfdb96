"""Writes on activities. Each keeps the linked deal's "next step" and "first contact" up to date in
the same transaction, and tells an assignee when a colleague gives them something to do."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tandem.accounts.models import User
from tandem.accounts.visibility import can
from tandem.activities.models import Activity, ActivityType, Outcome
from tandem.activities.selectors import activity_can_change
from tandem.analytics.rollups import activity_rollup_apply, activity_rollup_key
from tandem.contacts.models import Company, Contact
from tandem.core.errors import PermissionDenied, ValidationError
from tandem.core.events import event_emit
from tandem.deals.models import Deal
from tandem.history.models import Event
from tandem.history.services import diff, event_record, snapshot

ACTIVITY_FIELDS = [
    "type",
    "subject",
    "description",
    "deal",
    "contact",
    "company",
    "assignee",
    "due_at",
    "duration_minutes",
    "done_at",
    "direction",
    "outcome",
    "remind_at",
]


def _check_links(actor: User | None, activity: Activity, unchanged: tuple[str, ...] = ()) -> None:
    """Links must point at live records the actor can see; the company is filled in from the others.

    Links named in `unchanged` were there before the edit and are not checked again: the assignee of a
    task on a colleague's deal may reschedule it without seeing the deal."""
    errors: dict[str, str] = {}
    for name in ("deal", "contact", "company"):
        record = getattr(activity, name)
        if record is None or name in unchanged:
            continue
        if record.is_deleted or (actor is not None and not can(actor, "view", record)):
            errors[name] = _("Choose a record you can see.")
    if errors:
        raise ValidationError(errors, code="invalid_link")
    if activity.deal is None and activity.contact is None and activity.company is None:
        raise ValidationError(
            {"deal": _("Link the activity to a deal, a contact or a company.")}, code="not_linked"
        )
    if activity.company is None:
        activity.company = (activity.contact.company if activity.contact else None) or (
            activity.deal.company if activity.deal else None
        )
        if activity.company is not None and activity.company.is_deleted:
            activity.company = None


def _derived_company_id(activity: Activity) -> int | None:
    """The company `_check_links` fills in from the activity's contact or deal."""
    contact_company = activity.contact.company_id if activity.contact else None
    return contact_company or (activity.deal.company_id if activity.deal else None)


def _check_assignee(actor: User | None, assignee: User) -> None:
    """Anyone who may add activities may give one to any active colleague (a task, a callback)."""
    if actor is None or assignee.pk == actor.pk:
        return
    if not assignee.is_active:
        raise ValidationError({"assignee": _("This user is deactivated.")}, code="inactive_assignee")
    if not assignee.has_perm("activities.change_activity"):
        raise ValidationError(
            {"assignee": _("%(user)s cannot work on activities (read-only role).") % {"user": assignee}},
            code="assignee_read_only",
        )


def _clean(activity: Activity) -> None:
    if activity.done_at is None and activity.due_at is None:
        raise ValidationError({"due_at": _("Set when it is due, or mark it done.")}, code="no_time")
    # Logged, edited or marked done: never in the future (a few minutes allowed for clock skew).
    if activity.done_at is not None and activity.done_at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError({"done_at": _("An activity cannot be done in the future.")}, code="future_done")
    if activity.remind_at is not None and activity.done_at is not None:
        activity.remind_at = None
    activity.occurred_at = activity.done_at or activity.due_at  # type: ignore[assignment]
    activity.delegated = activity.author_id is not None and activity.author_id != activity.assignee_id
    try:
        activity.full_clean(exclude=["deal", "contact", "company", "assignee", "author", "type", "outcome"])
    except DjangoValidationError as error:
        raise ValidationError(error.message_dict, code="invalid") from error
    if not activity.subject.strip():
        raise ValidationError({"subject": _("This field is required.")}, code="required")


def deal_next_step_refresh(deal: Deal) -> None:
    """Mirror the deal's soonest open activity into its next step (empty when nothing is planned)."""
    upcoming = (
        Activity.objects.filter(deal=deal, done_at__isnull=True, deleted_at__isnull=True)
        .order_by("due_at", "id")
        .values_list("subject", "due_at")
        .first()
    )
    subject, due = upcoming if upcoming else ("", None)
    # The instance's day, not the editing user's: everyone sees the same next-step date.
    next_date = timezone.localdate(due, timezone.get_default_timezone()) if due else None
    if (deal.next_step, deal.next_step_date) != (subject[:255], next_date):
        Deal.objects.filter(pk=deal.pk).update(next_step=subject[:255], next_step_date=next_date)
        deal.next_step, deal.next_step_date = subject[:255], next_date


def _touch(activity: Activity) -> None:
    """A done contact activity on a deal ends its untouched-lead clock."""
    if activity.deal_id and activity.done_at and activity.type.counts_as_contact:
        Deal.objects.filter(pk=activity.deal_id, first_touch_at__isnull=True).update(
            first_touch_at=activity.done_at
        )


def _after_change(activity: Activity) -> None:
    _touch(activity)
    if activity.deal is not None:
        deal_next_step_refresh(activity.deal)


def _notify_assignee(actor: User | None, activity: Activity) -> None:
    if actor is None or activity.assignee_id == actor.pk or activity.done_at is not None:
        return
    from tandem.notifications.models import Notification
    from tandem.notifications.services import notify

    # The title is stored once: write it in the language of the one who reads it.
    with translation.override(activity.assignee.language or settings.LANGUAGE_CODE):
        title = _("%(user)s gave you: %(subject)s") % {"user": actor, "subject": activity.subject}
    notify(
        recipient=activity.assignee,
        kind=Notification.Kind.TASK_ASSIGNED,
        key=f"assigned:{activity.pk}:{activity.assignee_id}",
        title=title,
        body=activity.description,
        url=f"/activities/{activity.pk}/",
        actor=actor,
    )


def _notify_mentioned(actor: User | None, activity: Activity) -> None:
    """@mentions in the description notify those colleagues (once per activity and person), whichever
    door the write came through; the result stays on the object for the caller to report."""
    from tandem.activities.mentions import activity_mentions_notify

    activity.mentions = activity_mentions_notify(actor=actor, activity=activity)  # type: ignore[attr-defined]


def _require_add(actor: User | None) -> None:
    if actor is not None and not actor.has_perm("activities.add_activity"):
        raise PermissionDenied(_("You are not allowed to add activities."))


@transaction.atomic
def activity_create(
    *,
    actor: User | None,
    type: ActivityType,
    subject: str,
    assignee: User | None = None,
    deal: Deal | None = None,
    contact: Contact | None = None,
    company: Company | None = None,
    description: str = "",
    due_at: datetime.datetime | None = None,
    duration_minutes: int | None = None,
    done_at: datetime.datetime | None = None,
    direction: str = "",
    outcome: Outcome | None = None,
    remind_at: datetime.datetime | None = None,
) -> Activity:
    """Log a done activity (`done_at`) or plan one (`due_at`), linked to records the actor can see."""
    _require_add(actor)
    assignee = assignee or actor
    if assignee is None:
        raise ValidationError({"assignee": _("This field is required.")}, code="required")
    _check_assignee(actor, assignee)
    now = timezone.now()
    activity = Activity(
        type=type,
        subject=subject.strip(),
        description=description,
        deal=deal,
        contact=contact,
        company=company,
        author=actor,
        assignee=assignee,
        due_at=due_at,
        duration_minutes=duration_minutes,
        done_at=done_at,
        direction=direction,
        outcome=outcome,
        remind_at=remind_at,
        created_at=now,
        updated_at=now,
    )
    _check_links(actor, activity)
    _clean(activity)
    activity.save()
    activity_rollup_apply(None, activity_rollup_key(activity))
    _after_change(activity)
    _notify_assignee(actor, activity)
    _notify_mentioned(actor, activity)
    event_emit("activity.created", activity, actor=actor)
    return activity


def _locked(activity: Activity) -> Activity:
    # Lock the row alone, then read it with its relations: PostgreSQL refuses FOR UPDATE on the
    # nullable side of an outer join (deal, contact, company, outcome), and would lock those rows too.
    Activity.objects.select_for_update().filter(pk=activity.pk).values_list("pk").get()
    related = ("type", "deal", "contact", "company", "assignee", "outcome")
    return Activity.objects.select_related(*related).get(pk=activity.pk)


def _require_change(actor: User | None, activity: Activity) -> None:
    if actor is not None and not activity_can_change(actor, activity):
        raise PermissionDenied(_("You are not allowed to change this activity."))


@transaction.atomic
def activity_update(*, actor: User | None, activity: Activity, data: dict[str, Any]) -> Activity:
    """Change the given fields; a new due time re-arms the reminder and the missed-call check."""
    activity = _locked(activity)
    _require_change(actor, activity)
    unknown = set(data) - set(ACTIVITY_FIELDS)
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be changed.") for name in unknown}, code="read_only"
        )
    before = snapshot(activity, ACTIVITY_FIELDS)
    counted_before = activity_rollup_key(activity)
    old_deal = activity.deal
    old_assignee_id = activity.assignee_id
    old_due, old_remind = activity.due_at, activity.remind_at
    old_links = {name: getattr(activity, f"{name}_id") for name in ("deal", "contact", "company")}
    derived_company_id = _derived_company_id(activity)
    for name, value in data.items():
        if isinstance(value, datetime.datetime) and value == getattr(activity, name):
            continue  # the same instant written in another time zone is no change
        setattr(activity, name, value.strip() if name == "subject" and isinstance(value, str) else value)
    if activity.assignee_id != old_assignee_id:
        _check_assignee(actor, activity.assignee)
    if activity.due_at != old_due:
        if "remind_at" not in data and activity.remind_at and activity.due_at and old_due:
            activity.remind_at = activity.remind_at + (activity.due_at - old_due)
        activity.escalated_at = None
    if activity.due_at != old_due or activity.remind_at != old_remind:
        activity.reminded_at = None
    moved = any(
        getattr(activity, f"{name}_id") not in (None, old_links[name]) for name in ("deal", "contact")
    )
    if (
        moved
        and derived_company_id is not None
        and activity.company_id == old_links["company"] == derived_company_id
    ):
        activity.company = None  # it came from the old deal or contact: fill it in from the new ones
    unchanged = tuple(name for name, pk in old_links.items() if getattr(activity, f"{name}_id") == pk)
    _check_links(actor, activity, unchanged)
    _clean(activity)
    activity.updated_at = timezone.now()
    activity.save()
    activity_rollup_apply(counted_before, activity_rollup_key(activity))
    changes = diff(before, snapshot(activity, ACTIVITY_FIELDS))
    if changes:
        event_record(actor=actor, action=Event.Action.UPDATED, target=activity, changes=changes)
    _after_change(activity)
    if old_deal is not None and old_deal.pk != activity.deal_id:
        deal_next_step_refresh(old_deal)
    if activity.assignee_id != old_assignee_id:
        _notify_assignee(actor, activity)
    _notify_mentioned(actor, activity)
    return activity


@transaction.atomic
def activity_done(
    *,
    actor: User | None,
    activity: Activity,
    done_at: datetime.datetime | None = None,
    outcome: Outcome | None = None,
    note: str = "",
    duration_minutes: int | None = None,
) -> Activity:
    """Mark a planned activity done (now, unless `done_at`), with its outcome and what was said."""
    activity = _locked(activity)
    _require_change(actor, activity)
    if activity.done_at is not None:
        return activity
    counted_before = activity_rollup_key(activity)
    done_at = done_at or timezone.now()
    if done_at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError({"done_at": _("An activity cannot be done in the future.")}, code="future_done")
    activity.done_at = done_at
    activity.outcome = outcome or activity.outcome
    if duration_minutes is not None:
        activity.duration_minutes = duration_minutes
    if note.strip():
        activity.description = f"{activity.description}\n\n{note.strip()}".strip()
    activity.remind_at = None
    _clean(activity)
    activity.updated_at = timezone.now()
    activity.save()
    activity_rollup_apply(counted_before, activity_rollup_key(activity))
    event_record(
        actor=actor,
        action=Event.Action.UPDATED,
        target=activity,
        changes=[{"field": "done_at", "old": None, "new": done_at.isoformat()}],
    )
    event_emit("activity.done", activity, actor=actor)
    _after_change(activity)
    _notify_mentioned(actor, activity)
    return activity


@transaction.atomic
def activity_trash(*, actor: User | None, activity: Activity) -> Activity:
    """Move to the trash (once): roles that may delete, with change rights over the activity."""
    activity = _locked(activity)
    if actor is not None and not actor.has_perm("activities.delete_activity"):
        raise PermissionDenied(_("You are not allowed to delete this activity."))
    _require_change(actor, activity)
    if activity.deleted_at is not None:
        return activity
    counted_before = activity_rollup_key(activity)
    activity.deleted_at = timezone.now()
    activity.save(update_fields=["deleted_at"])
    activity_rollup_apply(counted_before, None)
    event_record(actor=actor, action=Event.Action.DELETED, target=activity)
    if activity.deal is not None:
        deal_next_step_refresh(activity.deal)
    return activity


def activity_type_save(
    *, actor: User | None, activity_type: ActivityType | None, data: dict[str, Any]
) -> ActivityType:
    """Create or change an activity type (admins only). Built-in types keep their kind."""
    if actor is not None and not actor.has_perm("activities.change_activitytype"):
        raise PermissionDenied(_("Only administrators can change the sales process settings."))
    activity_type = activity_type or ActivityType()
    for name in ("name", "icon", "counts_as_contact", "is_active", "position"):
        if name in data:
            setattr(activity_type, name, data[name])
    try:
        activity_type.full_clean()
    except DjangoValidationError as error:
        raise ValidationError(error.message_dict, code="invalid") from error
    activity_type.save()
    return activity_type
