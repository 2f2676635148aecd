import os
import warnings

# WhiteNoise streams static files through a synchronous iterator; under ASGI
# Django wraps it and warns on every file. The files are small and cached.
warnings.filterwarnings(
    "ignore", message="StreamingHttpResponse must consume synchronous iterators"
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luukku.settings")

from luukku.routing import protocols  # noqa: E402

application = protocols()

from luukku.config import verify_production_settings  # noqa: E402
from luukku.core.runtime import settle_memory  # noqa: E402

verify_production_settings()
settle_memory()
