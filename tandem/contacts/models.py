from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tandem.accounts.roles import scope_permissions
from tandem.core.phones import display_phone


class ReferenceItem(models.Model):
    """An admin-maintained list entry (industry, category, role at company, channel, tag)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Industry(ReferenceItem):
    class Meta(ReferenceItem.Meta):
        verbose_name = _("industry")
        verbose_name_plural = _("industries")


class ClientCategory(ReferenceItem):
    class Meta(ReferenceItem.Meta):
        verbose_name = _("client category")
        verbose_name_plural = _("client categories")


class ContactRole(ReferenceItem):
    """The role a person plays at a company: accountant, buyer, storekeeper, director…"""

    class Meta(ReferenceItem.Meta):
        verbose_name = _("role at company")
        verbose_name_plural = _("roles at company")


class Channel(ReferenceItem):
    """Where a client or a lead came from: website, call, referral, exhibition, ads…"""

    class Meta(ReferenceItem.Meta):
        verbose_name = _("lead channel")
        verbose_name_plural = _("lead channels")


class Tag(ReferenceItem):
    class Meta(ReferenceItem.Meta):
        verbose_name = _("tag")
        verbose_name_plural = _("tags")


class OwnedRecord(models.Model):
    # No index of its own: every list index starts with the owner (see the models' Meta).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(pgettext_lazy("field", "created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    deleted_at = models.DateTimeField(pgettext_lazy("field", "moved to trash"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Company(OwnedRecord):
    name = models.CharField(_("name"), max_length=255)
    name_key = models.CharField(max_length=255, db_index=True, editable=False)
    legal_form = models.CharField(_("legal form"), max_length=20, blank=True)
    tax_id = models.CharField(
        _("tax id"), max_length=32, blank=True, help_text=_("EIK, BULSTAT, INN or VAT number")
    )
    industry = models.ForeignKey(
        Industry, verbose_name=_("industry"), null=True, blank=True, on_delete=models.SET_NULL
    )
    category = models.ForeignKey(
        ClientCategory, verbose_name=_("client category"), null=True, blank=True, on_delete=models.SET_NULL
    )
    channel = models.ForeignKey(
        Channel, verbose_name=_("source channel"), null=True, blank=True, on_delete=models.SET_NULL
    )
    website = models.URLField(_("website"), blank=True)
    address = models.TextField(_("registered address"), blank=True)
    delivery_address = models.TextField(_("delivery address"), blank=True)
    needs = models.TextField(_("why interested / what they need"), blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="companies")
    shared_with = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("shared with"), blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        permissions = tuple(scope_permissions("company"))
        constraints = [
            models.UniqueConstraint(fields=["tax_id"], condition=~Q(tax_id=""), name="company_tax_id_unique"),
            models.CheckConstraint(condition=~Q(name=""), name="company_name_not_empty"),
        ]
        indexes = [
            models.Index(fields=["name", "id"], name="company_name_idx"),
            models.Index(fields=["-created_at", "-id"], name="company_created_idx"),
            models.Index(fields=["-updated_at", "-id"], name="company_updated_idx"),
            models.Index(fields=["owner", "name", "id"], name="company_owner_name_idx"),
            models.Index(fields=["owner", "-created_at", "-id"], name="company_owner_created_idx"),
            models.Index(fields=["owner", "-updated_at", "-id"], name="company_owner_updated_idx"),
            models.Index(fields=["owner", "-id"], name="company_owner_recent_idx"),
            # Only the trash (deleted_at IS NOT NULL) is looked up by this column; a full index on it
            # tempts SQLite (no statistics) to scan 99% of the table for "deleted_at IS NULL".
            models.Index(
                fields=["deleted_at"], name="company_trashed_idx", condition=Q(deleted_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.legal_form}".strip()


class Contact(OwnedRecord):
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    middle_name = models.CharField(_("middle name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    position = models.CharField(_("position"), max_length=150, blank=True)
    role = models.ForeignKey(
        ContactRole, verbose_name=_("role at company"), null=True, blank=True, on_delete=models.SET_NULL
    )
    channel = models.ForeignKey(
        Channel, verbose_name=_("source channel"), null=True, blank=True, on_delete=models.SET_NULL
    )
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    messengers = models.JSONField(_("messengers"), default=dict, blank=True)
    interests = models.TextField(_("interests and needs"), blank=True)
    preferences = models.TextField(_("preferences"), blank=True)
    marketing_consent = models.BooleanField(_("agrees to marketing"), default=False)
    marketing_consent_at = models.DateTimeField(null=True, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="contacts")
    shared_with = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("shared with"), blank=True, related_name="+"
    )
    # The client category of the contact's company, copied by database triggers (migration
    # contacts/0007) on every write of a contact and every change of a company's category, whatever
    # writes it (services, imports, merges, raw SQL): a list filtered by category then walks one
    # index instead of joining the companies of a million contacts. Never set it in Python. On
    # SQLite, a migration that rebuilds contacts_contact or contacts_company drops their triggers:
    # create them again there (`tests/test_company_category_copy.py` fails until then).
    company_category = models.ForeignKey(
        ClientCategory,
        null=True,
        blank=True,
        editable=False,
        db_index=False,
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="+",
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        permissions = tuple(scope_permissions("contact"))
        constraints = [
            models.CheckConstraint(condition=~Q(first_name="", last_name=""), name="contact_has_a_name"),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name", "id"], name="contact_name_idx"),
            models.Index(fields=["-created_at", "-id"], name="contact_created_idx"),
            models.Index(fields=["-updated_at", "-id"], name="contact_updated_idx"),
            models.Index(fields=["owner", "last_name", "first_name", "id"], name="contact_owner_name_idx"),
            models.Index(fields=["owner", "-created_at", "-id"], name="contact_owner_created_idx"),
            models.Index(fields=["owner", "-updated_at", "-id"], name="contact_owner_updated_idx"),
            models.Index(fields=["owner", "-id"], name="contact_owner_recent_idx"),
            models.Index(
                fields=["company_category", "last_name", "first_name", "id"], name="contact_category_name_idx"
            ),
            # Only the trash (deleted_at IS NOT NULL) is looked up by this column; a full index on it
            # tempts SQLite (no statistics) to scan 99% of the table for "deleted_at IS NULL".
            models.Index(
                fields=["deleted_at"], name="contact_trashed_idx", condition=Q(deleted_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return " ".join(part for part in (self.first_name, self.middle_name, self.last_name) if part)


MESSENGERS = ["telegram", "viber", "whatsapp", "signal", "skype"]


class ContactPoint(models.Model):
    """A phone or email of exactly one company or one contact."""

    label = models.CharField(_("label"), max_length=40, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]


class Phone(ContactPoint):
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    e164 = models.CharField(_("phone"), max_length=20)
    extension = models.CharField(_("extension"), max_length=10, blank=True)
    raw = models.CharField(_("as entered"), max_length=64, blank=True)

    class Meta(ContactPoint.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(company__isnull=True, contact__isnull=False)
                | Q(company__isnull=False, contact__isnull=True),
                name="phone_has_one_owner",
            ),
        ]
        indexes = [models.Index(fields=["e164"], name="phone_e164_idx")]

    def __str__(self) -> str:
        return display_phone(self.e164, self.extension)


class Email(ContactPoint):
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    address = models.EmailField(_("email"))

    class Meta(ContactPoint.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(company__isnull=True, contact__isnull=False)
                | Q(company__isnull=False, contact__isnull=True),
                name="email_has_one_owner",
            ),
        ]
        indexes = [models.Index(fields=["address"], name="email_address_idx")]

    def __str__(self) -> str:
        return self.address
