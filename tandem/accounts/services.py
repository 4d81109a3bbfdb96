"""Writes on users, teams, roles and API tokens."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tandem.accounts.models import ApiToken, Team, User
from tandem.accounts.roles import Role, permissions_for
from tandem.core.errors import ApplicationError, PermissionDenied, ValidationError

TOKEN_PREFIX = "tdm_"


def role_groups_sync() -> None:
    """Make one group per role holding exactly the permissions of the role matrix (idempotent)."""
    all_permissions = {
        f"{app}.{codename}": pk
        for pk, app, codename in Permission.objects.values_list("pk", "content_type__app_label", "codename")
    }
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = [all_permissions[name] for name in permissions_for(role) if name in all_permissions]
        group.permissions.set(wanted)


def _require_admin(actor: User | None) -> None:
    if actor is not None and not actor.has_perm("accounts.change_user"):
        raise PermissionDenied(_("Only administrators can manage users and teams."))


def _apply_role(user: User, role: Role) -> None:
    user.role = role.value
    user.is_staff = role is Role.ADMIN
    user.groups.set([Group.objects.get_or_create(name=role.value)[0]])


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    email: str,
    role: Role,
    full_name: str = "",
    team: Team | None = None,
    password: str | None = None,
    language: str | None = None,
) -> User:
    """Create an active user with the role's group. `actor=None` is the CLI/demo acting as the system."""
    _require_admin(actor)
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("A user with this email already exists.")}, code="duplicate_email")
    user = User(email=email, full_name=full_name.strip(), team=team)
    if language:
        user.language = language
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    _apply_role(user, role)
    user.save(update_fields=["role", "is_staff"])
    return user


@transaction.atomic
def user_update(
    *,
    actor: User,
    user: User,
    full_name: str | None = None,
    role: Role | None = None,
    team: Team | bool | None = False,
    is_active: bool | None = None,
) -> User:
    """Admin edit of another user; `team=False` means unchanged, `None` removes from any team."""
    _require_admin(actor)
    if user.pk == actor.pk and (is_active is False or (role is not None and role is not Role.ADMIN)):
        raise ApplicationError(_("You cannot lock yourself out of administration."), code="self_lockout")
    if full_name is not None:
        user.full_name = full_name.strip()
    if team is not False:
        user.team = team if isinstance(team, Team) else None
    if is_active is not None:
        user.is_active = is_active
    user.full_clean(exclude=["password"])
    user.save()
    if role is not None:
        _apply_role(user, role)
        user.save(update_fields=["role", "is_staff"])
    return user


def profile_update(*, user: User, full_name: str, language: str, time_zone: str) -> User:
    """A user edits their own name, language and time zone."""
    user.full_name = full_name.strip()
    user.language = language
    user.time_zone = time_zone
    user.full_clean(exclude=["password"])
    user.save(update_fields=["full_name", "language", "time_zone"])
    return user


def user_password_set(*, user: User, password: str) -> User:
    """Store a new password for `user` (already validated by the caller's form).

    Used for a user changing their own password and for an administrator setting one; the caller
    keeps the current session valid (`update_session_auth_hash`) when the user changed their own.
    """
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


@transaction.atomic
def team_create(*, actor: User | None, name: str, head: User | None = None) -> Team:
    _require_admin(actor)
    team = Team(name=name.strip(), head=head)
    team.full_clean()
    team.save()
    if head is not None and head.team_id is None:
        head.team = team
        head.save(update_fields=["team"])
    return team


@transaction.atomic
def team_update(*, actor: User, team: Team, name: str, head: User | None) -> Team:
    _require_admin(actor)
    team.name = name.strip()
    team.head = head
    team.full_clean()
    team.save()
    return team


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(
    *,
    user: User,
    name: str,
    scope: str = ApiToken.Scope.WRITE,
    expires_at: datetime.datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is never stored and cannot be shown again.

    `expires_at` (optional, in the future) ends the token by itself; until then it works like any other.
    """
    if scope not in ApiToken.Scope.values:
        raise ValidationError({"scope": _("Unknown token scope.")}, code="invalid_scope")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("Choose a time in the future.")}, code="invalid_expiry")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, name=name.strip() or _("API token"), prefix=secret[:10], digest=_digest(secret)
    )
    token.scope = scope
    token.expires_at = expires_at
    token.full_clean()
    token.save()
    return token, secret


def token_revoke(*, user: User, token: ApiToken) -> None:
    if token.user_id != user.pk:
        raise PermissionDenied(_("This token belongs to someone else."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def token_authenticate(secret: str) -> ApiToken | None:
    """The active, unexpired token of an active user matching `secret`; touches last-used at most once
    a minute. `token_find` tells why a secret is refused."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(secret), revoked_at__isnull=True, user__is_active=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )
    if token is None:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_find(secret: str) -> ApiToken | None:
    """The token matching `secret` whatever its state (revoked, expired, inactive user), or None.

    Only to explain a refusal to the holder of the secret; authenticate with `token_authenticate`."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    return ApiToken.objects.select_related("user").filter(digest=_digest(secret)).first()


def users_assignable(*, actor: User) -> Q:
    """Who `actor` may hand records to: anyone active for admins, own/headed teams for heads, else self."""
    if actor.has_perm("contacts.change_all_contact"):
        return Q(is_active=True)
    if actor.has_perm("accounts.reassign_records"):
        from tandem.accounts.visibility import team_ids

        return Q(is_active=True, team_id__in=team_ids(actor)) | Q(pk=actor.pk)
    return Q(pk=actor.pk)
