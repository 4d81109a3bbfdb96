"""@mentions in activity descriptions: "@" followed by a colleague's email or full name.

The mentioned colleague is notified once per activity (editing the text again does not notify twice),
and only when they can see the activity: a mention must not leak a client's details to someone
whose role keeps them out of that card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _

from tandem.accounts.models import User
from tandem.activities.models import Activity
from tandem.activities.selectors import activity_get_for_user

# "@" at the start or after a space/punctuation, so the "@" inside "ivan@example.com" is no mention.
MENTION_START = re.compile(r"(?<![\w.@+-])@")
EMAIL_AFTER_AT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _name_ends(text: str, end: int) -> bool:
    return end == len(text) or not (text[end].isalnum() or text[end] in "_-")


def mentioned_users(text: str) -> list[User]:
    """Active users mentioned in `text`, in order of first mention, each once.

    An email wins over a name; of several names the longest match wins ("@Ana Maria" over "@Ana")."""
    starts = [match.end() for match in MENTION_START.finditer(text or "")]
    if not starts:
        return []
    emails: list[str] = []
    name_positions: list[int] = []
    for start in starts:
        match = EMAIL_AFTER_AT.match(text, start)
        if match:
            emails.append(match.group(0).lower())
        else:
            name_positions.append(start)
    found: list[int] = []
    by_email: dict[str, int] = {}
    if emails:
        by_email = {
            email.lower(): pk
            for pk, email in User.objects.filter(is_active=True, email__in=set(emails)).values_list(
                "pk", "email"
            )
        }
    names: list[tuple[str, str, int]] = []
    if name_positions:
        names = sorted(
            (
                (full_name.strip(), full_name.strip().casefold(), pk)
                for pk, full_name in User.objects.filter(is_active=True)
                .exclude(full_name="")
                .values_list("pk", "full_name")
            ),
            key=lambda item: len(item[0]),
            reverse=True,
        )
    for start in starts:
        match = EMAIL_AFTER_AT.match(text, start)
        pk: int | None = None
        if match:
            pk = by_email.get(match.group(0).lower())
        else:
            for name, folded, candidate in names:
                end = start + len(name)
                if name and text[start:end].casefold() == folded and _name_ends(text, end):
                    pk = candidate
                    break
        if pk is not None and pk not in found:
            found.append(pk)
    users = User.objects.in_bulk(found)
    return [users[pk] for pk in found if pk in users]


@dataclass
class MentionResult:
    notified: list[User] = field(default_factory=list)
    cannot_see: list[User] = field(default_factory=list)


def _can_see(user: User, activity: Activity) -> bool:
    try:
        activity_get_for_user(user=user, pk=activity.pk)
    except Http404:
        return False
    return True


def activity_mentions_notify(*, actor: User | None, activity: Activity) -> MentionResult:
    """Notify the colleagues mentioned in the activity's description (MENTION, once per activity and
    person). Those who cannot see the activity are not notified but returned, so the caller can say so."""
    from tandem.notifications.models import Notification
    from tandem.notifications.services import notify

    result = MentionResult()
    if activity.deleted_at is not None:
        return result
    for user in mentioned_users(activity.description):
        if actor is not None and user.pk == actor.pk:
            continue
        if not _can_see(user, activity):
            result.cannot_see.append(user)
            continue
        # The title is stored once: write it in the language of the one who reads it.
        with translation.override(user.language or settings.LANGUAGE_CODE):
            title = _("%(user)s mentioned you: %(subject)s") % {
                "user": actor or "Tandem",
                "subject": activity.subject,
            }
        notification = notify(
            recipient=user,
            kind=Notification.Kind.MENTION,
            key=f"mention:{activity.pk}:{user.pk}",
            title=title,
            body=activity.description,
            url=f"/activities/{activity.pk}/",
            actor=actor,
        )
        if notification is not None:
            result.notified.append(user)
    return result


def mentions_of(activity: Activity) -> MentionResult:
    """Who the service call that just wrote `activity` notified (empty if it mentioned nobody)."""
    return getattr(activity, "mentions", None) or MentionResult()
