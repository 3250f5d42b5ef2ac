"""API shapes of outcomes: the score calculator (nothing stored)."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Field, Schema
from pydantic import StrictInt

from tandem.outcomes.scoring import Mcid


class PolicyIn(Schema):
    """Choices the sources leave open (tandem.outcomes.scoring.ScoringPolicy); the defaults when absent."""

    odi_max_missing: StrictInt | None = Field(None, ge=0, le=9)
    ndi_max_missing: StrictInt | None = Field(None, ge=0, le=9)
    rmdq_missing: Literal["reject", "sum", "prorate"] = "reject"


class ScoreIn(Schema):
    instrument: str = Field(..., max_length=40)
    # Item values in the questionnaire's order, null for an unanswered item. Each value is checked by the
    # scoring rules (a whole number in the item's range), so a bad one answers 422 naming "answers.<index>".
    answers: list[Any] = Field(..., max_length=50)
    policy: PolicyIn | None = None


class McidOut(Schema):
    key: str
    source: str
    points: float | None
    relative_pct: float | None
    as_published: str
    verified: bool


def mcid_out(mcid: Mcid) -> dict[str, Any]:
    """An instrument's MCID as McidOut reads it (thresholds as plain floats)."""
    return {
        "key": mcid.key,
        "source": mcid.source,
        "points": None if mcid.points is None else float(mcid.points),
        "relative_pct": None if mcid.relative_pct is None else float(mcid.relative_pct),
        "as_published": mcid.as_published,
        "verified": mcid.verified,
    }


class ScoreOut(Schema):
    instrument: str
    score: float | None
    range: list[int]
    direction: str
    unit: str
    band: str | None
    band_basis: str
    items_answered: int
    items_total: int
    valid: bool
    reason: str | None
    raw_sum: int | None
    percent: float | None
    policy: dict[str, Any]
    mcid: McidOut | None
