"""Reads of users, teams and API tokens for the account and administration pages."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from tandem.accounts.models import ApiToken, Team, User


def user_list(*, team: Team | None = None, role: str = "", query: str = "") -> QuerySet[User]:
    """Users for the administration list, narrowed by team, role and a name/email fragment.

    Callers check `accounts.change_user` first: every user is visible to an administrator.
    """
    users = User.objects.select_related("team").order_by("full_name", "email", "id")
    return _narrowed(users, team_id=team.pk if team is not None else None, role=role, query=query)


def _narrowed(users: QuerySet[User], *, team_id: int | None, role: str, query: str) -> QuerySet[User]:
    if team_id is not None:
        users = users.filter(team_id=team_id)
    if role:
        users = users.filter(role=role)
    if query.strip():
        fragment = query.strip()
        users = users.filter(Q(email__icontains=fragment) | Q(full_name__icontains=fragment))
    return users


def team_list() -> QuerySet[Team]:
    """Teams with their head and the number of members, for the administration list."""
    return Team.objects.select_related("head").annotate(member_count=Count("members")).order_by("name")


def team_members(*, team: Team) -> QuerySet[User]:
    return User.objects.filter(team=team).order_by("full_name", "email", "id")


def token_list(*, user: User) -> QuerySet[ApiToken]:
    """The user's own API tokens, newest first, revoked ones included (they show as revoked)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def user_get(*, pk: int) -> User:
    """A user by id for the administration pages (404 when missing)."""
    return get_object_or_404(User.objects.select_related("team"), pk=pk)


def team_get(*, pk: int) -> Team:
    return get_object_or_404(Team.objects.select_related("head"), pk=pk)


def token_get_for_user(*, user: User, pk: int) -> ApiToken:
    """One of the user's own tokens; someone else's token is a 404, as if it did not exist."""
    return get_object_or_404(ApiToken, pk=pk, user=user)


def user_directory(*, query: str = "", team: int | None = None, role: str = "") -> QuerySet[User]:
    """Active colleagues, as the owner and assignee pickers show them to every signed-in user.

    Any authenticated user may call it; deactivated accounts are left out.
    """
    users = User.objects.filter(is_active=True).select_related("team")
    return _narrowed(users, team_id=team, role=role, query=query)
