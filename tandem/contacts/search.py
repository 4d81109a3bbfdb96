"""What of a company or contact is searchable, kept in the search index by the services."""

from __future__ import annotations

from collections.abc import Iterable

from tandem.contacts.models import Company, Contact, Email, Phone
from tandem.core.phones import search_tokens
from tandem.search.backends import Kind, index_many, remove


def _phone_words(phones: Iterable[str]) -> list[str]:
    words: list[str] = []
    for e164 in phones:
        words += search_tokens(e164)
    return words


def company_text(company: Company, phones: Iterable[str], emails: Iterable[str]) -> str:
    """The searchable text of a company with these E.164 phones and email addresses."""
    parts = [company.name, company.legal_form, company.tax_id, company.website]
    parts += [*emails, *_phone_words(phones)]
    return " ".join(part for part in parts if part)


def contact_text(contact: Contact, company_name: str, phones: Iterable[str], emails: Iterable[str]) -> str:
    parts = [str(contact), contact.position, company_name]
    parts += [*emails, *_phone_words(phones)]
    return " ".join(part for part in parts if part)


def company_document(company: Company, phones: list[Phone], emails: list[Email]) -> str:
    return company_text(company, [phone.e164 for phone in phones], [email.address for email in emails])


def contact_document(contact: Contact, company_name: str, phones: list[Phone], emails: list[Email]) -> str:
    return contact_text(
        contact, company_name, [phone.e164 for phone in phones], [email.address for email in emails]
    )


def company_reindex(company: Company) -> None:
    if company.deleted_at is not None:
        remove(Kind.COMPANY, company.pk)
        return
    phones, emails = list(Phone.objects.filter(company=company)), list(Email.objects.filter(company=company))
    index_many(Kind.COMPANY, [(company.pk, company_document(company, phones, emails))])


def contact_reindex(contact: Contact) -> None:
    if contact.deleted_at is not None:
        remove(Kind.CONTACT, contact.pk)
        return
    company_name = contact.company.name if contact.company_id and contact.company else ""
    phones, emails = list(Phone.objects.filter(contact=contact)), list(Email.objects.filter(contact=contact))
    index_many(Kind.CONTACT, [(contact.pk, contact_document(contact, company_name, phones, emails))])
