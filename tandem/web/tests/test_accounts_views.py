"""The profile page: personal details, password change and personal API tokens."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from conftest import PASSWORD
from tandem.accounts.models import ApiToken
from tandem.accounts.services import token_authenticate, token_create


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _profile_data(**changes):
    return {"full_name": "Rita Rep", "language": "en", "time_zone": "Europe/Sofia", **changes}


def test_profile_needs_login(client, db):
    response = client.get(reverse("profile"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('profile')}"


def test_profile_page_shows_the_forms_and_the_api_docs_link(client, rep_a):
    client.force_login(rep_a)

    response = client.get(reverse("profile"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Rita Rep"' in html
    assert '<option value="Europe/Sofia" selected>Sofia</option>' in html
    assert 'name="old_password"' in html
    assert 'href="/api/v1/docs/"' in html
    assert "You have no API tokens yet." in html


def test_profile_update_saves_name_language_and_time_zone(client, rep_a):
    client.force_login(rep_a)

    response = client.post(
        reverse("profile"), _profile_data(full_name="  Rita Ivanova ", language="ru", time_zone="Asia/Tokyo")
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("profile")
    rep_a.refresh_from_db()
    assert (rep_a.full_name, rep_a.language, rep_a.time_zone) == ("Rita Ivanova", "ru", "Asia/Tokyo")
    assert response.cookies["django_language"].value == "ru"


def test_next_page_after_a_language_change_is_in_that_language(client, rep_a):
    client.force_login(rep_a)

    client.post(reverse("profile"), _profile_data(language="bg"))
    response = client.get(reverse("profile"))

    assert '<html lang="bg">' in response.content.decode()


def test_profile_update_refuses_an_unknown_time_zone(client, rep_a):
    client.force_login(rep_a)

    response = client.post(reverse("profile"), _profile_data(time_zone="Mars/Olympus_Mons"))

    assert response.status_code == 200
    assert response.context["profile_form"].errors == {"time_zone": ["Unknown time zone."]}
    rep_a.refresh_from_db()
    assert rep_a.time_zone == "Europe/Sofia"


def test_profile_update_refuses_an_unknown_language(client, rep_a):
    client.force_login(rep_a)

    response = client.post(reverse("profile"), _profile_data(language="de"))

    assert response.status_code == 200
    assert list(response.context["profile_form"].errors) == ["language"]
    rep_a.refresh_from_db()
    assert rep_a.language == "en"


def test_password_change_with_the_right_old_password_keeps_the_session(client, rep_a):
    client.force_login(rep_a)

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "An0ther-Secret!", "new_password2": "An0ther-Secret!"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("profile")
    rep_a.refresh_from_db()
    assert rep_a.check_password("An0ther-Secret!")
    assert client.get(reverse("profile")).status_code == 200


def test_password_change_with_a_wrong_old_password_is_refused(client, rep_a):
    client.force_login(rep_a)

    response = client.post(
        reverse("password_change"),
        {"old_password": "not-it", "new_password1": "An0ther-Secret!", "new_password2": "An0ther-Secret!"},
    )

    assert response.status_code == 200
    assert list(response.context["password_form"].errors) == ["old_password"]
    rep_a.refresh_from_db()
    assert rep_a.check_password(PASSWORD)


def test_password_change_needs_post(client, rep_a):
    client.force_login(rep_a)

    assert client.get(reverse("password_change")).status_code == 405


def test_token_create_shows_the_secret_once_and_stores_only_its_digest(client, rep_a):
    client.force_login(rep_a)

    response = client.post(reverse("token_create"), {"name": "Website form", "scope": "read"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = re.search(r'id="token-secret"[^>]*value="(tdm_[^"]+)"', response.content.decode()).group(1)
    token = ApiToken.objects.get(user=rep_a)
    assert (token.name, token.scope, token.prefix) == ("Website form", "read", secret[:10])
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert token.digest != secret
    assert token_authenticate(secret) == token

    profile = client.get(reverse("profile")).content.decode()
    assert secret not in profile
    assert f"<code>{secret[:10]}…</code>" in profile
    assert "Website form" in profile


def test_token_create_without_a_name_is_a_form_error(client, rep_a):
    client.force_login(rep_a)

    response = client.post(reverse("token_create"), {"name": "", "scope": "write"})

    assert response.status_code == 200
    assert list(response.context["token_form"].errors) == ["name"]
    assert ApiToken.objects.count() == 0


def test_token_create_with_an_unknown_scope_is_a_form_error(client, rep_a):
    client.force_login(rep_a)

    response = client.post(reverse("token_create"), {"name": "x", "scope": "admin"})

    assert list(response.context["token_form"].errors) == ["scope"]
    assert ApiToken.objects.count() == 0


def test_token_revoke_revokes_the_own_token(client, rep_a):
    token, secret = token_create(user=rep_a, name="1C")
    client.force_login(rep_a)

    response = client.post(reverse("token_revoke", args=[token.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("profile")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token_authenticate(secret) is None
    assert "Revoked" in client.get(reverse("profile")).content.decode()


def test_token_revoke_of_another_users_token_is_404_and_changes_nothing(client, rep_a, rep_b):
    token, secret = token_create(user=rep_b, name="B's integration")
    client.force_login(rep_a)

    response = client.post(reverse("token_revoke", args=[token.pk]))

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert token_authenticate(secret) == token


def test_token_revoke_needs_post(client, rep_a):
    token, _secret = token_create(user=rep_a, name="1C")
    client.force_login(rep_a)

    response = client.get(reverse("token_revoke", args=[token.pk]))

    assert response.status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_profile_lists_only_the_users_own_tokens(client, rep_a, rep_b):
    token_create(user=rep_a, name="Mine")
    token_create(user=rep_b, name="Theirs")
    client.force_login(rep_a)

    response = client.get(reverse("profile"))

    assert [token.name for token in response.context["tokens"]] == ["Mine"]
