from django.urls import path

from luukku.customers import import_views, relationship_views, schema_views, views

app_name = "customers"

urlpatterns = [
    path("", views.person_list, name="persons"),
    path("search/", views.customer_search, name="search"),
    path("export/", views.person_export, name="export"),
    path("persons/new/", views.person_create, name="person_create"),
    path("persons/<int:person_id>/", views.person_profile, name="person"),
    path("persons/<int:person_id>/edit/", views.person_edit, name="person_edit"),
    path("persons/<int:person_id>/timeline/", views.person_timeline, name="person_timeline"),
    path(
        "persons/<int:person_id>/relationships/",
        relationship_views.relationship_add,
        name="relationship_add",
    ),
    path(
        "persons/<int:person_id>/relationships/<int:relationship_id>/remove/",
        relationship_views.relationship_remove,
        name="relationship_remove",
    ),
    path("organizations/<int:organization_id>/", views.organization_profile, name="organization"),
    path("import/", import_views.import_start, name="import"),
    path("import/<int:run_id>/map/", import_views.import_map, name="import_map"),
    path("import/<int:run_id>/", import_views.import_status, name="import_status"),
    path("import/<int:run_id>/confirm/", import_views.import_confirm, name="import_confirm"),
    path("settings/", schema_views.schema_overview, name="schema"),
    path("settings/<slug:kind>/new/", schema_views.schema_edit, name="schema_create"),
    path("settings/<slug:kind>/<int:pk>/", schema_views.schema_edit, name="schema_edit"),
]
