"""Writes on the activity settings administrators keep: activity types, outcomes and the untouched-lead
thresholds of each pipeline. Every function refuses callers without the matching permission
(`actor=None` is the system: CLI, demo data)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from tandem.accounts.models import User
from tandem.activities.models import Activity, ActivityType, Outcome
from tandem.activities.services import activity_type_save
from tandem.core.errors import ApplicationError, PermissionDenied, ValidationError
from tandem.deals.models import Pipeline


def _require(actor: User | None, permission: str) -> None:
    if actor is not None and not actor.has_perm(permission):
        raise PermissionDenied(_("Only administrators can change the sales process settings."))


def _duplicate_name(model: Any, name: str, pk: int | None) -> bool:
    return bool(model.objects.filter(name__iexact=name).exclude(pk=pk).exists())


@transaction.atomic
def activity_type_create(
    *, actor: User | None, name: str, icon: str, counts_as_contact: bool, is_active: bool = True
) -> ActivityType:
    """Add an admin-defined activity type (kind "other") at the end of the list."""
    _require(actor, "activities.add_activitytype")
    name = " ".join(name.split())
    if _duplicate_name(ActivityType, name, None):
        raise ValidationError({"name": _("This name is already in the list.")}, code="duplicate_name")
    position = (ActivityType.objects.aggregate(last=Max("position"))["last"] or 0) + 1
    data = {
        "name": name,
        "icon": icon,
        "counts_as_contact": counts_as_contact,
        "is_active": is_active,
        "position": position,
    }
    return activity_type_save(actor=actor, activity_type=None, data=data)


@transaction.atomic
def activity_type_update(
    *, actor: User | None, activity_type: ActivityType, data: dict[str, Any]
) -> ActivityType:
    """Rename a type, change its icon, whether it counts as contact, or (de)activate it."""
    _require(actor, "activities.change_activitytype")
    unknown = set(data) - {"name", "icon", "counts_as_contact", "is_active"}
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)}, code="unknown_field")
    if "name" in data:
        data = {**data, "name": " ".join(str(data["name"]).split())}
        if _duplicate_name(ActivityType, data["name"], activity_type.pk):
            raise ValidationError({"name": _("This name is already in the list.")}, code="duplicate_name")
    return activity_type_save(actor=actor, activity_type=activity_type, data=data)


@transaction.atomic
def activity_type_delete(*, actor: User | None, activity_type: ActivityType) -> None:
    """Delete an admin-defined type nobody used yet. Built-in types and used ones can only be
    deactivated: activities keep their type for ever."""
    _require(actor, "activities.delete_activitytype")
    if activity_type.kind != ActivityType.Kind.OTHER:
        raise ApplicationError(
            _("Built-in activity types cannot be deleted; deactivate the type instead."), code="built_in"
        )
    if Activity.objects.filter(type=activity_type).exists():
        raise ApplicationError(
            _("Activities of this type exist; deactivate the type instead."), code="type_in_use"
        )
    activity_type.delete()


@transaction.atomic
def activity_type_move(*, actor: User | None, activity_type: ActivityType, offset: int) -> None:
    """Move a type one place up (-1) or down (+1) in the lists people choose from."""
    _require(actor, "activities.change_activitytype")
    ids = list(
        ActivityType.objects.select_for_update().order_by("position", "name").values_list("id", flat=True)
    )
    index = ids.index(activity_type.pk)
    target = index + (1 if offset > 0 else -1)
    if 0 <= target < len(ids):
        ids[index], ids[target] = ids[target], ids[index]
    for position, pk in enumerate(ids):
        ActivityType.objects.filter(pk=pk).exclude(position=position).update(position=position)


@transaction.atomic
def outcome_save(
    *, actor: User | None, outcome: Outcome | None, name: str, is_active: bool = True
) -> Outcome:
    """Add an outcome at the end of the list, or rename / (de)activate one. Done activities keep theirs."""
    _require(actor, "activities.change_outcome" if outcome else "activities.add_outcome")
    item = outcome or Outcome()
    item.name, item.is_active = " ".join(name.split()), is_active
    if item.pk is None:
        item.position = (Outcome.objects.aggregate(last=Max("position"))["last"] or 0) + 1
    try:
        item.full_clean(validate_unique=False)
    except DjangoValidationError as error:
        raise ValidationError(error.message_dict, code="invalid") from error
    if _duplicate_name(Outcome, item.name, item.pk):
        raise ValidationError({"name": _("This name is already in the list.")}, code="duplicate_name")
    item.save()
    return item


@transaction.atomic
def pipeline_sla_update(
    *, actor: User | None, pipeline: Pipeline, lead_sla_hours: Decimal, lead_escalate_hours: Decimal
) -> Pipeline:
    """Set a pipeline's untouched-lead thresholds, in working hours: the owner is reminded after the
    first, the head of sales told after the second (which must come later)."""
    _require(actor, "deals.change_pipeline")
    if lead_escalate_hours <= lead_sla_hours:
        raise ValidationError(
            {"lead_escalate_hours": _("The head of sales must be told later than the owner is reminded.")},
            code="escalation_order",
        )
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    pipeline.lead_sla_hours = lead_sla_hours
    pipeline.lead_escalate_hours = lead_escalate_hours
    try:
        pipeline.full_clean()
    except DjangoValidationError as error:
        raise ValidationError(error.message_dict, code="invalid") from error
    pipeline.save(update_fields=["lead_sla_hours", "lead_escalate_hours"])
    return pipeline
