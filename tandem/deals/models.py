from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tandem.accounts.roles import scope_permissions
from tandem.contacts.models import Channel, Company, Contact, ReferenceItem


class Currency(models.Model):
    """A currency and its rate: how many units of the base currency one unit is worth."""

    code = models.CharField(_("code"), max_length=3, primary_key=True)
    name = models.CharField(_("name"), max_length=60, blank=True)
    rate = models.DecimalField(
        _("rate to base currency"),
        max_digits=18,
        decimal_places=8,
        validators=[MinValueValidator(Decimal("0"))],
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("currency")
        verbose_name_plural = _("currencies")
        constraints = [models.CheckConstraint(condition=Q(rate__gt=0), name="currency_rate_positive")]

    def __str__(self) -> str:
        return self.code


class LostReason(ReferenceItem):
    class Meta(ReferenceItem.Meta):
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")


class ProductCategory(ReferenceItem):
    class Meta(ReferenceItem.Meta):
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")


class Product(models.Model):
    name = models.CharField(_("name"), max_length=200)
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    category = models.ForeignKey(
        ProductCategory, verbose_name=_("category"), null=True, blank=True, on_delete=models.SET_NULL
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    price = models.DecimalField(
        _("price"), max_digits=16, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.ForeignKey(Currency, verbose_name=_("currency"), on_delete=models.PROTECT)
    vat_rate = models.DecimalField(
        _("VAT %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("20"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.UniqueConstraint(fields=["sku"], condition=~Q(sku=""), name="product_sku_unique"),
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
        ]
        indexes = [models.Index(fields=["is_active", "name"], name="product_active_name_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})" if self.sku else self.name


class Pipeline(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(default=0)
    # Untouched-lead escalation, in working hours from the deal's creation to its first contact.
    lead_sla_hours = models.DecimalField(
        _("first contact within (working hours)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("2"),
        validators=[MinValueValidator(Decimal("0.25"))],
    )
    lead_escalate_hours = models.DecimalField(
        _("tell the head of sales after (working hours)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("4"),
        validators=[MinValueValidator(Decimal("0.25"))],
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")

    def __str__(self) -> str:
        return self.name


# Fields a stage may require before a deal enters it (the sales process, fixed in the CRM).
REQUIRABLE_FIELDS = {
    "amount": _("amount"),
    "expected_close_date": _("expected close date"),
    "company": _("company"),
    "contacts": _("contact person"),
    "next_step": _("next step"),
    "next_step_date": _("next step date"),
    "channel": _("channel"),
    "lines": _("products"),
}


class Stage(models.Model):
    class Kind(models.TextChoices):
        OPEN = "open", pgettext_lazy("stage kind", "open")
        WON = "won", pgettext_lazy("stage kind", "won")
        LOST = "lost", pgettext_lazy("stage kind", "lost")

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(_("name"), max_length=100)
    colour = models.CharField(_("colour"), max_length=7, default="#0d6efd")
    probability = models.PositiveSmallIntegerField(
        _("probability %"), default=10, validators=[MaxValueValidator(100)]
    )
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices, default=Kind.OPEN)
    max_days = models.PositiveIntegerField(_("max days in stage"), null=True, blank=True)
    required_fields = models.JSONField(_("required to enter"), default=list, blank=True)
    position = models.PositiveIntegerField(default=0)
    is_archived = models.BooleanField(_("archived"), default=False)

    class Meta:
        ordering = ["pipeline", "position", "id"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        constraints = [
            models.CheckConstraint(condition=Q(probability__lte=100), name="stage_probability_range"),
        ]
        indexes = [models.Index(fields=["pipeline", "position"], name="stage_pipeline_position_idx")]

    def __str__(self) -> str:
        return self.name


class Deal(models.Model):
    title = models.CharField(_("title"), max_length=255)
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    contacts: models.ManyToManyField[Contact, DealContact] = models.ManyToManyField(
        Contact, verbose_name=_("contacts"), through="DealContact", blank=True, related_name="deals"
    )
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="+"
    )
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="deals")
    amount = models.DecimalField(
        _("amount"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.ForeignKey(
        Currency, verbose_name=_("currency"), on_delete=models.PROTECT, related_name="+"
    )
    amount_base = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True, editable=False)
    amount_from_lines = models.BooleanField(_("amount is the sum of the products"), default=False)
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The next planned activity, kept up to date by the activity services (empty: nothing planned).
    next_step = models.CharField(_("next step"), max_length=255, blank=True)
    next_step_date = models.DateField(_("next step date"), null=True, blank=True)
    # The first done activity that counts as contact with the client; untouched leads have none.
    first_touch_at = models.DateTimeField(_("first contact"), null=True, blank=True)
    # How far the untouched-lead escalation went: 0 none, 1 owner reminded, 2 head of sales told.
    lead_escalation = models.PositiveSmallIntegerField(default=0, editable=False)
    lost_reason = models.ForeignKey(
        LostReason, verbose_name=_("lost reason"), null=True, blank=True, on_delete=models.PROTECT
    )
    notes = models.TextField(_("notes"), blank=True)
    stage_entered_at = models.DateTimeField(default=timezone.now)
    won_at = models.DateTimeField(pgettext_lazy("field", "won"), null=True, blank=True)
    lost_at = models.DateTimeField(pgettext_lazy("field", "lost"), null=True, blank=True)
    taken_at = models.DateTimeField(_("taken"), null=True, blank=True)
    created_at = models.DateTimeField(pgettext_lazy("field", "created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    deleted_at = models.DateTimeField(pgettext_lazy("field", "moved to trash"), null=True, blank=True)
    shared_with = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("shared with"), blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        permissions = tuple(scope_permissions("deal"))
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0) | Q(amount__isnull=True), name="deal_amount_not_negative"
            ),
            models.CheckConstraint(condition=Q(lead_escalation__lte=2), name="deal_lead_escalation_range"),
        ]
        indexes = [
            # The board: open deals of a pipeline per stage, in stage order.
            models.Index(fields=["stage", "-updated_at", "-id"], name="deal_stage_updated_idx"),
            models.Index(fields=["pipeline", "stage"], name="deal_pipeline_stage_idx"),
            models.Index(fields=["owner", "stage"], name="deal_owner_stage_idx"),
            models.Index(fields=["owner", "-created_at", "-id"], name="deal_owner_created_idx"),
            models.Index(fields=["owner", "-updated_at", "-id"], name="deal_owner_updated_idx"),
            models.Index(fields=["-created_at", "-id"], name="deal_created_idx"),
            models.Index(fields=["-updated_at", "-id"], name="deal_updated_idx"),
            models.Index(fields=["title", "id"], name="deal_title_idx"),
            models.Index(fields=["expected_close_date"], name="deal_close_date_idx"),
            models.Index(fields=["next_step_date"], name="deal_next_step_idx"),
            models.Index(fields=["channel"], name="deal_channel_idx"),
            models.Index(
                fields=["pipeline", "taken_at"], name="deal_untaken_idx", condition=Q(taken_at__isnull=True)
            ),
            models.Index(
                fields=["deleted_at"], name="deal_trashed_idx", condition=Q(deleted_at__isnull=False)
            ),
            # Stuck deals: per open stage, those that entered it before the stage's limit (stuck_q).
            models.Index(fields=["stage", "stage_entered_at"], name="deal_stage_entered_idx"),
            # … and for the reports, only the open deals (a few percent), with what the stuck list sums.
            models.Index(
                fields=["stage", "stage_entered_at", "owner", "amount_base"],
                name="deal_open_stage_entered_idx",
                condition=Q(won_at__isnull=True, lost_at__isnull=True, deleted_at__isnull=True),
            ),
            # Reports: deals won / lost in a period (revenue, win rate, lost deals).
            models.Index(fields=["won_at"], name="deal_won_idx", condition=Q(won_at__isnull=False)),
            models.Index(fields=["lost_at"], name="deal_lost_idx", condition=Q(lost_at__isnull=False)),
            # The reports read the deals won / lost in a period from these alone (funnel, revenue, losses).
            models.Index(
                fields=["won_at", "owner", "pipeline", "channel", "created_at", "amount_base"],
                name="deal_won_report_idx",
                condition=Q(won_at__isnull=False, deleted_at__isnull=True),
            ),
            models.Index(
                fields=["lost_at", "owner", "pipeline", "lost_reason", "amount_base"],
                name="deal_lost_report_idx",
                condition=Q(lost_at__isnull=False, deleted_at__isnull=True),
            ),
            # The untouched-lead sweep: never-contacted deals not yet fully escalated.
            models.Index(
                fields=["created_at"],
                name="deal_untouched_idx",
                condition=Q(first_touch_at__isnull=True, lead_escalation__lt=2, deleted_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class DealContact(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="deal_contacts")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(_("role in the deal"), max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deal", "contact"], name="deal_contact_unique")]

    def __str__(self) -> str:
        return f"{self.contact} ({self.role})" if self.role else str(self.contact)


class DealLine(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    quantity = models.DecimalField(
        _("quantity"), max_digits=14, decimal_places=3, validators=[MinValueValidator(Decimal("0"))]
    )
    unit_price = models.DecimalField(
        _("unit price"), max_digits=16, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    discount_percent = models.DecimalField(
        _("discount %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["product"], name="dealline_product_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def total(self) -> Decimal:
        gross = self.quantity * self.unit_price
        return (gross * (Decimal("100") - self.discount_percent) / Decimal("100")).quantize(Decimal("0.01"))


class StageChange(models.Model):
    """One move of a deal between stages (or into it, at creation): what funnels and cycle times read."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    seconds_in_previous = models.BigIntegerField(null=True, blank=True)
    # Derived from the deal's log for the funnel, kept by the deal services (tandem.analytics.stage_rollups):
    # the deal's first change into `to_stage`; and, into an open stage, whether the deal later changed
    # into a stage further along (a higher open position, or won). Database defaults: bulk loaders that
    # leave them out run `tandem rollups rebuild`.
    is_first_entry = models.BooleanField(default=False, db_default=False)
    moved_on = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [
            models.Index(fields=["deal", "changed_at"], name="stagechange_deal_idx"),
            # Covering the deal and where it came from: lost deals by the stage they were lost from.
            models.Index(fields=["to_stage", "changed_at", "deal", "from_stage"], name="stagechange_to_idx"),
            # Reports: time spent in a stage (changes out of it) and deals moved per manager.
            models.Index(fields=["from_stage", "changed_at"], name="stagechange_from_idx"),
            models.Index(
                fields=["actor", "changed_at"], name="stagechange_actor_idx", condition=Q(actor__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_stage} → {self.to_stage}"
