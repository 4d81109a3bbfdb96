"""The product catalog: everyone reads it, only administrators change it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tandem.deals.models import Product, ProductCategory
from tandem.deals.services import product_category_save, product_save

HTMX = {"HTTP_HX_REQUEST": "true"}


def _data(**changes):
    data = {
        "name": "Pump X",
        "sku": "PX-1",
        "category": "",
        "unit": "pcs",
        "price": "120.50",
        "currency": "EUR",
        "vat_rate": "20",
        "is_active": "on",
    }
    data.update(changes)
    return data


@pytest.fixture
def pumps(db) -> ProductCategory:
    return product_category_save(actor=None, category=None, name="Pumps")


@pytest.fixture
def catalog(pumps):
    def make(name: str, sku: str = "", category=None, active: bool = True) -> Product:
        data = {"name": name, "sku": sku, "price": Decimal("10"), "currency_id": "EUR", "category": category}
        return product_save(actor=None, product=None, data={**data, "is_active": active})

    make("Pump A", "PA", pumps)
    make("Pump B", "PB", pumps, active=False)
    make("Valve", "V1")
    return make


def _names(response) -> list[str]:
    return [product.name for product in response.context["page"].rows]


def test_anonymous_is_sent_to_login(client, db):
    for url in ["/products/", "/products/new/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("role", ["rep_a", "head_a", "marketer", "readonly", "admin"])
def test_every_role_reads_the_catalog(client, catalog, role, request):
    client.force_login(request.getfixturevalue(role))
    response = client.get("/products/")
    assert response.status_code == 200
    assert _names(response) == ["Pump A", "Pump B", "Valve"]
    assert response.context["can_change"] is (role == "admin")
    assert ("/products/new/" in response.content.decode()) is (role == "admin")


@pytest.mark.parametrize("role", ["rep_a", "head_a", "marketer", "readonly"])
def test_non_admins_cannot_create_or_edit(client, catalog, role, request):
    client.force_login(request.getfixturevalue(role))
    product = Product.objects.get(name="Valve")
    assert client.get("/products/new/").status_code == 403
    assert client.post("/products/new/", _data()).status_code == 403
    assert client.post(f"/products/{product.pk}/edit/", _data(name="Hacked")).status_code == 403
    assert Product.objects.count() == 3
    assert Product.objects.filter(name="Hacked").count() == 0


def test_admin_creates_a_product(client, admin, pumps):
    client.force_login(admin)
    response = client.post("/products/new/", _data(category=pumps.pk, vat_rate="9"))
    assert response.status_code == 302
    assert response["Location"] == "/products/"
    product = Product.objects.get()
    assert (product.name, product.sku, product.category, product.unit) == ("Pump X", "PX-1", pumps, "pcs")
    assert (product.price, product.currency_id, product.vat_rate, product.is_active) == (
        Decimal("120.50"),
        "EUR",
        Decimal("9"),
        True,
    )


def test_admin_edits_a_product(client, admin, catalog):
    product = Product.objects.get(name="Valve")
    client.force_login(admin)
    form = client.get(f"/products/{product.pk}/edit/")
    assert form.status_code == 200
    assert 'value="Valve"' in form.content.decode()
    response = client.post(f"/products/{product.pk}/edit/", _data(name="Valve 2", sku="V1", is_active=""))
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.sku, product.is_active) == ("Valve 2", "V1", False)


def test_duplicate_sku_is_a_form_error(client, admin, catalog):
    client.force_login(admin)
    response = client.post("/products/new/", _data(sku="PA"))
    assert response.status_code == 200
    assert response.context["form"].errors == {"sku": ["Another product has this SKU."]}
    assert Product.objects.count() == 3


def test_many_products_may_have_no_sku(client, admin, catalog):
    client.force_login(admin)
    assert client.post("/products/new/", _data(name="No sku 1", sku="")).status_code == 302
    assert client.post("/products/new/", _data(name="No sku 2", sku="")).status_code == 302
    assert Product.objects.filter(sku="").count() == 2


def test_invalid_price_and_vat_are_form_errors(client, admin, db):
    client.force_login(admin)
    response = client.post("/products/new/", _data(price="-1", vat_rate="101"))
    assert response.status_code == 200
    assert sorted(response.context["form"].errors) == ["price", "vat_rate"]
    assert Product.objects.count() == 0


def test_search_category_and_active_filters(client, rep_a, catalog, pumps):
    client.force_login(rep_a)
    assert _names(client.get("/products/", {"q": "pump"})) == ["Pump A", "Pump B"]
    assert _names(client.get("/products/", {"q": "v1"})) == ["Valve"]
    assert _names(client.get("/products/", {"category": pumps.pk})) == ["Pump A", "Pump B"]
    assert _names(client.get("/products/", {"active": "no"})) == ["Pump B"]
    assert _names(client.get("/products/", {"active": "yes", "category": pumps.pk})) == ["Pump A"]
    assert _names(client.get("/products/", {"category": "zzz", "active": "maybe"})) == [
        "Pump A",
        "Pump B",
        "Valve",
    ]


def test_products_paginate_and_serve_a_fragment(client, rep_a, catalog, monkeypatch):
    monkeypatch.setattr("tandem.web.views.products.PAGE_SIZE", 2)
    client.force_login(rep_a)
    first = client.get("/products/", **HTMX)
    assert _names(first) == ["Pump A", "Pump B"]
    assert "<html" not in first.content.decode()
    assert "HX-Request" in first["Vary"]
    second = client.get("/products/", {"cursor": first.context["page"].next_cursor})
    assert _names(second) == ["Valve"]


def test_product_list_query_count_does_not_grow_with_rows(
    client, rep_a, catalog, pumps, django_assert_num_queries
):
    client.force_login(rep_a)
    client.get(reverse("product_list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("product_list"))
    for index in range(30):
        catalog(f"Part {index}", f"P{index}", pumps)

    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(reverse("product_list"))

    assert len(response.context["page"].rows) == 33
