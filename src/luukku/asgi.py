import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luukku.settings")

from luukku.routing import protocols

application = protocols()

from luukku.config import verify_production_settings  # noqa: E402
from luukku.core.runtime import settle_memory  # noqa: E402

verify_production_settings()
settle_memory()
