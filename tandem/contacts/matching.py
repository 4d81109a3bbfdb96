"""Finding the existing contact a new lead or an imported row belongs to (by phone, then by email)."""

from __future__ import annotations

from collections.abc import Iterable

from tandem.contacts.models import Contact, Email, Phone
from tandem.contacts.normalize import email_key


def contact_match(*, phones: Iterable[str], emails: Iterable[str]) -> Contact | None:
    """The contact (not in the trash) holding one of `phones` (E.164) or else one of `emails`.

    Phones are compared as E.164, so pass numbers through `tandem.core.phones.parse_phone` first;
    emails are case-folded here. A phone match wins over an email match; among several contacts the
    oldest wins, so repeated submissions keep landing on the same person. One query per kind.
    """
    phone_keys = sorted({phone for phone in phones if phone})
    email_keys = sorted({email_key(address) for address in emails if address.strip()})
    if phone_keys:
        contact = (
            Contact.objects.filter(
                pk__in=Phone.objects.filter(e164__in=phone_keys, contact__isnull=False).values("contact_id"),
                deleted_at__isnull=True,
            )
            .order_by("pk")
            .first()
        )
        if contact is not None:
            return contact
    if email_keys:
        contact = (
            Contact.objects.filter(
                pk__in=Email.objects.filter(address__in=email_keys, contact__isnull=False).values(
                    "contact_id"
                ),
                deleted_at__isnull=True,
            )
            .order_by("pk")
            .first()
        )
        if contact is not None:
            return contact
    return None
