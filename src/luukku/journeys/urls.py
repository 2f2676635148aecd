from django.urls import path

from luukku.journeys import views

app_name = "journeys"

urlpatterns = [
    path("", views.journey_list, name="list"),
    path("new/", views.journey_create, name="create"),
    path("<int:pk>/", views.journey_detail, name="detail"),
    path("<int:pk>/edit/", views.journey_edit, name="edit"),
    path("<int:pk>/steps/new/", views.step_add, name="step_add"),
    path("<int:pk>/steps/<str:step_id>/", views.step_edit, name="step"),
    path("<int:pk>/steps/<str:step_id>/delete/", views.step_delete, name="step_delete"),
    path("<int:pk>/messages/new/", views.message_add, name="message_add"),
    path("<int:pk>/dry-run/", views.journey_dry_run, name="dry_run"),
    path("<int:pk>/activate/", views.journey_status, {"action": "activate"}, name="activate"),
    path("<int:pk>/pause/", views.journey_status, {"action": "pause"}, name="pause"),
    path("<int:pk>/resume/", views.journey_status, {"action": "resume"}, name="resume"),
    path("<int:pk>/archive/", views.journey_status, {"action": "archive"}, name="archive"),
]
