"""The audit snapshots become BulkJSONField: the same column, inserted in bulk without UNNEST.

State only. The column does not change, and on SQLite altering a field rebuilds the table, which
would drop the triggers that keep the audit trail append-only (0003).
"""

from django.db import migrations

import luoshi.core.models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_job"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditrecord",
                    name="after",
                    field=luoshi.core.models.BulkJSONField(blank=True, null=True, verbose_name="after"),
                ),
                migrations.AlterField(
                    model_name="auditrecord",
                    name="before",
                    field=luoshi.core.models.BulkJSONField(blank=True, null=True, verbose_name="before"),
                ),
            ],
        ),
    ]
