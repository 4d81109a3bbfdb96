import hashlib

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError as DjangoValidationError

from tandem.accounts.models import ApiToken, Team, User
from tandem.accounts.roles import Role, permissions_for
from tandem.accounts.services import (
    role_groups_sync,
    team_create,
    token_authenticate,
    token_create,
    token_revoke,
    user_create,
    user_update,
    users_assignable,
)
from tandem.core.errors import ApplicationError, PermissionDenied, ValidationError


def _group_permissions(role: Role) -> list[str]:
    group = Group.objects.get(name=role.value)
    return sorted(
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    )


@pytest.mark.parametrize("role", list(Role))
def test_role_groups_hold_exactly_the_permissions_of_the_role(db, role):
    role_groups_sync()

    assert _group_permissions(role) == permissions_for(role)


def test_every_permission_of_the_role_matrix_exists(db):
    existing = {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }

    for role in Role:
        assert set(permissions_for(role)) - existing == set()


def test_role_groups_sync_removes_extra_permissions(db):
    group = Group.objects.get(name=Role.REP.value)
    group.permissions.add(Permission.objects.get(codename="change_all_contact"))

    role_groups_sync()

    assert _group_permissions(Role.REP) == permissions_for(Role.REP)


def test_user_create_puts_the_user_in_the_role_group(db, team_a):
    user = user_create(
        actor=None, email="  New.Rep@Example.COM ", role=Role.REP, team=team_a, password="pw-123456789"
    )

    user = User.objects.get(pk=user.pk)
    assert user.email == "new.rep@example.com"
    assert user.role == "rep"
    assert list(user.groups.values_list("name", flat=True)) == ["rep"]
    assert user.team == team_a
    assert user.is_staff is False
    assert user.check_password("pw-123456789")
    assert user.has_perm("contacts.add_contact")
    assert not user.has_perm("contacts.view_all_contact")


def test_user_create_makes_admins_staff(db):
    user = user_create(actor=None, email="boss@example.com", role=Role.ADMIN)

    assert (user.is_staff, user.has_usable_password()) == (True, False)


def test_user_create_refuses_a_duplicate_email_in_any_case(admin):
    with pytest.raises(ValidationError) as raised:
        user_create(actor=admin, email="ADMIN@example.com", role=Role.REP)

    assert raised.value.code == "duplicate_email"
    assert raised.value.message_dict == {"email": ["A user with this email already exists."]}
    assert User.objects.count() == 1


def test_only_admins_create_users(rep_a):
    with pytest.raises(PermissionDenied):
        user_create(actor=rep_a, email="x@example.com", role=Role.ADMIN)

    assert not User.objects.filter(email="x@example.com").exists()


def test_user_update_changes_role_group_and_team(admin, rep_a, team_b):
    user_update(actor=admin, user=rep_a, role=Role.HEAD, team=team_b, full_name=" Rita Head ")

    user = User.objects.get(pk=rep_a.pk)
    assert (user.role, user.team, user.full_name) == ("head", team_b, "Rita Head")
    assert list(user.groups.values_list("name", flat=True)) == ["head"]


def test_user_update_team_none_removes_and_false_keeps(admin, rep_a, team_a):
    user_update(actor=admin, user=rep_a, full_name="Same Team")
    assert User.objects.get(pk=rep_a.pk).team == team_a

    user_update(actor=admin, user=rep_a, team=None)
    assert User.objects.get(pk=rep_a.pk).team is None


@pytest.mark.parametrize(("changes"), [{"is_active": False}, {"role": Role.REP}, {"role": Role.READONLY}])
def test_user_update_refuses_an_admin_locking_themself_out(admin, changes):
    with pytest.raises(ApplicationError) as raised:
        user_update(actor=admin, user=admin, **changes)

    assert raised.value.code == "self_lockout"
    admin.refresh_from_db()
    assert (admin.role, admin.is_active) == ("admin", True)


def test_admin_may_deactivate_another_admin(admin):
    other = user_create(actor=admin, email="second@example.com", role=Role.ADMIN)

    user_update(actor=admin, user=other, is_active=False)

    assert User.objects.get(pk=other.pk).is_active is False


def test_team_create_puts_a_teamless_head_into_the_team(db):
    head = user_create(actor=None, email="head@example.com", role=Role.HEAD)

    team = team_create(actor=None, name=" North ", head=head)

    assert team.name == "North"
    assert User.objects.get(pk=head.pk).team == team


def test_team_names_are_unique(team_a):
    with pytest.raises(DjangoValidationError):
        team_create(actor=None, name="Team A")

    assert Team.objects.count() == 1


def test_token_create_stores_only_a_digest(rep_a):
    token, secret = token_create(user=rep_a, name="  Website ", scope=ApiToken.Scope.READ)

    token.refresh_from_db()
    assert secret.startswith("tdm_")
    assert len(secret) > 40
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:10]
    assert (token.name, token.scope) == ("Website", "read")
    stored = [str(value) for value in ApiToken.objects.values_list(flat=True).values()[0].values()]
    assert secret not in stored


def test_token_create_refuses_an_unknown_scope(rep_a):
    with pytest.raises(ValidationError):
        token_create(user=rep_a, name="x", scope="admin")

    assert ApiToken.objects.count() == 0


def test_token_authenticate_finds_the_token_and_touches_last_used(rep_a):
    token, secret = token_create(user=rep_a, name="CLI")

    found = token_authenticate(secret)

    assert found == token
    assert found.user == rep_a
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


def test_token_authenticate_refuses_a_revoked_token(rep_a):
    token, secret = token_create(user=rep_a, name="CLI")
    token_revoke(user=rep_a, token=token)

    assert token_authenticate(secret) is None


def test_token_authenticate_refuses_an_inactive_user(admin, rep_a):
    _token, secret = token_create(user=rep_a, name="CLI")
    user_update(actor=admin, user=rep_a, is_active=False)

    assert token_authenticate(secret) is None


@pytest.mark.parametrize(
    "mangle", [lambda s: "xyz_" + s[4:], lambda s: s[4:], lambda s: s + "x", lambda s: ""]
)
def test_token_authenticate_refuses_wrong_secrets(rep_a, mangle):
    _token, secret = token_create(user=rep_a, name="CLI")

    assert token_authenticate(mangle(secret)) is None


def test_only_the_owner_revokes_a_token(rep_a, rep_b):
    token, secret = token_create(user=rep_a, name="CLI")

    with pytest.raises(PermissionDenied):
        token_revoke(user=rep_b, token=token)

    assert token_authenticate(secret) == token


def _assignable(actor: User) -> list[str]:
    return sorted(User.objects.filter(users_assignable(actor=actor)).values_list("email", flat=True))


def test_users_assignable_per_role(admin, head_a, rep_a, rep_a2, rep_b, marketer, readonly):
    everyone = sorted(User.objects.values_list("email", flat=True))

    assert _assignable(admin) == everyone
    assert _assignable(head_a) == ["head.a@example.com", "rep.a2@example.com", "rep.a@example.com"]
    assert _assignable(rep_a) == ["rep.a@example.com"]
    assert _assignable(marketer) == ["marketer@example.com"]
    assert _assignable(readonly) == ["readonly@example.com"]


def test_users_assignable_leaves_out_inactive_users(admin, head_a, rep_a, rep_a2):
    user_update(actor=admin, user=rep_a2, is_active=False)

    assert _assignable(User.objects.get(pk=head_a.pk)) == ["head.a@example.com", "rep.a@example.com"]
    assert "rep.a2@example.com" not in _assignable(User.objects.get(pk=admin.pk))
