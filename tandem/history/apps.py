from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "tandem.history"
    label = "history"
