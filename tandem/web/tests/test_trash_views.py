"""Moving records to the trash, the trash page, and restoring them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tandem.contacts.models import Company, Contact
from tandem.contacts.services import record_trash
from tandem.history.models import Event


def test_trash_page_sends_anonymous_to_login(client, db):
    assert client.get(reverse("trash"))["Location"] == f"{reverse('login')}?next={reverse('trash')}"


def test_trash_moves_a_contact_out_of_lists_and_its_card_404s(client, rep_a, make_contact):
    contact = make_contact(rep_a, "Anna", "Gone")
    client.force_login(rep_a)

    response = client.post(reverse("record_trash", args=["contacts", contact.pk]))

    contact.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("contact_list")
    assert contact.deleted_at is not None
    assert client.get(reverse("contact_detail", args=[contact.pk])).status_code == 404
    assert client.get(reverse("contact_list")).context["page"].rows == []


def test_trash_page_lists_trashed_companies_and_contacts_with_restore(
    client, rep_a, make_company, make_contact
):
    company = make_company(rep_a, "Gone Co")
    contact = make_contact(rep_a, "Anna", "Gone")
    record_trash(actor=rep_a, record=company)
    record_trash(actor=rep_a, record=contact)
    client.force_login(rep_a)

    response = client.get(reverse("trash"))

    companies, contacts = response.context["sections"]
    assert [str(r) for r in companies["page"].rows] == ["Gone Co"]
    assert [str(r) for r in contacts["page"].rows] == ["Anna Gone"]
    assert reverse("record_restore", args=["companies", company.pk]) in response.content.decode()


def test_trash_page_shows_only_what_the_user_may_see(client, rep_a, rep_b, make_company):
    record_trash(actor=rep_b, record=make_company(rep_b, "Foreign Gone"))
    client.force_login(rep_a)

    response = client.get(reverse("trash"))

    assert [section["page"].rows for section in response.context["sections"]] == [[], []]


def test_restore_brings_a_company_back(client, rep_a, make_company):
    company = make_company(rep_a, "Back Co")
    record_trash(actor=rep_a, record=company)
    client.force_login(rep_a)

    response = client.post(reverse("record_restore", args=["companies", company.pk]))

    company.refresh_from_db()
    assert response["Location"] == reverse("company_detail", args=[company.pk])
    assert company.deleted_at is None
    assert list(Event.objects.filter(target_id=company.pk).values_list("action", flat=True)) == [
        "restored",
        "deleted",
        "created",
    ]


def test_trash_and_restore_of_another_teams_record_is_404(client, rep_a, rep_b, make_company, make_contact):
    company = make_company(rep_b, "Foreign")
    trashed = make_contact(rep_b, "Boris", "Trashed")
    record_trash(actor=rep_b, record=trashed)
    client.force_login(rep_a)

    trash = client.post(reverse("record_trash", args=["companies", company.pk]))
    restore = client.post(reverse("record_restore", args=["contacts", trashed.pk]))

    assert (trash.status_code, restore.status_code) == (404, 404)
    assert Company.objects.get().deleted_at is None
    assert Contact.objects.get().deleted_at is not None


@pytest.mark.parametrize("role", ["readonly", "marketer"])
def test_roles_without_delete_get_403_and_nothing_changes(client, request, rep_a, make_company, role):
    user = request.getfixturevalue(role)
    company = make_company(user if role == "marketer" else rep_a, "Kept")
    client.force_login(user)

    response = client.post(reverse("record_trash", args=["companies", company.pk]))

    company.refresh_from_db()
    assert response.status_code == 403
    assert company.deleted_at is None


def test_trash_needs_post(client, rep_a, make_company):
    company = make_company(rep_a, "Kept")
    client.force_login(rep_a)

    assert client.get(reverse("record_trash", args=["companies", company.pk])).status_code == 405
    assert client.get(reverse("record_restore", args=["companies", company.pk])).status_code == 405


def test_head_trashes_a_team_members_company(client, head_a, rep_a, make_company):
    company = make_company(rep_a, "Team Co")
    client.force_login(head_a)

    client.post(reverse("record_trash", args=["companies", company.pk]), {"next": "https://evil.example/"})

    company.refresh_from_db()
    assert company.deleted_at is not None


def test_trash_ignores_a_foreign_next_url(client, rep_a, make_company):
    company = make_company(rep_a, "Team Co")
    client.force_login(rep_a)

    response = client.post(
        reverse("record_trash", args=["companies", company.pk]), {"next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("company_list")


def test_trash_list_query_count_does_not_grow_with_rows(
    client, rep_a, make_company, make_contact, django_assert_num_queries
):
    def trash_some(start: int, end: int) -> None:
        for index in range(start, end):
            record_trash(actor=rep_a, record=make_company(rep_a, f"Gone {index}"))
            record_trash(actor=rep_a, record=make_contact(rep_a, "Gone", f"Person {index}"))

    trash_some(0, 2)
    client.force_login(rep_a)
    client.get(reverse("trash"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("trash"))
    trash_some(2, 15)

    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(reverse("trash"))

    assert response.status_code == 200
    assert response.content.decode().count("Gone") >= 30
