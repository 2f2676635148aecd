"""What a campaign's content may say about its recipient: the person's fields, custom
fields, contact points, relationships in force and segments. Only what the sending
unit may see; a template asking for anything else is refused before it is sent."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from luukku.customers.models import CustomField, Person, Relationship
from luukku.customers.models.parties import Sensitivity
from luukku.segments.models import Membership


def person_variables(person: Person) -> dict[str, Any]:
    """{"person": {...}}: the recipient as Liquid sees them."""
    email = (
        person.emailaddresss.filter(bounced_at__isnull=True).order_by("-is_primary", "pk").first()
    )
    phone = person.phonenumbers.order_by("-is_primary", "pk").first()
    address = person.postaladdresss.order_by("-is_primary", "pk").first()
    hidden = set(
        CustomField.objects.filter(
            entity=CustomField.Entity.PERSON, sensitivity=Sensitivity.RESTRICTED
        ).values_list("key", flat=True)
    )
    relationships = (
        Relationship.objects.valid_on(timezone.localdate())
        .filter(person=person, sensitivity=Sensitivity.NORMAL)
        .select_related("type", "other_person", "other_organization")
    )
    return {
        "person": {
            "id": person.pk,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "name": person.full_name,
            "language": person.preferred_language,
            "email": email.address if email else "",
            "phone": phone.number if phone else "",
            "city": address.city if address else "",
            "postal_code": address.postal_code if address else "",
            "custom": {k: v for k, v in (person.custom or {}).items() if k not in hidden},
            "relationships": [
                {"type": r.type.code, "other": str(r.other_person or r.other_organization)}
                for r in relationships
            ],
            "segments": list(
                Membership.objects.filter(person=person).values_list("segment__slug", flat=True)
            ),
        }
    }


def sample_variables() -> dict[str, Any]:
    """A recipient with every variable there is, for checking a template before it is
    used: each custom field (not restricted) has a value, each list an item."""
    custom = {
        key: "x"
        for key in CustomField.objects.filter(
            entity=CustomField.Entity.PERSON, sensitivity=Sensitivity.NORMAL
        ).values_list("key", flat=True)
    }
    return {
        "person": {
            "id": 1,
            "first_name": "Ingrid",
            "last_name": "Haugen",
            "name": "Ingrid Haugen",
            "language": "nb",
            "email": "ingrid@example.test",
            "phone": "+4791234567",
            "city": "Oslo",
            "postal_code": "0155",
            "custom": custom,
            "relationships": [{"type": "tenant", "other": "Moholt 7"}],
            "segments": ["example"],
        }
    }
