"""Keys for matching records as people write them: company names without legal forms, emails folded."""

from __future__ import annotations

import re

LEGAL_FORMS = (
    "ЕООД ООД ЕАД АД ЕТ КД СД КДА ООО ЗАО ОАО ПАО НАО АО ИП "
    "LLC Ltd Ltd. Limited GmbH AG Inc Inc. Corp Corp. PLC SRL S.A. "
    "EOOD OOD EAD AD ET OOO ZAO OAO PAO IP"
).split()
_FORM_WORDS = {form.lower().rstrip(".") for form in LEGAL_FORMS}
_QUOTES = re.compile(r"[\"'«»„“”‘’`]")
_SPACES = re.compile(r"[\s,.]+")


def split_legal_form(name: str) -> tuple[str, str]:
    """("Acme", "ООД") from '"Акме" ООД' or 'ООД Акме'; the name unchanged when it carries no form."""
    words = _QUOTES.sub(" ", name).split()
    if len(words) > 1 and words[-1].lower().rstrip(".") in _FORM_WORDS:
        return " ".join(words[:-1]).strip(" ,"), words[-1]
    if len(words) > 1 and words[0].lower().rstrip(".") in _FORM_WORDS:
        return " ".join(words[1:]).strip(" ,"), words[0]
    return " ".join(words), ""


def company_name_key(name: str) -> str:
    """Case-, quote- and legal-form-insensitive key: '"АКМЕ" ООД' and 'Акме' share a key."""
    base, _form = split_legal_form(name)
    words = [word for word in _SPACES.split(base.lower()) if word and word.rstrip(".") not in _FORM_WORDS]
    return " ".join(words)


def email_key(address: str) -> str:
    return address.strip().lower()
