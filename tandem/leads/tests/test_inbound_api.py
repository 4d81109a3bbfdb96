from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tandem.accounts.models import ApiToken, User
from tandem.accounts.services import token_create
from tandem.contacts.models import Contact
from tandem.deals.models import Deal
from tandem.leads.models import LeadSubmission, WebForm

pytestmark = pytest.mark.django_db
URL = "/api/v1/inbound/lead/"


def _api(user: User | None = None, scope: str = ApiToken.Scope.WRITE) -> APIClient:
    client = APIClient()
    if user is not None:
        _token, secret = token_create(user=user, name="landing", scope=scope)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def _nothing_created() -> bool:
    return (LeadSubmission.objects.count(), Contact.objects.count(), Deal.objects.count()) == (0, 0, 0)


def test_inbound_lead_matches_the_contact_like_the_web_form(webform, admin, make_contact, rep_b):
    existing = make_contact(rep_b, "Ivan", "Petrov", phones=["0888 123 456"])

    response = _api(admin).post(
        URL,
        {"form": webform.key, "name": "Ivan", "phone": "+359 888 123 456", "utm_source": "olx"},
        format="json",
    )

    assert response.status_code == 201
    submission = LeadSubmission.objects.get()
    assert response.json() == {
        "submission": submission.pk,
        "status": "accepted",
        "contact": existing.pk,
        "contact_matched": True,
        "deal": submission.deal_id,
    }
    assert (submission.source, submission.form, submission.utm_source) == ("api", webform, "olx")
    assert submission.deal.owner == webform.owner
    assert submission.deal.taken_at is None


def test_inbound_lead_without_a_form_key_uses_the_default_form(make_form, rep_a, admin):
    make_form(owner=rep_a, name="Site")
    default = make_form(owner=rep_a, name="Marketplaces", is_default=True)

    response = _api(admin).post(URL, {"name": "Olga", "email": "olga@example.com"}, format="json")

    assert response.status_code == 201
    assert LeadSubmission.objects.get().form == default


def test_inbound_lead_without_form_or_default_is_400(webform, admin):
    response = _api(admin).post(URL, {"name": "Olga", "email": "olga@example.com"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "form_required"
    assert _nothing_created()


def test_inbound_lead_unknown_form_key_is_404(webform, admin):
    response = _api(admin).post(
        URL, {"form": "nope", "name": "Olga", "email": "o@example.com"}, format="json"
    )

    assert (response.status_code, response.json()["error"]["code"]) == (404, "form_not_found")


def test_anonymous_is_401(webform):
    response = _api().post(URL, {"form": webform.key, "name": "Ivan", "phone": "0888123456"}, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert _nothing_created()


def test_read_only_token_is_403(webform, admin):
    response = _api(admin, ApiToken.Scope.READ).post(
        URL, {"form": webform.key, "name": "Ivan", "phone": "0888123456"}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "read_only_token"
    assert _nothing_created()


def test_read_only_role_is_403(webform, readonly):
    response = _api(readonly).post(
        URL, {"form": webform.key, "name": "Ivan", "phone": "0888123456"}, format="json"
    )

    assert (response.status_code, response.json()["error"]["code"]) == (403, "permission_denied")
    assert _nothing_created()


@pytest.mark.parametrize("who", ["rep_a", "head_a", "marketer", "admin"])
def test_roles_that_create_deals_may_send_leads(webform, who, request):
    response = _api(request.getfixturevalue(who)).post(
        URL, {"form": webform.key, "name": "Ivan", "phone": "0888123456"}, format="json"
    )

    assert response.status_code == 201


def test_malformed_json_is_400(webform, admin):
    response = _api(admin).post(URL, '{"form": ', content_type="application/json")

    assert (response.status_code, response.json()["error"]["code"]) == (400, "parse_error")
    assert _nothing_created()


def test_wrong_content_type_is_415(webform, admin):
    response = _api(admin).post(URL, "name=Ivan", content_type="application/x-www-form-urlencoded")

    assert (response.status_code, response.json()["error"]["code"]) == (415, "unsupported_media_type")


def test_non_object_body_is_400(webform, admin):
    response = _api(admin).post(URL, [1, 2], format="json")

    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid")


def test_invalid_and_unknown_fields_are_400_with_fields_and_only_the_submission_kept(webform, admin):
    client = _api(admin)
    unknown = client.post(URL, {"form": webform.key, "name": "Ivan", "fax": "1"}, format="json")
    invalid = client.post(URL, {"form": webform.key, "name": 5, "phone": "12"}, format="json")

    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "unknown_field"
    assert unknown.json()["error"]["fields"] == {"fax": ["Unknown field."]}
    assert invalid.status_code == 400
    assert invalid.json()["error"]["fields"] == {
        "name": ["Send this as text."],
        "phone": ["“12” is not a valid phone number."],
    }
    assert list(LeadSubmission.objects.values_list("status", flat=True)) == ["rejected", "rejected"]
    assert (Contact.objects.count(), Deal.objects.count()) == (0, 0)


def test_unprocessable_lead_is_stored_and_answered_202(make_form, team_b, admin):
    form = make_form(team=team_b)

    response = _api(admin).post(URL, {"form": form.key, "name": "Ivan", "phone": "0888123456"}, format="json")

    assert response.status_code == 202
    assert response.json()["status"] == "failed"
    assert WebForm.objects.get(pk=form.pk).submissions.get().error_code == "no_owner"


def test_a_replayed_request_with_the_same_idempotency_key_is_refused_and_creates_nothing(webform, admin):
    client = _api(admin)
    body = {"form": webform.key, "name": "Ivan Petrov", "phone": "0888 123 456"}

    first = client.post(URL, body, format="json", headers={"Idempotency-Key": "shop-order-77"})
    again = client.post(URL, body, format="json", headers={"Idempotency-Key": "shop-order-77"})
    other = client.post(URL, body, format="json", headers={"Idempotency-Key": "shop-order-78"})

    assert (first.status_code, again.status_code, other.status_code) == (201, 409, 201)
    assert again.json()["error"]["code"] == "duplicate_request"
    assert again.json()["error"]["submission"] == first.json()["submission"]
    assert LeadSubmission.objects.count() == 2
    assert Deal.objects.count() == 2


def test_an_unprintable_idempotency_key_is_a_clear_400(webform, admin):
    response = _api(admin).post(
        URL, {"form": webform.key, "name": "Ivan"}, format="json", headers={"Idempotency-Key": "x" * 101}
    )

    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid")
    assert LeadSubmission.objects.count() == 0
