"""A seeded generator of clinics for the scheduling benchmark: practitioners with shifts, rooms with
equipment, active plans of care with 1-3 disciplines, sequence rules and patient windows, calibrated to a
utilisation.

Day 0 of the horizon is a Monday. Everything here is plain data for tandem.scheduling.planning; no Django.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field

from tandem.scheduling.planning import DAY, Practitioner, Problem, Room, Rule, Visit

WEEKS = 6
DAYS = 7 * WEEKS
DISCIPLINES = ("chiropractic", "physical-therapy", "massage-therapy")
EQUIPMENT = {
    "chiropractic": "adjusting-table",
    "physical-therapy": "gym-floor",
    "massage-therapy": "massage-table",
}


@dataclass(frozen=True)
class Size:
    name: str
    plans: int
    practitioners: int
    rooms: int


SIZES = {
    "S": Size("S", 100, 6, 4),
    "M": Size("M", 500, 9, 6),
    "L": Size("L", 1500, 15, 10),
}


def hm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


# Shifts, Monday to Friday unless said otherwise: lists of (start, end) clock times a day, breaks between
# them.
SHIFTS: dict[str, list[tuple[str, str]]] = {
    "early": [("07:00", "13:30")],
    "day": [("08:00", "12:00"), ("13:00", "17:00")],
    "late": [("13:30", "20:00")],
}
OPENING = {d: ("07:00", "20:00") for d in range(5)} | {5: ("08:00", "13:00")}


@dataclass
class Activity:
    id: int
    discipline: str
    per_week: int
    minutes: int
    weeks: list[int]  # weeks of the horizon with visits
    preferred: int | None = None


@dataclass
class Plan:
    id: int
    patient: int
    activities: list[Activity] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    windows: tuple[tuple[int, int], ...] | None = None  # None: any time


def _windows(rng: random.Random) -> tuple[tuple[int, int], ...] | None:
    kind = rng.choices(["open", "evenings", "mornings", "days"], weights=[55, 20, 15, 10])[0]
    out: list[tuple[int, int]] = []
    if kind == "open":
        return None
    days = range(DAYS)
    if kind == "evenings":  # weekdays after 16:00, and Saturday
        for d in days:
            if d % 7 < 5:
                out.append((d * DAY + hm("16:00"), d * DAY + hm("20:00")))
            elif d % 7 == 5:
                out.append((d * DAY + hm("08:00"), d * DAY + hm("13:00")))
    elif kind == "mornings":
        for d in days:
            if d % 7 < 6:
                out.append((d * DAY + hm("07:00"), d * DAY + hm("12:00")))
    else:  # two or three fixed weekdays, all day
        chosen = set(rng.sample(range(5), rng.choice([2, 3])))
        for d in days:
            if d % 7 in chosen:
                out.append((d * DAY, (d + 1) * DAY))
    return tuple(out)


def _plans(size: Size, rng: random.Random) -> list[Plan]:
    plans: list[Plan] = []
    activity_id = 0
    for i in range(size.plans):
        plan = Plan(id=i + 1, patient=10_000 + i + 1, windows=_windows(rng))
        count = rng.choices([1, 2, 3], weights=[45, 35, 20])[0]
        disciplines = _pick_disciplines(rng, count)
        # Where the plan is in its course: it may have started before the horizon or start within it.
        length = rng.choice([4, 6, 8, 12])
        first = rng.randint(-length + 1, WEEKS - 1)
        weeks = [w for w in range(first, first + length) if 0 <= w < WEEKS]
        by_discipline: dict[str, Activity] = {}
        for d in disciplines:
            activity_id += 1
            if d == "chiropractic":
                per_week = rng.choices([1, 2, 3], weights=[30, 50, 20])[0]
                minutes = rng.choices([15, 30], weights=[60, 40])[0]
            elif d == "physical-therapy":
                per_week = rng.choice([1, 2])
                minutes = rng.choice([45, 60])
            else:
                per_week = 1
                minutes = rng.choice([30, 45, 60])
            activity = Activity(
                id=activity_id, discipline=d, per_week=per_week, minutes=minutes, weeks=list(weeks)
            )
            plan.activities.append(activity)
            by_discipline[d] = activity
        if "massage-therapy" in by_discipline and "chiropractic" in by_discipline and rng.random() < 0.6:
            plan.rules.append(
                Rule(
                    plan=plan.id,
                    first=by_discipline["massage-therapy"].id,
                    second=by_discipline["chiropractic"].id,
                    relation="immediately-before",
                )
            )
        if "physical-therapy" in by_discipline and "chiropractic" in by_discipline and rng.random() < 0.5:
            plan.rules.append(
                Rule(
                    plan=plan.id,
                    first=by_discipline["chiropractic"].id,
                    second=by_discipline["physical-therapy"].id,
                    relation="within-after",
                    min_gap=0,
                    max_gap=30,
                )
            )
        plans.append(plan)
    return plans


def _pick_disciplines(rng: random.Random, count: int) -> list[str]:
    pool = list(DISCIPLINES)
    weights = [40, 35, 25]
    chosen: list[str] = []
    while len(chosen) < count:
        d = rng.choices(pool, weights=weights)[0]
        i = pool.index(d)
        pool.pop(i)
        weights.pop(i)
        chosen.append(d)
    return chosen


def _demand(plans: list[Plan]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for plan in plans:
        for a in plan.activities:
            out[a.discipline] += a.per_week * a.minutes * len(a.weeks)
    return out


def _allocate(total: int, shares: dict[str, float], minimum: int = 1) -> dict[str, int]:
    """Largest remainder, at least `minimum` each."""
    keys = list(shares)
    counts = {k: minimum for k in keys}
    left = total - minimum * len(keys)
    whole = sum(shares.values()) or 1.0
    quotas = {k: left * shares[k] / whole for k in keys}
    for k in keys:
        counts[k] += int(quotas[k])
    rest = total - sum(counts.values())
    for k in sorted(keys, key=lambda k: quotas[k] - int(quotas[k]), reverse=True)[:rest]:
        counts[k] += 1
    return counts


def _practitioners(
    size: Size, demand: dict[str, int], rng: random.Random
) -> tuple[list[Practitioner], dict[int, str], dict[str, int]]:
    """Practitioners per discipline in proportion to demand, and rooms per discipline so that shifts can share
    them: an early (07:00-13:30) and a late (13:30-20:00) practitioner share a room; a day shift (08:00-17:00
    with lunch) has one to themselves. Saturday mornings only for early and day shifts, so rooms never run
    short."""
    counts = _allocate(size.practitioners, {d: float(demand.get(d, 0)) for d in DISCIPLINES})
    need = {d: -(-counts[d] // 2) for d in DISCIPLINES}
    spare = size.rooms - sum(need.values())
    rooms = dict(need)
    if spare > 0:
        extra = _allocate(spare, {d: float(counts[d]) / need[d] for d in DISCIPLINES}, minimum=0)
        for d in DISCIPLINES:
            rooms[d] += extra[d]
    out: list[Practitioner] = []
    shift_of: dict[int, str] = {}
    pid = 0
    for d in DISCIPLINES:
        pairs = max(0, counts[d] - rooms[d])  # rooms shared by an early and a late shift
        shifts = ["early", "late"] * pairs + ["day"] * (counts[d] - 2 * pairs)
        for shift in shifts:
            pid += 1
            part_time = rng.random() < 0.25
            weekdays = sorted(rng.sample(range(5), 3)) if part_time else list(range(5))
            saturday = shift != "late" and rng.random() < 0.3
            blocks = [(hm(a), hm(b)) for a, b in SHIFTS[shift]]
            off = {d0 for d0 in range(DAYS) if rng.random() < 0.03}  # time off: the odd day away
            available: list[tuple[int, int]] = []
            for day in range(DAYS):
                if day in off:
                    continue
                if day % 7 in weekdays:
                    available.extend((day * DAY + a, day * DAY + b) for a, b in blocks)
                elif day % 7 == 5 and saturday:
                    available.append((day * DAY + hm("08:00"), day * DAY + hm("13:00")))
            out.append(Practitioner(id=pid, discipline=d, available=tuple(available)))
            shift_of[pid] = shift + (" part-time" if part_time else "") + (" +Sat" if saturday else "")
    return out, shift_of, rooms


def _rooms(counts: dict[str, int]) -> list[Room]:
    opening = tuple(
        (day * DAY + hm(OPENING[day % 7][0]), day * DAY + hm(OPENING[day % 7][1]))
        for day in range(DAYS)
        if day % 7 in OPENING
    )
    rooms: list[Room] = []
    for d in DISCIPLINES:
        for _ in range(counts[d]):
            rooms.append(
                Room(id=100 + len(rooms) + 1, equipment=frozenset({EQUIPMENT[d]}), available=opening)
            )
    return rooms


def _calibrate(
    plans: list[Plan], supply: dict[tuple[str, int], int], target: float, rng: random.Random
) -> None:
    """Drop (or add) activity-weeks until every discipline's requested minutes are `target` of its
    practitioners' hours in every week: a clinic in steady state, plans starting and ending all the time."""
    for d in DISCIPLINES:
        activities = [a for p in plans for a in p.activities if a.discipline == d]
        if not activities:
            continue
        for week in range(WEEKS):
            goal = target * supply.get((d, week), 0)
            having = [a for a in activities if week in a.weeks]
            demand = sum(a.per_week * a.minutes for a in having)
            rng.shuffle(having)
            # Over: end courses early (or start them late) in this week, span ends first.
            having.sort(key=lambda a: week not in (a.weeks[0], a.weeks[-1]))  # noqa: B023 (used at once)
            while having and demand > goal:
                a = having.pop(0)
                a.weeks.remove(week)
                demand -= a.per_week * a.minutes
            # Under: extend courses into this week, neighbours first.
            others = [a for a in activities if week not in a.weeks]
            rng.shuffle(others)
            others.sort(key=lambda a: not ({week - 1, week + 1} & set(a.weeks)))  # noqa: B023 (used at once)
            for a in others:
                if demand + a.per_week * a.minutes > goal:
                    continue
                a.weeks = sorted([*a.weeks, week])
                demand += a.per_week * a.minutes


@dataclass
class Clinic:
    size: Size
    seed: int
    problem: Problem
    utilisation: float  # requested visit minutes / practitioner hours in the horizon
    requested_minutes: int
    practitioner_minutes: int
    plans: list[Plan]
    shifts: dict[int, str]


def generate(size: Size, seed: int, *, target: float = 0.85) -> Clinic:
    """A clinic of `size` whose plans ask for `target` of its practitioners' hours over six weeks."""
    rng = random.Random(f"{size.name}-{seed}")
    plans = _plans(size, rng)
    practitioners, shifts, room_counts = _practitioners(size, _demand(plans), rng)
    rooms = _rooms(room_counts)
    supply: dict[tuple[str, int], int] = defaultdict(int)
    for p in practitioners:
        for start, end in p.available:
            supply[(p.discipline, start // (7 * DAY))] += end - start
    _calibrate(plans, supply, target, rng)
    by_discipline: dict[str, list[int]] = defaultdict(list)
    for p in practitioners:
        by_discipline[p.discipline].append(p.id)
    visits: list[Visit] = []
    for plan in plans:
        for a in plan.activities:
            people = by_discipline[a.discipline]
            a.preferred = rng.choice(people) if rng.random() < 0.7 else None
            shuffled = rng.sample(people, len(people))
            order = tuple(
                [p for p in shuffled if p == a.preferred] + [p for p in shuffled if p != a.preferred]
            )
            for w in a.weeks:
                for k in range(a.per_week):
                    visits.append(
                        Visit(
                            id=f"p{plan.id}-a{a.id}-w{w}-k{k}",
                            plan=plan.id,
                            patient=plan.patient,
                            activity=a.id,
                            discipline=a.discipline,
                            equipment=EQUIPMENT[a.discipline],
                            minutes=a.minutes,
                            week=w,
                            index=k,
                            practitioners=order,
                            preferred=a.preferred,
                        )
                    )
    problem = Problem(
        days=DAYS,
        visits=tuple(visits),
        practitioners=tuple(practitioners),
        rooms=tuple(rooms),
        rules=tuple(r for plan in plans for r in plan.rules),
        patient_windows={plan.patient: plan.windows for plan in plans if plan.windows is not None},
    )
    requested = sum(v.minutes for v in visits)
    hours = sum(supply.values())
    return Clinic(
        size=size,
        seed=seed,
        problem=problem,
        utilisation=requested / hours if hours else 0.0,
        requested_minutes=requested,
        practitioner_minutes=hours,
        plans=plans,
        shifts=shifts,
    )


def new_plan_visits(
    clinic: Clinic, rng: random.Random, plan_id: int, patient: int
) -> tuple[list[Visit], list[Rule], tuple[tuple[int, int], ...] | None]:
    """One new plan of care for the whole six weeks (for the single-plan booking latency)."""
    by_discipline: dict[str, list[int]] = defaultdict(list)
    for p in clinic.problem.practitioners:
        by_discipline[p.discipline].append(p.id)
    count = rng.choices([1, 2, 3], weights=[30, 40, 30])[0]
    disciplines = _pick_disciplines(rng, count)
    visits: list[Visit] = []
    rules: list[Rule] = []
    ids: dict[str, int] = {}
    for n, d in enumerate(disciplines):
        activity = plan_id * 10 + n
        ids[d] = activity
        if d == "chiropractic":
            per_week, minutes = rng.choice([1, 2, 3]), rng.choice([15, 30])
        elif d == "physical-therapy":
            per_week, minutes = rng.choice([1, 2]), rng.choice([45, 60])
        else:
            per_week, minutes = 1, rng.choice([30, 45, 60])
        preferred = rng.choice(by_discipline[d])
        order = (preferred, *(p for p in by_discipline[d] if p != preferred))
        for w in range(WEEKS):
            for k in range(per_week):
                visits.append(
                    Visit(
                        id=f"new{plan_id}-a{activity}-w{w}-k{k}",
                        plan=plan_id,
                        patient=patient,
                        activity=activity,
                        discipline=d,
                        equipment=EQUIPMENT[d],
                        minutes=minutes,
                        week=w,
                        index=k,
                        practitioners=order,
                        preferred=preferred,
                    )
                )
    if "massage-therapy" in ids and "chiropractic" in ids:
        rules.append(Rule(plan_id, ids["massage-therapy"], ids["chiropractic"], "immediately-before"))
    if "physical-therapy" in ids and "chiropractic" in ids:
        rules.append(Rule(plan_id, ids["chiropractic"], ids["physical-therapy"], "within-after", 0, 30))
    return visits, rules, _windows(rng)
