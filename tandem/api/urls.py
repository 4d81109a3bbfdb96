from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from tandem.api import views, views_activities, views_deals, views_imports, views_inbound
from tandem.api.errors import not_found

router = SimpleRouter()
router.register("companies", views.CompanyViewSet, basename="api_company")
router.register("contacts", views.ContactViewSet, basename="api_contact")
router.register("deals", views_deals.DealViewSet, basename="api_deal")
router.register("pipelines", views_deals.PipelineViewSet, basename="api_pipeline")
router.register("stages", views_deals.StageViewSet, basename="api_stage")
router.register("products", views_deals.ProductViewSet, basename="api_product")
router.register("currencies", views_deals.CurrencyViewSet, basename="api_currency")
router.register("activities", views_activities.ActivityViewSet, basename="api_activity")
router.register("notifications", views_activities.NotificationViewSet, basename="api_notification")
router.register("users", views.UserViewSet, basename="api_user")
router.register("imports", views_imports.ImportViewSet, basename="api_import")
for prefix, viewset in {
    **views.REFERENCE_VIEWSETS,
    **views_deals.DEAL_REFERENCE_VIEWSETS,
    **views_activities.ACTIVITY_REFERENCE_VIEWSETS,
}.items():
    router.register(prefix, viewset, basename=f"api_{prefix.replace('-', '_')}")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="api_me"),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", views.docs, name="api_docs"),
    path("inbound/lead/", views_inbound.InboundLeadView.as_view(), name="api_inbound_lead"),
    *router.urls,
    re_path(r"^.*$", not_found, name="api_not_found"),
]
