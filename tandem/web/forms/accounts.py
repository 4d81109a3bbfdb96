"""Forms of the sign-in, profile and administration pages. They validate; services write."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from tandem.accounts.models import ApiToken, Team, User
from tandem.accounts.roles import ROLE_CHOICES, Role
from tandem.accounts.services import user_password_set


class BootstrapMixin:
    """Give every widget Bootstrap's classes, and mark fields with errors as invalid."""

    fields: dict[str, forms.Field]

    def _style_widgets(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in getattr(self, "_errors", None) or {}:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"


class BootstrapForm(BootstrapMixin, forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style_widgets()


def add_service_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Attach a service's ValidationError to the form: per field where the form has it, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- signing in ----------------------------------------------------------------------------------


class LoginForm(BootstrapForm):
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class PasswordResetForm(BootstrapMixin, auth_forms.PasswordResetForm):
    """Django's reset form, also reaching users who never had a password (invited by an admin).

    Tandem signs in only with its own passwords, so an unusable password means "not set yet",
    not "signs in elsewhere"; deactivated users still get nothing.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("Email")
        self._style_widgets()

    def get_users(self, email: str) -> Iterator[Any]:
        return iter(User.objects.filter(email__iexact=email.strip(), is_active=True))

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        # Written in the recipient's language, whoever asked for it.
        with translation.override(context["user"].language):
            super().send_mail(
                subject_template_name,
                email_template_name,
                context,
                from_email,
                to_email,
                html_email_template_name=html_email_template_name,
            )


class SetPasswordForm(BootstrapMixin, auth_forms.SetPasswordForm):
    """Django's set-password form (reset link), storing the password through the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style_widgets()

    def save(self, commit: bool = True) -> Any:
        if commit:
            return user_password_set(user=self.user, password=self.cleaned_data["new_password1"])
        self.user.set_password(self.cleaned_data["new_password1"])
        return self.user


class PasswordChangeForm(BootstrapMixin, auth_forms.PasswordChangeForm):
    """Validation only: the view stores the new password with `user_password_set`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].widget.attrs.pop("autofocus", None)
        self._style_widgets()


# --- profile -------------------------------------------------------------------------------------


@functools.cache
def time_zone_choices() -> list[tuple[Any, list[tuple[str, str]]]]:
    """Every IANA zone grouped by region ("Europe" → "Sofia"), for a select with optgroups."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(zoneinfo.available_timezones()):
        if name.startswith(("posix/", "right/", "SystemV/")) or name in {
            "posixrules",
            "Factory",
            "localtime",
        }:
            continue
        region, _sep, place = name.partition("/")
        if not place:
            region, place = "", name  # UTC, GMT…: listed last under "Other"
        groups.setdefault(region, []).append((name, place.replace("_", " ").replace("/", " / ")))
    ordered = sorted(groups.items(), key=lambda item: (item[0] == "", item[0]))
    return [(region or _("Other"), zones) for region, zones in ordered]


def language_choices() -> list[tuple[str, str]]:
    """Each language in its own name (English, Български, Русский), whatever the page's language."""
    names = {code: translation.get_language_info(code)["name_local"] for code, _name in settings.LANGUAGES}
    return [(code, capfirst(name)) for code, name in names.items()]


class ProfileForm(BootstrapForm):
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=language_choices)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        error_messages={"invalid_choice": _("Unknown time zone.")},
        help_text=_("Dates and times are shown in this time zone."),
    )


class TokenCreateForm(BootstrapForm):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Website form, 1C exchange")}),
    )
    scope = forms.ChoiceField(
        label=_("Access"),
        choices=[(value, capfirst(label)) for value, label in ApiToken.Scope.choices],
        initial=ApiToken.Scope.READ,
    )
    expires_in_days = forms.TypedChoiceField(
        label=_("Expires"),
        choices=[("", _("never")), (30, _("in 30 days")), (90, _("in 90 days")), (365, _("in a year"))],
        coerce=int,
        empty_value=None,
        required=False,
    )


# --- administration ------------------------------------------------------------------------------


def _team_field(required: bool = False) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.order_by("name"), required=required, empty_label=_("No team")
    )


class UserFilterForm(BootstrapForm):
    query = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.SearchInput(attrs={"placeholder": _("Name or email")}),
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.order_by("name"), required=False, empty_label=_("All teams")
    )
    role = forms.ChoiceField(label=_("Role"), choices=[("", _("All roles")), *ROLE_CHOICES], required=False)


class UserCreateForm(BootstrapForm):
    PASSWORD_EMAIL = "email"
    PASSWORD_SET = "set"

    email = forms.EmailField(label=_("Email"))
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES, initial=Role.REP.value)
    team = _team_field()
    password_mode = forms.ChoiceField(
        label=_("Password"),
        choices=[
            (PASSWORD_EMAIL, _("Send an email with a link to choose a password")),
            (PASSWORD_SET, _("Set a password now")),
        ],
        initial=PASSWORD_EMAIL,
        widget=forms.RadioSelect,
    )
    password = forms.CharField(
        label=_("New password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("password_mode") == self.PASSWORD_SET:
            password = cleaned.get("password") or ""
            if not password:
                self.add_error("password", _("Enter a password or choose to send an email."))
            else:
                candidate = User(email=cleaned.get("email", ""), full_name=cleaned.get("full_name", ""))
                try:
                    password_validation.validate_password(password, candidate)
                except ValidationError as error:
                    self.add_error("password", error)
        return cleaned


class UserEditForm(BootstrapForm):
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)
    team = _team_field()
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_("Deactivated users cannot sign in or use API tokens; their records stay."),
    )


class TeamForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    head = forms.ModelChoiceField(
        label=_("Head of the team"),
        queryset=User.objects.filter(is_active=True).order_by("full_name", "email"),
        required=False,
        empty_label=_("No head"),
    )
