"""One matrix over every surface: a record is visible (and editable) in the list, the card, global
search, the API list, the API detail and the edit page exactly when the role's scope allows it."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from tandem.contacts.models import Contact

ALPHA = {"first_name": "Zebulon", "last_name": "Alphaworth", "phones": ["0888 111 222"]}
BRAVO = {"first_name": "Xander", "last_name": "Bravokin", "phones": ["0899 333 444"]}

# viewer -> {record: (may see, may change)}
MATRIX = {
    "rep_a": {"alpha": (True, True), "bravo": (False, False)},
    "rep_a2": {"alpha": (False, False), "bravo": (False, False)},
    "head_a": {"alpha": (True, True), "bravo": (False, False)},
    "rep_b": {"alpha": (False, False), "bravo": (True, True)},
    "admin": {"alpha": (True, True), "bravo": (True, True)},
    "marketer": {"alpha": (True, False), "bravo": (True, False)},
    "readonly": {"alpha": (True, False), "bravo": (True, False)},
}
CASES = [(viewer, record) for viewer, records in MATRIX.items() for record in records]


@pytest.fixture
def records(rep_a, rep_b, make_contact) -> dict[str, Contact]:
    return {
        "alpha": make_contact(rep_a, **{**ALPHA, "phones": list(ALPHA["phones"])}),
        "bravo": make_contact(rep_b, **{**BRAVO, "phones": list(BRAVO["phones"])}),
    }


@pytest.fixture
def viewer_client(request, rep_a, rep_a2, head_a, rep_b, admin, marketer, readonly):
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


def _snapshot(contact: Contact) -> tuple:
    contact.refresh_from_db()
    return (contact.first_name, contact.last_name, contact.owner_id, contact.updated_at)


@pytest.mark.parametrize(("viewer", "record"), CASES)
def test_every_surface_shows_a_record_exactly_when_the_role_allows(viewer, record, records, viewer_client):
    client = viewer_client(viewer)
    contact = records[record]
    may_see, _may_change = MATRIX[viewer][record]
    phone = (ALPHA if record == "alpha" else BRAVO)["phones"][0]

    listing = client.get(reverse("contact_list"))
    assert listing.status_code == 200
    assert (contact.last_name in listing.content.decode()) is may_see

    card = client.get(reverse("contact_detail", args=[contact.pk]))
    assert card.status_code == (200 if may_see else 404)

    search = client.get(reverse("global_search"), {"q": phone})
    assert search.status_code == 200
    assert (contact.last_name in search.content.decode()) is may_see

    api_list = client.get("/api/v1/contacts/", {"search": phone})
    assert api_list.status_code == 200
    assert [row["id"] for row in api_list.json()["results"]] == ([contact.pk] if may_see else [])

    api_detail = client.get(f"/api/v1/contacts/{contact.pk}/")
    assert api_detail.status_code == (200 if may_see else 404)


@pytest.mark.parametrize(("viewer", "record"), CASES)
def test_only_roles_allowed_to_change_a_record_can_open_its_editor_or_change_it(
    viewer, record, records, viewer_client
):
    client = viewer_client(viewer)
    contact = records[record]
    may_see, may_change = MATRIX[viewer][record]
    expected = 200 if may_change else (403 if may_see else 404)
    before = _snapshot(contact)

    editor = client.get(reverse("contact_edit", args=[contact.pk]))
    assert editor.status_code == expected

    response = client.patch(
        f"/api/v1/contacts/{contact.pk}/",
        data=json.dumps({"last_name": "Changed"}),
        content_type="application/json",
    )
    assert response.status_code == expected
    if may_change:
        contact.refresh_from_db()
        assert contact.last_name == "Changed"
    else:
        assert _snapshot(contact) == before
