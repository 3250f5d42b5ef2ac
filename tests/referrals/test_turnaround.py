"""Turnaround: median and 90th percentile of sent → accepted and accepted → scheduled, per kind and
discipline, from the workflow events; and the numbers drawn as a server-rendered SVG bar chart."""

from __future__ import annotations

import datetime

import pytest

from tandem.referrals import services
from tandem.referrals.models import Referral, ReferralEvent
from tandem.referrals.selectors import referral_turnaround
from tandem.referrals.turnaround import Timeline, bar_chart, format_hours, percentile, turnaround_rows

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
H = datetime.timedelta(hours=1)


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([], 0.5, None),
        ([7.0], 0.9, 7.0),
        ([2.0, 4.0, 10.0], 0.5, 4.0),
        ([2.0, 4.0, 10.0], 0.9, 8.8),  # 4 + (10 - 4) × 0.8
        ([10.0, 2.0, 4.0, 6.0], 0.5, 5.0),  # even count: mean of the middle two
        ([24.0, 48.0], 0.9, 45.6),
        ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.9, 9.1),
    ],
)
def test_it_computes_percentiles_by_linear_interpolation(values, fraction, expected):
    result = percentile(values, fraction)
    assert result == (None if expected is None else pytest.approx(expected))


def test_it_groups_timelines_by_kind_and_discipline():
    rows = turnaround_rows(
        [
            Timeline("massage-order", "massage-therapy", T0, T0 + 2 * H, T0 + 26 * H),
            Timeline("massage-order", "massage-therapy", T0, T0 + 4 * H),
            Timeline("structural", "chiropractic", T0),
        ]
    )
    assert [(r.kind, r.discipline, r.count) for r in rows] == [
        ("massage-order", "massage-therapy", 2),
        ("structural", "chiropractic", 1),
    ]
    assert rows[0].accept_median == pytest.approx(3.0) and rows[0].schedule_median == pytest.approx(24.0)
    assert rows[1].accept_median is None


def _hand_made(referral: Referral, actor, *steps: tuple[str, str, datetime.datetime]) -> None:
    ReferralEvent.objects.filter(referral=referral).delete()
    for from_status, to_status, at in steps:
        ReferralEvent.objects.create(
            referral=referral, from_status=from_status, to_status=to_status, actor=actor, at=at
        )


def test_it_reports_the_clinics_turnaround_from_hand_made_events(alice, maya, make_order, patient):
    timings = [(2, 24), (4, 48), (10, None)]  # hours to accept, then hours to schedule
    for to_accept, to_schedule in timings:
        referral = make_order()
        steps = [
            ("", "draft", T0 - H),
            ("draft", "requested", T0),
            ("requested", "accepted", T0 + to_accept * H),
        ]
        if to_schedule is not None:
            steps.append(("accepted", "ready", T0 + (to_accept + to_schedule) * H))
        _hand_made(referral, maya, *steps)
    outside = make_order()
    _hand_made(
        outside,
        alice,
        ("draft", "requested", T0 - datetime.timedelta(days=40)),
        ("requested", "accepted", T0),
    )
    structural = services.referral_create(
        actor=maya,
        patient=patient,
        data={
            "kind": "structural",
            "reason": "Pain on extension",
            "findings": "Suspect facet irritation at L5.",
            "recipient_practitioner": alice.practitioner.pk,
        },
    )
    _hand_made(structural, maya, ("draft", "requested", T0 + 5 * H))

    report = referral_turnaround(alice, start=datetime.date(2026, 3, 1), end=datetime.date(2026, 3, 31))
    rows = {(r.kind, r.discipline): r for r in report.rows}
    assert set(rows) == {("massage-order", "massage-therapy"), ("structural", "chiropractic")}
    massage = rows[("massage-order", "massage-therapy")]
    assert massage.count == 3
    assert massage.accept_median == pytest.approx(4.0) and massage.accept_p90 == pytest.approx(8.8)
    assert massage.schedule_median == pytest.approx(36.0) and massage.schedule_p90 == pytest.approx(45.6)
    assert rows[("structural", "chiropractic")].count == 1
    assert rows[("structural", "chiropractic")].accept_median is None


def test_it_shows_the_report_as_a_chart_and_a_table(alice, maya, make_order, client_for, dana):
    referral = make_order()
    _hand_made(referral, maya, ("draft", "requested", T0), ("requested", "accepted", T0 + 6 * H))
    response = client_for(alice).get("/referrals/turnaround?start=2026-03-01&end=2026-03-31")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html and 'class="chart-bar chart-bar-accept"' in html
    assert "Massage orders · LMT" in html and "6.0 h" in html
    api = client_for(alice).get("/api/v1/referrals/turnaround?start=2026-03-01&end=2026-03-31").json()
    assert api["rows"][0]["count"] == 1 and api["rows"][0]["accept_median_hours"] == pytest.approx(6.0)
    assert client_for(dana).get("/referrals/turnaround").status_code == 404


def test_it_scales_the_bars_to_the_longest_time():
    chart = bar_chart([("A", 10.0, 40.0), ("B", 20.0, None)], width=640, label_width=210)
    widths = {(b.label, b.series): b.width for b in chart.bars}
    # The scale rounds 40 h up to 50 h over the 360 px of plot (640 - 210 - 70).
    assert widths[("A", "schedule")] == pytest.approx(288.0)
    assert widths[("B", "accept")] == pytest.approx(144.0)
    assert [text for _, text in chart.ticks] == ["0 h", "12.5 h", "25 h", "37.5 h", "50 h"]
    days = bar_chart([("A", 24.0, 120.0)])
    assert [text for _, text in days.ticks] == ["0 d", "1.2 d", "2.5 d", "3.8 d", "5 d"]
    assert [bar.text for bar in days.bars] == ["1 d", "5 d"]
    assert widths[("B", "schedule")] == 0.0
    assert format_hours(None) == "—" and format_hours(50) == "2.1 d" and format_hours(0.5) == "30 min"
    quick = bar_chart([("A", 0.25, 1.5)])
    assert [bar.text for bar in quick.bars] == ["15 min", "90 min"]


def test_it_answers_periods_beyond_the_calendar_without_failing(alice, client_for):
    client = client_for(alice)
    for query, field in (
        ("start=2026-01-01&end=9999-12-31", "end"),
        ("end=9999-12-31", "end"),
        ("start=0001-01-01&end=2026-01-01", "start"),
        ("end=0001-01-01", "end"),
    ):
        api = client.get(f"/api/v1/referrals/turnaround?{query}")
        assert api.status_code == 422, query
        assert api.json()["errors"][0]["field"] == field
        page = client.get(f"/referrals/turnaround?{query}")
        assert page.status_code == 200, query
        assert "the period was cut to fit" in page.content.decode()
    page = client.get("/referrals/turnaround?start=0001-01-01&end=9999-12-31").content.decode()
    assert "2000-01-01" in page and "2099-12-31" in page
