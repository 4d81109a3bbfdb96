"""List filters: query parameters validated by django-filter, applied by the selectors (ListFilters).

The FilterSets only describe and validate; `contacts.selectors` does the narrowing, so the API filters
exactly like the web lists and global search do.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework.request import Request

from tandem.api.errors import ApiError
from tandem.contacts.selectors import ListFilters

# Query parameters every list understands besides its filters.
PAGINATION_PARAMETERS = frozenset({"cursor", "page_size", "ordering"})


class IdFilter(django_filters.Filter):
    field_class = forms.IntegerField


def id_filter(description: str) -> IdFilter:
    """A filter by a row id (positive integer), documented as such in the schema."""
    id_field = IdFilter(min_value=1, max_value=2**63 - 1)
    schema = {"type": "integer", "minimum": 1, "description": description}
    return extend_schema_field(schema)(id_field)  # type: ignore[no-any-return]


class RecordFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(
        max_length=200,
        help_text="Same as global search: every word as a prefix of a name, email, tax id…; "
        "or a phone number in any format (0888 123 456, +359888123456, 888123456).",
    )
    owner = id_filter("Owner's user id.")
    team = id_filter("Team id: records owned by the team's members.")
    category = id_filter("Client category id.")
    industry = id_filter("Industry id.")
    tag = id_filter("Tag id.")
    created_after = django_filters.DateFilter(help_text="Created on or after this date (YYYY-MM-DD).")
    created_before = django_filters.DateFilter(help_text="Created on or before this date (YYYY-MM-DD).")

    def list_filters(self) -> ListFilters:
        data = self.form.cleaned_data
        return ListFilters(
            search=data.get("search") or "",
            owner=data.get("owner"),
            team=data.get("team"),
            category=data.get("category"),
            industry=data.get("industry"),
            tag=data.get("tag"),
            company=data.get("company"),
            created_from=data.get("created_after"),
            created_to=data.get("created_before"),
        )


class CompanyFilterSet(RecordFilterSet):
    pass


class ContactFilterSet(RecordFilterSet):
    company = id_filter("Company id.")


def validated_filterset(
    request: Request,
    filterset_class: type[django_filters.FilterSet],
    queryset: QuerySet,
    *,
    paginated: bool = True,
) -> django_filters.FilterSet:
    """The list's query parameters checked strictly: unknown ones and invalid values are a 400."""
    allowed = set(filterset_class.base_filters) | (PAGINATION_PARAMETERS if paginated else set())
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        message = _("Unknown query parameter. Known: %(known)s.") % {"known": ", ".join(sorted(allowed))}
        raise ApiError("unknown_filter", message, fields={name: [message] for name in unknown})
    filterset = filterset_class(data=request.query_params, queryset=queryset)
    if not filterset.is_valid():
        fields = {name: [str(message) for message in messages] for name, messages in filterset.errors.items()}
        message = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in fields.items())
        raise ApiError("invalid_filter", message, fields=fields)
    return filterset


def list_filters_from(
    request: Request, filterset_class: type[RecordFilterSet], queryset: QuerySet
) -> ListFilters:
    """Validate a list's query parameters strictly and turn them into the selectors' ListFilters."""
    filterset = validated_filterset(request, filterset_class, queryset)
    return filterset.list_filters()  # type: ignore[attr-defined, no-any-return]


class SelectorFilterBackend(DjangoFilterBackend):
    """Documents the view's FilterSet in the schema; the selector has already applied the filters."""

    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        return queryset
