"""Invariant 1 in the database: no practitioner, room or patient has two overlapping occupying appointments.

PostgreSQL: exclusion constraints over tstzrange (btree_gist), checked at every insert and update, whatever
the concurrency. SQLite: BEFORE INSERT / UPDATE triggers; SQLite runs one write transaction at a time (the
settings open every transaction with BEGIN IMMEDIATE), so the trigger's look-up cannot race another writer.
Occupying statuses: booked, arrived, fulfilled (models.OCCUPYING_STATUSES). Intervals are half-open: a visit
ending at 10:00 and one starting at 10:00 do not overlap.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

TABLE = "scheduling_appointment"
OCCUPYING = "('booked', 'arrived', 'fulfilled')"
RESOURCES = ("practitioner", "room", "patient")


def _sqlite_trigger(event: str, resource: str) -> str:
    name = f"{TABLE}_{resource}_no_overlap_{event.split()[0].lower()}"
    return f"""CREATE TRIGGER {name} BEFORE {event} ON {TABLE}
        WHEN NEW.status IN {OCCUPYING}
        BEGIN
            SELECT RAISE(ABORT, 'double booking: {resource} already has an appointment at this time')
            WHERE EXISTS (
                SELECT 1 FROM {TABLE} AS other
                WHERE other.{resource}_id = NEW.{resource}_id
                  AND other.id IS NOT NEW.id
                  AND other.status IN {OCCUPYING}
                  AND other.starts_at < NEW.ends_at
                  AND other.ends_at > NEW.starts_at
            );
        END"""


def _sqlite_statements() -> list[str]:
    statements = []
    for resource in RESOURCES:
        statements.append(_sqlite_trigger("INSERT", resource))
        statements.append(
            _sqlite_trigger(f"UPDATE OF status, starts_at, ends_at, {resource}_id", resource)
        )
    return statements


def _postgres_statements() -> list[str]:
    statements = ["CREATE EXTENSION IF NOT EXISTS btree_gist"]
    for resource in RESOURCES:
        statements.append(
            f"""ALTER TABLE {TABLE} ADD CONSTRAINT appointment_no_{resource}_overlap
                EXCLUDE USING gist ({resource}_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
                WHERE (status IN {OCCUPYING})"""
        )
    return statements


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        statements = _sqlite_statements()
    elif vendor == "postgresql":
        statements = _postgres_statements()
    else:
        raise RuntimeError(f"Tandem supports SQLite and PostgreSQL, not {vendor}.")
    for statement in statements:
        schema_editor.execute(statement)


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    for resource in RESOURCES:
        if vendor == "sqlite":
            for event in ("insert", "update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_{resource}_no_overlap_{event}")
        elif vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS appointment_no_{resource}_overlap")


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
