"""Forms of the planning pages (My day, the calendar), the notification settings and the activity
settings. They validate and shape input for the services; they never save anything."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.formats import time_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tandem.activities.models import Activity
from tandem.activities.selectors import outcomes_active
from tandem.core.models import WorkSchedule
from tandem.notifications.models import Notification
from tandem.web.forms.accounts import time_zone_choices
from tandem.web.forms.contacts import bootstrap

MAX_CALENDAR_DAYS = 100
DATETIME_LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
ICON_RE = re.compile(r"^bi-[a-z0-9-]{1,37}$")
# Icons offered when adding a type (any Bootstrap icon name is accepted).
ICON_SUGGESTIONS = [
    "bi-telephone", "bi-telephone-inbound", "bi-telephone-outbound", "bi-people", "bi-person-video3",
    "bi-camera-video", "bi-envelope", "bi-envelope-paper", "bi-chat-dots", "bi-whatsapp", "bi-telegram",
    "bi-check2-square", "bi-sticky", "bi-truck", "bi-geo-alt", "bi-file-earmark-text", "bi-receipt",
    "bi-cash-coin", "bi-calendar-event", "bi-star", "bi-flag", "bi-box-seam", "bi-tools", "bi-cup-hot",
]  # fmt: skip


def parse_moment(value: str) -> datetime.datetime | None:
    """An ISO 8601 moment as the calendar sends it ("2030-05-13T09:00:00+03:00", "…Z", or local
    without an offset, read in the current time zone); None when it is not one."""
    value = (value or "").strip()
    if not value or len(value) > 40:
        return None
    # A "+" left unencoded in a query string arrives as a space before the offset.
    value = re.sub(r" (\d{2}:?\d{2})$", r"+\1", value)
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    if timezone.is_naive(moment):
        try:
            moment = timezone.make_aware(moment)
        except (ValueError, OverflowError):
            return None
    return moment


class MomentField(forms.CharField):
    """An ISO 8601 date-time with or without an offset, cleaned to an aware datetime."""

    default_error_messages = {"invalid": _("Enter a valid date and time.")}

    def to_python(self, value: Any) -> datetime.datetime | None:  # type: ignore[override]
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        moment = parse_moment(str(text))
        if moment is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return moment


def _local_datetime_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


# --- My day --------------------------------------------------------------------------------------


class DoneForm(forms.Form):
    """Finishing a planned activity: how it ended and what was said."""

    outcome = forms.ModelChoiceField(label=_("Outcome"), queryset=outcomes_active(), required=False)
    note = forms.CharField(
        label=_("What was agreed"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap(self)


def next_monday(day: datetime.date) -> datetime.date:
    return day + datetime.timedelta(days=7 - day.weekday())


class RescheduleForm(forms.Form):
    """A new due time: one of the quick choices, or a picked date and time (in the user's time zone)."""

    PLUS_HOUR, TOMORROW, MONDAY, CUSTOM = "hour", "tomorrow", "monday", "custom"

    when = forms.ChoiceField(
        choices=[(PLUS_HOUR, "+1 h"), (TOMORROW, "tomorrow"), (MONDAY, "monday"), (CUSTOM, "custom")]
    )
    due_at = forms.DateTimeField(
        label=_("New date and time"),
        required=False,
        input_formats=DATETIME_LOCAL_FORMATS,
        widget=_local_datetime_input(),
    )

    def __init__(
        self, *args: Any, activity: Activity, now: datetime.datetime | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.activity = activity
        self.now = now or timezone.now()
        bootstrap(self)

    @staticmethod
    def quick_choices(now: datetime.datetime | None = None) -> list[tuple[str, str]]:
        """The quick buttons with their labels, e.g. "Tomorrow 9:00"."""
        starts = WorkSchedule.current().day_starts
        return [
            (RescheduleForm.PLUS_HOUR, str(_("In an hour"))),
            (RescheduleForm.TOMORROW, str(_("Tomorrow %(time)s") % {"time": time_format(starts)})),
            (RescheduleForm.MONDAY, str(_("Next Monday %(time)s") % {"time": time_format(starts)})),
        ]

    def _at_day_start(self, day: datetime.date) -> datetime.datetime:
        starts = WorkSchedule.current().day_starts
        return timezone.make_aware(datetime.datetime.combine(day, starts))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        when = data.get("when")
        if when != self.CUSTOM:
            self.errors.pop("due_at", None)  # a quick choice ignores a half-typed picked time
        today = timezone.localdate(self.now)
        if when == self.PLUS_HOUR:
            due = self.activity.due_at
            base = due if due is not None and due > self.now else self.now
            data["new_due_at"] = (base + datetime.timedelta(hours=1)).replace(second=0, microsecond=0)
        elif when == self.TOMORROW:
            data["new_due_at"] = self._at_day_start(today + datetime.timedelta(days=1))
        elif when == self.MONDAY:
            data["new_due_at"] = self._at_day_start(next_monday(today))
        elif when == self.CUSTOM:
            if data.get("due_at") is None:
                if "due_at" not in self.errors:
                    self.add_error("due_at", _("Choose the new date and time."))
            else:
                data["new_due_at"] = data["due_at"]
        return data


# --- the calendar --------------------------------------------------------------------------------


class CalendarPageForm(forms.Form):
    """Which period the calendar page shows. Invalid values are reported and replaced by defaults."""

    view = forms.ChoiceField(
        choices=[("week", pgettext_lazy("calendar", "Week")), ("month", pgettext_lazy("calendar", "Month"))],
        required=False,
    )
    date = forms.DateField(label=_("Date"), required=False)

    def period(self) -> tuple[str, datetime.date, datetime.date, datetime.date]:
        """(view, anchor date, first day, day after the last) of the period to show."""
        data = self.cleaned_data if self.is_valid() else {}
        view = data.get("view") or "week"
        anchor = data.get("date") or timezone.localdate()
        if view == "month":
            first = anchor.replace(day=1)
            after = (first + datetime.timedelta(days=32)).replace(day=1)
        else:
            first = anchor - datetime.timedelta(days=anchor.weekday())
            after = first + datetime.timedelta(days=7)
        return view, anchor, first, after


class CalendarRangeForm(forms.Form):
    """The period FullCalendar asks events for: at most MAX_CALENDAR_DAYS long."""

    start = MomentField()
    end = MomentField()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end <= start:
                self.add_error("end", _("The end must come after the start."))
            elif end - start > datetime.timedelta(days=MAX_CALENDAR_DAYS):
                self.add_error(
                    "end", _("Ask for at most %(days)d days at a time.") % {"days": MAX_CALENDAR_DAYS}
                )
        return data


class CalendarMoveForm(forms.Form):
    """Where an event was dropped (and, when resized, where it now ends)."""

    start = MomentField()
    end = MomentField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            minutes = int((end - start).total_seconds() // 60)
            if minutes < 1 or minutes > 60 * 24 * 7:
                self.add_error("end", _("The end must come after the start, within a week."))
            else:
                data["duration_minutes"] = minutes
        return data


# --- notifications -------------------------------------------------------------------------------


class NotificationSettingsForm(forms.Form):
    email_kinds = forms.MultipleChoiceField(
        label=_("Also send by email"),
        choices=Notification.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap(self)


# --- activity settings ---------------------------------------------------------------------------


class ActivityTypeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    icon = forms.CharField(
        label=_("Icon"),
        max_length=40,
        initial="bi-check2-square",
        help_text=_("A Bootstrap icon name, e.g. bi-telephone."),
    )
    counts_as_contact = forms.BooleanField(label=_("Counts as contact with the client"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap(self)

    def clean_icon(self) -> str:
        icon = self.cleaned_data["icon"].strip()
        if not ICON_RE.match(icon):
            raise ValidationError(_("Enter a Bootstrap icon name, e.g. bi-telephone."), code="invalid_icon")
        return icon


class OutcomeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    is_active = forms.BooleanField(label=_("Active"), required=False)


class WorkScheduleForm(forms.Form):
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        error_messages={"invalid_choice": _("Unknown time zone.")},
    )
    working_days = forms.TypedMultipleChoiceField(
        label=_("Working days"),
        choices=[(number, WEEKDAYS[number]) for number in range(7)],
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one working day.")},
    )
    day_starts = forms.TimeField(
        label=_("Working day starts"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    day_ends = forms.TimeField(
        label=_("Working day ends"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    missed_call_minutes = forms.IntegerField(
        label=_("A planned call is missed after (minutes)"),
        min_value=1,
        max_value=60 * 24 * 14,
        help_text=_("Then the head of sales is told."),
    )
    digest_hour = forms.IntegerField(
        label=_("Daily digest is sent at (hour)"),
        min_value=0,
        max_value=23,
        help_text=_("0–23, in the schedule's time zone."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("day_starts"), data.get("day_ends")
        if starts is not None and ends is not None and starts >= ends:
            self.add_error("day_ends", _("The working day must end after it starts."))
        return data

    @classmethod
    def for_schedule(cls, schedule: WorkSchedule) -> WorkScheduleForm:
        return cls(
            initial={
                "time_zone": schedule.time_zone,
                "working_days": list(schedule.working_days),
                "day_starts": schedule.day_starts,
                "day_ends": schedule.day_ends,
                "missed_call_minutes": schedule.missed_call_minutes,
                "digest_hour": schedule.digest_hour,
            }
        )


class HolidayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    name = forms.CharField(label=_("Name"), max_length=100, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap(self)


class PipelineSlaForm(forms.Form):
    lead_sla_hours = forms.DecimalField(
        label=_("First contact within (working hours)"),
        min_value=Decimal("0.25"),
        max_value=Decimal("9999.99"),
        max_digits=6,
        decimal_places=2,
    )
    lead_escalate_hours = forms.DecimalField(
        label=_("Tell the head of sales after (working hours)"),
        min_value=Decimal("0.25"),
        max_value=Decimal("9999.99"),
        max_digits=6,
        decimal_places=2,
    )
