from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tandem.contacts.models import ClientCategory, Company, Industry, Tag
from tandem.contacts.services import company_update

URL = "/api/v1/companies/"


def detail(company: Company) -> str:
    return f"{URL}{company.pk}/"


@pytest.fixture
def records(rep_a, rep_a2, rep_b, head_a, make_company):
    """One company per owner: rep_a and rep_a2 in team A, rep_b in team B."""
    return {
        "A1": make_company(rep_a, "Alpha One"),
        "A2": make_company(rep_a2, "Alpha Two"),
        "B1": make_company(rep_b, "Beta One"),
    }


def names(response) -> list[str]:
    return sorted(row["name"] for row in response.json()["results"])


# --- create -----------------------------------------------------------------------------------


def test_create_stores_national_phones_as_e164_and_returns_the_company(api, rep_a):
    industry = Industry.objects.create(name="Retail")
    category = ClientCategory.objects.create(name="VIP")
    body = {
        "name": "Acme ООД",
        "tax_id": "bg 123 456 789",
        "industry": industry.pk,
        "category": category.pk,
        "website": "https://acme.example",
        "phones": [{"number": "0888 123 456", "label": "mobile"}, {"number": "02 987 6543"}],
        "emails": [{"address": " Sales@Acme.Example ", "label": "sales"}],
        "tags": ["wholesale", "sofia"],
    }

    response = api(rep_a).post(URL, body, format="json")

    assert response.status_code == 201
    company = Company.objects.get()
    data = response.json()
    assert data == {
        "id": company.pk,
        "name": "Acme",
        "legal_form": "ООД",
        "tax_id": "BG123456789",
        "industry": industry.pk,
        "category": category.pk,
        "channel": None,
        "website": "https://acme.example",
        "address": "",
        "delivery_address": "",
        "needs": "",
        "notes": "",
        "owner": rep_a.pk,
        "owner_name": "Rita Rep",
        "tags": ["sofia", "wholesale"],
        "phones": [
            {"number": "+359 88 812 3456", "e164": "+359888123456", "extension": "", "label": "mobile"},
            {"number": "+359 2 987 6543", "e164": "+35929876543", "extension": "", "label": ""},
        ],
        "emails": [{"address": "sales@acme.example", "label": "sales"}],
        "created_at": data["created_at"],
        "updated_at": data["updated_at"],
    }
    assert list(company.phones.values_list("e164", flat=True)) == ["+359888123456", "+35929876543"]


def test_create_with_invalid_phone_is_400_and_creates_nothing(api, rep_a):
    body = {"name": "Acme", "phones": [{"number": "0888 123 456"}, {"number": "12"}]}

    response = api(rep_a).post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_phone"
    assert response.json()["error"]["fields"] == {"phones": ["“12” is not a valid phone number."]}
    assert Company.objects.count() == 0


def test_create_with_invalid_email_is_400(api, rep_a):
    body = {"name": "Acme", "emails": [{"address": "not-an-email"}]}

    response = api(rep_a).post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_email"
    assert response.json()["error"]["fields"] == {"emails": ["“not-an-email” is not a valid email address."]}
    assert Company.objects.count() == 0


def test_create_with_duplicate_tax_id_is_400(api, rep_a, rep_b, make_company):
    make_company(rep_b, "Other", tax_id="123456789")

    response = api(rep_a).post(URL, {"name": "Acme", "tax_id": "123 456 789"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "duplicate_tax_id"
    assert list(response.json()["error"]["fields"]) == ["tax_id"]
    assert Company.objects.count() == 1


def test_create_without_name_is_400_with_field(api, rep_a):
    response = api(rep_a).post(URL, {"tax_id": "1"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["fields"] == {"name": ["This field is required."]}


def test_create_with_unknown_field_is_400_unknown_field(api, rep_a):
    response = api(rep_a).post(URL, {"name": "Acme", "nmae": "typo"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_field"
    assert response.json()["error"]["fields"] == {"nmae": ["Unknown field."]}
    assert Company.objects.count() == 0


def test_create_with_unknown_field_inside_a_phone_is_400(api, rep_a):
    body = {"name": "Acme", "phones": [{"number": "0888 123 456", "kind": "mobile"}]}

    response = api(rep_a).post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_field"
    assert response.json()["error"]["fields"] == {"phones.0.kind": ["Unknown field."]}


def test_create_with_unknown_reference_id_is_400(api, rep_a):
    response = api(rep_a).post(URL, {"name": "Acme", "industry": 999}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["industry"]
    assert Company.objects.count() == 0


def test_create_with_wrong_types_is_400(api, rep_a):
    body = {"name": ["Acme"], "phones": "0888 123 456", "tags": "x"}

    response = api(rep_a).post(URL, body, format="json")

    assert response.status_code == 400
    assert sorted(response.json()["error"]["fields"]) == ["name", "phones", "tags"]


def test_rep_cannot_give_a_new_company_to_a_colleague(api, rep_a, rep_a2):
    response = api(rep_a).post(URL, {"name": "Acme", "owner": rep_a2.pk}, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "owner_not_allowed"
    assert Company.objects.count() == 0


def test_head_can_create_for_a_team_member(api, head_a, rep_a):
    response = api(head_a).post(URL, {"name": "Acme", "owner": rep_a.pk}, format="json")

    assert response.status_code == 201
    assert Company.objects.get().owner == rep_a


def test_readonly_cannot_create(api, readonly):
    response = api(readonly).post(URL, {"name": "Acme"}, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert Company.objects.count() == 0


# --- update -----------------------------------------------------------------------------------


def test_patch_changes_only_given_fields(api, rep_a, make_company):
    company = make_company(rep_a, "Acme", phones=["0888 123 456"], tax_id="111")

    response = api(rep_a).patch(detail(company), {"notes": "Call on Monday"}, format="json")

    assert response.status_code == 200
    company.refresh_from_db()
    assert (company.name, company.tax_id, company.notes) == ("Acme", "111", "Call on Monday")
    assert response.json()["phones"][0]["e164"] == "+359888123456"


def test_patch_replaces_phones_and_tags(api, rep_a, make_company):
    company = make_company(rep_a, "Acme", phones=["0888 123 456"])
    body = {"phones": [{"number": "+359 2 987 6543", "label": "office"}], "tags": ["key account"]}

    response = api(rep_a).patch(detail(company), body, format="json")

    assert response.status_code == 200
    assert [(p["e164"], p["label"]) for p in response.json()["phones"]] == [("+35929876543", "office")]
    assert response.json()["tags"] == ["key account"]
    assert list(company.tags.values_list("name", flat=True)) == ["key account"]


def test_put_requires_the_required_fields(api, rep_a, make_company):
    company = make_company(rep_a, "Acme")

    response = api(rep_a).put(detail(company), {"notes": "x"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"name": ["This field is required."]}
    company.refresh_from_db()
    assert company.notes == ""


def test_put_accepts_what_get_returned(api, rep_a, make_company):
    company = make_company(rep_a, "Acme", phones=["0888 123 456"], emails=["a@acme.example"])
    client = api(rep_a)
    body = client.get(detail(company)).json()
    body["name"] = "Acme Trading"

    response = client.put(detail(company), body, format="json")

    assert response.status_code == 200
    assert response.json()["name"] == "Acme Trading"
    assert response.json()["phones"] == body["phones"]
    assert response.json()["emails"] == body["emails"]


def test_patch_to_a_duplicate_tax_id_is_400_and_changes_nothing(api, rep_a, make_company):
    make_company(rep_a, "First", tax_id="111")
    second = make_company(rep_a, "Second", tax_id="222")

    response = api(rep_a).patch(detail(second), {"tax_id": "111", "name": "Renamed"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "duplicate_tax_id"
    second.refresh_from_db()
    assert (second.name, second.tax_id) == ("Second", "222")


# --- visibility over roles ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("rep_a", ["Alpha One"]),
        ("rep_b", ["Beta One"]),
        ("head_a", ["Alpha One", "Alpha Two"]),
        ("admin", ["Alpha One", "Alpha Two", "Beta One"]),
        ("readonly", ["Alpha One", "Alpha Two", "Beta One"]),
        ("marketer", ["Alpha One", "Alpha Two", "Beta One"]),
    ],
)
def test_list_shows_what_the_role_may_see(api, records, request, role, expected):
    response = api(request.getfixturevalue(role)).get(URL)

    assert response.status_code == 200
    assert names(response) == expected


def test_list_hides_trashed_companies(api, rep_a, records):
    api(rep_a).delete(detail(records["A1"]))

    assert names(api(rep_a).get(URL)) == []


def test_detail_of_own_company(api, rep_a, records):
    response = api(rep_a).get(detail(records["A1"]))

    assert response.status_code == 200
    assert response.json()["name"] == "Alpha One"


def test_rep_gets_404_for_another_reps_company(api, rep_a, records):
    response = api(rep_a).get(detail(records["B1"]))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_invisible_and_missing_companies_answer_the_same(api, rep_a, records):
    invisible = api(rep_a).get(detail(records["B1"]))
    missing = api(rep_a).get(f"{URL}999999/")

    assert invisible.status_code == missing.status_code == 404
    assert invisible.json() == missing.json()


def test_head_sees_team_companies_but_not_other_teams(api, head_a, records):
    client = api(head_a)

    assert client.get(detail(records["A2"])).status_code == 200
    assert client.get(detail(records["B1"])).status_code == 404


def test_rep_cannot_update_another_reps_company(api, rep_a, records):
    company = records["B1"]

    response = api(rep_a).patch(detail(company), {"name": "Hijacked"}, format="json")

    assert response.status_code == 404
    company.refresh_from_db()
    assert company.name == "Beta One"


def test_rep_cannot_update_a_teammates_company(api, rep_a, records):
    company = records["A2"]

    response = api(rep_a).put(detail(company), {"name": "Hijacked"}, format="json")

    assert response.status_code == 404
    company.refresh_from_db()
    assert company.name == "Alpha Two"


def test_rep_cannot_delete_another_reps_company(api, rep_a, records):
    company = records["B1"]

    response = api(rep_a).delete(detail(company))

    assert response.status_code == 404
    company.refresh_from_db()
    assert company.deleted_at is None


def test_head_updates_a_team_members_company(api, head_a, records):
    response = api(head_a).patch(detail(records["A2"]), {"notes": "escalated"}, format="json")

    assert response.status_code == 200
    records["A2"].refresh_from_db()
    assert records["A2"].notes == "escalated"


def test_head_cannot_update_another_teams_company(api, head_a, records):
    response = api(head_a).patch(detail(records["B1"]), {"notes": "x"}, format="json")

    assert response.status_code == 404
    records["B1"].refresh_from_db()
    assert records["B1"].notes == ""


def test_readonly_reads_any_company_but_cannot_change_it(api, readonly, records):
    client = api(readonly)
    company = records["B1"]

    read = client.get(detail(company))
    patch = client.patch(detail(company), {"name": "Changed"}, format="json")
    put = client.put(detail(company), {"name": "Changed"}, format="json")
    delete = client.delete(detail(company))

    assert read.status_code == 200
    assert (patch.status_code, put.status_code, delete.status_code) == (403, 403, 403)
    assert patch.json()["error"]["code"] == "permission_denied"
    company.refresh_from_db()
    assert (company.name, company.deleted_at) == ("Beta One", None)


def test_marketer_reads_all_but_cannot_change_others_companies(api, marketer, records):
    response = api(marketer).patch(detail(records["A1"]), {"name": "Changed"}, format="json")

    assert response.status_code == 403
    records["A1"].refresh_from_db()
    assert records["A1"].name == "Alpha One"


def test_admin_deletes_any_company_to_the_trash(api, admin, records):
    company = records["B1"]

    response = api(admin).delete(detail(company))

    assert response.status_code == 204
    company.refresh_from_db()
    assert company.deleted_at is not None
    assert api(admin).get(detail(company)).status_code == 404


def test_owner_deletes_own_company(api, rep_a, records):
    response = api(rep_a).delete(detail(records["A1"]))

    assert response.status_code == 204
    assert Company.objects.filter(deleted_at__isnull=True).count() == 2


# --- search and filters -----------------------------------------------------------------------


@pytest.mark.parametrize("query", ["0888 123 456", "+359888123456", "888123456"])
def test_search_finds_a_company_by_phone_in_any_format(api, rep_a, make_company, query):
    make_company(rep_a, "Acme", phones=["+359 888 123 456"])
    make_company(rep_a, "Other", phones=["0899 111 222"])

    response = api(rep_a).get(URL, {"search": query})

    assert names(response) == ["Acme"]


def test_search_by_name_prefix(api, rep_a, make_company):
    make_company(rep_a, "Acme Trading")
    make_company(rep_a, "Acorn Foods")
    make_company(rep_a, "Beta")

    assert names(api(rep_a).get(URL, {"search": "ac"})) == ["Acme Trading", "Acorn Foods"]
    assert names(api(rep_a).get(URL, {"search": "acme tra"})) == ["Acme Trading"]


def test_search_never_finds_invisible_companies(api, rep_a, records):
    assert names(api(rep_a).get(URL, {"search": "beta"})) == []


def test_filter_by_owner_and_team(api, admin, team_a, rep_a, records):
    client = api(admin)

    assert names(client.get(URL, {"owner": rep_a.pk})) == ["Alpha One"]
    assert names(client.get(URL, {"team": team_a.pk})) == ["Alpha One", "Alpha Two"]


def test_filter_by_category_industry_and_tag(api, rep_a, make_company):
    category = ClientCategory.objects.create(name="VIP")
    industry = Industry.objects.create(name="Retail")
    tag = Tag.objects.create(name="hot")
    tagged = make_company(rep_a, "Tagged")
    tagged.tags.add(tag)
    make_company(rep_a, "Categorised", category=category)
    make_company(rep_a, "Industrial", industry=industry)
    client = api(rep_a)

    assert names(client.get(URL, {"category": category.pk})) == ["Categorised"]
    assert names(client.get(URL, {"industry": industry.pk})) == ["Industrial"]
    assert names(client.get(URL, {"tag": tag.pk})) == ["Tagged"]


def test_filter_by_creation_date(api, rep_a, make_company):
    old = make_company(rep_a, "Old")
    make_company(rep_a, "New")
    Company.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=30))
    today = timezone.localdate()
    client = api(rep_a)

    assert names(client.get(URL, {"created_after": today.isoformat()})) == ["New"]
    before = (today - datetime.timedelta(days=1)).isoformat()
    assert names(client.get(URL, {"created_before": before})) == ["Old"]


def test_unknown_filter_is_400(api, rep_a):
    response = api(rep_a).get(URL, {"ownr": "1"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_filter"
    assert list(response.json()["error"]["fields"]) == ["ownr"]


def test_company_filter_is_unknown_on_companies(api, rep_a):
    response = api(rep_a).get(URL, {"company": "1"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_filter"


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("owner", "abc"),
        ("owner", "-1"),
        ("team", "1.5"),
        ("tag", "99999999999999999999999"),
        ("created_after", "yesterday"),
        ("created_before", "2024-13-45"),
        ("search", "x" * 201),
        ("page_size", "0"),
        ("page_size", "many"),
        ("ordering", "tax_id"),
    ],
)
def test_garbage_filter_values_are_400(api, rep_a, parameter, value):
    response = api(rep_a).get(URL, {parameter: value})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_filter"
    assert list(response.json()["error"]["fields"]) == [parameter]


@pytest.mark.parametrize("cursor", ["garbage", "eyJ2IjpbMV0sImIiOmZhbHNlfQ", ""])
def test_forged_cursor_is_400_or_first_page(api, rep_a, make_company, cursor):
    make_company(rep_a, "Acme")

    response = api(rep_a).get(URL, {"cursor": cursor})

    if cursor:
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_cursor"
    else:
        assert names(response) == ["Acme"]


# --- pagination and query counts ----------------------------------------------------------------


def walk(client, url: str, params: dict) -> list[list[str]]:
    pages = []
    response = client.get(url, params)
    while True:
        assert response.status_code == 200
        pages.append([row["name"] for row in response.json()["results"]])
        if response.json()["next"] is None:
            return pages
        response = client.get(response.json()["next"])


def test_cursor_pagination_walks_all_pages_newest_first(api, rep_a, make_company):
    for number in range(7):
        make_company(rep_a, f"Company {number}")

    pages = walk(api(rep_a), URL, {"page_size": 3})

    assert pages == [
        ["Company 6", "Company 5", "Company 4"],
        ["Company 3", "Company 2", "Company 1"],
        ["Company 0"],
    ]


def test_cursor_pagination_by_name_handles_equal_names(api, rep_a, make_company):
    for name in ["Delta", "Alpha", "Charlie", "Bravo", "Alpha", "Echo", "Alpha"]:
        make_company(rep_a, name)

    pages = walk(api(rep_a), URL, {"page_size": 2, "ordering": "name"})

    assert pages == [["Alpha", "Alpha"], ["Alpha", "Bravo"], ["Charlie", "Delta"], ["Echo"]]


def test_previous_link_returns_to_the_earlier_page(api, rep_a, make_company):
    for number in range(5):
        make_company(rep_a, f"Company {number}")
    client = api(rep_a)
    first = client.get(URL, {"page_size": 2, "ordering": "-name"}).json()

    second = client.get(first["next"]).json()
    back = client.get(second["previous"]).json()

    assert [row["name"] for row in second["results"]] == ["Company 2", "Company 1"]
    assert back["results"] == first["results"]
    assert first["previous"] is None


def test_cursor_from_another_ordering_is_400(api, rep_a, make_company):
    for number in range(3):
        make_company(rep_a, f"Company {number}")
    client = api(rep_a)
    next_link = client.get(URL, {"page_size": 1, "ordering": "name"}).json()["next"]
    cursor = next_link.split("cursor=")[1]

    response = client.get(URL, {"cursor": cursor, "ordering": "-created"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    return len(queries)


def test_list_query_count_does_not_grow_with_rows(api, head_a, rep_a, make_company):
    industry = Industry.objects.create(name="Retail")
    category = ClientCategory.objects.create(name="VIP")
    tags = [Tag.objects.create(name="hot"), Tag.objects.create(name="cold")]

    def add(count: int) -> None:
        for number in range(count):
            company = make_company(
                rep_a,
                f"Company {number}",
                phones=["0888 123 456", "02 987 6543"],
                emails=["a@b.example"],
                industry=industry,
                category=category,
            )
            company_update(actor=rep_a, company=company, data={}, tags=tags)

    client = api(head_a)
    client.get(URL)  # the token's first use records last_used_at once
    add(3)
    with_three = _list_queries(client)
    add(27)
    with_thirty = _list_queries(client)

    assert len(client.get(URL).json()["results"]) == 30
    assert with_three == with_thirty
    assert with_thirty <= 10


def test_unknown_path_under_the_api_is_json_404(api, rep_a):
    response = api(rep_a).get("/api/v1/companys/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_non_numeric_id_is_json_404(api, rep_a):
    response = api(rep_a).get(f"{URL}abc/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
