"""The per-plan summary behind the clinic's evidence (outcomes.PlanSummary): it equals the live
aggregate of the finished visits and the plan's own facts (patient, supervisor, first body site), a refresh
is idempotent, a visit finished or cancelled since the refresh counts from the next one (and the page says
so), and the dashboard builds it when it never was.

On the demo clinic (20 patients of each kind, and the archive an effect brings), loaded once for the module
and rolled back at its end."""

from __future__ import annotations

import datetime
import io
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from tests.outcomes.demo_clinic import demo_clinic_loaded

from tandem.accounts.models import Organization, User
from tandem.careplans.models import CarePlan
from tandem.charting.models import Encounter, EncounterStatus
from tandem.outcomes import tasks
from tandem.outcomes.episodes import episodes
from tandem.outcomes.models import PlanSummary
from tandem.outcomes.services import plan_summary_refresh, plan_summary_refreshed_at

PAGE = "/outcomes/evidence/"
SUMMARY_FIELDS = (
    "plan_id",
    "organization_id",
    "dc",
    "pt",
    "lmt",
    "visits",
    "location_id",
    "patient_id",
    "supervisor_id",
    "body_site",
)


@pytest.fixture(scope="module")
def demo_clinic(django_db_setup: Any, django_db_blocker: Any) -> Iterator[int]:
    with demo_clinic_loaded(django_db_blocker, seed=7, effect="odi:-10") as pk:
        yield pk


@pytest.fixture
def clinic(demo_clinic: int, db: Any) -> Organization:
    return Organization.objects.get(pk=demo_clinic)


def _rows(organization: Organization) -> dict[int, tuple[Any, ...]]:
    values = PlanSummary.objects.filter(organization=organization).values_list(*SUMMARY_FIELDS)
    return {row[0]: row for row in values}


def _live(organization: Organization) -> dict[int, tuple[Any, ...]]:
    """The same figures computed the slow way, visit by visit and plan by plan with the ORM."""
    disciplines: dict[int, set[str]] = defaultdict(set)
    counts: dict[int, int] = defaultdict(int)
    locations: dict[int, list[int]] = defaultdict(list)
    visits = Encounter.objects.filter(
        status=EncounterStatus.FINISHED, activity__plan__organization=organization
    ).values_list("activity__plan_id", "discipline", "appointment__location_id")
    for plan_id, discipline, location_id in visits:
        disciplines[plan_id].add(discipline)
        counts[plan_id] += 1
        locations[plan_id].append(location_id)
    return {
        plan_id: (
            plan_id,
            organization.pk,
            "chiropractic" in disciplines[plan_id],
            "physical-therapy" in disciplines[plan_id],
            "massage-therapy" in disciplines[plan_id],
            counts[plan_id],
            min(locations[plan_id]) if locations[plan_id] else None,
            plan.patient_id,
            plan.supervising_practitioner_id,
            min((c.body_site for c in plan.problems.all() if c.body_site), default=""),
        )
        for plan_id, plan in (
            (plan.pk, plan)
            for plan in CarePlan.objects.filter(organization=organization).prefetch_related("problems")
        )
    }


def test_the_demo_leaves_a_summary_equal_to_the_live_aggregate_of_finished_visits(clinic):
    rows = _rows(clinic)
    live = _live(clinic)
    assert rows == live
    assert sum(1 for row in rows.values() if row[5] > 0) >= 100  # plans with finished visits, not only empty
    assert any(row[2] and row[3] and row[4] for row in rows.values())  # all three disciplines somewhere
    assert len({row[9] for row in rows.values()}) >= 3  # body sites of several regions, not all blank


def test_a_refresh_is_idempotent_and_dated(clinic):
    before = _rows(clinic)
    first = plan_summary_refresh(clinic)
    stamp = plan_summary_refreshed_at(clinic)
    second = plan_summary_refresh(clinic)
    assert first == second == len(before) == CarePlan.objects.filter(organization=clinic).count()
    assert _rows(clinic) == before
    again = plan_summary_refreshed_at(clinic)
    assert stamp is not None and again is not None and again >= stamp
    assert PlanSummary.objects.filter(organization=clinic).exclude(refreshed_at=again).count() == 0


def test_a_visit_cancelled_after_the_refresh_counts_from_the_next_refresh(clinic, personas):
    frame = episodes(clinic, "odi").set_index("plan_id")
    plan_id = int(frame.index[frame["visits"] > 1][0])
    visit = Encounter.objects.filter(activity__plan_id=plan_id, status=EncounterStatus.FINISHED).first()
    assert visit is not None
    Encounter.objects.filter(pk=visit.pk).update(
        status=EncounterStatus.CANCELLED,
        cancel_reason="Opened in error",
        cancelled_at=timezone.now(),
        cancelled_by=personas["alice"],
    )

    stale = episodes(clinic, "odi").set_index("plan_id")
    assert stale.loc[plan_id, "visits"] == frame.loc[plan_id, "visits"]  # until the next refresh

    call_command("refresh_evidence", organization=clinic.pk, stdout=io.StringIO())
    fresh = episodes(clinic, "odi").set_index("plan_id")
    assert fresh.loc[plan_id, "visits"] == frame.loc[plan_id, "visits"] - 1
    assert _rows(clinic) == _live(clinic)


def test_the_dashboard_says_as_of_when_and_that_later_visits_count_at_the_next_refresh(clinic, personas):
    client = Client()
    client.force_login(personas["alice"])
    response = client.get(PAGE, {"instrument": "odi"})
    assert response.status_code == 200
    text = response.content.decode()
    stamp = plan_summary_refreshed_at(clinic)
    assert stamp is not None
    assert f"Figures as of {timezone.localtime(stamp):%Y-%m-%d %H:%M}" in text
    assert "cancelled since then appears at the next refresh" in text

    # The export and the API say it too.
    exported = client.get("/outcomes/evidence.csv", {"instrument": "odi"}).content.decode("utf-8-sig")
    counted = timezone.localtime(stamp).isoformat(timespec="minutes")
    assert f"# visits counted at,{counted}\r\n" in exported
    answer = client.get("/api/v1/outcomes/evidence", {"instrument": "odi"}).json()
    shown = datetime.datetime.fromisoformat(answer["visits_counted_at"])  # JSON keeps milliseconds
    assert abs(shown - stamp) < datetime.timedelta(milliseconds=1)


def test_the_dashboard_builds_the_summary_when_it_never_was(clinic, personas: dict[str, User]):
    expected = _rows(clinic)
    PlanSummary.objects.filter(organization=clinic).delete()
    client = Client()
    client.force_login(personas["alice"])
    response = client.get(PAGE, {"instrument": "odi"})
    assert response.status_code == 200
    assert _rows(clinic) == expected
    assert 'id="evidence-as-of"' in response.content.decode()


def test_the_command_and_the_periodic_task_rebuild_every_clinic(clinic):
    expected = _rows(clinic)
    PlanSummary.objects.all().delete()
    out = io.StringIO()
    call_command("refresh_evidence", stdout=out)
    assert f"{CarePlan.objects.count()} plan summary row(s) rebuilt" in out.getvalue()
    assert _rows(clinic) == expected
    PlanSummary.objects.all().delete()
    tasks.refresh_evidence.call_local()
    assert _rows(clinic) == expected


def test_the_command_refuses_an_unknown_clinic(clinic):
    with pytest.raises(CommandError, match="No clinic with id 0"):
        call_command("refresh_evidence", organization=0, stdout=io.StringIO())
