"""A user's secret iCal feed: its token (only the digest is stored) and the RFC 5545 calendar it serves.

The token is the only credential of the feed address, so phones and Outlook can subscribe without a
session. Regenerating it replaces the digest (the old address stops working at once); revoking it
deletes the row.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from tandem.accounts.models import User
from tandem.activities.models import Activity, CalendarFeed

TOKEN_PREFIX = "cal_"
FEED_DAYS_BACK = 30
FEED_DAYS_AHEAD = 180
FEED_LIMIT = 1000
DEFAULT_DURATION = datetime.timedelta(minutes=30)
# Writing last_used_at on every poll would turn a read into a write; a minute is precise enough.
LAST_USED_PRECISION = datetime.timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_create(*, user: User) -> tuple[CalendarFeed, str]:
    """Give `user` a new feed token (replacing any previous one) and return it with the token.

    The token is not stored anywhere and cannot be shown again; an older address stops working."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    feed, _created = CalendarFeed.objects.update_or_create(
        user=user, defaults={"digest": _digest(token), "created_at": timezone.now(), "last_used_at": None}
    )
    return feed, token


def calendar_feed_revoke(*, user: User) -> bool:
    """Switch `user`'s feed off; True when there was one."""
    deleted, _details = CalendarFeed.objects.filter(user=user).delete()
    return deleted > 0


def calendar_feed_get(*, user: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user).first()


def calendar_feed_authenticate(token: str) -> CalendarFeed | None:
    """The feed of an active user whose token is `token`, else None (guessed, revoked, malformed).

    The lookup is by the token's SHA-256 digest, so the comparison leaks nothing about the token."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(digest=_digest(token), user__is_active=True)
        .first()
    )
    if feed is None:
        return None
    now = timezone.now()
    if feed.last_used_at is None or now - feed.last_used_at > LAST_USED_PRECISION:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
        feed.last_used_at = now
    return feed


def feed_activities(*, user: User, now: datetime.datetime | None = None) -> list[Activity]:
    """The user's planned activities due from 30 days ago to 180 days ahead, soonest first (bounded)."""
    now = now or timezone.now()
    return list(
        Activity.objects.filter(
            assignee=user,
            done_at__isnull=True,
            deleted_at__isnull=True,
            due_at__gte=now - datetime.timedelta(days=FEED_DAYS_BACK),
            due_at__lt=now + datetime.timedelta(days=FEED_DAYS_AHEAD),
        )
        .select_related("type", "deal", "contact", "company")
        .order_by("due_at", "id")[:FEED_LIMIT]
    )


def _card_link(activity: Activity) -> tuple[str, str]:
    """The name and absolute address of the card the activity belongs to."""
    base = settings.SITE_URL
    if activity.deal_id:
        return str(activity.deal), base + reverse("deal_detail", args=[activity.deal_id])
    if activity.contact_id:
        return str(activity.contact), base + reverse("contact_detail", args=[activity.contact_id])
    if activity.company_id:
        return str(activity.company), base + reverse("company_detail", args=[activity.company_id])
    return "", base + "/"


def calendar_feed_ics(*, user: User, now: datetime.datetime | None = None) -> bytes:
    """The RFC 5545 calendar of `user`'s plan (see `feed_activities`), times in UTC."""
    now = now or timezone.now()
    calendar = Calendar()
    calendar.add("prodid", "-//Tandem CRM//Planned activities//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Tandem · {user}")
    calendar.add("x-published-ttl", "PT30M")
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "tandem"
    stamp = now.astimezone(datetime.UTC)
    for activity in feed_activities(user=user, now=now):
        assert activity.due_at is not None  # feed_activities selects planned items only
        start = activity.due_at.astimezone(datetime.UTC)
        duration = (
            datetime.timedelta(minutes=activity.duration_minutes)
            if activity.duration_minutes
            else DEFAULT_DURATION
        )
        card, link = _card_link(activity)
        event = Event()
        event.add("uid", f"activity-{activity.pk}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        event.add("dtend", start + duration)
        event.add("summary", f"{activity.type}: {activity.subject}")
        event.add("description", "\n\n".join(part for part in (card, activity.description, link) if part))
        event.add("url", link)
        event.add("last-modified", activity.updated_at.astimezone(datetime.UTC))
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    return calendar.to_ical()
