from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    name = "luukku.desk"
    label = "desk"
    verbose_name = _("Service desk")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from luukku.channels import handlers
        from luukku.customers import profile_panels
        from luukku.desk import live, tasks  # noqa: F401 (their jobs)
        from luukku.desk.escalation import delivery_of_notification
        from luukku.desk.inbound import route_email
        from luukku.desk.inbound_batch import route_email_batch
        from luukku.desk.outbound import delivery_changed
        from luukku.desk.profile_panel import cases_panel

        handlers.register("email", route_email)
        handlers.register_batch("email", route_email_batch)
        handlers.on_delivery("desk.message", delivery_changed)
        handlers.on_delivery("core.notification", delivery_of_notification)
        profile_panels.register("cases", cases_panel, order=10)
