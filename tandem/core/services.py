"""Writes on the instance-wide working calendar: the schedule SLA clocks count in, and its holidays.
Administrators only (`actor=None` is the system)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tandem.accounts.models import User
from tandem.core.errors import PermissionDenied, ValidationError
from tandem.core.models import Holiday, WorkSchedule

SCHEDULE_FIELDS = {
    "time_zone",
    "working_days",
    "day_starts",
    "day_ends",
    "missed_call_minutes",
    "digest_hour",
}


def _require(actor: User | None, permission: str) -> None:
    if actor is not None and not actor.has_perm(permission):
        raise PermissionDenied(_("Only administrators can change the working schedule."))


def _full_clean(instance: Any) -> None:
    try:
        instance.full_clean()
    except DjangoValidationError as error:
        raise ValidationError(error.message_dict, code="invalid") from error


@transaction.atomic
def work_schedule_update(*, actor: User | None, data: dict[str, Any]) -> WorkSchedule:
    """Change the working schedule; the SLA clocks use it from their next run."""
    _require(actor, "core.change_workschedule")
    unknown = set(data) - SCHEDULE_FIELDS
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)}, code="unknown_field")
    schedule = WorkSchedule.current()
    schedule = WorkSchedule.objects.select_for_update().get(pk=schedule.pk)
    for name, value in data.items():
        setattr(schedule, name, value)
    days = schedule.working_days
    if not isinstance(days, list) or not days or any(day not in range(7) for day in days):
        raise ValidationError({"working_days": _("Choose at least one working day.")}, code="no_working_days")
    schedule.working_days = sorted(set(days))
    if schedule.day_starts >= schedule.day_ends:
        raise ValidationError(
            {"day_ends": _("The working day must end after it starts.")}, code="workday_order"
        )
    _full_clean(schedule)
    schedule.save()
    return schedule


@transaction.atomic
def holiday_add(*, actor: User | None, date: datetime.date, name: str = "") -> Holiday:
    """Mark a date as non-working (public holiday, company day off)."""
    _require(actor, "core.add_holiday")
    if Holiday.objects.filter(date=date).exists():
        raise ValidationError({"date": _("This date is already a holiday.")}, code="duplicate_date")
    holiday = Holiday(date=date, name=" ".join(name.split()))
    _full_clean(holiday)
    holiday.save()
    return holiday


@transaction.atomic
def holiday_remove(*, actor: User | None, holiday: Holiday) -> None:
    """Make the date a normal day again."""
    _require(actor, "core.delete_holiday")
    holiday.delete()
