"""The customers API: persons, organizations, relationships and timeline events."""

from ninja import Router

from luukku.customers.api.events import router as events_router
from luukku.customers.api.parties import router as parties_router
from luukku.customers.api.relationships import router as relationships_router

router = Router()
router.add_router("", parties_router)
router.add_router("", relationships_router)
router.add_router("", events_router)
