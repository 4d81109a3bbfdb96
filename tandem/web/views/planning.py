"""Planning pages: My day (overdue, today, the next 7 days, with one-click done and reschedule), the
calendar (week/month, drag to reschedule; a plain list without JavaScript) and the iCal feed.

Whose plan a page shows: the user's own, or — for those whose activity scope covers them — a team
member's (`?user=<id>`); anyone else's is a 404.
"""

from __future__ import annotations

import datetime
import itertools
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from tandem.accounts.models import User
from tandem.accounts.visibility import Scope, scope_for
from tandem.activities.calendar_feed import (
    calendar_feed_authenticate,
    calendar_feed_create,
    calendar_feed_ics,
    calendar_feed_revoke,
)
from tandem.activities.models import Activity
from tandem.activities.selectors import (
    activities_changeable_ids,
    activity_get_for_user,
    calendar_items,
    card_of,
    day_viewable_users,
    my_day,
)
from tandem.activities.services import activity_done, activity_update
from tandem.core.errors import ApplicationError, PermissionDenied
from tandem.core.models import WorkSchedule
from tandem.web.forms.planning import (
    CalendarMoveForm,
    CalendarPageForm,
    CalendarRangeForm,
    DoneForm,
    RescheduleForm,
)
from tandem.web.forms.sales import add_service_error
from tandem.web.views.accounts import render_profile
from tandem.web.views.records import AuthedRequest, friendly_forbidden, render_page, wants_fragment

EVERYONE = "all"
DEFAULT_DURATION = datetime.timedelta(minutes=30)
CALENDAR_LOCALES = {"bg", "ru"}  # FullCalendar locale files vendored besides its English default


# --- shared helpers ------------------------------------------------------------------------------


def viewed_user(actor: User, raw: str | None, *, allow_everyone: bool = False) -> User | None:
    """Whose plan to show: the actor by default, another user only inside the actor's activity
    scope (else 404). None means everyone the actor can see (the calendar's "whole team")."""
    if not raw or raw == str(actor.pk):
        return actor
    if raw == EVERYONE and allow_everyone and scope_for(actor, Activity, "view") > Scope.OWN:
        return None
    try:
        pk = int(raw)
    except ValueError as error:
        raise Http404 from error
    user = day_viewable_users(actor=actor).filter(pk=pk).first()
    if user is None:
        raise Http404
    return user


def switch_users(actor: User) -> list[User]:
    """Whom the actor may switch to; empty when only themselves (the switcher is then hidden)."""
    if scope_for(actor, Activity, "view") <= Scope.OWN:
        return []
    return list(day_viewable_users(actor=actor).order_by("full_name", "email"))


def card_url(activity: Activity) -> str:
    if activity.deal_id:
        return reverse("deal_detail", args=[activity.deal_id])
    if activity.contact_id:
        return reverse("contact_detail", args=[activity.contact_id])
    if activity.company_id:
        return reverse("company_detail", args=[activity.company_id])
    return ""


def _decorate(activities: list[Activity], changeable: set[int]) -> None:
    """What the templates show per item: the card, its address, whether the user may change it."""
    for item in activities:
        item.card = card_of(item)  # type: ignore[attr-defined]
        item.card_url = card_url(item)  # type: ignore[attr-defined]
        item.can_change = item.pk in changeable  # type: ignore[attr-defined]


def _user_query(user: User | None, actor: User) -> str:
    if user is None:
        return EVERYONE
    return "" if user.pk == actor.pk else str(user.pk)


# --- My day --------------------------------------------------------------------------------------


# Items shown per section: a longer overdue list helps nobody, and each row carries its own menus.
DAY_SECTION_SIZE = 30


def _day_context(request: AuthedRequest, day_user: User, **extra: Any) -> dict[str, Any]:
    actor = request.user
    day = my_day(user=day_user, limit=DAY_SECTION_SIZE + 1)
    sections = []
    for key, title, rows in (
        ("overdue", _("Overdue"), day.overdue),
        ("today", _("Today"), day.today),
        ("upcoming", _("Next 7 days"), day.upcoming),
    ):
        sections.append((key, title, rows[:DAY_SECTION_SIZE], len(rows) > DAY_SECTION_SIZE))
    items = [item for _key, _title, rows, _more in sections for item in rows]
    _decorate(items, activities_changeable_ids(user=actor, activities=items))
    user_query = _user_query(day_user, actor)
    # Each row has the same menus: build their addresses and the quick choices once, not per row.
    suffix = f"?{urlencode({'user': user_query})}" if user_query else ""
    done_url = reverse("my_day_done", args=[0])
    reschedule_url = reverse("my_day_reschedule", args=[0])
    for item in items:
        item.done_url = done_url.replace("/0/", f"/{item.pk}/") + suffix  # type: ignore[attr-defined]
        item.reschedule_url = reschedule_url.replace("/0/", f"/{item.pk}/")  # type: ignore[attr-defined]
    quick_buttons = format_html_join(
        "",
        '<button class="dropdown-item rounded" type="submit" name="when" value="{}">{}</button>',
        RescheduleForm.quick_choices(),
    )
    return {
        "quick_buttons": quick_buttons,
        "user_suffix": suffix,
        "day": day,
        "sections": sections,
        "section_size": DAY_SECTION_SIZE,
        "total": len(items),
        "day_user": day_user,
        "is_own_day": day_user.pk == actor.pk,
        "switch_users": switch_users(actor),
        "user_query": user_query,
        "today": timezone.localdate(),
        **extra,
    }


def _day_fragment(request: AuthedRequest, day_user: User, **extra: Any) -> HttpResponse:
    """The whole day list for htmx, replacing #my-day wherever the request was aimed."""
    response = render(request, "web/planning/my_day.html#day", _day_context(request, day_user, **extra))
    response["HX-Retarget"] = "#my-day"
    response["HX-Reswap"] = "outerHTML"
    patch_vary_headers(response, ["HX-Request"])
    return response


def _day_url(request: AuthedRequest, day_user: User) -> str:
    user_query = _user_query(day_user, request.user)
    return reverse("my_day") + (f"?{urlencode({'user': user_query})}" if user_query else "")


def _back_to_day(request: AuthedRequest, day_user: User) -> HttpResponse:
    return redirect(_day_url(request, day_user))


@login_required
def my_day_page(request: AuthedRequest) -> HttpResponse:
    day_user = viewed_user(request.user, request.GET.get("user"))
    assert day_user is not None
    context = _day_context(request, day_user)
    return render_page(request, "web/planning/my_day.html", context, fragment="day")


@login_required
@friendly_forbidden
def activity_done_quick(request: AuthedRequest, pk: int) -> HttpResponse:
    """Mark a planned activity done, asking how it ended; the day list follows."""
    activity = activity_get_for_user(user=request.user, pk=pk, for_write=True)
    day_user = viewed_user(request.user, request.POST.get("user") or request.GET.get("user")) or request.user
    form = DoneForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            done = activity_done(
                actor=request.user,
                activity=activity,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except (DjangoValidationError, ApplicationError) as error:
            if isinstance(error, PermissionDenied):
                raise
            add_service_error(form, error)
        else:
            if request.htmx:
                done.card = card_of(done)  # type: ignore[attr-defined]
                done.card_url = card_url(done)  # type: ignore[attr-defined]
                return _day_fragment(request, day_user, done_activity=done)
            messages.success(request, _("Done: %(subject)s") % {"subject": done.subject})
            return _back_to_day(request, day_user)
    context = {
        "activity": activity,
        "form": form,
        "user_query": _user_query(day_user, request.user),
        "cancel_url": _day_url(request, day_user),
    }
    status = 400 if request.method == "POST" and not wants_fragment(request) else 200
    return render_page(request, "web/planning/done_form.html", context, fragment="form", status=status)


@login_required
@friendly_forbidden
def activity_reschedule(request: AuthedRequest, pk: int) -> HttpResponse:
    """Move a planned activity: in an hour, tomorrow or next Monday at the start of the working day,
    or to a picked date and time."""
    activity = activity_get_for_user(user=request.user, pk=pk, for_write=True)
    day_user = viewed_user(request.user, request.POST.get("user") or request.GET.get("user")) or request.user
    form = RescheduleForm(request.POST if request.method == "POST" else None, activity=activity)
    if request.method == "POST" and activity.done_at is not None:
        form.is_valid()
        form.add_error(None, _("This activity is already done."))
    elif request.method == "POST" and form.is_valid():
        try:
            moved = activity_update(
                actor=request.user, activity=activity, data={"due_at": form.cleaned_data["new_due_at"]}
            )
        except (DjangoValidationError, ApplicationError) as error:
            if isinstance(error, PermissionDenied):
                raise
            add_service_error(form, error)
        else:
            if request.htmx:
                return _day_fragment(request, day_user, moved_id=moved.pk)
            messages.success(
                request,
                _("“%(subject)s” moved to %(when)s.")
                % {"subject": moved.subject, "when": _when(moved.due_at)},
            )
            return _back_to_day(request, day_user)
    if request.method == "POST" and request.htmx:
        # The quick menu lives in the day list: show why the move was refused at its top.
        errors = [str(error) for errors in form.errors.values() for error in errors]
        return _day_fragment(request, day_user, error_subject=activity.subject, errors=errors)
    context = {
        "activity": activity,
        "form": form,
        "quick_choices": RescheduleForm.quick_choices(),
        "user_query": _user_query(day_user, request.user),
        "cancel_url": _day_url(request, day_user),
    }
    status = 400 if request.method == "POST" else 200
    return render_page(request, "web/planning/reschedule.html", context, fragment="form", status=status)


def _when(moment: datetime.datetime | None) -> str:
    if moment is None:
        return ""
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


# --- the calendar --------------------------------------------------------------------------------


def _event(activity: Activity, *, editable: bool, show_assignee: bool) -> dict[str, Any]:
    assert activity.due_at is not None
    start = timezone.localtime(activity.due_at)
    duration = (
        datetime.timedelta(minutes=activity.duration_minutes)
        if activity.duration_minutes
        else DEFAULT_DURATION
    )
    title = activity.subject
    if show_assignee:
        title = f"{title} · {activity.assignee}"
    card = card_of(activity)
    classes = [f"activity-kind-{activity.type.kind}"]
    if activity.is_overdue:
        classes.append("activity-overdue")
    return {
        "id": str(activity.pk),
        "title": title,
        "start": start.isoformat(),
        "end": (start + duration).isoformat(),
        "url": card_url(activity),
        "editable": editable,
        "classNames": classes,
        "extendedProps": {
            "type": str(activity.type),
            "icon": activity.type.icon,
            "card": str(card) if card is not None else "",
            "assignee": str(activity.assignee),
            "moveUrl": reverse("calendar_move", args=[activity.pk]),
        },
    }


@login_required
def calendar_page(request: AuthedRequest) -> HttpResponse:
    """The calendar: FullCalendar (calendar.js) over the events endpoint, and the same period as a
    plain list, which is what a browser without JavaScript shows."""
    actor = request.user
    calendar_user = viewed_user(actor, request.GET.get("user"), allow_everyone=True)
    form = CalendarPageForm(request.GET)
    view, anchor, first, after = form.period()
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(after, datetime.time.min))
    items = calendar_items(actor=actor, start=start, end=end, assignee=calendar_user)
    _decorate(items, activities_changeable_ids(user=actor, activities=items))
    days = [
        (day, list(group))
        for day, group in itertools.groupby(items, key=lambda item: timezone.localdate(item.due_at))
    ]
    user_query = _user_query(calendar_user, actor)
    step = datetime.timedelta(days=7)
    if view == "month":
        previous_date = (first - datetime.timedelta(days=1)).replace(day=1)
        next_date = after
    else:
        previous_date, next_date = first - step, first + step

    def link(**params: Any) -> str:
        query = {"view": view, "date": anchor.isoformat(), "user": user_query, **params}
        return reverse("calendar") + "?" + urlencode({key: value for key, value in query.items() if value})

    language = (get_language() or "en").split("-")[0]
    schedule = WorkSchedule.current()
    business_hours = {
        # FullCalendar counts days from Sunday (0); the schedule from Monday (0).
        "daysOfWeek": [(day + 1) % 7 for day in schedule.working_days],
        "startTime": schedule.day_starts.strftime("%H:%M"),
        "endTime": schedule.day_ends.strftime("%H:%M"),
    }
    context = {
        "view": view,
        "anchor": anchor,
        "first": first,
        "last": after - datetime.timedelta(days=1),
        "days": days,
        "total": len(items),
        "form": form,
        "date_error": bool(form.errors),
        "calendar_user": calendar_user,
        "switch_users": switch_users(actor),
        "user_query": user_query,
        "everyone": EVERYONE,
        "previous_url": link(date=previous_date.isoformat()),
        "next_url": link(date=next_date.isoformat()),
        "today_url": link(date=""),
        "week_url": link(view="week"),
        "month_url": link(view="month"),
        "events_url": reverse("calendar_events")
        + (f"?{urlencode({'user': user_query})}" if user_query else ""),
        "calendar_locale": language if language in CALENDAR_LOCALES else "en",
        "scroll_time": f"{max(schedule.day_starts.hour - 1, 0):02d}:00:00",
        "business_hours_json": json.dumps(business_hours),
    }
    return render_page(request, "web/planning/calendar.html", context, fragment="agenda")


def _json_error(message: str, status: int, errors: dict[str, list[str]] | None = None) -> JsonResponse:
    return JsonResponse({"error": message, "errors": errors or {}}, status=status)


def _form_errors(form: Any) -> dict[str, list[str]]:
    return {name: [str(error) for error in errors] for name, errors in form.errors.items()}


def calendar_events(request: HttpRequest) -> HttpResponse:
    """The events FullCalendar shows: planned activities in [start, end) the user may see, of one
    user (by default the user themselves) or of everyone in their scope (`user=all`)."""
    if not request.user.is_authenticated:
        return _json_error(_("Log in again to see the calendar."), 401)
    actor: User = request.user  # type: ignore[assignment]
    try:
        calendar_user = viewed_user(actor, request.GET.get("user"), allow_everyone=True)
    except Http404:
        return _json_error(_("You cannot see this calendar."), 404)
    form = CalendarRangeForm(request.GET)
    if not form.is_valid():
        return _json_error(_("Invalid period."), 400, _form_errors(form))
    items = calendar_items(
        actor=actor, start=form.cleaned_data["start"], end=form.cleaned_data["end"], assignee=calendar_user
    )
    changeable = activities_changeable_ids(user=actor, activities=items)
    show_assignee = calendar_user is None
    events = [_event(item, editable=item.pk in changeable, show_assignee=show_assignee) for item in items]
    return JsonResponse(events, safe=False)


@require_POST
def calendar_move(request: HttpRequest, pk: int) -> HttpResponse:
    """A drop on the calendar: the activity's new due time (and, when resized, its new duration)."""
    if not request.user.is_authenticated:
        return _json_error(_("Log in again to move activities."), 401)
    actor: User = request.user  # type: ignore[assignment]
    try:
        activity = activity_get_for_user(user=actor, pk=pk, for_write=True)
    except Http404:
        return _json_error(_("This activity does not exist or is hidden from you."), 404)
    except PermissionDenied:
        return _json_error(_("You are not allowed to change this activity."), 403)
    form = CalendarMoveForm(request.POST)
    if not form.is_valid():
        return _json_error(_("Invalid date or time."), 400, _form_errors(form))
    if activity.done_at is not None:
        return _json_error(_("This activity is already done."), 400)
    data: dict[str, Any] = {"due_at": form.cleaned_data["start"]}
    if form.cleaned_data.get("duration_minutes"):
        data["duration_minutes"] = form.cleaned_data["duration_minutes"]
    try:
        moved = activity_update(actor=actor, activity=activity, data=data)
    except PermissionDenied:
        return _json_error(_("You are not allowed to change this activity."), 403)
    except DjangoValidationError as error:
        return _json_error(" ".join(error.messages), 400)
    except ApplicationError as error:
        return _json_error(error.message, 400)
    return JsonResponse(_event(moved, editable=True, show_assignee=False))


# --- the iCal feed -------------------------------------------------------------------------------


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The secret-address calendar a phone or Outlook subscribes to; unknown tokens are a 404."""
    feed = calendar_feed_authenticate(token)
    if feed is None:
        raise Http404
    response = HttpResponse(calendar_feed_ics(user=feed.user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="tandem.ics"'
    response["X-Robots-Tag"] = "noindex"
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def calendar_feed_manage(request: AuthedRequest) -> HttpResponse:
    """Create or regenerate the user's feed address (shown once), or switch it off."""
    action = request.POST.get("action")
    if action == "revoke":
        if calendar_feed_revoke(user=request.user):
            messages.success(request, _("The calendar link has been switched off."))
        return redirect(reverse("profile") + "#calendar-feed")
    if action not in ("create", "regenerate"):
        return HttpResponseBadRequest()
    _feed, token = calendar_feed_create(user=request.user)
    feed_url = request.build_absolute_uri(reverse("calendar_feed", args=[token]))
    # The address exists only in this response: never cached, never stored.
    response = render_profile(request, feed_url=feed_url)
    add_never_cache_headers(response)
    return response
