from __future__ import annotations

from dataclasses import dataclass

import pytest

from luukku.core.models import Role, User
from luukku.customers.models import CustomField, RelationshipType, SourceSystem
from tests.conftest import Tree
from tests.factories import user_with


@dataclass
class Setup:
    tree: Tree
    sis: SourceSystem  # student administration, priority 200
    housing_system: SourceSystem  # priority 50, may set only phones and names
    admin: User
    housing_agent: User
    health_agent: User
    field_worker: User


@pytest.fixture
def setup(tree: Tree) -> Setup:
    sis = SourceSystem.objects.create(
        code="sis",
        name="Student administration",
        priority=200,
        deep_link="https://sis.example.test/students/{external_id}",
    )
    housing_system = SourceSystem.objects.create(
        code="housing",
        name="Housing system",
        priority=50,
        allowed_fields=["first_name", "last_name"],
    )
    CustomField.objects.create(
        entity="person",
        key="student_status",
        label="Student status",
        kind="choice",
        choices=["active", "graduated", "on_leave"],
    )
    CustomField.objects.create(
        entity="person",
        key="credits",
        label="Credits",
        kind="number",
        min_value=0,
        max_value=400,
    )
    CustomField.objects.create(
        entity="person",
        key="diagnosis_group",
        label="Diagnosis group",
        kind="text",
        org_unit=tree.health,
        sensitivity="restricted",
    )
    RelationshipType.objects.create(
        code="guardian_of", label="guardian of", reverse_label="child of", target="person"
    )
    RelationshipType.objects.create(
        code="tenant_at", label="tenant at", reverse_label="landlord of", target="organization"
    )
    return Setup(
        tree=tree,
        sis=sis,
        housing_system=housing_system,
        admin=user_with(Role.ADMINISTRATOR, tree.root, username="custadmin"),
        housing_agent=user_with(Role.AGENT, tree.housing, username="hagent"),
        health_agent=user_with(Role.AGENT, tree.health, username="nurse"),
        field_worker=user_with(Role.FIELD_WORKER, tree.housing, username="field"),
    )
