"""The scheduling benchmark's clinic generator and its verdicts on the targets (bench/, `make bench`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root holds the bench package

from bench.clinic import SIZES, generate  # noqa: E402
from bench.scheduling import markdown, parse, svg, targets  # noqa: E402

from tandem.scheduling.planning import solve_greedy, violations  # noqa: E402


def test_the_generator_is_seeded_and_lands_in_the_utilisation_range() -> None:
    first = generate(SIZES["S"], 3)
    again = generate(SIZES["S"], 3)
    other = generate(SIZES["S"], 4)
    assert first.problem == again.problem
    assert first.problem.visits != other.problem.visits
    assert 0.6 <= first.utilisation <= 0.9
    assert len(first.problem.practitioners) == 6 and len(first.problem.rooms) == 4
    assert {p.discipline for p in first.problem.practitioners} == {
        "chiropractic",
        "physical-therapy",
        "massage-therapy",
    }
    assert first.problem.rules and first.problem.patient_windows


def test_a_generated_clinic_is_booked_validly_by_greedy() -> None:
    clinic = generate(SIZES["S"], 1)
    solution = solve_greedy(clinic.problem)
    assert violations(clinic.problem, solution.placements) == []
    assert len(solution.placements) > 0.9 * len(clinic.problem.visits)


def _result(booked: int, gap: float | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "method": "cp-sat" if gap is not None else "greedy",
        "status": "feasible" if gap is not None else "greedy",
        "requested": 100,
        "booked": booked,
        "booked_share": booked / 100,
        "rules_total": 10,
        "rules_met": 8,
        "continuity": 0.9,
        "objective": 1000.0 * booked,
        "bound": None if gap is None else 1000.0 * booked / (1 - gap),
        "gap": gap,
        "wall_seconds": 1.0,
        "time_limit": 60.0 if gap is not None else None,
        "workers": 2,
        "peak_rss_mb": 100.0,
        "baseline_rss_mb": 50.0,
        "unplaced_reasons": {"Every chiropractor is fully booked": 2},
        **extra,
    }


def _results(m_cpsat: dict[str, Any], latency_p95: float) -> dict[str, Any]:
    clinic = {
        "plans": 500,
        "plans_with_visits": 400,
        "practitioners": 9,
        "rooms": 6,
        "visits": 100,
        "requested_hours": 80,
        "practitioner_hours": 100,
        "utilisation": 0.8,
        "patients_with_windows": 40,
        "rule_instances": 10,
    }
    return {
        "generated_at": "now",
        "command": "python -m bench scheduling",
        "machine": {"cpus": 2, "python": "3.11", "ortools": "9.15"},
        "seed": 1,
        "sizes": {"M": {"clinic": clinic, "greedy": _result(95), "cpsat": m_cpsat}},
        "latency": {
            "size": "M",
            "plans": 50,
            "time_limit": 3.0,
            "workers": 2,
            "calendar_appointments": 1000,
            "calendar_utilisation": 0.8,
            "p50_seconds": 0.05,
            "p95_seconds": latency_p95,
            "max_seconds": latency_p95,
            "requested": 500,
            "booked": 480,
            "greedy_booked": 480,
            "plans_where_cpsat_booked_fewer": 0,
            "statuses": {"optimal": 50},
            "rules_met": 10,
            "rules_total": 12,
        },
    }


@pytest.mark.parametrize(
    ("m_cpsat", "p95", "verdicts"),
    [
        pytest.param(_result(97, gap=0.01), 0.2, [True, True, True], id="all-met"),
        pytest.param(_result(97, gap=0.05), 1.5, [False, False, True], id="gap-and-latency-missed"),
        pytest.param(_result(90, gap=0.01), 0.2, [True, True, False], id="cpsat-booked-fewer"),
        pytest.param(_result(97, gap=0.01, workers=8), 0.2, [True, False, True], id="more-than-two-workers"),
    ],
)
def test_the_targets_are_judged_honestly(m_cpsat: dict[str, Any], p95: float, verdicts: list[bool]) -> None:
    results = _results(m_cpsat, p95)
    results["targets"] = targets(results)
    assert [t["met"] for t in results["targets"]] == verdicts
    report = markdown(results)
    assert report.count("NOT MET") == verdicts.count(False)
    assert "| M | greedy |" in report
    assert svg(results).startswith("<svg") and "</svg>" in svg(results)


def test_the_command_line_refuses_an_unknown_size() -> None:
    with pytest.raises(SystemExit):
        parse(["--sizes", "XL"])
    assert parse(["--sizes", "s,m"]).sizes == ["S", "M"]
