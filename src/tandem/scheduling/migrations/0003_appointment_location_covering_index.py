"""PostgreSQL only: an index on appointment id that carries the location (INCLUDE), so the clinic's evidence
(outcomes.episodes.episode_sql) reads the location of a large clinic's visits from the index alone instead of
the appointments table (issue #6 item 6, measured by `python -m bench outcomes`). On SQLite the primary key is
the row id and its look-up already reads the row; nothing is created there.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

NAME = "appointment_id_location"


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX {NAME} ON scheduling_appointment (id) INCLUDE (location_id)")


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0002_never_double_booked")]

    operations = [migrations.RunPython(forwards, backwards)]
