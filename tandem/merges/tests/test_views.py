"""The duplicates pages over the roles: who sees which pairs, who may merge, dismiss and undo."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tandem.contacts.models import Contact
from tandem.merges.models import DuplicateCandidate, Merge, RecordKind
from tandem.merges.scan import duplicates_scan
from tandem.merges.selectors import candidate_list
from tandem.merges.services import record_merge


@pytest.fixture
def pairs(rep_a, rep_a2, rep_b, make_contact):
    """Pairs by the owners of their two records: a/a, a/a2 (one team), a/b (two teams), b/b."""
    made = {}
    for name, (first, second) in {
        "a": (rep_a, rep_a),
        "team": (rep_a, rep_a2),
        "mixed": (rep_a, rep_b),
        "b": (rep_b, rep_b),
    }.items():
        email = f"{name}@example.com"
        made[name] = (
            make_contact(first, "Ivan", name.title(), emails=[email]),
            make_contact(second, "Ivan", name.title(), emails=[email]),
        )
    duplicates_scan(kind=RecordKind.CONTACT)
    return {name: DuplicateCandidate.objects.get(low_id=one.pk) for name, (one, _two) in made.items()}


@pytest.mark.parametrize(
    ("user", "visible"),
    [
        ("rep_a", {"a"}),
        ("rep_a2", set()),
        ("head_a", {"a", "team"}),
        ("rep_b", {"b"}),
        ("admin", {"a", "team", "mixed", "b"}),
        ("readonly", {"a", "team", "mixed", "b"}),
    ],
)
def test_a_user_sees_only_pairs_of_records_they_can_both_see(request, pairs, user, visible):
    actor = request.getfixturevalue(user)

    shown = set(candidate_list(actor=actor, kind=RecordKind.CONTACT).values_list("pk", flat=True))

    assert shown == {pairs[name].pk for name in visible}


def test_the_duplicates_page_lists_pairs_with_reasons_and_merge_buttons(client, rep_a, pairs):
    client.force_login(rep_a)

    response = client.get(reverse("duplicate_list"), {"kind": "contacts"})

    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-pair="{pairs["a"].pk}"' in html
    assert f'data-pair="{pairs["mixed"].pk}"' not in html
    assert "same email a@example.com" in html
    a_pair = pairs["a"]
    assert reverse("merge", args=["contacts", a_pair.low_id, a_pair.high_id]) in html


def test_a_read_only_user_sees_pairs_but_no_merge_button(client, readonly, pairs):
    client.force_login(readonly)

    html = client.get(reverse("duplicate_list")).content.decode()

    assert f'data-pair="{pairs["a"].pk}"' in html
    assert "/duplicates/merge/" not in html


def test_the_duplicates_page_needs_a_login(client):
    response = client.get(reverse("duplicate_list"))

    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_duplicates_page_runs_a_bounded_number_of_queries(
    client, head_a, rep_a, make_contact, django_assert_max_num_queries
):
    for number in range(30):
        email = f"p{number}@example.com"
        make_contact(rep_a, "Ivan", f"Name{number}", emails=[email], phones=[f"+3598881234{number:02d}"])
        make_contact(rep_a, "Ivan", f"Name{number}", emails=[email])
    duplicates_scan(kind=RecordKind.CONTACT)
    client.force_login(head_a)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("duplicate_list"))

    assert response.content.decode().count("data-pair=") == 25
    with django_assert_max_num_queries(12):
        client.get(reverse("duplicate_list"), {"cursor": response.context["page"].next_cursor})


def test_the_merge_screen_is_hidden_from_those_who_cannot_see_both(client, rep_b, readonly, pairs):
    a_pair = pairs["a"]
    url = reverse("merge", args=["contacts", a_pair.low_id, a_pair.high_id])

    client.force_login(rep_b)
    assert client.get(url).status_code == 404
    assert client.post(url, {"last_name": "other"}).status_code == 404
    client.force_login(readonly)
    response = client.post(url, {"last_name": "other"})

    assert response.status_code == 403
    assert Merge.objects.count() == 0
    assert Contact.objects.filter(deleted_at__isnull=False).count() == 0


def test_merging_from_the_screen_takes_the_chosen_values(client, rep_a, make_contact):
    kept = make_contact(rep_a, "Ivan", "Petrov", position="Buyer")
    other = make_contact(rep_a, "Ivan", "Petroff", position="Director")
    client.force_login(rep_a)
    url = reverse("merge", args=["contacts", kept.pk, other.pk])

    page = client.get(url).content.decode()
    response = client.post(url, {"last_name": "other", "position": "survivor"})

    assert 'name="last_name"' in page and 'name="first_name"' not in page
    assert response.status_code == 302 and response["Location"] == reverse("contact_detail", args=[kept.pk])
    kept.refresh_from_db()
    assert (kept.last_name, kept.position) == ("Petroff", "Buyer")
    assert Contact.objects.get(pk=other.pk).is_deleted


def test_the_merges_log_undoes_a_merge(client, rep_a, rep_b, make_contact):
    kept, other = make_contact(rep_a, "Ivan", "Petrov"), make_contact(rep_a, "Ivan", "Petroff")
    merge = record_merge(actor=rep_a, survivor=kept, other=other, fields_from_other=["last_name"])
    undo_url = reverse("merge_undo", args=[merge.pk])

    client.force_login(rep_b)
    assert f'data-merge="{merge.pk}"' not in client.get(reverse("merge_log")).content.decode()
    assert client.post(undo_url).status_code == 404
    client.force_login(rep_a)
    assert undo_url in client.get(reverse("merge_log")).content.decode()
    response = client.post(undo_url)

    assert response.status_code == 302
    assert Contact.objects.get(pk=kept.pk).last_name == "Petrov"
    assert not Contact.objects.get(pk=other.pk).is_deleted
    again = client.post(undo_url, follow=True)
    assert "already been undone" in again.content.decode()


def test_not_duplicates_hides_the_pair(client, rep_a, rep_b, pairs):
    url = reverse("duplicate_dismiss", args=[pairs["a"].pk])
    client.force_login(rep_b)
    assert client.post(url).status_code == 404
    client.force_login(rep_a)

    client.post(url)

    assert pairs["a"].pk not in set(candidate_list(actor=rep_a, kind="contact").values_list("pk", flat=True))


def test_the_card_lists_possible_duplicates_the_user_can_see(client, rep_a, rep_b, make_contact):
    record = make_contact(rep_a, "Ivan", "Petrov", phones=["+359888123456"])
    mine = make_contact(rep_a, "Ivan", "Petrov", phones=["+359888123456"])
    theirs = make_contact(rep_b, "Ivan", "Petrov", phones=["+359888123456"])
    client.force_login(rep_a)

    card = client.get(reverse("contact_detail", args=[record.pk])).content.decode()
    response = client.get(reverse("record_duplicates", args=["contacts", record.pk]))

    assert reverse("record_duplicates", args=["contacts", record.pk]) in card
    matches = response.context["matches"]
    assert [match.pk for match in matches] == [mine.pk]
    assert theirs.pk not in [match.pk for match in matches]
    assert "same phone +359 88 812 3456" in response.content.decode()


def test_only_admins_and_heads_start_a_scan(
    client, rep_a, admin, make_contact, django_capture_on_commit_callbacks
):
    make_contact(rep_a, "Ivan", "Petrov", emails=["i@example.com"])
    make_contact(rep_a, "Ivan", "Petrov", emails=["i@example.com"])
    client.force_login(rep_a)
    assert client.post(reverse("duplicate_scan"), {"kind": "contacts"}).status_code == 403
    client.force_login(admin)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("duplicate_scan"), {"kind": "contacts"})

    assert DuplicateCandidate.objects.count() == 1
