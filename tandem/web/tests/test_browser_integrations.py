"""Integrations in the real browser: an admin subscribes a local receiver to new deals, sees the
delivery succeed and sends it again; then builds a web form, takes its snippet, and a visitor's
submission on the form's own page (no JavaScript) becomes a deal the admin sees."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from conftest import SCREENSHOTS
from tandem.deals.models import Deal
from tandem.leads.models import LeadSubmission, WebForm
from tandem.web.tests.deal_helpers import make_deal, pipeline
from tandem.webhooks.models import Webhook, WebhookDelivery

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A webhook receiver on 127.0.0.1 answering 204; yields its URL and the headers it got."""
    received: list[dict[str, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.append(dict(self.headers.items()))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks", received
    finally:
        server.shutdown()
        server.server_close()


def _open_admin_page(page: Page, name: str) -> None:
    page.get_by_role("button", name="Administration").or_(
        page.get_by_role("link", name="Administration")
    ).first.click()
    page.get_by_role("link", name=name, exact=True).click()


@pytest.mark.browser
def test_admin_sets_up_a_webhook_and_a_web_form(login, live_server, admin, rep_a, receiver, screenshot):
    receiver_url, received = receiver
    first_pipeline = pipeline()
    page = login(admin)
    page.set_viewport_size({"width": 1400, "height": 900})

    # Administration → Webhooks → New webhook for the local receiver, private network allowed.
    _open_admin_page(page, "Webhooks")
    expect(page.get_by_role("heading", name="Webhooks", level=1)).to_be_visible()
    expect(page.locator("#webhooks")).to_contain_text("No webhooks yet.")
    page.get_by_role("link", name="New webhook").click()
    page.get_by_label("Payload URL").fill(receiver_url)
    page.get_by_label("Description").fill("Accounting system")
    page.get_by_label("Deal created (deal.created)").check()
    page.get_by_label("Allow private network addresses").check()
    screenshot("integrations-1-webhook-form")
    page.get_by_role("button", name="Save").click()

    webhook = Webhook.objects.get()
    expect(page).to_have_url(f"{live_server.url}/settings/webhooks/{webhook.pk}/")
    expect(page.locator(".alert-success")).to_contain_text("Webhook created.")
    expect(page.get_by_label("Signing secret")).to_have_value(webhook.secret)
    assert (webhook.url, webhook.events, webhook.allow_private_network) == (
        receiver_url,
        ["deal.created"],
        True,
    )
    screenshot("integrations-2-webhook-secret")

    # A new deal: the delivery job runs at the commit (immediate Huey) and the receiver answers 204.
    make_deal(rep_a, "Order from the website")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.event, delivery.status, delivery.attempts, delivery.response_code) == (
        "deal.created",
        "succeeded",
        1,
        204,
    )
    page.reload()
    row = page.locator(f"#deliveries tr[data-delivery='{delivery.pk}']")
    expect(row).to_contain_text("deal.created")
    expect(row).to_contain_text("delivered")
    expect(row).to_contain_text("204")
    screenshot("integrations-3-delivery-log")

    row.get_by_role("button", name="Redeliver").click()
    expect(page.locator(".alert-success")).to_contain_text("The delivery is queued again.")
    expect(row).to_contain_text("delivered")
    assert [headers["X-Tandem-Delivery"] for headers in received] == [str(delivery.event_id)] * 2
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("succeeded", 1, 204)
    screenshot("integrations-4-redelivered")

    # Administration → Web forms → a form for the first pipeline; its leads go to Rita.
    _open_admin_page(page, "Web forms")
    expect(page.get_by_role("heading", name="Web forms", level=1)).to_be_visible()
    page.get_by_role("link", name="New web form").click()
    page.get_by_role("textbox", name="Name").fill("Contact us")
    page.get_by_label("Pipeline").select_option(label=str(first_pipeline))
    page.get_by_label("Owner of every lead").select_option(label=str(rep_a))
    page.get_by_label("Thank-you text").fill("Thank you! Rita will call you today.")
    screenshot("integrations-5-webform-form")
    page.get_by_role("button", name="Save").click()

    form = WebForm.objects.get()
    public_url = f"{live_server.url}/f/{form.key}/"
    expect(page).to_have_url(f"{live_server.url}/settings/forms/{form.pk}/")
    snippet = page.locator("#snippet").input_value()
    assert f'action="{public_url}"' in snippet
    assert '<input id="tandem-phone" name="phone" type="tel">' in snippet
    expect(page.locator("#embed").get_by_role("link", name=public_url)).to_be_visible()
    screenshot("integrations-6-webform-snippet")

    # A visitor on the form's own page, without JavaScript.
    visitor = page.context.browser.new_context(java_script_enabled=False)  # type: ignore[union-attr]
    try:
        public = visitor.new_page()
        public.goto(public_url)
        public.get_by_label("Name").fill("Ivan Petrov")
        public.get_by_label("Phone").fill("+359 888 123 456")
        public.get_by_label("Email").fill("ivan@example.com")
        public.get_by_label("Message").fill("Please call me about the offer")
        public.get_by_role("button", name="Send").click()
        expect(public.locator("#thank-you")).to_have_text("Thank you! Rita will call you today.")
        public.screenshot(path=str(SCREENSHOTS / "integrations-7-public-thanks.png"), full_page=True)
    finally:
        visitor.close()

    submission = LeadSubmission.objects.get()
    deal = Deal.objects.get(pk=submission.deal_id)
    assert (submission.status, deal.owner, deal.pipeline) == ("accepted", rep_a, first_pipeline)

    # Back in the admin, the form's recent submissions show the new deal.
    page.reload()
    recent = page.locator("#recent #submissions")
    expect(recent).to_contain_text("Contact us")
    expect(recent).to_contain_text("accepted")
    expect(recent.get_by_role("link", name="Ivan Petrov", exact=True)).to_have_attribute(
        "href", f"/contacts/{submission.contact_id}/"
    )
    expect(recent.get_by_role("link", name="Contact us: Ivan Petrov")).to_have_attribute(
        "href", f"/deals/{deal.pk}/"
    )
    screenshot("integrations-8-webform-submissions")
