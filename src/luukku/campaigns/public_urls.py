from django.urls import path

from luukku.campaigns import public_views

app_name = "tracking"

urlpatterns = [
    path("o/<int:delivery_id>/<str:signature>.gif", public_views.opened, name="open"),
    path(
        "c/<int:delivery_id>/<int:position>/<str:signature>/",
        public_views.clicked,
        name="click",
    ),
    path("u/<int:delivery_id>/<str:signature>/", public_views.unsubscribe, name="unsubscribe"),
    path("p/<int:delivery_id>/<str:signature>/", public_views.preferences, name="preferences"),
]
