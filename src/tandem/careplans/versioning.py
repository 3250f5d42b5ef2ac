"""Comparing two versions of a plan. Pure module (no Django): snapshots are plain JSON.

A snapshot is ``{"plan": {field: value}, "goals": {id: item}, "activities": {id: item},
"sequence_rules": {id: item}}`` where each item is ``{field: value}`` with a ``label`` for people.
"""

from __future__ import annotations

from typing import Any

SECTIONS: tuple[tuple[str, str], ...] = (
    ("plan", "Plan"),
    ("goals", "Goals"),
    ("activities", "Activities"),
    ("sequence_rules", "Sequence rules"),
)
ADDED, REMOVED, CHANGED, SAME = "added", "removed", "changed", "same"
# The order fields are shown in. JSON objects have none that survives storage (PostgreSQL's jsonb sorts keys).
FIELD_ORDER: tuple[str, ...] = (
    # plan
    "title",
    "description",
    "status",
    "supervising_practitioner",
    "period_start_on",
    "period_end_on",
    "problems",
    "based_on_referral",
    # goals
    "measure",
    "baseline_value",
    "target_value",
    "direction",
    "due_on",
    "lifecycle_status",
    # activities
    "discipline",
    "kind",
    "techniques",
    "body_sites",
    "technique_notes",
    "exercises",
    "massage_pressure",
    "visits_per_week",
    "weeks",
    "visit_minutes",
    "preferred_practitioner",
    "approval",
    "approved_by",
    "override_reason",
    # sequence rules
    "first_activity",
    "second_activity",
    "relation",
    "min_gap_minutes",
    "max_gap_minutes",
)
_RANK = {name: rank for rank, name in enumerate(FIELD_ORDER)}


def _key_order(key: str) -> tuple[int, int, str]:
    return (0, int(key), "") if key.isdigit() else (1, 0, key)


def _items(snapshot: dict[str, Any], section: str) -> dict[str, dict[str, Any]]:
    if section == "plan":
        plan = snapshot.get("plan") or {}
        return {"plan": plan} if plan else {}
    items = snapshot.get(section) or {}
    return {key: items[key] for key in sorted(items, key=_key_order)}


def _label(item: dict[str, Any] | None, fallback: str) -> str:
    return str((item or {}).get("label") or fallback)


def _fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[dict[str, Any]]:
    present = {n for n in (*(before or {}), *(after or {})) if n != "label"}
    names = sorted(present, key=lambda n: (_RANK.get(n, len(_RANK)), n))
    rows = []
    for name in names:
        old = None if before is None else before.get(name)
        new = None if after is None else after.get(name)
        rows.append({"field": name, "before": old, "after": new, "changed": old != new})
    return rows


def diff(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """What changed from snapshot `a` to snapshot `b`: added, removed and changed items, each changed field
    with its value before and after. Unchanged items are left out."""
    changes = []
    for section, _title in SECTIONS:
        old, new = _items(a, section), _items(b, section)
        for key in [*old, *(k for k in new if k not in old)]:
            before, after = old.get(key), new.get(key)
            if before is None:
                change = ADDED
            elif after is None:
                change = REMOVED
            elif {k: v for k, v in before.items() if k != "label"} != {
                k: v for k, v in after.items() if k != "label"
            }:
                change = CHANGED
            else:
                continue
            fields = _fields(before, after)
            if change == CHANGED:
                fields = [f for f in fields if f["changed"]]
            changes.append(
                {
                    "section": section,
                    "id": None if section == "plan" else key,
                    "label": _label(after or before, key),
                    "change": change,
                    "fields": [{k: f[k] for k in ("field", "before", "after")} for f in fields],
                }
            )
    return changes


def side_by_side(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """Both snapshots section by section for a two-column page: every item, every field, and whether it
    changed, so the page can highlight the differences."""
    sections = []
    for section, title in SECTIONS:
        old, new = _items(a, section), _items(b, section)
        rows = []
        for key in [*old, *(k for k in new if k not in old)]:
            before, after = old.get(key), new.get(key)
            fields = _fields(before, after)
            if before is None:
                change = ADDED
            elif after is None:
                change = REMOVED
            else:
                change = CHANGED if any(f["changed"] for f in fields) else SAME
            rows.append({"label": _label(after or before, key), "change": change, "fields": fields})
        sections.append({"section": section, "title": title, "rows": rows})
    return sections


def display(value: Any) -> str:
    """A snapshot value as people read it."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(display(v) for v in value)
    if isinstance(value, dict):
        if "name" in value:  # an exercise
            dose = f"{value.get('sets', '?')} × {value.get('repetitions', '?')}"
            notes = f" ({value['notes']})" if value.get("notes") else ""
            return f"{value['name']} {dose}{notes}"
        return ", ".join(f"{k}: {display(v)}" for k, v in value.items())
    return str(value)
