"""Staff pages under /consent/, and the public pages under /p/ that links in messages
lead to."""

from django.urls import path

from luukku.consent import public_views, views

app_name = "consent"

urlpatterns = [
    path("consent/purposes/", views.purpose_list, name="purposes"),
    path("consent/purposes/new/", views.purpose_edit, name="purpose_create"),
    path("consent/purposes/<int:purpose_id>/", views.purpose_edit, name="purpose_edit"),
    path("consent/persons/<int:person_id>/", views.ledger, name="ledger"),
    path("consent/persons/<int:person_id>/record/", views.record_for_person, name="record"),
    path("p/confirm/<str:token>/", public_views.confirm, name="confirm"),
    path("p/preferences/<str:token>/", public_views.preferences, name="preferences"),
    path("p/unsubscribe/<str:token>/", public_views.unsubscribe, name="unsubscribe"),
]
