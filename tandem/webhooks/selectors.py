"""Reads for the webhook settings: webhooks with their latest outcome, and a webhook's delivery log."""

from __future__ import annotations

from django.db.models import QuerySet

from tandem.webhooks.models import Webhook, WebhookDelivery

DELIVERY_LOG_SIZE = 50


def webhook_list() -> QuerySet[Webhook]:
    """Every webhook, active ones first (only administrators reach the page that lists them)."""
    return Webhook.objects.select_related("created_by").order_by("-is_active", "url", "pk")


def delivery_log(
    *, webhook: Webhook, status: str = "", limit: int = DELIVERY_LOG_SIZE
) -> list[WebhookDelivery]:
    """The newest deliveries of `webhook` (bounded; the payload is not loaded)."""
    deliveries = WebhookDelivery.objects.filter(webhook=webhook).defer("payload")
    if status in WebhookDelivery.Status.values:
        deliveries = deliveries.filter(status=status)
    return list(deliveries.order_by("-created_at", "-id")[:limit])
