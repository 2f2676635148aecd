"""Staff pages under /consent/, and the public pages under /p/ that links in messages
lead to."""

from django.urls import path

from luukku.consent import page_views, public_views, views

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
    path("p/f/<slug:slug>/", public_views.landing_page, name="landing_page"),
    path("consent/pages/", page_views.page_list, name="pages"),
    path("consent/pages/new/", page_views.page_edit, name="page_create"),
    path("consent/pages/<int:page_id>/", page_views.page_edit, name="page_edit"),
    path("consent/pages/<int:page_id>/blocks/", page_views.block_change, name="page_blocks"),
    path("consent/pages/<int:page_id>/preview/", page_views.page_preview, name="page_preview"),
    path("consent/pages/<int:page_id>/publish/", page_views.page_publish, name="page_publish"),
]
