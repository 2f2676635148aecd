from django.urls import path

from luukku.campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("preview/", views.content_preview, name="preview"),
]
