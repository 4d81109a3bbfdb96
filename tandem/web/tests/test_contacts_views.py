"""Contact pages: list, card, create and edit, over the roles."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tandem.contacts.models import Contact, Phone, Tag
from tandem.contacts.services import record_share
from tandem.history.models import Event

HTMX = {"HTTP_HX_REQUEST": "true"}


def _contact_data(**changes):
    data = {
        "first_name": "Maria",
        "middle_name": "",
        "last_name": "Ivanova",
        "company": "",
        "position": "Buyer",
        "role": "",
        "channel": "",
        "birthday": "",
        "interests": "",
        "preferences": "",
        "notes": "",
        "owner": "",
        "new_tags": "",
        "messenger_telegram": "",
        "messenger_viber": "",
        "messenger_whatsapp": "",
        "messenger_signal": "",
        "messenger_skype": "",
        "phones-TOTAL_FORMS": "2",
        "phones-INITIAL_FORMS": "0",
        "phones-0-number": "0888 123 456",
        "phones-0-label": "mobile",
        "phones-1-number": "",
        "phones-1-label": "",
        "emails-TOTAL_FORMS": "1",
        "emails-INITIAL_FORMS": "0",
        "emails-0-address": "Maria@Example.com ",
        "emails-0-label": "work",
    }
    data.update(changes)
    return data


def _queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


# --- list ----------------------------------------------------------------------------------------


def test_contact_list_sends_anonymous_to_login(client, db):
    response = client.get(reverse("contact_list"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('contact_list')}"


def test_rep_sees_own_contacts_not_the_other_teams(client, rep_a, rep_b, make_contact):
    make_contact(rep_a, "Anna", "Own")
    make_contact(rep_b, "Boris", "Foreign")
    client.force_login(rep_a)

    response = client.get(reverse("contact_list"))

    assert [str(c) for c in response.context["page"].rows] == ["Anna Own"]
    assert "Boris" not in response.content.decode()


def test_head_sees_the_whole_team_but_not_other_teams(client, head_a, rep_a, rep_a2, rep_b, make_contact):
    make_contact(rep_a, "Anna", "Alpha")
    make_contact(rep_a2, "Ravi", "Beta")
    make_contact(rep_b, "Boris", "Gamma")
    client.force_login(head_a)

    response = client.get(reverse("contact_list"))

    assert [str(c) for c in response.context["page"].rows] == ["Anna Alpha", "Ravi Beta"]


def test_admin_sees_every_contact(client, admin, rep_a, rep_b, make_contact):
    make_contact(rep_a, "Anna", "Alpha")
    make_contact(rep_b, "Boris", "Gamma")
    client.force_login(admin)

    response = client.get(reverse("contact_list"))

    assert [str(c) for c in response.context["page"].rows] == ["Anna Alpha", "Boris Gamma"]
    count = client.get(reverse("record_count", args=["contacts"]), HTTP_HX_REQUEST="true")
    assert "2 found" in count.content.decode()


def test_the_count_is_fetched_after_the_rows_with_the_same_filters_and_visibility(
    client, rep_a, rep_b, make_contact
):
    make_contact(rep_a, "Anna", "Alpha")
    make_contact(rep_a, "Ana", "Beta")
    make_contact(rep_b, "Anka", "Gamma")
    client.force_login(rep_a)

    page = client.get(reverse("contact_list"), {"q": "an"}).content.decode()
    second = client.get(reverse("contact_list"), {"q": "an", "cursor": "x"}).content.decode()
    count = client.get(reverse("record_count", args=["contacts"]), {"q": "an"}).content.decode()

    assert f'hx-get="{reverse("record_count", args=["contacts"])}?q=an"' in page
    assert "record_count" not in second and reverse("record_count", args=["contacts"]) not in second
    assert "2 found" in count


@pytest.mark.parametrize("query", ["0888 123 456", "+359888123456", "888123456"])
def test_list_search_finds_a_phone_typed_in_any_format(client, rep_a, make_contact, query):
    make_contact(rep_a, "Anna", "Phone", phones=["0888 123 456"])
    make_contact(rep_a, "Other", "Person", phones=["0877 555 444"])
    client.force_login(rep_a)

    response = client.get(reverse("contact_list"), {"q": query})

    assert [str(c) for c in response.context["page"].rows] == ["Anna Phone"]


def test_list_sorts_by_newest_first(client, rep_a, make_contact):
    make_contact(rep_a, "Anna", "First")
    make_contact(rep_a, "Bob", "Second")
    client.force_login(rep_a)

    response = client.get(reverse("contact_list"), {"sort": "-created"})

    assert [str(c) for c in response.context["page"].rows] == ["Bob Second", "Anna First"]


def test_list_filters_by_owner_and_tag(client, head_a, rep_a, rep_a2, make_contact):
    tag = Tag.objects.create(name="VIP")
    tagged = make_contact(rep_a, "Anna", "Tagged")
    tagged.tags.add(tag)
    make_contact(rep_a, "Anna", "Plain")
    make_contact(rep_a2, "Ravi", "Tagged")
    client.force_login(head_a)

    response = client.get(reverse("contact_list"), {"owner": rep_a.pk, "tag": tag.pk})

    assert [str(c) for c in response.context["page"].rows] == ["Anna Tagged"]


def test_list_pages_with_next_and_previous_links(client, rep_a, make_contact, monkeypatch):
    monkeypatch.setattr("tandem.web.views.record_lists.PAGE_SIZE", 2)
    for name in ["Anna", "Bella", "Cara"]:
        make_contact(rep_a, name, "Page")
    client.force_login(rep_a)

    first = client.get(reverse("contact_list"), {"sort": "created"})
    second = client.get(
        reverse("contact_list"), {"sort": "created", "cursor": first.context["page"].next_cursor}
    )

    assert [c.first_name for c in first.context["page"].rows] == ["Anna", "Bella"]
    assert [c.first_name for c in second.context["page"].rows] == ["Cara"]
    assert 'rel="next"' in first.content.decode()
    assert 'rel="prev"' in second.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"owner": "abc", "team": "-1", "tag": "99999999999999999999999", "category": "x'; DROP"},
        {"created_from": "2020-13-45", "created_to": "yesterday", "sort": "drop table"},
        {"cursor": "garbage!!"},
        {"cursor": "eyJ2IjpbIngiLCJ5Il0sImIiOmZhbHNlfQ"},  # {"v":["x","y"],"b":false}: wrong types
        {"q": "\x00'\"*) OR 1=1 --", "industry": ""},
    ],
)
def test_garbage_list_parameters_never_fail(client, rep_a, make_contact, params):
    make_contact(rep_a, "Anna", "Safe")
    client.force_login(rep_a)

    response = client.get(reverse("contact_list"), params)

    assert response.status_code == 200


def test_invalid_filter_shows_a_form_error_and_is_ignored(client, rep_a, make_contact):
    make_contact(rep_a, "Anna", "Safe")
    client.force_login(rep_a)

    response = client.get(reverse("contact_list"), {"created_from": "2020-13-45"})

    assert response.context["filter_form"].errors == {"created_from": ["Enter a valid date."]}
    assert [str(c) for c in response.context["page"].rows] == ["Anna Safe"]


def test_htmx_list_request_gets_only_the_results_fragment(client, rep_a, make_contact):
    make_contact(rep_a, "Anna", "Fragment")
    client.force_login(rep_a)

    response = client.get(reverse("contact_list"), **HTMX)
    full = client.get(reverse("contact_list"))

    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert "Anna Fragment" in response.content.decode()
    assert "HX-Request" in [part.strip() for part in response["Vary"].split(",")]
    assert "<html" in full.content.decode()
    assert "HX-Request" in [part.strip() for part in full["Vary"].split(",")]


def test_contact_list_names_a_company_only_when_the_user_may_see_it(
    client, rep_a, rep_b, make_company, make_contact
):
    hidden = make_company(rep_b, "Secret Corp")
    contact = make_contact(rep_b, "Shared", "Person", company=hidden)
    record_share(actor=rep_b, record=contact, users=[rep_a])
    client.force_login(rep_a)

    response = client.get(reverse("contact_list"))

    assert [str(c) for c in response.context["page"].rows] == ["Shared Person"]
    assert "Secret Corp" not in response.content.decode()


def test_contact_list_query_count_does_not_grow_with_rows(
    client, rep_a, make_company, make_contact, django_assert_num_queries
):
    company = make_company(rep_a, "Acme")
    for index in range(3):
        make_contact(
            rep_a,
            f"N{index}",
            "Row",
            company=company,
            phones=[f"0888 100 1{index:02d}"],
            emails=[f"{index}@x.bg"],
        )
    client.force_login(rep_a)
    client.get(reverse("contact_list"))
    few = _queries(client, reverse("contact_list"))
    for index in range(3, 30):
        make_contact(
            rep_a,
            f"N{index}",
            "Row",
            company=company,
            phones=[f"0888 100 1{index:02d}"],
            emails=[f"{index}@x.bg"],
        )

    with django_assert_num_queries(few):
        response = client.get(reverse("contact_list"))

    assert len(response.context["page"].rows) == 30


# --- card ----------------------------------------------------------------------------------------


def test_contact_card_shows_phones_emails_company_and_history(client, rep_a, make_company, make_contact):
    company = make_company(rep_a, "Acme")
    contact = make_contact(
        rep_a, "Anna", "Card", company=company, phones=["0888 123 456"], emails=["anna@acme.bg"]
    )
    client.force_login(rep_a)

    response = client.get(reverse("contact_detail", args=[contact.pk]))
    html = response.content.decode()

    assert response.status_code == 200
    assert 'href="tel:+359888123456"' in html
    assert 'href="mailto:anna@acme.bg"' in html
    assert f'href="{reverse("company_detail", args=[company.pk])}"' in html
    assert [entry.action for entry in response.context["timeline"]] == ["created"]
    assert response.context["can_change"] is True


def test_contact_card_of_another_team_is_404(client, rep_a, rep_b, make_contact):
    contact = make_contact(rep_b, "Boris", "Hidden")
    client.force_login(rep_a)

    assert client.get(reverse("contact_detail", args=[contact.pk])).status_code == 404
    assert client.get(reverse("contact_detail", args=[99999999999999999999])).status_code == 404


def test_contact_card_hides_a_company_the_viewer_cannot_see(client, rep_a, rep_b, make_company, make_contact):
    hidden = make_company(rep_b, "Secret Corp")
    contact = make_contact(rep_b, "Shared", "Person", company=hidden)
    record_share(actor=rep_b, record=contact, users=[rep_a])
    client.force_login(rep_a)

    response = client.get(reverse("contact_detail", args=[contact.pk]))

    assert response.context["company"] is None
    assert "Secret Corp" not in response.content.decode().split("History")[0]


def test_readonly_sees_card_without_edit_or_trash_buttons(client, readonly, rep_a, make_contact):
    contact = make_contact(rep_a, "Anna", "Viewed")
    client.force_login(readonly)

    response = client.get(reverse("contact_detail", args=[contact.pk]))

    assert response.status_code == 200
    assert response.context["can_change"] is False
    assert reverse("contact_edit", args=[contact.pk]) not in response.content.decode()


def test_timeline_shows_field_labels_and_old_and_new_values(client, rep_a, make_contact):
    contact = make_contact(rep_a, "Anna", "Before")
    client.force_login(rep_a)
    client.post(
        reverse("contact_edit", args=[contact.pk]),
        _contact_data(first_name="Anna", last_name="After", owner=rep_a.pk, **{"phones-0-number": ""}),
    )

    response = client.get(reverse("contact_detail", args=[contact.pk]))

    changed = response.context["timeline"][0]
    assert changed.action == "changed"
    assert [(c.label, c.old, c.new) for c in changed.changes] == [
        ("last name", "Before", "After"),
        ("position", "—", "Buyer"),
        ("emails", "—", "maria@example.com"),
    ]


def test_contact_card_query_count_does_not_grow_with_history(
    client, rep_a, make_contact, django_assert_num_queries
):
    contact = make_contact(rep_a, "Anna", "Busy", phones=["0888 123 456"])
    client.force_login(rep_a)
    url = reverse("contact_detail", args=[contact.pk])
    client.get(url)
    few = _queries(client, url)
    from tandem.contacts.services import contact_update

    for index in range(30):
        contact_update(actor=rep_a, contact=contact, data={"position": f"Role {index}"})

    with django_assert_num_queries(few):
        response = client.get(url)

    assert len(response.context["timeline"]) == 25  # one page; older entries load on demand


# --- create --------------------------------------------------------------------------------------


def test_create_contact_stores_a_national_phone_as_e164(client, rep_a):
    client.force_login(rep_a)

    response = client.post(
        reverse("contact_create"), _contact_data(owner=rep_a.pk, new_tags="VIP, Call back")
    )

    contact = Contact.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("contact_detail", args=[contact.pk])
    assert [(p.e164, p.label) for p in contact.phones.all()] == [("+359888123456", "mobile")]
    assert [(e.address, e.label) for e in contact.emails.all()] == [("maria@example.com", "work")]
    assert sorted(t.name for t in contact.tags.all()) == ["Call back", "VIP"]
    assert contact.owner == rep_a


def test_create_contact_with_messengers_birthday_and_consent(client, rep_a):
    client.force_login(rep_a)

    client.post(
        reverse("contact_create"),
        _contact_data(
            owner=rep_a.pk, messenger_telegram="@maria", messenger_viber="+359888123456",
            birthday="1990-05-17", marketing_consent="on",
        ),
    )  # fmt: skip

    contact = Contact.objects.get()
    assert contact.messengers == {"telegram": "@maria", "viber": "+359888123456"}
    assert contact.birthday.isoformat() == "1990-05-17"
    assert contact.marketing_consent is True


def test_create_contact_with_an_invalid_phone_shows_the_error_and_saves_nothing(client, rep_a):
    client.force_login(rep_a)

    response = client.post(
        reverse("contact_create"),
        _contact_data(owner=rep_a.pk, new_tags="Fresh", **{"phones-0-number": "12"}),
    )

    assert response.status_code == 200
    assert response.context["form"].phones.errors[0] == {"number": ["This is not a valid phone number."]}
    assert Contact.objects.count() == 0
    assert Tag.objects.count() == 0


def test_create_contact_without_a_name_is_a_field_error(client, rep_a):
    client.force_login(rep_a)

    response = client.post(
        reverse("contact_create"), _contact_data(owner=rep_a.pk, first_name="", last_name="")
    )

    assert response.context["form"].errors["first_name"] == ["Enter a first or a last name."]
    assert Contact.objects.count() == 0


def test_create_contact_from_a_company_card_prefills_the_company(client, rep_a, make_company):
    company = make_company(rep_a, "Acme")
    client.force_login(rep_a)

    response = client.get(reverse("contact_create"), {"company": company.pk})

    assert response.context["form"]["company"].value() == company.pk
    assert f'<option value="{company.pk}" selected>' in response.content.decode()


def test_create_contact_cannot_pick_a_company_of_another_team(client, rep_a, rep_b, make_company):
    foreign = make_company(rep_b, "Foreign")
    client.force_login(rep_a)

    response = client.post(reverse("contact_create"), _contact_data(owner=rep_a.pk, company=foreign.pk))

    assert "company" in response.context["form"].errors
    assert Contact.objects.count() == 0


def test_rep_cannot_give_a_new_contact_to_a_colleague(client, rep_a, rep_a2):
    client.force_login(rep_a)

    response = client.post(reverse("contact_create"), _contact_data(owner=rep_a2.pk))

    assert "owner" in response.context["form"].errors
    assert Contact.objects.count() == 0


def test_readonly_cannot_open_the_create_form(client, readonly):
    client.force_login(readonly)

    response = client.get(reverse("contact_create"))

    assert response.status_code == 403
    assert "You cannot do this" in response.content.decode()


def test_inline_validation_answers_with_the_field_and_saves_nothing(client, rep_a):
    client.force_login(rep_a)

    response = client.post(
        reverse("contact_create"),
        _contact_data(owner=rep_a.pk, _validate="phones-0-number", **{"phones-0-number": "12"}),
        **HTMX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith('<div id="fw-phones-0-number"')
    assert "This is not a valid phone number." in html
    assert Contact.objects.count() == 0


def test_inline_validation_of_a_valid_field_has_no_error(client, rep_a):
    client.force_login(rep_a)

    response = client.post(
        reverse("contact_create"), _contact_data(owner=rep_a.pk, _validate="last_name"), **HTMX
    )

    assert "invalid-feedback" not in response.content.decode()
    assert Contact.objects.count() == 0


def test_htmx_submit_with_errors_returns_the_form_fragment(client, rep_a):
    client.force_login(rep_a)

    response = client.post(
        reverse("contact_create"), _contact_data(owner=rep_a.pk, first_name="", last_name=""), **HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith('<div id="record-form">')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


def test_htmx_submit_that_saves_redirects_the_whole_page(client, rep_a):
    client.force_login(rep_a)

    response = client.post(reverse("contact_create"), _contact_data(owner=rep_a.pk), **HTMX)

    assert response["HX-Redirect"] == reverse("contact_detail", args=[Contact.objects.get().pk])


# --- edit ----------------------------------------------------------------------------------------


def test_edit_contact_replaces_phones_and_records_history(client, rep_a, make_contact):
    contact = make_contact(rep_a, "Anna", "Edit", phones=["0888 111 222"])
    client.force_login(rep_a)

    response = client.post(
        reverse("contact_edit", args=[contact.pk]),
        _contact_data(
            first_name="Anna", last_name="Edited", owner=rep_a.pk, **{"phones-0-number": "02 987 6543"}
        ),
    )

    contact.refresh_from_db()
    assert response.status_code == 302
    assert contact.last_name == "Edited"
    assert list(Phone.objects.filter(contact=contact).values_list("e164", flat=True)) == ["+35929876543"]
    assert Event.objects.filter(target_id=contact.pk, action=Event.Action.UPDATED).count() == 1


def test_edit_form_shows_the_current_values(client, rep_a, make_contact):
    contact = make_contact(rep_a, "Anna", "Current", phones=["0888 111 222"], emails=["anna@x.bg"])
    client.force_login(rep_a)

    response = client.get(reverse("contact_edit", args=[contact.pk]))

    form = response.context["form"]
    assert form["last_name"].value() == "Current"
    assert form.phones.forms[0]["number"].value() == "+359 88 811 1222"
    assert form.emails.forms[0]["address"].value() == "anna@x.bg"


def test_edit_of_another_teams_contact_is_404_and_changes_nothing(client, rep_a, rep_b, make_contact):
    contact = make_contact(rep_b, "Boris", "Foreign")
    client.force_login(rep_a)

    get = client.get(reverse("contact_edit", args=[contact.pk]))
    post = client.post(reverse("contact_edit", args=[contact.pk]), _contact_data(owner=rep_a.pk))

    contact.refresh_from_db()
    assert (get.status_code, post.status_code) == (404, 404)
    assert (contact.first_name, contact.last_name, contact.owner) == ("Boris", "Foreign", rep_b)


@pytest.mark.parametrize("method", ["get", "post"])
def test_readonly_gets_403_on_edit_and_nothing_changes(client, readonly, rep_a, make_contact, method):
    contact = make_contact(rep_a, "Anna", "Locked")
    client.force_login(readonly)

    response = getattr(client, method)(
        reverse("contact_edit", args=[contact.pk]), _contact_data(owner=rep_a.pk)
    )

    contact.refresh_from_db()
    assert response.status_code == 403
    assert contact.last_name == "Locked"


def test_head_edits_a_team_contact_and_keeps_its_owner(client, head_a, rep_a, make_contact):
    contact = make_contact(rep_a, "Anna", "Team")
    client.force_login(head_a)

    response = client.post(
        reverse("contact_edit", args=[contact.pk]),
        _contact_data(first_name="Anna", last_name="Team2", owner=rep_a.pk),
    )

    contact.refresh_from_db()
    assert response.status_code == 302
    assert (contact.last_name, contact.owner) == ("Team2", rep_a)


def test_shared_contact_of_a_hidden_company_can_be_edited_and_keeps_the_company(
    client, rep_a, rep_b, make_company, make_contact
):
    hidden = make_company(rep_b, "Secret Corp")
    contact = make_contact(rep_b, "Shared", "Person", company=hidden)
    record_share(actor=rep_b, record=contact, users=[rep_a])
    client.force_login(rep_a)
    data = _contact_data(first_name="Shared", last_name="Edited", owner=rep_b.pk)
    del data["company"]

    response = client.post(reverse("contact_edit", args=[contact.pk]), data)

    contact.refresh_from_db()
    assert response.status_code == 302
    assert (contact.last_name, contact.company, contact.owner) == ("Edited", hidden, rep_b)


@pytest.mark.parametrize("kind", ["contacts", "companies"])
def test_list_count_sends_anonymous_to_login(client, db, kind):
    response = client.get(reverse("record_count", args=[kind]))

    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('login')}?next=")


def test_list_count_counts_only_visible_records_in_a_constant_number_of_queries(
    client, rep_a, rep_b, make_contact, make_company, django_assert_max_num_queries
):
    make_contact(rep_a, "Anna", "Alpha")
    make_company(rep_a, "Mine Co")
    for index in range(5):
        make_contact(rep_b, "Boris", f"Other{index}")
        make_company(rep_b, f"Other Co {index}")
    client.force_login(rep_a)

    with django_assert_max_num_queries(6):
        contacts = client.get(reverse("record_count", args=["contacts"])).content.decode()
    companies = client.get(reverse("record_count", args=["companies"])).content.decode()

    assert "1 found" in contacts and "1 found" in companies
