"""PostgreSQL only: a prefix index on names, for the search box's first step."""

from django.db import migrations

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS person_name_upper_prefix ON customers_person "
    "(UPPER(full_name) varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS organization_name_upper_prefix ON customers_organization "
    "(UPPER(name) varchar_pattern_ops)",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in STATEMENTS:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_imports")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
