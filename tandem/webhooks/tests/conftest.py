"""A real local HTTP receiver for webhook deliveries, and the Huey schedule of the test process."""

from __future__ import annotations

import datetime
import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from huey.contrib.djhuey import HUEY

from tandem.webhooks.models import Webhook


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answers to give, in order; then 200


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.requests.append(Received(self.path, dict(self.headers.items()), body))
            status = state.statuses.pop(0) if state.statuses else 200
            answer = b"ok" if status < 300 else b"receiver broke"
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            if 300 <= status < 400:
                self.send_header("Location", "http://example.com/elsewhere")
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/tandem?source=crm"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def huey_schedule() -> Iterator[None]:
    """Immediate-mode Huey runs jobs inline but keeps delayed ones (retries) in its schedule."""
    HUEY.flush()
    yield
    HUEY.flush()


def run_scheduled() -> int:
    """Run every scheduled job as if its time had come (a worker hours later); how many ran."""
    ran = 0
    while True:
        tasks = HUEY.read_schedule(HUEY._get_timestamp() + datetime.timedelta(days=2))
        if not tasks:
            return ran
        for task in tasks:
            HUEY.execute(task, HUEY._get_timestamp() + datetime.timedelta(days=2))
            ran += 1


@pytest.fixture
def make_webhook(db):
    def make(url: str, events: list[str] | None = None, **data: object) -> Webhook:
        values: dict[str, object] = {"url": url, "events": events or ["deal.created"], **data}
        return Webhook.objects.create(**values)

    return make
