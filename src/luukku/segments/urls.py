from django.urls import path

from luukku.segments import views

app_name = "segments"

urlpatterns = [
    path("", views.segment_list, name="list"),
    path("new/", views.segment_edit, name="create"),
    path("builder/", views.builder_update, name="builder"),
    path("<slug:slug>/", views.segment_detail, name="detail"),
    path("<slug:slug>/edit/", views.segment_edit, name="edit"),
    path("<slug:slug>/evaluate/", views.segment_evaluate, name="evaluate"),
    path("<slug:slug>/import/", views.segment_import, name="import"),
    path("<slug:slug>/delete/", views.segment_delete, name="delete"),
]
