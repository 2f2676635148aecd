from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    name = "luukku.consent"
    label = "consent"
    verbose_name = _("Consent")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from luukku.consent import tasks  # noqa: F401 (its jobs)
        from luukku.consent.views import consents_panel
        from luukku.customers import profile_panels

        profile_panels.register("consents", consents_panel, order=20)
