"""Activities on cards: log, plan, finish, attachments (filled in by the activities UI)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
