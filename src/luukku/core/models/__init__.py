"""Core models: the organization, its people, and the records every app relies on."""

from luukku.core.models.audit import AuditEntry
from luukku.core.models.calendars import (
    BusinessCalendar,
    HolidayCountry,
    OpeningHours,
    SpecialDay,
)
from luukku.core.models.jobs import PeriodicRun, WorkerHeartbeat
from luukku.core.models.notifications import (
    Notification,
    NotificationEvent,
    NotificationPreference,
)
from luukku.core.models.organization import Organization, OrgUnit
from luukku.core.models.people import (
    Absence,
    Membership,
    Presence,
    Role,
    Team,
    User,
    WorkingHours,
)
from luukku.core.models.tokens import ApiToken
from luukku.core.models.webhooks import WebhookDelivery, WebhookEndpoint

__all__ = [
    "Absence",
    "ApiToken",
    "AuditEntry",
    "BusinessCalendar",
    "HolidayCountry",
    "Membership",
    "Notification",
    "NotificationEvent",
    "NotificationPreference",
    "OpeningHours",
    "OrgUnit",
    "Organization",
    "PeriodicRun",
    "Presence",
    "Role",
    "SpecialDay",
    "Team",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WorkerHeartbeat",
    "WorkingHours",
]
