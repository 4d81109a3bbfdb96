"""Lead intake: a web-form or inbound-API submission becomes a contact (found or new) and a new deal.

The submission row is written first, outside the processing transaction, so an incoming request is
kept even when its processing fails; its status then says what happened (accepted, spam, rejected,
failed) and the admin page lists it.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from tandem.accounts.models import User
from tandem.accounts.roles import Role
from tandem.contacts.matching import contact_match
from tandem.contacts.models import Company, Contact
from tandem.contacts.normalize import company_name_key, email_key
from tandem.contacts.services import EmailInput, PhoneInput, company_create, contact_create
from tandem.core.errors import ApplicationError, Conflict, PermissionDenied, ValidationError
from tandem.core.phones import InvalidPhone, parse_phone
from tandem.deals.models import Deal
from tandem.deals.services import ContactInput, deal_create
from tandem.leads.models import LEAD_FIELDS, UTM_FIELDS, LeadSubmission, WebForm
from tandem.notifications.models import Notification
from tandem.notifications.services import notify

logger = logging.getLogger(__name__)

# A hidden input people never see; bots fill every field they find.
HONEYPOT_FIELD = "website"
MAX_LENGTHS = {"name": 200, "company": 255, "phone": 64, "email": 254, "message": 5000}
UTM_MAX_LENGTH = 200
# Submissions per client address and window before 429; a shared office address stays well below.
RATE_LIMIT = 10
RATE_WINDOW_SECONDS = 600
# The web-form endpoint refuses bodies larger than this (a lead is a few hundred bytes).
MAX_BODY_BYTES = 16 * 1024


class LeadReplayed(Conflict):
    """The inbound API got the same `Idempotency-Key` twice: the first request stands."""

    code = "duplicate_request"


class LeadInvalid(ApplicationError):
    """The submission does not pass the form's rules; `fields` maps each input to its messages."""

    code = "invalid"

    def __init__(self, fields: dict[str, list[str]], *, code: str = "invalid"):
        message = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in fields.items())
        super().__init__(message, code=code)
        self.fields = fields


@dataclass(frozen=True)
class LeadData:
    name: str
    company: str
    phone: str  # E.164, or "" when not given
    phone_raw: str
    email: str  # case-folded, or ""
    message: str


# --- rate limit ----------------------------------------------------------------------------------


def _rate_key(address: str) -> str:
    return "leads:ip:" + hashlib.sha256(address.encode()).hexdigest()[:32]


def lead_rate_limited(address: str) -> bool:
    """Count one submission from `address`; True once it is over the allowance for the window."""
    key = _rate_key(address or "unknown")
    if cache.add(key, 1, timeout=RATE_WINDOW_SECONDS):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=RATE_WINDOW_SECONDS)
        return False
    return count > RATE_LIMIT


# --- validation ----------------------------------------------------------------------------------


def _text(payload: dict[str, Any], name: str, limit: int, errors: dict[str, list[str]]) -> str:
    value = payload.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[name] = [_("Send this as text.")]
        return ""
    value = value.strip()
    if len(value) > limit:
        errors[name] = [_("At most %(limit)s characters.") % {"limit": limit}]
    return value


def lead_validate(*, form: WebForm, payload: dict[str, Any], source: str) -> LeadData:
    """Check a submission against the form: only known fields, required ones filled, phone and email real.

    Raises LeadInvalid with one message list per field; its code is `unknown_field` when a key is
    not accepted, else `invalid`.
    """
    accepted = set(LEAD_FIELDS) if source == LeadSubmission.Source.API else set(form.fields)
    unknown = sorted(set(payload) - accepted - set(UTM_FIELDS))
    if unknown:
        raise LeadInvalid({name: [_("Unknown field.")] for name in unknown}, code="unknown_field")
    errors: dict[str, list[str]] = {}
    values = {name: _text(payload, name, limit, errors) for name, limit in MAX_LENGTHS.items()}
    for name in UTM_FIELDS:
        _text(payload, name, UTM_MAX_LENGTH, errors)
    for name in form.required_fields:
        if name in LEAD_FIELDS and not values[name] and name not in errors:
            errors[name] = [_("This field is required.")]
    phone = ""
    if values["phone"] and "phone" not in errors:
        try:
            phone = parse_phone(values["phone"]).e164
        except InvalidPhone:
            errors["phone"] = [_("“%(number)s” is not a valid phone number.") % {"number": values["phone"]}]
    email = email_key(values["email"])
    if email and "email" not in errors:
        try:
            validate_email(email)
        except DjangoValidationError:
            errors["email"] = [
                _("“%(address)s” is not a valid email address.") % {"address": values["email"]}
            ]
    if not values["phone"] and not values["email"] and not errors:
        field = "phone" if "phone" in accepted else "email"
        errors[field] = [_("Leave a phone number or an email so that we can reach you.")]
    if errors:
        raise LeadInvalid(errors)
    return LeadData(
        name=values["name"],
        company=values["company"],
        phone=phone,
        phone_raw=values["phone"],
        email=email,
        message=values["message"],
    )


# --- intake --------------------------------------------------------------------------------------


def _next_owner(form: WebForm) -> User:
    """The form's owner, or the next active rep of its team after the one who got the previous lead."""
    if form.owner_id is not None:
        owner = User.objects.get(pk=form.owner_id)
        if not owner.is_active:
            raise ApplicationError(_("The form's owner is no longer active."), code="no_owner")
        return owner
    locked = WebForm.objects.select_for_update().only("pk", "team_id", "last_assignee_id").get(pk=form.pk)
    team_id = locked.team_id or 0
    reps = list(
        User.objects.filter(team_id=team_id, is_active=True, role=Role.REP.value)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not reps:
        head = User.objects.filter(headed_teams=team_id, is_active=True).first()
        if head is None:
            raise ApplicationError(_("The form's team has no active sales rep."), code="no_owner")
        return head
    last = locked.last_assignee_id or 0
    chosen = next((pk for pk in reps if pk > last), reps[0])
    WebForm.objects.filter(pk=form.pk).update(last_assignee_id=chosen)
    return User.objects.get(pk=chosen)


def _split_name(name: str) -> tuple[str, str]:
    first, _space, last = name.partition(" ")
    return first[:100], last.strip()[:100]


def _deal_notes(data: LeadData, submission: LeadSubmission) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        lines = [data.message] if data.message else []
        submitted = [
            f"{LEAD_FIELDS[name]}: {value}"
            for name, value in (
                ("name", data.name),
                ("company", data.company),
                ("phone", data.phone_raw),
                ("email", data.email),
            )
            if value
        ]
    utm = [f"{name}: {getattr(submission, name)}" for name in UTM_FIELDS if getattr(submission, name)]
    return "\n\n".join(part for part in ("\n".join(lines), "\n".join(submitted), "\n".join(utm)) if part)


def _contact_for(data: LeadData, form: WebForm, owner: User) -> tuple[Contact, bool]:
    """The existing contact with this phone/email, or a new one (with its company when given)."""
    found = contact_match(
        phones=[data.phone] if data.phone else [], emails=[data.email] if data.email else []
    )
    if found is not None:
        return found, True
    company = None
    if data.company:
        company = (
            Company.objects.filter(name_key=company_name_key(data.company), deleted_at__isnull=True)
            .order_by("pk")
            .first()
        )
        if company is None:
            company = company_create(
                actor=None, data={"name": data.company, "owner": owner, "channel": form.channel}
            )
    first_name, last_name = _split_name(data.name or data.email or data.phone_raw)
    contact = contact_create(
        actor=None,
        data={
            "first_name": first_name,
            "last_name": last_name,
            "company": company,
            "owner": owner,
            "channel": form.channel,
        },
        phones=[PhoneInput(data.phone_raw)] if data.phone else [],
        emails=[EmailInput(data.email)] if data.email else [],
    )
    return contact, False


@transaction.atomic
def _process(submission: LeadSubmission, form: WebForm, data: LeadData) -> Deal:
    owner = _next_owner(form)
    contact, matched = _contact_for(data, form, owner)
    deal = deal_create(
        actor=None,
        data={
            "title": f"{form.name}: {contact}"[:255],
            "pipeline": form.pipeline,
            "owner": owner,
            "channel": form.channel,
            "company": contact.company,
            "notes": _deal_notes(data, submission),
        },
        contacts=[ContactInput(contact)],
        taken=False,
    )
    from tandem.notifications.digest import recipient_locale

    with recipient_locale(owner):
        title = _("New lead: %(deal)s") % {"deal": deal.title}
        body = _("Contact the client soon: the lead came in from the form “%(form)s”.") % {"form": form.name}
    notify(
        recipient=owner,
        kind=Notification.Kind.LEAD_UNTOUCHED,
        key=f"lead-new:{deal.pk}",
        title=title,
        body=body,
        url=f"/deals/{deal.pk}/",
    )
    submission.status = LeadSubmission.Status.ACCEPTED
    submission.contact, submission.contact_matched, submission.deal = contact, matched, deal
    submission.save(update_fields=["status", "contact", "contact_matched", "deal"])
    return deal


def _refuse(
    submission: LeadSubmission, status: str, code: str, message: str, fields: dict | None = None
) -> None:
    submission.status, submission.error_code, submission.error = status, code[:40], message
    submission.field_errors = fields or {}
    submission.save(update_fields=["status", "error_code", "error", "field_errors"])


def lead_capture(
    *,
    form: WebForm,
    source: str,
    payload: dict[str, Any],
    ip: str | None = None,
    origin_allowed: bool = True,
    idempotency_key: str = "",
) -> LeadSubmission:
    """Record a submission, then validate it and create or match the contact and a new deal.

    Never raises for the submitter's mistakes: the returned submission's `status` says what happened
    and, when rejected, `error_code`, `error` and `field_errors` say why. A filled honeypot (web forms
    only) marks it spam and creates nothing; so does a post from a site not among the form's origins
    (`origin_allowed` False, rejected). The deal is an untaken inbound request in the pipeline's
    first open stage, owned per the form's rule; the owner is notified at once.
    """
    utm = {name: str(payload.get(name) or "")[:UTM_MAX_LENGTH] for name in UTM_FIELDS}
    try:
        with transaction.atomic():
            submission = LeadSubmission.objects.create(
                form=form,
                source=source,
                payload=payload,
                ip=ip or None,
                idempotency_key=idempotency_key,
                **utm,
            )
    except IntegrityError as error:
        original = LeadSubmission.objects.filter(form=form, idempotency_key=idempotency_key).first()
        raise LeadReplayed(
            _("This request was already received (Idempotency-Key %(key)s).") % {"key": idempotency_key},
            extra={"submission": original.pk if original else None},
        ) from error
    payload = dict(payload)
    if source == LeadSubmission.Source.FORM:
        honeypot = payload.pop(HONEYPOT_FIELD, "")
        if honeypot:
            _refuse(submission, LeadSubmission.Status.SPAM, "spam", "honeypot")
            return submission
    if not origin_allowed:
        message = _("This site may not send leads to the form; add it to the form's allowed sites.")
        _refuse(submission, LeadSubmission.Status.REJECTED, "origin_not_allowed", message)
        return submission
    if not form.is_active:
        _refuse(submission, LeadSubmission.Status.REJECTED, "form_inactive", _("This form is switched off."))
        return submission
    try:
        data = lead_validate(form=form, payload=payload, source=source)
    except LeadInvalid as error:
        _refuse(submission, LeadSubmission.Status.REJECTED, error.code, error.message, error.fields)
        return submission
    try:
        _process(submission, form, data)
    except (ApplicationError, DjangoValidationError) as error:
        message = error.message if isinstance(error, ApplicationError) else "; ".join(error.messages)
        code = error.code if isinstance(error, ApplicationError) else str(error.code or "invalid")
        logger.warning("Lead submission %s failed: %s", submission.pk, message)
        _refuse(submission, LeadSubmission.Status.FAILED, code, message)
    except Exception as error:  # the request is stored; an admin sees it as failed
        logger.exception("Lead submission %s failed", submission.pk)
        _refuse(submission, LeadSubmission.Status.FAILED, "server_error", repr(error)[:1000])
    return submission


def webform_for_inbound(*, key: str | None) -> WebForm:
    """The form named by `key` for the inbound API, else the default one. NotFound-like errors are typed."""
    from tandem.core.errors import NotFound

    if key:
        form = WebForm.objects.select_related("pipeline", "channel").filter(key=key).first()
        if form is None:
            raise NotFound(_("There is no web form with this key."), code="form_not_found")
        return form
    form = WebForm.objects.select_related("pipeline", "channel").filter(is_default=True).first()
    if form is None:
        raise ApplicationError(
            _("Name the form by its key: no form is marked as the default for the inbound API."),
            code="form_required",
        )
    return form


# --- configuration -------------------------------------------------------------------------------

WEBFORM_FIELDS = [
    "name",
    "fields",
    "required_fields",
    "pipeline",
    "owner",
    "team",
    "channel",
    "thank_you_text",
    "allowed_origins",
    "is_active",
    "is_default",
]


def _clean_origins(origins: list[str]) -> list[str]:
    from urllib.parse import urlsplit

    cleaned: list[str] = []
    for origin in origins:
        origin = origin.strip().rstrip("/")
        if not origin:
            continue
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
            raise ValidationError(
                {
                    "allowed_origins": _("“%(origin)s” is not a site origin like https://example.com.")
                    % {"origin": origin}
                },
                code="invalid_origin",
            )
        cleaned.append(f"{parts.scheme}://{parts.netloc.lower()}")
    return list(dict.fromkeys(cleaned))


@transaction.atomic
def webform_save(*, actor: User | None, form: WebForm | None, data: dict[str, Any]) -> WebForm:
    """Create (`form` None) or change a web form. Administrators only (those who run the sales process)."""
    if actor is not None and not actor.has_perm("deals.change_pipeline"):
        raise PermissionDenied(_("Only administrators can change web forms."))
    unknown = set(data) - set(WEBFORM_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)}, code="unknown_field")
    form = WebForm() if form is None else WebForm.objects.select_for_update().get(pk=form.pk)
    for name, value in data.items():
        setattr(form, name, value.strip() if isinstance(value, str) else value)
    form.fields = [name for name in LEAD_FIELDS if name in (form.fields or [])]
    form.required_fields = [name for name in form.fields if name in (form.required_fields or [])]
    form.allowed_origins = _clean_origins(list(form.allowed_origins or []))
    if "phone" not in form.fields and "email" not in form.fields:
        raise ValidationError(
            {"fields": _("Ask for a phone number or an email, or the lead cannot be reached.")},
            code="contact_field_required",
        )
    if (form.owner_id is None) == (form.team_id is None):
        raise ValidationError(
            {"owner": _("Choose either one owner or a team whose reps take turns.")}, code="owner_or_team"
        )
    if form.is_default:
        WebForm.objects.filter(is_default=True).exclude(pk=form.pk).update(is_default=False)
    form.full_clean(exclude=["last_assignee"])
    form.save()
    return form
