"""Working-time arithmetic: SLA clocks that stop at night, at weekends and on holidays.

Pure functions over a `WorkCalendar` value (no database), plus `work_calendar()` that loads the
instance's calendar from `WorkSchedule` and `Holiday`.

Every moment is an aware datetime. A working day is the interval [day_starts, day_ends) of a local
date that is a working weekday and not a holiday; its length is measured in real elapsed time, so a
daylight-saving change inside working hours makes that day an hour shorter or longer. A local time
that does not exist on a spring-forward day is read as if the clock had not yet changed (PEP 495,
fold=0); one that exists twice on a fall-back day is its first occurrence.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tandem.core.models import WorkSchedule

UTC = datetime.UTC
ONE_DAY = datetime.timedelta(days=1)
# A deadline further than this many calendar days away is a configuration error, not a deadline.
MAX_DAYS = 366 * 30
# Holidays the loader reads around today: enough for any real SLA and the untouched-lead look-back.
HOLIDAY_WINDOW = datetime.timedelta(days=366)

Amount = datetime.timedelta | Decimal | int | float


class NoWorkingTime(ValueError):
    """The calendar has no working time at all (no working day), so no deadline can be reached."""


@dataclass(frozen=True)
class WorkCalendar:
    """When the instance works: a time zone, working weekdays (0=Monday … 6=Sunday), the working day's
    start and end (local wall-clock times, start < end) and the non-working dates."""

    time_zone: zoneinfo.ZoneInfo
    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    day_starts: datetime.time = datetime.time(9, 0)
    day_ends: datetime.time = datetime.time(18, 0)
    holidays: frozenset[datetime.date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not self.day_starts < self.day_ends:
            raise ValueError("the working day must start before it ends")
        if not set(self.working_days) <= set(range(7)):
            raise ValueError("working days are weekday numbers 0 (Monday) to 6 (Sunday)")

    @classmethod
    def build(
        cls,
        time_zone: str | zoneinfo.ZoneInfo,
        working_days: Iterable[int] = (0, 1, 2, 3, 4),
        day_starts: datetime.time = datetime.time(9, 0),
        day_ends: datetime.time = datetime.time(18, 0),
        holidays: Iterable[datetime.date] = (),
    ) -> WorkCalendar:
        zone = time_zone if isinstance(time_zone, zoneinfo.ZoneInfo) else zoneinfo.ZoneInfo(time_zone)
        return cls(zone, frozenset(working_days), day_starts, day_ends, frozenset(holidays))

    def local_date(self, moment: datetime.datetime) -> datetime.date:
        return moment.astimezone(self.time_zone).date()

    def is_working_day(self, day: datetime.date) -> bool:
        return day.weekday() in self.working_days and day not in self.holidays

    def working_hours(self, day: datetime.date) -> tuple[datetime.datetime, datetime.datetime] | None:
        """The working interval of a local date in UTC, or None on a day off."""
        if not self.is_working_day(day):
            return None
        opens = datetime.datetime.combine(day, self.day_starts, tzinfo=self.time_zone).astimezone(UTC)
        closes = datetime.datetime.combine(day, self.day_ends, tzinfo=self.time_zone).astimezone(UTC)
        return opens, closes


def _aware(moment: datetime.datetime, name: str) -> datetime.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")
    return moment.astimezone(UTC)


def as_timedelta(amount: Amount) -> datetime.timedelta:
    """A timedelta as is; a number as hours (Decimal hours are exact to the microsecond)."""
    if isinstance(amount, datetime.timedelta):
        return amount
    if isinstance(amount, Decimal):
        return datetime.timedelta(microseconds=int(amount * 3_600_000_000))
    return datetime.timedelta(hours=amount)


def working_time_between(
    start: datetime.datetime, end: datetime.datetime, calendar: WorkCalendar
) -> datetime.timedelta:
    """Working time in [start, end); zero when `end` is not after `start`."""
    start, end = _aware(start, "start"), _aware(end, "end")
    total = datetime.timedelta(0)
    if end <= start:
        return total
    day, last = calendar.local_date(start), calendar.local_date(end)
    while day <= last:
        hours = calendar.working_hours(day)
        if hours is not None:
            opens, closes = max(hours[0], start), min(hours[1], end)
            if closes > opens:
                total += closes - opens
        day += ONE_DAY
    return total


def working_seconds_between(
    start: datetime.datetime, end: datetime.datetime, calendar: WorkCalendar
) -> float:
    """Working seconds in [start, end); zero when `end` is not after `start`."""
    return working_time_between(start, end, calendar).total_seconds()


def add_working_time(start: datetime.datetime, amount: Amount, calendar: WorkCalendar) -> datetime.datetime:
    """The deadline: the earliest moment by which `amount` of working time has passed since `start`.

    `amount` is a timedelta or a number of hours. The result is in UTC. A deadline that uses up a
    working day exactly is that day's end (Friday 17:00 + 1 h is Friday 18:00, not Monday 09:00);
    zero working time is `start` itself. Raises ValueError for a negative amount and `NoWorkingTime`
    when the calendar has no working day.
    """
    start = _aware(start, "start")
    remaining = as_timedelta(amount)
    if remaining < datetime.timedelta(0):
        raise ValueError("the amount of working time cannot be negative")
    if not remaining:
        return start
    if not calendar.working_days:
        raise NoWorkingTime("the calendar has no working days")
    day = calendar.local_date(start)
    for _ in range(MAX_DAYS):
        hours = calendar.working_hours(day)
        if hours is not None:
            opens, closes = max(hours[0], start), hours[1]
            if closes > opens:
                available = closes - opens
                if remaining <= available:
                    return opens + remaining
                remaining -= available
        day += ONE_DAY
    raise NoWorkingTime(f"no deadline within {MAX_DAYS} days")


def work_calendar(
    *, schedule: WorkSchedule | None = None, today: datetime.date | None = None
) -> WorkCalendar:
    """The instance's calendar: `schedule` (default `WorkSchedule.current()`) and the holidays within
    a year of `today` (default: today in the calendar's time zone). Two queries, one with `schedule`.

    A time zone that no longer exists falls back to the instance default (settings.TIME_ZONE); unknown
    weekday numbers are ignored.
    """
    from django.conf import settings
    from django.utils import timezone

    from tandem.core.models import Holiday, WorkSchedule

    schedule = schedule or WorkSchedule.current()
    try:
        zone = zoneinfo.ZoneInfo(schedule.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    today = today or timezone.now().astimezone(zone).date()
    holidays = Holiday.objects.filter(
        date__gte=today - HOLIDAY_WINDOW, date__lte=today + HOLIDAY_WINDOW
    ).values_list("date", flat=True)
    days = set()
    for value in schedule.working_days or []:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if 0 <= number <= 6:
            days.add(number)
    return WorkCalendar(
        time_zone=zone,
        working_days=frozenset(days),
        day_starts=schedule.day_starts,
        day_ends=schedule.day_ends,
        holidays=frozenset(holidays),
    )
