"""Makers shared by the deal page tests: the seeded pipeline, its stages, and deals in them."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from tandem.accounts.models import User
from tandem.deals.defaults import sales_process_seed
from tandem.deals.models import Currency, Deal, Pipeline, Stage
from tandem.deals.services import ContactInput, deal_create


def ensure_sales_process() -> None:
    """The default pipelines, currencies and lost reasons of the data migration; a transactional
    test (the browser's live server) flushes them, so put them back when they are gone."""
    if not Pipeline.objects.exists() or not Currency.objects.exists():
        from django.apps import apps

        sales_process_seed(apps)


def pipeline() -> Pipeline:
    ensure_sales_process()
    return Pipeline.objects.order_by("position", "id").first()  # type: ignore[return-value]


def stage(name: str) -> Stage:
    return Stage.objects.get(pipeline=pipeline(), name=name)


def make_deal(
    owner: User,
    title: str = "Big order",
    *,
    stage_name: str = "New request",
    amount: str | None = "1000.00",
    currency: str = "EUR",
    contacts: list[Any] | None = None,
    **data: Any,
) -> Deal:
    values: dict[str, Any] = {
        "title": title,
        "pipeline": pipeline(),
        "amount": Decimal(amount) if amount is not None else None,
        "currency": Currency.objects.get(pk=currency),
        "next_step_date": datetime.date(2030, 1, 1),
        **data,
    }
    return deal_create(
        actor=owner,
        data=values,
        stage=stage(stage_name),
        contacts=[ContactInput(contact) for contact in contacts or []],
    )
