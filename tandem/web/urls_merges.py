"""URLs of the duplicates and merges pages."""

from django.urls import path

from tandem.web.views import duplicates

urlpatterns = [
    path("duplicates/", duplicates.duplicate_list, name="duplicate_list"),
    path("duplicates/scan/", duplicates.duplicate_scan, name="duplicate_scan"),
    path("duplicates/<int:pk>/dismiss/", duplicates.duplicate_dismiss, name="duplicate_dismiss"),
    path("duplicates/merges/", duplicates.merge_log, name="merge_log"),
    path("duplicates/merges/<int:pk>/undo/", duplicates.merge_undo, name="merge_undo"),
    path("duplicates/merge/<slug:slug>/<int:survivor_pk>/<int:other_pk>/", duplicates.merge, name="merge"),
    path("duplicates/<slug:slug>/<int:pk>/", duplicates.record_duplicates, name="record_duplicates"),
]
