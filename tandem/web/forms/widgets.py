"""Widgets rendered in Python where Django's template-per-option rendering shows in page time."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import SafeString


class QuickSelect(forms.Select):
    """A single `<select>` with the markup of Django's, built straight from the choices: Django's
    `get_context` makes a dict of attributes per option and renders a template for each (a list page's
    six filters have a hundred options: ~10 ms a page)."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        selected = set(self.format_value(value))  # as Django's, only the first match is marked
        parts = [f'<select name="{escape(name)}"{flatatt(self.build_attrs(self.attrs, attrs))}>']
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):
                parts.append(f'<optgroup label="{escape(option_value)}">')
                self._options(parts, label, selected)
                parts.append("</optgroup>")
            else:
                self._options(parts, [(option_value, label)], selected)
        parts.append("</select>")
        return SafeString("".join(parts))

    @staticmethod
    def _options(parts: list[str], choices: Iterable[tuple[Any, Any]], selected: set[str]) -> None:
        for option_value, label in choices:
            text = "" if option_value is None else str(option_value)
            chosen = text in selected
            if chosen:
                selected.clear()
            mark = " selected" if chosen else ""
            parts.append(f'<option value="{escape(text)}"{mark}>{escape(label)}</option>')


def record_choices(field: forms.Field) -> list[tuple[Any, Any]]:
    """A choice field's options but the empty one, read once: a template's `{% for %}` over a model
    choice field's `choices` counts the records before reading them (two queries)."""
    assert isinstance(field, forms.ChoiceField)
    choices: Iterable[tuple[Any, Any]] = field.choices  # type: ignore[assignment]
    return [(value, label) for value, label in iter(choices) if value != ""]


def quicken(form: forms.BaseForm) -> None:
    """Render the form's plain single selects with `QuickSelect` (same attributes, same choices)."""
    for field in form.fields.values():
        if type(field.widget) is forms.Select:
            field.widget.__class__ = QuickSelect
