"""Planning pages: My day, the calendar, the iCal feed, notifications, activity settings."""

from django.urls import path, re_path

from tandem.web.views import activity_settings, notifications, planning

urlpatterns = [
    path("my-day/", planning.my_day_page, name="my_day"),
    path("my-day/<int:pk>/done/", planning.activity_done_quick, name="my_day_done"),
    path("my-day/<int:pk>/reschedule/", planning.activity_reschedule, name="my_day_reschedule"),
    path("calendar/", planning.calendar_page, name="calendar"),
    path("calendar/events/", planning.calendar_events, name="calendar_events"),
    path("calendar/events/<int:pk>/move/", planning.calendar_move, name="calendar_move"),
    re_path(
        r"^calendar/feed/(?P<token>[A-Za-z0-9_-]{1,100})\.ics$", planning.calendar_feed, name="calendar_feed"
    ),
    path("profile/calendar-feed/", planning.calendar_feed_manage, name="calendar_feed_manage"),
    path("profile/notifications/", notifications.notification_settings, name="notification_settings"),
    path("notifications/", notifications.notification_list_page, name="notification_list"),
    path("notifications/bell/", notifications.notification_bell, name="notification_bell"),
    path("notifications/menu/", notifications.notification_menu, name="notification_menu"),
    path("notifications/read-all/", notifications.notification_read_all, name="notification_read_all"),
    path("notifications/<int:pk>/", notifications.notification_open, name="notification_open"),
    path("notifications/<int:pk>/read/", notifications.notification_read, name="notification_read"),
    path("settings/activities/", activity_settings.activity_settings, name="activity_settings"),
    path(
        "settings/activities/types/new/", activity_settings.activity_type_create, name="activity_type_create"
    ),
    path(
        "settings/activities/types/<int:pk>/", activity_settings.activity_type_edit, name="activity_type_edit"
    ),
    path(
        "settings/activities/types/<int:pk>/move/",
        activity_settings.activity_type_move,
        name="activity_type_move",
    ),
    path(
        "settings/activities/types/<int:pk>/delete/",
        activity_settings.activity_type_delete,
        name="activity_type_delete",
    ),
    path("settings/activities/outcomes/new/", activity_settings.outcome_save, name="outcome_create"),
    path("settings/activities/outcomes/<int:pk>/", activity_settings.outcome_save, name="outcome_edit"),
    path("settings/activities/schedule/", activity_settings.work_schedule_save, name="work_schedule_save"),
    path("settings/activities/holidays/new/", activity_settings.holiday_create, name="holiday_create"),
    path(
        "settings/activities/holidays/<int:pk>/delete/",
        activity_settings.holiday_delete,
        name="holiday_delete",
    ),
    path(
        "settings/sales/pipelines/<int:pk>/sla/",
        activity_settings.pipeline_sla_save,
        name="pipeline_sla_save",
    ),
]
