"""What the reports need beyond deals and activities: sales plans, channel costs and payments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SalesPlan(models.Model):
    """A month's target of one manager or one team: an amount in the base currency and/or won deals."""

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2, null=True, blank=True)
    won_count = models.PositiveIntegerField(_("won deals"), null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("sales plan")
        verbose_name_plural = _("sales plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, team__isnull=True) | Q(user__isnull=True, team__isnull=False),
                name="sales_plan_user_or_team",
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="sales_plan_first_of_month"),
            models.UniqueConstraint(
                fields=["user", "month"], condition=Q(user__isnull=False), name="sales_plan_user_month"
            ),
            models.UniqueConstraint(
                fields=["team", "month"], condition=Q(team__isnull=False), name="sales_plan_team_month"
            ),
        ]
        indexes = [models.Index(fields=["month"], name="sales_plan_month_idx")]

    def __str__(self) -> str:
        return f"{self.user or self.team} {self.month:%Y-%m}"


class ChannelCost(models.Model):
    """What a lead channel cost in a month (base currency): the basis of cost per lead and ROI."""

    channel = models.ForeignKey("contacts.Channel", verbose_name=_("lead channel"), on_delete=models.CASCADE)
    month = models.DateField(_("month"))
    amount = models.DecimalField(_("cost"), max_digits=16, decimal_places=2)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("channel cost")
        verbose_name_plural = _("channel costs")
        constraints = [
            models.UniqueConstraint(fields=["channel", "month"], name="channel_cost_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="channel_cost_first_of_month"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.month:%Y-%m}"


class Payment(models.Model):
    """Money received on a deal: the date and the amount (converted to the base currency when recorded)."""

    deal = models.ForeignKey("deals.Deal", on_delete=models.CASCADE, related_name="payments")
    paid_on = models.DateField(_("paid on"))
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    currency = models.ForeignKey("deals.Currency", verbose_name=_("currency"), on_delete=models.PROTECT)
    amount_base = models.DecimalField(max_digits=16, decimal_places=2, editable=False)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["paid_on", "id"]
        indexes = [models.Index(fields=["paid_on", "deal"], name="payment_paid_on_idx")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency_id} {self.paid_on}"


class ActivityDay(models.Model):
    """How many activities of one kind an assignee did on one day: the activity report's rollup.

    `day` is the local date of `done_at` in the instance time zone (`settings.TIME_ZONE`, every user's
    default zone). Only done activities outside the trash count. The activity services keep it in the
    same transaction as the activity (`tandem.analytics.rollups.activity_rollup_apply`);
    `tandem rollups rebuild` recomputes it from the activities.
    """

    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8)  # ActivityType.kind
    day = models.DateField()
    done = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignee", "kind", "day"], name="activity_day_unique"),
        ]
        indexes = [
            # A period for everyone (or a team): read from the index alone.
            models.Index(fields=["day", "assignee", "kind", "done"], name="activity_day_period_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.assignee_id} {self.kind} {self.day}: {self.done}"


class StageDay(models.Model):
    """How many deals of one owner entered a stage for the first time on one day, and how many of those
    later moved on to a stage further along: the funnel's rollup (`tandem.analytics.stage_rollups`).

    `day` is the local date of the change in `settings.TIME_ZONE`; deals in the trash do not count.
    """

    stage = models.ForeignKey("deals.Stage", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    entered = models.IntegerField(default=0)
    moved_on = models.IntegerField(default=0)

    class Meta:
        # Every index leads with the day or the owner: one led by the stage invites SQLite to skip-scan
        # it (a dozen stages) and read the table rather than the covering period index alone.
        constraints = [
            models.UniqueConstraint(fields=["day", "owner", "stage"], name="stage_day_unique"),
        ]
        indexes = [
            # A period for everyone: read from the index alone.
            models.Index(
                fields=["day", "owner", "stage", "entered", "moved_on"], name="stage_day_period_idx"
            ),
            # A team or one manager.
            models.Index(fields=["owner", "day", "stage", "entered", "moved_on"], name="stage_day_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.stage_id} {self.owner_id} {self.day}: {self.entered}/{self.moved_on}"


class StageExitDay(models.Model):
    """How many changes out of a stage one owner's deals made on one day, per time spent in the stage
    (`duration_bucket` of `seconds_in_previous`, in seconds): the funnel's time-in-stage histogram."""

    stage = models.ForeignKey("deals.Stage", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    bucket = models.BigIntegerField()
    exits = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "owner", "stage", "bucket"], name="stage_exit_day_unique"),
        ]
        indexes = [
            models.Index(
                fields=["day", "owner", "stage", "bucket", "exits"], name="stage_exit_day_period_idx"
            ),
            models.Index(
                fields=["owner", "day", "stage", "bucket", "exits"], name="stage_exit_day_owner_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stage_id} {self.owner_id} {self.day} {self.bucket}s: {self.exits}"


class DealMoveDay(models.Model):
    """How many deals of one owner a user moved to another stage on one day (each deal once a day):
    the activity report's "deals moved"."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    deals = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "actor", "owner"], name="deal_move_day_unique"),
        ]
        indexes = [
            models.Index(fields=["day", "actor", "owner", "deals"], name="deal_move_day_period_idx"),
            models.Index(fields=["actor", "day", "owner", "deals"], name="deal_move_day_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.owner_id} {self.day}: {self.deals}"
