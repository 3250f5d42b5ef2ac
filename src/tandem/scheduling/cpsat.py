"""The CP-SAT model of planning.Problem. Pure module (no Django); call it through planning.solve.

Variables, per visit v that has any possible start (greedy.Prepared): booked[v]; start[v] in grid units, its
domain the starts the fixed data allows; x[v, p] "done by practitioner p" (sum = booked), with start
restricted to p's own possible starts when x[v, p]; z[v, d] "on day d" (sum = booked), tying start to the day.

Resources:
- practitioners: one optional interval per (v, p), presence x[v, p]; a no-overlap per practitioner and week (a
  visit never leaves its week, so the weeks are independent for every resource);
- patients: an interval per visit, presence booked[v]; a no-overlap per patient and week;
- rooms: when the rooms with an equipment are interchangeable (same opening hours, same busy intervals, and
  none of them also carries another needed equipment), a cumulative per equipment and week with capacity =
  number of rooms, and rooms are given out afterwards by interval-graph colouring (optimal for intervals, so
  it always succeeds). Otherwise each room is explicit: y[v, r] (sum = booked) and a no-overlap per room and
  week.
- one visit of an activity a day: sum over the activity-week's visits of z[v, d] <= 1, for every day d.

Redundant cuts that tighten the bound (they never remove a solution): per practitioner and week, the grid
cells of their visits fit in their free cells; per practitioner pool (a discipline's candidates) and day, and
per room pool and day, likewise for every distinct "time of day the visit can occupy" set (an evenings-only
patient's visit can only use the pool's evening cells).

Objective, exactly planning.score: 1000 booked + 50 rule instances met + 5 preferred - 20 extra practitioners.
"""

from __future__ import annotations

import heapq
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from tandem.scheduling.greedy import (
    Prepared,
    State,
    VisitInfo,
    build_solution,
    clip,
    fill,
    run_greedy,
    size,
)
from tandem.scheduling.planning import (
    DAY,
    GAP_RELATIONS,
    SAME_DAY_RELATIONS,
    WEEK_DAYS,
    WEIGHT_BOOKED,
    WEIGHT_EXTRA_PRACTITIONER,
    WEIGHT_PREFERRED,
    WEIGHT_RULE,
    Interval,
    Placement,
    Problem,
    Solution,
    Visit,
    intersect,
    normalize,
    rule_met,
)

MAX_WINDOW_CUTS = 24  # per pool and day
# Above this many visits, CP-SAT's presolve probing can take most of a minute (three passes of ~15 s on the
# L clinic) for little gain in the bound: switch it off and leave the time to the search.
PROBING_VISITS = 500
# Kept back from the time limit for reading the answer, filling gaps and diagnosing the unplaced (about what
# the greedy pass took) and for CP-SAT's own overshoot of its limit (about 1%).
RESERVE_SECONDS = 0.05
RESERVE_SHARE = 0.01


@dataclass
class VisitVars:
    visit: Visit
    info: VisitInfo
    booked: cp_model.IntVar
    start: cp_model.IntVar
    presence: cp_model.IntervalVar
    x: dict[int, cp_model.IntVar] = field(default_factory=dict)
    z: dict[int, cp_model.IntVar] = field(default_factory=dict)
    y: dict[int, cp_model.IntVar] = field(default_factory=dict)


class Model:
    """The CP-SAT model of a prepared problem (see the module docstring), with its hint and its answer."""

    def __init__(self, prep: Prepared) -> None:
        self.prep = prep
        self.model = cp_model.CpModel()
        self.vars: dict[str, VisitVars] = {}
        self.met: dict[int, cp_model.IntVar] = {}  # rule instance index -> met
        self.pooled: dict[str, list[int]] = {}  # equipment -> interchangeable rooms
        self.symmetric: list[list[str]] = []  # visit ids in index order whose labels are interchangeable
        self.objective: list[tuple[int, cp_model.IntVar]] = []
        self.build()

    # Building -----------------------------------------------------------------------------------------------

    def build(self) -> None:
        prep, m = self.prep, self.model
        visits = [v for v in prep.visits if prep.info[v.id].starts]
        self._room_pools(visits)
        for v in visits:
            self._visit(v)
        self._resources()
        self._one_a_day()
        self._rules()
        self._continuity()
        self._cuts()
        self.objective_expr = sum(w * var for w, var in self.objective)
        m.maximize(self.objective_expr)

    def _visit(self, v: Visit) -> None:
        m, info = self.model, self.prep.info[v.id]
        per_day = self.prep.per_day
        booked = m.new_bool_var(f"b_{v.id}")
        start = m.new_int_var_from_domain(_domain(info.starts), f"s_{v.id}")
        presence = m.new_optional_fixed_size_interval_var(start, info.units, booked, f"i_{v.id}")
        vv = VisitVars(visit=v, info=info, booked=booked, start=start, presence=presence)
        vv.x = self._choice(booked, info.practitioners, info.by_practitioner, info.starts, start, f"x_{v.id}")
        if v.equipment not in self.pooled:
            vv.y = self._choice(booked, info.rooms, info.by_room, info.starts, start, f"y_{v.id}")
        if len(info.days) == 1:
            vv.z = {info.days[0]: booked}
        else:
            vv.z = {d: m.new_bool_var(f"z_{v.id}_{d}") for d in info.days}
            m.add(sum(vv.z.values()) == booked)
            for d, lit in vv.z.items():
                m.add(start >= d * per_day).only_enforce_if(lit)
                m.add(start < (d + 1) * per_day).only_enforce_if(lit)
        self.vars[v.id] = vv
        self.objective.append((WEIGHT_BOOKED, booked))
        if v.preferred is not None and v.preferred in vv.x:
            self.objective.append((WEIGHT_PREFERRED, vv.x[v.preferred]))

    def _choice(
        self,
        booked: cp_model.IntVar,
        options: Sequence[int],
        starts: dict[int, list[Interval]],
        every: list[Interval],
        start: cp_model.IntVar,
        name: str,
    ) -> dict[int, cp_model.IntVar]:
        """One literal per option (practitioner or room), exactly one when booked, each allowing its own
        starts."""
        m = self.model
        if len(options) == 1:
            chosen = {options[0]: booked}
        else:
            chosen = {o: m.new_bool_var(f"{name}_{o}") for o in options}
            m.add(sum(chosen.values()) == booked)
        for o, lit in chosen.items():
            if starts[o] != every:
                m.add_linear_expression_in_domain(start, _domain(starts[o])).only_enforce_if(lit)
        return chosen

    def _room_pools(self, visits: Sequence[Visit]) -> None:
        needed = {v.equipment for v in visits}
        prep = self.prep
        for kit in needed:
            rooms = [r for r in prep.problem.rooms if kit in r.equipment]
            if len(rooms) < 2:
                continue  # one room: its no-overlap is the same thing
            alike = all(
                (r.equipment & needed) == {kit} and prep.r_free[r.id] == prep.r_free[rooms[0].id]
                for r in rooms
            )
            if alike:
                self.pooled[kit] = [r.id for r in rooms]

    def _resources(self) -> None:
        m = self.model
        practitioner: dict[tuple[int, int], list[cp_model.IntervalVar]] = defaultdict(list)
        room: dict[tuple[int, int], list[cp_model.IntervalVar]] = defaultdict(list)
        patient: dict[tuple[int, int], list[cp_model.IntervalVar]] = defaultdict(list)
        pool: dict[tuple[str, int], list[cp_model.IntervalVar]] = defaultdict(list)
        for vv in self.vars.values():
            v, units = vv.visit, vv.info.units
            week = v.week
            for p, lit in vv.x.items():
                practitioner[(p, week)].append(
                    m.new_optional_fixed_size_interval_var(vv.start, units, lit, f"ip_{v.id}_{p}")
                )
            for r, lit in vv.y.items():
                room[(r, week)].append(
                    m.new_optional_fixed_size_interval_var(vv.start, units, lit, f"ir_{v.id}_{r}")
                )
            patient[(v.patient, week)].append(vv.presence)
            if v.equipment in self.pooled:
                pool[(v.equipment, week)].append(vv.presence)
        for table in (practitioner, room, patient):
            for intervals in table.values():
                if len(intervals) > 1:
                    m.add_no_overlap(intervals)
        for (kit, _week), intervals in pool.items():
            if len(intervals) > len(self.pooled[kit]):
                m.add_cumulative(intervals, [1] * len(intervals), len(self.pooled[kit]))

    def _one_a_day(self) -> None:
        groups: dict[tuple[int, int, int], list[VisitVars]] = defaultdict(list)
        for vv in self.vars.values():
            groups[(vv.visit.plan, vv.visit.activity, vv.visit.week)].append(vv)
        ruled = {(r.plan, r.first) for r in self.prep.problem.rules} | {
            (r.plan, r.second) for r in self.prep.problem.rules
        }
        for (plan, activity, _week), members in groups.items():
            if len(members) < 2:
                continue
            members.sort(key=lambda vv: (vv.visit.index, vv.visit.id))
            for d in {d for vv in members for d in vv.z}:
                lits = [vv.z[d] for vv in members if d in vv.z]
                if len(lits) > 1:
                    self.model.add(sum(lits) <= 1)
            # Visits of an activity without rules differ only by label: book them in label order, earliest
            # first.
            if (plan, activity) not in ruled and _interchangeable(members):
                self.symmetric.append([vv.visit.id for vv in members])
                for a, b in zip(members, members[1:], strict=False):
                    self.model.add(a.booked >= b.booked)
                    self.model.add(a.start < b.start).only_enforce_if(b.booked)

    def _rules(self) -> None:
        m, g = self.model, self.prep.grid
        for i, (rule, a, b) in enumerate(self.prep.instances):
            first, second = self.vars.get(a), self.vars.get(b)
            if first is None or second is None:
                continue
            common = set(first.z) & set(second.z)
            same_day = rule.relation in SAME_DAY_RELATIONS
            if same_day and not common:
                continue
            met = m.new_bool_var(f"met_{i}")
            m.add_implication(met, first.booked)
            m.add_implication(met, second.booked)
            if same_day:
                for d, lit in first.z.items():
                    if d in second.z:
                        m.add(lit + met - second.z[d] <= 1)
                    else:
                        m.add(lit + met <= 1)
                for d, lit in second.z.items():
                    if d not in first.z:
                        m.add(lit + met <= 1)
                if rule.relation in GAP_RELATIONS:
                    gap = g * second.start - g * first.start - first.visit.minutes
                    m.add(gap >= (rule.min_gap or 0)).only_enforce_if(met)
                    m.add(gap <= (rule.max_gap or 0)).only_enforce_if(met)
            else:
                for d in common:
                    m.add(first.z[d] + second.z[d] + met <= 2)
            self.met[i] = met
            self.objective.append((WEIGHT_RULE, met))

    def _continuity(self) -> None:
        m = self.model
        activities: dict[tuple[int, int], list[VisitVars]] = defaultdict(list)
        for vv in self.vars.values():
            activities[(vv.visit.plan, vv.visit.activity)].append(vv)
        self.uses: dict[tuple[int, int], dict[int, cp_model.IntVar]] = {}
        self.has: dict[tuple[int, int], cp_model.IntVar] = {}
        for key, members in activities.items():
            people = sorted({p for vv in members for p in vv.x})
            if len(people) < 2:
                continue
            uses = {p: m.new_bool_var(f"u_{key[0]}_{key[1]}_{p}") for p in people}
            for vv in members:
                for p, lit in vv.x.items():
                    m.add_implication(lit, uses[p])
            has = m.new_bool_var(f"h_{key[0]}_{key[1]}")
            m.add(has <= sum(uses.values()))
            self.uses[key], self.has[key] = uses, has
            self.objective.append((WEIGHT_EXTRA_PRACTITIONER, has))
            self.objective.extend((-WEIGHT_EXTRA_PRACTITIONER, lit) for lit in uses.values())

    # Redundant cuts -----------------------------------------------------------------------------------------

    def _cuts(self) -> None:
        prep = self.prep
        g, per_day, per_week = prep.grid, prep.per_day, WEEK_DAYS * prep.per_day
        earliest = -(-prep.problem.earliest // g)
        cells = {p: _cells(prep.p_free[p], g, earliest) for p in prep.practitioners}
        # Per practitioner and week.
        load: dict[tuple[int, int], list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        for vv in self.vars.values():
            week = vv.visit.week
            for p, lit in vv.x.items():
                load[(p, week)].append((vv.info.units, lit))
        for (p, week), terms in load.items():
            capacity = size(clip(cells[p], week * per_week, (week + 1) * per_week))
            self._cap(terms, capacity)
        # Per practitioner pool, and per room pool, day by day and by the times of day visits can occupy.
        room_cells = {r: _cells(prep.r_free[r], g, earliest) for r in prep.rooms}
        pools: dict[tuple[str, frozenset[int], int], list[tuple[VisitVars, int]]] = defaultdict(list)
        for vv in self.vars.values():
            for d in vv.z:
                pools[("p", frozenset(vv.x), d)].append((vv, d))
                rooms = frozenset(vv.y) or frozenset(self.pooled.get(vv.visit.equipment, []))
                pools[("r", rooms, d)].append((vv, d))
        for (kind, owners, d), members in pools.items():
            if not owners:
                continue
            source = cells if kind == "p" else room_cells
            day = (d * per_day, (d + 1) * per_day)
            free = {o: clip(source[o], *day) for o in owners}
            occupied = [(vv, d, _occupancy(vv.info.starts, d, per_day, vv.info.units)) for vv, d in members]
            everything = size(normalize(r for _, _, occ in occupied for r in occ))
            shapes = sorted({tuple(occ) for _, _, occ in occupied}, key=lambda s: size(s))
            shapes = [s for s in shapes if size(s) < everything][:MAX_WINDOW_CUTS] + [()]
            for shape in shapes:
                inside = [
                    (vv.info.units, vv.z[d]) for vv, d, occ in occupied if not shape or _within(occ, shape)
                ]
                region = list(shape)
                capacity = sum(size(intersect(f, region) if shape else f) for f in free.values())
                self._cap(inside, capacity)

    def _cap(self, terms: list[tuple[int, cp_model.IntVar]], capacity: int) -> None:
        if sum(u for u, _ in terms) > capacity:
            self.model.add(sum(u * lit for u, lit in terms) <= capacity)

    # Hints and answers --------------------------------------------------------------------------------------

    def hint(self, placed: dict[str, Placement]) -> None:
        """A complete hint from a valid set of placements (the greedy answer)."""
        prep, m, g = self.prep, self.model, self.prep.grid
        placed = dict(placed)
        for ids in self.symmetric:  # relabel so the hint respects the symmetry breaking
            chosen = sorted((placed.pop(i) for i in ids if i in placed), key=lambda c: c.start)
            for vid, c in zip(ids, chosen, strict=False):
                placed[vid] = Placement(visit=vid, start=c.start, practitioner=c.practitioner, room=c.room)
        for vid, vv in self.vars.items():
            p = placed.get(vid)
            m.add_hint(vv.booked, p is not None)
            unit = p.start // g if p is not None else vv.info.starts[0][0]
            m.add_hint(vv.start, unit)
            for o, lit in vv.x.items():
                if lit is not vv.booked:
                    m.add_hint(lit, p is not None and p.practitioner == o)
            for o, lit in vv.y.items():
                if lit is not vv.booked:
                    m.add_hint(lit, p is not None and p.room == o)
            for d, lit in vv.z.items():
                if lit is not vv.booked:
                    m.add_hint(lit, p is not None and unit // prep.per_day == d)
        for i, lit in self.met.items():
            rule, a, b = prep.instances[i]
            ok = a in placed and b in placed
            if ok:
                ok = rule_met(rule, prep.by_id[a], placed[a].start, placed[b].start)
            m.add_hint(lit, ok)
        for key, uses in self.uses.items():
            people = {
                p.practitioner for vid, p in placed.items() if vid in self.vars and _key(prep, vid) == key
            }
            for person, lit in uses.items():
                m.add_hint(lit, person in people)
            m.add_hint(self.has[key], bool(people))

    def read(self, solver: cp_model.CpSolver) -> list[Placement]:
        g = self.prep.grid
        out: list[Placement] = []
        pooled: dict[str, list[tuple[int, int, str, int]]] = defaultdict(list)
        for vid, vv in self.vars.items():
            if not solver.boolean_value(vv.booked):
                continue
            start = solver.value(vv.start) * g
            practitioner = next(p for p, lit in vv.x.items() if solver.boolean_value(lit))
            if vv.y:
                room = next(r for r, lit in vv.y.items() if solver.boolean_value(lit))
                out.append(Placement(visit=vid, start=start, practitioner=practitioner, room=room))
            else:
                end = start + vv.info.units * g
                pooled[vv.visit.equipment].append((start, end, vid, practitioner))
        for kit, items in pooled.items():
            out.extend(_colour(items, self.pooled[kit]))
        return out


def _key(prep: Prepared, vid: str) -> tuple[int, int]:
    v = prep.by_id[vid]
    return (v.plan, v.activity)


def _interchangeable(members: Sequence[VisitVars]) -> bool:
    first = members[0]
    return all(
        (vv.visit.patient, vv.visit.minutes, vv.visit.practitioners, vv.visit.preferred, vv.visit.equipment)
        == (
            first.visit.patient,
            first.visit.minutes,
            first.visit.practitioners,
            first.visit.preferred,
            first.visit.equipment,
        )
        and vv.info.starts == first.info.starts
        for vv in members
    )


def _colour(items: list[tuple[int, int, str, int]], rooms: list[int]) -> list[Placement]:
    """Give each interval a room, earliest start first, reusing rooms as they free up (never needs more rooms
    than the most intervals overlapping at once, which the cumulative keeps within the pool)."""
    out: list[Placement] = []
    free = list(reversed(rooms))
    busy: list[tuple[int, int]] = []  # (end, room)
    for start, end, vid, practitioner in sorted(items):
        while busy and busy[0][0] <= start:
            free.append(heapq.heappop(busy)[1])
        if not free:
            continue  # cannot happen under the cumulative; the visit is then left to the final fill
        room = free.pop()
        heapq.heappush(busy, (end, room))
        out.append(Placement(visit=vid, start=start, practitioner=practitioner, room=room))
    return out


def _domain(ranges: Sequence[Interval]) -> cp_model.Domain:
    return cp_model.Domain.from_intervals([[a, b - 1] for a, b in ranges])


def _cells(free: Sequence[Interval], grid: int, earliest: int) -> list[Interval]:
    """Grid cells (units) starting inside the free minutes: every visit's cells start inside its free
    piece."""
    out = []
    for a, b in free:
        lo, hi = max(-(-a // grid), earliest), -(-b // grid)
        if lo < hi:
            out.append((lo, hi))
    return normalize(out)


def _occupancy(starts: Sequence[Interval], day: int, per_day: int, units: int) -> list[Interval]:
    """The cells a visit can occupy on `day`."""
    return normalize((a, b - 1 + units) for a, b in clip(starts, day * per_day, (day + 1) * per_day))


def _within(inner: Sequence[Interval], outer: Sequence[Interval]) -> bool:
    return size(intersect(inner, outer)) == size(inner)


# Solving ----------------------------------------------------------------------------------------------------


def cpsat_solve(problem: Problem, *, time_limit: float, workers: int | None, seed: int) -> Solution:
    started = time.perf_counter()
    prep = Prepared(problem)
    greedy_state = run_greedy(prep)
    greedy = build_solution(prep, greedy_state, method="greedy", status="greedy", started=started)
    reserve = RESERVE_SECONDS + RESERVE_SHARE * time_limit + min(greedy.wall_seconds, time_limit / 10)
    if not any(prep.info[v.id].starts for v in prep.visits):
        # Nothing can be placed at all: the empty answer is optimal.
        return build_solution(prep, greedy_state, method="cp-sat", status="optimal", started=started, bound=0)
    model = Model(prep)
    model.hint(greedy_state.placed)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, time_limit - (time.perf_counter() - started) - reserve)
    solver.parameters.random_seed = seed
    if workers is not None:
        solver.parameters.num_workers = workers
    if len(model.vars) > PROBING_VISITS:
        solver.parameters.cp_model_probing_level = 0
    status = solver.solve(model.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _fallback(greedy, started, None)
    bound = solver.best_objective_bound
    answer_from = solver
    if status == cp_model.OPTIMAL:
        answer_from = _earliest(model, solver, time_limit - reserve, started, workers, seed) or solver
    state = State(prep)
    for placement in model.read(answer_from):
        state.place(placement)
    exact = status == cp_model.OPTIMAL and len(state.placed) == sum(
        answer_from.boolean_value(vv.booked) for vv in model.vars.values()
    )
    fill(prep, state)  # anything the time limit left out that still fits
    answer = build_solution(
        prep,
        state,
        method="cp-sat",
        status="optimal" if exact else "feasible",
        started=started,
        bound=bound,
    )
    if answer.objective < greedy.objective or len(answer.placements) < len(greedy.placements):
        return _fallback(greedy, started, bound)
    return answer


def _earliest(
    model: Model, solver: cp_model.CpSolver, deadline: float, started: float, workers: int | None, seed: int
) -> cp_model.CpSolver | None:
    """A second pass once the objective is proven optimal: keep it and move every visit as early as it can go,
    so that a proposal reads like a booking clerk's (soonest first) instead of an arbitrary optimum. Never
    longer than a fifth of the time left by `deadline` (seconds after `started`); None when it finds nothing
    in time."""
    remaining = deadline - (time.perf_counter() - started)
    budget = min(remaining, max(0.2, deadline / 5))
    if budget < 0.05:
        return None
    m = model.model
    m.add(model.objective_expr >= round(solver.objective_value))
    m.minimize(sum(vv.start for vv in model.vars.values()))
    m.clear_hints()
    for i in range(len(m.proto.variables)):
        var = m.get_int_var_from_proto_index(i)
        m.add_hint(var, solver.value(var))
    second = cp_model.CpSolver()
    second.parameters.max_time_in_seconds = budget
    second.parameters.random_seed = seed
    if workers is not None:
        second.parameters.num_workers = workers
    status = second.solve(m)
    return second if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None


def _fallback(greedy: Solution, started: float, bound: float | None) -> Solution:
    greedy.status = "greedy-fallback"
    greedy.bound = None if bound is None else max(float(bound), greedy.objective)
    greedy.wall_seconds = time.perf_counter() - started
    return greedy


__all__ = ["DAY", "cpsat_solve"]
