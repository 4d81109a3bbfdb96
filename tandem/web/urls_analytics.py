"""URLs of the sales analytics pages."""

from django.urls import path

urlpatterns: list = []

# The dashboard, its report sections, exports, drill-downs and the client-card panel (views/analytics.py).
from tandem.web.views import analytics  # noqa: E402

urlpatterns += [
    path("analytics/", analytics.dashboard, name="analytics_dashboard"),
    path("analytics/section/<slug:name>/", analytics.dashboard_section, name="analytics_section"),
    path("analytics/export/<slug:name>.xlsx", analytics.dashboard_export, name="analytics_export"),
    path("analytics/drill/<slug:report>/", analytics.drill_page, name="analytics_drill"),
    path("analytics/client-history/", analytics.client_history_panel, name="analytics_client_history"),
]

# Sales plans, channel costs, payments and the forecast (tandem/web/views/analytics_plans.py).
from tandem.web.views import analytics_plans  # noqa: E402

urlpatterns += [
    path("analytics/plans/", analytics_plans.plans_page, name="analytics_plans"),
    path("analytics/plans/cell/", analytics_plans.plan_cell_save, name="analytics_plan_cell"),
    path("analytics/plans/import/", analytics_plans.plans_import, name="analytics_plans_import"),
    path("analytics/plans/template.xlsx", analytics_plans.plans_template, name="analytics_plans_template"),
    path("analytics/channel-costs/", analytics_plans.channel_costs_page, name="analytics_channel_costs"),
    path(
        "analytics/channel-costs/cell/", analytics_plans.channel_cost_save, name="analytics_channel_cost_cell"
    ),
    path("analytics/forecast/", analytics_plans.forecast_page, name="analytics_forecast"),
    path("deals/<int:pk>/payments/", analytics_plans.deal_payments, name="deal_payments"),
    path(
        "deals/<int:pk>/payments/<int:payment_pk>/remove/",
        analytics_plans.deal_payment_remove,
        name="deal_payment_remove",
    ),
]
