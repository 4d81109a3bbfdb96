"""Deal fixtures: the seeded sales process (migration 0002) and a deal maker over the services."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tandem.accounts.models import User
from tandem.deals.models import Currency, Deal, LostReason, Pipeline, Stage
from tandem.deals.services import currency_save, deal_create


@pytest.fixture
def pipeline(db) -> Pipeline:
    """'New clients': New request, Qualified, Meeting (contacts), Offer sent and Negotiation
    (amount, expected close date), Won (amount), Lost."""
    return Pipeline.objects.get(name="New clients")


@pytest.fixture
def other_pipeline(db) -> Pipeline:
    return Pipeline.objects.get(name="Repeat sales")


@pytest.fixture
def stages(pipeline) -> dict[str, Stage]:
    return {stage.name: stage for stage in pipeline.stages.all()}


@pytest.fixture
def lost_reason(db) -> LostReason:
    return LostReason.objects.get(name="Price too high")


@pytest.fixture
def usd(db) -> Currency:
    return currency_save(actor=None, code="USD", rate=Decimal("0.5"))


@pytest.fixture
def make_deal(pipeline):
    def make(actor: User, title: str = "Deal", **kwargs) -> Deal:
        data = {"title": title, "pipeline": pipeline, **kwargs.pop("data", {})}
        return deal_create(actor=actor, data=data, **kwargs)

    return make
