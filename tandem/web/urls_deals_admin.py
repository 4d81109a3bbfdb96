from django.urls import path

from tandem.web.views import deal_list, products, sales_settings

urlpatterns = [
    path("deals/", deal_list.deal_list, name="deal_list"),
    path("deals/bulk/", deal_list.deal_bulk, name="deal_bulk"),
    path("products/", products.product_list, name="product_list"),
    path("products/new/", products.product_create, name="product_create"),
    path("products/<int:pk>/edit/", products.product_edit, name="product_edit"),
    path("settings/sales/", sales_settings.sales_settings, name="sales_settings"),
    path("settings/sales/pipelines/new/", sales_settings.pipeline_create, name="pipeline_create"),
    path("settings/sales/pipelines/<int:pk>/", sales_settings.pipeline_edit, name="pipeline_edit"),
    path(
        "settings/sales/pipelines/<int:pipeline_pk>/stages/new/",
        sales_settings.stage_create,
        name="stage_create",
    ),
    path("settings/sales/stages/<int:pk>/", sales_settings.stage_edit, name="stage_edit"),
    path("settings/sales/stages/<int:pk>/move/", sales_settings.stage_move, name="stage_move"),
    path("settings/sales/stages/<int:pk>/archive/", sales_settings.stage_archive, name="stage_archive"),
    path("settings/sales/currencies/", sales_settings.currency_save, name="currency_save"),
    path("settings/sales/<slug:kind>/new/", sales_settings.reference_save, name="reference_create"),
    path("settings/sales/<slug:kind>/<int:pk>/", sales_settings.reference_save, name="reference_edit"),
]
