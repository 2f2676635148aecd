from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "luukku.campaigns"
    label = "campaigns"
    verbose_name = _("Campaigns")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from luukku.campaigns import bounces, conversions, engagement, tasks  # noqa: F401
        from luukku.channels import handlers
        from luukku.channels.email import returns

        returns.register(bounces.claims, bounces.handle_return)
        handlers.on_delivery("campaign.delivery", engagement.record_receipt)
