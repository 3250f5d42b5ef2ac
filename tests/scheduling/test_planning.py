"""The scheduling optimizer (tandem.scheduling.planning): small hand-made clinics with known answers, for the
greedy first-fit and for CP-SAT, and the independent hard-constraint checker.

Day 0 is a Monday; times are minutes from its midnight.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable

import pytest

from tandem.scheduling.planning import (
    DAY,
    Placement,
    Practitioner,
    Problem,
    Room,
    Rule,
    Solution,
    Visit,
    problem_errors,
    rule_instances,
    score,
    solve,
    solve_greedy,
    violations,
)

WEEKDAYS = range(5)
EQUIPMENT = {
    "chiropractic": "adjusting-table",
    "physical-therapy": "gym-floor",
    "massage-therapy": "massage-table",
}


def at(day: int, clock: str) -> int:
    hours, minutes = clock.split(":")
    return day * DAY + int(hours) * 60 + int(minutes)


def hours(days: range | list[int] | tuple[int, ...], start: str, end: str) -> tuple[tuple[int, int], ...]:
    return tuple((at(d, start), at(d, end)) for d in days)


def clinician(
    pid: int, discipline: str = "chiropractic", available: tuple[tuple[int, int], ...] | None = None
):
    return Practitioner(
        id=pid, discipline=discipline, available=available or hours(WEEKDAYS, "08:00", "17:00")
    )


def room(rid: int, *equipment: str, available: tuple[tuple[int, int], ...] | None = None) -> Room:
    return Room(
        id=rid, equipment=frozenset(equipment), available=available or hours(range(6), "07:00", "20:00")
    )


def visit(
    vid: str,
    *,
    activity: int = 1,
    discipline: str = "chiropractic",
    minutes: int = 30,
    week: int = 0,
    index: int = 0,
    practitioners: tuple[int, ...] = (1,),
    patient: int = 1,
    plan: int = 1,
    preferred: int | None = None,
) -> Visit:
    return Visit(
        id=vid,
        plan=plan,
        patient=patient,
        activity=activity,
        discipline=discipline,
        equipment=EQUIPMENT[discipline],
        minutes=minutes,
        week=week,
        index=index,
        practitioners=practitioners,
        preferred=preferred,
    )


def cpsat(problem: Problem) -> Solution:
    return solve(problem, time_limit=3.0, workers=2)


SOLVERS = [pytest.param(solve_greedy, id="greedy"), pytest.param(cpsat, id="cp-sat")]
Solver = Callable[[Problem], Solution]


def placed(solution: Solution) -> dict[str, Placement]:
    return {p.visit: p for p in solution.placements}


def checked(problem: Problem, solver: Solver) -> Solution:
    solution = solver(problem)
    assert violations(problem, solution.placements) == []
    assert {p.visit for p in solution.placements}.isdisjoint({u.visit for u in solution.unplaced})
    assert len(solution.placements) + len(solution.unplaced) == len(problem.visits)
    return solution


# Sequence rules ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS)
def test_it_books_the_massage_immediately_before_the_adjustment(solver: Solver) -> None:
    problem = Problem(
        days=7,
        visits=(
            visit("adjust", activity=1, minutes=30),
            visit("massage", activity=2, discipline="massage-therapy", minutes=60, practitioners=(2,)),
        ),
        practitioners=(clinician(1), clinician(2, "massage-therapy")),
        rooms=(room(10, "adjusting-table"), room(11, "massage-table")),
        rules=(Rule(plan=1, first=2, second=1, relation="immediately-before"),),
        # The chiropractor is busy on Monday morning, so the pair cannot start at 08:00 Monday.
        practitioner_busy={1: ((at(0, "08:00"), at(0, "12:00")),)},
    )
    solution = checked(problem, solver)
    got = placed(solution)
    assert got["massage"].start + 60 == got["adjust"].start
    assert got["adjust"].start >= at(0, "12:00")
    assert (solution.rules_total, solution.rules_met) == (1, 1)


@pytest.mark.parametrize("solver", SOLVERS)
def test_it_books_exercise_within_thirty_minutes_after_the_adjustment(solver: Solver) -> None:
    problem = Problem(
        days=7,
        visits=(
            visit("adjust", activity=1, minutes=30),
            visit("exercise", activity=3, discipline="physical-therapy", minutes=45, practitioners=(3,)),
        ),
        practitioners=(clinician(1), clinician(3, "physical-therapy")),
        rooms=(room(10, "adjusting-table"), room(12, "gym-floor")),
        rules=(Rule(plan=1, first=1, second=3, relation="within-after", min_gap=0, max_gap=30),),
        # The physical therapist is busy right after every possible early adjustment on Monday.
        practitioner_busy={3: ((at(0, "08:00"), at(0, "09:00")),)},
    )
    solution = checked(problem, solver)
    got = placed(solution)
    gap = got["exercise"].start - (got["adjust"].start + 30)
    assert 0 <= gap <= 30
    assert got["exercise"].start // DAY == got["adjust"].start // DAY
    assert solution.rules_met == 1


@pytest.mark.parametrize("solver", SOLVERS)
def test_it_keeps_a_not_same_day_pair_apart(solver: Solver) -> None:
    problem = Problem(
        days=7,
        visits=(
            visit("adjust", activity=1),
            visit("massage", activity=2, discipline="massage-therapy", minutes=60, practitioners=(2,)),
        ),
        practitioners=(clinician(1), clinician(2, "massage-therapy")),
        rooms=(room(10, "adjusting-table"), room(11, "massage-table")),
        rules=(Rule(plan=1, first=2, second=1, relation="not-same-day"),),
    )
    solution = checked(problem, solver)
    got = placed(solution)
    assert got["adjust"].start // DAY != got["massage"].start // DAY
    assert solution.rules_met == 1


def test_rule_instances_pair_the_kth_visits_of_each_week() -> None:
    problem = Problem(
        days=14,
        visits=(
            visit("a-w0-k0", activity=1, index=0),
            visit("a-w0-k1", activity=1, index=1),
            visit("b-w0-k0", activity=2, index=0, discipline="massage-therapy"),
            visit("a-w1-k0", activity=1, week=1),
            visit("b-w1-k0", activity=2, week=1, discipline="massage-therapy"),
            visit("other-plan", activity=2, plan=2, discipline="massage-therapy"),
        ),
        practitioners=(),
        rooms=(),
        rules=(Rule(plan=1, first=2, second=1, relation="immediately-before"),),
    )
    assert [(a, b) for _, a, b in rule_instances(problem)] == [("b-w0-k0", "a-w0-k0"), ("b-w1-k0", "a-w1-k0")]


# Availability -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS)
def test_it_books_only_inside_the_patients_windows(solver: Solver) -> None:
    problem = Problem(
        days=7,
        visits=(visit("k0", index=0), visit("k1", index=1)),
        practitioners=(clinician(1, available=hours(WEEKDAYS, "08:00", "18:00")),),
        rooms=(room(10, "adjusting-table"),),
        patient_windows={1: hours(WEEKDAYS, "16:00", "20:00")},
    )
    solution = checked(problem, solver)
    starts = [p.start for p in solution.placements]
    assert len(starts) == 2
    assert all(at(0, "16:00") <= s % DAY and s % DAY + 30 <= at(0, "18:00") for s in starts)
    assert len({s // DAY for s in starts}) == 2  # one adjustment a day


@pytest.mark.parametrize("solver", SOLVERS)
def test_it_books_around_the_practitioners_time_off(solver: Solver) -> None:
    problem = Problem(
        days=7,
        visits=tuple(visit(f"k{k}", index=k) for k in range(3)),
        practitioners=(clinician(1, available=hours([2, 3, 4], "08:00", "17:00")),),  # off Monday and Tuesday
        rooms=(room(10, "adjusting-table"),),
    )
    solution = checked(problem, solver)
    assert sorted(p.start // DAY for p in solution.placements) == [2, 3, 4]


@pytest.mark.parametrize("solver", SOLVERS)
def test_it_never_books_before_the_earliest_minute(solver: Solver) -> None:
    problem = Problem(
        days=7,
        visits=(visit("k0"),),
        practitioners=(clinician(1),),
        rooms=(room(10, "adjusting-table"),),
        earliest=at(2, "10:05"),
    )
    solution = checked(problem, solver)
    # Both solvers take the earliest time of equal worth: CP-SAT by its second, earliest-first pass.
    assert solution.placements[0].start == at(2, "10:15")


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_fully_booked_preferred_practitioner_sends_the_visit_to_a_colleague(solver: Solver) -> None:
    base = Problem(
        days=7,
        visits=(visit("k0", practitioners=(1, 2), preferred=1),),
        practitioners=(clinician(1), clinician(2)),
        rooms=(room(10, "adjusting-table"),),
    )
    assert checked(base, solver).placements[0].practitioner == 1
    full = dataclasses.replace(base, practitioner_busy={1: hours(WEEKDAYS, "08:00", "17:00")})
    solution = checked(full, solver)
    assert solution.placements[0].practitioner == 2
    assert solution.objective == 1000  # booked, without the preferred practitioner's bonus


@pytest.mark.parametrize("solver", SOLVERS)
def test_it_keeps_one_practitioner_for_an_activity_when_it_can(solver: Solver) -> None:
    # Practitioner 1 (listed first) works only Monday; practitioner 2 all week: three visits fit with 2 alone.
    problem = Problem(
        days=7,
        visits=tuple(visit(f"k{k}", index=k, practitioners=(1, 2)) for k in range(3)),
        practitioners=(clinician(1, available=hours([0], "08:00", "17:00")), clinician(2)),
        rooms=(room(10, "adjusting-table"),),
    )
    solution = checked(problem, solver)
    if solver is cpsat:
        assert {p.practitioner for p in solution.placements} == {2}
        assert solution.continuity == 1.0
    assert len(solution.placements) == 3


@pytest.mark.parametrize("solver", SOLVERS)
def test_it_puts_each_visit_in_a_room_with_its_equipment(solver: Solver) -> None:
    problem = Problem(
        days=7,
        visits=(
            visit("massage", activity=2, discipline="massage-therapy", minutes=60, practitioners=(2,)),
            visit("adjust", activity=1),
        ),
        practitioners=(clinician(1), clinician(2, "massage-therapy")),
        rooms=(room(10, "adjusting-table"), room(11, "gym-floor"), room(12, "massage-table")),
    )
    got = placed(checked(problem, solver))
    assert got["massage"].room == 12
    assert got["adjust"].room == 10


@pytest.mark.parametrize("solver", SOLVERS)
def test_rooms_with_different_hours_and_bookings_are_respected(solver: Solver) -> None:
    problem = Problem(
        days=7,
        visits=tuple(
            visit(
                f"m{i}", activity=i, patient=i, discipline="massage-therapy", minutes=60, practitioners=(2, 3)
            )
            for i in range(4)
        ),
        practitioners=(
            clinician(2, "massage-therapy", hours([0], "08:00", "20:00")),
            clinician(3, "massage-therapy", hours([0], "08:00", "20:00")),
        ),
        rooms=(
            room(11, "massage-table", available=hours([0], "08:00", "12:00")),
            room(12, "massage-table", available=hours([0], "12:00", "20:00")),
        ),
        room_busy={12: ((at(0, "16:00"), at(0, "18:00")),)},
        patient_windows={i: hours([0], "16:00", "20:00") for i in range(4)},
    )
    solution = checked(problem, solver)
    assert {p.room for p in solution.placements} == {12}
    assert sorted(p.start for p in solution.placements) == [at(0, "18:00"), at(0, "19:00")]
    assert len(solution.unplaced) == 2


@pytest.mark.parametrize("solver", SOLVERS)
def test_interchangeable_rooms_are_shared_without_overlap(solver: Solver) -> None:
    problem = Problem(
        days=1,
        visits=tuple(
            visit(f"v{i}", activity=i, patient=i, practitioners=(1, 2, 3), minutes=60) for i in range(6)
        ),
        practitioners=tuple(clinician(p, available=hours([0], "08:00", "10:00")) for p in (1, 2, 3)),
        rooms=(room(10, "adjusting-table"), room(11, "adjusting-table")),
    )
    solution = checked(problem, solver)
    assert len(solution.placements) == 4  # two rooms, two hours


# What cannot be placed, and why -----------------------------------------------------------------------------


def _one(discipline: str = "massage-therapy", **changes: object) -> Problem:
    problem = Problem(
        days=7,
        visits=(visit("v", activity=2, discipline=discipline, minutes=60, practitioners=(2,)),),
        practitioners=(clinician(2, discipline),),
        rooms=(room(11, EQUIPMENT[discipline]),),
    )
    return dataclasses.replace(problem, **changes)


REASONS = [
    pytest.param(
        _one("physical-therapy", patient_windows={1: hours(WEEKDAYS, "17:00", "20:00")}),
        "No physical therapist works during the patient's availability in week 1",
        id="hours-vs-windows",
    ),
    pytest.param(
        _one(
            practitioner_busy={2: hours(WEEKDAYS, "08:00", "17:00")},
            patient_windows={1: hours(WEEKDAYS, "08:00", "20:00")},
        ),
        "Every massage therapist is fully booked during the patient's availability in week 1",
        id="practitioner-booked",
    ),
    pytest.param(
        _one(practitioner_busy={2: hours(WEEKDAYS, "08:00", "17:00")}),
        "Every massage therapist is fully booked in week 1",
        id="practitioner-booked-no-windows",
    ),
    pytest.param(
        _one(room_busy={11: hours(range(6), "07:00", "20:00")}),
        "No room with a massage table is free when a massage therapist and the patient are in week 1",
        id="room-booked",
    ),
    pytest.param(
        _one(rooms=(room(10, "adjusting-table"),)),
        "The location has no room with a massage table",
        id="no-such-room",
    ),
    pytest.param(
        _one(patient_busy={1: hours(WEEKDAYS, "07:00", "18:00")}),
        "The patient already has appointments whenever a massage therapist and a room with a massage table "
        "are free in week 1",
        id="patient-booked",
    ),
    pytest.param(_one(earliest=7 * DAY), "Week 1 is already over", id="week-over"),
    pytest.param(
        _one(visits=(visit("v", activity=2, discipline="massage-therapy", practitioners=(99,)),)),
        "No massage therapist is on the schedule at this location",
        id="nobody",
    ),
]


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(("problem", "reason"), REASONS)
def test_an_unplaceable_visit_names_the_constraint_that_stopped_it(
    solver: Solver, problem: Problem, reason: str
) -> None:
    solution = checked(problem, solver)
    assert solution.placements == []
    assert [u.reason for u in solution.unplaced] == [reason]


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_third_weekly_visit_with_two_free_days_is_stopped_by_the_one_a_day_rule(solver: Solver) -> None:
    problem = Problem(
        days=7,
        visits=tuple(visit(f"k{k}", index=k) for k in range(3)),
        practitioners=(clinician(1),),
        rooms=(room(10, "adjusting-table"),),
        patient_windows={1: hours([0, 2], "08:00", "17:00")},  # Mondays and Wednesdays only
    )
    solution = checked(problem, solver)
    assert len(solution.placements) == 2
    assert [u.reason for u in solution.unplaced] == [
        "The patient already has 2 visits of this activity that week on every free day"
    ]


# CP-SAT against first fit -----------------------------------------------------------------------------------


def test_cpsat_books_what_first_fit_misses() -> None:
    # One chiropractor, Monday 08:00-10:00. The more constrained patient (08:30-10:00) goes first and takes
    # 08:30, which leaves no hour for the other; the optimum is 08:00 and 09:00.
    problem = Problem(
        days=7,
        visits=(
            visit("x", activity=1, patient=1, plan=1, minutes=60),
            visit("y", activity=2, patient=2, plan=2, minutes=60),
        ),
        practitioners=(clinician(1, available=hours([0], "08:00", "10:00")),),
        rooms=(room(10, "adjusting-table"),),
        patient_windows={1: hours([0], "08:00", "10:00"), 2: hours([0], "08:30", "10:00")},
    )
    greedy = checked(problem, solve_greedy)
    best = checked(problem, cpsat)
    assert len(greedy.placements) == 1
    assert greedy.status == "greedy" and greedy.bound is None and greedy.gap is None
    assert len(best.placements) == 2
    assert (best.method, best.status) == ("cp-sat", "optimal")
    assert best.objective == best.bound == 2000
    assert best.gap == 0.0
    assert placed(best)["x"].start == at(0, "08:00")


@pytest.mark.parametrize("seed", range(4))
def test_cpsat_is_valid_and_never_worse_than_greedy_on_random_clinics(seed: int) -> None:
    problem = _random_problem(random.Random(seed))
    greedy = checked(problem, solve_greedy)
    best = checked(problem, lambda p: solve(p, time_limit=2.0, workers=2, seed=seed))
    assert len(best.placements) >= len(greedy.placements)
    assert best.objective >= greedy.objective
    assert best.bound is not None and best.bound >= best.objective
    assert best.objective == score(problem, best.placements).objective


def _random_problem(rng: random.Random) -> Problem:
    disciplines = list(EQUIPMENT)
    practitioners = []
    for pid in range(1, 5):
        days = sorted(rng.sample(range(5), rng.randint(2, 5)))
        start = rng.choice(["07:00", "08:00", "12:00"])
        end = {"07:00": "13:30", "08:00": "17:00", "12:00": "20:00"}[start]
        practitioners.append(clinician(pid, disciplines[pid % 3], hours(days, start, end)))
    rooms = [room(10 + i, EQUIPMENT[disciplines[i % 3]]) for i in range(3)]
    rooms.append(room(20, "massage-table", available=hours(range(5), "12:00", "20:00")))  # rooms differ
    visits = []
    rules = []
    windows = {}
    for patient in range(1, 7):
        if rng.random() < 0.5:
            windows[patient] = hours(range(5), rng.choice(["08:00", "15:00"]), "20:00")
        chosen = rng.sample(disciplines, rng.randint(1, 3))
        for n, d in enumerate(chosen):
            activity = patient * 10 + n
            people = tuple(p.id for p in practitioners if p.discipline == d)
            for week in range(2):
                for k in range(rng.randint(1, 2)):
                    visits.append(
                        visit(
                            f"p{patient}-a{activity}-w{week}-k{k}",
                            activity=activity,
                            discipline=d,
                            minutes=rng.choice([30, 45, 60]),
                            week=week,
                            index=k,
                            practitioners=people,
                            patient=patient,
                            plan=patient,
                            preferred=people[0] if people else None,
                        )
                    )
        if "massage-therapy" in chosen and "chiropractic" in chosen:
            rules.append(
                Rule(
                    plan=patient,
                    first=patient * 10 + chosen.index("massage-therapy"),
                    second=patient * 10 + chosen.index("chiropractic"),
                    relation="immediately-before",
                )
            )
    return Problem(
        days=14,
        visits=tuple(visits),
        practitioners=tuple(practitioners),
        rooms=tuple(rooms),
        rules=tuple(rules),
        patient_windows=windows,
        practitioner_busy={1: ((at(0, "08:00"), at(0, "11:00")),)},
        room_busy={20: ((at(1, "12:00"), at(1, "16:00")),)},
        patient_busy={1: ((at(2, "08:00"), at(2, "20:00")),)},
        earliest=at(0, "09:00"),
    )


# Scoring ----------------------------------------------------------------------------------------------------


def test_score_counts_bookings_rules_continuity_and_the_preferred_practitioner() -> None:
    problem = Problem(
        days=7,
        visits=tuple(visit(f"k{k}", index=k, practitioners=(1, 2), preferred=1) for k in range(4)),
        practitioners=(clinician(1), clinician(2)),
        rooms=(room(10, "adjusting-table"),),
    )
    placements = [
        Placement(visit=f"k{k}", start=at(k, "09:00"), practitioner=1 if k < 3 else 2, room=10)
        for k in range(4)
    ]
    measured = score(problem, placements)
    assert measured.booked == 4
    assert measured.continuity == 0.75
    assert measured.objective == 4 * 1000 - 20 + 3 * 5


# The checker ------------------------------------------------------------------------------------------------


def _checker_problem(**changes: object) -> Problem:
    problem = Problem(
        days=14,
        visits=(
            visit("v1", index=0),
            visit("v2", index=1),
            visit("other-patient", activity=5, patient=2, plan=2, practitioners=(1, 2)),
            visit("same-patient", activity=6, discipline="massage-therapy", practitioners=(3,)),
        ),
        practitioners=(
            clinician(1),
            clinician(2),
            clinician(3, "massage-therapy"),
            clinician(4, "massage-therapy"),
        ),
        rooms=(
            room(10, "adjusting-table"),
            room(11, "adjusting-table"),
            room(12, "massage-table"),
            room(13, "adjusting-table", available=hours(WEEKDAYS, "13:00", "20:00")),
        ),
    )
    return dataclasses.replace(problem, **changes)


VALID = [
    Placement("v1", at(0, "09:00"), 1, 10),
    Placement("v2", at(1, "09:00"), 1, 10),
    Placement("other-patient", at(0, "09:00"), 2, 11),
    Placement("same-patient", at(0, "10:00"), 3, 12),
]


def _with(visit_id: str, **changes: int) -> list[Placement]:
    return [dataclasses.replace(p, **changes) if p.visit == visit_id else p for p in VALID]


BROKEN = [
    pytest.param({}, _with("v1", start=at(0, "09:05")), "does not start on the 15-minute grid", id="grid"),
    pytest.param({"earliest": at(0, "10:00")}, VALID, "starts before the earliest", id="earliest"),
    pytest.param({}, _with("v1", start=at(8, "09:00")), "starts outside its week 0", id="week"),
    pytest.param(
        {"practitioners": (clinician(1, available=((at(0, "20:00"), at(1, "02:00")),)), clinician(2))},
        _with("v1", start=at(0, "23:45")),
        "crosses midnight",
        id="midnight",
    ),
    pytest.param({}, _with("v1", practitioner=2), "practitioner 2 is not a candidate", id="candidate"),
    pytest.param(
        {"visits": (visit("v1", practitioners=(3,)),)},
        [Placement("v1", at(0, "09:00"), 3, 10)],
        "practitioner 3 practises massage-therapy",
        id="discipline",
    ),
    pytest.param({}, _with("v1", start=at(0, "17:00")), "practitioner 1 is not working then", id="hours"),
    pytest.param({}, _with("v1", room=12), "room 12 has no adjusting-table", id="equipment"),
    pytest.param({}, _with("v1", room=13), "room 13 is not open then", id="room-hours"),
    pytest.param(
        {"patient_windows": {1: hours(WEEKDAYS, "16:00", "20:00")}},
        VALID,
        "outside the patient's availability",
        id="window",
    ),
    pytest.param(
        {}, _with("other-patient", practitioner=1), "practitioner 1 is double-booked", id="practitioner"
    ),
    pytest.param({}, _with("other-patient", room=10), "room 10 is double-booked", id="room"),
    pytest.param({}, _with("same-patient", start=at(0, "09:15")), "patient 1 is double-booked", id="patient"),
    pytest.param(
        {"practitioner_busy": {1: ((at(1, "09:15"), at(1, "09:45")),)}},
        VALID,
        "practitioner 1 is already booked",
        id="practitioner-busy",
    ),
    pytest.param(
        {"room_busy": {12: ((at(0, "10:15"), at(0, "10:45")),)}},
        VALID,
        "room 12 is already booked",
        id="room-busy",
    ),
    pytest.param(
        {"patient_busy": {2: ((at(0, "08:00"), at(0, "09:15")),)}},
        VALID,
        "patient 2 is already booked",
        id="patient-busy",
    ),
    pytest.param(
        {}, _with("v2", start=at(0, "11:00")), "two visits of one activity on day 0", id="one-a-day"
    ),
    pytest.param(
        {}, [*VALID, Placement("ghost", at(0, "12:00"), 1, 10)], "ghost: no such visit", id="unknown"
    ),
    pytest.param({}, [*VALID, VALID[0]], "v1: placed twice", id="twice"),
]


def test_the_checker_accepts_a_valid_schedule() -> None:
    assert violations(_checker_problem(), VALID) == []


@pytest.mark.parametrize(("changes", "placements", "expected"), BROKEN)
def test_the_checker_catches_every_kind_of_violation(
    changes: dict[str, object], placements: list[Placement], expected: str
) -> None:
    found = violations(_checker_problem(**changes), placements)
    assert any(expected in message for message in found), found


def test_the_checker_catches_a_long_visit_overlapping_a_later_one_it_does_not_directly_precede() -> None:
    problem = Problem(
        days=7,
        visits=(
            visit("long", activity=1, patient=1, plan=1, minutes=120),
            visit("short", activity=2, patient=2, plan=2, minutes=15),
            visit("later", activity=3, patient=3, plan=3, minutes=30),
        ),
        practitioners=(clinician(1),),
        rooms=(room(10, "adjusting-table"), room(11, "adjusting-table"), room(12, "adjusting-table")),
    )
    placements = [
        Placement("long", at(0, "09:00"), 1, 10),
        Placement("short", at(0, "09:00"), 1, 11),
        Placement("later", at(0, "10:00"), 1, 12),
    ]
    found = violations(problem, placements)
    assert any("long and later" in m for m in found), found


# Bad input --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        pytest.param(_one(visits=(visit("v"), visit("v"))), "Visit v appears twice", id="duplicate"),
        pytest.param(_one(visits=(visit("v", minutes=0),)), "lasts 0 minutes", id="minutes"),
        pytest.param(_one(rules=(Rule(1, 1, 2, "sometimes"),)), "Unknown sequence relation", id="relation"),
        pytest.param(
            _one(rules=(Rule(1, 1, 2, "within-after", 30, 10),)), "minimum gap (30) exceeds", id="gaps"
        ),
        pytest.param(_one(grid=7), "must divide a day", id="grid"),
    ],
)
@pytest.mark.parametrize("solver", SOLVERS)
def test_a_malformed_problem_is_refused_with_a_clear_message(
    solver: Solver, problem: Problem, message: str
) -> None:
    assert any(message in e for e in problem_errors(problem))
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        solver(problem)


@pytest.mark.parametrize("solver", SOLVERS)
def test_an_empty_problem_has_an_empty_answer(solver: Solver) -> None:
    solution = checked(_one(visits=()), solver)
    assert solution.placements == [] and solution.unplaced == []
    assert solution.objective == 0 and solution.continuity == 1.0
