from __future__ import annotations

from huey.contrib.djhuey import db_task

from tandem.notifications.emails import notification_email_deliver


@db_task(retries=3, retry_delay=60)
def notification_email_send(notification_id: int) -> None:
    notification_email_deliver(notification_id)
