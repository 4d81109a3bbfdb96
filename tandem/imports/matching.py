"""Finding the record a file row describes: in the rows already planned, or in the database.

Blocking keys narrow the candidates — a company by its tax id, then by its name without legal form
and quotes; a person by each E.164 phone and each email, then by name at the same company — and
rapidfuzz decides whether a person found by a phone is the same person (a switchboard number is
shared by a whole office). Only records the importer can see are ever candidates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, utils

from tandem.accounts.models import User
from tandem.accounts.visibility import scope_q
from tandem.contacts.models import Company, Contact, Email, Phone
from tandem.core.idsets import one_of
from tandem.imports.rows import RowData

# What a matched record's history shows by name (the values before the import): loaded with it.
COMPANY_RELATED = ("owner", "industry", "category", "channel")
CONTACT_RELATED = ("owner", "company", "role", "channel")
# A person found by a phone or an email is the row's person when the names agree at least this much
# (token set ratio: "Иван" agrees fully with "Иван Петров"; a rowless name agrees with anyone).
PHONE_NAME_SCORE = 70
EMAIL_NAME_SCORE = 50


def name_score(a: str, b: str) -> float:
    if not a.strip() or not b.strip():
        return 100.0
    return float(fuzz.token_set_ratio(a, b, processor=utils.default_process))


def folded_name(first: str, last: str) -> str:
    return " ".join(f"{first} {last}".casefold().replace("ё", "е").split())


@dataclass
class Found:
    """What the database holds for one batch's keys, visible to the importer."""

    companies_by_tax_id: dict[str, Company] = field(default_factory=dict)  # any, even hidden or trashed
    companies_by_key: dict[str, list[Company]] = field(default_factory=dict)  # visible, oldest first
    contacts_by_phone: dict[str, list[Contact]] = field(default_factory=dict)
    contacts_by_email: dict[str, list[Contact]] = field(default_factory=dict)
    contacts_by_name: dict[tuple[int, str], list[Contact]] = field(default_factory=dict)  # (company, name)
    visible_company_ids: set[int] = field(default_factory=set)


def _oldest_first(rows: Iterable[tuple[str, Contact]]) -> dict[str, list[Contact]]:
    found: dict[str, list[Contact]] = {}
    for key, contact in sorted(rows, key=lambda pair: pair[1].pk):
        found.setdefault(key, []).append(contact)
    return found


def find_in_database(actor: User, rows: list[RowData]) -> Found:
    """A fixed number of queries per batch, each bounded by the batch's keys."""
    found = Found()
    tax_ids = {row.company["tax_id"] for row in rows if row.company.get("tax_id")}
    name_keys = {row.company_key for row in rows if row.has_company} - {""}
    phones = {phone.e164 for row in rows for phone in row.contact_phones}
    emails = {email for row in rows for email in row.contact_emails}
    if tax_ids:
        # `exclude(tax_id="")` lets PostgreSQL use the unique index, which covers non-empty tax ids only
        # (it cannot prove that from an IN list of more than 100 values).
        for company in (
            Company.objects.filter(one_of("tax_id", tax_ids))
            .exclude(tax_id="")
            .select_related(*COMPANY_RELATED)
        ):
            found.companies_by_tax_id[company.tax_id] = company
    company_scope = scope_q(actor, Company, "view")
    if name_keys:
        companies = Company.objects.filter(
            company_scope, one_of("name_key", name_keys), deleted_at__isnull=True
        )
        for company in companies.select_related(*COMPANY_RELATED).order_by("-pk"):
            found.companies_by_key.setdefault(company.name_key, []).insert(0, company)
    visible_tax = [c.pk for c in found.companies_by_tax_id.values()]
    if visible_tax:
        found.visible_company_ids = set(
            Company.objects.filter(
                company_scope, one_of("pk", visible_tax), deleted_at__isnull=True
            ).values_list("pk", flat=True)
        )
    found.visible_company_ids |= {c.pk for group in found.companies_by_key.values() for c in group}
    contact_scope = scope_q(actor, Contact, "view")
    pairs: list[tuple[str, int, str]] = []
    if phones:
        pairs += [
            ("p", contact_id, e164)
            for e164, contact_id in Phone.objects.filter(
                one_of("e164", phones), contact__isnull=False
            ).values_list("e164", "contact_id")
        ]
    if emails:
        pairs += [
            ("e", contact_id, address)
            for address, contact_id in Email.objects.filter(
                one_of("address", emails), contact__isnull=False
            ).values_list("address", "contact_id")
        ]
    if pairs:
        contacts = (
            Contact.objects.filter(
                contact_scope,
                one_of("pk", {contact_id for _kind, contact_id, _key in pairs}),
                deleted_at__isnull=True,
            )
            .select_related(*CONTACT_RELATED)
            .in_bulk()
        )
        found.contacts_by_phone = _oldest_first(
            (key, contacts[cid]) for kind, cid, key in pairs if kind == "p" and cid in contacts
        )
        found.contacts_by_email = _oldest_first(
            (key, contacts[cid]) for kind, cid, key in pairs if kind == "e" and cid in contacts
        )
    if found.visible_company_ids:
        firsts = {row.contact.get("first_name", "") for row in rows if row.has_contact}
        lasts = {row.contact.get("last_name", "") for row in rows if row.has_contact}
        at_companies = (
            Contact.objects.filter(
                contact_scope,
                one_of("company_id", found.visible_company_ids),
                one_of("first_name", firsts),
                one_of("last_name", lasts),
                deleted_at__isnull=True,
            )
            .select_related(*CONTACT_RELATED)
            .order_by("-pk")
        )
        for contact in at_companies:
            key = (contact.company_id or 0, folded_name(contact.first_name, contact.last_name))
            found.contacts_by_name.setdefault(key, []).insert(0, contact)
    return found
