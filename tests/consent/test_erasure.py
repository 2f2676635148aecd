"""A person erased takes their consent ledger with them, confirmations included."""

from __future__ import annotations

import pytest

from luukku.consent import services
from luukku.consent.models import ConsentRecord, ConsentState, Source
from luukku.consent.services import Evidence
from tests.consent.conftest import World

pytestmark = pytest.mark.django_db


def test_erasing_a_person_removes_their_ledger(world: World) -> None:
    ingrid = world.ingrid
    [asked, _sms] = services.record(
        ingrid, world.newsletter, "requested", Evidence(source=Source.LANDING_PAGE)
    )
    services.confirm(asked, Evidence(source=Source.DOUBLE_OPT_IN))
    assert ConsentRecord.objects.filter(person=ingrid).count() == 4
    ingrid.delete()
    assert not ConsentRecord.objects.exists() and not ConsentState.objects.exists()
