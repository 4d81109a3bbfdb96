"""The visibility matrix for deals: the board, the deal list, the card, the API list and detail show
a deal exactly when the role's scope allows; only roles that may change it can edit or move it."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from tandem.deals.models import Deal
from tandem.web.tests.deal_helpers import make_deal, pipeline, stage
from tandem.web.tests.test_visibility_matrix import CASES, MATRIX


@pytest.fixture
def deals(rep_a, rep_b) -> dict[str, Deal]:
    return {
        "alpha": make_deal(rep_a, "Alphaworth turbines"),
        "bravo": make_deal(rep_b, "Bravokin boilers"),
    }


@pytest.fixture
def as_user(rep_a, rep_a2, head_a, rep_b, admin, marketer, readonly):
    users = {
        "rep_a": rep_a,
        "rep_a2": rep_a2,
        "head_a": head_a,
        "rep_b": rep_b,
        "admin": admin,
        "marketer": marketer,
        "readonly": readonly,
    }

    def make(name: str) -> Client:
        client = Client()
        client.force_login(users[name])
        return client

    return make


@pytest.mark.parametrize(("viewer", "record"), CASES)
def test_every_deal_surface_shows_a_deal_exactly_when_the_role_allows(viewer, record, deals, as_user):
    client = as_user(viewer)
    deal = deals[record]
    may_see, _may_change = MATRIX[viewer][record]

    board = client.get(reverse("board"), {"pipeline": pipeline().pk})
    assert board.status_code == 200
    assert (deal.title in board.content.decode()) is may_see

    listing = client.get(reverse("deal_list"))
    assert listing.status_code == 200
    assert (deal.title in listing.content.decode()) is may_see

    card = client.get(reverse("deal_detail", args=[deal.pk]))
    assert card.status_code == (200 if may_see else 404)

    api_list = client.get("/api/v1/deals/")
    assert api_list.status_code == 200
    assert (deal.pk in [row["id"] for row in api_list.json()["results"]]) is may_see

    api_detail = client.get(f"/api/v1/deals/{deal.pk}/")
    assert api_detail.status_code == (200 if may_see else 404)


@pytest.mark.parametrize(("viewer", "record"), CASES)
def test_only_roles_allowed_to_change_a_deal_can_edit_or_move_it(viewer, record, deals, as_user):
    client = as_user(viewer)
    deal = deals[record]
    may_see, may_change = MATRIX[viewer][record]
    expected = 200 if may_change else (403 if may_see else 404)
    qualified = stage("Qualified")

    assert client.get(reverse("deal_edit", args=[deal.pk])).status_code == expected

    response = client.post(
        f"/api/v1/deals/{deal.pk}/move/",
        data=json.dumps({"stage": qualified.pk}),
        content_type="application/json",
    )
    assert response.status_code == expected
    deal.refresh_from_db()
    assert (deal.stage_id == qualified.pk) is may_change
    assert deal.stage_changes.count() == (2 if may_change else 1)
