from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JourneysConfig(AppConfig):
    name = "luukku.journeys"
    label = "journeys"
    verbose_name = _("Journeys")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from luukku.customers import profile_panels
        from luukku.journeys import reactions, tasks  # noqa: F401 (its jobs and listeners)
        from luukku.journeys.views import journeys_panel

        profile_panels.register("journeys", journeys_panel, order=35)
