from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from luukku.customers import partitions
from luukku.customers.actions.parties import create_party
from luukku.customers.actions.timeline import NewEvent, append_events
from luukku.customers.models import Person
from luukku.customers.tasks import prepare_event_partitions

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="partitioning is PostgreSQL's"),
]


def partition_of(event_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM customers_event WHERE id = %s", [event_id]
        )
        return str(cursor.fetchone()[0])


def test_events_land_in_their_months_partition(tree) -> None:  # type: ignore[no-untyped-def]
    partitions.forget_known_partitions()
    person = create_party(Person, values={"last_name": "Old"}, by=None).party
    long_ago = datetime.datetime(2019, 5, 17, 12, tzinfo=datetime.UTC)

    append_events(
        [NewEvent(person_id=person.pk, type="sis.course_completed", occurred_at=long_ago)]
    )

    event = person.events.get(type="sis.course_completed")  # type: ignore[attr-defined]
    assert partition_of(event.pk) == "customers_event_y2019m05"


def test_the_periodic_job_prepares_the_coming_months(tree) -> None:  # type: ignore[no-untyped-def]
    partitions.forget_known_partitions()
    prepare_event_partitions.call()

    ahead = partitions.next_month(partitions.next_month(partitions.month_start(timezone.now())))
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [partitions.partition_name(ahead)])
        assert cursor.fetchone()[0] is not None


@pytest.mark.django_db(transaction=True)
def test_a_partition_made_in_a_rolled_back_transaction_is_made_again(tree) -> None:  # type: ignore[no-untyped-def]
    from django.db import transaction

    partitions.forget_known_partitions()
    person = create_party(Person, values={"last_name": "Rollback"}, by=None).party
    moment = datetime.datetime(2018, 3, 3, tzinfo=datetime.UTC)
    with pytest.raises(RuntimeError), transaction.atomic():
        partitions.ensure_partitions(moment, moment)
        raise RuntimeError("the batch failed")

    append_events([NewEvent(person_id=person.pk, type="sis.course_completed", occurred_at=moment)])

    event = person.events.get(type="sis.course_completed")  # type: ignore[attr-defined]
    assert partition_of(event.pk) == "customers_event_y2018m03"
