"""Working-time arithmetic: nights, weekends, holidays, time zones and daylight-saving changes."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

import pytest

from tandem.core.models import Holiday, WorkSchedule
from tandem.core.workhours import (
    NoWorkingTime,
    WorkCalendar,
    add_working_time,
    as_timedelta,
    work_calendar,
    working_seconds_between,
    working_time_between,
)

SOFIA = zoneinfo.ZoneInfo("Europe/Sofia")
UTC = datetime.UTC
HOUR = 3600


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, zone=SOFIA) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=zone)


# 2025-06-02 is a Monday; 2025-06-06 a Friday.
MON, TUE, WED, THU, FRI, SAT, SUN = (datetime.date(2025, 6, day) for day in range(2, 9))
NEXT_MON = datetime.date(2025, 6, 9)


def calendar(**kwargs) -> WorkCalendar:
    """Monday to Friday, 09:00–18:00, Europe/Sofia, unless told otherwise."""
    return WorkCalendar.build(kwargs.pop("time_zone", "Europe/Sofia"), **kwargs)


def on(day: datetime.date, hour: int, minute: int = 0, zone=SOFIA) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=zone)


# --- within one day --------------------------------------------------------------------------------


def test_working_seconds_within_one_working_day():
    assert working_seconds_between(on(MON, 10), on(MON, 12), calendar()) == 2 * HOUR


def test_working_seconds_count_only_the_working_part_of_a_day():
    assert working_seconds_between(on(MON, 7), on(MON, 20), calendar()) == 9 * HOUR


def test_working_seconds_are_zero_when_end_is_not_after_start():
    assert working_seconds_between(on(MON, 12), on(MON, 10), calendar()) == 0
    assert working_seconds_between(on(MON, 12), on(MON, 12), calendar()) == 0


def test_working_seconds_are_zero_at_night_and_over_a_weekend():
    assert working_seconds_between(on(MON, 18), on(TUE, 9), calendar()) == 0
    assert working_seconds_between(on(FRI, 18), on(NEXT_MON, 9), calendar()) == 0


def test_add_working_time_within_the_day():
    assert add_working_time(on(MON, 10), 2, calendar()) == on(MON, 12)


def test_add_zero_working_time_is_the_start_itself_even_outside_working_hours():
    assert add_working_time(on(SAT, 23), 0, calendar()) == on(SAT, 23)


# --- nights and weekends ---------------------------------------------------------------------------


def test_friday_evening_lead_reaches_two_working_hours_on_monday_morning():
    deadline = add_working_time(on(FRI, 17), 2, calendar())

    assert deadline == on(NEXT_MON, 10)
    assert working_seconds_between(on(FRI, 17), on(NEXT_MON, 10), calendar()) == 2 * HOUR


def test_deadline_that_uses_up_a_day_exactly_is_that_days_end():
    assert add_working_time(on(FRI, 17), 1, calendar()) == on(FRI, 18)


def test_overnight_deadline_continues_next_morning():
    assert add_working_time(on(TUE, 17, 30), 2, calendar()) == on(WED, 10, 30)


def test_start_before_opening_counts_from_opening():
    assert add_working_time(on(MON, 7), 2, calendar()) == on(MON, 11)
    assert working_seconds_between(on(MON, 7), on(MON, 11), calendar()) == 2 * HOUR


def test_start_after_closing_counts_from_next_morning():
    assert add_working_time(on(MON, 20), 1, calendar()) == on(TUE, 10)


def test_start_on_saturday_counts_from_monday():
    assert add_working_time(on(SAT, 11), Decimal("1.5"), calendar()) == on(NEXT_MON, 10, 30)
    assert working_seconds_between(on(SAT, 11), on(NEXT_MON, 10, 30), calendar()) == 1.5 * HOUR


# --- holidays --------------------------------------------------------------------------------------


def test_holiday_in_the_middle_is_skipped():
    work = calendar(holidays=[TUE])

    assert add_working_time(on(MON, 17), 2, work) == on(WED, 10)
    assert working_seconds_between(on(MON, 17), on(WED, 10), work) == 2 * HOUR


def test_holiday_friday_before_a_weekend_pushes_to_monday():
    work = calendar(holidays=[FRI])

    assert add_working_time(on(THU, 17), 2, work) == on(NEXT_MON, 10)


def test_consecutive_holidays_and_a_weekend():
    work = calendar(holidays=[THU, FRI, NEXT_MON])

    assert add_working_time(on(WED, 16), 4, work) == on(datetime.date(2025, 6, 10), 11)
    assert working_seconds_between(on(WED, 16), on(datetime.date(2025, 6, 10), 11), work) == 4 * HOUR


def test_start_on_a_holiday_counts_from_the_next_working_morning():
    work = calendar(holidays=[MON])

    assert add_working_time(on(MON, 10), 1, work) == on(TUE, 10)


# --- multi-day SLAs and other calendars ------------------------------------------------------------


def test_multi_day_sla_spans_whole_working_days():
    # Monday 09:00 + 20 h = 9 h Monday + 9 h Tuesday + 2 h Wednesday.
    assert add_working_time(on(MON, 9), 20, calendar()) == on(WED, 11)


def test_forty_hours_from_monday_afternoon_across_a_weekend_and_a_holiday():
    work = calendar(holidays=[THU])
    # Mon 3 h, Tue 9, Wed 9, (Thu holiday), Fri 9, (weekend), next Mon 9 = 39 h, then Tue 1 h.
    deadline = add_working_time(on(MON, 15), 40, work)

    assert deadline == on(datetime.date(2025, 6, 10), 10)
    assert working_seconds_between(on(MON, 15), deadline, work) == 40 * HOUR


def test_a_week_of_working_time_is_five_working_days():
    assert working_seconds_between(on(MON, 0), on(NEXT_MON, 0), calendar()) == 45 * HOUR


def test_custom_working_week_and_hours():
    # Sunday to Thursday, 08:00–16:30.
    work = calendar(working_days=[6, 0, 1, 2, 3], day_starts=datetime.time(8), day_ends=datetime.time(16, 30))

    assert add_working_time(on(THU, 16), 1, work) == on(SUN, 8, 30)
    assert working_seconds_between(on(THU, 16), on(SUN, 8, 30), work) == HOUR


def test_round_trip_between_deadline_and_working_seconds():
    work = calendar(holidays=[WED])
    starts = [on(day, hour) for day in (MON, TUE, FRI, SAT) for hour in (0, 8, 9, 13, 17, 18, 23)]
    for start in starts:
        for hours in (Decimal("0.25"), 1, 2, 4, 9, 10, 27):
            deadline = add_working_time(start, hours, work)
            assert working_time_between(start, deadline, work) == as_timedelta(hours), (start, hours)
            # The earliest such moment: a minute earlier, less time has passed.
            earlier = deadline - datetime.timedelta(minutes=1)
            assert working_time_between(start, earlier, work) < as_timedelta(hours), (start, hours)


def test_moments_in_other_time_zones_are_the_same_instants():
    start_utc = on(FRI, 17).astimezone(UTC)
    deadline = add_working_time(start_utc, datetime.timedelta(hours=2), calendar())

    assert deadline == on(NEXT_MON, 10)
    assert deadline.tzinfo is UTC


def test_calendar_in_another_time_zone():
    work = calendar(time_zone="America/New_York")
    new_york = zoneinfo.ZoneInfo("America/New_York")

    assert add_working_time(on(FRI, 17, zone=new_york), 2, work) == on(NEXT_MON, 10, zone=new_york)


# --- daylight-saving changes in Europe/Sofia -------------------------------------------------------
# 2025-03-30 (Sunday) 03:00 EET → 04:00 EEST; 2025-10-26 (Sunday) 04:00 EEST → 03:00 EET.


def test_weekend_across_spring_forward_keeps_local_working_hours():
    deadline = add_working_time(at(2025, 3, 28, 17), 2, calendar())

    assert deadline == at(2025, 3, 31, 10)
    assert deadline == datetime.datetime(2025, 3, 31, 7, 0, tzinfo=UTC)  # +03:00 from now on
    assert working_seconds_between(at(2025, 3, 28, 17), at(2025, 3, 31, 10), calendar()) == 2 * HOUR


def test_weekend_across_fall_back_keeps_local_working_hours():
    deadline = add_working_time(at(2025, 10, 24, 17), 2, calendar())

    assert deadline == at(2025, 10, 27, 10)
    assert deadline == datetime.datetime(2025, 10, 27, 8, 0, tzinfo=UTC)  # +02:00 from now on


def test_spring_forward_inside_working_hours_makes_the_day_an_hour_shorter():
    night_shift = calendar(working_days=range(7), day_starts=datetime.time(0), day_ends=datetime.time(6))

    assert working_seconds_between(at(2025, 3, 30, 0), at(2025, 3, 30, 6), night_shift) == 5 * HOUR
    assert add_working_time(at(2025, 3, 30, 0), 5, night_shift) == at(2025, 3, 30, 6)


def test_fall_back_inside_working_hours_makes_the_day_an_hour_longer():
    night_shift = calendar(working_days=range(7), day_starts=datetime.time(0), day_ends=datetime.time(6))

    assert working_seconds_between(at(2025, 10, 26, 0), at(2025, 10, 26, 6), night_shift) == 7 * HOUR
    assert add_working_time(at(2025, 10, 26, 0), 7, night_shift) == at(2025, 10, 26, 6)


def test_multi_day_sla_across_spring_forward():
    # Thursday 27 March 14:00 + 18 h: Thu 4 h, Fri 9 h, Mon 31 March 5 h → 14:00 EEST.
    deadline = add_working_time(at(2025, 3, 27, 14), 18, calendar())

    assert deadline == at(2025, 3, 31, 14)
    assert working_seconds_between(at(2025, 3, 27, 14), deadline, calendar()) == 18 * HOUR


# --- refusals --------------------------------------------------------------------------------------


def test_negative_amount_is_refused():
    with pytest.raises(ValueError):
        add_working_time(on(MON, 10), -1, calendar())


def test_calendar_without_working_days_has_no_deadline():
    with pytest.raises(NoWorkingTime):
        add_working_time(on(MON, 10), 1, calendar(working_days=[]))
    assert working_seconds_between(on(MON, 10), on(FRI, 10), calendar(working_days=[])) == 0


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        add_working_time(datetime.datetime(2025, 6, 2, 10), 1, calendar())
    with pytest.raises(ValueError):
        working_seconds_between(datetime.datetime(2025, 6, 2, 10), on(MON, 11), calendar())


def test_calendar_refuses_a_day_that_ends_before_it_starts():
    with pytest.raises(ValueError):
        calendar(day_starts=datetime.time(18), day_ends=datetime.time(9))
    with pytest.raises(ValueError):
        calendar(working_days=[7])


def test_amounts_as_hours_or_timedelta():
    assert as_timedelta(2) == datetime.timedelta(hours=2)
    assert as_timedelta(Decimal("0.25")) == datetime.timedelta(minutes=15)
    assert as_timedelta(1.5) == datetime.timedelta(minutes=90)
    assert as_timedelta(datetime.timedelta(minutes=7)) == datetime.timedelta(minutes=7)


# --- the loader ------------------------------------------------------------------------------------


def test_work_calendar_reads_the_schedule_and_nearby_holidays(db):
    schedule = WorkSchedule.current()
    schedule.time_zone = "Europe/Moscow"
    schedule.working_days = [0, 1, 2, 3, 6]
    schedule.day_starts = datetime.time(8, 30)
    schedule.day_ends = datetime.time(17, 0)
    schedule.save()
    Holiday.objects.create(date=datetime.date(2025, 6, 12), name="Russia Day")
    Holiday.objects.create(date=datetime.date(2024, 12, 31), name="New Year's Eve")
    Holiday.objects.create(date=datetime.date(2020, 1, 1), name="Long ago")
    Holiday.objects.create(date=datetime.date(2030, 1, 1), name="Far ahead")

    work = work_calendar(today=datetime.date(2025, 6, 2))

    assert work.time_zone == zoneinfo.ZoneInfo("Europe/Moscow")
    assert work.working_days == frozenset({0, 1, 2, 3, 6})
    assert (work.day_starts, work.day_ends) == (datetime.time(8, 30), datetime.time(17, 0))
    assert work.holidays == frozenset({datetime.date(2025, 6, 12), datetime.date(2024, 12, 31)})


def test_work_calendar_defaults_are_monday_to_friday_nine_to_six_in_sofia(db):
    work = work_calendar(today=datetime.date(2025, 6, 2))

    assert work == WorkCalendar.build("Europe/Sofia")


def test_work_calendar_ignores_bad_weekday_numbers(db):
    WorkSchedule.objects.filter(pk=WorkSchedule.current().pk).update(working_days=[0, 9, "x", 4])

    assert work_calendar(today=datetime.date(2025, 6, 2)).working_days == frozenset({0, 4})
