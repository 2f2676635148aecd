from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentsConfig(AppConfig):
    name = "luukku.segments"
    label = "segments"
    verbose_name = _("Segments")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from luukku.customers import profile_panels
        from luukku.desk import segment_directory
        from luukku.segments import directory, hooks, tasks  # noqa: F401 (its jobs and listeners)
        from luukku.segments.views import segments_panel

        profile_panels.register("segments", segments_panel, order=30)
        segment_directory.install(directory.segments_of, directory.existing, directory.listed)
