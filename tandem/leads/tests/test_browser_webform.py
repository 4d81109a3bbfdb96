"""The embeddable snippet on a separate site: a page served from another local origin posts the
form to Tandem with fetch, shows the thank-you text in place, and the deal exists."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tandem.deals.models import Deal
from tandem.leads.models import LeadSubmission
from tandem.leads.tests.conftest import THANKS
from tandem.web.views.webforms import webform_snippet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def other_site(tmp_path: Path):
    """A static web server on another port: the customer's website."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.browser
def test_embedded_snippet_posts_from_another_site_and_thanks_the_visitor(
    page, live_server, other_site, make_form, rep_a, screenshot
):
    directory, origin = other_site
    form = make_form(owner=rep_a, allowed_origins=[origin])
    snippet = webform_snippet(form, live_server.url)
    (directory / "index.html").write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>Shop</title></head>"
        f"<body><h1>Our shop</h1>{snippet}</body></html>",
        encoding="utf-8",
    )

    page.goto(f"{origin}/index.html?utm_source=newsletter&utm_campaign=autumn")
    page.get_by_label("Name").fill("Ivan Petrov")
    page.get_by_label("Phone").fill("0888 123 456")
    page.get_by_label("Email").fill("ivan@example.com")
    page.get_by_role("button", name="Send").click()

    expect(page.locator(".tandem-thanks")).to_have_text(THANKS)
    assert page.url.startswith(origin)  # stayed on the shop's page
    screenshot("webform-embedded-thanks")
    submission = LeadSubmission.objects.get()
    assert (submission.status, submission.utm_source, submission.utm_campaign) == (
        "accepted",
        "newsletter",
        "autumn",
    )
    deal = Deal.objects.get()
    assert (deal.owner, deal.title, deal.taken_at) == (rep_a, "Contact us: Ivan Petrov", None)
