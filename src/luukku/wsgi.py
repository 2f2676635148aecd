import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luukku.settings")

application = get_wsgi_application()

from luukku.config import verify_production_settings  # noqa: E402
from luukku.core.runtime import settle_memory  # noqa: E402

verify_production_settings()
settle_memory()
