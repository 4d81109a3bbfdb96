from django.urls import path

from tandem.web.views import webforms

urlpatterns = [
    path("f/<str:key>/", webforms.webform_public, name="webform_public"),
    path("settings/forms/", webforms.webform_list, name="webform_list"),
    path("settings/forms/new/", webforms.webform_create, name="webform_create"),
    path("settings/forms/<int:pk>/", webforms.webform_edit, name="webform_edit"),
]
