"""Roles are Django groups; what each may do and see is expressed as model permissions.

Visibility of an entity is the scope a role holds for it: `view_all_<model>` / `view_team_<model>`
(else own), and likewise `change_all_<model>` / `change_team_<model>`. A scope permission only widens
a base permission (`view_<model>`, `change_<model>`) the role already has.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    ADMIN = "admin"
    HEAD = "head"
    REP = "rep"
    MARKETER = "marketer"
    READONLY = "readonly"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.ADMIN: _("Administrator"),
    Role.HEAD: _("Head of sales"),
    Role.REP: _("Sales rep"),
    Role.MARKETER: _("Marketer"),
    Role.READONLY: _("Read-only"),
}

ROLE_CHOICES = [(role.value, ROLE_LABELS[role]) for role in Role]

# Entities whose rows have an owner and are filtered by scope.
OWNED_ENTITIES = ["contacts.company", "contacts.contact", "deals.deal", "activities.activity"]
# Reference lists (tags, industries…) everyone reads and admins maintain.
REFERENCE_ENTITIES = [
    "contacts.tag",
    "contacts.industry",
    "contacts.clientcategory",
    "contacts.contactrole",
    "contacts.channel",
    "deals.pipeline",
    "deals.stage",
    "deals.product",
    "deals.productcategory",
    "deals.currency",
    "deals.lostreason",
    "activities.activitytype",
    "activities.outcome",
    "core.workschedule",
    "core.holiday",
]

# role -> entity -> (actions, view scope, change scope); scope is "own" | "team" | "all".
_FULL = ("view", "add", "change", "delete")
ROLE_MATRIX: dict[Role, dict[str, tuple[tuple[str, ...], str, str]]] = {
    Role.ADMIN: dict.fromkeys(OWNED_ENTITIES, (_FULL, "all", "all")),
    Role.HEAD: dict.fromkeys(OWNED_ENTITIES, (_FULL, "team", "team")),
    Role.REP: dict.fromkeys(OWNED_ENTITIES, (_FULL, "own", "own")),
    Role.MARKETER: dict.fromkeys(OWNED_ENTITIES, (("view", "add", "change"), "all", "own")),
    Role.READONLY: dict.fromkeys(OWNED_ENTITIES, (("view",), "all", "own")),
}


def permissions_for(role: Role) -> list[str]:
    """Full permission names ("app.codename") the role's group holds."""
    names: list[str] = []
    for entity, (actions, view_scope, change_scope) in ROLE_MATRIX[role].items():
        app, model = entity.split(".")
        names += [f"{app}.{action}_{model}" for action in actions]
        if view_scope != "own":
            names.append(f"{app}.view_{view_scope}_{model}")
        if "change" in actions and change_scope != "own":
            names.append(f"{app}.change_{change_scope}_{model}")
    for entity in REFERENCE_ENTITIES:
        app, model = entity.split(".")
        names.append(f"{app}.view_{model}")
        if role is Role.ADMIN:
            names += [f"{app}.{action}_{model}" for action in ("add", "change", "delete")]
    if role is Role.ADMIN:
        names += ["accounts.view_user", "accounts.add_user", "accounts.change_user"]
        names += ["accounts.view_team", "accounts.add_team", "accounts.change_team", "accounts.delete_team"]
    if role in (Role.ADMIN, Role.HEAD):
        names += ["accounts.reassign_records"]
    if role in (Role.ADMIN, Role.MARKETER):
        names += ["contacts.add_tag"]
    return sorted(set(names))


def scope_permissions(model: str) -> list[tuple[str, str]]:
    """Meta.permissions entries for an owned model."""
    return [
        (f"view_team_{model}", f"Can view the team's {model} records"),
        (f"view_all_{model}", f"Can view all {model} records"),
        (f"change_team_{model}", f"Can change the team's {model} records"),
        (f"change_all_{model}", f"Can change all {model} records"),
    ]
