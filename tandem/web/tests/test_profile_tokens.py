"""The profile's API tokens section: expiry chosen at creation, shown in the list, and the docs link."""

from __future__ import annotations

import datetime

import time_machine
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import ApiToken
from tandem.accounts.services import token_create

START = datetime.datetime(2030, 5, 1, 12, 0, tzinfo=datetime.UTC)


def test_token_created_with_an_expiry_expires_then(client, rep_a):
    with time_machine.travel(START, tick=False):
        client.force_login(rep_a)
        response = client.post(
            reverse("token_create"), {"name": "Site", "scope": "read", "expires_in_days": "90"}
        )

    assert response.status_code == 200
    assert ApiToken.objects.get(user=rep_a).expires_at == START + datetime.timedelta(days=90)


def test_token_without_expiry_never_expires_and_a_forged_choice_is_refused(client, rep_a):
    client.force_login(rep_a)

    client.post(reverse("token_create"), {"name": "Site", "scope": "write", "expires_in_days": ""})
    forged = client.post(reverse("token_create"), {"name": "X", "scope": "write", "expires_in_days": "-5"})

    assert list(ApiToken.objects.values_list("name", "expires_at")) == [("Site", None)]
    assert forged.status_code == 200
    assert "Select a valid choice" in forged.content.decode()


def test_profile_shows_expired_tokens_and_links_the_api_docs(client, rep_a):
    three_days_ago = timezone.now() - datetime.timedelta(days=3)
    with time_machine.travel(three_days_ago, tick=False):
        token_create(user=rep_a, name="Old", expires_at=three_days_ago + datetime.timedelta(days=1))
    client.force_login(rep_a)

    page = client.get(reverse("profile")).content.decode()

    assert f'href="{reverse("api_docs")}"' in page
    assert "Expired" in page
    assert "Revoke</button>" not in page
