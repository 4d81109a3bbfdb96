"""Sharing a record with colleagues from its card."""

from __future__ import annotations

from django.urls import reverse


def test_share_form_lists_colleagues_but_not_the_owner(client, rep_a, rep_a2, rep_b, make_company):
    company = make_company(rep_a, "Acme")
    client.force_login(rep_a)

    response = client.get(reverse("share", args=["companies", company.pk]))

    assert response.status_code == 200
    assert sorted(str(u) for u in response.context["form"].fields["users"].queryset) == [
        "Boris Rep",
        "Ravi Rep",
    ]


def test_sharing_lets_a_colleague_of_another_team_see_and_edit(client, rep_a, rep_b, make_contact):
    contact = make_contact(rep_a, "Anna", "Shared")
    client.force_login(rep_a)

    response = client.post(reverse("share", args=["contacts", contact.pk]), {"users": [rep_b.pk]})

    assert response["Location"] == reverse("contact_detail", args=[contact.pk])
    assert list(contact.shared_with.all()) == [rep_b]
    client.force_login(rep_b)
    assert client.get(reverse("contact_detail", args=[contact.pk])).status_code == 200
    assert client.get(reverse("contact_edit", args=[contact.pk])).status_code == 200


def test_share_of_another_teams_record_is_404_and_changes_nothing(client, rep_a, rep_b, make_contact):
    contact = make_contact(rep_b, "Boris", "Private")
    client.force_login(rep_a)

    response = client.post(reverse("share", args=["contacts", contact.pk]), {"users": [rep_a.pk]})

    assert response.status_code == 404
    assert list(contact.shared_with.all()) == []


def test_readonly_cannot_share(client, readonly, rep_a, make_contact):
    contact = make_contact(rep_a, "Anna", "Private")
    client.force_login(readonly)

    response = client.post(reverse("share", args=["contacts", contact.pk]), {"users": [readonly.pk]})

    assert response.status_code == 403
    assert list(contact.shared_with.all()) == []


def test_share_needs_login(client, rep_a, make_contact):
    contact = make_contact(rep_a, "Anna", "Private")

    assert client.get(reverse("share", args=["contacts", contact.pk])).status_code == 302
