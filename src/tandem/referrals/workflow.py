"""The referral workflow as data: which action moves a referral from which status to which, and who may act.

Pure module (no Django), so the table can be tested row by row and read by the pages that offer the buttons.
Status codes are FHIR R4 task-status; the labels are the clinic's words.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Side(Enum):
    REQUESTER = "requester"  # the person who asked (or who recorded an external provider's request)
    RECIPIENT = "recipient"  # the person (or discipline) asked


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    side: Side
    done: str  # past participle, for messages: "A declined referral cannot be scheduled."
    label: str  # button label


STATUS_LABELS: dict[str, str] = {
    "draft": "draft",
    "requested": "sent",
    "accepted": "accepted",
    "rejected": "declined",
    "ready": "scheduled",
    "in-progress": "in-progress",
    "completed": "completed",
    "cancelled": "cancelled",
}
OPEN_STATUSES = frozenset({"draft", "requested", "accepted", "ready", "in-progress"})

TRANSITIONS: tuple[Transition, ...] = (
    Transition("send", frozenset({"draft"}), "requested", Side.REQUESTER, "sent", "Send"),
    Transition("accept", frozenset({"requested"}), "accepted", Side.RECIPIENT, "accepted", "Accept"),
    Transition("decline", frozenset({"requested"}), "rejected", Side.RECIPIENT, "declined", "Decline"),
    Transition("schedule", frozenset({"accepted"}), "ready", Side.RECIPIENT, "scheduled", "Mark scheduled"),
    Transition("start", frozenset({"ready"}), "in-progress", Side.RECIPIENT, "started", "Start treatment"),
    Transition("complete", frozenset({"in-progress"}), "completed", Side.RECIPIENT, "completed", "Complete"),
    Transition("cancel", OPEN_STATUSES, "cancelled", Side.REQUESTER, "cancelled", "Cancel referral"),
)
BY_ACTION: dict[str, Transition] = {t.action: t for t in TRANSITIONS}
ACTIONS: tuple[str, ...] = tuple(BY_ACTION)
# The actions that need a written reason, and the one that needs the report back.
REASON_REQUIRED = frozenset({"decline", "cancel"})
REPORT_REQUIRED = frozenset({"complete"})


class IllegalTransition(Exception):
    pass


def _with_article(word: str) -> str:
    return ("An " if word[0] in "aeiou" else "A ") + word


def refusal(status: str, action: str) -> str:
    """The refusal of an action the status does not allow: "A declined referral cannot be scheduled."."""
    transition = BY_ACTION[action]
    return f"{_with_article(STATUS_LABELS.get(status, status))} referral cannot be {transition.done}."


def next_status(status: str, action: str) -> str:
    """The status `action` leads to from `status`; IllegalTransition (with the message) if it may not."""
    transition = BY_ACTION.get(action)
    if transition is None:
        raise IllegalTransition(f"Unknown action {action!r}; use one of: {', '.join(ACTIONS)}.")
    if status not in transition.sources:
        raise IllegalTransition(refusal(status, action))
    return transition.target


def actions_from(status: str) -> tuple[Transition, ...]:
    return tuple(t for t in TRANSITIONS if status in t.sources)
