"""`tandem demo --effect odi:-10`: the demo's outcome trajectories carry an injected effect of concurrent
care, and the clinic's evidence (one SQL query, then the ANCOVA) recovers it; the NPRS, measured on the same
episodes without an injected effect, shows none."""

from __future__ import annotations

import datetime
from io import StringIO

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from tandem.accounts.models import Organization
from tandem.charting.models import Encounter, EncounterStatus
from tandem.demo.services import CLINIC_NAME
from tandem.outcomes.analytics import EPISODE_COLUMNS, episode_frame
from tandem.outcomes.cohorts import Episode, FollowUp
from tandem.outcomes.episodes import EpisodeFilters, clinic_evidence, episodes
from tandem.outcomes.models import Response, ResponseSource, Score, Timepoint
from tandem.outcomes.services import response_record

EFFECT = -10.0


def _python_episodes(organization: Organization, code: str) -> pd.DataFrame:
    """The same rows computed the slow way, plan by plan with the ORM, through analytics.episode_frame."""
    found = []
    zone = timezone.get_current_timezone()
    valid = Score.objects.filter(instrument=code, valid=True)
    plan_ids = sorted(set(valid.values_list("plan_id", flat=True)))
    for plan_id in plan_ids:
        visits = Encounter.objects.filter(activity__plan_id=plan_id, status=EncounterStatus.FINISHED)
        if not visits.exists():
            continue
        scores = list(valid.filter(plan_id=plan_id).order_by("effective_at", "pk"))
        day = [timezone.localtime(s.effective_at, zone).date() for s in scores]
        found.append(
            Episode(
                patient_id=scores[0].patient_id,
                plan_id=plan_id,
                instrument=code,
                disciplines=frozenset(visits.values_list("discipline", flat=True)),
                visits=visits.count(),
                baseline=scores[0].value,
                baseline_on=day[0],
                start_on=day[0],
                followups=tuple(FollowUp(d, s.value) for d, s in zip(day[1:], scores[1:], strict=True)),
            )
        )
    return episode_frame(found)


def test_the_clinic_evidence_recovers_the_effect_injected_into_the_demo(db):
    out = StringIO()
    call_command("demo", patients=20, seed=42, effect=[f"odi:{EFFECT:g}"], verbosity=1, stdout=out)
    if connection.vendor == "postgresql":  # statistics as autovacuum keeps them (test_evidence_dashboard)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    assert "archived plans of care" in out.getvalue() and "outcome responses" in out.getvalue()
    organization = Organization.objects.get(name=CLINIC_NAME)

    # Every measure was answered at one of its plan's finished visits, the baseline at the first.
    for response in Response.objects.filter(instrument="odi").select_related("plan")[:200]:
        starts = Encounter.objects.filter(activity__plan=response.plan, status=EncounterStatus.FINISHED)
        assert response.authored_at in set(starts.values_list("started_at", flat=True))
        if response.timepoint == Timepoint.BASELINE:
            assert response.authored_at == min(starts.values_list("started_at", flat=True))

    # The one query gives the rows the slow per-plan computation gives.
    frame = episodes(organization, "odi")
    expected = _python_episodes(organization, "odi")
    assert len(frame) == len(expected) >= 100
    pd.testing.assert_frame_equal(
        frame.loc[:, list(EPISODE_COLUMNS)].reset_index(drop=True),
        expected.reset_index(drop=True),
        check_dtype=False,
    )

    odi = clinic_evidence(organization, "odi")
    contrast = odi.cohort("all-three").contrast
    assert contrast is not None
    assert contrast.low <= EFFECT <= contrast.high  # the injected effect is within the 95 % CI
    assert contrast.high < 0 and contrast.favours == "cohort"  # and the CI excludes no effect

    nprs = clinic_evidence(organization, "nprs")  # the same episodes, no effect injected on the NPRS
    null = nprs.cohort("all-three").contrast
    assert null is not None and null.low <= 0 <= null.high

    # Filters narrow the same rows: a period (by the baseline date) and a location (a finished visit there).
    middle = frame["baseline_on"].sort_values().iloc[len(frame) // 2]
    start, end = middle - datetime.timedelta(days=60), middle
    period = episodes(organization, "odi", EpisodeFilters(start_on=start, end_on=end))
    inside = frame[(frame["baseline_on"] >= start) & (frame["baseline_on"] <= end)]
    assert 0 < len(period) < len(frame) and sorted(period["plan_id"]) == sorted(inside["plan_id"])
    location = int(frame["location_id"].iloc[0])
    at = episodes(organization, "odi", EpisodeFilters(location_id=location))
    visited = set(
        Encounter.objects.filter(
            status=EncounterStatus.FINISHED, appointment__location_id=location
        ).values_list("activity__plan_id", flat=True)
    )
    assert set(at["plan_id"]) == visited & set(frame["plan_id"])
    lumbar = episodes(organization, "odi", EpisodeFilters(condition="lumbar"))
    assert len(lumbar) > 0 and np.isin(lumbar["plan_id"], frame["plan_id"]).all()

    # A corrected baseline counts, not the one it replaces.
    row = frame[frame["final"].notna()].iloc[0]
    first = Response.objects.filter(plan_id=row["plan_id"], instrument="odi").order_by("authored_at").first()
    assert first is not None and first.plan is not None
    corrected = 100.0 if row["baseline"] < 50 else 0.0
    response_record(
        actor=first.plan.supervising_practitioner.user,
        patient=first.patient,
        instrument_code="odi",
        source=ResponseSource.PAPER,
        answers=[5 if corrected else 0] * 10,
        plan=first.plan,
        timepoint=Timepoint.BASELINE,
        authored_at=first.authored_at,
        replaces=first,
    )
    again = episodes(organization, "odi").set_index("plan_id")
    assert again.loc[row["plan_id"], "baseline"] == corrected and len(again) == len(frame)

    # Running the demo again adds nothing: the archive and the measured plans are kept as they are.
    responses = Response.objects.count()
    call_command("demo", patients=20, seed=42, effect=[f"odi:{EFFECT:g}"], verbosity=0, stdout=StringIO())
    assert Response.objects.count() == responses


def test_the_demo_refuses_a_malformed_effect_before_writing_anything(db):
    with pytest.raises(CommandError, match="INSTRUMENT:POINTS"):
        call_command("demo", patients=5, effect=["odi-8"], verbosity=0, stdout=StringIO())
    with pytest.raises(CommandError, match="records only"):
        call_command("demo", patients=5, effect=["rmdq:-3"], verbosity=0, stdout=StringIO())
    with pytest.raises(CommandError, match="history"):
        call_command(
            "demo", patients=5, effect=["odi:-8"], without_history=True, verbosity=0, stdout=StringIO()
        )
    assert not Organization.objects.filter(name=CLINIC_NAME).exists()
