from django.urls import path

from luukku.customers import schema_views, views

app_name = "customers"

urlpatterns = [
    path("", views.person_list, name="persons"),
    path("search/", views.customer_search, name="search"),
    path("persons/new/", views.person_create, name="person_create"),
    path("persons/<int:person_id>/", views.person_profile, name="person"),
    path("persons/<int:person_id>/edit/", views.person_edit, name="person_edit"),
    path("persons/<int:person_id>/timeline/", views.person_timeline, name="person_timeline"),
    path("organizations/<int:organization_id>/", views.organization_profile, name="organization"),
    path("settings/", schema_views.schema_overview, name="schema"),
    path("settings/<slug:kind>/new/", schema_views.schema_edit, name="schema_create"),
    path("settings/<slug:kind>/<int:pk>/", schema_views.schema_edit, name="schema_edit"),
]
