from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("tandem.api.urls")),
    path("", include("tandem.web.urls")),
]
