"""The progress report to the referrer: a PDF of the plan with its goals and their status, each measure's
chart with baseline / latest / change / MCID, the visits per discipline, signed by the lead; clinicians on the
team download it, audited; everyone else gets 404."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pypdfium2
import pytest
from django.utils import timezone
from tests.outcomes import administering
from tests.outcomes.test_goal_status_updates import odi_goal, record

from tandem.audit.models import AuditEvent
from tandem.careplans.models import CarePlan
from tandem.outcomes import services
from tandem.outcomes.report import referrer_of, render_report_html, render_report_pdf
from tandem.referrals.models import ExternalProvider, Referral, ReferralStatus

pytestmark = pytest.mark.django_db
robert_plan = administering.robert_plan
finished_visit = administering.finished_visit


def pdf_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    text = "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    return " ".join(text.split())  # lines wrap where the layout wants


@pytest.fixture
def referrer(alice, patient) -> ExternalProvider:
    doctor = ExternalProvider.objects.create(
        organization=alice.organization,
        name="Dr Hannah Cole",
        credentials="MD",
        specialty="Family physician",
        practice_name="Hawthorne Family Medicine",
        fax="503-555-0189",
        address="3510 SE Hawthorne Blvd\nPortland, OR 97214",
    )
    Referral.objects.create(
        organization=alice.organization,
        patient=patient,
        kind="external-in",
        status=ReferralStatus.ACCEPTED,
        requester_external=doctor,
        recipient_practitioner=alice.practitioner,
        reason="Low back pain for 3 months.",
        created_by=alice,
    )
    return doctor


@pytest.fixture
def measured_plan(alice, patient, robert_plan, referrer) -> CarePlan:
    odi_goal(alice, robert_plan)
    record(alice, patient, 42, 21, robert_plan, timepoint="baseline")
    record(alice, patient, 34, 10, robert_plan)
    record(alice, patient, 28, 1, robert_plan)
    services.response_record(
        actor=alice,
        patient=patient,
        instrument_code="nprs",
        source="paper",
        answers=[7],
        plan=robert_plan,
        authored_at=timezone.now() - datetime.timedelta(days=21),
    )
    services.response_record(
        actor=alice, patient=patient, instrument_code="nprs", source="paper", answers=[4], plan=robert_plan
    )
    return robert_plan


def test_the_pdf_names_patient_referrer_goal_status_and_scores(alice, measured_plan):
    pdf = render_report_pdf(plan=measured_plan, author=alice, written_at=timezone.now())
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    for expected in (
        "Robert Hale",
        measured_plan.title,
        "Dr Hannah Cole, MD",
        "Hawthorne Family Medicine",
        "Manage daily activities",
        "Achieved",
        "42.0",  # ODI baseline
        "28.0",  # ODI latest
        "-14.0",  # the change in points
        "Reached (MCID 10 points or 30 %)",
        "7.0",  # NPRS baseline
        "4.0",
        measured_plan.supervising_practitioner.display_name,
        "Lead clinician of the plan of care",
    ):
        assert expected in text, expected
    if os.environ.get("TANDEM_REPORT_SAMPLE"):  # a look at the layout: renders the first page to PNG
        page = pypdfium2.PdfDocument(pdf)
        for index in range(len(page)):
            target = Path(os.environ["TANDEM_REPORT_SAMPLE"]) / f"report-{index + 1}.png"
            page[index].render(scale=1.6).to_pil().save(target)


def test_the_html_inlines_the_charts_and_fetches_nothing(alice, measured_plan):
    html = render_report_html(plan=measured_plan, author=alice, written_at=timezone.now())
    assert html.count('class="progress-chart"') == 2  # ODI and NPRS
    assert "Goal ≤ 30" in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html and "<img" not in html and "<link" not in html


def test_visits_so_far_are_counted_per_discipline(alice, measured_plan, finished_visit):
    finished_visit(0)
    finished_visit(1)
    text = pdf_text(render_report_pdf(plan=measured_plan, author=alice, written_at=timezone.now()))
    assert "Visits so far" in text.replace("VISITS SO FAR", "Visits so far")
    assert "Physical therapy" in text and "2 so far" in text


def test_a_plan_without_scores_or_referrer_still_renders(alice, robert_plan):
    assert referrer_of(robert_plan) is None
    text = pdf_text(render_report_pdf(plan=robert_plan, author=alice, written_at=timezone.now()))
    assert "No referring provider on file." in text
    assert "No outcome measures recorded for this plan yet." in text
    assert "No finished visits yet." in text


def test_the_plans_own_referral_names_the_referrer_first(alice, patient, robert_plan, referrer):
    other = ExternalProvider.objects.create(organization=alice.organization, name="Dr Omar Reyes")
    referral = Referral.objects.create(
        organization=alice.organization,
        patient=patient,
        kind="external-in",
        status=ReferralStatus.ACCEPTED,
        requester_external=other,
        recipient_practitioner=alice.practitioner,
        reason="Neck pain.",
        created_by=alice,
    )
    assert referrer_of(robert_plan) == other  # the patient's latest referral
    CarePlan.objects.filter(pk=robert_plan.pk).update(
        based_on_referral=Referral.objects.exclude(pk=referral.pk).get()
    )
    robert_plan.refresh_from_db()
    assert referrer_of(robert_plan) == referrer


@pytest.mark.parametrize("who", ["alice", "ben", "maya"])
def test_clinicians_on_the_team_download_it_audited(who, personas, measured_plan, client_for):
    user = personas[who]
    response = client_for(user).get(f"/careplans/{measured_plan.pk}/progress-report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"].startswith('attachment; filename="progress-report-')
    assert AuditEvent.objects.filter(
        actor_id=user.pk,
        object_type="CarePlan",
        object_id=str(measured_plan.pk),
        detail="progress report PDF",
    ).exists()


@pytest.mark.parametrize("who", ["dana", "admin", "outsider"])
def test_others_get_404(who, personas, measured_plan, client_for):
    response = client_for(personas[who]).get(f"/careplans/{measured_plan.pk}/progress-report.pdf")
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(detail="progress report PDF").exists()


def test_a_clinician_off_the_team_gets_404_and_unknown_plans_too(ben, other_patient, alice, client_for):
    from tandem.careplans import services as careplans

    plan = careplans.careplan_create(actor=ben, patient=other_patient, data={"title": "Neck"})
    assert client_for(alice).get(f"/careplans/{plan.pk}/progress-report.pdf").status_code == 404
    assert client_for(ben).get("/careplans/999999/progress-report.pdf").status_code == 404


def test_the_plan_page_links_to_the_report(alice, measured_plan, client_for):
    page = client_for(alice).get(f"/careplans/{measured_plan.pk}/").content.decode()
    assert f'href="/careplans/{measured_plan.pk}/progress-report.pdf"' in page


def test_an_ndi_goal_baseline_in_percent_is_reported_on_the_raw_scale(alice, patient, robert_plan):
    from tests.outcomes.test_goal_status_updates import ndi_goal, record_ndi

    from tandem.outcomes.report import measure_rows

    goal = ndi_goal(alice, robert_plan)  # baseline 24 %, target 20 %
    record_ndi(alice, patient, 9, 1, robert_plan)  # raw 9 = 18 %
    (row,) = measure_rows(robert_plan, [goal])
    assert row.goal == goal and row.baseline_on is None  # the goal's recorded baseline...
    assert row.baseline == 12 and row.latest == 9  # ...as raw points, like the score (24 % = 12)
    assert row.change_points == "-3.0" and row.unit == "points"
    assert "NDI, raw 0–50 (goal 20 % = 10)" in row.chart and "Goal ≤ 10" in row.chart
    text = pdf_text(render_report_pdf(plan=robert_plan, author=alice, written_at=timezone.now()))
    assert "24 %" in text and "20 %" in text  # the goals table: the goal as written, with its unit
