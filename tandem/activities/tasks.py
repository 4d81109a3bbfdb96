"""The periodic escalation jobs: thin wrappers over `tandem.activities.escalation`.

Each rule is its own task, so one failing rule does not hold up the others. A run that finds itself
more than `EXPIRES` seconds late (the queue was busy) is dropped: the next minute's run does its work.
The scheduler that enqueues them runs on exactly one consumer (`tandem worker`, see TANDEM_SCHEDULER).
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from tandem.activities import escalation

EXPIRES = 50


@db_periodic_task(crontab(minute="*"), expires=EXPIRES)
def reminders_every_minute() -> None:
    escalation.reminders_send()


@db_periodic_task(crontab(minute="*"), expires=EXPIRES)
def untouched_leads_every_minute() -> None:
    escalation.untouched_leads_escalate()


@db_periodic_task(crontab(minute="*"), expires=EXPIRES)
def missed_calls_every_minute() -> None:
    escalation.missed_calls_escalate()


@db_periodic_task(crontab(minute="*"), expires=EXPIRES)
def digests_every_minute() -> None:
    """Cheap when nobody is due (two queries): the digest goes out in each user's digest hour."""
    escalation.digests_send()


@db_periodic_task(crontab(minute="7"), expires=30 * 60)
def stuck_deals_hourly() -> None:
    escalation.stuck_deals_notify()
