"""Query parameters of the sales-pipeline lists. Deals narrow through `deals.selectors.DealFilters`,
exactly like the board and the web deal list."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from tandem.api.filters import id_filter
from tandem.deals.models import Product
from tandem.deals.selectors import DealFilters

DEAL_STATUSES = [
    ("open", "open"),
    ("won", "won"),
    ("lost", "lost"),
    ("untaken", "untaken"),
    ("stuck", "stuck"),
    ("no_next_step", "no_next_step"),
]


class DealFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(max_length=200, help_text="Part of the deal's title.")
    pipeline = id_filter("Pipeline id.")
    stage = id_filter("Stage id.")
    owner = id_filter("Owner's user id.")
    team = id_filter("Team id: deals owned by the team's members.")
    channel = id_filter("Channel id.")
    product = id_filter("Product id: deals with a line of this product.")
    company = id_filter("Company id.")
    contact = id_filter("Contact id: deals this person takes part in.")
    close_from = django_filters.DateFilter(help_text="Expected to close on or after this date (YYYY-MM-DD).")
    close_to = django_filters.DateFilter(help_text="Expected to close on or before this date (YYYY-MM-DD).")
    status = django_filters.ChoiceFilter(
        choices=DEAL_STATUSES,
        help_text="`open`/`won`/`lost` by the stage's kind; `untaken`: inbound requests nobody picked up; "
        "`stuck`: open deals longer in their stage than it allows; `no_next_step`: open deals without a "
        "next step date.",
    )

    def deal_filters(self) -> DealFilters:
        data = self.form.cleaned_data
        return DealFilters(
            pipeline=data.get("pipeline"),
            stage=data.get("stage"),
            owner=data.get("owner"),
            team=data.get("team"),
            channel=data.get("channel"),
            product=data.get("product"),
            company=data.get("company"),
            contact=data.get("contact"),
            close_from=data.get("close_from"),
            close_to=data.get("close_to"),
            search=data.get("search") or "",
            status=data.get("status") or "",
        )


class StageFilterSet(django_filters.FilterSet):
    pipeline = id_filter("Pipeline id: only this pipeline's stages.")


class ProductFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(max_length=200, help_text="Part of the name or the SKU.")
    category = id_filter("Product category id.")
    active = django_filters.BooleanFilter(help_text="`true`: on sale; `false`: withdrawn.")

    def narrow(self, queryset: QuerySet[Product]) -> QuerySet[Product]:
        # Products are a reference list every role reads: no scope, only these narrowings.
        data = self.form.cleaned_data
        search = (data.get("search") or "").strip()
        if search:
            queryset = queryset.filter(Q(name__icontains=search) | Q(sku__icontains=search))
        if data.get("category"):
            queryset = queryset.filter(category_id=data["category"])
        if data.get("active") is not None:
            queryset = queryset.filter(is_active=data["active"])
        return queryset
