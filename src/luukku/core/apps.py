from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "luukku.core"
    label = "core"
    verbose_name = _("Organization")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Register the app's jobs, periodic ones included, in every process.
        from luukku.core import lookups, notifications, tasks  # noqa: F401
