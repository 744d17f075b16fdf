"""Index the supporting units by unit, then item, so a unit's supported items come from the index alone.

The item list filtered by a unit takes the items the unit (or a unit below it) supports from
`worklist_item_support_units`. Django's index on `unit_id` alone makes PostgreSQL read the whole
table instead (150,000 rows in the benchmark); with `(unit_id, item_id)` it reads only the unit's
rows, without touching the table. The table is the one Django creates for `Item.support_units`, which
has no Meta to declare the index in, hence plain SQL (the same on PostgreSQL and SQLite).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("worklist", "0003_delete_itemcounter")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX worklist_support_unit_item ON worklist_item_support_units (unit_id, item_id)",
            "DROP INDEX worklist_support_unit_item",
        ),
    ]
