from django.apps import AppConfig


class MergesConfig(AppConfig):
    name = "tandem.merges"
    label = "merges"
