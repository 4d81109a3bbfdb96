"""What a column of an import file can fill: one key per target field, grouped by record.

A row may fill a company, a contact person, or both (the contact then works at that company).
Keys are stable: mapping profiles, the API and the CLI's JSON report use them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


@dataclass(frozen=True)
class ImportField:
    key: str
    label: str | Promise
    group: str  # "company", "contact" or "both"
    multi: bool = False  # several values in one cell (phones, emails, tags)


FIELDS: list[ImportField] = [
    ImportField("company.name", _("Company name"), "company"),
    ImportField("company.legal_form", _("Legal form"), "company"),
    ImportField("company.tax_id", _("Tax id"), "company"),
    ImportField("company.phones", _("Company phones"), "company", multi=True),
    ImportField("company.emails", _("Company emails"), "company", multi=True),
    ImportField("company.website", _("Website"), "company"),
    ImportField("company.address", _("Registered address"), "company"),
    ImportField("company.delivery_address", _("Delivery address"), "company"),
    ImportField("company.industry", _("Industry"), "company"),
    ImportField("company.category", _("Client category"), "company"),
    ImportField("company.needs", _("Why interested / what they need"), "company"),
    ImportField("company.notes", _("Company notes"), "company"),
    ImportField("contact.full_name", _("Full name"), "contact"),
    ImportField("contact.first_name", _("First name"), "contact"),
    ImportField("contact.middle_name", _("Middle name"), "contact"),
    ImportField("contact.last_name", _("Last name"), "contact"),
    ImportField("contact.position", _("Position"), "contact"),
    ImportField("contact.role", _("Role at company"), "contact"),
    ImportField("contact.phones", _("Phones"), "contact", multi=True),
    ImportField("contact.emails", _("Emails"), "contact", multi=True),
    ImportField("contact.birthday", _("Birthday"), "contact"),
    ImportField("contact.interests", _("Interests and needs"), "contact"),
    ImportField("contact.marketing_consent", _("Agrees to marketing"), "contact"),
    ImportField("contact.notes", pgettext_lazy("import field", "Contact notes"), "contact"),
    ImportField("channel", _("Source channel"), "both"),
    ImportField("tags", _("Tags"), "both", multi=True),
    ImportField("owner", _("Owner (email)"), "both"),
]
FIELD_KEYS = [field.key for field in FIELDS]
BY_KEY = {field.key: field for field in FIELDS}
