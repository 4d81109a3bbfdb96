"""Global search: the top-bar dropdown (htmx) and the full results page."""

from __future__ import annotations

import pytest
from django.urls import reverse

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_global_search_sends_anonymous_to_login(client, db):
    response = client.get(reverse("global_search"), {"q": "acme"})

    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('login')}?next=")


@pytest.mark.parametrize("query", ["0888 123 456", "+359888123456", "888123456"])
def test_global_search_finds_contacts_and_companies_by_phone_in_any_format(
    client, rep_a, make_company, make_contact, query
):
    make_company(rep_a, "Phone Co", phones=["0888 123 456"])
    make_contact(rep_a, "Anna", "Phone", phones=["+359 888 123 456"])
    make_contact(rep_a, "Other", "Person", phones=["0877 555 444"])
    client.force_login(rep_a)

    page = client.get(reverse("global_search"), {"q": query})
    dropdown = client.get(reverse("global_search"), {"q": query}, **HTMX).content.decode()

    assert [str(c) for c in page.context["contacts"]] == ["Anna Phone"]
    assert [c.name for c in page.context["companies"]] == ["Phone Co"]
    assert ("Anna Phone" in dropdown, "Phone Co" in dropdown, "Other Person" in dropdown) == (
        True,
        True,
        False,
    )


def test_global_search_dropdown_is_a_fragment_with_links(client, rep_a, make_company, make_contact):
    company = make_company(rep_a, "Acme")
    contact = make_contact(rep_a, "Anna", "Acmeson")
    client.force_login(rep_a)

    response = client.get(reverse("global_search"), {"q": "acm"}, **HTMX)

    html = response.content.decode()
    assert "<html" not in html
    assert f'href="{reverse("contact_detail", args=[contact.pk])}"' in html
    assert f'href="{reverse("company_detail", args=[company.pk])}"' in html
    assert f'href="{reverse("global_search")}?q=acm"' in html
    assert "HX-Request" in [part.strip() for part in response["Vary"].split(",")]


def test_global_search_page_without_htmx_is_a_full_page(client, rep_a, make_company):
    make_company(rep_a, "Acme")
    client.force_login(rep_a)

    response = client.get(reverse("global_search"), {"q": "acme"})

    html = response.content.decode()
    assert "<html" in html
    assert "Search results for “acme”" in html
    assert [c.name for c in response.context["companies"]] == ["Acme"]


def test_global_search_respects_visibility(client, rep_a, rep_b, make_company, make_contact):
    make_company(rep_b, "Acme Foreign")
    make_contact(rep_b, "Acme", "Foreigner")
    make_company(rep_a, "Acme Own")
    client.force_login(rep_a)

    response = client.get(reverse("global_search"), {"q": "acme"})

    assert [c.name for c in response.context["companies"]] == ["Acme Own"]
    assert response.context["contacts"] == []
    assert "Foreign" not in response.content.decode()


def test_global_search_ignores_one_character_and_trashed_records(client, rep_a, make_company):
    from tandem.contacts.services import record_trash

    record_trash(actor=rep_a, record=make_company(rep_a, "Acme Gone"))
    client.force_login(rep_a)

    short = client.get(reverse("global_search"), {"q": "a"}, **HTMX)
    gone = client.get(reverse("global_search"), {"q": "acme"})

    assert short.content.decode().strip() == ""
    assert (gone.context["companies"], gone.context["contacts"]) == ([], [])


@pytest.mark.parametrize("query", ["\"'*()", "NEAR(a b)", "x" * 500, "a OR b", "-- ;"])
def test_global_search_with_odd_text_never_fails(client, rep_a, make_company, query):
    make_company(rep_a, "Acme")
    client.force_login(rep_a)

    assert client.get(reverse("global_search"), {"q": query}).status_code == 200
    assert client.get(reverse("global_search"), {"q": query}, **HTMX).status_code == 200


def test_top_bar_search_box_is_on_every_page(client, rep_a):
    client.force_login(rep_a)

    html = client.get(reverse("contact_list")).content.decode()

    assert f'hx-get="{reverse("global_search")}"' in html
    assert 'hx-trigger="input changed delay:250ms, search"' in html
    assert f'action="{reverse("global_search")}"' in html


def test_searching_a_list_without_a_chosen_sort_lists_the_newest_matches_first(client, rep_a, make_contact):
    make_contact(rep_a, "Ivan", "Angelov")
    make_contact(rep_a, "Ivana", "Zlatkova")
    make_contact(rep_a, "Petar", "Borisov")
    client.force_login(rep_a)

    searched = client.get(reverse("contact_list"), {"q": "iva"}).content.decode()
    by_name = client.get(reverse("contact_list"), {"q": "iva", "sort": "name"}).content.decode()

    assert searched.index("Zlatkova") < searched.index("Angelov")
    assert 'value="recent" selected' in searched
    assert by_name.index("Angelov") < by_name.index("Zlatkova")
    assert "Borisov" not in searched


def test_top_bar_search_lists_the_newest_matches_first(client, rep_a, make_company):
    make_company(rep_a, "Balkan Alpha")
    make_company(rep_a, "Balkan Omega")
    client.force_login(rep_a)

    body = client.get(reverse("global_search"), {"q": "balkan"}).content.decode()

    assert body.index("Balkan Omega") < body.index("Balkan Alpha")
