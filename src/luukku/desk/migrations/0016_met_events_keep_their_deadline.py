from django.db import migrations

# "met" events written before this release carry no deadline (the clock's was cleared
# when it was met); take it from the clock's previous event that had one, so the SLA
# report can tell in time from late.
FILL = """
UPDATE desk_slaevent SET due_at = (
    SELECT e.due_at FROM desk_slaevent e
    WHERE e.case_id = desk_slaevent.case_id AND e.target = desk_slaevent.target
      AND e.id < desk_slaevent.id AND e.due_at IS NOT NULL
    ORDER BY e.id DESC LIMIT 1
)
WHERE kind = 'met' AND due_at IS NULL
"""


class Migration(migrations.Migration):

    dependencies = [
        ("desk", "0015_queue_suggestions"),
    ]

    operations = [migrations.RunSQL(FILL, migrations.RunSQL.noop)]
