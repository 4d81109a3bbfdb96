"""Planning pages: My day, the calendar, the iCal feed, notifications, activity settings."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
