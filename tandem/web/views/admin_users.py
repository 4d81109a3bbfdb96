"""Administration of users and teams: only for holders of `accounts.change_user`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from tandem.accounts import selectors
from tandem.accounts.roles import Role
from tandem.accounts.services import team_create, team_update, user_create, user_update
from tandem.web.forms.accounts import TeamForm, UserCreateForm, UserEditForm, UserFilterForm
from tandem.web.views.accounts import AuthenticatedRequest, send_password_email, service_errors

USERS_PER_PAGE = 50


def admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous visitors go to the login page; signed-in users without the permission get a 403."""
    return login_required(permission_required("accounts.change_user", raise_exception=True)(view))


@admin_required
def user_list(request: AuthenticatedRequest) -> HttpResponse:
    filters = UserFilterForm(request.GET or None)
    # Invalid filter values (a deleted team…) are dropped rather than failing the page.
    filters.is_valid()
    chosen: dict[str, Any] = getattr(filters, "cleaned_data", {})
    users = selectors.user_list(
        team=chosen.get("team"), role=chosen.get("role") or "", query=chosen.get("query") or ""
    )
    page = Paginator(users, USERS_PER_PAGE).get_page(request.GET.get("page"))
    template = "web/accounts/user_list.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#user_table"
    response = render(request, template, {"filters": filters, "page": page})
    patch_vary_headers(response, ["HX-Request"])
    return response


@sensitive_post_parameters("password")
@admin_required
def user_create_page(request: AuthenticatedRequest) -> HttpResponse:
    form = UserCreateForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        data = form.cleaned_data
        by_email = data["password_mode"] == UserCreateForm.PASSWORD_EMAIL
        with service_errors(form):
            user = user_create(
                actor=request.user,
                email=data["email"],
                role=Role(data["role"]),
                full_name=data["full_name"],
                team=data["team"],
                password=None if by_email else data["password"],
            )
            if not by_email:
                messages.success(request, _("User %(user)s has been created.") % {"user": user})
            elif send_password_email(request, user, invitation=True):
                messages.success(
                    request,
                    _(
                        "User %(user)s has been created and an email with a link to choose a password "
                        "was sent to %(email)s."
                    )
                    % {"user": user, "email": user.email},
                )
            else:
                messages.warning(
                    request,
                    _(
                        "User %(user)s has been created, but the email to %(email)s could not be sent. "
                        "Check the mail settings, then use “Send password-reset email” on the user's page."
                    )
                    % {"user": user, "email": user.email},
                )
            return redirect("user_list")
    return render(request, "web/accounts/user_form.html", {"form": form, "edited_user": None})


@admin_required
def user_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = selectors.user_get(pk=pk)
    initial = {
        "full_name": user.full_name,
        "role": user.role,
        "team": user.team_id,
        "is_active": user.is_active,
    }
    form = UserEditForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_valid():
        data = form.cleaned_data
        with service_errors(form):
            user_update(
                actor=request.user,
                user=user,
                full_name=data["full_name"],
                role=Role(data["role"]),
                team=data["team"],
                is_active=data["is_active"],
            )
            messages.success(request, _("User %(user)s has been saved.") % {"user": user})
            return redirect("user_list")
        user.refresh_from_db()  # the page shows what is stored, not the refused change
    return render(request, "web/accounts/user_form.html", {"form": form, "edited_user": user})


@admin_required
@require_POST
def user_send_password_reset(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = selectors.user_get(pk=pk)
    if not user.is_active:
        messages.error(request, _("%(user)s is deactivated: activate the user first.") % {"user": user})
    elif send_password_email(request, user):
        messages.success(request, _("A password-reset email was sent to %(email)s.") % {"email": user.email})
    else:
        messages.error(request, _("The email could not be sent. Check the mail settings."))
    return redirect("user_edit", pk=user.pk)


@admin_required
def team_list(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "web/accounts/team_list.html", {"teams": selectors.team_list()})


@admin_required
def team_create_page(request: AuthenticatedRequest) -> HttpResponse:
    form = TeamForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        with service_errors(form):
            team = team_create(
                actor=request.user, name=form.cleaned_data["name"], head=form.cleaned_data["head"]
            )
            messages.success(request, _("Team %(team)s has been created.") % {"team": team})
            return redirect("team_list")
    return render(request, "web/accounts/team_form.html", {"form": form, "team": None, "members": []})


@admin_required
def team_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    team = selectors.team_get(pk=pk)
    form = TeamForm(
        request.POST if request.method == "POST" else None,
        initial={"name": team.name, "head": team.head_id},
    )
    if form.is_valid():
        with service_errors(form):
            team_update(
                actor=request.user, team=team, name=form.cleaned_data["name"], head=form.cleaned_data["head"]
            )
            messages.success(request, _("Team %(team)s has been saved.") % {"team": team})
            return redirect("team_list")
        team.refresh_from_db()
    members = selectors.team_members(team=team)
    return render(request, "web/accounts/team_form.html", {"form": form, "team": team, "members": members})
