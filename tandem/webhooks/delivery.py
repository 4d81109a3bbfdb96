"""Sending one webhook delivery: SSRF checks, the signed request, the attempt's record, the backoff.

Called by the Huey task `webhook_delivery_send` only. The request goes to the address that was
checked (not to a second DNS answer), redirects are not followed, and the receiver gets at most
`TIMEOUT` seconds.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.utils import timezone

from tandem.webhooks.models import Webhook, WebhookDelivery

logger = logging.getLogger(__name__)

TIMEOUT = 10  # seconds, connect and read
MAX_ATTEMPTS = 6
BACKOFF_BASE = 60  # seconds before the 2nd attempt; ×4 for each further one (1, 4, 16, 64, 256 min)
EXCERPT_LENGTH = 500
USER_AGENT = "Tandem-Webhooks/1"


class DeliveryRefused(Exception):
    """The URL may not be called (scheme, private address, unknown host); `retry`: it may pass later."""

    def __init__(self, message: str, *, retry: bool = False):
        super().__init__(message)
        self.retry = retry


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_is_public(address: IPAddress) -> bool:
    """False for private, loopback, link-local, multicast, reserved, unspecified and shared (CGNAT)
    addresses: anything not globally reachable."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str


def target_resolve(url: str, *, allow_private_network: bool) -> Target:
    """Check the URL and resolve its host; every address it resolves to must be public (unless allowed)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise DeliveryRefused(f"scheme {parts.scheme!r} is not allowed")
    if not parts.hostname:
        raise DeliveryRefused("the URL has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise DeliveryRefused(f"bad port: {error}") from error
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise DeliveryRefused(f"cannot resolve {parts.hostname}: {error}", retry=True) from error
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not allow_private_network:
        refused = [str(address) for address in addresses if not address_is_public(address)]
        if refused:
            raise DeliveryRefused(f"{parts.hostname} resolves to a private address ({', '.join(refused)})")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.scheme, parts.hostname, port, path, str(addresses[0]))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address while the Host header keeps the name."""

    def __init__(self, target: Target):
        super().__init__(target.host, target.port, timeout=TIMEOUT)
        self.pinned_address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.pinned_address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target):
        self.tls_context = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=TIMEOUT, context=self.tls_context)
        self.pinned_address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self.pinned_address, self.port), self.timeout)
        self.sock = self.tls_context.wrap_socket(sock, server_hostname=self.host)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def request_body(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()


def _post(webhook: Webhook, delivery: WebhookDelivery) -> tuple[int, str]:
    """One POST; returns (status code, start of the response body). Redirects are answers, not followed."""
    target = target_resolve(webhook.url, allow_private_network=webhook.allow_private_network)
    body = request_body(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Tandem-Event": delivery.event,
        "X-Tandem-Delivery": str(delivery.event_id),
        "X-Tandem-Timestamp": str(int(timezone.now().timestamp())),
        "X-Tandem-Signature": signature(webhook.secret, body),
    }
    connection: http.client.HTTPConnection = (
        _PinnedHTTPSConnection(target) if target.scheme == "https" else _PinnedHTTPConnection(target)
    )
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(EXCERPT_LENGTH).decode("utf-8", errors="replace")
        return response.status, excerpt
    finally:
        connection.close()


def backoff_seconds(attempt: int) -> int:
    """The wait after failed attempt number `attempt` (1-based)."""
    return int(BACKOFF_BASE * 4 ** (attempt - 1))


def delivery_attempt(*, delivery_id: int, attempt: int) -> int | None:
    """Make attempt number `attempt` of a pending delivery and record it on the row.

    Returns the seconds to wait before the next attempt, or None when there is none to make
    (delivered, given up, refused, or this attempt was already made by another worker — the
    attempt number is claimed with a conditional update, so a duplicated job sends nothing).
    """
    # While the attempt runs, next_attempt_at is its start: if the worker dies, the row stays
    # pending and `deliveries_overdue_requeue` finds it overdue and sends it again.
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PENDING, attempts=attempt - 1
    ).update(attempts=attempt, next_attempt_at=timezone.now())
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    webhook = delivery.webhook
    code: int | None = None
    retry = True
    if not webhook.is_active:
        excerpt, retry = "the webhook is inactive", False
    else:
        try:
            code, excerpt = _post(webhook, delivery)
        except DeliveryRefused as error:
            excerpt, retry = f"refused: {error}", error.retry
        except (OSError, http.client.HTTPException) as error:
            excerpt = f"{type(error).__name__}: {error}"
    now = timezone.now()
    delivery.response_code = code
    delivery.response_excerpt = excerpt[:EXCERPT_LENGTH]
    delivery.next_attempt_at = None
    if code is not None and 200 <= code < 300:
        delivery.status, delivery.delivered_at, delay = WebhookDelivery.Status.SUCCEEDED, now, None
    elif retry and attempt < MAX_ATTEMPTS:
        delay = backoff_seconds(attempt)
        delivery.next_attempt_at = now + datetime.timedelta(seconds=delay)
    else:
        delivery.status, delay = WebhookDelivery.Status.FAILED, None
    delivery.save(
        update_fields=["status", "response_code", "response_excerpt", "delivered_at", "next_attempt_at"]
    )
    logger.info("webhook delivery %s attempt %s: %s", delivery_id, attempt, code or excerpt[:80])
    return delay
