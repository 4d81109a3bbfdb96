"""Visibility: what a user may see or change, compiled into SQL predicates.

Every selector of an owned entity filters with `scope_q`, so pages, search, the API, exports and
reports all show exactly the same rows.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.http import Http404

from tandem.accounts.models import User
from tandem.core.errors import PermissionDenied

R = TypeVar("R", bound=Model)


class Scope(IntEnum):
    NONE = 0
    OWN = 1
    TEAM = 2
    ALL = 3


def scope_for(user: User, model: type[Model], action: str = "view") -> Scope:
    """The widest scope `user` holds for `action` ("view" or "change") on `model`."""
    if not user.is_authenticated or not user.is_active:
        return Scope.NONE
    label, name = model._meta.app_label, model._meta.model_name
    if not user.has_perm(f"{label}.{action}_{name}"):
        return Scope.NONE
    if user.has_perm(f"{label}.{action}_all_{name}"):
        return Scope.ALL
    if user.has_perm(f"{label}.{action}_team_{name}"):
        return Scope.TEAM
    return Scope.OWN


def team_ids(user: User) -> list[int]:
    """Teams whose records a team-scoped user sees: the own team and every team they head."""
    cached = getattr(user, "_tandem_team_ids", None)
    if cached is None:
        ids = set(user.headed_teams.values_list("id", flat=True))
        if user.team_id:
            ids.add(user.team_id)
        cached = sorted(ids)
        user._tandem_team_ids = cached  # type: ignore[attr-defined]
    return cached


def _team_owners(user: User) -> QuerySet[User, Any]:
    """The user and the members of their teams, as one subquery (one IN, not an OR, for the planner)."""
    return User.objects.filter(Q(team_id__in=team_ids(user)) | Q(pk=user.pk)).values("id")


def owned_q(user: User, scope: Scope, field: str = "owner") -> Q:
    """Rows whose user `field` is `user` (OWN) or a member of `user`'s teams (TEAM); all rows for ALL.
    NONE is the caller's to handle (it has no rows to select)."""
    if scope is Scope.TEAM:
        return Q(**{f"{field}_id__in": _team_owners(user)})
    if scope is Scope.OWN:
        return Q(**{f"{field}_id": user.pk})
    return Q()


def _shared_with(user: User, model: type[Model]) -> Q:
    """Rows shared with `user`, in the form each database plans well."""
    through = model.shared_with.through  # type: ignore[attr-defined]
    key = f"{model._meta.model_name}_id"
    if connection.vendor == "postgresql":
        # Inside an OR, PostgreSQL estimates `IN (subquery)` as half the table and picks bad plans;
        # a correlated EXISTS is estimated from the link table's statistics.
        return Q(Exists(through.objects.filter(user_id=user.pk, **{key: OuterRef("pk")})))
    return Q(pk__in=through.objects.filter(user_id=user.pk).values(key))


def scope_q(user: User, model: type[Model], action: str = "view", *, owner: str = "owner") -> Q:
    """A filter selecting the rows of `model` the user may `action`; `Q(pk__in=[])` when none.

    Owned models have an `owner` (or the user field named by `owner`); those with a `shared_with`
    many-to-many also show to the users they are shared with, and sharing grants view and change.
    """
    scope = scope_for(user, model, action)
    if scope is Scope.NONE:
        return Q(pk__in=[])
    if scope is Scope.ALL:
        return Q()
    mine = owned_q(user, scope, owner)
    if hasattr(model, "shared_with"):
        return mine | _shared_with(user, model)
    return mine


def scope_parts(user: User, model: type[Model], action: str = "view", *, owner: str = "owner") -> list[Q]:
    """Disjoint pieces of `scope_q` worth walking separately for an ordered page ([] = one piece).

    "Owned by me (or my team)" walks an (owner, sort) or the sort index; "shared with me" is small.
    An OR of the two in one query makes SQLite collect and sort every row of the owner(s) instead.
    """
    scope = scope_for(user, model, action)
    if scope not in (Scope.OWN, Scope.TEAM):
        return []
    mine = owned_q(user, scope, owner)
    if not hasattr(model, "shared_with"):
        return [mine]
    return [mine, _shared_with(user, model) & ~mine]


def can(user: User, action: str, obj: Model) -> bool:
    """Whether `user` may `action` this one object (evaluated in Python, for already-fetched rows)."""
    model = type(obj)
    scope = scope_for(user, model, action)
    if scope is Scope.NONE:
        return False
    if scope is Scope.ALL:
        return True
    owner_id = getattr(obj, "owner_id", None)
    if owner_id == user.pk:
        return True
    if scope is Scope.TEAM and owner_id is not None:
        owner_team = User.objects.filter(pk=owner_id).values_list("team_id", flat=True).first()
        if owner_team in team_ids(user):
            return True
    return model.shared_with.through.objects.filter(  # type: ignore[attr-defined]
        user_id=user.pk, **{f"{model._meta.model_name}_id": obj.pk}
    ).exists()


def get_visible(
    queryset: QuerySet[R], *, user: User, pk: object, for_write: bool = False, trashed: bool = False
) -> R:
    """Record `pk` of `queryset`, with whatever it joins and prefetches, if `user` may see it: one read.
    Http404 when not visible, not a number, or in the trash (unless `trashed`); PermissionDenied when
    `for_write` and the user may only look."""
    try:
        obj = queryset.filter(scope_q(user, queryset.model, "view")).get(pk=int(str(pk)))
    except (ObjectDoesNotExist, ValueError, TypeError) as error:
        raise Http404 from error
    if getattr(obj, "is_deleted", False) and not trashed:
        raise Http404
    if for_write and not can(user, "change", obj):
        raise PermissionDenied("read only")
    return obj
