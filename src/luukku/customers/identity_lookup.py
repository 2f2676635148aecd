"""Finding the records thousands of external ids belong to, in one query.

An event batch or an import batch names thousands of external ids of one source. Asked
with `external_id = ANY(...)`, PostgreSQL often reads every identity of the source and
filters (its estimate of a source's size lags behind a growing table); here it is told
to probe the unique index once per id, in index order.
"""

from __future__ import annotations

from django.db import connection

from luukku.core.bulk import array_cursor
from luukku.customers.models import ExternalIdentity

Owners = dict[str, tuple[int | None, int | None]]


def owners_by_external_id(source_id: int, external_ids: list[str]) -> Owners:
    """{external id: (person id, organization id)} for the ids the source knows."""
    if connection.vendor != "postgresql":
        rows = ExternalIdentity.objects.filter(
            source_id=source_id, external_id__in=external_ids
        ).values_list("external_id", "person_id", "organization_id")
        return {external_id: (person, org) for external_id, person, org in rows}
    with array_cursor() as cursor:
        cursor.execute(
            "SELECT i.external_id, i.person_id, i.organization_id "
            "FROM unnest(%b::text[]) AS wanted(external_id) "
            "CROSS JOIN LATERAL (SELECT e.external_id, e.person_id, e.organization_id "
            "  FROM customers_externalidentity e WHERE e.source_id = %s "
            "  AND e.external_id = wanted.external_id LIMIT 1) i",
            [sorted(set(external_ids)), source_id],
        )
        return {external_id: (person, org) for external_id, person, org in cursor.fetchall()}
