from django.urls import path

from tandem.web.views import webhooks

urlpatterns = [
    path("settings/webhooks/", webhooks.webhook_settings, name="webhook_settings"),
    path("settings/webhooks/new/", webhooks.webhook_create, name="webhook_create"),
    path("settings/webhooks/<int:pk>/", webhooks.webhook_detail, name="webhook_detail"),
    path("settings/webhooks/<int:pk>/edit/", webhooks.webhook_edit, name="webhook_edit"),
    path("settings/webhooks/<int:pk>/active/", webhooks.webhook_activate, name="webhook_activate"),
    path("settings/webhooks/<int:pk>/secret/", webhooks.webhook_secret_rotate, name="webhook_secret_rotate"),
    path(
        "settings/webhooks/deliveries/<int:pk>/redeliver/",
        webhooks.delivery_redeliver,
        name="webhook_delivery_redeliver",
    ),
]
