"""Company pages: list, card, create and edit, the company chooser, and bulk actions."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tandem.contacts.models import Company, Contact, Tag
from tandem.history.models import Event

HTMX = {"HTTP_HX_REQUEST": "true"}


def _company_data(**changes):
    data = {
        "name": "Acme",
        "legal_form": "ООД",
        "tax_id": "",
        "industry": "",
        "category": "",
        "channel": "",
        "website": "",
        "address": "",
        "delivery_address": "",
        "needs": "",
        "notes": "",
        "owner": "",
        "new_tags": "",
        "phones-TOTAL_FORMS": "2",
        "phones-INITIAL_FORMS": "0",
        "phones-0-number": "02 987 6543",
        "phones-0-label": "office",
        "phones-1-number": "0888 123 456",
        "phones-1-label": "mobile",
        "emails-TOTAL_FORMS": "1",
        "emails-INITIAL_FORMS": "0",
        "emails-0-address": "office@acme.bg",
        "emails-0-label": "",
    }
    data.update(changes)
    return data


def _queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


# --- list ----------------------------------------------------------------------------------------


def test_company_list_sends_anonymous_to_login(client, db):
    response = client.get(reverse("company_list"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('company_list')}"


def test_company_list_is_scoped_by_role(client, admin, head_a, rep_a, rep_a2, rep_b, make_company):
    make_company(rep_a, "Alpha")
    make_company(rep_a2, "Beta")
    make_company(rep_b, "Gamma")

    def names(user):
        client.force_login(user)
        return [c.name for c in client.get(reverse("company_list")).context["page"].rows]

    assert names(rep_a) == ["Alpha"]
    assert names(head_a) == ["Alpha", "Beta"]
    assert names(admin) == ["Alpha", "Beta", "Gamma"]


@pytest.mark.parametrize("query", ["0888 123 456", "+359888123456", "888123456"])
def test_company_list_search_finds_a_phone_in_any_format(client, rep_a, make_company, query):
    make_company(rep_a, "Phone Ltd", phones=["0888 123 456"])
    make_company(rep_a, "Other Ltd", phones=["0877 555 444"])
    client.force_login(rep_a)

    response = client.get(reverse("company_list"), {"q": query})

    assert [c.name for c in response.context["page"].rows] == ["Phone"]


def test_company_list_filters_by_created_dates(client, rep_a, make_company):
    old, new = make_company(rep_a, "Old"), make_company(rep_a, "New")
    Company.objects.filter(pk=old.pk).update(
        created_at=datetime.datetime(2020, 1, 10, 8, tzinfo=datetime.UTC)
    )
    Company.objects.filter(pk=new.pk).update(
        created_at=datetime.datetime(2024, 6, 10, 8, tzinfo=datetime.UTC)
    )
    client.force_login(rep_a)

    response = client.get(reverse("company_list"), {"created_from": "2024-01-01", "created_to": "2024-12-31"})

    assert [c.name for c in response.context["page"].rows] == ["New"]


def test_company_list_htmx_fragment_varies_on_hx_request(client, rep_a, make_company):
    make_company(rep_a, "Fragment Co")
    client.force_login(rep_a)

    response = client.get(reverse("company_list"), {"q": "frag"}, **HTMX)

    html = response.content.decode()
    assert "<html" not in html
    assert "Fragment Co" in html
    assert "HX-Request" in [part.strip() for part in response["Vary"].split(",")]


@pytest.mark.parametrize(
    "params",
    [{"industry": "1e9", "category": "[]", "sort": "-id"}, {"cursor": "eyJ2IjpbMSwyXSwiYiI6dHJ1ZX0"}],
)
def test_company_list_garbage_parameters_never_fail(client, rep_a, make_company, params):
    make_company(rep_a, "Safe")
    client.force_login(rep_a)

    assert client.get(reverse("company_list"), params).status_code == 200


def test_company_list_shows_1000_plus_instead_of_counting_everything(
    client, rep_a, make_company, monkeypatch
):
    monkeypatch.setattr("tandem.core.pagination.COUNT_CAP", 2)
    for name in ["A", "B", "C"]:
        make_company(rep_a, name)
    client.force_login(rep_a)

    response = client.get(reverse("record_count", args=["companies"]))

    assert "1000+ found" in response.content.decode()


def test_company_list_query_count_does_not_grow_with_rows(
    client, rep_a, make_company, django_assert_num_queries
):
    for index in range(3):
        make_company(rep_a, f"Co {index}", phones=[f"0888 100 1{index:02d}"], emails=[f"{index}@x.bg"])
    client.force_login(rep_a)
    client.get(reverse("company_list"))
    few = _queries(client, reverse("company_list"))
    for index in range(3, 30):
        make_company(rep_a, f"Co {index}", phones=[f"0888 100 1{index:02d}"], emails=[f"{index}@x.bg"])

    with django_assert_num_queries(few):
        response = client.get(reverse("company_list"))

    assert len(response.context["page"].rows) == 30


# --- card ----------------------------------------------------------------------------------------


def test_company_card_shows_details_contacts_and_history(client, rep_a, make_company, make_contact):
    company = make_company(rep_a, "Acme ООД", tax_id="123456789", phones=["02 987 6543"], needs="Pallets")
    make_contact(rep_a, "Anna", "Buyer", company=company)
    client.force_login(rep_a)

    response = client.get(reverse("company_detail", args=[company.pk]))
    html = response.content.decode()

    assert response.status_code == 200
    assert "123456789" in html
    assert 'href="tel:+35929876543"' in html
    assert "Pallets" in html
    assert [str(c) for c in response.context["contacts"]] == ["Anna Buyer"]
    assert [(e.action, e.about) for e in response.context["timeline"]] == [
        ("created", "Anna Buyer"),
        ("created", ""),
    ]
    assert f"{reverse('contact_create')}?company={company.pk}" in html


def test_company_card_of_another_team_is_404(client, rep_a, rep_b, make_company):
    company = make_company(rep_b, "Foreign")
    client.force_login(rep_a)

    assert client.get(reverse("company_detail", args=[company.pk])).status_code == 404


def test_company_card_query_count_does_not_grow_with_contacts(
    client, rep_a, make_company, make_contact, django_assert_num_queries
):
    company = make_company(rep_a, "Acme", phones=["02 987 6543"])
    for index in range(3):
        make_contact(rep_a, f"N{index}", "Person", company=company, phones=[f"0888 100 1{index:02d}"])
    client.force_login(rep_a)
    url = reverse("company_detail", args=[company.pk])
    client.get(url)
    few = _queries(client, url)
    for index in range(3, 30):
        make_contact(rep_a, f"N{index}", "Person", company=company, phones=[f"0888 100 1{index:02d}"])

    with django_assert_num_queries(few):
        response = client.get(url)

    assert len(response.context["contacts"]) == 30
    assert 'href="tel:+359888100129"' in response.content.decode()  # each person's first phone


# --- create and edit -----------------------------------------------------------------------------


def test_create_company_with_phones_emails_and_tags(client, rep_a):
    existing = Tag.objects.create(name="Wholesale")
    client.force_login(rep_a)

    response = client.post(
        reverse("company_create"),
        _company_data(owner=rep_a.pk, tags=[existing.pk], new_tags="vip", tax_id="BG 123"),
    )

    company = Company.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("company_detail", args=[company.pk])
    assert (company.name, company.legal_form, company.tax_id) == ("Acme", "ООД", "BG123")
    assert [p.e164 for p in company.phones.all()] == ["+35929876543", "+359888123456"]
    assert [e.address for e in company.emails.all()] == ["office@acme.bg"]
    assert sorted(t.name for t in company.tags.all()) == ["Wholesale", "vip"]


def test_create_company_with_a_duplicate_tax_id_is_a_field_error(client, rep_a, rep_b, make_company):
    make_company(rep_b, "First", tax_id="123456789")
    client.force_login(rep_a)

    response = client.post(
        reverse("company_create"), _company_data(owner=rep_a.pk, tax_id="123456789", new_tags="x")
    )

    assert response.status_code == 200
    assert response.context["form"].errors["tax_id"] == ["Company First already has this tax id."]
    assert list(Company.objects.values_list("name", flat=True)) == ["First"]
    assert Tag.objects.count() == 0


def test_create_company_with_an_invalid_phone_saves_nothing(client, rep_a):
    client.force_login(rep_a)

    response = client.post(
        reverse("company_create"), _company_data(owner=rep_a.pk, **{"phones-1-number": "abc"})
    )

    assert response.context["form"].phones.errors[1] == {"number": ["This is not a valid phone number."]}
    assert Company.objects.count() == 0


def test_create_company_with_a_bad_website_is_a_field_error(client, rep_a):
    client.force_login(rep_a)

    response = client.post(reverse("company_create"), _company_data(owner=rep_a.pk, website="not a url"))

    assert response.context["form"].errors["website"] == ["Enter a valid URL."]
    assert Company.objects.count() == 0


def test_readonly_and_marketer_permissions_on_create(client, readonly, marketer):
    client.force_login(readonly)
    assert client.post(reverse("company_create"), _company_data(owner=readonly.pk)).status_code == 403
    client.force_login(marketer)
    assert client.post(reverse("company_create"), _company_data(owner=marketer.pk)).status_code == 302
    assert list(Company.objects.values_list("owner__email", flat=True)) == ["marketer@example.com"]


def test_edit_company_changes_fields_and_records_old_and_new(client, rep_a, make_company):
    company = make_company(rep_a, "Acme", tax_id="111")
    client.force_login(rep_a)

    response = client.post(
        reverse("company_edit", args=[company.pk]), _company_data(owner=rep_a.pk, tax_id="222", legal_form="")
    )

    company.refresh_from_db()
    event = Event.objects.filter(action=Event.Action.UPDATED).get()
    assert response.status_code == 302
    assert company.tax_id == "222"
    assert {"field": "tax_id", "old": "111", "new": "222"} in event.changes


def test_edit_of_another_teams_company_is_404_and_changes_nothing(client, rep_a, rep_b, make_company):
    company = make_company(rep_b, "Foreign")
    client.force_login(rep_a)

    response = client.post(reverse("company_edit", args=[company.pk]), _company_data(owner=rep_a.pk))

    company.refresh_from_db()
    assert response.status_code == 404
    assert (company.name, company.owner) == ("Foreign", rep_b)


def test_readonly_gets_403_on_company_edit(client, readonly, rep_a, make_company):
    company = make_company(rep_a, "Locked")
    client.force_login(readonly)

    response = client.post(
        reverse("company_edit", args=[company.pk]), _company_data(owner=rep_a.pk, name="Changed")
    )

    company.refresh_from_db()
    assert response.status_code == 403
    assert company.name == "Locked"


def test_head_reassigns_a_company_within_the_team(client, head_a, rep_a, rep_a2, make_company):
    company = make_company(rep_a, "Acme")
    client.force_login(head_a)

    client.post(reverse("company_edit", args=[company.pk]), _company_data(owner=rep_a2.pk))

    company.refresh_from_db()
    assert company.owner == rep_a2


def test_company_chooser_offers_only_visible_companies(client, rep_a, rep_b, make_company):
    make_company(rep_a, "Acme Own")
    make_company(rep_b, "Acme Foreign")
    client.force_login(rep_a)

    response = client.get(reverse("company_choices"), {"q": "acme"}, **HTMX)

    assert [c.name for c in response.context["companies"]] == ["Acme Own"]
    assert "Acme Foreign" not in response.content.decode()


# --- bulk actions --------------------------------------------------------------------------------


def test_bulk_reassign_gives_the_ticked_companies_to_a_team_member(
    client, head_a, rep_a, rep_a2, make_company
):
    first, second = make_company(rep_a, "One"), make_company(rep_a, "Two")
    client.force_login(head_a)

    response = client.post(
        reverse("bulk_action", args=["companies"]),
        {"ids": [first.pk, second.pk], "action": "reassign", "owner": rep_a2.pk, "next": "/companies/?q=x"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/companies/?q=x"
    assert list(Company.objects.order_by("name").values_list("owner_id", flat=True)) == [rep_a2.pk, rep_a2.pk]


def test_bulk_reassign_to_someone_not_assignable_is_refused(client, rep_a, rep_a2, make_company):
    company = make_company(rep_a, "One")
    client.force_login(rep_a)

    response = client.post(
        reverse("bulk_action", args=["companies"]),
        {"ids": [company.pk], "action": "reassign", "owner": rep_a2.pk},
    )

    company.refresh_from_db()
    assert response.status_code == 302
    assert company.owner == rep_a


def test_bulk_tag_adds_a_new_tag_to_every_ticked_contact(client, rep_a, make_contact):
    first, second = make_contact(rep_a, "Anna", "One"), make_contact(rep_a, "Bob", "Two")
    client.force_login(rep_a)

    client.post(
        reverse("bulk_action", args=["contacts"]),
        {"ids": [first.pk, second.pk], "action": "tag", "tag": "Fair"},
    )

    assert [list(c.tags.values_list("name", flat=True)) for c in (first, second)] == [["Fair"], ["Fair"]]


def test_bulk_trash_moves_the_ticked_records_to_the_trash(client, rep_a, make_company):
    first, second = make_company(rep_a, "One"), make_company(rep_a, "Two")
    make_company(rep_a, "Kept")
    client.force_login(rep_a)

    client.post(reverse("bulk_action", args=["companies"]), {"ids": [first.pk, second.pk], "action": "trash"})

    assert list(Company.objects.filter(deleted_at__isnull=True).values_list("name", flat=True)) == ["Kept"]


@pytest.mark.parametrize("action", ["reassign", "tag", "trash"])
def test_bulk_batch_with_a_record_of_another_team_changes_nothing(client, rep_a, rep_b, make_contact, action):
    own, foreign = make_contact(rep_a, "Anna", "Own"), make_contact(rep_b, "Boris", "Foreign")
    client.force_login(rep_a)

    response = client.post(
        reverse("bulk_action", args=["contacts"]),
        {"ids": [own.pk, foreign.pk], "action": action, "owner": rep_a.pk, "tag": "Hot"},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [
        "Some of the chosen records are not yours to change; nothing was changed."
    ]
    assert list(
        Contact.objects.filter(deleted_at__isnull=True).order_by("pk").values_list("owner_id", flat=True)
    ) == [
        rep_a.pk,
        rep_b.pk,
    ]
    assert Contact.tags.through.objects.count() == 0
    assert Tag.objects.count() == 0


def test_bulk_action_without_ticked_rows_is_reported(client, rep_a):
    client.force_login(rep_a)

    response = client.post(
        reverse("bulk_action", args=["contacts"]), {"action": "trash", "ids": ["x"]}, follow=True
    )

    assert [str(m) for m in response.context["messages"]] == ["Tick at least one record."]


def test_bulk_action_refuses_get_and_anonymous(client, rep_a):
    assert client.post(reverse("bulk_action", args=["contacts"]), {"action": "trash"}).status_code == 302
    client.force_login(rep_a)
    assert client.get(reverse("bulk_action", args=["contacts"])).status_code == 405


def test_readonly_bulk_trash_is_refused(client, readonly, rep_a, make_contact):
    contact = make_contact(rep_a, "Anna", "Kept")
    client.force_login(readonly)

    client.post(reverse("bulk_action", args=["contacts"]), {"ids": [contact.pk], "action": "trash"})

    contact.refresh_from_db()
    assert contact.deleted_at is None
