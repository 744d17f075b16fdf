"""Keep each item's next undone milestone and last report date on the item, for the lights, and
index the lit items (red, yellow or green) with the columns their light compares."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    Item = apps.get_model("worklist", "Item")
    Milestone = apps.get_model("worklist", "Milestone")
    ProgressReport = apps.get_model("worklist", "ProgressReport")
    undone = Milestone.objects.filter(item=OuterRef("pk"), done_at__isnull=True).order_by("due_date")
    reports = ProgressReport.objects.filter(item=OuterRef("pk")).order_by("-reported_on")
    Item.objects.update(
        next_milestone_due=Subquery(undone.values("due_date")[:1]),
        last_report_on=Subquery(reports.values("reported_on")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("worklist", "0004_support_units_by_unit"),
    ]

    operations = [
        migrations.AddField(
            model_name="item",
            name="last_report_on",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="last report on"),
        ),
        migrations.AddField(
            model_name="item",
            name="next_milestone_due",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="next milestone due"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="item",
            index=models.Index(
                condition=models.Q(("state__in", ["close_requested", "in_progress"])),
                fields=["id"],
                include=(
                    "state",
                    "deadline",
                    "next_milestone_due",
                    "last_report_on",
                    "started_at",
                    "report_cycle",
                    "close_requested_at",
                ),
                name="worklist_item_lit",
            ),
        ),
    ]
