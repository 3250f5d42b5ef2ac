"""Outcomes under /api/v1/.

- Calculator (/outcomes/score): scores one instrument's answers without storing anything and reads no patient
  record, so any signed-in user or API token may use it (the API's default authentication).

The rules are the pure core in tandem.outcomes.scoring; its ScoringError becomes a 422 naming the field.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router

from tandem.outcomes.schemas import ScoreIn, ScoreOut, mcid_out
from tandem.outcomes.scoring import DEFAULT_POLICY, ScoringError, ScoringPolicy, instrument, score

router = Router(tags=["outcomes"])


@router.post("/outcomes/score", response=ScoreOut)
def outcomes_score(request: HttpRequest, payload: ScoreIn) -> dict[str, Any]:
    """Score, band, items answered and validity of one questionnaire's answers; nothing is stored."""
    try:
        policy = ScoringPolicy(**payload.policy.dict()) if payload.policy else DEFAULT_POLICY
        definition = instrument(payload.instrument)
        result = score(definition.code, payload.answers, policy)
    except ScoringError as exc:
        raise ValidationError({exc.field: [exc.message]}) from None
    mcid = definition.mcid() if definition.mcids else None
    return {
        **result.as_dict(),
        "band_basis": definition.band_basis,
        "mcid": None if mcid is None else mcid_out(mcid),
    }


def _add_administration_routes() -> None:
    # Administered measures (responses, links) live in api_responses.py; they share this router's tag.
    from tandem.outcomes.api_responses import router as responses_router

    router.add_router("/", responses_router)
    from tandem.outcomes.api_schedule import router as schedule_router  # measure schedules, due measures

    router.add_router("/", schedule_router)


_add_administration_routes()


def _add_evidence_routes() -> None:
    # The clinic's concurrent-care evidence (the dashboard's numbers as JSON) lives in api_evidence.py.
    from tandem.outcomes.api_evidence import router as evidence_router

    router.add_router("/", evidence_router)


_add_evidence_routes()
