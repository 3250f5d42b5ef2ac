"""Invariant 1 under concurrency: 24 bookings of one slot at the same moment end with exactly one appointment.

The racers are 4 processes of 6 threads each (tests/scheduling/race_worker.py), every thread with its own
database connection, released together by a start file once all have connected. They run against a database
of their own (a new SQLite file, or a new database on the suite's PostgreSQL server), migrated for the test:
the suite's test database is inside a transaction the racers could not see. Run once through the service
(which checks first, then relies on the database) and once with raw inserts that skip every Python check, so
the database constraint alone is shown to hold. On PostgreSQL some raw inserts are refused as "deadlock
detected": two inserts each waiting on the other's uncommitted row in the exclusion check, the server
aborting one (the service saves such a booking again: test_booking_deadlock.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

WORKER = Path(__file__).with_name("race_worker.py")
PROCESSES, THREADS = 4, 6
RACERS = PROCESSES * THREADS
TIMEOUT = 180


@dataclass
class RaceDatabase:
    env: dict[str, str]
    seeded: dict[str, Any]

    def run(self, *args: str, timeout: float = TIMEOUT) -> str:
        done = subprocess.run(
            [sys.executable, str(WORKER), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.strip().splitlines()[-1]


def _postgres_database(url: str) -> tuple[str, str]:
    """A new database next to the suite's: (its URL, its name)."""
    name = f"tandem_race_{uuid.uuid4().hex[:10]}"
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}")), name


def _admin_sql(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(statement)


@pytest.fixture(scope="module")
def race_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RaceDatabase]:
    data_dir = tmp_path_factory.mktemp("race")
    suite_url = os.environ.get("TANDEM_DATABASE_URL", "")
    env = {**os.environ, "TANDEM_DATA_DIR": str(data_dir), "PYTHONPATH": os.pathsep.join(sys.path)}
    dropped = ""
    if suite_url.startswith(("postgres://", "postgresql://")):
        url, name = _postgres_database(suite_url)
        _admin_sql(suite_url, f'CREATE DATABASE "{name}"')
        dropped = name
        env["TANDEM_DATABASE_URL"] = url
    else:
        env["TANDEM_DATABASE_URL"] = f"sqlite:///{data_dir / 'race.sqlite3'}"
    try:
        migrate = subprocess.run(
            [sys.executable, "-m", "tandem.manage", "migrate", "-v0"],
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        assert migrate.returncode == 0, migrate.stderr[-3000:]
        database = RaceDatabase(env=env, seeded={})
        database.seeded = json.loads(database.run("seed", str(RACERS)))
        yield database
    finally:
        if dropped:
            _admin_sql(suite_url, f'DROP DATABASE IF EXISTS "{dropped}" WITH (FORCE)')


def _race(database: RaceDatabase, mode: str, starts_at: str, workdir: Path) -> list[str]:
    seeded = database.seeded
    go = workdir / "go"
    bookings = [
        {"patient": p, "practitioner": seeded["practitioner"], "room": seeded["room"], "starts_at": starts_at}
        for p in seeded["patients"][:RACERS]
    ]
    processes = []
    for n in range(PROCESSES):
        spec = {"mode": mode, "dana": seeded["dana"], "bookings": bookings[n * THREADS : (n + 1) * THREADS]}
        processes.append(
            subprocess.Popen(
                [sys.executable, str(WORKER), "book", str(workdir / f"ready-{n}"), str(go), json.dumps(spec)],
                env=database.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    try:
        deadline = time.monotonic() + TIMEOUT
        while not all((workdir / f"ready-{n}").exists() for n in range(PROCESSES)):
            assert time.monotonic() < deadline, "the racers did not get ready"
            assert all(p.poll() is None for p in processes), "a racer died before the start"
            time.sleep(0.01)
        go.touch()
        results: list[str] = []
        for process in processes:
            out, err = process.communicate(timeout=TIMEOUT)
            assert process.returncode == 0, err[-3000:]
            results += json.loads(out.strip().splitlines()[-1])
        return results
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.mark.parametrize(("mode", "hour"), [("service", "10:00"), ("raw", "11:00")])
def test_two_dozen_concurrent_bookings_of_one_slot_book_exactly_one(
    race_db: RaceDatabase, mode: str, hour: str, tmp_path: Path
) -> None:
    starts_at = race_db.seeded["starts_at"].replace("10:00", hour)
    results = _race(race_db, mode, starts_at, tmp_path)

    assert len(results) == RACERS
    assert [r for r in results if r.startswith("error")] == []
    assert results.count("booked") == 1, results
    refused = [r for r in results if r.startswith("refused")]
    assert len(refused) == RACERS - 1
    if mode == "service":
        # Each loser gets a plain message: the service's own check, or the database's refusal put into words.
        assert all("already booked" in r or "just booked" in r for r in refused), refused
    assert race_db.run("count", starts_at) == "1"
