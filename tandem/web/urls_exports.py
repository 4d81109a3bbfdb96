"""URLs of the exports pages."""

from django.urls import path

from tandem.web.views import exports

urlpatterns = [
    path("exports/", exports.export_list, name="export_list"),
    path("exports/job/<int:pk>/", exports.export_job, name="export_job"),
    path("exports/job/<int:pk>/download/", exports.export_job_download, name="export_job_download"),
    path("exports/<slug:entity>/", exports.export_start, name="export_start"),
]
