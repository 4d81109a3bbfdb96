from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "tandem.webhooks"
    label = "webhooks"

    def ready(self) -> None:
        from tandem.core.events import event_subscribe
        from tandem.webhooks.services import webhooks_event_handle

        event_subscribe(webhooks_event_handle)
