from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "luukku.api"
    label = "luukku_api"
    verbose_name = "API"
