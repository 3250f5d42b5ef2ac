"""An index for the clinic's evidence (outcomes.episodes.episode_sql, issue #6 item 6): a plan's valid scores
of one instrument in time order, with every column the query reads, so the scores are read
from the index alone and already in the order of the query's window (no sort).
Measured by `python -m bench outcomes`.

PostgreSQL: key (instrument, plan_id, effective_at, id) INCLUDE (value, valid, response_id). SQLite has no
INCLUDE: the same columns all in the key. Not declared in Score.Meta because of INCLUDE; created with SQL.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

NAME = "score_instrument_plan_time"


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX {NAME} ON outcomes_score (instrument, plan_id, effective_at, id) "
            "INCLUDE (value, valid, response_id)"
        )
    else:
        schema_editor.execute(
            f"CREATE INDEX {NAME} ON outcomes_score "
            "(instrument, plan_id, effective_at, id, value, valid, response_id)"
        )


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
