from django.urls import include, path

from tandem.web.views import common

urlpatterns = [
    path("", common.home, name="home"),
    path("", include("tandem.web.urls_accounts")),
    path("", include("tandem.web.urls_contacts")),
    path("", include("tandem.web.urls_deals")),
    path("", include("tandem.web.urls_deals_admin")),
    path("", include("tandem.web.urls_activities")),
    path("", include("tandem.web.urls_planning")),
    path("", include("tandem.web.urls_webforms")),
    path("", include("tandem.web.urls_webhooks")),
    path("", include("tandem.web.urls_imports")),
    path("", include("tandem.web.urls_exports")),
    path("", include("tandem.web.urls_merges")),
    path("", include("tandem.web.urls_analytics")),
]
