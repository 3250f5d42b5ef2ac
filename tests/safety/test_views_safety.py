"""Safety pages: the screening form and detail, the live findings fragment, and the chart panel tag."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from tests.conftest import make_patient

from tandem.audit.models import AuditEvent
from tandem.safety.engine import PlannedActivity
from tandem.safety.models import IntakeScreening
from tandem.safety.services import safety_gate, screening_record


def test_it_shows_the_screening_form_with_every_red_flag_group(alice, patient, client_for):
    response = client_for(alice).get(f"/patients/{patient.pk}/screening/new")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Saddle anaesthesia" in page and "Cauda equina (emergency)" in page
    assert 'name="factors" value="open-wound"' in page
    assert 'name="site__open-wound"' in page


def test_it_records_a_positive_screening_and_shows_the_urgent_referral_panel(alice, patient, client_for):
    client = client_for(alice)
    response = client.post(
        f"/patients/{patient.pk}/screening/new",
        {"red_flags": ["saddle-anaesthesia"], "factors": ["open-wound"], "site__open-wound": "knee-left"},
        follow=True,
    )
    assert response.status_code == 200
    screening = IntakeScreening.objects.get(patient=patient)
    assert screening.urgent_referral_recommended
    assert screening.factors == [{"factor": "open-wound", "body_site": "knee-left"}]
    page = response.content.decode()
    assert "Urgent referral recommended" in page
    link = response.context["referral_url"]
    assert urlparse(link).path == f"/patients/{patient.pk}/referrals/new"
    query = parse_qs(urlparse(link).query)
    assert query["urgency"] == ["urgent"]
    assert "Saddle anaesthesia" in query["reason"][0]
    assert "Refer urgently" in page


def test_it_records_a_negative_screening_without_the_panel(ben, patient, client_for):
    response = client_for(ben).post(
        f"/patients/{patient.pk}/screening/new", {"notes": "All clear"}, follow=True
    )
    assert response.status_code == 200
    assert "Urgent referral recommended" not in response.content.decode()
    assert not IntakeScreening.objects.get(patient=patient).urgent_referral_recommended


def test_it_keeps_what_was_typed_when_a_choice_is_invalid(alice, patient, client_for):
    response = client_for(alice).post(
        f"/patients/{patient.pk}/screening/new",
        {"red_flags": ["saddle-anaesthesia", "sneezing"], "notes": "Keep me"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Keep me" in page
    assert 'id="id_red_flags-errors"' in page
    assert not IntakeScreening.objects.exists()


@pytest.mark.parametrize("persona", ["dana", "admin", "outsider"])
def test_it_hides_screening_pages_from_people_outside_clinical_care(
    persona, personas, alice, patient, client_for
):
    screening = screening_record(actor=alice, patient=patient, data={})
    client = client_for(personas[persona])
    assert client.get(f"/patients/{patient.pk}/screening/new").status_code == 404
    assert (
        client.post(f"/patients/{patient.pk}/screening/new", {"red_flags": ["night-pain"]}).status_code == 404
    )
    assert client.get(f"/screenings/{screening.pk}/").status_code == 404
    assert IntakeScreening.objects.count() == 1


def test_it_hides_linda_parks_screenings_from_maya(ben, maya, other_patient, client_for):
    screening = screening_record(actor=ben, patient=other_patient, data={"red_flags": ["night-pain"]})
    client = client_for(maya)
    assert client.get(f"/screenings/{screening.pk}/").status_code == 404
    assert client.get(f"/patients/{other_patient.pk}/screening/new").status_code == 404
    assert client_for(ben).get(f"/screenings/{screening.pk}/").status_code == 200


def test_it_audits_reading_a_screening(alice, maya, patient, client_for):
    screening = screening_record(actor=alice, patient=patient, data={})
    client_for(maya).get(f"/screenings/{screening.pk}/")
    assert AuditEvent.objects.filter(
        actor_id=maya.pk, action="R", object_type="IntakeScreening", object_id=str(screening.pk)
    ).exists()


# The live findings fragment -----------------------------------------------------------------------------


def _fragment(client, patient_id: int, technique: str, sites: list[str], pressure: str = "light") -> object:
    data = {"patient": patient_id, "technique": technique, "body_sites": sites}
    if pressure:
        data["pressure"] = pressure
    return client.post("/safety/check-fragment", data)


def test_it_checks_the_pressure_in_the_fragment(alice, patient, client_for):
    client = client_for(alice)
    light = _fragment(client, patient.pk, "massage-swedish", ["cervical"]).content.decode()
    assert "badge-precaution" in light and "badge-contraindicated" not in light
    firm = client.post(
        "/safety/check-fragment",
        {"patient": patient.pk, "technique": "massage-swedish", "massage_pressure": "firm"},
    ).content.decode()
    assert "badge-contraindicated" in firm
    unstated = _fragment(client, patient.pk, "massage-swedish", ["cervical"], pressure="").content.decode()
    assert "badge-contraindicated" in unstated
    assert "crushing" in _fragment(client, patient.pk, "massage-swedish", [], "crushing").content.decode()


def test_it_renders_live_findings_with_severity_badges(maya, patient, client_for):
    response = _fragment(client_for(maya), patient.pk, "massage-deep-tissue", ["lumbar"])
    assert response.status_code == 200
    page = response.content.decode()
    assert "badge-contraindicated" in page and "NCCIH" in page


def test_it_says_so_when_there_are_no_findings(alice, client_for):
    healthy = make_patient(alice, "Nora", "Quinn")
    response = _fragment(client_for(alice), healthy.pk, "massage-swedish", ["cervical"])
    assert "No safety findings" in response.content.decode()


def test_it_marks_a_precaution_already_overridden(alice, patient, client_for):
    safety_gate(
        actor=alice,
        patient=patient,
        activities=[PlannedActivity("massage-swedish", ("cervical",), "light")],
        override_reason="INR stable",
        subject="referral:1",
    )
    client = client_for(alice)
    data = {
        "patient": patient.pk,
        "technique": "massage-swedish",
        "body_sites": ["cervical"],
        "pressure": "light",
    }
    page = client.post("/safety/check-fragment", {**data, "subject": "referral:1"}).content.decode()
    assert "badge-precaution" in page and "override on record" in page
    # Overrides count for their own subject only: another referral, or no subject, shows none on record.
    other = client.post("/safety/check-fragment", {**data, "subject": "referral:2"}).content.decode()
    assert "badge-precaution" in other and "override on record" not in other
    assert "override on record" not in client.post("/safety/check-fragment", data).content.decode()


def test_it_names_an_unknown_technique_in_the_fragment(alice, patient, client_for):
    page = _fragment(client_for(alice), patient.pk, "reiki", ["aura"]).content.decode()
    assert "reiki" in page and "aura" in page


def test_it_asks_for_a_technique_first(alice, patient, client_for):
    assert "Choose a technique" in _fragment(client_for(alice), patient.pk, "", []).content.decode()


def test_it_refuses_the_fragment_for_patients_outside_the_team(
    maya, outsider, dana, patient, other_patient, client_for
):
    assert _fragment(client_for(maya), other_patient.pk, "massage-swedish", []).status_code == 404
    assert _fragment(client_for(outsider), patient.pk, "massage-swedish", []).status_code == 404
    assert _fragment(client_for(dana), patient.pk, "massage-swedish", []).status_code == 404
    assert _fragment(client_for(maya), "nonsense", "massage-swedish", []).status_code == 404
    assert client_for(maya).get("/safety/check-fragment").status_code == 405


# The chart panel tag ----------------------------------------------------------------------------------------

PANEL = Template("{% load safety_tags %}{% safety_chart_panel patient %}")


def _render_panel(user, patient) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return PANEL.render(Context({"patient": patient, "user": user, "request": request}))


def test_it_renders_the_chart_panel_with_screening_and_overrides(alice, ben, patient):
    screening_record(
        actor=alice,
        patient=patient,
        data={
            "red_flags": ["unexplained-weight-loss"],
            "factors": [{"factor": "recent-surgery", "body_site": "knee-right"}],
        },
    )
    safety_gate(
        actor=alice,
        patient=patient,
        activities=[PlannedActivity("massage-swedish", ("cervical",), "light")],
        override_reason="INR stable at 2.1",
        subject="careplan-activity:3",
    )
    html = _render_panel(ben, patient)
    assert "Urgent referral recommended" in html
    assert "Unexplained weight loss" in html
    assert "Recent surgery — knee, right" in html
    assert "INR stable at 2.1" in html
    assert f"/patients/{patient.pk}/referrals/new?urgency=urgent" in html


def test_it_renders_nothing_for_the_front_desk(dana, alice, patient):
    screening_record(actor=alice, patient=patient, data={"red_flags": ["night-pain"]})
    assert _render_panel(dana, patient).strip() == ""


def test_it_says_when_no_screening_is_recorded(alice, patient):
    assert "No intake screening recorded" in _render_panel(alice, patient)
