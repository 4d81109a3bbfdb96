"""Forms of the activity UI: the card's two-mode form (log what happened / plan the next step), the
edit form of the activity page, "done" with outcome and note, and "reschedule". Forms only validate
and shape input for the services; they never save anything themselves."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tandem.accounts.models import User
from tandem.activities.attachments import attachments_check
from tandem.activities.models import Activity, ActivityType, Outcome
from tandem.activities.selectors import outcomes_active
from tandem.contacts.models import Company, Contact
from tandem.deals.models import Deal
from tandem.web.forms.contacts import bootstrap

MODE_LOG = "log"
MODE_PLAN = "plan"
MAX_DURATION_MINUTES = 60 * 24 * 7
# A done time a little ahead of the server clock is a clock skew, not the future.
FUTURE_TOLERANCE = datetime.timedelta(minutes=5)

REMINDER_CHOICES = [
    ("", pgettext_lazy("reminder", "No reminder")),
    ("0", _("At the due time")),
    ("15", _("15 minutes before")),
    ("60", _("1 hour before")),
    ("1440", _("1 day before")),
]
KEEP_REMINDER = "keep"


def _datetime_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def local_now() -> datetime.datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


def default_due() -> datetime.datetime:
    """Tomorrow at 10:00 in the user's time zone: a sensible first guess for a next step."""
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time(10, 0)))


def _model_field(form: forms.Form, name: str) -> forms.ModelChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; the attachment service checks type and size."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


def _link_field(model: type[Deal] | type[Contact] | type[Company]) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=model.objects.all(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("Choose a record you can see.")},
    )


class ActivityForm(forms.Form):
    """Log a done activity or plan one. `mode` decides which fields count; the card's own record is
    linked by the view, the hidden deal/contact/company add links (the service checks visibility).

    With `instance` it edits that activity (its state fixes the mode)."""

    mode = forms.ChoiceField(
        choices=[(MODE_LOG, _("Log what happened")), (MODE_PLAN, _("Plan the next step"))],
        widget=forms.RadioSelect,
        initial=MODE_LOG,
    )
    type = forms.ModelChoiceField(label=_("Type"), queryset=ActivityType.objects.none(), empty_label=None)
    subject = forms.CharField(
        label=_("Subject"),
        max_length=255,
        required=False,
        help_text=_("Empty: the type's name."),
    )
    done_at = forms.DateTimeField(label=_("When"), required=False, widget=_datetime_input())
    outcome = forms.ModelChoiceField(label=_("Outcome"), queryset=Outcome.objects.none(), required=False)
    direction = forms.ChoiceField(label=_("Direction"), choices=Activity.Direction.choices, required=False)
    due_at = forms.DateTimeField(label=_("Due"), required=False, widget=_datetime_input())
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), empty_label=None, required=False
    )
    reminder = forms.ChoiceField(label=_("Reminder"), choices=REMINDER_CHOICES, required=False)
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=1, max_value=MAX_DURATION_MINUTES, required=False
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Type @ and a colleague's name or email to notify them."),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    deal = _link_field(Deal)
    contact = _link_field(Contact)
    company = _link_field(Company)

    LOG_ONLY = ("done_at", "outcome", "direction")
    PLAN_ONLY = ("due_at", "reminder")

    def __init__(
        self,
        data: Any = None,
        files: Any = None,
        *,
        user: User,
        instance: Activity | None = None,
        prefix: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.user = user
        self.instance = instance
        initial: dict[str, Any] = kwargs.setdefault("initial", {})
        if instance is not None:
            initial.update(self._instance_initial(instance))
        else:
            initial.setdefault("mode", MODE_LOG)
            initial.setdefault("done_at", local_now())
            initial.setdefault("due_at", default_due())
            initial.setdefault("assignee", user.pk)
            initial.setdefault("reminder", "15")
        super().__init__(data, files, prefix=prefix, **kwargs)
        # Editing keeps the activity's own type, outcome and assignee even when since deactivated.
        keep_type = Q(pk=instance.type_id) if instance else Q(pk__in=[])
        keep_outcome = Q(pk=instance.outcome_id) if instance and instance.outcome_id else Q(pk__in=[])
        keep_assignee = Q(pk=instance.assignee_id) if instance else Q(pk__in=[])
        _model_field(self, "type").queryset = ActivityType.objects.filter(
            Q(is_active=True) | keep_type
        ).order_by("position", "name")
        _model_field(self, "outcome").queryset = Outcome.objects.filter(
            Q(is_active=True) | keep_outcome
        ).order_by("position", "name")
        _model_field(self, "assignee").queryset = User.objects.filter(
            Q(is_active=True) | keep_assignee
        ).order_by("full_name", "email")
        if instance is not None:
            del self.fields["mode"]
            for name in self.PLAN_ONLY if instance.is_done else self.LOG_ONLY:
                del self.fields[name]
            for name in ("deal", "contact", "company"):
                del self.fields[name]
            self._keep_custom_reminder(instance)
        bootstrap(self)
        if "mode" in self.fields:
            self.fields["mode"].widget.attrs["class"] = "btn-check"
        self.fields["attachments"].widget.attrs.update({"class": "form-control form-control-sm"})
        self.fields["description"].widget.attrs["data-mention-url"] = reverse_lazy("mention_suggestions")

    # --- editing ---------------------------------------------------------------------------------

    @staticmethod
    def _instance_initial(activity: Activity) -> dict[str, Any]:
        reminder = ""
        if activity.remind_at and activity.due_at:
            minutes = int((activity.due_at - activity.remind_at).total_seconds() // 60)
            values = [value for value, _label in REMINDER_CHOICES]
            reminder = str(minutes) if str(minutes) in values else KEEP_REMINDER
        return {
            "type": activity.type_id,
            "subject": activity.subject,
            "done_at": timezone.localtime(activity.done_at) if activity.done_at else None,
            "outcome": activity.outcome_id,
            "direction": activity.direction,
            "due_at": timezone.localtime(activity.due_at) if activity.due_at else None,
            "assignee": activity.assignee_id,
            "reminder": reminder,
            "duration_minutes": activity.duration_minutes,
            "description": activity.description,
        }

    def _keep_custom_reminder(self, activity: Activity) -> None:
        if "reminder" in self.fields and self.initial.get("reminder") == KEEP_REMINDER and activity.remind_at:
            label = date_format(timezone.localtime(activity.remind_at), "SHORT_DATETIME_FORMAT")
            field = self.fields["reminder"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [*REMINDER_CHOICES, (KEEP_REMINDER, label)]

    # --- validation ------------------------------------------------------------------------------

    @property
    def mode_value(self) -> str:
        if self.instance is not None:
            return MODE_LOG if self.instance.is_done else MODE_PLAN
        value = self.data.get(self.add_prefix("mode")) if self.is_bound else self.initial.get("mode")
        return MODE_PLAN if value == MODE_PLAN else MODE_LOG

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        mode = self.mode_value
        now = timezone.now()
        if mode == MODE_LOG:
            done_at = cleaned.get("done_at")
            if "done_at" in self.fields and done_at is None and "done_at" not in self.errors:
                if self.instance is None:
                    cleaned["done_at"] = now
                else:
                    self.add_error("done_at", _("Say when it happened."))
            elif done_at is not None and done_at > now + FUTURE_TOLERANCE:
                self.add_error("done_at", _("It cannot have happened in the future; plan it instead."))
            elif (
                done_at is not None
                and self.instance is None
                and datetime.timedelta(0) <= now - done_at < datetime.timedelta(minutes=1)
            ):
                # The form's default ("now", to the minute): keep the exact time, so it sorts right.
                cleaned["done_at"] = now
        else:
            if cleaned.get("due_at") is None and "due_at" not in self.errors:
                self.add_error("due_at", _("Set when it is due."))
        # A logged activity is the logger's own (the assignee select belongs to planning); a planned
        # one is the chosen colleague's, or the user's when none is chosen.
        if self.instance is None and (mode == MODE_LOG or cleaned.get("assignee") is None):
            cleaned["assignee"] = self.user
        elif cleaned.get("assignee") is None and "assignee" not in self.errors:
            cleaned["assignee"] = self.instance.assignee if self.instance is not None else self.user
        type_ = cleaned.get("type")
        if not (cleaned.get("subject") or "").strip() and type_ is not None:
            cleaned["subject"] = type_.name
        return cleaned

    def clean_attachments(self) -> list[Any]:
        """Refuse programs, forbidden types and oversized files here, before anything is saved."""
        files: list[Any] = self.cleaned_data.get("attachments") or []
        try:
            attachments_check(files)
        except DjangoValidationError as error:
            raise forms.ValidationError(error.messages) from error
        return files

    def remind_at(self) -> datetime.datetime | None:
        due = self.cleaned_data.get("due_at")
        choice = self.cleaned_data.get("reminder") or ""
        if due is None or not choice:
            return None
        if choice == KEEP_REMINDER:
            return self.instance.remind_at if self.instance is not None else None
        return due - datetime.timedelta(minutes=int(choice))

    def files_to_attach(self) -> list[Any]:
        files: list[Any] = self.cleaned_data.get("attachments") or []
        return files

    def links(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in ("deal", "contact", "company")}

    def create_arguments(self) -> dict[str, Any]:
        """Keyword arguments of `activity_create` (without actor and the card's links), which are also
        the `data` of `activity_update` for an edited activity."""
        data = self.cleaned_data
        arguments: dict[str, Any] = {
            "type": data["type"],
            "subject": data["subject"],
            "description": data.get("description") or "",
            "assignee": data["assignee"],
            "duration_minutes": data.get("duration_minutes"),
        }
        if self.mode_value == MODE_LOG:
            arguments.update(
                done_at=data["done_at"], outcome=data.get("outcome"), direction=data.get("direction") or ""
            )
        else:
            arguments.update(due_at=data["due_at"], remind_at=self.remind_at())
        return arguments

    def add_service_error(self, error: Any) -> None:
        """Show what a service refused next to the fields it concerns (or above the form)."""
        if hasattr(error, "error_dict"):
            for name, messages in error.message_dict.items():
                visible = name in self.fields and not self.fields[name].widget.is_hidden
                self.add_error(name if visible else None, messages)
        elif hasattr(error, "messages"):
            self.add_error(None, error.messages)
        else:
            self.add_error(None, str(getattr(error, "message", error)))

    def top_errors(self) -> list[str]:
        """Errors shown above the form: non-field ones and those of hidden fields."""
        errors = [str(message) for message in self.non_field_errors()]
        for field in self.hidden_fields():
            errors += [str(message) for message in field.errors]
        return errors


class DoneForm(forms.Form):
    """Finishing a planned activity: how it went and what was said."""

    outcome = forms.ModelChoiceField(label=_("Outcome"), queryset=Outcome.objects.none(), required=False)
    note = forms.CharField(
        label=_("Short note"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, data: Any = None, *, activity: Activity, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"outcome": activity.outcome_id})
        kwargs.setdefault("auto_id", f"id_%s_{activity.pk}")  # several rows may show the form at once
        super().__init__(data, **kwargs)
        _model_field(self, "outcome").queryset = outcomes_active()
        bootstrap(self)
        self.fields["note"].widget.attrs["data-mention-url"] = reverse_lazy("mention_suggestions")


class RescheduleForm(forms.Form):
    """A new due time: one of the quick choices, or a typed date and time."""

    SHIFTS = ("hour", "tomorrow", "week")

    due_at = forms.DateTimeField(label=_("New due time"), required=False, widget=_datetime_input())
    shift = forms.ChoiceField(choices=[(name, name) for name in SHIFTS], required=False)

    def __init__(self, data: Any = None, *, activity: Activity, **kwargs: Any) -> None:
        self.activity = activity
        due = activity.due_at or timezone.now()
        kwargs.setdefault("initial", {"due_at": timezone.localtime(due).replace(second=0, microsecond=0)})
        kwargs.setdefault("auto_id", f"id_%s_{activity.pk}")
        super().__init__(data, **kwargs)
        bootstrap(self)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        shift = cleaned.get("shift")
        if shift:
            cleaned["due_at"] = self.shifted(shift)
        elif cleaned.get("due_at") is None and "due_at" not in self.errors:
            self.add_error("due_at", _("Set the new due time."))
        return cleaned

    def shifted(self, shift: str) -> datetime.datetime:
        """In an hour from now; or tomorrow / in a week at the same time of day as it was due."""
        now = local_now()
        if shift == "hour":
            return now + datetime.timedelta(hours=1)
        due = timezone.localtime(self.activity.due_at) if self.activity.due_at else now
        days = 1 if shift == "tomorrow" else 7
        day = timezone.localdate() + datetime.timedelta(days=days)
        return timezone.make_aware(datetime.datetime.combine(day, due.time().replace(tzinfo=None)))
