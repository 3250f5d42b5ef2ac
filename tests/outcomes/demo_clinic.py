"""The demo clinic with an injected effect, loaded once for a test module (imported by the modules that read
the clinic's evidence, not a conftest: other helpers share this folder)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management import call_command
from django.db import connection, transaction

from tandem.accounts.models import Organization
from tandem.demo.services import CLINIC_NAME


@contextmanager
def demo_clinic_loaded(django_db_blocker: Any, *, seed: int, effect: str) -> Iterator[int]:
    """The demo clinic (20 patients of each kind, `effect` injected, which brings the archive of past plans:
    a few hundred plans with finished visits) in a transaction rolled back at the end; yields its id."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            call_command("demo", patients=20, seed=seed, effect=[effect], verbosity=0, stdout=io.StringIO())
            if connection.vendor == "postgresql":
                # Planner statistics, as autovacuum keeps them on a running server: rows loaded in this
                # still-open transaction have none. Only the project's tables: ANALYZE takes a lock on each
                # table it reads until the transaction ends, and the system catalogs are not ours to hold.
                tables = sorted(connection.introspection.django_table_names(only_existing=True))
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
            yield Organization.objects.get(name=CLINIC_NAME).pk
            transaction.set_rollback(True)
