from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "luukku.channels"
    label = "channels"
    verbose_name = _("Channels")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Register the channels' jobs, periodic ones included, in every process.
        from luukku.channels.email import imap, receive, send  # noqa: F401
        from luukku.channels.sms import send as sms_send  # noqa: F401
