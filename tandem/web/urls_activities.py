"""Activities on cards: log, plan, finish, reschedule, the activity page and its attachments."""

from django.urls import path, register_converter

from tandem.web.views import activities

register_converter(activities.CardKindConverter, "card")

urlpatterns = [
    path("<card:kind>/<int:pk>/activities/", activities.card_activities, name="card_activities"),
    path("activities/mentions/", activities.mention_suggestions, name="mention_suggestions"),
    path("activities/<int:pk>/", activities.activity_detail, name="activity_detail"),
    path("activities/<int:pk>/edit/", activities.activity_edit, name="activity_edit"),
    path("activities/<int:pk>/done/", activities.activity_done, name="activity_done"),
    path("activities/<int:pk>/reschedule/", activities.activity_reschedule, name="activity_reschedule"),
    path("activities/<int:pk>/trash/", activities.activity_trash, name="activity_trash"),
    path(
        "activities/<int:pk>/attachments/<int:attachment_pk>/",
        activities.attachment_download,
        name="attachment_download",
    ),
]
