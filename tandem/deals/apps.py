from django.apps import AppConfig


class DealsConfig(AppConfig):
    name = "tandem.deals"
    label = "deals"
