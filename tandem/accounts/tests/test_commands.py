import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tandem.accounts.models import ApiToken, Team, User
from tandem.accounts.services import token_authenticate


def _call(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_createuser_creates_the_team_and_a_user_of_the_role(db):
    out, _err = _call(
        "createuser",
        "Ivan@Example.com",
        "--role",
        "head",
        "--team",
        "Sofia",
        "--password",
        "s3cret-pw!",
        "--name",
        "Иван Петров",
    )

    user = User.objects.get(email="ivan@example.com")
    assert out == "Created ivan@example.com (Head of sales).\n"
    assert (user.role, user.team.name, user.full_name) == ("head", "Sofia", "Иван Петров")
    assert list(user.groups.values_list("name", flat=True)) == ["head"]
    assert user.check_password("s3cret-pw!")


def test_createuser_reuses_an_existing_team(team_a):
    _call("createuser", "a@example.com", "--role", "rep", "--team", "Team A", "--password", "x-123456789")

    assert Team.objects.count() == 1
    assert User.objects.get(email="a@example.com").team == team_a


def test_createuser_prints_a_generated_password(db):
    out, _err = _call("createuser", "b@example.com", "--role", "rep")

    password = out.splitlines()[1].removeprefix("Password: ")
    assert len(password) >= 12
    assert User.objects.get(email="b@example.com").check_password(password)


def test_createuser_refuses_a_duplicate_email(rep_a):
    with pytest.raises(CommandError, match=re.escape("A user with this email already exists.")):
        _call("createuser", "REP.A@example.com", "--role", "rep", "--password", "x-123456789")

    assert User.objects.count() == 1


def test_token_create_prints_a_token_that_authenticates(rep_a):
    out, err = _call("token", "create", "rep.a@example.com", "--name", "1C", "--scope", "read")

    secret = out.strip()
    token = token_authenticate(secret)
    assert secret.startswith("tdm_")
    assert token is not None
    assert (token.user, token.name, token.scope) == (rep_a, "1C", "read")
    assert "cannot be shown again" in err


def test_token_create_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match=re.escape("No active user with email nobody@example.com.")):
        _call("token", "create", "nobody@example.com")

    assert ApiToken.objects.count() == 0
