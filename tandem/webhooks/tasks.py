from __future__ import annotations

from huey.contrib.djhuey import db_task

from tandem.webhooks.delivery import delivery_attempt


@db_task()
def webhook_delivery_send(delivery_id: int, attempt: int = 1) -> None:
    """Attempt `attempt` of a delivery; a failure that may pass schedules the next one with backoff."""
    delay = delivery_attempt(delivery_id=delivery_id, attempt=attempt)
    if delay is not None:
        webhook_delivery_send.schedule((delivery_id, attempt + 1), delay=delay)
