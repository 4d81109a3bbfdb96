"""The webhook settings form: shapes input for the webhook services, never saves anything."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tandem.core.events import EVENT_NAMES
from tandem.web.forms.contacts import bootstrap
from tandem.webhooks.models import Webhook

EVENT_LABELS = {
    "company.created": _("Company created"),
    "company.updated": _("Company changed"),
    "company.deleted": _("Company moved to the trash"),
    "contact.created": _("Contact created"),
    "contact.updated": _("Contact changed"),
    "contact.deleted": _("Contact moved to the trash"),
    "deal.created": _("Deal created"),
    "deal.updated": _("Deal changed"),
    "deal.deleted": _("Deal moved to the trash"),
    "deal.stage_changed": _("Deal moved to another stage"),
    "deal.won": _("Deal won"),
    "deal.lost": _("Deal lost"),
    "activity.created": _("Activity created"),
    "activity.done": _("Activity done"),
    "import.finished": _("Import finished"),
}


class WebhookForm(forms.Form):
    url = forms.URLField(
        label=_("Payload URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Tandem sends a signed JSON POST request to this address."),
    )
    description = forms.CharField(label=_("Description"), max_length=255, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(name, f"{EVENT_LABELS.get(name, name)} ({name})") for name in EVENT_NAMES],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Unknown event: %(value)s.")},
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    allow_private_network = forms.BooleanField(
        label=_("Allow private network addresses"),
        required=False,
        help_text=_(
            "Only for receivers inside your own network: lets Tandem call loopback and private addresses."
        ),
    )

    def __init__(self, data: Any = None, *, instance: Webhook | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs.setdefault("initial", {}).update(
                {name: getattr(instance, name) for name in self.base_fields}
            )
        super().__init__(data, **kwargs)
        bootstrap(self)
