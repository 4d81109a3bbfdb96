"""Webhook settings for administrators: subscribe URLs to events, see the signing secret and the
delivery log, send a delivery again."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tandem.core.errors import ApplicationError, PermissionDenied
from tandem.web.forms.sales import add_service_error
from tandem.web.forms.webhooks import EVENT_LABELS, WebhookForm
from tandem.web.views.records import AuthedRequest, forbidden, render_page
from tandem.webhooks import services
from tandem.webhooks.models import Webhook, WebhookDelivery
from tandem.webhooks.selectors import delivery_log, webhook_list


def webhooks_admin(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous visitors go to the login page; signed-in users who are not administrators get a 403."""

    @functools.wraps(view)
    def wrapper(request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not services.webhooks_can_manage(request.user):
            return forbidden(request, _("Only administrators can manage webhooks."))
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as error:
            return forbidden(request, error.message)

    return login_required(wrapper)


@webhooks_admin
def webhook_settings(request: AuthedRequest) -> HttpResponse:
    webhooks = list(webhook_list())
    for webhook in webhooks:
        webhook.event_labels = [str(EVENT_LABELS.get(name, name)) for name in webhook.events]  # type: ignore[attr-defined]
    return render_page(request, "web/settings/webhooks.html", {"webhooks": webhooks}, fragment="list")


def _form_page(request: AuthedRequest, webhook: Webhook | None) -> HttpResponse:
    form = WebhookForm(request.POST or None, instance=webhook)
    if request.method == "POST" and form.is_valid():
        try:
            if webhook is None:
                webhook = services.webhook_create(actor=request.user, data=form.cleaned_data)
                messages.success(request, _("Webhook created. Copy its signing secret to the receiver."))
            else:
                webhook = services.webhook_update(actor=request.user, webhook=webhook, data=form.cleaned_data)
                messages.success(request, _("Webhook saved."))
        except (DjangoValidationError, ApplicationError) as error:
            if isinstance(error, PermissionDenied):
                raise
            add_service_error(form, error)
        else:
            return redirect("webhook_detail", pk=webhook.pk)
    context = {
        "form": form,
        "webhook": webhook,
        "title": _("Edit webhook") if webhook else _("New webhook"),
        "cancel_url": reverse("webhook_detail", args=[webhook.pk])
        if webhook
        else reverse("webhook_settings"),
    }
    status = 400 if form.is_bound and form.errors else 200
    return render_page(request, "web/settings/webhooks_form.html", context, fragment="form", status=status)


@webhooks_admin
def webhook_create(request: AuthedRequest) -> HttpResponse:
    return _form_page(request, None)


@webhooks_admin
def webhook_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    return _form_page(request, get_object_or_404(Webhook, pk=pk))


@webhooks_admin
def webhook_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """The webhook, its signing secret and its newest deliveries (filter by status)."""
    webhook = get_object_or_404(Webhook, pk=pk)
    status = request.GET.get("status", "")
    context = {
        "webhook": webhook,
        "event_labels": [str(EVENT_LABELS.get(name, name)) for name in webhook.events],
        "deliveries": delivery_log(webhook=webhook, status=status),
        "status": status if status in WebhookDelivery.Status.values else "",
        "statuses": WebhookDelivery.Status.choices,
    }
    return render_page(request, "web/settings/webhooks_detail.html", context, fragment="log")


@require_POST
@webhooks_admin
def webhook_activate(request: AuthedRequest, pk: int) -> HttpResponse:
    """Deactivate (or switch back on) a webhook; an inactive one gets no new deliveries."""
    webhook = get_object_or_404(Webhook, pk=pk)
    active = request.POST.get("is_active") == "1"
    try:
        services.webhook_update(actor=request.user, webhook=webhook, data={"is_active": active})
    except DjangoValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Webhook switched on.") if active else _("Webhook deactivated."))
    return redirect("webhook_detail", pk=webhook.pk)


@require_POST
@webhooks_admin
def webhook_secret_rotate(request: AuthedRequest, pk: int) -> HttpResponse:
    webhook = get_object_or_404(Webhook, pk=pk)
    services.webhook_secret_rotate(actor=request.user, webhook=webhook)
    messages.success(request, _("New signing secret made; update it at the receiver."))
    return redirect("webhook_detail", pk=webhook.pk)


@require_POST
@webhooks_admin
def delivery_redeliver(request: AuthedRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(WebhookDelivery, pk=pk)
    try:
        services.delivery_redeliver(actor=request.user, delivery=delivery)
    except ApplicationError as error:
        if isinstance(error, PermissionDenied):
            raise
        messages.error(request, error.message)
    else:
        messages.success(request, _("The delivery is queued again."))
    return redirect("webhook_detail", pk=delivery.webhook_id)
