"""`field__any=[...]`: membership in a list passed as one array parameter.

Django's `__in` writes one placeholder per value. For the 10,000 identifiers of an event
batch that is a 10,000-parameter statement to build, send and plan; on PostgreSQL
`= ANY(%s)` sends a single array instead. Other databases use `IN`. The values may be
any iterable; a set is also not walked value by value by the ORM before it gets here.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.lookups import In, Lookup


@models.Field.register_lookup
class AnyOf(Lookup[Any]):
    lookup_name = "any"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        if connection.vendor != "postgresql":
            sql, params = In(self.lhs, list(self.rhs)).as_sql(compiler, connection)
            return sql, list(params)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [self.lhs.output_field.get_prep_value(v) for v in self.rhs]
        return f"{lhs} = ANY(%s)", [*lhs_params, values]
