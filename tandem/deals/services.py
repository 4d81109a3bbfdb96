"""Writes on deals and the sales-process configuration. History and stage changes are written in
the same transaction as the change they record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tandem.accounts.models import User
from tandem.accounts.services import users_assignable
from tandem.accounts.visibility import can
from tandem.analytics.stage_rollups import (
    stage_rollup_created,
    stage_rollup_state,
    stage_rollup_update,
    stage_rollups_rebuild,
)
from tandem.contacts.models import Channel, Company, Contact, ReferenceItem
from tandem.core.errors import ApplicationError, PermissionDenied, ValidationError
from tandem.core.events import event_emit
from tandem.deals.errors import MissingFields, StaleDeal
from tandem.deals.models import (
    REQUIRABLE_FIELDS,
    Currency,
    Deal,
    DealContact,
    DealLine,
    LostReason,
    Pipeline,
    Product,
    ProductCategory,
    Stage,
    StageChange,
)
from tandem.deals.money import to_base
from tandem.history.models import Event
from tandem.history.services import diff, event_record, snapshot

DEAL_FIELDS = [
    "title",
    "company",
    "pipeline",
    "amount",
    "currency",
    "amount_from_lines",
    "expected_close_date",
    "owner",
    "channel",
    "next_step",
    "next_step_date",
    "notes",
]
# Fields a move may fill in on its way into a stage that requires them.
MOVE_FIELDS = [
    "amount",
    "currency",
    "expected_close_date",
    "company",
    "next_step",
    "next_step_date",
    "channel",
]


@dataclass(frozen=True)
class LineInput:
    name: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal = Decimal("0")
    product: Product | None = None


@dataclass(frozen=True)
class ContactInput:
    contact: Contact
    role: str = ""


def _require_admin(actor: User | None, what: str) -> None:
    if actor is not None and not actor.has_perm(f"deals.change_{what}"):
        raise PermissionDenied(_("Only administrators can change the sales process settings."))


def _require_change(actor: User | None, deal: Deal) -> None:
    if actor is not None and not can(actor, "change", deal):
        raise PermissionDenied(_("You are not allowed to change this deal."))


def _check_owner(actor: User | None, owner: User) -> None:
    if actor is None or owner.pk == actor.pk:
        return
    if not User.objects.filter(users_assignable(actor=actor), pk=owner.pk).exists():
        raise PermissionDenied(
            _("You cannot give deals to %(user)s.") % {"user": owner}, code="owner_not_allowed"
        )


def _check_company(actor: User | None, company: Company | None) -> None:
    if company is None or actor is None:
        return
    if company.is_deleted or not can(actor, "view", company):
        raise ValidationError({"company": _("Choose a company you can see.")}, code="invalid_company")


def _check_contacts(actor: User | None, contacts: Sequence[ContactInput]) -> None:
    if actor is None:
        return
    for item in contacts:
        if item.contact.is_deleted or not can(actor, "view", item.contact):
            raise ValidationError({"contacts": _("Choose contacts you can see.")}, code="invalid_contact")


def _first_open_stage(pipeline: Pipeline) -> Stage:
    stage = pipeline.stages.filter(is_archived=False, kind=Stage.Kind.OPEN).order_by("position", "id").first()
    if stage is None:
        raise ValidationError(
            {"pipeline": _("This pipeline has no open stage.")}, code="pipeline_without_stages"
        )
    return stage


def _lines(lines: Sequence[LineInput]) -> list[DealLine]:
    built: list[DealLine] = []
    for position, item in enumerate(lines):
        try:
            line = DealLine(
                product=item.product,
                name=(item.name or (item.product.name if item.product else "")).strip()[:200],
                quantity=Decimal(item.quantity),
                unit_price=Decimal(item.unit_price),
                discount_percent=Decimal(item.discount_percent),
                position=position,
            )
        except (InvalidOperation, TypeError) as error:
            raise ValidationError(
                {"lines": _("Line %(n)s has an invalid number.") % {"n": position + 1}}
            ) from error
        if not line.name:
            raise ValidationError({"lines": _("Line %(n)s needs a name or a product.") % {"n": position + 1}})
        line.full_clean(exclude=["deal"])
        built.append(line)
    return built


def _apply(deal: Deal, data: dict[str, Any], allowed: list[str]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)}, code="unknown_field")
    for name, value in data.items():
        setattr(deal, name, value.strip() if isinstance(value, str) else value)


def _finish(deal: Deal, lines: list[DealLine] | None, *, currency_changed: bool = True) -> None:
    """Derive the amount from the lines when asked to, convert it, and validate the row.

    A currency retired later does not lock its deals: only choosing it anew is refused."""
    if deal.amount_from_lines and lines is not None:
        deal.amount = sum((line.total for line in lines), Decimal("0.00"))
    if currency_changed and not deal.currency.is_active:
        raise ValidationError({"currency": _("This currency is not in use.")}, code="inactive_currency")
    deal.amount_base = to_base(deal.amount, deal.currency)
    deal.full_clean(exclude=["owner", "contacts", "shared_with", "company", "channel", "lost_reason"])


def _save_lines(deal: Deal, lines: list[DealLine] | None) -> list[dict]:
    if lines is None:
        return []
    old = [f"{line.name} × {line.quantity}" for line in deal.lines.all()]
    deal.lines.all().delete()
    for line in lines:
        line.deal = deal
    DealLine.objects.bulk_create(lines)
    new = [f"{line.name} × {line.quantity}" for line in lines]
    return [{"field": "lines", "old": old, "new": new}] if old != new else []


def _save_contacts(deal: Deal, contacts: Sequence[ContactInput] | None) -> list[dict]:
    if contacts is None:
        return []
    old = sorted(str(link.contact) for link in deal.deal_contacts.select_related("contact"))
    deal.deal_contacts.all().delete()
    unique = {item.contact.pk: item for item in contacts}
    DealContact.objects.bulk_create(
        [
            DealContact(deal=deal, contact=item.contact, role=item.role.strip()[:100])
            for item in unique.values()
        ]
    )
    new = sorted(str(item.contact) for item in unique.values())
    return [{"field": "contacts", "old": old, "new": new}] if old != new else []


def _missing(deal: Deal, stage: Stage) -> list[str]:
    missing: list[str] = []
    for name in stage.required_fields or []:
        if name == "contacts":
            present = deal.pk is not None and deal.deal_contacts.exists()
        elif name == "lines":
            present = deal.pk is not None and deal.lines.exists()
        elif name == "company":
            present = deal.company_id is not None
        elif name == "channel":
            present = deal.channel_id is not None
        else:
            present = getattr(deal, name) not in (None, "")
        if not present:
            missing.append(name)
    return missing


def _locked(deal: Deal, *related: str) -> Deal:
    """The deal row locked for this transaction, then read fresh with its `related` rows.

    Two statements on purpose: a locking query that joins the stage would, on PostgreSQL, recheck the
    row another transaction just moved against the *old* stage row and find nothing (DoesNotExist);
    FOR UPDATE would also lock the joined stage/currency rows (serialising unrelated moves) and is
    refused on the nullable side of an outer join (company).
    """
    Deal.objects.select_for_update().filter(pk=deal.pk).values_list("pk").get()
    return Deal.objects.select_related(*related).get(pk=deal.pk)


def _record_change(deal: Deal, actor: User | None, from_stage: Stage | None, to_stage: Stage) -> None:
    now = timezone.now()
    seconds = int((now - deal.stage_entered_at).total_seconds()) if from_stage is not None else None
    StageChange.objects.create(
        deal=deal,
        from_stage=from_stage,
        to_stage=to_stage,
        changed_at=now,
        actor=actor,
        seconds_in_previous=seconds,
        is_first_entry=from_stage is None,  # a creation; a move's flags follow (stage_rollup_update)
    )
    deal.stage_entered_at = now


@transaction.atomic
def deal_create(
    *,
    actor: User | None,
    data: dict[str, Any],
    lines: Sequence[LineInput] | None = None,
    contacts: Sequence[ContactInput] | None = None,
    stage: Stage | None = None,
    taken: bool = True,
) -> Deal:
    """Create a deal in `stage` (default: the pipeline's first open stage); records its entry.

    `taken=False` marks an inbound request nobody has picked up yet (web form, call, email).
    """
    if actor is not None and not actor.has_perm("deals.add_deal"):
        raise PermissionDenied(_("Your role cannot create deals."))
    deal = Deal()
    data = {"owner": actor, **data}
    if "currency" not in data or data["currency"] is None:
        data["currency"] = Currency.objects.get(pk=base_currency())
    _apply(deal, data, DEAL_FIELDS)
    _check_owner(actor, deal.owner)
    _check_company(actor, deal.company)
    _check_contacts(actor, contacts or [])
    stage = _first_open_stage(deal.pipeline) if stage is None else Stage.objects.get(pk=stage.pk)
    if stage.pipeline_id != deal.pipeline.pk or stage.is_archived:
        raise ValidationError({"stage": _("Choose an active stage of this pipeline.")}, code="invalid_stage")
    deal.stage = stage
    built = _lines(lines) if lines is not None else None
    _finish(deal, built)
    now = timezone.now()
    deal.created_at = deal.updated_at = deal.stage_entered_at = now
    deal.taken_at = now if taken else None
    if stage.kind == Stage.Kind.LOST:
        raise ValidationError(
            {"stage": _("Create the deal first, then mark it lost with a reason.")}, code="create_into_lost"
        )
    if stage.kind == Stage.Kind.WON:
        deal.won_at = now
    deal.save()
    _save_lines(deal, built)
    _save_contacts(deal, contacts)
    missing = _missing(deal, stage)
    if missing:
        raise MissingFields(_("This stage needs more information first."), fields=missing)
    _record_change(deal, actor, None, stage)
    stage_rollup_created(stage_id=stage.pk, owner_id=deal.owner_id, changed_at=deal.stage_entered_at)
    event_record(actor=actor, action=Event.Action.CREATED, target=deal, parent=deal.company)
    event_emit("deal.created", deal, actor=actor)
    return deal


def base_currency() -> str:
    from tandem.deals.money import base_currency_code

    return base_currency_code()


@transaction.atomic
def deal_update(
    *,
    actor: User | None,
    deal: Deal,
    data: dict[str, Any],
    lines: Sequence[LineInput] | None = None,
    contacts: Sequence[ContactInput] | None = None,
) -> Deal:
    """Change a deal's fields, lines or contacts. The stage changes only through `deal_move`."""
    deal = _locked(deal, "currency", "stage")
    _require_change(actor, deal)
    if "pipeline" in data and data["pipeline"] != deal.pipeline:
        raise ValidationError({"pipeline": _("Move the deal to a stage of the other pipeline instead.")})
    before = snapshot(deal, DEAL_FIELDS)
    company_before, currency_before, owner_before = deal.company_id, deal.currency_id, deal.owner_id
    rollups_before = stage_rollup_state([deal.pk]) if "owner" in data else None
    _apply(deal, data, DEAL_FIELDS)
    if "owner" in data:
        _check_owner(actor, deal.owner)
    # By id: two companies may share a name, and only a newly chosen one needs checking.
    if "company" in data and deal.company_id != company_before:
        _check_company(actor, deal.company)
    if contacts is not None:
        _check_contacts(actor, contacts)
    built = _lines(lines) if lines is not None else None
    if built is None and deal.amount_from_lines:
        built = list(deal.lines.all())
    _finish(deal, built, currency_changed=deal.currency_id != currency_before)
    deal.updated_at = timezone.now()
    deal.save()
    if rollups_before is not None and deal.owner_id != owner_before:
        stage_rollup_update([deal.pk], rollups_before)  # the deal's figures follow its owner
    changes = diff(before, snapshot(deal, DEAL_FIELDS))
    changes += _save_lines(deal, built if lines is not None else None) + _save_contacts(deal, contacts)
    if changes:
        event_record(
            actor=actor, action=Event.Action.UPDATED, target=deal, changes=changes, parent=deal.company
        )
        event_emit("deal.updated", deal, actor=actor)
    return deal


@transaction.atomic
def deal_move(
    *,
    actor: User | None,
    deal: Deal,
    stage: Stage,
    fields: dict[str, Any] | None = None,
    lost_reason: LostReason | None = None,
    expected_stage: Stage | None = None,
) -> Deal:
    """Move a deal to `stage` of its pipeline: the only way a deal changes stage.

    Refuses (nothing changed) a stage of another pipeline or an archived one, a move that would
    leave fields the stage requires empty (`MissingFields`, fill them via `fields`), a lost stage
    without a reason, and a move based on a stale view (`expected_stage` is not where the deal is).
    """
    deal = _locked(deal, "stage", "currency", "company")
    # The stage as it is now, not as the caller last read it (an admin may have archived or re-ruled it).
    stage = Stage.objects.get(pk=stage.pk)
    _require_change(actor, deal)
    if deal.is_deleted:
        raise ValidationError(_("This deal is in the trash."), code="deal_trashed")
    if expected_stage is not None and deal.stage_id != expected_stage.pk:
        raise StaleDeal(
            _("Someone moved this deal to “%(stage)s” in the meantime.") % {"stage": deal.stage},
            current_stage_id=deal.stage_id,
        )
    if stage.pipeline_id != deal.pipeline_id:
        raise ValidationError(
            {"stage": _("This stage belongs to another pipeline.")}, code="stage_other_pipeline"
        )
    if stage.is_archived:
        raise ValidationError({"stage": _("This stage is archived.")}, code="stage_archived")
    if stage.pk == deal.stage_id:
        return deal
    before = snapshot(deal, ["stage", *MOVE_FIELDS, "lost_reason"])
    rollups_before = stage_rollup_state([deal.pk])
    _apply(deal, fields or {}, MOVE_FIELDS)
    if fields and "company" in fields:
        _check_company(actor, deal.company)
    missing = _missing(deal, stage)
    if missing:
        raise MissingFields(_("This stage needs more information first."), fields=missing)
    now = timezone.now()
    if stage.kind == Stage.Kind.LOST:
        if lost_reason is None:
            raise ValidationError(
                {"lost_reason": _("Say why the deal was lost.")}, code="lost_reason_required"
            )
        deal.lost_reason, deal.lost_at, deal.won_at = lost_reason, now, None
    elif stage.kind == Stage.Kind.WON:
        deal.won_at, deal.lost_at, deal.lost_reason = now, None, None
    else:
        deal.won_at = deal.lost_at = None
        deal.lost_reason = None
    previous = deal.stage
    deal.stage = stage
    if deal.taken_at is None and actor is not None:
        deal.taken_at = now
    _finish(deal, None, currency_changed="currency" in (fields or {}))
    _record_change(deal, actor, previous, stage)
    deal.updated_at = now
    deal.save()
    stage_rollup_update([deal.pk], rollups_before)  # the funnel's rollups, in this transaction
    changes = diff(before, snapshot(deal, ["stage", *MOVE_FIELDS, "lost_reason"]))
    event_record(actor=actor, action=Event.Action.UPDATED, target=deal, changes=changes, parent=deal.company)
    event_emit("deal.stage_changed", deal, actor=actor, previous_stage_id=previous.pk)
    if stage.kind != Stage.Kind.OPEN:
        event_emit(f"deal.{stage.kind}", deal, actor=actor)
    return deal


@transaction.atomic
def deal_take(*, actor: User, deal: Deal) -> Deal:
    """A rep picks up an inbound request: it becomes theirs and stops being 'not yet taken'."""
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    if not can(actor, "view", deal) or not actor.has_perm("deals.change_deal"):
        raise PermissionDenied(_("You are not allowed to take this deal."))
    if deal.taken_at is None:
        old_owner = str(deal.owner)
        rollups_before = stage_rollup_state([deal.pk])
        deal.owner, deal.taken_at, deal.updated_at = actor, timezone.now(), timezone.now()
        deal.save(update_fields=["owner", "taken_at", "updated_at"])
        stage_rollup_update([deal.pk], rollups_before)
        event_record(
            actor=actor,
            action=Event.Action.REASSIGNED,
            target=deal,
            parent=deal.company,
            changes=[{"field": "owner", "old": old_owner, "new": str(actor)}],
        )
        event_emit("deal.updated", deal, actor=actor)
    return deal


@transaction.atomic
def deal_trash(*, actor: User | None, deal: Deal) -> Deal:
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    if actor is not None and not (actor.has_perm("deals.delete_deal") and can(actor, "change", deal)):
        raise PermissionDenied(_("You are not allowed to delete this deal."))
    if deal.deleted_at is None:
        rollups_before = stage_rollup_state([deal.pk])
        deal.deleted_at = timezone.now()
        deal.save(update_fields=["deleted_at"])
        stage_rollup_update([deal.pk], rollups_before)  # out of the funnel
        event_record(actor=actor, action=Event.Action.DELETED, target=deal, parent=deal.company)
        event_emit("deal.deleted", deal, actor=actor)
    return deal


@transaction.atomic
def deal_restore(*, actor: User | None, deal: Deal) -> Deal:
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    if actor is not None and not (actor.has_perm("deals.delete_deal") and can(actor, "change", deal)):
        raise PermissionDenied(_("You are not allowed to restore this deal."))
    if deal.deleted_at is not None:
        rollups_before = stage_rollup_state([deal.pk])
        deal.deleted_at = None
        deal.save(update_fields=["deleted_at"])
        stage_rollup_update([deal.pk], rollups_before)  # back in the funnel
        event_record(actor=actor, action=Event.Action.RESTORED, target=deal, parent=deal.company)
        event_emit("deal.updated", deal, actor=actor)
    return deal


# --- the sales process: pipelines, stages, products, currencies --------------------------------------


@transaction.atomic
def pipeline_create(*, actor: User | None, name: str, stages: Sequence[dict[str, Any]] = ()) -> Pipeline:
    """A pipeline with its stages in the given order (each a dict of Stage fields)."""
    _require_admin(actor, "pipeline")
    pipeline = Pipeline(name=name.strip(), position=Pipeline.objects.count())
    pipeline.full_clean()
    pipeline.save()
    for position, values in enumerate(stages):
        stage_create(actor=actor, pipeline=pipeline, data={**values, "position": position})
    return pipeline


def _clean_stage(stage: Stage) -> None:
    unknown = [name for name in stage.required_fields or [] if name not in REQUIRABLE_FIELDS]
    if not isinstance(stage.required_fields, list) or unknown:
        raise ValidationError({"required_fields": _("Unknown field.")}, code="invalid_required_fields")
    stage.full_clean()


@transaction.atomic
def stage_create(*, actor: User | None, pipeline: Pipeline, data: dict[str, Any]) -> Stage:
    _require_admin(actor, "stage")
    stage = Stage(pipeline=pipeline)
    data = {"position": pipeline.stages.count(), **data}
    for name, value in data.items():
        setattr(stage, name, value)
    _clean_stage(stage)
    stage.save()
    return stage


@transaction.atomic
def stage_update(*, actor: User | None, stage: Stage, data: dict[str, Any]) -> Stage:
    """Rename, recolour, re-rule or archive a stage. Deals stay where they are."""
    _require_admin(actor, "stage")
    stage = Stage.objects.select_for_update().get(pk=stage.pk)
    if "pipeline" in data:
        raise ValidationError({"pipeline": _("A stage cannot move to another pipeline.")})
    order_before = (stage.kind, stage.position)
    for name, value in data.items():
        setattr(stage, name, value)
    _clean_stage(stage)
    stage.save()
    if (stage.kind, stage.position) != order_before:
        stage_rollups_rebuild(pipeline_id=stage.pipeline_id)  # which entries "moved on" depends on the order
    return stage


@transaction.atomic
def stages_reorder(*, actor: User | None, pipeline: Pipeline, stage_ids: list[int]) -> None:
    _require_admin(actor, "stage")
    current = set(pipeline.stages.values_list("id", flat=True))
    if set(stage_ids) != current or len(stage_ids) != len(current):
        raise ValidationError(_("List every stage of the pipeline exactly once."), code="invalid_order")
    positions = dict(pipeline.stages.values_list("id", "position"))
    for position, stage_id in enumerate(stage_ids):
        Stage.objects.filter(pk=stage_id).update(position=position)
    if positions != {stage_id: position for position, stage_id in enumerate(stage_ids)}:
        stage_rollups_rebuild(pipeline_id=pipeline.pk)  # which entries "moved on" depends on the order


@transaction.atomic
def product_save(*, actor: User | None, product: Product | None, data: dict[str, Any]) -> Product:
    _require_admin(actor, "product")
    product = product or Product()
    for name, value in data.items():
        setattr(product, name, value.strip() if isinstance(value, str) else value)
    # Before full_clean: its constraint check would report the SKU as a nameless `__all__` error.
    if product.sku and Product.objects.filter(sku=product.sku).exclude(pk=product.pk).exists():
        raise ValidationError({"sku": _("Another product has this SKU.")}, code="duplicate_sku")
    product.full_clean(validate_unique=False)
    product.save()
    return product


@transaction.atomic
def currency_save(
    *, actor: User | None, code: str, rate: Decimal, name: str = "", is_active: bool = True
) -> Currency:
    """Add a currency or change its rate. Existing deals keep their converted amounts until edited."""
    _require_admin(actor, "currency")
    code = code.strip().upper()
    if code == base_currency() and Decimal(rate) != 1:
        raise ValidationError({"rate": _("The base currency's rate is always 1.")}, code="base_rate")
    currency = Currency.objects.filter(pk=code).first() or Currency(code=code)
    currency.rate, currency.is_active = Decimal(rate), is_active
    if name:
        currency.name = name
    currency.full_clean(validate_unique=False)
    currency.save()
    return currency


# --- bulk actions on deals and the rest of the sales-process settings -------------------------------


def _deals_writable(actor: User, queryset: Any) -> list[Deal]:
    """Lock the chosen deals and refuse the whole batch if any one is not the actor's to change."""
    from tandem.accounts.visibility import scope_q

    rows = list(queryset.select_for_update().order_by("pk"))
    allowed = Deal.objects.filter(scope_q(actor, Deal, "change"), pk__in=[row.pk for row in rows]).count()
    if allowed != len(rows) or not actor.has_perm("deals.change_deal"):
        raise PermissionDenied(_("Some of the chosen deals are not yours to change; nothing was changed."))
    trashed = [row for row in rows if row.is_deleted]
    if trashed:
        raise ValidationError(
            _("“%(deal)s” is in the trash; nothing was changed.") % {"deal": trashed[0]}, code="deal_trashed"
        )
    return rows


@transaction.atomic
def deals_reassign(*, actor: User, queryset: Any, owner: User) -> int:
    """Give the chosen deals to `owner` (bulk action): all of them, or none when any is refused."""
    _check_owner(actor, owner)
    rows = _deals_writable(actor, queryset)
    changed = [row for row in rows if row.owner_id != owner.pk]
    for row in changed:
        event_record(
            actor=actor,
            action=Event.Action.REASSIGNED,
            target=row,
            parent=row.company,
            changes=[{"field": "owner", "old": str(row.owner), "new": str(owner)}],
        )
        event_emit("deal.updated", row, actor=actor)
    rollups_before = stage_rollup_state([row.pk for row in changed])
    Deal.objects.filter(pk__in=[row.pk for row in changed]).update(owner=owner, updated_at=timezone.now())
    stage_rollup_update(rollups_before.deal_ids, rollups_before)
    return len(changed)


@transaction.atomic
def deals_move_bulk(*, actor: User, queryset: Any, stage: Stage) -> int:
    """Move the chosen deals to `stage` with `deal_move` each: all of them, or none.

    A refusal for any one deal (another pipeline, fields the stage requires, a lost stage that needs
    a reason) rolls the batch back and is re-raised as an ApplicationError naming that deal.
    """
    rows = _deals_writable(actor, queryset)
    moved = 0
    for row in rows:
        if row.stage_id == stage.pk:
            continue
        try:
            deal_move(actor=actor, deal=row, stage=stage)
        except MissingFields as error:
            names = ", ".join(str(REQUIRABLE_FIELDS[name]) for name in error.fields)
            raise ApplicationError(
                _("“%(deal)s” needs %(fields)s before it can enter “%(stage)s”; nothing was moved.")
                % {"deal": row, "fields": names, "stage": stage},
                code=error.code,
                extra={"deal": row.pk, "fields": error.fields},
            ) from error
        except DjangoValidationError as error:
            raise ApplicationError(
                _("“%(deal)s” cannot move: %(reason)s Nothing was moved.")
                % {"deal": row, "reason": " ".join(error.messages)},
                code=str(getattr(error, "code", None) or "invalid_move"),
                extra={"deal": row.pk},
            ) from error
        moved += 1
    return moved


@transaction.atomic
def pipeline_update(*, actor: User | None, pipeline: Pipeline, data: dict[str, Any]) -> Pipeline:
    """Rename, activate or deactivate a pipeline. Its deals and stages stay as they are."""
    _require_admin(actor, "pipeline")
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    unknown = set(data) - {"name", "is_active"}
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)}, code="unknown_field")
    for name, value in data.items():
        setattr(pipeline, name, value.strip() if isinstance(value, str) else value)
    pipeline.full_clean()
    pipeline.save()
    return pipeline


@transaction.atomic
def stage_archive(*, actor: User | None, stage: Stage, archived: bool = True) -> Stage:
    """Archive a stage (no new deals enter it) or bring it back. Its deals stay on it, never lost."""
    return stage_update(actor=actor, stage=stage, data={"is_archived": archived})


@transaction.atomic
def stage_shift(*, actor: User | None, stage: Stage, offset: int) -> None:
    """Move a stage one place up (-1) or down (+1) within its pipeline."""
    ids = list(stage.pipeline.stages.order_by("position", "id").values_list("id", flat=True))
    index = ids.index(stage.pk)
    target = index + (1 if offset > 0 else -1)
    if 0 <= target < len(ids):
        ids[index], ids[target] = ids[target], ids[index]
    stages_reorder(actor=actor, pipeline=stage.pipeline, stage_ids=ids)


def _reference_save(
    *, actor: User | None, permission: str, item: ReferenceItem, name: str, is_active: bool
) -> Any:
    if actor is not None and not actor.has_perm(permission):
        raise PermissionDenied(_("Only administrators can change the sales process settings."))
    model: Any = type(item)
    item.name, item.is_active = " ".join(name.split()), is_active
    if item.pk is None:
        item.position = model.objects.count()
    item.full_clean(validate_unique=False)
    if model.objects.filter(name__iexact=item.name).exclude(pk=item.pk).exists():
        raise ValidationError({"name": _("This name is already in the list.")}, code="duplicate_name")
    item.save()
    return item


@transaction.atomic
def lost_reason_save(
    *, actor: User | None, reason: LostReason | None, name: str, is_active: bool = True
) -> LostReason:
    """Add or rename a lost reason, or (de)activate it; deals keep the reasons they were lost for."""
    item: LostReason = _reference_save(
        actor=actor, permission="deals.change_lostreason", item=reason or LostReason(), name=name,
        is_active=is_active,
    )  # fmt: skip
    return item


@transaction.atomic
def channel_save(
    *, actor: User | None, channel: Channel | None, name: str, is_active: bool = True
) -> Channel:
    """Add or rename a lead channel, or (de)activate it."""
    item: Channel = _reference_save(
        actor=actor, permission="contacts.change_channel", item=channel or Channel(), name=name,
        is_active=is_active,
    )  # fmt: skip
    return item


@transaction.atomic
def product_category_save(
    *, actor: User | None, category: ProductCategory | None, name: str, is_active: bool = True
) -> ProductCategory:
    """Add or rename a product category, or (de)activate it."""
    item: ProductCategory = _reference_save(
        actor=actor, permission="deals.change_productcategory", item=category or ProductCategory(),
        name=name, is_active=is_active,
    )  # fmt: skip
    return item
