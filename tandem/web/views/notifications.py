"""In-app notifications: the bell's unread count (polled), its dropdown, the full list, marking read,
and the choice of which kinds also go by email (on the profile page). A user only ever reaches their
own notifications: everything is looked up through `notification_list(actor=...)`."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tandem.core.pagination import paginate
from tandem.notifications.models import Notification
from tandem.notifications.selectors import UNREAD_CAP, notification_list, unread_count
from tandem.notifications.services import notification_settings_update, notifications_mark_read
from tandem.web.forms.accounts import add_service_error
from tandem.web.forms.planning import NotificationSettingsForm
from tandem.web.views.accounts import render_profile
from tandem.web.views.records import AuthedRequest, render_page

PAGE_SIZE = 30
MENU_SIZE = 8
CHANGED_EVENT = "notifications-changed"


def _badge(count: int) -> str:
    return f"{UNREAD_CAP}+" if count > UNREAD_CAP else str(count)


def notification_bell(request: HttpRequest) -> HttpResponse:
    """The bell's badge, polled every minute: one query. Signed out, it answers with nothing (204)
    rather than a login page that htmx would paste into the top bar."""
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    count = unread_count(actor=request.user)  # type: ignore[arg-type]
    response = render(request, "web/notifications/bell.html", {"unread": count, "badge": _badge(count)})
    add_never_cache_headers(response)
    return response


def _get_own(request: AuthedRequest, pk: int) -> Notification:
    notification = notification_list(actor=request.user).filter(pk=pk).first()
    if notification is None:
        raise Http404
    return notification


def _changed(response: HttpResponse) -> HttpResponse:
    """Tell the bell (and any open list) to refresh."""
    response["HX-Trigger"] = CHANGED_EVENT
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def notification_menu(request: AuthedRequest) -> HttpResponse:
    """The bell's dropdown: the newest few, loaded when it opens."""
    rows = list(notification_list(actor=request.user)[:MENU_SIZE])
    response = render(request, "web/notifications/menu.html", {"notifications": rows})
    add_never_cache_headers(response)
    return response


@login_required
def notification_list_page(request: AuthedRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    page = paginate(
        notification_list(actor=request.user, unread_only=unread_only),
        ordering=["-created_at", "-id"],
        cursor=request.GET.get("cursor"),
        size=PAGE_SIZE,
    )
    context = {"page": page, "notifications": page.rows, "unread_only": unread_only}
    return render_page(request, "web/notifications/list.html", context, fragment="list")


def _safe_target(request: HttpRequest, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    base = settings.SITE_URL
    if url.startswith(base + "/"):
        return url[len(base) :]
    return ""


@login_required
def notification_open(request: AuthedRequest, pk: int) -> HttpResponse:
    """Follow a notification to what it is about, marking it read on the way."""
    notification = _get_own(request, pk)
    notifications_mark_read(actor=request.user, ids=[notification.pk])
    return redirect(_safe_target(request, notification.url) or reverse("notification_list"))


@login_required
@require_POST
def notification_read(request: AuthedRequest, pk: int) -> HttpResponse:
    notification = _get_own(request, pk)
    notifications_mark_read(actor=request.user, ids=[notification.pk])
    if request.htmx:
        notification.refresh_from_db(fields=["read_at"])
        template = "web/notifications/list.html#item"
        return _changed(render(request, template, {"notification": notification}))
    return redirect("notification_list")


@login_required
@require_POST
def notification_read_all(request: AuthedRequest) -> HttpResponse:
    count = notifications_mark_read(actor=request.user)
    if request.htmx and request.POST.get("from") == "menu":
        rows = list(notification_list(actor=request.user)[:MENU_SIZE])
        return _changed(render(request, "web/notifications/menu.html", {"notifications": rows}))
    if count:
        messages.success(request, _("All notifications are marked read."))
    return redirect("notification_list")


@login_required
@require_POST
def notification_settings(request: AuthedRequest) -> HttpResponse:
    """Which kinds of notification also reach the user by email."""
    form = NotificationSettingsForm(request.POST)
    if form.is_valid():
        try:
            notification_settings_update(actor=request.user, email_kinds=form.cleaned_data["email_kinds"])
        except DjangoValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Your notification settings have been saved."))
            return redirect(reverse("profile") + "#notifications")
    response = render_profile(request, notification_form=form)
    response.status_code = 400
    return response
