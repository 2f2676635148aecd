from ninja import NinjaAPI

from luukku.campaigns.api import router as campaigns_router
from luukku.consent.api import router as consent_router
from luukku.core.api import router as core_router
from luukku.core.restapi import problems
from luukku.core.restapi.auth import api_auth
from luukku.core.webhooks_api import router as webhooks_router
from luukku.customers.api import router as customers_router
from luukku.desk import api as desk_api
from luukku.journeys.api import router as journeys_router
from luukku.segments.api import router as segments_router

api = NinjaAPI(
    title="Luukku API",
    version="1",
    description=(
        "Luukku's REST API. Authenticate with `Authorization: Bearer <token>` "
        "(create one with `luukku token create --user NAME`). Lists use cursor "
        "pagination (`limit`, `cursor`); errors are RFC 9457 problem details."
    ),
    auth=api_auth(),
    urls_namespace="api",
    docs_url="/docs",
)
problems.install(api)
desk_api.install_errors(api)
api.add_router("/", core_router)
api.add_router("/", customers_router)
api.add_router("/", consent_router)
api.add_router("/", desk_api.router)
api.add_router("/", segments_router)
api.add_router("/", campaigns_router)
api.add_router("/", journeys_router)
api.add_router("/", webhooks_router)
