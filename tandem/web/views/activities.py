"""Activities on the deal, contact and company cards, and the activity page.

The card's activity section (next step, planned items, the two-mode form, the timeline) has its own
URL, `/<deals|contacts|companies>/<pk>/activities/`: htmx gets the section (or only the timeline when
a filter chip targets it), a browser without JavaScript gets a page of its own, and posts end in a
redirect back to the card. Done, reschedule and trash answer htmx with the fresh section of the card
they were clicked on; marking done then asks for the next step (the plan form, prefilled).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Model, Q
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.accounts.models import User
from tandem.accounts.visibility import can
from tandem.activities import services
from tandem.activities.attachments import attachment_remove, attachments_add
from tandem.activities.mentions import MentionResult, mentions_of
from tandem.activities.models import Activity, ActivityType, Attachment
from tandem.activities.selectors import (
    activities_changeable_ids,
    activity_can_change,
    activity_get_for_user,
    activity_types_active,
    planned_for_card,
    timeline_for_card,
)
from tandem.contacts import selectors as contact_selectors
from tandem.contacts.models import Company, Contact
from tandem.core.errors import ApplicationError, PermissionDenied
from tandem.deals import selectors as deal_selectors
from tandem.deals.models import Deal, Stage
from tandem.history.models import Event
from tandem.history.selectors import event_list_for_card
from tandem.web.forms.activities import MODE_PLAN, ActivityForm, DoneForm, RescheduleForm
from tandem.web.views.records import (
    AuthedRequest,
    Change,
    friendly_forbidden,
    redirect_to,
    render_page,
    timeline,
    wants_fragment,
)

SECTION_TEMPLATE = "web/activities/section.html"
TIMELINE_TARGET = "card-timeline"
# Timeline rows per page: a key account has thousands; older pages load on demand.
TIMELINE_PAGE = 25
HISTORY_FILTER = "history"

# --- the three kinds of card ---------------------------------------------------------------------


@dataclass(frozen=True)
class CardKind:
    slug: str
    model: type[Deal] | type[Contact] | type[Company]
    field: str  # the activity's link to this kind of card
    get_for_user: Callable[..., Any]
    detail_url: str


CARD_KINDS = {
    "deals": CardKind("deals", Deal, "deal", deal_selectors.deal_get_for_user, "deal_detail"),
    "contacts": CardKind(
        "contacts", Contact, "contact", contact_selectors.contact_get_for_user, "contact_detail"
    ),
    "companies": CardKind(
        "companies", Company, "company", contact_selectors.company_get_for_user, "company_detail"
    ),
}
KIND_OF_MODEL: dict[type[Model], CardKind] = {kind.model: kind for kind in CARD_KINDS.values()}


class CardKindConverter:
    regex = "deals|contacts|companies"

    def to_python(self, value: str) -> CardKind:
        return CARD_KINDS[value]

    def to_url(self, value: CardKind | str) -> str:
        return value.slug if isinstance(value, CardKind) else value


def kind_of(record: Model) -> CardKind:
    return KIND_OF_MODEL[type(record)]


def card_url(record: Model) -> str:
    return reverse(kind_of(record).detail_url, args=[record.pk])


def section_url(record: Model) -> str:
    return reverse("card_activities", args=[kind_of(record).slug, record.pk])


def card_param(record: Model) -> str:
    """How a form names the card whose section it re-renders: `deals:12`."""
    return f"{kind_of(record).slug}:{record.pk}"


def _card_from_param(user: User, value: str) -> Model | None:
    slug, _sep, raw = (value or "").partition(":")
    kind = CARD_KINDS.get(slug)
    if kind is None or not raw.isdigit() or len(raw) > 18:
        return None
    try:
        record: Model = kind.get_for_user(user=user, pk=int(raw))
    except Http404:
        return None
    return record


def _visible_card(user: User, activity: Activity) -> Model | None:
    """The first card of the activity the user may open: its deal, else contact, else company."""
    for record in (activity.deal, activity.contact, activity.company):
        if record is not None and not record.is_deleted and can(user, "view", record):
            return record
    return None


def _target_card(request: AuthedRequest, activity: Activity) -> Model | None:
    """The card the action was clicked on (`card` field), else the activity's first visible card."""
    value = request.POST.get("card") or request.GET.get("card") or ""
    return _card_from_param(request.user, value) or _visible_card(request.user, activity)


def _safe_next(request: AuthedRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return ""


# --- what the section shows ----------------------------------------------------------------------


@dataclass
class CardEntry:
    """One row of a card's timeline: an activity, or a history event with its readable changes."""

    at: datetime.datetime
    activity: Activity | None = None
    event: Event | None = None
    action: str = ""
    about: str = ""
    changes: list[Change] = field(default_factory=list)


@dataclass
class Section:
    kind: CardKind
    record: Model
    url: str
    card_url: str
    card_param: str
    planned: list[Activity]
    timeline: list[CardEntry]
    types: list[ActivityType]
    type_filter: str
    form: ActivityForm | None
    changeable: set[int]
    no_next_step: bool
    after: Activity | None = None
    notices: list[tuple[str, str]] = field(default_factory=list)
    older: datetime.datetime | None = None  # where the next (older) timeline page starts

    @property
    def next_step(self) -> Activity | None:
        return self.planned[0] if self.planned else None


def card_timeline(
    record: Model, type_filter: str = "", before: datetime.datetime | None = None
) -> list[CardEntry]:
    """Done activities and history rows of the card, newest first, one page (TIMELINE_PAGE + 1 rows
    tell whether an older page exists); `type_filter` is an activity type id (only those activities)
    or "history" (only the history rows); `before` starts the page below the previous one."""
    size = TIMELINE_PAGE + 1
    if type_filter == HISTORY_FILTER:
        events = list(event_list_for_card(record=record, limit=size, before=before))
        return [_event_entry(entry) for entry in timeline(record, events)]  # type: ignore[arg-type]
    type_id = int(type_filter) if type_filter.isdigit() and len(type_filter) < 10 else None
    rows = timeline_for_card(
        record=record,
        type_id=type_id,
        include_history=type_id is None,
        done_only=True,
        limit=size,
        before=before,
    )
    readable = iter(timeline(record, [row.event for row in rows if row.event is not None]))  # type: ignore[arg-type]
    entries = []
    for row in rows:
        if row.activity is not None:
            entries.append(CardEntry(at=row.at, activity=row.activity))
        else:
            entries.append(_event_entry(next(readable)))
    return entries


def _event_entry(entry: Any) -> CardEntry:
    return CardEntry(
        at=entry.event.occurred_at,
        event=entry.event,
        action=entry.action,
        about=entry.about,
        changes=entry.changes,
    )


def _is_open_deal(record: Model) -> bool:
    return isinstance(record, Deal) and record.stage.kind == Stage.Kind.OPEN


def _plan_after(activity: Activity, record: Model) -> dict[str, Any]:
    """The plan form prefilled from what was just done: same type, subject, people and links."""
    return {
        "mode": MODE_PLAN,
        "type": activity.type_id,
        "subject": activity.subject,
        "assignee": activity.assignee_id,
        "deal": activity.deal_id if not isinstance(record, Deal) else None,
        "contact": activity.contact_id if not isinstance(record, Contact) else None,
        "company": None,
    }


def _before_from_request(request: AuthedRequest) -> datetime.datetime | None:
    """The `before` of an older timeline page (an ISO time); anything else means the newest page."""
    raw = request.GET.get("before", "")
    if not raw or len(raw) > 40:
        return None
    try:
        moment = datetime.datetime.fromisoformat(raw.replace(" ", "+"))
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else None


def _after_from_request(request: AuthedRequest) -> Activity | None:
    raw = request.GET.get("after", "")
    if not raw.isdigit() or len(raw) > 18:
        return None
    try:
        activity = activity_get_for_user(user=request.user, pk=raw)
    except Http404:
        return None
    return activity if activity.is_done else None


def build_section(
    request: AuthedRequest,
    record: Model,
    *,
    form: ActivityForm | None = None,
    after: Activity | None = None,
    type_filter: str | None = None,
    notices: list[tuple[str, str]] | None = None,
) -> Section:
    """Everything the activity section of `record`'s card shows (the caller authorized the card)."""
    user = request.user
    kind = kind_of(record)
    planned = planned_for_card(record=record)
    if type_filter is None:
        type_filter = request.GET.get("type", "")
    before = _before_from_request(request)
    entries = card_timeline(record, type_filter, before)
    older = entries[TIMELINE_PAGE - 1].at if len(entries) > TIMELINE_PAGE else None
    entries = entries[:TIMELINE_PAGE]
    shown = planned + [entry.activity for entry in entries if entry.activity is not None]
    can_add = user.has_perm("activities.add_activity")
    if after is None and form is None and request.method == "GET":
        after = _after_from_request(request)
    if form is None and can_add:
        initial: dict[str, Any] = {}
        if after is not None:
            initial = _plan_after(after, record)
        elif request.GET.get("mode") == MODE_PLAN:
            initial = {"mode": MODE_PLAN}
        form = ActivityForm(user=user, initial=initial, prefix="activity")
    return Section(
        kind=kind,
        record=record,
        url=section_url(record),
        card_url=card_url(record),
        card_param=card_param(record),
        planned=planned,
        timeline=entries,
        types=list(activity_types_active()),
        type_filter=type_filter,
        form=form,
        changeable=activities_changeable_ids(user=user, activities=shown),
        no_next_step=_is_open_deal(record) and not planned,
        after=after,
        notices=notices or [],
        older=older,
    )


def card_activity_context(request: AuthedRequest, record: Model) -> dict[str, Any]:
    """What a card page adds for its activity section (`timeline` is the card's merged timeline)."""
    section = build_section(request, record)
    return {"section": section, "timeline": section.timeline}


def _render_section(request: AuthedRequest, section: Section, *, status: int = 200) -> HttpResponse:
    """The whole section for htmx; it always replaces the card's section, whichever element asked
    (an inline done/reschedule form, a stale "Done" button)."""
    response = render(request, f"{SECTION_TEMPLATE}#section", {"section": section}, status=status)
    response["HX-Retarget"] = "#activities"
    response["HX-Reswap"] = "outerHTML"
    patch_vary_headers(response, ["HX-Request"])
    return response


def _mention_notices(result: MentionResult) -> list[tuple[str, str]]:
    notices = []
    if result.notified:
        names = ", ".join(str(user) for user in result.notified)
        notices.append(("info", _("Notified: %(names)s.") % {"names": names}))
    if result.cannot_see:
        names = ", ".join(str(user) for user in result.cannot_see)
        notices.append(
            ("warning", _("%(names)s cannot see this activity and were not notified.") % {"names": names})
        )
    return notices


def _flash(request: AuthedRequest, notices: list[tuple[str, str]]) -> None:
    for level, text in notices:
        messages.add_message(request, messages.WARNING if level == "warning" else messages.INFO, text)


def _service_call(form: Any, call: Callable[[], Any]) -> Any:
    """Run a service; show a refusal on the form (nothing changed). PermissionDenied goes up (403)."""
    try:
        return call()
    except PermissionDenied:
        raise
    except (DjangoValidationError, ApplicationError) as error:
        form.add_service_error(error)
        return None


def _when(value: datetime.datetime | None) -> str:
    return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT") if value else ""


# --- the card's section --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@friendly_forbidden
def card_activities(request: AuthedRequest, kind: CardKind, pk: int) -> HttpResponse:
    """The activity section of a card: GET shows it (the timeline alone for a filter chip), POST logs
    or plans an activity on the card."""
    user = request.user
    record = kind.get_for_user(user=user, pk=pk)
    if request.method == "GET":
        section = build_section(request, record)
        if wants_fragment(request) and request.htmx.target == TIMELINE_TARGET:
            response = render(request, f"{SECTION_TEMPLATE}#timeline", {"section": section})
            patch_vary_headers(response, ["HX-Request"])
            return response
        return render_page(request, "web/activities/card.html", {"section": section}, fragment="section")
    if not user.has_perm("activities.add_activity"):
        raise PermissionDenied(_("Your role cannot add activities."))
    form = ActivityForm(request.POST, request.FILES, user=user, prefix="activity")
    activity = None
    if form.is_valid():
        activity = _service_call(form, lambda: _create(user, form, kind, record))
    if activity is None:
        section = build_section(request, record, form=form, type_filter="")
        if wants_fragment(request):
            return _render_section(request, section, status=422)
        return render_page(
            request, "web/activities/card.html", {"section": section}, fragment="section", status=422
        )
    notices = _mention_notices(mentions_of(activity))
    if activity.is_done:
        text = _("Logged: %(subject)s.") % {"subject": activity.subject}
    else:
        text = _("Planned: %(subject)s (due %(due)s)") % {
            "subject": activity.subject,
            "due": _when(activity.due_at),
        }
    notices.insert(0, ("success", text))
    # Something done on an open deal with nothing planned: ask for the next step straight away.
    ask_next = activity.is_done and _is_open_deal(record) and not planned_for_card(record=record, limit=1)
    if wants_fragment(request):
        section = build_section(
            request, record, after=activity if ask_next else None, type_filter="", notices=notices
        )
        return _render_section(request, section)
    messages.success(request, text)
    _flash(request, notices[1:])
    url = card_url(record)
    return HttpResponseRedirect(
        f"{url}?after={activity.pk}#activity-form" if ask_next else f"{url}#activities"
    )


def _create(user: User, form: ActivityForm, kind: CardKind, record: Model) -> Activity:
    links = form.links()
    links[kind.field] = record
    with transaction.atomic():
        activity = services.activity_create(actor=user, **form.create_arguments(), **links)
        files = form.files_to_attach()
        if files:
            attachments_add(actor=user, activity=activity, files=files)
    return activity


# --- done, reschedule, trash ---------------------------------------------------------------------


def _answer_on_card(
    request: AuthedRequest,
    activity: Activity,
    *,
    text: str,
    notices: list[tuple[str, str]] | None = None,
    ask_next: bool = False,
) -> HttpResponse:
    """After an action: htmx gets the fresh section of the card it came from; a browser goes back
    (`next`), or to the card (asking for the next step), or to the activity page."""
    record = _target_card(request, activity)
    notices = [("success", text), *(notices or [])]
    if wants_fragment(request) and record is not None:
        section = build_section(
            request, record, after=activity if ask_next else None, type_filter="", notices=notices
        )
        return _render_section(request, section)
    messages.success(request, text)
    _flash(request, notices[1:])
    if record is None:
        target = _safe_next(request) or reverse("activity_detail", args=[activity.pk])
        if activity.deleted_at is not None and target == reverse("activity_detail", args=[activity.pk]):
            target = reverse("home")
        return redirect_to(request, target)
    if ask_next:
        return redirect_to(request, f"{card_url(record)}?after={activity.pk}#activity-form")
    return redirect_to(request, _safe_next(request) or f"{card_url(record)}#activities")


def _action_context(request: AuthedRequest, activity: Activity, form: Any) -> dict[str, Any]:
    record = _target_card(request, activity)
    return {
        "activity": activity,
        "form": form,
        "card": card_param(record) if record is not None else "",
        "card_url": card_url(record) if record is not None else "",
        "next": _safe_next(request),
        "inline": wants_fragment(request),
    }


def _action_form_page(request: AuthedRequest, template: str, activity: Activity, form: Any) -> HttpResponse:
    """The done/reschedule form: inline in the planned row for htmx (a refused post stays there),
    else a page of its own."""
    status = 422 if request.method == "POST" else 200
    context = _action_context(request, activity, form)
    response = render_page(request, template, context, fragment="form", status=status)
    if status == 422 and wants_fragment(request):
        response["HX-Retarget"] = f"#planned-{activity.pk} .planned-action"
        response["HX-Reswap"] = "innerHTML"
    return response


@login_required
@require_http_methods(["GET", "POST"])
@friendly_forbidden
def activity_done(request: AuthedRequest, pk: int) -> HttpResponse:
    """Mark a planned activity done with its outcome and a note; then ask for the next step."""
    user = request.user
    activity = activity_get_for_user(user=user, pk=pk, for_write=True)
    if activity.is_done:
        return _answer_on_card(request, activity, text=_("This activity is already done."))
    form = DoneForm(request.POST or None, activity=activity)
    if request.method == "POST" and form.is_valid():
        done = _service_call(
            form,
            lambda: services.activity_done(
                actor=user,
                activity=activity,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            ),
        )
        if done is not None:
            notices = _mention_notices(mentions_of(done))
            text = _("Done: %(subject)s. What is the next step?") % {"subject": done.subject}
            return _answer_on_card(request, done, text=text, notices=notices, ask_next=True)
    return _action_form_page(request, "web/activities/done.html", activity, form)


@login_required
@require_http_methods(["GET", "POST"])
@friendly_forbidden
def activity_reschedule(request: AuthedRequest, pk: int) -> HttpResponse:
    """Move a planned activity to another time (a quick choice, or a typed date and time)."""
    user = request.user
    activity = activity_get_for_user(user=user, pk=pk, for_write=True)
    if activity.is_done:
        return _answer_on_card(request, activity, text=_("This activity is already done."))
    form = RescheduleForm(request.POST or None, activity=activity)
    if request.method == "POST" and form.is_valid():
        due_at = form.cleaned_data["due_at"]
        changed = _service_call(
            form, lambda: services.activity_update(actor=user, activity=activity, data={"due_at": due_at})
        )
        if changed is not None:
            text = _("Rescheduled: %(subject)s (due %(due)s)") % {
                "subject": changed.subject,
                "due": _when(changed.due_at),
            }
            return _answer_on_card(request, changed, text=text)
    return _action_form_page(request, "web/activities/reschedule.html", activity, form)


@login_required
@require_POST
@friendly_forbidden
def activity_trash(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    activity = activity_get_for_user(user=user, pk=pk, for_write=True)
    if not user.has_perm("activities.delete_activity"):
        raise PermissionDenied(_("Your role cannot delete activities."))
    trashed = services.activity_trash(actor=user, activity=activity)
    return _answer_on_card(
        request, trashed, text=_("Moved to the trash: %(subject)s.") % {"subject": trashed.subject}
    )


# --- the activity page ---------------------------------------------------------------------------


@login_required
@require_GET
def activity_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """One activity (notifications link here): details, attachments and what the user may do."""
    user = request.user
    activity = activity_get_for_user(user=user, pk=pk)
    attachments = list(activity.attachments.all())
    can_change = activity_can_change(user, activity)
    links = [
        (record, card_url(record) if not record.is_deleted and can(user, "view", record) else "")
        for record in (activity.deal, activity.contact, activity.company)
        if record is not None
    ]
    record = _visible_card(user, activity)
    context = {
        "activity": activity,
        "attachments": attachments,
        "links": links,
        "can_change": can_change,
        "can_delete": can_change and user.has_perm("activities.delete_activity"),
        "card": card_param(record) if record is not None else "",
        "card_record": record,
        "card_url": card_url(record) if record is not None else "",
    }
    return render_page(request, "web/activities/detail.html", context, fragment="detail")


@login_required
@require_http_methods(["GET", "POST"])
@friendly_forbidden
def activity_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    """Change an activity, add attachments and remove some."""
    user = request.user
    activity = activity_get_for_user(user=user, pk=pk, for_write=True)
    attachments = list(activity.attachments.all())
    form = ActivityForm(request.POST or None, request.FILES or None, user=user, instance=activity)
    if request.method == "POST" and form.is_valid():
        removed = {
            int(raw) for raw in request.POST.getlist("remove_attachment") if raw.isdigit() and len(raw) < 19
        }
        saved = _service_call(
            form, lambda: _update(user, form, activity, [a for a in attachments if a.pk in removed])
        )
        if saved is not None:
            notices = _mention_notices(mentions_of(saved))
            messages.success(request, _("Changes saved."))
            _flash(request, notices)
            return redirect_to(request, reverse("activity_detail", args=[saved.pk]))
    context = {
        "activity": activity,
        "attachments": attachments,
        "form": form,
        "cancel_url": reverse("activity_detail", args=[activity.pk]),
    }
    status = 422 if request.method == "POST" else 200
    return render_page(request, "web/activities/form.html", context, fragment="form", status=status)


def _update(user: User, form: ActivityForm, activity: Activity, removed: list[Attachment]) -> Activity:
    with transaction.atomic():
        saved = services.activity_update(actor=user, activity=activity, data=form.create_arguments())
        for attachment in removed:
            attachment_remove(actor=user, attachment=attachment)
        files = form.files_to_attach()
        if files:
            attachments_add(actor=user, activity=saved, files=files)
    return saved


# --- attachments ---------------------------------------------------------------------------------

INLINE_TYPES = ("audio/", "image/jpeg", "image/png", "image/gif", "image/webp")


@login_required
@require_GET
def attachment_download(request: AuthedRequest, pk: int, attachment_pk: int) -> HttpResponseBase:
    """An attachment, only to those who may see its activity. Audio and common images may be shown
    in the page (`?inline=1`); everything else downloads."""
    activity = activity_get_for_user(user=request.user, pk=pk)
    attachment = Attachment.objects.filter(activity=activity, pk=attachment_pk).first()
    if attachment is None:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError) as error:
        raise Http404 from error
    inline = request.GET.get("inline") == "1" and attachment.content_type.startswith(INLINE_TYPES)
    response = FileResponse(
        handle, as_attachment=not inline, filename=attachment.name, content_type=attachment.content_type
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- @mention suggestions ------------------------------------------------------------------------

MENTION_SUGGESTIONS = 8


@login_required
@require_GET
def mention_suggestions(request: AuthedRequest) -> HttpResponse:
    """Colleagues whose name or email starts with `q`, for the "@" autocomplete of descriptions
    (the same people the assignee list already shows)."""
    query = request.GET.get("q", "").strip()[:50]
    if not query:
        return JsonResponse({"users": []})
    words = (
        Q(full_name__istartswith=query) | Q(full_name__icontains=f" {query}") | Q(email__istartswith=query)
    )
    users = User.objects.filter(words, is_active=True).order_by("full_name", "email")[:MENTION_SUGGESTIONS]
    return JsonResponse(
        {
            "users": [
                {"name": user.full_name, "email": user.email, "insert": user.full_name or user.email}
                for user in users
            ]
        }
    )
