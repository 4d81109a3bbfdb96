from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "tandem.activities"
    label = "activities"
