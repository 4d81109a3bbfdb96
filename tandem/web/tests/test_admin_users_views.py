"""Administration of users and teams: who may, what it writes, and what it refuses."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from conftest import PASSWORD
from tandem.accounts.models import Team, User

ADMIN_PAGES = [
    ("user_list", "get", False),
    ("user_create", "get", False),
    ("user_create", "post", False),
    ("user_edit", "get", True),
    ("user_edit", "post", True),
    ("user_send_password_reset", "post", True),
    ("team_list", "get", False),
    ("team_create", "get", False),
    ("team_create", "post", False),
    ("team_edit", "get", True),
    ("team_edit", "post", True),
]


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _url(name, with_pk, user, team):
    if not with_pk:
        return reverse(name)
    return reverse(name, args=[team.pk if name.startswith("team") else user.pk])


def _state():
    users = list(
        User.objects.order_by("pk").values_list("email", "full_name", "role", "team_id", "is_active")
    )
    teams = list(Team.objects.order_by("pk").values_list("name", "head_id"))
    return users, teams


def _post_data(name, team):
    if name.startswith("team"):
        return {"name": "Renamed", "head": ""}
    return {
        "email": "new@example.com",
        "full_name": "Changed",
        "role": "admin",
        "team": team.pk,
        "is_active": "on",
        "password_mode": "set",
        "password": "Str0ng-pass!x",
    }


@pytest.mark.parametrize(("name", "method", "with_pk"), ADMIN_PAGES)
def test_admin_pages_send_anonymous_visitors_to_login(client, rep_a, team_a, name, method, with_pk):
    before = _state()
    url = _url(name, with_pk, rep_a, team_a)

    response = getattr(client, method)(url, _post_data(name, team_a) if method == "post" else None)

    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('login')}?next=")
    assert _state() == before
    assert mail.outbox == []


@pytest.mark.parametrize("role_fixture", ["rep_a", "head_a", "readonly", "marketer"])
@pytest.mark.parametrize(("name", "method", "with_pk"), ADMIN_PAGES)
def test_admin_pages_are_forbidden_to_non_admins(
    request, client, rep_a2, team_a, role_fixture, name, method, with_pk
):
    actor = request.getfixturevalue(role_fixture)
    client.force_login(actor)
    before = _state()
    url = _url(name, with_pk, rep_a2, team_a)

    response = getattr(client, method)(url, _post_data(name, team_a) if method == "post" else None)

    assert response.status_code == 403
    assert _state() == before
    assert mail.outbox == []


def test_admin_sees_the_user_list_with_role_team_and_status(client, admin, rep_a, rep_b):
    client.force_login(admin)

    response = client.get(reverse("user_list"))

    assert response.status_code == 200
    assert [listed.email for listed in response.context["page"].object_list] == [
        "admin@example.com",
        "rep.b@example.com",
        "rep.a@example.com",
    ]
    html = response.content.decode()
    assert "Sales rep" in html
    assert "Team B" in html
    assert response["Vary"].count("HX-Request") == 1


def test_user_list_filters_by_team_and_role(client, admin, head_a, rep_a, rep_a2, rep_b):
    client.force_login(admin)

    by_team = client.get(reverse("user_list"), {"team": head_a.team_id})
    by_team_and_role = client.get(reverse("user_list"), {"team": head_a.team_id, "role": "rep"})
    by_query = client.get(reverse("user_list"), {"query": "boris"})

    assert [u.email for u in by_team.context["page"].object_list] == [
        "head.a@example.com",
        "rep.a2@example.com",
        "rep.a@example.com",
    ]
    assert [u.email for u in by_team_and_role.context["page"].object_list] == [
        "rep.a2@example.com",
        "rep.a@example.com",
    ]
    assert [u.email for u in by_query.context["page"].object_list] == ["rep.b@example.com"]


def test_user_list_ignores_an_unknown_team_filter(client, admin, rep_a):
    client.force_login(admin)

    response = client.get(reverse("user_list"), {"team": 99999, "role": "rep"})

    assert response.status_code == 200
    assert [u.email for u in response.context["page"].object_list] == ["rep.a@example.com"]


def test_user_list_htmx_request_gets_only_the_table(client, admin, rep_a):
    client.force_login(admin)

    response = client.get(reverse("user_list"), {"role": "rep"}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="user-table">')
    assert "<html" not in html
    assert "rep.a@example.com" in html


def test_admin_creates_a_user_with_a_password_in_the_roles_group(client, admin, team_a):
    client.force_login(admin)

    response = client.post(
        reverse("user_create"),
        {
            "email": " New.Head@Example.com ",
            "full_name": "Nina Head",
            "role": "head",
            "team": team_a.pk,
            "password_mode": "set",
            "password": "Str0ng-pass!x",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("user_list")
    user = User.objects.get(email="new.head@example.com")
    assert (user.full_name, user.role, user.team_id, user.is_active) == ("Nina Head", "head", team_a.pk, True)
    assert list(user.groups.values_list("name", flat=True)) == ["head"]
    assert user.check_password("Str0ng-pass!x")
    assert mail.outbox == []


def test_admin_creates_a_user_who_gets_an_email_to_choose_a_password(client, admin):
    client.force_login(admin)

    response = client.post(
        reverse("user_create"),
        {
            "email": "mia@example.com",
            "full_name": "Mia",
            "role": "marketer",
            "team": "",
            "password_mode": "email",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="mia@example.com")
    assert list(user.groups.values_list("name", flat=True)) == ["marketer"]
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["mia@example.com"]
    assert mail.outbox[0].subject == "Your Tandem account is ready"
    assert "Ada Admin has created a Tandem account for you" in mail.outbox[0].body
    assert "http://testserver/reset/" in mail.outbox[0].body


def test_user_create_with_a_duplicate_email_is_a_field_error(client, admin, rep_a):
    client.force_login(admin)

    response = client.post(
        reverse("user_create"),
        {"email": "REP.A@example.com", "role": "rep", "password_mode": "set", "password": "Str0ng-pass!x"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"email": ["A user with this email already exists."]}
    assert User.objects.filter(email__iexact="rep.a@example.com").count() == 1


def test_user_create_with_a_weak_password_is_a_field_error(client, admin):
    client.force_login(admin)

    response = client.post(
        reverse("user_create"),
        {"email": "weak@example.com", "role": "rep", "password_mode": "set", "password": "12345678"},
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["password"]
    assert not User.objects.filter(email="weak@example.com").exists()


def test_user_create_choosing_to_set_a_password_requires_one(client, admin):
    client.force_login(admin)

    response = client.post(
        reverse("user_create"), {"email": "nopass@example.com", "role": "rep", "password_mode": "set"}
    )

    assert response.context["form"].errors == {"password": ["Enter a password or choose to send an email."]}
    assert not User.objects.filter(email="nopass@example.com").exists()


def test_admin_edits_role_and_team_of_a_user(client, admin, rep_a, team_b):
    client.force_login(admin)

    response = client.post(
        reverse("user_edit", args=[rep_a.pk]),
        {"full_name": "Rita Head", "role": "head", "team": team_b.pk, "is_active": "on"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("user_list")
    rep_a.refresh_from_db()
    assert (rep_a.full_name, rep_a.role, rep_a.team_id, rep_a.is_active) == (
        "Rita Head",
        "head",
        team_b.pk,
        True,
    )
    assert list(rep_a.groups.values_list("name", flat=True)) == ["head"]


def test_admin_deactivates_a_user_who_then_cannot_log_in(client, admin, rep_a):
    client.force_login(admin)

    client.post(reverse("user_edit", args=[rep_a.pk]), {"full_name": "Rita Rep", "role": "rep", "team": ""})

    rep_a.refresh_from_db()
    assert (rep_a.is_active, rep_a.team_id) == (False, None)
    client.logout()
    response = client.post(reverse("login"), {"email": rep_a.email, "password": PASSWORD})
    assert response.status_code == 200
    assert client.session.get("_auth_user_id") is None


def test_admin_cannot_deactivate_themselves(client, admin):
    client.force_login(admin)

    response = client.post(
        reverse("user_edit", args=[admin.pk]), {"full_name": "Ada Admin", "role": "admin", "team": ""}
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["You cannot lock yourself out of administration."]
    admin.refresh_from_db()
    assert admin.is_active is True


def test_admin_cannot_take_away_their_own_admin_role(client, admin):
    client.force_login(admin)

    response = client.post(
        reverse("user_edit", args=[admin.pk]),
        {"full_name": "Ada", "role": "rep", "team": "", "is_active": "on"},
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["You cannot lock yourself out of administration."]
    admin.refresh_from_db()
    assert (admin.role, admin.full_name) == ("admin", "Ada Admin")
    assert list(admin.groups.values_list("name", flat=True)) == ["admin"]


def test_user_edit_of_a_missing_user_is_404(client, admin):
    client.force_login(admin)

    assert client.get(reverse("user_edit", args=[99999])).status_code == 404


def test_admin_sends_a_password_reset_email_to_a_user(client, admin, rep_a):
    client.force_login(admin)

    response = client.post(reverse("user_send_password_reset", args=[rep_a.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("user_edit", args=[rep_a.pk])
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["rep.a@example.com"]
    assert mail.outbox[0].subject == "Reset your Tandem password"


def test_admin_sees_the_team_list_with_heads_and_member_counts(client, admin, head_a, rep_a, rep_b):
    client.force_login(admin)

    response = client.get(reverse("team_list"))

    assert response.status_code == 200
    rows = [(team.name, str(team.head or ""), team.member_count) for team in response.context["teams"]]
    assert rows == [("Team A", "Hana Head", 2), ("Team B", "", 1)]


def test_admin_creates_a_team_with_a_head(client, admin, readonly):
    client.force_login(admin)

    response = client.post(reverse("team_create"), {"name": "  Team C ", "head": readonly.pk})

    assert response.status_code == 302
    assert response["Location"] == reverse("team_list")
    team = Team.objects.get(name="Team C")
    assert team.head_id == readonly.pk
    readonly.refresh_from_db()
    assert readonly.team_id == team.pk


def test_team_create_with_a_taken_name_is_a_field_error(client, admin, team_a):
    client.force_login(admin)

    response = client.post(reverse("team_create"), {"name": "Team A", "head": ""})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["name"]
    assert Team.objects.filter(name="Team A").count() == 1


def test_admin_renames_a_team_and_changes_its_head(client, admin, head_a, rep_a, team_a):
    client.force_login(admin)

    response = client.post(reverse("team_edit", args=[team_a.pk]), {"name": "Sofia office", "head": rep_a.pk})

    assert response.status_code == 302
    team_a.refresh_from_db()
    assert (team_a.name, team_a.head_id) == ("Sofia office", rep_a.pk)


def test_team_edit_page_lists_the_members(client, admin, head_a, rep_a, team_a):
    client.force_login(admin)

    response = client.get(reverse("team_edit", args=[team_a.pk]))

    assert [member.email for member in response.context["members"]] == [
        "head.a@example.com",
        "rep.a@example.com",
    ]


def test_user_list_query_count_does_not_grow_with_users(client, admin, team_a, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tandem.accounts.roles import Role
    from tandem.accounts.services import user_create

    def add(start: int, end: int) -> None:
        for index in range(start, end):
            user_create(actor=None, email=f"user{index}@example.com", role=Role.REP, team=team_a)

    add(0, 3)
    client.force_login(admin)
    client.get(reverse("user_list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("user_list"))
    add(3, 30)

    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(reverse("user_list"))

    assert response.content.decode().count("@example.com") >= 31
