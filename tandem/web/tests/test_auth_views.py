"""Logging in and out, the login rate limit, and password reset by email."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from conftest import PASSWORD
from tandem.accounts.roles import Role
from tandem.accounts.services import user_create, user_update


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _login(client, email, password, **extra):
    return client.post(reverse("login"), {"email": email, "password": password, **extra})


def _signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def test_login_page_has_email_and_password_fields_and_a_log_in_button(client, db):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<label class="form-label" for="id_email">Email</label>' in html
    assert '<label class="form-label" for="id_password">Password</label>' in html
    assert ">Log in</button>" in html
    assert f'href="{reverse("password_reset")}"' in html
    assert "Forgot your password?" in html
    assert f'action="{reverse("set_language")}"' in html


def test_login_with_the_right_password_signs_in_and_goes_home(client, rep_a):
    response = _login(client, "Rep.A@Example.com ", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert _signed_in_user_id(client) == str(rep_a.pk)


def test_login_with_a_wrong_password_shows_an_error_and_stays_signed_out(client, rep_a):
    response = _login(client, rep_a.email, "wrong-password")

    assert response.status_code == 200
    assert "The email or password is incorrect." in response.content.decode()
    assert _signed_in_user_id(client) is None


def test_login_of_an_unknown_email_shows_the_same_error(client, db):
    response = _login(client, "nobody@example.com", PASSWORD)

    assert response.status_code == 200
    assert "The email or password is incorrect." in response.content.decode()


def test_inactive_user_cannot_log_in(client, admin, rep_a):
    user_update(actor=admin, user=rep_a, is_active=False)

    response = _login(client, rep_a.email, PASSWORD)

    assert response.status_code == 200
    assert "The email or password is incorrect." in response.content.decode()
    assert _signed_in_user_id(client) is None


@override_settings(LOGIN_RATE_LIMIT=3)
def test_login_is_blocked_after_the_allowed_failures_even_with_the_right_password(client, rep_a):
    first = _login(client, rep_a.email, "wrong-1")
    second = _login(client, rep_a.email, "wrong-2")
    third = _login(client, rep_a.email, "wrong-3")

    assert [first.status_code, second.status_code] == [200, 200]
    assert third.status_code == 429
    assert "Too many failed attempts to log in." in third.content.decode()

    right = _login(client, rep_a.email, PASSWORD)

    assert right.status_code == 429
    assert "Too many failed attempts to log in." in right.content.decode()
    assert _signed_in_user_id(client) is None


@override_settings(LOGIN_RATE_LIMIT=3)
def test_login_block_is_per_account_so_another_user_can_still_log_in(client, rep_a, rep_b):
    for attempt in range(3):
        _login(client, rep_a.email, f"wrong-{attempt}")

    response = _login(client, rep_b.email, PASSWORD)

    assert response.status_code == 302
    assert _signed_in_user_id(client) == str(rep_b.pk)


@override_settings(LOGIN_RATE_LIMIT=3)
def test_successful_login_resets_the_failure_count_of_the_account(client, rep_a):
    _login(client, rep_a.email, "wrong-1")
    _login(client, rep_a.email, "wrong-2")
    assert _login(client, rep_a.email, PASSWORD).status_code == 302
    client.post(reverse("logout"))

    _login(client, rep_a.email, "wrong-3")
    response = _login(client, rep_a.email, "wrong-4")

    assert response.status_code == 200
    assert "The email or password is incorrect." in response.content.decode()


def test_login_follows_a_local_next(client, rep_a):
    response = _login(client, rep_a.email, PASSWORD, next="/profile/?tab=tokens")

    assert response.status_code == 302
    assert response["Location"] == "/profile/?tab=tokens"


@pytest.mark.parametrize(
    "target", ["https://evil.example.com/", "//evil.example.com/", "javascript:alert(1)"]
)
def test_login_refuses_an_open_redirect_in_next(client, rep_a, target):
    response = _login(client, rep_a.email, PASSWORD, next=target)

    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_login_page_keeps_a_safe_next_and_drops_an_unsafe_one(client, db):
    safe = client.get(reverse("login"), {"next": "/contacts/"}).content.decode()
    unsafe = client.get(reverse("login"), {"next": "https://evil.example.com/"}).content.decode()

    assert '<input type="hidden" name="next" value="/contacts/">' in safe
    assert '<input type="hidden" name="next" value="https://evil.example.com/">' not in unsafe
    assert 'name="next" value="https' not in unsafe


def test_login_page_redirects_a_signed_in_user(client, rep_a):
    client.force_login(rep_a)

    response = client.get(reverse("login"))

    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_logout_refuses_get(client, rep_a):
    client.force_login(rep_a)

    response = client.get(reverse("logout"))

    assert response.status_code == 405
    assert _signed_in_user_id(client) == str(rep_a.pk)


def test_logout_by_post_signs_out(client, rep_a):
    client.force_login(rep_a)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert _signed_in_user_id(client) is None


def test_language_switcher_on_the_login_page_changes_its_language(client, db):
    client.post(reverse("set_language"), {"language": "bg", "next": reverse("login")})

    response = client.get(reverse("login"))

    assert '<html lang="bg">' in response.content.decode()


def _reset_link(message) -> str:
    match = re.search(r"http://testserver(/reset/[^/\s]+/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_password_reset_emails_a_link_that_sets_a_new_password(client, rep_a):
    response = client.post(reverse("password_reset"), {"email": "REP.A@example.com"})

    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["rep.a@example.com"]
    assert mail.outbox[0].subject == "Reset your Tandem password"

    form_page = client.get(_reset_link(mail.outbox[0]), follow=True)
    assert form_page.status_code == 200
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Brand-new-Passw0rd", "new_password2": "Brand-new-Passw0rd"},
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("password_reset_complete")

    rep_a.refresh_from_db()
    assert rep_a.check_password("Brand-new-Passw0rd")
    assert not rep_a.check_password(PASSWORD)
    assert _login(client, rep_a.email, "Brand-new-Passw0rd").status_code == 302


def test_password_reset_of_an_unknown_email_sends_nothing_but_looks_the_same(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_password_reset_reaches_a_user_invited_without_a_password(client, admin):
    invited = user_create(actor=admin, email="new@example.com", role=Role.REP)

    client.post(reverse("password_reset"), {"email": "new@example.com"})

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [invited.email]


def test_password_reset_sends_nothing_to_an_inactive_user(client, admin, rep_a):
    user_update(actor=admin, user=rep_a, is_active=False)

    client.post(reverse("password_reset"), {"email": rep_a.email})

    assert mail.outbox == []


def test_used_reset_link_shows_it_no_longer_works(client, rep_a):
    client.post(reverse("password_reset"), {"email": rep_a.email})
    form_page = client.get(_reset_link(mail.outbox[0]), follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Brand-new-Passw0rd", "new_password2": "Brand-new-Passw0rd"},
    )

    again = client.get(_reset_link(mail.outbox[0]), follow=True)

    assert "This link no longer works" in again.content.decode()


@pytest.mark.browser
def test_browser_user_logs_in_sees_the_profile_and_logs_out(login, live_server, rep_a, screenshot):
    page = login(rep_a)

    page.goto(f"{live_server.url}/profile/")
    assert page.get_by_role("heading", name="Rita Rep").is_visible()
    screenshot("accounts-profile")
    page.get_by_role("button", name="Rita Rep").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server.url}/login/")

    assert page.get_by_role("button", name="Log in").is_visible()
    screenshot("accounts-login")
