"""Greedy first-fit scheduling, the feasibility precomputation both solvers share, and the reasons a visit
stays unplaced. Pure module (no Django); the public names live in planning.py.

Times inside the solvers are grid units (start minute // grid); a set of possible starts is a sorted list of
half-open unit ranges [lo, hi).
"""

from __future__ import annotations

import bisect
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from tandem.scheduling.planning import (
    DAY,
    GAP_RELATIONS,
    SAME_DAY_RELATIONS,
    WEEK_DAYS,
    Interval,
    Placement,
    Problem,
    Rule,
    Solution,
    Unplaced,
    Visit,
    check_problem,
    intersect,
    normalize,
    rule_instances,
    score,
    split_days,
    subtract,
)

ROLE = {
    "chiropractic": "chiropractor",
    "physical-therapy": "physical therapist",
    "massage-therapy": "massage therapist",
}
EQUIPMENT = {
    "adjusting-table": "an adjusting table",
    "massage-table": "a massage table",
    "gym-floor": "a gym floor",
}
JOINT_TRIES = 400  # first-visit slots tried when placing a sequence-rule pair together


def role(discipline: str) -> str:
    return ROLE.get(discipline, f"{discipline} practitioner")


def equipment_name(code: str) -> str:
    return EQUIPMENT.get(code, code)


# Unit ranges ------------------------------------------------------------------------------------------------


def starts_inside(free: Sequence[Interval], minutes: int, grid: int) -> list[Interval]:
    """Grid units u such that [u*grid, u*grid + minutes) lies inside one interval of `free` (split at
    midnight)."""
    out: list[Interval] = []
    for a, b in free:
        lo = -(-a // grid)
        hi = (b - minutes) // grid + 1
        if lo < hi:
            if out and out[-1][1] >= lo:
                out[-1] = (out[-1][0], max(out[-1][1], hi))
            else:
                out.append((lo, hi))
    return out


def clip(ranges: Sequence[Interval], lo: int, hi: int) -> list[Interval]:
    """The part of `ranges` inside [lo, hi)."""
    if lo >= hi or not ranges:
        return []
    i = max(0, bisect.bisect_right(ranges, (lo, lo)) - 1)
    out: list[Interval] = []
    while i < len(ranges) and ranges[i][0] < hi:
        a, b = max(ranges[i][0], lo), min(ranges[i][1], hi)
        if a < b:
            out.append((a, b))
        i += 1
    return out


def union(lists: Sequence[Sequence[Interval]]) -> list[Interval]:
    if len(lists) == 1:
        return list(lists[0])
    return normalize(r for rs in lists for r in rs)


def size(ranges: Sequence[Interval]) -> int:
    return sum(b - a for a, b in ranges)


def next_in(ranges: Sequence[Interval], t: int) -> int | None:
    """The first unit >= t in `ranges`."""
    i = bisect.bisect_right(ranges, (t, float("inf"))) - 1
    if i >= 0 and ranges[i][1] > t:
        return t
    i += 1
    return ranges[i][0] if i < len(ranges) else None


def holds(ranges: Sequence[Interval], t: int) -> bool:
    i = bisect.bisect_right(ranges, (t, float("inf"))) - 1
    return i >= 0 and ranges[i][1] > t


# What is possible before anything is placed -----------------------------------------------------------------


@dataclass
class VisitInfo:
    visit: Visit
    units: int  # length in grid units, rounded up
    base: list[Interval]  # its week, from `earliest`, inside the horizon
    practitioners: list[int]  # candidates that exist, in the visit's order
    rooms: list[int]  # rooms with its equipment
    by_practitioner: dict[int, list[Interval]]  # starts possible with this practitioner (and some room)
    by_room: dict[int, list[Interval]]  # starts possible in this room (with some practitioner)
    starts: list[Interval]  # starts possible at all
    days: list[int]  # days with a possible start


class Prepared:
    """Per visit, the starts that the fixed data allows: working hours, opening hours, patient windows and
    every busy interval. Placing visits only removes starts from these sets."""

    def __init__(self, problem: Problem) -> None:
        check_problem(problem)
        self.problem = problem
        self.grid = g = problem.grid
        self.per_day = DAY // g
        horizon = [(0, problem.days * DAY)]
        self.practitioners = {p.id: p for p in problem.practitioners}
        self.rooms = {r.id: r for r in problem.rooms}
        self.p_open: dict[int, list[Interval]] = {}
        self.p_free: dict[int, list[Interval]] = {}
        for p in problem.practitioners:
            hours = intersect(normalize(p.available), horizon)
            self.p_open[p.id] = split_days(hours)
            self.p_free[p.id] = split_days(
                subtract(hours, normalize(problem.practitioner_busy.get(p.id, ())))
            )
        self.r_free: dict[int, list[Interval]] = {}
        for r in problem.rooms:
            hours = intersect(normalize(r.available), horizon)
            self.r_free[r.id] = split_days(subtract(hours, normalize(problem.room_busy.get(r.id, ()))))
        self.pat_window: dict[int, list[Interval]] = {}
        self.pat_free: dict[int, list[Interval]] = {}
        for patient in {v.patient for v in problem.visits}:
            windows = problem.patient_windows.get(patient)
            times = horizon if windows is None else intersect(normalize(windows), horizon)
            self.pat_window[patient] = split_days(times)
            busy = normalize(problem.patient_busy.get(patient, ()))
            self.pat_free[patient] = split_days(subtract(times, busy))
        self._starts: dict[tuple[str, int, int], list[Interval]] = {}
        self.visits = list(problem.visits)
        self.by_id = {v.id: v for v in self.visits}
        self.info = {v.id: self._visit_info(v) for v in self.visits}
        self.instances = rule_instances(problem)
        self.instances_of: dict[str, list[tuple[Rule, str, str]]] = defaultdict(list)
        for inst in self.instances:
            self.instances_of[inst[1]].append(inst)
            self.instances_of[inst[2]].append(inst)
        # Per visit, the activity-weeks of its not-same-day partners: kept off its day whenever possible, not
        # only the paired visit.
        self.apart: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
        for rule in problem.rules:
            if rule.relation != "not-same-day":
                continue
            for v in self.visits:
                if v.plan == rule.plan and v.activity == rule.first:
                    self.apart[v.id].append((rule.plan, rule.second, v.week))
                elif v.plan == rule.plan and v.activity == rule.second:
                    self.apart[v.id].append((rule.plan, rule.first, v.week))

    def starts(self, kind: str, key: int, minutes: int) -> list[Interval]:
        """Cached starts_inside for a practitioner ("p"), room ("r") or patient ("pat") and a visit length."""
        cache_key = (kind, key, minutes)
        found = self._starts.get(cache_key)
        if found is None:
            free = {"p": self.p_free, "r": self.r_free, "pat": self.pat_free}[kind][key]
            found = self._starts[cache_key] = starts_inside(free, minutes, self.grid)
        return found

    def base(self, v: Visit) -> list[Interval]:
        g, per_day = self.grid, self.per_day
        lo = max(-(-self.problem.earliest // g), WEEK_DAYS * per_day * v.week)
        hi = min(WEEK_DAYS * per_day * (v.week + 1), self.problem.days * per_day)
        return [(lo, hi)] if lo < hi else []

    def _visit_info(self, v: Visit) -> VisitInfo:
        base = self.base(v)
        cands = list(dict.fromkeys(p for p in v.practitioners if p in self.practitioners))
        rooms = [r.id for r in self.problem.rooms if v.equipment in r.equipment]
        lo, hi = base[0] if base else (0, 0)
        patient = clip(self.starts("pat", v.patient, v.minutes), lo, hi)
        with_p = {p: intersect(clip(self.starts("p", p, v.minutes), lo, hi), patient) for p in cands}
        with_r = {r: intersect(clip(self.starts("r", r, v.minutes), lo, hi), patient) for r in rooms}
        any_p = union(list(with_p.values())) if with_p else []
        any_r = union(list(with_r.values())) if with_r else []
        starts = intersect(any_p, any_r)
        by_practitioner = {p: intersect(s, any_r) for p, s in with_p.items()}
        by_room = {r: intersect(s, any_p) for r, s in with_r.items()}
        days = sorted(days_of(starts, self.per_day))
        return VisitInfo(
            visit=v,
            units=-(-v.minutes // self.grid),
            base=base,
            practitioners=[p for p in cands if by_practitioner[p]],
            rooms=[r for r in rooms if by_room[r]],
            by_practitioner={p: s for p, s in by_practitioner.items() if s},
            by_room={r: s for r, s in by_room.items() if s},
            starts=starts,
            days=days,
        )


def days_of(ranges: Sequence[Interval], per_day: int) -> set[int]:
    """The days on which some unit of `ranges` falls."""
    return {d for a, b in ranges for d in range(a // per_day, (b - 1) // per_day + 1)}


# What is taken as visits are placed -------------------------------------------------------------------------


class Timeline:
    """Disjoint busy intervals (minutes) of one resource, sorted."""

    __slots__ = ("starts", "ends")

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def conflict(self, s: int, e: int) -> int | None:
        """The end of an interval overlapping [s, e), or None when [s, e) is free."""
        i = bisect.bisect_right(self.starts, s) - 1
        if i >= 0 and self.ends[i] > s:
            return self.ends[i]
        if i + 1 < len(self.starts) and self.starts[i + 1] < e:
            return self.ends[i + 1]
        return None

    def add(self, s: int, e: int) -> None:
        i = bisect.bisect_right(self.starts, s)
        self.starts.insert(i, s)
        self.ends.insert(i, e)

    def remove(self, s: int, e: int) -> None:
        i = bisect.bisect_left(self.starts, s)
        while self.ends[i] != e:
            i += 1
        del self.starts[i]
        del self.ends[i]

    def intervals(self) -> list[Interval]:
        return list(zip(self.starts, self.ends, strict=True))


@dataclass
class State:
    prep: Prepared
    placed: dict[str, Placement] = field(default_factory=dict)
    practitioner: dict[int, Timeline] = field(default_factory=lambda: defaultdict(Timeline))
    room: dict[int, Timeline] = field(default_factory=lambda: defaultdict(Timeline))
    patient: dict[int, Timeline] = field(default_factory=lambda: defaultdict(Timeline))
    days: dict[tuple[int, int, int], set[int]] = field(default_factory=lambda: defaultdict(set))
    used: dict[tuple[int, int], Counter[int]] = field(default_factory=lambda: defaultdict(Counter))

    def place(self, placement: Placement) -> None:
        v = self.prep.by_id[placement.visit]
        s, e = placement.start, placement.start + v.minutes
        self.placed[v.id] = placement
        self.practitioner[placement.practitioner].add(s, e)
        self.room[placement.room].add(s, e)
        self.patient[v.patient].add(s, e)
        self.days[(v.plan, v.activity, v.week)].add(s // DAY)
        self.used[(v.plan, v.activity)][placement.practitioner] += 1

    def unplace(self, visit_id: str) -> None:
        placement = self.placed.pop(visit_id)
        v = self.prep.by_id[visit_id]
        s, e = placement.start, placement.start + v.minutes
        self.practitioner[placement.practitioner].remove(s, e)
        self.room[placement.room].remove(s, e)
        self.patient[v.patient].remove(s, e)
        self.days[(v.plan, v.activity, v.week)].discard(s // DAY)
        self.used[(v.plan, v.activity)][placement.practitioner] -= 1

    def practitioner_order(self, v: Visit) -> list[int]:
        """Who to try first: whoever already sees the patient for this activity most, then the preferred."""
        cands = self.prep.info[v.id].practitioners
        counts = self.used[(v.plan, v.activity)]
        rank = {p: i for i, p in enumerate(cands)}
        return sorted(cands, key=lambda p: (-counts[p], p != v.preferred, rank[p]))

    def slots(
        self, v: Visit, order: Sequence[int], lo: int, hi: int, forbid: set[int]
    ) -> Iterator[tuple[int, int, int]]:
        """Free (start minute, practitioner, room) for `v` in first-fit order: practitioner by practitioner,
        then by time, within units [lo, hi) and off the days in `forbid`."""
        prep = self.prep
        info = prep.info[v.id]
        g, per_day = prep.grid, prep.per_day
        patient = self.patient[v.patient]
        for p in order:
            ranges = clip(info.by_practitioner.get(p, ()), lo, hi)
            timeline = self.practitioner[p]
            idx, t = 0, ranges[0][0] if ranges else 0
            while idx < len(ranges):
                a, b = ranges[idx]
                if t < a:
                    t = a
                if t >= b:
                    idx += 1
                    continue
                day = t // per_day
                if day in forbid:
                    t = (day + 1) * per_day
                    continue
                s = t * g
                e = s + v.minutes
                c = timeline.conflict(s, e)
                if c is None:
                    c = patient.conflict(s, e)
                if c is not None:
                    t = max(t + 1, -(-c // g))
                    continue
                room, later = self._room(info, t, s, e)
                if room is None:
                    t = max(t + 1, later)
                    continue
                yield s, p, room
                t += 1

    def _room(self, info: VisitInfo, t: int, s: int, e: int) -> tuple[int | None, int]:
        later = 1 << 60
        for r in info.rooms:
            ranges = info.by_room[r]
            if holds(ranges, t):
                c = self.room[r].conflict(s, e)
                if c is None:
                    return r, t
                later = min(later, -(-c // self.prep.grid))
            else:
                n = next_in(ranges, t)
                if n is not None:
                    later = min(later, n)
        return None, later

    def apart_days(self, v: Visit) -> set[int]:
        out: set[int] = set()
        for key in self.prep.apart.get(v.id, ()):
            out |= self.days.get(key, set())
        return out

    def targets(self, v: Visit) -> tuple[int, int] | None:
        """Units [lo, hi) that meet every same-day rule with an already placed partner; None: no such
        partner."""
        prep = self.prep
        g, per_day = prep.grid, prep.per_day
        lo, hi, any_partner = -(1 << 60), 1 << 60, False
        for rule, a, b in prep.instances_of.get(v.id, ()):
            if rule.relation not in SAME_DAY_RELATIONS:
                continue
            other = b if a == v.id else a
            if other not in self.placed:
                continue
            any_partner = True
            start = self.placed[other].start
            day = start // DAY
            lo, hi = max(lo, day * per_day), min(hi, (day + 1) * per_day)
            if rule.relation in GAP_RELATIONS:
                low, high = rule.min_gap or 0, rule.max_gap or 0
                if a == v.id:  # v first: start_v + minutes_v + gap = start_other
                    first_lo, first_hi = start - v.minutes - high, start - v.minutes - low
                else:
                    end = start + prep.by_id[a].minutes
                    first_lo, first_hi = end + low, end + high
                lo, hi = max(lo, -(-first_lo // g)), min(hi, first_hi // g + 1)
        return (lo, hi) if any_partner else None

    def place_one(self, v: Visit) -> bool:
        """First fit, trying in turn: meeting the rules with placed partners and keeping not-same-day partners
        apart, meeting the rules only, keeping apart only, anywhere."""
        info = self.prep.info[v.id]
        if not info.starts:
            return False
        order = self.practitioner_order(v)
        taken = self.days[(v.plan, v.activity, v.week)]
        apart = self.apart_days(v)
        target = self.targets(v)
        full = (info.starts[0][0], info.starts[-1][1])
        # Visits of one activity in a week are spread out when they can be (Monday and Wednesday rather than
        # Monday and Tuesday): first off the days next to its other visits of the week, then anywhere else.
        spaced = taken | {day + step for day in taken for step in (-1, 1)}
        attempts: list[tuple[tuple[int, int], set[int]]] = []
        if target is not None:
            if spaced != taken:
                attempts.append((target, spaced | apart))
            attempts.append((target, taken | apart))
            if apart:
                attempts.append((target, taken))
        if spaced != taken:
            attempts.append((full, spaced | apart))
        if apart:
            attempts.append((full, taken | apart))
        attempts.append((full, taken))
        for (lo, hi), forbid in attempts:
            for s, p, r in self.slots(v, order, lo, hi, forbid):
                self.place(Placement(visit=v.id, start=s, practitioner=p, room=r))
                return True
        return False

    def place_pair(self, first: Visit, second: Visit) -> bool:
        """Place a same-day rule pair together: the first visit's free slots in turn until the second fits the
        rule after (or before) it. False (nothing placed) when no slot of the first one works."""
        info = self.prep.info[first.id]
        if not info.starts or not self.prep.info[second.id].starts:
            return False
        order = self.practitioner_order(first)
        forbid = self.days[(first.plan, first.activity, first.week)] | self.apart_days(first)
        lo, hi = info.starts[0][0], info.starts[-1][1]
        second_days = self.days[(second.plan, second.activity, second.week)]
        # Days where the second visit cannot go are no use for the first either.
        forbid = forbid | second_days | (set(info.days) - set(self.prep.info[second.id].days))
        for tries, (s, p, r) in enumerate(self.slots(first, order, lo, hi, forbid)):
            if tries >= JOINT_TRIES:
                break
            self.place(Placement(visit=first.id, start=s, practitioner=p, room=r))
            target = self.targets(second)
            if target is not None:
                second_forbid = second_days | self.apart_days(second)
                for s2, p2, r2 in self.slots(second, self.practitioner_order(second), *target, second_forbid):
                    self.place(Placement(visit=second.id, start=s2, practitioner=p2, room=r2))
                    return True
            self.unplace(first.id)
        return False


# The greedy solver ------------------------------------------------------------------------------------------


def components(prep: Prepared) -> list[list[Visit]]:
    """Visits joined by same-day rule instances, each list in rule order (firsts before their seconds)."""
    parent = {v.id: v.id for v in prep.visits}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for rule, a, b in prep.instances:
        if rule.relation in SAME_DAY_RELATIONS:
            parent[find(a)] = find(b)
    groups: dict[str, list[Visit]] = defaultdict(list)
    for v in prep.visits:
        groups[find(v.id)].append(v)
    out = []
    for members in groups.values():
        if len(members) > 1:
            members = _rule_order(prep, members)
        out.append(members)
    return out


def _rule_order(prep: Prepared, members: list[Visit]) -> list[Visit]:
    ids = {v.id for v in members}
    before: dict[str, set[str]] = {v.id: set() for v in members}
    for rule, a, b in prep.instances:
        if rule.relation in SAME_DAY_RELATIONS and a in ids and b in ids:
            before[b].add(a)
    ordered: list[Visit] = []
    done: set[str] = set()
    remaining = sorted(members, key=lambda v: (v.activity, v.index))
    while remaining:
        ready = [v for v in remaining if before[v.id] <= done] or remaining[:1]  # a cycle: break it anywhere
        v = ready[0]
        ordered.append(v)
        done.add(v.id)
        remaining.remove(v)
    return ordered


def run_greedy(prep: Prepared, state: State | None = None) -> State:
    """Place every visit it can: week by week, the most constrained first (fewest possible starts)."""
    state = state or State(prep)
    comps = components(prep)

    def key(members: list[Visit]) -> tuple[int, int, int, int, int]:
        freedom = min(
            size(prep.info[v.id].starts) * max(1, len(prep.info[v.id].practitioners)) for v in members
        )
        first = members[0]
        return (first.week, freedom, first.plan, first.activity, first.index)

    comps.sort(key=key)
    for members in comps:
        for v in members:
            if v.id in state.placed:
                continue
            partner = _unplaced_second(prep, state, v)
            if partner is not None and state.place_pair(v, partner):
                continue
            state.place_one(v)
    return state


def _unplaced_second(prep: Prepared, state: State, v: Visit) -> Visit | None:
    for rule, a, b in prep.instances_of.get(v.id, ()):
        if a == v.id and rule.relation in SAME_DAY_RELATIONS and b not in state.placed:
            return prep.by_id[b]
    return None


def fill(prep: Prepared, state: State) -> None:
    """Place whatever still fits after another solver's answer (never moves a placed visit)."""
    for members in components(prep):
        for v in members:
            if v.id not in state.placed:
                state.place_one(v)


def build_solution(
    prep: Prepared,
    state: State,
    *,
    method: str,
    status: str,
    started: float,
    bound: float | None = None,
) -> Solution:
    placements = sorted(state.placed.values(), key=lambda p: (p.start, p.visit))
    measured = score(prep.problem, placements)
    unplaced = [
        Unplaced(visit=v.id, reason=diagnose(prep, state, v)) for v in prep.visits if v.id not in state.placed
    ]
    return Solution(
        method=method,
        status=status,
        placements=placements,
        unplaced=unplaced,
        objective=float(measured.objective),
        bound=None if bound is None else max(float(bound), float(measured.objective)),
        wall_seconds=time.perf_counter() - started,
        rules_total=measured.rules_total,
        rules_met=measured.rules_met,
        continuity=measured.continuity,
    )


def greedy_solve(problem: Problem) -> Solution:
    started = time.perf_counter()
    prep = Prepared(problem)
    state = run_greedy(prep)
    return build_solution(prep, state, method="greedy", status="greedy", started=started)


# Why a visit stays unplaced ---------------------------------------------------------------------------------


def diagnose(prep: Prepared, state: State, v: Visit) -> str:
    """Relax the constraints in order and name the first one that leaves the visit no start: practitioners'
    hours against the patient's windows, then their bookings, then rooms, then the patient's own bookings,
    then the one-visit-of-an-activity-a-day rule."""
    problem, g = prep.problem, prep.grid
    week = f"week {v.week + 1}"
    who = role(v.discipline)
    cands = [p for p in dict.fromkeys(v.practitioners) if p in prep.practitioners]
    if not cands:
        return f"No {who} is on the schedule at this location"
    base = prep.base(v)
    if not base:
        if WEEK_DAYS * DAY * (v.week + 1) <= problem.earliest:
            return f"{week.capitalize()} is already over"
        return f"{week.capitalize()} is outside the planning horizon"
    lo, hi = base[0]
    windows = prep.pat_window[v.patient]
    has_windows = v.patient in problem.patient_windows
    during = " during the patient's availability" if has_windows else ""
    window_starts = clip(starts_inside(windows, v.minutes, g), lo, hi)
    hours = union([clip(starts_inside(prep.p_open[p], v.minutes, g), lo, hi) for p in cands])
    if not intersect(hours, window_starts):
        return f"No {who} works{during} in {week}"
    free = union(
        [
            clip(starts_inside(subtract(prep.p_free[p], _taken(state.practitioner, p)), v.minutes, g), lo, hi)
            for p in cands
        ]
    )
    possible = intersect(free, window_starts)
    if not possible:
        return f"Every {who} is fully booked{during} in {week}"
    rooms = [r.id for r in problem.rooms if v.equipment in r.equipment]
    kit = equipment_name(v.equipment)
    if not rooms:
        return f"The location has no room with {kit}"
    room_free = union(
        [
            clip(starts_inside(subtract(prep.r_free[r], _taken(state.room, r)), v.minutes, g), lo, hi)
            for r in rooms
        ]
    )
    possible = intersect(possible, room_free)
    if not possible:
        return f"No room with {kit} is free when a {who} and the patient are in {week}"
    patient_free = starts_inside(
        subtract(prep.pat_free[v.patient], _taken(state.patient, v.patient)), v.minutes, g
    )
    possible = intersect(possible, clip(patient_free, lo, hi))
    if not possible:
        return (
            f"The patient already has appointments whenever a {who} and a room with {kit} are free in {week}"
        )
    taken = state.days.get((v.plan, v.activity, v.week), set())
    if days_of(possible, prep.per_day) <= taken:
        count = len(taken)
        visits = "visit" if count == 1 else "visits"
        return f"The patient already has {count} {visits} of this activity that week on every free day"
    return "A free time exists, but it was not found within the time allowed"


def _taken(timelines: dict[int, Timeline], key: int) -> list[Interval]:
    timeline = timelines.get(key)
    return timeline.intervals() if timeline is not None else []
