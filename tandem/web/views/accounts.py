"""Signing in and out, password reset, and the user's own profile with API tokens."""

from __future__ import annotations

import datetime
import logging
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from tandem.accounts import selectors
from tandem.accounts.models import User
from tandem.accounts.ratelimit import login_blocked, login_failed, login_succeeded
from tandem.accounts.services import profile_update, token_create, token_revoke, user_password_set
from tandem.activities.calendar_feed import calendar_feed_get
from tandem.core.errors import ApplicationError, PermissionDenied
from tandem.notifications.services import email_kinds
from tandem.web.forms.accounts import (
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    ProfileForm,
    SetPasswordForm,
    TokenCreateForm,
    add_service_error,
)
from tandem.web.forms.planning import NotificationSettingsForm

logger = logging.getLogger(__name__)

RESET_EMAIL_TEMPLATE = "registration/tandem_password_reset_email.txt"
RESET_SUBJECT_TEMPLATE = "registration/tandem_password_reset_subject.txt"
INVITATION_EMAIL_TEMPLATE = "registration/tandem_invitation_email.txt"
INVITATION_SUBJECT_TEMPLATE = "registration/tandem_invitation_subject.txt"


class AuthenticatedRequest(HttpRequest):
    user: User  # type: ignore[assignment]


@contextmanager
def service_errors(form: BaseForm) -> Iterator[None]:
    """Turn what a service refuses into form errors (or a 403), never a 500.

    Use around the service call and the success response: on an error the block is left early and
    the view goes on to re-render the bound form.
    """
    try:
        yield
    except ValidationError as error:  # Django's, so `full_clean()` refusals are caught as well
        add_service_error(form, error)
    except PermissionDenied as error:
        raise DjangoPermissionDenied(error.message) from error
    except ApplicationError as error:
        form.add_error(None, error.message)


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    """Keep the user's language for the pages seen signed out (login, password reset)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def _safe_next(request: HttpRequest) -> str:
    """The `next` the request asks for when it stays on this site, else ""."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _blocked_message() -> str:
    minutes = max(1, round(int(settings.LOGIN_RATE_WINDOW_SECONDS) / 60))
    return ngettext(
        "Too many failed attempts to log in. For your safety, logging in is paused for %(minutes)d "
        "minute; try again later or reset your password.",
        "Too many failed attempts to log in. For your safety, logging in is paused for %(minutes)d "
        "minutes; try again later or reset your password.",
        minutes,
    ) % {"minutes": minutes}


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    if request.user.is_authenticated and request.method != "POST":
        return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
    form = LoginForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_valid():
        email = form.cleaned_data["email"]
        address = request.META.get("REMOTE_ADDR", "")
        if login_blocked(email, address):
            form.add_error(None, _blocked_message())
            status = 429
        else:
            user = authenticate(request, username=email, password=form.cleaned_data["password"])
            if isinstance(user, User):
                login_succeeded(email, address)
                auth_login(request, user)
                response = redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
                _set_language_cookie(response, user.language)
                return response
            login_failed(email, address)
            if login_blocked(email, address):
                form.add_error(None, _blocked_message())
                status = 429
            else:
                form.add_error(None, _("The email or password is incorrect."))
    context = {"form": form, "next": next_url}
    return render(request, "web/accounts/login.html", context, status=status)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    messages.info(request, _("You have logged out."))
    return redirect(settings.LOGOUT_REDIRECT_URL)


# Django's password-reset views, with Tandem's forms, templates and emails.
password_reset = auth_views.PasswordResetView.as_view(
    form_class=PasswordResetForm,
    template_name="registration/password_reset_form.html",
    email_template_name=RESET_EMAIL_TEMPLATE,
    subject_template_name=RESET_SUBJECT_TEMPLATE,
    success_url=reverse_lazy("password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="registration/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    form_class=SetPasswordForm,
    template_name="registration/password_reset_confirm.html",
    success_url=reverse_lazy("password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="registration/password_reset_complete.html"
)


def send_password_email(request: HttpRequest, user: User, *, invitation: bool = False) -> bool:
    """Email `user` a link to choose a password: an invitation for a new user, else a reset.

    Returns whether the email went out; a mail server failure is logged and reported, not a 500.
    """
    form = PasswordResetForm({"email": user.email})
    if not form.is_valid():
        return False
    try:
        form.save(
            request=request,
            use_https=request.is_secure(),
            subject_template_name=INVITATION_SUBJECT_TEMPLATE if invitation else RESET_SUBJECT_TEMPLATE,
            email_template_name=INVITATION_EMAIL_TEMPLATE if invitation else RESET_EMAIL_TEMPLATE,
            extra_email_context={"inviter": str(request.user)},
        )
    except (OSError, smtplib.SMTPException):
        logger.exception("Could not send the password email to user %s", user.pk)
        return False
    return True


# --- profile -------------------------------------------------------------------------------------


def render_profile(
    request: HttpRequest,
    *,
    profile_form: ProfileForm | None = None,
    password_form: PasswordChangeForm | None = None,
    token_form: TokenCreateForm | None = None,
    notification_form: NotificationSettingsForm | None = None,
    feed_url: str = "",
) -> HttpResponse:
    """The profile page; `feed_url` is a just-created calendar address, shown this once."""
    user = cast(User, request.user)
    context = {
        "profile_form": profile_form
        or ProfileForm(
            initial={"full_name": user.full_name, "language": user.language, "time_zone": user.time_zone}
        ),
        "password_form": password_form or PasswordChangeForm(user),
        "token_form": token_form or TokenCreateForm(),
        "tokens": selectors.token_list(user=user),
        "notification_form": notification_form
        or NotificationSettingsForm(initial={"email_kinds": email_kinds(user)}),
        "calendar_feed": calendar_feed_get(user=user),
        "feed_url": feed_url,
    }
    return render(request, "web/accounts/profile.html", context)


@login_required
def profile(request: AuthenticatedRequest) -> HttpResponse:
    if request.method != "POST":
        return render_profile(request)
    form = ProfileForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            user = profile_update(user=request.user, **form.cleaned_data)
            messages.success(request, _("Your profile has been saved."))
            response = redirect("profile")
            _set_language_cookie(response, user.language)
            return response
        request.user.refresh_from_db()  # undo what the refused update left on the object
    return render_profile(request, profile_form=form)


@sensitive_post_parameters()
@login_required
@require_POST
def password_change(request: AuthenticatedRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST)
    if form.is_valid():
        user_password_set(user=request.user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password has been changed."))
        return redirect("profile")
    return render_profile(request, password_form=form)


@login_required
@require_POST
def api_token_create(request: AuthenticatedRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            days = form.cleaned_data.get("expires_in_days")
            token, secret = token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_at=timezone.now() + datetime.timedelta(days=days) if days else None,
            )
            # The secret exists only in this response: never cached, never stored.
            response = render(request, "web/accounts/token_created.html", {"token": token, "secret": secret})
            add_never_cache_headers(response)
            return response
    return render_profile(request, token_form=form)


@login_required
@require_POST
def api_token_revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    token = selectors.token_get_for_user(user=request.user, pk=pk)
    try:
        token_revoke(user=request.user, token=token)
    except PermissionDenied as error:
        raise DjangoPermissionDenied(error.message) from error
    messages.success(request, _("The token “%(name)s” has been revoked.") % {"name": token.name})
    return redirect("profile")
