from django.urls import path, register_converter

from tandem.web.views import companies, contacts, record_lists, records, search, trash

register_converter(records.KindConverter, "kind")

urlpatterns = [
    path("contacts/", contacts.contact_list, name="contact_list"),
    path("contacts/new/", contacts.contact_create, name="contact_create"),
    path("contacts/<int:pk>/", contacts.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", contacts.contact_edit, name="contact_edit"),
    path("companies/", companies.company_list, name="company_list"),
    path("companies/new/", companies.company_create, name="company_create"),
    path("companies/choices/", companies.company_choices, name="company_choices"),
    path("companies/<int:pk>/", companies.company_detail, name="company_detail"),
    path("companies/<int:pk>/edit/", companies.company_edit, name="company_edit"),
    path("<kind:kind>/<int:pk>/trash/", trash.record_trash, name="record_trash"),
    path("<kind:kind>/<int:pk>/restore/", trash.record_restore, name="record_restore"),
    path("<kind:kind>/<int:pk>/share/", records.share, name="share"),
    path("<kind:kind>/bulk/", records.bulk_action, name="bulk_action"),
    path("<kind:kind>/count/", record_lists.record_count, name="record_count"),
    path("trash/", trash.trash, name="trash"),
    path("search/", search.global_search, name="global_search"),
]
