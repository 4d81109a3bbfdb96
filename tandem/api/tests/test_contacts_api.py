from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tandem.contacts.models import ClientCategory, Contact, ContactRole, Tag
from tandem.contacts.services import record_share

URL = "/api/v1/contacts/"


def detail(contact: Contact) -> str:
    return f"{URL}{contact.pk}/"


def names(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return sorted(row["name"] for row in response.json()["results"])


@pytest.fixture
def records(rep_a, rep_a2, rep_b, head_a, make_contact):
    return {
        "A1": make_contact(rep_a, "Anna", "Alpha"),
        "A2": make_contact(rep_a2, "Anton", "Alpha"),
        "B1": make_contact(rep_b, "Boris", "Beta"),
    }


def test_create_contact_with_company_phones_and_messengers(api, rep_a, make_company):
    company = make_company(rep_a, "Acme")
    role = ContactRole.objects.create(name="Buyer")
    body = {
        "first_name": "Ivan",
        "last_name": "Petrov",
        "company": company.pk,
        "role": role.pk,
        "position": "Purchasing manager",
        "birthday": "1980-05-17",
        "messengers": {"viber": "+359888123456", "telegram": "@ivan"},
        "phones": [{"number": "0888 123 456 ext. 12", "label": "work"}],
        "emails": [{"address": "Ivan@Acme.Example"}],
        "tags": ["decision maker"],
        "marketing_consent": True,
    }

    response = api(rep_a).post(URL, body, format="json")

    assert response.status_code == 201
    contact = Contact.objects.get()
    data = response.json()
    assert data == {
        "id": contact.pk,
        "name": "Ivan Petrov",
        "first_name": "Ivan",
        "middle_name": "",
        "last_name": "Petrov",
        "company": company.pk,
        "position": "Purchasing manager",
        "role": role.pk,
        "channel": None,
        "birthday": "1980-05-17",
        "messengers": {"viber": "+359888123456", "telegram": "@ivan"},
        "interests": "",
        "preferences": "",
        "marketing_consent": True,
        "notes": "",
        "owner": rep_a.pk,
        "owner_name": "Rita Rep",
        "tags": ["decision maker"],
        "phones": [
            {
                "number": "+359 88 812 3456 ext. 12",
                "e164": "+359888123456",
                "extension": "12",
                "label": "work",
            }
        ],
        "emails": [{"address": "ivan@acme.example", "label": ""}],
        "created_at": data["created_at"],
        "updated_at": data["updated_at"],
    }
    assert contact.marketing_consent_at is not None


def test_create_contact_without_any_name_is_400(api, rep_a):
    response = api(rep_a).post(URL, {"position": "Director"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "name_required"
    assert list(response.json()["error"]["fields"]) == ["first_name"]
    assert Contact.objects.count() == 0


def test_create_contact_with_unknown_messenger_is_400(api, rep_a):
    response = api(rep_a).post(URL, {"first_name": "Ivan", "messengers": {"icq": "123"}}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_messenger"
    assert Contact.objects.count() == 0


def test_create_contact_at_an_invisible_company_is_400_like_a_missing_one(api, rep_a, rep_b, make_company):
    invisible = make_company(rep_b, "Hidden")

    hidden = api(rep_a).post(URL, {"first_name": "Ivan", "company": invisible.pk}, format="json")
    missing = api(rep_a).post(URL, {"first_name": "Ivan", "company": 999999}, format="json")

    assert hidden.status_code == missing.status_code == 400
    assert list(hidden.json()["error"]["fields"]) == ["company"]
    assert hidden.json()["error"]["fields"]["company"] == [
        message.replace("999999", str(invisible.pk))
        for message in missing.json()["error"]["fields"]["company"]
    ]
    assert Contact.objects.count() == 0


def test_create_contact_with_invalid_phone_is_400(api, rep_a):
    body = {"first_name": "Ivan", "phones": [{"number": "call me"}]}

    response = api(rep_a).post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_phone"
    assert response.json()["error"]["fields"] == {"phones": ["“call me” is not a valid phone number."]}


def test_create_contact_with_unknown_field_is_400(api, rep_a):
    response = api(rep_a).post(URL, {"first_name": "Ivan", "surname": "Petrov"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_field"
    assert response.json()["error"]["fields"] == {"surname": ["Unknown field."]}


def test_patch_contact_moves_it_to_no_company(api, rep_a, make_company, make_contact):
    company = make_company(rep_a, "Acme")
    contact = make_contact(rep_a, company=company)

    response = api(rep_a).patch(detail(contact), {"company": None}, format="json")

    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.company is None


def test_shared_contact_keeps_a_company_the_colleague_cannot_see(
    api, rep_a, rep_b, make_company, make_contact
):
    company = make_company(rep_b, "Beta Corp")
    contact = make_contact(rep_b, "Boris", "Beta", company=company)
    record_share(actor=rep_b, record=contact, users=[rep_a])
    client = api(rep_a)
    body = client.get(detail(contact)).json()
    body["position"] = "CEO"

    response = client.put(detail(contact), body, format="json")

    assert response.status_code == 200
    contact.refresh_from_db()
    assert (contact.position, contact.company_id) == ("CEO", company.pk)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("rep_a", ["Anna Alpha"]),
        ("rep_b", ["Boris Beta"]),
        ("head_a", ["Anna Alpha", "Anton Alpha"]),
        ("admin", ["Anna Alpha", "Anton Alpha", "Boris Beta"]),
        ("readonly", ["Anna Alpha", "Anton Alpha", "Boris Beta"]),
    ],
)
def test_contact_list_shows_what_the_role_may_see(api, records, request, role, expected):
    assert names(api(request.getfixturevalue(role)).get(URL)) == expected


def test_rep_gets_404_for_another_reps_contact_and_changes_nothing(api, rep_a, records):
    contact = records["B1"]
    client = api(rep_a)

    read = client.get(detail(contact))
    patch = client.patch(detail(contact), {"first_name": "Hacked"}, format="json")
    delete = client.delete(detail(contact))

    assert (read.status_code, patch.status_code, delete.status_code) == (404, 404, 404)
    contact.refresh_from_db()
    assert (contact.first_name, contact.deleted_at) == ("Boris", None)


def test_head_updates_and_deletes_team_contacts(api, head_a, records):
    client = api(head_a)

    patch = client.patch(detail(records["A2"]), {"position": "Buyer"}, format="json")
    delete = client.delete(detail(records["A1"]))

    assert (patch.status_code, delete.status_code) == (200, 204)
    records["A2"].refresh_from_db()
    records["A1"].refresh_from_db()
    assert records["A2"].position == "Buyer"
    assert records["A1"].deleted_at is not None


def test_head_cannot_touch_another_teams_contact(api, head_a, records):
    response = api(head_a).delete(detail(records["B1"]))

    assert response.status_code == 404
    records["B1"].refresh_from_db()
    assert records["B1"].deleted_at is None


def test_readonly_reads_contacts_but_gets_403_on_writes(api, readonly, records):
    client = api(readonly)
    contact = records["A1"]

    assert client.get(detail(contact)).status_code == 200
    assert client.patch(detail(contact), {"first_name": "X"}, format="json").status_code == 403
    assert client.delete(detail(contact)).status_code == 403
    assert client.post(URL, {"first_name": "New"}, format="json").status_code == 403
    contact.refresh_from_db()
    assert (contact.first_name, contact.deleted_at) == ("Anna", None)
    assert Contact.objects.count() == 3


@pytest.mark.parametrize("query", ["0888 123 456", "+359888123456", "888123456"])
def test_search_finds_a_contact_by_phone_in_any_format(api, rep_a, make_contact, query):
    make_contact(rep_a, "Ivan", "Petrov", phones=["0888123456"])
    make_contact(rep_a, "Maria", "Ivanova", phones=["0899 111 222"])

    assert names(api(rep_a).get(URL, {"search": query})) == ["Ivan Petrov"]


def test_search_contacts_by_name_prefix(api, rep_a, make_contact):
    make_contact(rep_a, "Ivan", "Petrov")
    make_contact(rep_a, "Ivana", "Georgieva")
    make_contact(rep_a, "Maria", "Petrova")

    assert names(api(rep_a).get(URL, {"search": "iva"})) == ["Ivan Petrov", "Ivana Georgieva"]
    assert names(api(rep_a).get(URL, {"search": "petr"})) == ["Ivan Petrov", "Maria Petrova"]


def test_filter_contacts_by_company_category_and_tag(api, rep_a, make_company, make_contact):
    category = ClientCategory.objects.create(name="VIP")
    acme = make_company(rep_a, "Acme", category=category)
    make_contact(rep_a, "Ivan", "Petrov", company=acme)
    tagged = make_contact(rep_a, "Maria", "Petrova")
    tag = Tag.objects.create(name="hot")
    tagged.tags.add(tag)
    client = api(rep_a)

    assert names(client.get(URL, {"company": acme.pk})) == ["Ivan Petrov"]
    assert names(client.get(URL, {"category": category.pk})) == ["Ivan Petrov"]
    assert names(client.get(URL, {"tag": tag.pk})) == ["Maria Petrova"]


def test_contact_filters_reject_garbage(api, rep_a):
    response = api(rep_a).get(URL, {"company": "acme"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_filter"
    assert list(response.json()["error"]["fields"]) == ["company"]


def test_contact_unknown_filter_is_400(api, rep_a):
    response = api(rep_a).get(URL, {"q": "ivan"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_filter"


def test_contact_pagination_by_name_walks_all_pages(api, rep_a, make_contact):
    for first, last in [("Ivan", "Petrov"), ("Anna", "Petrova"), ("Boris", "Angelov"), ("Ani", "Petrov")]:
        make_contact(rep_a, first, last)
    client = api(rep_a)
    seen = []
    response = client.get(URL, {"ordering": "name", "page_size": 1})
    while True:
        seen += [row["name"] for row in response.json()["results"]]
        if response.json()["next"] is None:
            break
        response = client.get(response.json()["next"])

    assert seen == ["Boris Angelov", "Ani Petrov", "Ivan Petrov", "Anna Petrova"]


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    return len(queries)


def test_contact_list_query_count_does_not_grow_with_rows(api, admin, rep_a, make_company, make_contact):
    company = make_company(rep_a, "Acme")
    role = ContactRole.objects.create(name="Buyer")
    tag = Tag.objects.create(name="hot")

    def add(count: int) -> None:
        for number in range(count):
            contact = make_contact(
                rep_a,
                f"Person{number}",
                "Test",
                company=company,
                role=role,
                phones=["0888 123 456"],
                emails=[f"p{number}@example.com"],
            )
            contact.tags.add(tag)

    client = api(admin)
    client.get(URL)
    add(3)
    with_three = _list_queries(client)
    add(27)
    with_thirty = _list_queries(client)

    assert with_three == with_thirty
    assert with_thirty <= 10
