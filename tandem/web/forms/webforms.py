"""The web-form settings form: shapes input for `leads.services.webform_save`, never saves."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tandem.accounts.models import Team, User
from tandem.contacts.models import Channel
from tandem.deals.models import Pipeline
from tandem.leads.models import LEAD_FIELDS, WebForm, default_fields, default_required_fields
from tandem.web.forms.contacts import bootstrap

FIELD_CHOICES = list(LEAD_FIELDS.items())


class WebFormForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    fields_shown = forms.MultipleChoiceField(
        label=_("Fields on the form"),
        choices=FIELD_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=default_fields,
    )
    fields_required = forms.MultipleChoiceField(
        label=_("Required fields"),
        choices=FIELD_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=default_required_fields,
    )
    pipeline = forms.ModelChoiceField(label=_("Pipeline"), queryset=Pipeline.objects.none())
    owner = forms.ModelChoiceField(
        label=_("Owner of every lead"), queryset=User.objects.none(), required=False
    )
    team = forms.ModelChoiceField(
        label=_("Or: the team whose reps take turns"), queryset=Team.objects.none(), required=False
    )
    channel = forms.ModelChoiceField(label=_("Lead channel"), queryset=Channel.objects.none(), required=False)
    thank_you_text = forms.CharField(
        label=_("Thank-you text"),
        widget=forms.Textarea(attrs={"rows": 2}),
        initial=_("Thank you! We will contact you shortly."),
    )
    allowed_origins = forms.CharField(
        label=_("Sites allowed to embed the form"),
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "https://www.example.com"}),
        required=False,
        help_text=_(
            "One origin per line, e.g. https://www.example.com. Other sites cannot post to the form."
        ),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    is_default = forms.BooleanField(
        label=_("Default form for the inbound API"),
        required=False,
        help_text=_("Requests to /api/v1/inbound/lead/ that name no form go here."),
    )

    def __init__(self, *args: Any, instance: WebForm | None = None, **kwargs: Any):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name,
                "fields_shown": instance.fields,
                "fields_required": instance.required_fields,
                "pipeline": instance.pipeline_id,
                "owner": instance.owner_id,
                "team": instance.team_id,
                "channel": instance.channel_id,
                "thank_you_text": instance.thank_you_text,
                "allowed_origins": "\n".join(instance.allowed_origins or []),
                "is_active": instance.is_active,
                "is_default": instance.is_default,
            }
        super().__init__(*args, **kwargs)
        self.fields["pipeline"].queryset = Pipeline.objects.filter(is_active=True).order_by("position", "id")  # type: ignore[attr-defined]
        self.fields["owner"].queryset = User.objects.filter(is_active=True).order_by("full_name", "email")  # type: ignore[attr-defined]
        self.fields["team"].queryset = Team.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["channel"].queryset = Channel.objects.filter(is_active=True)  # type: ignore[attr-defined]
        bootstrap(self)

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "fields": data["fields_shown"],
            "required_fields": data["fields_required"],
            "pipeline": data["pipeline"],
            "owner": data["owner"],
            "team": data["team"],
            "channel": data["channel"],
            "thank_you_text": data["thank_you_text"],
            "allowed_origins": [line for line in data["allowed_origins"].splitlines() if line.strip()],
            "is_active": data["is_active"],
            "is_default": data["is_default"],
        }
