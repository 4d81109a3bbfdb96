"""URLs of the imports pages."""

from django.urls import path

from tandem.web.views import imports

urlpatterns = [
    path("imports/", imports.import_index, name="import_list"),
    path("imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("imports/<int:pk>/resume/", imports.import_resume, name="import_resume"),
    path("imports/<int:pk>/undo/", imports.import_undo, name="import_undo"),
    path("imports/<int:pk>/rejected.csv", imports.import_rejected_csv, name="import_rejected_csv"),
]
