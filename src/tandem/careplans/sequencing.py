"""Same-day sequence rules between two activities of a plan: plain-language wording and consistency checks.

Pure module (no Django); the services feed it the plan's rules and the scheduler reads the same data later.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

IMMEDIATELY_BEFORE = "immediately-before"
WITHIN_AFTER = "within-after"
SAME_DAY = "same-day"
NOT_SAME_DAY = "not-same-day"
ORDERING = (IMMEDIATELY_BEFORE, WITHIN_AFTER)  # both put the first activity before the second, same day
MAX_GAP_MINUTES = 240


@dataclass(frozen=True)
class RuleSpec:
    first: int
    second: int
    relation: str
    min_gap: int | None = None
    max_gap: int | None = None


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lowered(text: str) -> str:
    # "Medical massage" → "medical massage"; keeps acronyms such as "TENS" as they are.
    first = text.split(" ", 1)[0]
    return text[:1].lower() + text[1:] if not first.isupper() else text


def _minutes(low: int, high: int) -> str:
    return f"{high} minutes" if low == high else f"{low}–{high} minutes"


def describe(relation: str, first: str, second: str, min_gap: int | None, max_gap: int | None) -> str:
    """e.g. “Medical massage ends immediately before the chiropractic adjustment starts”."""
    low, high = min_gap or 0, max_gap or 0
    if relation == IMMEDIATELY_BEFORE:
        when = "immediately" if high == 0 else _minutes(low, high)
        return f"{_capitalised(first)} ends {when} before the {_lowered(second)} starts"
    if relation == WITHIN_AFTER:
        when = f"within {high} minutes" if low == 0 else _minutes(low, high)
        return f"{_capitalised(second)} {when} after the {_lowered(first)}"
    if relation == SAME_DAY:
        return f"{_capitalised(first)} and the {_lowered(second)} on the same day"
    if relation == NOT_SAME_DAY:
        return f"{_capitalised(first)} and the {_lowered(second)} never on the same day"
    return f"{_capitalised(first)} {relation} {_lowered(second)}"


def normalise_gaps(
    relation: str, min_gap: int | None, max_gap: int | None
) -> tuple[int | None, int | None, dict[str, str]]:
    """Default and check the gap minutes a relation takes; answer (min, max, errors by field)."""
    errors: dict[str, str] = {}
    if relation in (SAME_DAY, NOT_SAME_DAY):
        if min_gap is not None or max_gap is not None:
            errors["max_gap_minutes"] = "A same-day or not-same-day rule takes no gap minutes."
        return None, None, errors
    if relation == IMMEDIATELY_BEFORE:
        min_gap = 0 if min_gap is None else min_gap
        max_gap = min_gap if max_gap is None else max_gap
    elif relation == WITHIN_AFTER:
        min_gap = 0 if min_gap is None else min_gap
        if max_gap is None or max_gap <= 0:
            errors["max_gap_minutes"] = "Say within how many minutes the second activity starts."
    else:
        errors["relation"] = "Choose immediately-before, within-after, same-day or not-same-day."
        return min_gap, max_gap, errors
    for field, value in (("min_gap_minutes", min_gap), ("max_gap_minutes", max_gap)):
        if value is not None and not 0 <= value <= MAX_GAP_MINUTES:
            errors[field] = f"Gaps run from 0 to {MAX_GAP_MINUTES} minutes."
    if not errors and min_gap is not None and max_gap is not None and min_gap > max_gap:
        errors["min_gap_minutes"] = "The shortest gap is longer than the longest."
    return min_gap, max_gap, errors


def _reaches(edges: Iterable[tuple[int, int]], start: int, goal: int) -> bool:
    graph: dict[int, set[int]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
    seen: set[int] = set()
    stack = [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node in seen:
            continue
        seen.add(node)
        stack.extend(graph.get(node, ()))
    return False


def contradiction(existing: Iterable[RuleSpec], new: RuleSpec) -> str | None:
    """Why `new` cannot stand beside the `existing` rules of the plan, or None when it can.

    Refused: the same rule twice; “same day” against “never the same day” for one pair (an ordering rule
    implies the same day); an ordering cycle (A before B before … before A); and an activity immediately
    followed, or immediately preceded, by two different activities.
    """
    rules = list(existing)
    if new.first == new.second:
        return "A rule needs two different activities."
    pair = {new.first, new.second}
    for rule in rules:
        if {rule.first, rule.second} != pair:
            continue
        if rule.relation == new.relation and (rule.first, rule.second) == (new.first, new.second):
            return "This rule already exists."
        if rule.relation == new.relation and new.relation in (SAME_DAY, NOT_SAME_DAY):
            return "This rule already exists."
        relations = {rule.relation, new.relation}
        if NOT_SAME_DAY in relations and relations & {SAME_DAY, *ORDERING}:
            return "It contradicts a rule that keeps these two activities on different days."
    if new.relation in ORDERING:
        edges = [(r.first, r.second) for r in rules if r.relation in ORDERING]
        if _reaches(edges, new.second, new.first):
            return "It contradicts the order already set: the second activity already comes before the first."
    if new.relation == IMMEDIATELY_BEFORE:
        for rule in rules:
            if rule.relation != IMMEDIATELY_BEFORE:
                continue
            if rule.first == new.first:
                return "That first activity is already immediately followed by another activity."
            if rule.second == new.second:
                return "That second activity is already immediately preceded by another activity."
    return None
