"""Instance-wide settings every domain reads: the working calendar."""

from __future__ import annotations

import datetime

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tandem.core.validators import validate_time_zone

MONDAY_TO_FRIDAY = [0, 1, 2, 3, 4]


def default_working_days() -> list[int]:
    return list(MONDAY_TO_FRIDAY)


class WorkSchedule(models.Model):
    """The one working calendar of the instance: SLA clocks count only its working hours.

    A single row (pk=1), read with `WorkSchedule.current()`.
    """

    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Sofia", validators=[validate_time_zone]
    )
    working_days = models.JSONField(_("working days"), default=default_working_days)
    day_starts = models.TimeField(_("working day starts"), default=datetime.time(9, 0))
    day_ends = models.TimeField(_("working day ends"), default=datetime.time(18, 0))
    missed_call_minutes = models.PositiveIntegerField(
        _("a planned call is missed after (minutes)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(60 * 24 * 14)],
    )
    digest_hour = models.PositiveSmallIntegerField(
        _("daily digest is sent at (hour)"), default=8, validators=[MaxValueValidator(23)]
    )

    class Meta:
        verbose_name = _("working schedule")
        constraints = [
            models.CheckConstraint(condition=Q(day_starts__lt=models.F("day_ends")), name="workday_order"),
            models.CheckConstraint(condition=Q(digest_hour__lte=23), name="digest_hour_range"),
        ]

    def __str__(self) -> str:
        return f"{self.time_zone} {self.day_starts:%H:%M}–{self.day_ends:%H:%M}"

    @classmethod
    def current(cls) -> WorkSchedule:
        schedule, _created = cls.objects.get_or_create(pk=1)
        return schedule


class Holiday(models.Model):
    """A non-working date (public holiday, company day off)."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".strip()
