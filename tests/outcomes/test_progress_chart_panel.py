"""The chart panel draws each measured instrument's progress chart (MCID band, the plan goal's line) below
its latest score, with the goal's achievement status; the front desk sees no chart."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from tests.outcomes import administering
from tests.outcomes.test_goal_status_updates import odi_goal, record

from tandem.outcomes import services

pytestmark = pytest.mark.django_db
robert_plan = administering.robert_plan


def chart_page(client_for, user, patient) -> str:
    page = client_for(user).get(f"/patients/{patient.pk}/")
    assert page.status_code == 200
    return page.content.decode()


def progress_rows(html: str) -> dict[str, str]:
    rows = re.findall(r'<tr class="outcome-progress" data-instrument="(\w+)">(.*?)</tr>', html, re.S)
    return dict(rows)


def test_each_instrument_gets_one_chart_with_the_goal_line_and_mcid_band(
    alice, patient, robert_plan, client_for
):
    goal = odi_goal(alice, robert_plan)
    record(alice, patient, 42, 20, robert_plan, timepoint="baseline")
    record(alice, patient, 28, 2, robert_plan)
    services.response_record(
        actor=alice, patient=patient, instrument_code="nprs", source="paper", answers=[6], plan=robert_plan
    )
    rows = progress_rows(chart_page(client_for, alice, patient))
    assert set(rows) == {"odi", "nprs"}
    odi = rows["odi"]
    assert odi.count("<svg") == 1 and 'class="progress-chart"' in odi
    assert "Goal ≤ 30" in odi  # the goal line of the plan's ODI goal
    assert "MCID" in odi  # the band's legend
    assert "ODI" in odi or "Oswestry" in odi
    assert f"Goal “{goal.description}”" in odi and ">Achieved</span>" in odi
    assert f'href="/careplans/{robert_plan.pk}/"' in odi
    assert "No plan goal measured by" in rows["nprs"] and "Goal ≤" not in rows["nprs"]


def test_the_chart_row_comes_right_below_its_score_line(alice, patient, robert_plan, client_for):
    record(alice, patient, 40, 5, robert_plan)
    html = chart_page(client_for, alice, patient)
    score_line = html.index('<tr data-instrument="odi">')
    chart_row = html.index('<tr class="outcome-progress" data-instrument="odi">')
    assert score_line < chart_row and "</tr>" in html[score_line:chart_row]
    assert '<tr data-instrument="' not in html[score_line + 10 : chart_row]


def test_a_goal_not_yet_judged_says_so(alice, patient, robert_plan, client_for):
    from tandem.careplans.models import Goal

    goal = odi_goal(alice, robert_plan)
    record(alice, patient, 40, 5, robert_plan)
    Goal.objects.filter(pk=goal.pk).update(achievement_status="")
    assert "Not yet judged" in progress_rows(chart_page(client_for, alice, patient))["odi"]


def test_no_scores_no_chart_and_the_front_desk_sees_none(alice, dana, patient, robert_plan, client_for):
    odi_goal(alice, robert_plan)
    assert (
        "<svg" not in chart_page(client_for, alice, patient).split('id="outcomes"')[1].split("</section>")[0]
    )
    record(alice, patient, 40, 5, robert_plan)
    desk = chart_page(client_for, dana, patient)
    assert 'class="progress-chart"' not in desk and "outcome-progress" not in desk


def test_the_chart_uses_the_dates_of_the_scores(alice, patient, robert_plan, client_for):
    record(alice, patient, 40, 21, robert_plan)
    record(alice, patient, 30, 0, robert_plan)
    odi = progress_rows(chart_page(client_for, alice, patient))["odi"]
    first = timezone.localdate() - datetime.timedelta(days=21)
    assert f"{first.day} {first:%b} {first.year}" in odi  # the first dot's tooltip carries its date


def _goal_y(svg: str) -> float:
    return float(re.search(r'<line class="goal" x1="[\d.]+" y1="([\d.]+)"', svg).group(1))


def test_an_ndi_goal_in_percent_is_drawn_on_the_raw_scale_and_says_so(
    alice, patient, robert_plan, client_for
):
    from tests.outcomes.test_goal_status_updates import ndi_goal, record_ndi

    from tandem.outcomes.charts import progress_chart_svg
    from tandem.outcomes.goals import measure_chart_svg, plan_scores
    from tandem.outcomes.scoring import INSTRUMENTS

    goal = ndi_goal(alice, robert_plan)  # 24 % -> 20 %
    record_ndi(alice, patient, 12, 20, robert_plan, timepoint="baseline")
    record_ndi(alice, patient, 9, 1, robert_plan)
    scores = list(plan_scores(robert_plan, "ndi"))
    svg = measure_chart_svg("ndi", scores, goal)
    assert "NDI, raw 0–50 (goal 20 % = 10)" in svg  # the title names the scale drawn
    assert "Goal ≤ 10" in svg and "Goal ≤ 20" not in svg
    points = [(timezone.localdate(s.effective_at), s.value) for s in scores]
    common = {"instrument_range": INSTRUMENTS["ndi"].score_range, "direction": "higher-is-worse"}
    at_raw_10 = progress_chart_svg(points, goal=10, title="t", unit="points", **common)
    at_raw_20 = progress_chart_svg(points, goal=20, title="t", unit="points", **common)
    assert _goal_y(svg) == _goal_y(at_raw_10) != _goal_y(at_raw_20)
    ndi = chart_page(client_for, alice, patient).split('data-instrument="ndi">', 2)[2]
    assert "NDI, raw 0–50 (goal 20 % = 10)" in ndi and "Goal ≤ 10" in ndi
    assert ": ≤ 20 %" in ndi  # the caption gives the goal as written, with its unit
