from __future__ import annotations

from decimal import Decimal

import pytest

from tandem.accounts.models import ApiToken
from tandem.deals.models import Product, ProductCategory

URL = "/api/v1/products/"


@pytest.fixture
def catalogue(db):
    hardware = ProductCategory.objects.create(name="Hardware")
    return {
        "router": Product.objects.create(
            name="Router", sku="RT-1", category=hardware, price=Decimal("80.00"), currency_id="EUR"
        ),
        "switch": Product.objects.create(
            name="Switch",
            sku="SW-1",
            category=hardware,
            price=Decimal("120.00"),
            currency_id="EUR",
            is_active=False,
        ),
        "support": Product.objects.create(name="Support hour", price=Decimal("40.00"), currency_id="EUR"),
        "hardware": hardware,
    }


def names(response) -> list[str]:
    return sorted(row["name"] for row in response.json()["results"])


def test_every_role_lists_products(api, rep_a, readonly, catalogue):
    for user in (rep_a, readonly):
        assert names(api(user).get(URL)) == ["Router", "Support hour", "Switch"]


def test_products_filter_by_search_category_and_active(api, rep_a, catalogue):
    client = api(rep_a)

    assert names(client.get(URL, {"search": "rt-"})) == ["Router"]
    assert names(client.get(URL, {"category": catalogue["hardware"].pk})) == ["Router", "Switch"]
    assert names(client.get(URL, {"active": "true"})) == ["Router", "Support hour"]
    assert names(client.get(URL, {"active": "false"})) == ["Switch"]
    assert [row["name"] for row in client.get(URL, {"ordering": "name"}).json()["results"]] == [
        "Router",
        "Support hour",
        "Switch",
    ]


def test_product_list_refuses_unknown_filters(api, rep_a):
    response = api(rep_a).get(URL, {"price": "10"})

    assert (response.status_code, response.json()["error"]["code"]) == (400, "unknown_filter")


def test_retrieve_a_product(api, rep_a, catalogue):
    router = catalogue["router"]

    response = api(rep_a).get(f"{URL}{router.pk}/")

    assert response.status_code == 200
    assert response.json() == {
        "id": router.pk,
        "name": "Router",
        "sku": "RT-1",
        "category": catalogue["hardware"].pk,
        "unit": "",
        "price": "80.00",
        "currency": "EUR",
        "vat_rate": "20.00",
        "is_active": True,
    }


def test_admin_creates_and_updates_a_product(api, admin):
    client = api(admin)

    created = client.post(
        URL, {"name": " Cable ", "sku": "CB-1", "price": "2.50", "currency": "EUR"}, format="json"
    )
    product = Product.objects.get()
    updated = client.patch(f"{URL}{product.pk}/", {"price": "3.00", "is_active": False}, format="json")

    assert created.status_code == 201
    assert (created.json()["id"], created.json()["name"]) == (product.pk, "Cable")
    assert updated.status_code == 200
    product.refresh_from_db()
    assert (product.price, product.is_active) == (Decimal("3.00"), False)


@pytest.mark.parametrize("role", ["rep_a", "head_a", "readonly"])
def test_roles_without_change_product_get_403_and_nothing_changes(api, request, role, catalogue):
    client = api(request.getfixturevalue(role))
    router = catalogue["router"]

    create = client.post(URL, {"name": "Cable", "price": "2.50", "currency": "EUR"}, format="json")
    update = client.patch(f"{URL}{router.pk}/", {"price": "1.00"}, format="json")

    assert (create.status_code, update.status_code) == (403, 403)
    assert Product.objects.count() == 3
    router.refresh_from_db()
    assert router.price == Decimal("80.00")


def test_read_scope_token_cannot_write_products(api, admin, catalogue):
    response = api(admin, scope=ApiToken.Scope.READ).patch(
        f"{URL}{catalogue['router'].pk}/", {"price": "1.00"}, format="json"
    )

    assert (response.status_code, response.json()["error"]["code"]) == (403, "read_only_token")
    catalogue["router"].refresh_from_db()
    assert catalogue["router"].price == Decimal("80.00")


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"price": "-1"}, "invalid", "price"),
        ({"sku": "RT-1"}, "duplicate_sku", "sku"),
        ({"currency": "XYZ"}, "invalid", "currency"),
        ({"colour": "red"}, "unknown_field", "colour"),
    ],
)
def test_product_create_refuses_bad_input(api, admin, catalogue, body, code, field):
    response = api(admin).post(
        URL, {"name": "Cable", "price": "2.50", "currency": "EUR", **body}, format="json"
    )

    assert response.status_code == 400
    assert (response.json()["error"]["code"], list(response.json()["error"]["fields"])) == (code, [field])
    assert Product.objects.count() == 3


def test_products_cannot_be_deleted_through_the_api(api, admin, catalogue):
    response = api(admin).delete(f"{URL}{catalogue['router'].pk}/")

    assert response.status_code == 405
    assert Product.objects.count() == 3
