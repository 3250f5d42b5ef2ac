"""Invariant 2 in the database: a signed note never changes, and neither does a signed addendum.

Below the services, whatever writes to the tables (a raw ORM update, a script, a psql session):
- a signed note (signed_at set) refuses DELETE, and refuses any UPDATE except the co-signature: while
  cosigned_at is empty, only cosigned_at, cosigned_by_id and updated_at may change; once co-signed, nothing;
- a signed addendum refuses UPDATE and DELETE.
Drafts stay free to change (autosave). Both vendors answer an integrity error.

PostgreSQL compares whole rows (to_jsonb), so a column added later is sealed too. SQLite lists the sealed
columns (SEALED_NOTE_COLUMNS); tests/charting/test_immutability.py fails if the model gains a column this list
does not cover, which then needs a migration re-creating the trigger.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

NOTE = "charting_note"
ADDENDUM = "charting_addendum"
NOTE_MESSAGE = "a signed note never changes; write an addendum"
ADDENDUM_MESSAGE = "a signed addendum never changes"
# The columns a co-signature fills, once, on a signed note.
COSIGNATURE_COLUMNS = ("cosigned_at", "cosigned_by_id", "updated_at")
SEALED_NOTE_COLUMNS = (
    "id",
    "created_at",
    "encounter_id",
    "patient_id",
    "discipline",
    "author_id",
    "template_code",
    "template_version",
    "data",
    "subjective",
    "objective",
    "assessment",
    "plan",
    "body_marks",
    "status",
    "signed_at",
    "signed_by_id",
    "digest",
    "late_entry",
    "needs_cosign",
    "cosigner_id",
)


def _sqlite_create() -> list[str]:
    changed = "\n               OR ".join(f"NEW.{column} IS NOT OLD.{column}" for column in SEALED_NOTE_COLUMNS)
    return [
        f"""CREATE TRIGGER {NOTE}_signed_no_update BEFORE UPDATE ON {NOTE}
            WHEN OLD.signed_at IS NOT NULL AND (
                OLD.cosigned_at IS NOT NULL
                OR {changed}
            )
            BEGIN SELECT RAISE(ABORT, '{NOTE_MESSAGE}'); END""",
        f"""CREATE TRIGGER {NOTE}_signed_no_delete BEFORE DELETE ON {NOTE}
            WHEN OLD.signed_at IS NOT NULL
            BEGIN SELECT RAISE(ABORT, '{NOTE_MESSAGE}'); END""",
        f"""CREATE TRIGGER {ADDENDUM}_signed_no_update BEFORE UPDATE ON {ADDENDUM}
            WHEN OLD.signed_at IS NOT NULL
            BEGIN SELECT RAISE(ABORT, '{ADDENDUM_MESSAGE}'); END""",
        f"""CREATE TRIGGER {ADDENDUM}_signed_no_delete BEFORE DELETE ON {ADDENDUM}
            WHEN OLD.signed_at IS NOT NULL
            BEGIN SELECT RAISE(ABORT, '{ADDENDUM_MESSAGE}'); END""",
    ]


SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {NOTE}_signed_no_update",
    f"DROP TRIGGER IF EXISTS {NOTE}_signed_no_delete",
    f"DROP TRIGGER IF EXISTS {ADDENDUM}_signed_no_update",
    f"DROP TRIGGER IF EXISTS {ADDENDUM}_signed_no_delete",
]

_COSIGNATURE_ARRAY = "ARRAY[" + ", ".join(f"'{c}'" for c in COSIGNATURE_COLUMNS) + "]"
POSTGRES_CREATE = [
    f"""CREATE OR REPLACE FUNCTION {NOTE}_signed_never_changes() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF OLD.signed_at IS NULL THEN
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN NEW;
            END IF;
            IF TG_OP = 'DELETE'
               OR OLD.cosigned_at IS NOT NULL
               OR (to_jsonb(NEW) - {_COSIGNATURE_ARRAY}) IS DISTINCT FROM (to_jsonb(OLD) - {_COSIGNATURE_ARRAY})
            THEN
                RAISE EXCEPTION '{NOTE_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END $$""",
    f"""CREATE TRIGGER {NOTE}_signed_never_changes BEFORE UPDATE OR DELETE ON {NOTE}
        FOR EACH ROW EXECUTE FUNCTION {NOTE}_signed_never_changes()""",
    f"""CREATE OR REPLACE FUNCTION {ADDENDUM}_signed_never_changes() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF OLD.signed_at IS NOT NULL THEN
                RAISE EXCEPTION '{ADDENDUM_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$""",
    f"""CREATE TRIGGER {ADDENDUM}_signed_never_changes BEFORE UPDATE OR DELETE ON {ADDENDUM}
        FOR EACH ROW EXECUTE FUNCTION {ADDENDUM}_signed_never_changes()""",
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS {NOTE}_signed_never_changes ON {NOTE}",
    f"DROP FUNCTION IF EXISTS {NOTE}_signed_never_changes()",
    f"DROP TRIGGER IF EXISTS {ADDENDUM}_signed_never_changes ON {ADDENDUM}",
    f"DROP FUNCTION IF EXISTS {ADDENDUM}_signed_never_changes()",
]


def _statements(vendor: str, *, create: bool) -> list[str]:
    if vendor == "sqlite":
        return _sqlite_create() if create else SQLITE_DROP
    if vendor == "postgresql":
        return POSTGRES_CREATE if create else POSTGRES_DROP
    raise RuntimeError(f"Tandem supports SQLite and PostgreSQL, not {vendor}.")


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for statement in _statements(schema_editor.connection.vendor, create=True):
        schema_editor.execute(statement)


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for statement in _statements(schema_editor.connection.vendor, create=False):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("charting", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
