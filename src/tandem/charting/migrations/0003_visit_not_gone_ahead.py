"""A visit that does not go ahead after check-in (services.encounter_cancel): the encounter keeps why, when and
by whom it was cancelled or entered in error; its draft notes become entered-in-error (FHIR
composition-status), which needs a wider status column and a signature constraint that knows the new status.

SQLite cannot alter a column or a constraint in place: Django copies charting_note into a new table, and the
triggers of migration 0002 (a signed note never changes) go with the old one. The last operation installs
them again, exactly as 0002 wrote them; PostgreSQL keeps its triggers through ALTER TABLE.
"""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

SIGNED_NEVER_CHANGE = importlib.import_module("tandem.charting.migrations.0002_signed_never_change")


def sqlite_triggers_again(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in [*SIGNED_NEVER_CHANGE.SQLITE_DROP, *SIGNED_NEVER_CHANGE._sqlite_create()]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("charting", "0002_signed_never_change"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Undone last when the migration is reversed: the copied table needs its triggers again then too.
        migrations.RunPython(migrations.RunPython.noop, sqlite_triggers_again),
        migrations.RemoveConstraint(
            model_name="note",
            name="note_signature_complete",
        ),
        migrations.AddField(
            model_name="encounter",
            name="cancel_reason",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="encounter",
            name="cancelled_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="encounter",
            name="cancelled_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="note",
            name="status",
            field=models.CharField(
                choices=[("preliminary", "Draft"), ("final", "Signed"), ("entered-in-error", "Entered in error")],
                default="preliminary",
                max_length=20,
            ),
        ),
        migrations.AddConstraint(
            model_name="encounter",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status__in", ["cancelled", "entered-in-error"]), _negated=True),
                    models.Q(
                        models.Q(("cancel_reason", ""), _negated=True),
                        ("cancelled_at__isnull", False),
                        ("cancelled_by__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="encounter_cancel_has_reason",
            ),
        ),
        migrations.AddConstraint(
            model_name="note",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("digest", ""),
                        ("signed_at__isnull", True),
                        ("signed_by__isnull", True),
                        ("status__in", ["preliminary", "entered-in-error"]),
                    ),
                    models.Q(
                        ("signed_at__isnull", False),
                        ("signed_by__isnull", False),
                        ("status", "final"),
                        models.Q(("digest", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="note_signature_complete",
            ),
        ),
        migrations.RunPython(sqlite_triggers_again, migrations.RunPython.noop),
    ]
