from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from tandem.webhooks.delivery import delivery_attempt


@db_task()
def webhook_delivery_send(delivery_id: int, attempt: int = 1) -> None:
    """Attempt `attempt` of a delivery; a failure that may pass schedules the next one with backoff."""
    delay = delivery_attempt(delivery_id=delivery_id, attempt=attempt)
    if delay is not None:
        webhook_delivery_send.schedule((delivery_id, attempt + 1), delay=delay)


@db_periodic_task(crontab(minute="*/5"), expires=4 * 60)
def overdue_deliveries_every_five_minutes() -> None:
    """Re-queue deliveries whose job was lost or whose worker died mid-attempt."""
    # services imports this module for webhook_delivery_send: import it when the task runs.
    from tandem.webhooks.services import deliveries_overdue_requeue

    deliveries_overdue_requeue()
