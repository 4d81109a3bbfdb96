from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tandem.contacts.models import Contact
from tandem.deals.models import Deal
from tandem.leads import services
from tandem.leads.models import LeadSubmission, WebForm
from tandem.leads.tests.conftest import THANKS

pytestmark = pytest.mark.django_db
SITE = "https://shop.example.com"


def _url(form: WebForm) -> str:
    return reverse("webform_public", args=[form.key])


def test_plain_form_post_without_javascript_shows_the_thank_you_page(client, webform):
    response = client.post(
        _url(webform), {"name": "Ivan", "phone": "0888 123 456", "website": ""}, HTTP_ORIGIN=SITE
    )

    assert response.status_code == 200
    assert THANKS in response.content.decode()
    assert LeadSubmission.objects.get().status == "accepted"
    assert Deal.objects.count() == 1


def test_get_shows_the_form_page(client, webform):
    response = client.get(_url(webform))

    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="phone"' in body and 'name="website"' in body


def test_json_submission_answers_json_and_the_snippet_fetch_gets_cors(client, webform):
    response = client.post(
        _url(webform),
        {"name": "Ivan", "phone": "0888123456"},
        HTTP_ACCEPT="application/json",
        HTTP_ORIGIN=SITE,
    )

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "message": THANKS}
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    assert {"Origin", "Accept"} <= {part.strip() for part in response.headers["Vary"].split(",")}


def test_preflight_allows_only_configured_origins(client, webform):
    allowed = client.options(_url(webform), HTTP_ORIGIN=SITE, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    other = client.options(
        _url(webform), HTTP_ORIGIN="https://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )

    assert allowed.status_code == 204
    assert (allowed["Access-Control-Allow-Origin"], allowed["Access-Control-Allow-Methods"]) == (
        SITE,
        "POST, OPTIONS",
    )
    assert other.status_code == 204
    assert "Access-Control-Allow-Origin" not in other.headers


def test_post_from_another_site_is_refused_without_cors_and_recorded(client, webform):
    response = client.post(
        _url(webform),
        {"name": "Ivan", "phone": "0888123456"},
        HTTP_ACCEPT="application/json",
        HTTP_ORIGIN="https://evil.example",
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in response.headers
    assert LeadSubmission.objects.get().status == "rejected"
    assert Deal.objects.count() == 0


def test_honeypot_looks_accepted_but_is_spam(client, webform):
    response = client.post(
        _url(webform), {"name": "Bot", "phone": "0888123456", "website": "x"}, HTTP_ACCEPT="application/json"
    )

    assert response.status_code == 200
    assert response.json()["message"] == THANKS
    assert LeadSubmission.objects.get().status == "spam"
    assert (Contact.objects.count(), Deal.objects.count()) == (0, 0)


def test_invalid_input_gives_400_with_field_errors_and_only_the_submission_row(client, webform):
    response = client.post(_url(webform), json.dumps({"phone": "12"}), content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": "Please correct the marked fields.",
            "fields": {"name": ["This field is required."], "phone": ["“12” is not a valid phone number."]},
        }
    }
    assert LeadSubmission.objects.count() == 1
    assert (Contact.objects.count(), Deal.objects.count()) == (0, 0)


def test_invalid_plain_post_shows_the_form_again_with_errors(client, webform):
    response = client.post(_url(webform), {"name": "Ivan", "email": "nope"})

    body = response.content.decode()
    assert response.status_code == 400
    assert "“nope” is not a valid email address." in body
    assert 'value="Ivan"' in body


def test_malformed_json_is_400(client, webform):
    response = client.post(_url(webform), "{not json", content_type="application/json")

    assert (response.status_code, response.json()["error"]["code"]) == (400, "parse_error")
    assert LeadSubmission.objects.count() == 0


def test_oversized_body_is_413(client, webform):
    response = client.post(
        _url(webform),
        json.dumps({"message": "x" * (services.MAX_BODY_BYTES + 1)}),
        content_type="application/json",
    )

    assert (response.status_code, response.json()["error"]["code"]) == (413, "request_too_large")


def test_rate_limit_per_address_gives_429(client, webform, monkeypatch):
    monkeypatch.setattr(services, "RATE_LIMIT", 2)
    statuses = [
        client.post(
            _url(webform), {"name": "Ivan", "phone": "0888123456"}, REMOTE_ADDR="198.51.100.7"
        ).status_code
        for _ in range(3)
    ]
    other = client.post(_url(webform), {"name": "Olga", "phone": "0888123457"}, REMOTE_ADDR="198.51.100.8")

    assert statuses == [200, 200, 429]
    assert other.status_code == 200
    assert LeadSubmission.objects.count() == 3


def test_unknown_or_inactive_form_is_404(client, webform):
    WebForm.objects.filter(pk=webform.pk).update(is_active=False)

    assert client.post(_url(webform), {"name": "Ivan"}).status_code == 404
    assert client.get("/f/nope/").status_code == 404


# --- admin pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["head_a", "rep_a", "marketer", "readonly"])
def test_settings_pages_are_for_admins_only(client, who, request, webform):
    client.force_login(request.getfixturevalue(who))

    assert client.get(reverse("webform_list")).status_code == 403
    assert client.get(reverse("webform_edit", args=[webform.pk])).status_code == 403
    response = client.post(reverse("webform_edit", args=[webform.pk]), {"name": "Hacked"})
    assert response.status_code == 403
    webform.refresh_from_db()
    assert webform.name == "Contact us"


def test_anonymous_goes_to_login(client, webform):
    response = client.get(reverse("webform_list"))

    assert response.status_code == 302 and "/login/" in response["Location"]


def test_admin_creates_a_form_and_sees_the_snippet_and_submissions(
    client, admin, pipeline, channel, team_a, rep_a
):
    client.force_login(admin)
    response = client.post(
        reverse("webform_create"),
        {
            "name": "Landing",
            "fields_shown": ["name", "phone", "email"],
            "fields_required": ["phone"],
            "pipeline": pipeline.pk,
            "team": team_a.pk,
            "channel": channel.pk,
            "thank_you_text": "Merci",
            "allowed_origins": "https://landing.example.com\n",
            "is_active": "on",
        },
    )

    form = WebForm.objects.get(name="Landing")
    assert response.status_code == 302
    assert (form.fields, form.required_fields, form.team, form.owner, form.allowed_origins) == (
        ["name", "phone", "email"],
        ["phone"],
        team_a,
        None,
        ["https://landing.example.com"],
    )
    client.post(_url(form), {"name": "Ivan", "phone": "0888123456"})
    page = client.get(reverse("webform_edit", args=[form.pk])).content.decode()
    assert f"/f/{form.key}/" in page and "data-tandem-form" in page and "tandem/webform.js" in page
    assert "Landing: Ivan" in page  # the deal created by the submission
    listing = client.get(reverse("webform_list")).content.decode()
    assert "Landing" in listing and "Team A, in turn" in listing


def test_admin_form_shows_service_errors(client, admin, pipeline, rep_a, team_a):
    client.force_login(admin)
    response = client.post(
        reverse("webform_create"),
        {
            "name": "Both",
            "fields_shown": ["name"],
            "pipeline": pipeline.pk,
            "owner": rep_a.pk,
            "thank_you_text": "Thanks",
        },
    )

    assert response.status_code == 400
    assert "Ask for a phone number or an email" in response.content.decode()
    assert WebForm.objects.count() == 0


def test_settings_list_query_count(client, admin, make_form, rep_a, django_assert_max_num_queries):
    for n in range(5):
        form = make_form(owner=rep_a, name=f"Form {n}")
        services.lead_capture(form=form, source="form", payload={"name": f"L{n}", "phone": f"088812345{n}"})
    client.force_login(admin)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("webform_list"))
    assert response.status_code == 200
