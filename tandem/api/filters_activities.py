"""Query parameters of the activity and notification lists. Activities narrow through
`activities.selectors.ActivityFilters`, exactly like the web lists."""

from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django import forms
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from tandem.activities.selectors import ActivityFilters
from tandem.api.filters import id_filter
from tandem.api.serializers_activities import NAIVE_MESSAGE

ACTIVITY_STATUSES = [("planned", "planned"), ("done", "done"), ("overdue", "overdue")]


class AwareDateTimeFormField(forms.Field):
    """An ISO 8601 date-time with its offset; a time without one is refused, not guessed."""

    default_error_messages = {
        "invalid": _("Enter a date and time like 2030-01-31T09:30:00+02:00."),
        "naive": NAIVE_MESSAGE,
    }

    def to_python(self, value: Any) -> datetime.datetime | None:
        if value in self.empty_values:
            return None
        try:
            parsed = parse_datetime(str(value).strip())
        except ValueError:
            parsed = None
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if parsed.tzinfo is None:
            raise forms.ValidationError(self.error_messages["naive"], code="naive")
        return parsed


class AwareDateTimeFilter(django_filters.Filter):
    field_class = AwareDateTimeFormField


def datetime_filter(description: str) -> AwareDateTimeFilter:
    schema = {"type": "string", "format": "date-time", "description": description}
    return extend_schema_field(schema)(AwareDateTimeFilter())  # type: ignore[no-any-return]


class ActivityFilterSet(django_filters.FilterSet):
    assignee = id_filter("Assignee's user id.")
    type = id_filter("Activity type id.")
    deal = id_filter("Deal id.")
    contact = id_filter("Contact id.")
    company = id_filter("Company id.")
    status = django_filters.ChoiceFilter(
        choices=ACTIVITY_STATUSES,
        help_text="`planned`: not done yet; `done`; `overdue`: planned and past its due time.",
    )
    due_from = datetime_filter(
        "Due at or after this time (ISO 8601 with offset; in a URL write `+` as `%2B`, or use `Z`)."
    )
    due_to = datetime_filter("Due before this time (ISO 8601 with offset).")

    def activity_filters(self) -> ActivityFilters:
        data = self.form.cleaned_data
        return ActivityFilters(
            assignee=data.get("assignee"),
            type=data.get("type"),
            deal=data.get("deal"),
            contact=data.get("contact"),
            company=data.get("company"),
            status=data.get("status") or "",
            due_from=data.get("due_from"),
            due_to=data.get("due_to"),
        )


class NotificationFilterSet(django_filters.FilterSet):
    unread = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        help_text="`true`: only the unread ones; `false` or absent: all.",
    )
