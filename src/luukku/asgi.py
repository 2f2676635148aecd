import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luukku.settings")

application = get_asgi_application()

from luukku.config import verify_production_settings  # noqa: E402

verify_production_settings()
