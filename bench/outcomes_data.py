"""The outcomes benchmark's clinic (bench/outcomes.py): a seeded organisation with ~100 practitioners and, by
default, 1,000,000 finished visits (each with its fulfilled appointment) and 300,000 scored responses,
bulk-loaded into the current Django database. See bench/README.md.

Needs Django set up. Small tables go through the ORM; the big ones (patients, conditions, plans and their
problems, activities, appointments, encounters, responses, scores) are written with explicit ids in large
batches: COPY on PostgreSQL, executemany on SQLite, every column given (defaults of the model fields filled
in, a NOT NULL column without a value is an error before anything is written).

Invariant 1 (never double-booked) holds by construction: every practitioner has a treatment room of their
own and works a grid of back-to-back slots (each slot used once), and a patient has at most one visit a day
and one plan at a time. The database's own guards are lifted for the load and put back afterwards, which
re-checks every row: PostgreSQL re-adds the exclusion constraints (ALTER TABLE ... ADD CONSTRAINT validates
the table), SQLite re-creates the triggers and `overlaps()` looks for an overlap with a window query.
"""

from __future__ import annotations

import datetime
import json
import math
import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from tandem.accounts.models import Discipline, Location, Organization, Practitioner, Role, Room, User
from tandem.careplans.models import KIND_OF_DISCIPLINE, Activity, ActivityStatus, Approval, CarePlan
from tandem.charting.models import Encounter, EncounterStatus
from tandem.demo.outcomes import answers_for, trajectory
from tandem.outcomes.episodes import CONDITION_GROUPS
from tandem.outcomes.models import Response, ResponseSource, Score, Timepoint
from tandem.outcomes.questionnaires import questionnaire
from tandem.outcomes.scoring import INSTRUMENTS, score
from tandem.outcomes.services import response_json
from tandem.outcomes.synthetic import PROFILES
from tandem.patients.models import Condition, ConditionCategory, Patient
from tandem.scheduling.models import Appointment, AppointmentStatus

Progress = Callable[[int, str], Callable[[int], object]]

LOCATIONS = ("Downtown", "Northside", "Riverside")
# Practitioners by discipline (shares of the total) and their visit length.
PRACTITIONER_SHARE = {"chiropractic": 0.40, "physical-therapy": 0.35, "massage-therapy": 0.25}
SLOT_MINUTES = {"chiropractic": 30, "physical-therapy": 45, "massage-therapy": 60}
DAY_START = datetime.time(8, 0)
DAY_MINUTES = 10 * 60  # 08:00-18:00, Monday to Friday
UTILISATION = 0.7  # of all slots, over the generated period
# Care combinations of plans, in realistic shares (most plans one discipline).
COMBINATION_SHARE: tuple[tuple[tuple[str, ...], float], ...] = (
    (("chiropractic",), 0.28),
    (("physical-therapy",), 0.17),
    (("massage-therapy",), 0.08),
    (("chiropractic", "massage-therapy"), 0.16),
    (("chiropractic", "physical-therapy"), 0.14),
    (("physical-therapy", "massage-therapy"), 0.07),
    (("chiropractic", "physical-therapy", "massage-therapy"), 0.10),
)
# Condition groups (the dashboard's filter) with their share of plans, sites, ICD-10-CM codes and instrument.
GROUP_SHARE = {"lumbar": 0.40, "cervical": 0.24, "upper-limb": 0.13, "lower-limb": 0.15, "thoracic": 0.08}
ICD_OF_GROUP = {
    "lumbar": (("M54.50", "Low back pain"), ("M51.36", "Lumbar disc degeneration")),
    "cervical": (("M54.2", "Cervicalgia"), ("M50.30", "Cervical disc degeneration")),
    "thoracic": (("M54.6", "Pain in thoracic spine"), ("M62.830", "Muscle spasm of back")),
    "upper-limb": (("M75.100", "Rotator cuff syndrome"), ("M77.10", "Lateral epicondylitis")),
    "lower-limb": (("M17.10", "Osteoarthritis of knee"), ("M76.60", "Achilles tendinitis")),
}
INSTRUMENT_OF_GROUP = {
    "lumbar": "odi",
    "cervical": "ndi",
    "upper-limb": "quickdash",
    "lower-limb": "lefs",
    "thoracic": "nprs",
}
# The extra improvement of concurrent care, as a share of the instrument's mean change: all three disciplines
# get it whole, two half of it (demo.outcomes.trajectory), so the numbers look like something.
CONCURRENT_EFFECT = 0.25
NO_FOLLOW_UP = 0.12  # plans whose patient never answered again (drop-outs)
BATCH = 20_000
BIG_TABLES = (Patient, Condition, CarePlan, CarePlan.problems.through, Activity, Appointment, Encounter)


@dataclass
class Counts:
    rows: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class _Plan:
    id: int
    patient: int
    supervisor: int  # practitioner id
    disciplines: tuple[str, ...]
    group: str
    visits: list[tuple[int, int, str, int]] = field(
        default_factory=list
    )  # (day, practitioner, discipline, slot)
    conditions: list[int] = field(default_factory=list)


# --- Loading rows -------------------------------------------------------------------------------------------


def _adapter(model_field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    vendor = connection.vendor
    if isinstance(model_field, models.JSONField):
        return lambda v: None if v is None else json.dumps(v)
    if isinstance(model_field, models.DateTimeField):
        if vendor == "sqlite":  # what Django writes: naive UTC text
            return lambda v: None if v is None else str(v.astimezone(datetime.UTC).replace(tzinfo=None))
        return None
    if isinstance(model_field, models.DateField) and vendor == "sqlite":
        return lambda v: None if v is None else v.isoformat()
    if isinstance(model_field, models.BooleanField) and vendor == "sqlite":
        return lambda v: None if v is None else int(v)
    return None


TICK = 10_000  # rows between two steps of a progress bar


def _ticking(
    rows: Iterable[Sequence[Any]], advance: Callable[[int], object] | None
) -> Iterator[Sequence[Any]]:
    """`rows`, moving the progress bar on every TICK rows and by the rest at the end."""
    count = 0
    for count, row in enumerate(rows, start=1):
        yield row
        if advance and count % TICK == 0:
            advance(TICK)
    if advance and count % TICK:
        advance(count % TICK)


def load(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    advance: Callable[[int], object] | None = None,
) -> int:
    """Write `rows` (values of `columns`, attnames) into `model`'s table, other columns from their field
    defaults ('' for a blank text field, NULL for a nullable one), moving `advance` (a progress bar) as they
    go. Returns the row count."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    unknown = [c for c in columns if c not in fields]
    if unknown:
        raise ValueError(f"{model.__name__} has no column(s) {unknown}")
    fixed: dict[str, Any] = {}
    for name, model_field in fields.items():
        if name in columns:
            continue
        if model_field.has_default():
            fixed[name] = model_field.get_default()
        elif model_field.null:
            fixed[name] = None
        elif model_field.blank and isinstance(model_field, (models.CharField, models.TextField)):
            fixed[name] = ""
        else:
            raise ValueError(f"{model.__name__}.{name} is NOT NULL and has no value")
    names = list(columns) + list(fixed)
    adapters = [_adapter(fields[n]) for n in names]
    tail = tuple(a(v) if a else v for a, v in zip(adapters[len(columns) :], fixed.values(), strict=True))
    converting = [(i, a) for i, a in enumerate(adapters[: len(columns)]) if a is not None]

    def prepared(row: Sequence[Any]) -> tuple[Any, ...]:
        values = list(row)
        for i, adapt in converting:
            values[i] = adapt(values[i])
        return (*values, *tail)

    rows = _ticking(rows, advance)
    table = model._meta.db_table
    quoted = ", ".join(connection.ops.quote_name(fields[n].column) for n in names)
    count = 0
    raw = connection.connection
    if connection.vendor == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(prepared(row))
                count += 1
    else:
        statement = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join('?' * len(names))})"
        batch: list[tuple[Any, ...]] = []
        cursor = raw.cursor()
        for row in rows:
            batch.append(prepared(row))
            if len(batch) >= BATCH:
                cursor.executemany(statement, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(statement, batch)
            count += len(batch)
        cursor.close()
    return count


def _reset_sequences(models_: Sequence[type[models.Model]]) -> None:
    if connection.vendor != "postgresql":
        return
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(models_)):
            cursor.execute(statement)


# --- The double-booking guards ------------------------------------------------------------------------------


def _guards(lift: bool) -> None:
    """Lift (or put back and so re-check) scheduling.0002's guards against double booking."""
    from importlib import import_module

    guard = import_module("tandem.scheduling.migrations.0002_never_double_booked")

    class _Editor:  # the two things the migration's functions use of a schema editor
        def __init__(self) -> None:
            self.connection = connection

        def execute(self, sql: str) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql)

    if lift:
        guard.backwards(None, _Editor())
    else:
        guard.forwards(None, _Editor())


def _foreign_keys_lift(tables: Sequence[str]) -> list[tuple[str, str, str]]:
    """PostgreSQL: drop the foreign keys of `tables` (returned, to be put back by _foreign_keys_restore).
    Re-adding one checks the whole table in one join instead of a trigger call per row, as pg_restore does."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
            [list(tables)],
        )
        keys = [(str(t), str(n), str(d)) for t, n, d in cursor.fetchall()]
        for table, name, _ in keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    return keys


def _foreign_keys_restore(keys: Sequence[tuple[str, str, str]]) -> None:
    with connection.cursor() as cursor:
        for table, name, definition in keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def overlaps() -> dict[str, int]:
    """Occupying appointments that overlap the previous one of the same practitioner, room or patient."""
    table = Appointment._meta.db_table
    found = {}
    with connection.cursor() as cursor:
        for resource in ("practitioner", "room", "patient"):
            cursor.execute(
                f"""SELECT COUNT(*) FROM (
                        SELECT starts_at, LAG(ends_at) OVER (PARTITION BY {resource}_id
                                                             ORDER BY starts_at, id) AS previous_end
                        FROM {table} WHERE status IN ('booked', 'arrived', 'fulfilled')) t
                    WHERE previous_end > starts_at"""
            )
            found[resource] = int(cursor.fetchone()[0])
    return found


# --- The clinic ---------------------------------------------------------------------------------------------


def _weekdays(end: datetime.date, count: int) -> list[datetime.date]:
    days: list[datetime.date] = []
    day = end
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= datetime.timedelta(days=1)
    return days[::-1]


def _pick(rng: random.Random, shares: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([s[0] for s in shares], weights=[s[1] for s in shares])[0]


def generate(
    *,
    visits: int,
    responses: int,
    seed: int,
    progress: Progress | None = None,
    today: datetime.date | None = None,
) -> tuple[Organization, Counts]:
    """Create the clinic in the current database. Returns the organisation and the row counts."""
    import time

    counts = Counts()
    rng = random.Random(f"outcomes-bench:{seed}")
    zone = timezone.get_current_timezone()
    now = timezone.now()
    today = today or timezone.localdate()

    started = time.perf_counter()
    organization, practitioners, users_of, rooms_of = _staff(visits, rng)
    # Plans and their visits, in memory: slots per (practitioner, day), one visit a day per patient.
    capacity = {d: DAY_MINUTES // SLOT_MINUTES[d] for d in SLOT_MINUTES}
    by_discipline: dict[str, list[int]] = {d: [] for d in SLOT_MINUTES}
    for pk, discipline in practitioners:
        by_discipline[discipline].append(pk)
    daily = sum(capacity[d] for _, d in practitioners)
    period = max(20, math.ceil(visits / (daily * UTILISATION)))
    days = _weekdays(today - datetime.timedelta(days=7), period + 60)  # room for the last plans to finish
    used: Counter[tuple[int, int]] = Counter()
    plans: list[_Plan] = []
    patient_free: list[int] = []  # the first day a patient may start a new plan, by patient index - 1
    remaining = visits
    advance = progress(visits, "visits planned") if progress else None
    while remaining > 0:
        disciplines = _pick(rng, COMBINATION_SHARE)
        count = min(remaining, rng.randint(4, 10) + 2 * len(disciplines))
        group = _pick(rng, list(GROUP_SHARE.items()))
        start = rng.randrange(period)
        # 25% of plans belong to a returning patient who is free by then (one plan at a time).
        patient = 0
        if patient_free and rng.random() < 0.25:
            candidate = rng.randrange(len(patient_free))
            if patient_free[candidate] <= start:
                patient = candidate + 1
        if not patient:
            patient_free.append(0)
            patient = len(patient_free)
        chosen = {d: rng.choice(by_discipline[d]) for d in disciplines}  # one practitioner per discipline
        supervisor = chosen.get("chiropractic") or chosen.get("physical-therapy") or chosen["massage-therapy"]
        plan = _Plan(len(plans) + 1, patient, supervisor, disciplines, group)
        per_week = rng.choice((2, 2, 3))
        day = start
        for index in range(count):
            discipline = disciplines[index % len(disciplines)]
            while True:
                day = min(day, len(days) - 1)
                options = [chosen[discipline]] + rng.sample(
                    by_discipline[discipline], min(3, len(by_discipline[discipline]))
                )
                pk = next((p for p in options if used[(p, day)] < capacity[discipline]), None)
                if pk is not None or day == len(days) - 1:
                    break
                day += 1
            if pk is None:  # the period is full: take any practitioner of the discipline with room that day
                pk = next(p for p in by_discipline[discipline] if used[(p, day)] < capacity[discipline])
            plan.visits.append((day, pk, discipline, used[(pk, day)]))
            used[(pk, day)] += 1
            day += max(1, round(5 / per_week + rng.uniform(-0.6, 0.6)))
        patient_free[patient - 1] = plan.visits[-1][0] + rng.randint(10, 60)
        plans.append(plan)
        remaining -= count
        if advance:
            advance(count)
    counts.seconds["plan"] = time.perf_counter() - started

    discipline_of = dict(practitioners)

    def at(day: int, practitioner: int, slot: int) -> tuple[datetime.datetime, datetime.datetime]:
        discipline = discipline_of[practitioner]
        local = datetime.datetime.combine(days[day], DAY_START, tzinfo=zone)
        begins = local + datetime.timedelta(minutes=slot * SLOT_MINUTES[discipline])
        return begins, begins + datetime.timedelta(minutes=SLOT_MINUTES[discipline])

    started = time.perf_counter()
    if connection.vendor == "sqlite":  # 1 GiB of page cache for the load (SQLite's default is 2 MiB)
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -1048576")
    with transaction.atomic():
        if connection.vendor == "postgresql":  # pending foreign-key checks now: ALTER TABLE
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        _guards(lift=True)
        keys = _foreign_keys_lift([m._meta.db_table for m in (*BIG_TABLES, Response, Score)])
        _write_people_and_plans(organization, plans, patient_free, users_of, rng, zone, days, now, counts)
        _write_visits(organization, plans, practitioners, users_of, rooms_of, at, now, counts, progress)
        _write_measures(plans, users_of, responses, at, now, seed, counts, progress)
        _reset_sequences([*BIG_TABLES, Response, Score])
        guard_started = time.perf_counter()
        _foreign_keys_restore(keys)  # PostgreSQL checks every row here
        if connection.vendor == "postgresql":  # and the deferred ones now: ALTER TABLE needs it
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        _guards(lift=False)  # PostgreSQL validates every row here
        counts.seconds["checks"] = time.perf_counter() - guard_started
    counts.seconds["write"] = time.perf_counter() - started
    return organization, counts


def _staff(
    visits: int, rng: random.Random
) -> tuple[Organization, list[tuple[int, str]], dict[int, int], dict[int, tuple[int, int]]]:
    total = max(9, min(100, round(visits / 10_000)))
    organization = Organization.objects.create(name="Benchmark Clinic")
    locations = [Location.objects.create(organization=organization, name=name) for name in LOCATIONS]
    practitioners: list[tuple[int, str]] = []
    users_of: dict[int, int] = {}
    rooms_of: dict[int, tuple[int, int]] = {}  # practitioner -> (room, location)
    serial = 0
    for discipline, share in PRACTITIONER_SHARE.items():
        for _ in range(max(3, round(total * share))):
            serial += 1
            user = User(
                username=f"bench{serial:03d}",
                first_name=f"Clinician{serial}",
                last_name=discipline.title(),
                organization=organization,
                role=Role.CLINICIAN,
            )
            user.set_unusable_password()
            user.save()
            practitioner = Practitioner.objects.create(
                user=user, discipline=discipline, license_number=f"B{serial:05d}", license_state="OR"
            )
            location = locations[serial % len(locations)]
            practitioner.locations.add(location)
            room = Room.objects.create(location=location, name=f"Room {serial}")
            practitioners.append((practitioner.pk, discipline))
            users_of[practitioner.pk] = user.pk
            rooms_of[practitioner.pk] = (room.pk, location.pk)
    return organization, practitioners, users_of, rooms_of


def _write_people_and_plans(
    organization: Organization,
    plans: list[_Plan],
    patient_free: list[int],
    users_of: dict[int, int],
    rng: random.Random,
    zone: datetime.tzinfo,
    days: list[datetime.date],
    now: datetime.datetime,
    counts: Counts,
) -> None:
    counts.rows["patients"] = load(
        Patient,
        (
            "id",
            "organization_id",
            "mrn",
            "given_name",
            "family_name",
            "birth_date",
            "sex",
            "active",
            "created_at",
            "updated_at",
        ),
        (
            (
                i,
                organization.pk,
                f"B{i:07d}",
                f"Given{i}",
                f"Family{i % 997}",
                datetime.date(1940 + i % 60, 1 + i % 12, 1 + i % 28),
                ("female", "male")[i % 2],
                True,
                now,
                now,
            )
            for i in range(1, len(patient_free) + 1)
        ),
    )
    condition_rows: list[tuple[Any, ...]] = []
    problem_rows: list[tuple[int, int, int]] = []
    for plan in plans:
        groups = [plan.group]
        if rng.random() < 0.2:  # a second problem, sometimes in another group
            groups.append(_pick(rng, list(GROUP_SHARE.items())))
        for group in groups:
            site = rng.choice(CONDITION_GROUPS[group])
            code, text = rng.choice(ICD_OF_GROUP[group])
            condition = len(condition_rows) + 1
            laterality = rng.choice(("left", "right")) if group.endswith("-limb") else ""
            category = (
                ConditionCategory.STRUCTURAL
                if code.startswith(("M51", "M50", "M17"))
                else (ConditionCategory.SOFT_TISSUE)
            )
            onset = days[plan.visits[0][0]] - datetime.timedelta(days=rng.randint(7, 400))
            condition_rows.append(
                (
                    condition,
                    plan.patient,
                    code,
                    text,
                    site,
                    laterality,
                    category,
                    onset,
                    users_of[plan.supervisor],
                    now,
                    now,
                )
            )
            plan.conditions.append(condition)
            problem_rows.append((len(problem_rows) + 1, plan.id, condition))
    counts.rows["conditions"] = load(
        Condition,
        (
            "id",
            "patient_id",
            "code",
            "text",
            "body_site",
            "laterality",
            "category",
            "onset_on",
            "recorded_by_id",
            "created_at",
            "updated_at",
        ),
        condition_rows,
    )
    counts.rows["plans"] = load(
        CarePlan,
        (
            "id",
            "organization_id",
            "patient_id",
            "title",
            "status",
            "supervising_practitioner_id",
            "period_start_on",
            "period_end_on",
            "created_by_id",
            "version_number",
            "created_at",
            "updated_at",
        ),
        (
            (
                p.id,
                organization.pk,
                p.patient,
                f"{p.group.title()} plan of care",
                "completed",
                p.supervisor,
                days[p.visits[0][0]],
                days[p.visits[-1][0]],
                users_of[p.supervisor],
                1,
                now,
                now,
            )
            for p in plans
        ),
    )
    counts.rows["plan_problems"] = load(
        CarePlan.problems.through, ("id", "careplan_id", "condition_id"), problem_rows
    )


def _activity_id(plan: _Plan, discipline: str) -> int:
    return plan.id * 3 - 2 + ("chiropractic", "physical-therapy", "massage-therapy").index(discipline)


def _write_visits(
    organization: Organization,
    plans: list[_Plan],
    practitioners: list[tuple[int, str]],
    users_of: dict[int, int],
    rooms_of: dict[int, tuple[int, int]],
    at: Callable[[int, int, int], tuple[datetime.datetime, datetime.datetime]],
    now: datetime.datetime,
    counts: Counts,
    progress: Progress | None,
) -> None:
    def activities() -> Iterable[tuple[Any, ...]]:
        for p in plans:
            supervisor_user = users_of[p.supervisor]
            for d in p.disciplines:
                visits = sum(1 for v in p.visits if v[2] == d)
                approved = d == Discipline.MASSAGE_THERAPY  # massage works under the supervisor's approval
                yield (
                    _activity_id(p, d),
                    p.id,
                    d,
                    KIND_OF_DISCIPLINE[d],
                    max(1, math.ceil(visits / 4)),
                    4,
                    SLOT_MINUTES[d],
                    ActivityStatus.COMPLETED,
                    Approval.APPROVED if approved else Approval.NOT_REQUIRED,
                    supervisor_user if approved else None,
                    now if approved else None,
                    supervisor_user,
                    now,
                    now,
                )

    counts.rows["activities"] = load(
        Activity,
        (
            "id",
            "plan_id",
            "discipline",
            "kind",
            "visits_per_week",
            "weeks",
            "visit_minutes",
            "status",
            "approval",
            "approved_by_id",
            "approved_at",
            "created_by_id",
            "created_at",
            "updated_at",
        ),
        activities(),
    )
    total = sum(len(p.visits) for p in plans)
    advance = progress(total * 2, "visits written") if progress else None

    # Written in the order a clinic records them (by time), not plan by plan: a plan's visits lie scattered
    # over the table's pages as in real life, which is what an index look-up by plan pays for.
    ordered = sorted(
        (
            (day, slot * SLOT_MINUTES[discipline], practitioner, slot, discipline, p)
            for p in plans
            for day, practitioner, discipline, slot in p.visits
        ),
        key=lambda v: (v[0], v[1], v[2]),
    )

    def appointments() -> Iterable[tuple[Any, ...]]:
        serial = 0
        for day, _, practitioner, slot, discipline, p in ordered:
            serial += 1
            begins, ends = at(day, practitioner, slot)
            room, location = rooms_of[practitioner]
            yield (
                serial,
                organization.pk,
                location,
                p.patient,
                practitioner,
                room,
                discipline,
                _activity_id(p, discipline),
                begins,
                ends,
                AppointmentStatus.FULFILLED,
                begins - datetime.timedelta(minutes=5),
                users_of[p.supervisor],
                now,
                now,
            )

    counts.rows["appointments"] = load(
        Appointment,
        (
            "id",
            "organization_id",
            "location_id",
            "patient_id",
            "practitioner_id",
            "room_id",
            "discipline",
            "activity_id",
            "starts_at",
            "ends_at",
            "status",
            "arrived_at",
            "created_by_id",
            "created_at",
            "updated_at",
        ),
        appointments(),
        advance,
    )

    def encounters() -> Iterable[tuple[Any, ...]]:
        serial = 0
        for day, _, practitioner, slot, discipline, p in ordered:
            serial += 1
            begins, ends = at(day, practitioner, slot)
            yield (
                serial,
                organization.pk,
                serial,
                p.patient,
                practitioner,
                discipline,
                _activity_id(p, discipline),
                EncounterStatus.FINISHED,
                begins,
                ends,
                users_of[practitioner],
                now,
                now,
            )

    counts.rows["encounters"] = load(
        Encounter,
        (
            "id",
            "organization_id",
            "appointment_id",
            "patient_id",
            "practitioner_id",
            "discipline",
            "activity_id",
            "status",
            "started_at",
            "ended_at",
            "created_by_id",
            "created_at",
            "updated_at",
        ),
        encounters(),
        advance,
    )


def _measure_days(plan: _Plan) -> list[int]:
    """Indexes of the plan's visits that may be measured: the first, the first on or after every 5 weekdays
    (weekly, the densest schedule a clinic sets), and the last (as demo.outcomes.measure_times)."""
    chosen = [0]
    mark = plan.visits[0][0] + 5
    for index, visit in enumerate(plan.visits[1:], start=1):
        if visit[0] >= mark:
            chosen.append(index)
            while mark <= visit[0]:
                mark += 5
    if len(plan.visits) > 1 and chosen[-1] != len(plan.visits) - 1:
        chosen.append(len(plan.visits) - 1)
    return chosen


def _write_measures(
    plans: list[_Plan],
    users_of: dict[int, int],
    responses: int,
    at: Callable[[int, int, int], tuple[datetime.datetime, datetime.datetime]],
    now: datetime.datetime,
    seed: int,
    counts: Counts,
    progress: Progress | None,
) -> None:
    """Baseline and follow-ups per plan, `responses` in all: every plan its baseline (while there are
    responses to give), 88% a last follow-up, then intermediate follow-ups at random until the total."""
    rng = random.Random(f"outcomes-bench-measures:{seed}")
    order = list(range(len(plans)))
    rng.shuffle(order)
    chosen: dict[int, list[int]] = {}
    budget = responses
    candidates: dict[int, list[int]] = {}
    for i in order:
        if budget <= 0:
            break
        chosen[i] = [0]
        budget -= 1
        candidates[i] = _measure_days(plans[i])[1:]
    for i in list(chosen):
        if budget <= 0:
            break
        if candidates[i] and rng.random() >= NO_FOLLOW_UP:
            chosen[i].append(candidates[i].pop())  # the last visit
            budget -= 1
        else:
            candidates[i] = []
    pool = [(i, c) for i in chosen for c in candidates[i]]
    rng.shuffle(pool)
    for i, c in pool[: max(0, budget)]:
        chosen[i].append(c)
    forms = {code: str(questionnaire(code).get("version", "1")) for code in INSTRUMENTS}
    advance = progress(sum(len(v) for v in chosen.values()), "responses written") if progress else None

    # The answers, plan by plan (seeded), then written in the order they were authored, as a clinic does.
    measures: list[tuple[datetime.datetime, int, str, str, list[int], Any]] = []
    for i in sorted(chosen):
        plan = plans[i]
        code = INSTRUMENT_OF_GROUP[plan.group]
        indexes = sorted(chosen[i])
        times = [at(plan.visits[k][0], plan.visits[k][1], plan.visits[k][3])[0] for k in indexes]
        wanted = trajectory(
            code,
            days=[(t - times[0]).days for t in times],
            visits=len(plan.visits),
            disciplines=len(plan.disciplines),
            effect=CONCURRENT_EFFECT * PROFILES[code].mean_change,
            rng=rng,
        )
        for position, (authored, target) in enumerate(zip(times, wanted, strict=True)):
            answers = answers_for(code, target, rng)
            if position == 0:
                timepoint = Timepoint.BASELINE
            elif indexes[position] == len(plan.visits) - 1:
                timepoint = Timepoint.DISCHARGE
            else:
                timepoint = Timepoint.FOLLOW_UP
            measures.append((authored, plan.id, code, timepoint, answers, score(code, answers)))
    measures.sort(key=lambda m: (m[0], m[1]))
    score_rows: list[tuple[Any, ...]] = []

    def response_rows() -> Iterable[tuple[Any, ...]]:
        # Streamed into the table (a FHIR document each); the scores' rows are kept for the second table.
        for response, (authored, plan_id, code, timepoint, answers, result) in enumerate(measures, start=1):
            plan = plans[plan_id - 1]
            definition = INSTRUMENTS[code]
            document = response_json(code, answers, patient=Patient(pk=plan.patient), authored_at=authored)
            score_rows.append(
                (
                    response,
                    response,
                    plan.patient,
                    plan.id,
                    code,
                    timepoint,
                    authored,
                    definition.loinc_score,
                    result.score,
                    "" if result.exact is None else str(result.exact),
                    result.unit,
                    result.band or "",
                    result.items_answered,
                    result.items_total,
                    result.valid,
                    (result.reason or "")[:300],
                    result.raw_sum,
                    definition.default_mcid,
                    dict(result.policy),
                )
            )
            yield (
                response,
                plan.patient,
                plan.id,
                code,
                forms[code],
                document,
                answers,
                authored,
                ResponseSource.PAPER,
                timepoint,
                users_of[plan.supervisor],
                now,
            )

    counts.rows["responses"] = load(
        Response,
        (
            "id",
            "patient_id",
            "plan_id",
            "instrument",
            "questionnaire_version",
            "questionnaire_response",
            "answers",
            "authored_at",
            "source",
            "timepoint",
            "entered_by_id",
            "created_at",
        ),
        response_rows(),
        advance,
    )
    counts.rows["scores"] = load(
        Score,
        (
            "id",
            "response_id",
            "patient_id",
            "plan_id",
            "instrument",
            "timepoint",
            "effective_at",
            "loinc_code",
            "value",
            "exact",
            "unit",
            "band",
            "items_answered",
            "items_total",
            "valid",
            "reason",
            "raw_sum",
            "mcid_key",
            "policy",
        ),
        score_rows,
    )


def analyze() -> None:
    """Planner statistics after the load: ANALYZE; on PostgreSQL VACUUM ANALYZE, which autovacuum does to a
    freshly loaded table on a running server anyway (it also sets the visibility map index-only scans use)."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def row_counts() -> dict[str, int]:
    out = {}
    with connection.cursor() as cursor:
        for name, model in (
            ("patients", Patient),
            ("conditions", Condition),
            ("plans", CarePlan),
            ("activities", Activity),
            ("appointments", Appointment),
            ("encounters", Encounter),
            ("responses", Response),
            ("scores", Score),
        ):
            cursor.execute(f"SELECT COUNT(*) FROM {model._meta.db_table}")
            out[name] = int(cursor.fetchone()[0])
    return out
