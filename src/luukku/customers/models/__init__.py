"""Customers: persons, organizations, how they relate, where they come from, what happened."""

from luukku.customers.models.contacts import EmailAddress, PhoneNumber, PostalAddress
from luukku.customers.models.fields import CustomField
from luukku.customers.models.identities import ExternalIdentity, SourceSystem
from luukku.customers.models.imports import ImportMapping, ImportRun
from luukku.customers.models.parties import Organization, Person, Sensitivity
from luukku.customers.models.relations import Relationship, RelationshipType
from luukku.customers.models.timeline import Event, EventKey

__all__ = [
    "CustomField",
    "EmailAddress",
    "Event",
    "EventKey",
    "ExternalIdentity",
    "ImportMapping",
    "ImportRun",
    "Organization",
    "Person",
    "PhoneNumber",
    "PostalAddress",
    "Relationship",
    "RelationshipType",
    "Sensitivity",
    "SourceSystem",
]
