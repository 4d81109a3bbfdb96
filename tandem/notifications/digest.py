"""The daily digest: one user's plan for today, what is overdue and which deals are stuck.

Built from bounded queries (at most `SECTION_SIZE` rows per section, with "and N more"), rendered as
plain text and HTML in the recipient's language and time zone, and sent as a DIGEST notification
(the in-app body is the plain text; the email carries both, see `digest_email`).
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from tandem.accounts.models import Team, User
from tandem.notifications.models import Notification

SECTION_SIZE = 50


def user_zone(user: User) -> zoneinfo.ZoneInfo:
    """The user's time zone; the instance default when theirs is unknown."""
    try:
        return zoneinfo.ZoneInfo(user.time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


@contextmanager
def recipient_locale(user: User) -> Iterator[None]:
    """Render in the recipient's language and time zone (notification titles, bodies, emails)."""
    with translation.override(user.language or settings.LANGUAGE_CODE), timezone.override(user_zone(user)):
        yield


def moment_text(moment: datetime.datetime) -> str:
    """A date and time in the current language and time zone (use inside `recipient_locale`)."""
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


@dataclass
class DigestSection:
    items: list[Any]
    total: int

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.items))


@dataclass
class Digest:
    user: User
    date: datetime.date
    today: DigestSection
    overdue: DigestSection
    stuck: DigestSection
    is_head: bool = False
    base_url: str = field(default_factory=lambda: settings.SITE_URL)

    @property
    def is_empty(self) -> bool:
        return not (self.today.total or self.overdue.total or self.stuck.total)

    @property
    def key(self) -> str:
        return f"digest:{self.date:%Y-%m-%d}"


def _section(queryset: Any) -> DigestSection:
    rows = list(queryset[: SECTION_SIZE + 1])
    total = len(rows) if len(rows) <= SECTION_SIZE else queryset.count()
    return DigestSection(items=rows[:SECTION_SIZE], total=total)


def digest_build(
    *, user: User, now: datetime.datetime, stuck_condition: Q | None = None, is_head: bool | None = None
) -> Digest:
    """What `user`'s digest says at `now` (their local date): their open activities due today and
    overdue, and the stuck deals they own — a head of sales sees their teams' stuck deals too.

    `stuck_condition` is `deals.selectors.stuck_q(now)`, passed in by a caller building many digests.
    Seven queries at most (three sections, a count when a section overflows, a head's team), plus one
    for `is_head` when not given.
    """
    from tandem.activities.models import Activity
    from tandem.deals.models import Deal
    from tandem.deals.selectors import stuck_q

    zone = user_zone(user)
    local = now.astimezone(zone)
    day_starts = datetime.datetime.combine(local.date(), datetime.time(0), tzinfo=zone)
    day_ends = datetime.datetime.combine(
        local.date() + datetime.timedelta(days=1), datetime.time(0), tzinfo=zone
    )
    open_items = Activity.objects.filter(
        assignee=user, done_at__isnull=True, deleted_at__isnull=True
    ).select_related("type", "deal", "contact", "company")
    today = open_items.filter(due_at__gte=day_starts, due_at__lt=day_ends).order_by("due_at", "id")
    overdue = open_items.filter(due_at__lt=day_starts).order_by("due_at", "id")
    if is_head is None:
        is_head = Team.objects.filter(head=user).exists()
    owners = {user.pk}
    if is_head:
        # Ids, not a subquery: each owner's deals are then read through the owner index.
        owners |= set(User.objects.filter(team__head=user).values_list("pk", flat=True))
    stuck = (
        Deal.objects.filter(stuck_condition if stuck_condition is not None else stuck_q(now))
        .filter(owner_id__in=sorted(owners), deleted_at__isnull=True)
        .select_related("stage", "owner")
        .order_by("stage_entered_at", "id")
    )
    return Digest(
        user=user,
        date=local.date(),
        today=_section(today),
        overdue=_section(overdue),
        stuck=_section(stuck),
        is_head=is_head,
    )


def _my_day_path() -> str:
    try:
        return reverse("my_day")
    except NoReverseMatch:
        return "/"


@dataclass
class DigestLine:
    when: str
    text: str
    about: str
    url: str


@dataclass
class DigestPart:
    title: str
    lines: list[DigestLine]
    more: int
    empty: str = ""


def _activity_lines(digest: Digest, section: DigestSection, *, with_date: bool) -> list[DigestLine]:
    lines = []
    for item in section.items:
        local = timezone.localtime(item.due_at)
        when = formats.date_format(local, "SHORT_DATETIME_FORMAT" if with_date else "TIME_FORMAT")
        record = item.deal or item.contact or item.company
        lines.append(
            DigestLine(
                when=when,
                text=f"{item.type.name}: {item.subject}",
                about=str(record) if record is not None else "",
                url=f"{digest.base_url}/activities/{item.pk}/",
            )
        )
    return lines


def _deal_lines(digest: Digest) -> list[DigestLine]:
    lines = []
    for deal in digest.stuck.items:
        about = _("in “%(stage)s” since %(date)s") % {
            "stage": deal.stage.name,
            "date": formats.date_format(timezone.localtime(deal.stage_entered_at), "SHORT_DATE_FORMAT"),
        }
        if deal.owner_id != digest.user.pk:
            about = f"{about}, {deal.owner}"
        lines.append(
            DigestLine(when="", text=deal.title, about=about, url=f"{digest.base_url}/deals/{deal.pk}/")
        )
    return lines


def digest_render(digest: Digest) -> tuple[str, str, str]:
    """Subject, plain text and HTML of the digest, in the recipient's language and time zone."""
    with recipient_locale(digest.user):
        subject = _("Your day, %(date)s") % {"date": formats.date_format(digest.date, "DATE_FORMAT")}
        parts = [
            DigestPart(
                title=pgettext("digest", "Planned for today"),
                lines=_activity_lines(digest, digest.today, with_date=False),
                more=digest.today.more,
                empty=_("Nothing is planned for today."),
            )
        ]
        if digest.overdue.total:
            parts.append(
                DigestPart(
                    title=pgettext("digest", "Overdue"),
                    lines=_activity_lines(digest, digest.overdue, with_date=True),
                    more=digest.overdue.more,
                )
            )
        if digest.stuck.total:
            parts.append(
                DigestPart(
                    title=(
                        pgettext("digest", "Stuck deals in your team")
                        if digest.is_head
                        else pgettext("digest", "Stuck deals")
                    ),
                    lines=_deal_lines(digest),
                    more=digest.stuck.more,
                )
            )
        context = {
            "subject": subject,
            "name": digest.user.get_short_name(),
            "parts": parts,
            "my_day_url": f"{digest.base_url}{_my_day_path()}",
        }
        text = render_to_string("notifications/digest_email.txt", context)
        html = render_to_string("notifications/digest_email.html", context)
    return subject, text, html


def digest_send(
    *, user: User, now: datetime.datetime, stuck_condition: Q | None = None, is_head: bool | None = None
) -> Notification | None:
    """Send `user` today's digest (kind DIGEST, key "digest:YYYY-MM-DD" of their local date).

    Nothing is sent when every section is empty, or when today's digest went out already.
    """
    from tandem.notifications.services import notify

    digest = digest_build(user=user, now=now, stuck_condition=stuck_condition, is_head=is_head)
    if digest.is_empty:
        return None
    subject, text, _html = digest_render(digest)
    return notify(
        recipient=user,
        kind=Notification.Kind.DIGEST,
        key=digest.key,
        title=subject,
        body=text,
        url=_my_day_path(),
    )


def digest_email(notification: Notification) -> tuple[str, str, str]:
    """The email of a DIGEST notification: its title and text as stored, and the HTML rebuilt as of
    its creation (the same rows, unless someone changed them in the seconds since)."""
    digest = digest_build(user=notification.recipient, now=notification.created_at)
    _subject, _text, html = digest_render(digest)
    return notification.title, notification.body, html
