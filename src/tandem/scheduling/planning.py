"""The scheduling optimizer's model: a plan-of-care booking problem, its solutions and the hard-constraint
checker.

Pure module, no Django: scheduling/booking.py turns the database into a `Problem` and a `Solution` back into
appointments. Two solvers share this model: `solve_greedy` (first-fit, the baseline and fallback, greedy.py)
and `solve` (OR-Tools CP-SAT hinted with the greedy answer, cpsat.py).

Time is integer minutes from the horizon start (day 0, 00:00 clinic local time); day d covers [1440d,
1440d+1440). Intervals are half-open (start, end). Touching or overlapping intervals of one `available` (or
windows) list are one stretch of time: a visit may run from one into the next (08:00-12:00 and 12:00-13:00
hold a visit at 11:45).

HARD constraints (checked independently by `violations`):
- a visit starts on the grid, at or after `earliest`, within its week, inside its practitioner's and its
  room's availability and the patient's windows (when the patient has any), and does not cross midnight;
- the practitioner is one of the visit's candidates (and of its discipline); the room has the visit's
  equipment;
- no practitioner, room or patient has two overlapping visits, nor a visit overlapping a busy interval;
- the visits of one activity in one week fall on different days.

SOFT, the objective (maximised): 1000 per booked visit; 50 per rule instance met; -20 for every additional
distinct practitioner an activity uses beyond its first; +5 per visit booked with the activity's preferred
practitioner. Rule gaps (`min_gap`, `max_gap`) default to 0: "immediately-before" with no gaps is back to
back.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

GRID = 15
DAY = 1440
WEEK_DAYS = 7
Interval = tuple[int, int]

RELATIONS: tuple[str, ...] = ("immediately-before", "within-after", "same-day", "not-same-day")
SAME_DAY_RELATIONS: frozenset[str] = frozenset({"immediately-before", "within-after", "same-day"})
GAP_RELATIONS: frozenset[str] = frozenset({"immediately-before", "within-after"})

WEIGHT_BOOKED = 1000
WEIGHT_RULE = 50
WEIGHT_EXTRA_PRACTITIONER = 20
WEIGHT_PREFERRED = 5


# The problem ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Practitioner:
    id: int
    discipline: str  # "chiropractic" | "physical-therapy" | "massage-therapy"
    available: tuple[
        Interval, ...
    ]  # working hours minus breaks and time off, at this location, in the horizon


@dataclass(frozen=True)
class Room:
    id: int
    equipment: frozenset[str]  # "adjusting-table" | "massage-table" | "gym-floor"
    available: tuple[Interval, ...]  # opening hours of the location


@dataclass(frozen=True)
class Visit:
    id: str  # unique, e.g. "p12-a34-w2-k1"
    plan: int
    patient: int
    activity: int
    discipline: str
    equipment: str  # what the room must have
    minutes: int  # multiple of GRID
    week: int  # 0-based; the visit starts within days [7*week, 7*week+7)
    index: int  # k-th visit of this activity in this week, 0-based
    practitioners: tuple[int, ...]  # candidate practitioner ids, preferred first (all of the discipline)
    preferred: int | None = None  # the plan's preferred practitioner for this activity


@dataclass(frozen=True)
class Rule:
    """A plan's same-day sequence rule between two of its activities (ids)."""

    plan: int
    first: int
    second: int
    relation: str  # one of RELATIONS
    min_gap: int | None = None  # minutes; None is 0
    max_gap: int | None = None  # minutes; None is 0


@dataclass(frozen=True)
class Problem:
    days: int  # horizon length in days (42 for 6 weeks)
    visits: tuple[Visit, ...]
    practitioners: tuple[Practitioner, ...]
    rooms: tuple[Room, ...]
    rules: tuple[Rule, ...] = ()
    patient_windows: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict)  # absent: any time
    practitioner_busy: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict)  # booked, fixed
    room_busy: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict)
    patient_busy: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict)
    earliest: int = 0  # nothing starts before this minute
    grid: int = GRID


# The answer -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    visit: str
    start: int
    practitioner: int
    room: int


@dataclass(frozen=True)
class Unplaced:
    visit: str
    reason: str  # plain language naming the constraint that stopped it


@dataclass
class Solution:
    method: str  # "cp-sat" or "greedy"
    status: str  # "optimal" | "feasible" | "greedy" | "greedy-fallback"
    placements: list[Placement]
    unplaced: list[Unplaced]
    objective: float
    bound: float | None  # CP-SAT's proven upper bound on the objective (None for greedy)
    wall_seconds: float
    rules_total: int
    rules_met: int
    continuity: float  # 0..1: share of an activity's visits done by its most-used practitioner, weighted

    @property
    def gap(self) -> float | None:
        """(bound - objective) / bound; 0 when proven optimal, None without a bound."""
        if self.bound is None:
            return None
        if self.bound <= 0:
            return 0.0
        return max(0.0, (self.bound - self.objective) / self.bound)


def solve_greedy(problem: Problem) -> Solution:
    """First-fit: most constrained visits first, each at the earliest free slot, keeping one practitioner per
    activity where it can and placing sequence-rule pairs together."""
    from tandem.scheduling.greedy import greedy_solve

    return greedy_solve(problem)


def solve(
    problem: Problem, *, time_limit: float = 10.0, workers: int | None = None, seed: int = 0
) -> Solution:
    """CP-SAT within `time_limit` seconds of wall time in all (greedy and model building included), hinted
    with the greedy solution. Returns the greedy solution (status "greedy-fallback") when CP-SAT finds nothing
    at least as good; never books fewer visits than greedy."""
    from tandem.scheduling.cpsat import cpsat_solve

    return cpsat_solve(problem, time_limit=time_limit, workers=workers, seed=seed)


# Checking the input -----------------------------------------------------------------------------------------


def problem_errors(problem: Problem) -> list[str]:
    """What makes the problem itself unusable (not a scheduling conflict); [] when it is well formed."""
    errors: list[str] = []
    if problem.grid <= 0 or DAY % problem.grid:
        errors.append(f"The grid ({problem.grid} minutes) must divide a day evenly.")
        return errors
    if problem.days < 0:
        errors.append("The horizon cannot have a negative number of days.")
    seen: set[str] = set()
    for v in problem.visits:
        if v.id in seen:
            errors.append(f"Visit {v.id} appears twice.")
        seen.add(v.id)
        if v.minutes <= 0 or v.minutes > DAY:
            errors.append(f"Visit {v.id} lasts {v.minutes} minutes; a visit lasts 1 to {DAY} minutes.")
        if v.week < 0 or v.index < 0:
            errors.append(f"Visit {v.id} has a negative week or index.")
    for rule in problem.rules:
        if rule.relation not in RELATIONS:
            errors.append(f"Unknown sequence relation {rule.relation!r}; use one of {', '.join(RELATIONS)}.")
        low, high = rule.min_gap or 0, rule.max_gap or 0
        if rule.relation in GAP_RELATIONS and low > high:
            errors.append(f"A {rule.relation} rule's minimum gap ({low}) exceeds its maximum gap ({high}).")
    ids = [p.id for p in problem.practitioners]
    if len(ids) != len(set(ids)):
        errors.append("A practitioner appears twice.")
    rooms = [r.id for r in problem.rooms]
    if len(rooms) != len(set(rooms)):
        errors.append("A room appears twice.")
    return errors


def check_problem(problem: Problem) -> None:
    errors = problem_errors(problem)
    if errors:
        raise ValueError(" ".join(errors))


# Interval arithmetic on half-open minute intervals ----------------------------------------------------------


def normalize(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with overlapping and touching intervals merged and empty ones dropped."""
    out: list[list[int]] = []
    for a, b in sorted(intervals):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def split_days(intervals: Iterable[Interval]) -> list[Interval]:
    """The intervals cut at every midnight (visits never cross one)."""
    out: list[Interval] = []
    for a, b in intervals:
        while a < b:
            cut = min(b, (a // DAY + 1) * DAY)
            out.append((a, cut))
            a = cut
    return out


def subtract(base: Sequence[Interval], remove: Sequence[Interval]) -> list[Interval]:
    """`base` minus `remove`; both normalized."""
    out: list[Interval] = []
    j = 0
    for a, b in base:
        while j < len(remove) and remove[j][1] <= a:
            j += 1
        k = j
        cur = a
        while k < len(remove) and remove[k][0] < b:
            ra, rb = remove[k]
            if ra > cur:
                out.append((cur, ra))
            cur = max(cur, rb)
            k += 1
        if cur < b:
            out.append((cur, b))
    return out


def intersect(x: Sequence[Interval], y: Sequence[Interval]) -> list[Interval]:
    """Intersection of two normalized lists (works as well for closed integer ranges shifted by one)."""
    out: list[Interval] = []
    i = j = 0
    while i < len(x) and j < len(y):
        a, b = max(x[i][0], y[j][0]), min(x[i][1], y[j][1])
        if a < b:
            out.append((a, b))
        if x[i][1] < y[j][1]:
            i += 1
        else:
            j += 1
    return out


def covers(intervals: Sequence[Interval], start: int, end: int) -> bool:
    """Whether one interval of the normalized list holds [start, end)."""
    i = bisect.bisect_right(intervals, (start, float("inf"))) - 1
    return i >= 0 and intervals[i][0] <= start and end <= intervals[i][1]


def overlaps(intervals: Sequence[Interval], start: int, end: int) -> bool:
    """Whether [start, end) overlaps any interval of the normalized list."""
    i = bisect.bisect_left(intervals, (end, -1)) - 1  # last interval starting before `end`
    return i >= 0 and intervals[i][1] > start


# Pairing and scoring ----------------------------------------------------------------------------------------


def activity_week_groups(problem: Problem) -> dict[tuple[int, int, int], list[Visit]]:
    """(plan, activity, week) -> its visits by index."""
    groups: dict[tuple[int, int, int], list[Visit]] = defaultdict(list)
    for v in problem.visits:
        groups[(v.plan, v.activity, v.week)].append(v)
    for visits in groups.values():
        visits.sort(key=lambda v: (v.index, v.id))
    return groups


def rule_instances(problem: Problem) -> list[tuple[Rule, str, str]]:
    """(rule, first visit id, second visit id): in each week the k-th visit of the rule's first activity pairs
    with the k-th visit of its second, for k below both counts."""
    groups = activity_week_groups(problem)
    weeks = sorted({v.week for v in problem.visits})
    out: list[tuple[Rule, str, str]] = []
    for rule in problem.rules:
        for week in weeks:
            firsts = groups.get((rule.plan, rule.first, week), [])
            seconds = groups.get((rule.plan, rule.second, week), [])
            out.extend((rule, a.id, b.id) for a, b in zip(firsts, seconds, strict=False))
    return out


def rule_met(rule: Rule, first: Visit, first_start: int, second_start: int) -> bool:
    """Whether two placed visits (the rule's first, its second) satisfy the rule."""
    same_day = first_start // DAY == second_start // DAY
    if rule.relation == "not-same-day":
        return not same_day
    if not same_day:
        return False
    if rule.relation in GAP_RELATIONS:
        gap = second_start - (first_start + first.minutes)
        return (rule.min_gap or 0) <= gap <= (rule.max_gap or 0)
    return rule.relation == "same-day"


@dataclass(frozen=True)
class Score:
    booked: int
    objective: int
    rules_total: int
    rules_met: int
    continuity: float


def score(problem: Problem, placements: Iterable[Placement]) -> Score:
    """The objective and the reported measures of a set of placements (assumed valid)."""
    by_id = {v.id: v for v in problem.visits}
    placed = {p.visit: p for p in placements if p.visit in by_id}
    instances = rule_instances(problem)
    met = 0
    for rule, a, b in instances:
        if a in placed and b in placed:
            met += rule_met(rule, by_id[a], placed[a].start, placed[b].start)
    per_activity: dict[tuple[int, int], Counter[int]] = defaultdict(Counter)
    preferred = 0
    for p in placed.values():
        v = by_id[p.visit]
        per_activity[(v.plan, v.activity)][p.practitioner] += 1
        preferred += v.preferred is not None and p.practitioner == v.preferred
    extra = sum(len(c) - 1 for c in per_activity.values())
    kept = sum(max(c.values()) for c in per_activity.values())
    objective = (
        WEIGHT_BOOKED * len(placed)
        + WEIGHT_RULE * met
        - WEIGHT_EXTRA_PRACTITIONER * extra
        + WEIGHT_PREFERRED * preferred
    )
    return Score(
        booked=len(placed),
        objective=objective,
        rules_total=len(instances),
        rules_met=met,
        continuity=kept / len(placed) if placed else 1.0,
    )


# The independent checker ------------------------------------------------------------------------------------


def violations(problem: Problem, placements: Iterable[Placement]) -> list[str]:
    """Every broken HARD constraint of `placements`, in plain words; [] when they are valid.

    Deliberately written apart from the solvers (no shared precomputation) so that it can catch their
    mistakes.
    """
    out: list[str] = []
    grid = problem.grid
    by_id = {v.id: v for v in problem.visits}
    practitioners = {p.id: p for p in problem.practitioners}
    rooms = {r.id: r for r in problem.rooms}
    available = {p.id: normalize(p.available) for p in problem.practitioners}
    opening = {r.id: normalize(r.available) for r in problem.rooms}
    windows = {k: normalize(v) for k, v in problem.patient_windows.items()}
    seen: set[str] = set()
    placed: list[tuple[Placement, Visit]] = []
    for p in placements:
        v = by_id.get(p.visit)
        if v is None:
            out.append(f"{p.visit}: no such visit in the problem")
            continue
        if p.visit in seen:
            out.append(f"{p.visit}: placed twice")
            continue
        seen.add(p.visit)
        placed.append((p, v))
        start, end = p.start, p.start + v.minutes
        where = f"{v.id} at {_clock(start)}"
        if start % grid:
            out.append(f"{where}: does not start on the {grid}-minute grid")
        if start < problem.earliest:
            out.append(f"{where}: starts before the earliest allowed minute {problem.earliest}")
        if not (WEEK_DAYS * DAY * v.week <= start < WEEK_DAYS * DAY * (v.week + 1)):
            out.append(f"{where}: starts outside its week {v.week}")
        if start < 0 or end > problem.days * DAY:
            out.append(f"{where}: lies outside the {problem.days}-day horizon")
        if start // DAY != (end - 1) // DAY:
            out.append(f"{where}: crosses midnight")
        person = practitioners.get(p.practitioner)
        if person is None:
            out.append(f"{where}: practitioner {p.practitioner} is not in the problem")
        else:
            if p.practitioner not in v.practitioners:
                out.append(f"{where}: practitioner {p.practitioner} is not a candidate for this visit")
            if person.discipline != v.discipline:
                out.append(f"{where}: practitioner {p.practitioner} practises {person.discipline}")
            if not covers(available[p.practitioner], start, end):
                out.append(f"{where}: practitioner {p.practitioner} is not working then")
        room = rooms.get(p.room)
        if room is None:
            out.append(f"{where}: room {p.room} is not in the problem")
        else:
            if v.equipment not in room.equipment:
                out.append(f"{where}: room {p.room} has no {v.equipment}")
            if not covers(opening[p.room], start, end):
                out.append(f"{where}: room {p.room} is not open then")
        if v.patient in windows and not covers(windows[v.patient], start, end):
            out.append(f"{where}: outside the patient's availability")
    resources: list[tuple[str, dict[int, list[tuple[int, int, str]]], Mapping[int, tuple[Interval, ...]]]] = [
        ("practitioner", defaultdict(list), problem.practitioner_busy),
        ("room", defaultdict(list), problem.room_busy),
        ("patient", defaultdict(list), problem.patient_busy),
    ]
    for p, v in placed:
        for name, table, _ in resources:
            key = {"practitioner": p.practitioner, "room": p.room, "patient": v.patient}[name]
            table[key].append((p.start, p.start + v.minutes, v.id))
    for name, table, busy in resources:
        for key, items in table.items():
            items.sort()
            for i, (_a1, b1, id1) in enumerate(items):
                for a2, _b2, id2 in items[i + 1 :]:
                    if a2 >= b1:
                        break
                    out.append(f"{id1} and {id2}: {name} {key} is double-booked at {_clock(a2)}")
            fixed = normalize(busy.get(key, ()))
            for a, b, vid in items:
                if overlaps(fixed, a, b):
                    out.append(f"{vid}: {name} {key} is already booked at {_clock(a)}")
    days: dict[tuple[int, int, int], dict[int, str]] = defaultdict(dict)
    for p, v in placed:
        group = days[(v.plan, v.activity, v.week)]
        day = p.start // DAY
        if day in group:
            out.append(f"{group[day]} and {v.id}: two visits of one activity on day {day}")
        else:
            group[day] = v.id
    return out


def _clock(minute: int) -> str:
    day, rest = divmod(minute, DAY)
    return f"day {day} {rest // 60:02d}:{rest % 60:02d}"


__all__ = [
    "DAY",
    "GRID",
    "Interval",
    "Placement",
    "Practitioner",
    "Problem",
    "Room",
    "Rule",
    "Score",
    "Solution",
    "Unplaced",
    "Visit",
    "problem_errors",
    "rule_instances",
    "score",
    "solve",
    "solve_greedy",
    "violations",
]
