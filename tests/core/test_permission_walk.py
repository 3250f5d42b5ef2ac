"""Walk every view and API endpoint with every persona (DESIGN.md §2, invariant 4).

The routes are discovered from the URL configuration, so a new view is walked the day it is added; a route
with a parameter this walker does not know fails the test until it is taught how to fill it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tandem.accounts.services import token_create
from tandem.patients import services
from tandem.patients.models import (
    AllergyIntolerance,
    CareTeamMember,
    Condition,
    MedicationStatement,
    Patient,
)

# Every route parameter names a patient's record unless listed here (a new app's ids are patient-scoped by
# default, so the outsider and maya checks cover them the day they are added).
NOT_PATIENT_SCOPED = {
    "token_id",
    "user_id",
    "contact_id",
    # scheduling: a calendar or a practitioner's availability is the clinic's, not one patient's
    "practitioner_id",
    "location_id",
    "room_id",
    "time_off_id",
    "feed_id",
    "token",
    # billing: a claim file is the clinic's (many patients), for the clinicians who export claims
    "claim_file_id",
}
ADMIN_ONLY = re.compile(r"^(audit|staff|settings)(/|$)")
PUBLIC = re.compile(r"^(login/?|api/v1/(openapi\.json|docs.*))$")
CLINICAL_MARKERS = ("advanced L4-L5", "Warfarin", "Other intervertebral disc", "Lavender oil")
PERSONAS = ("alice", "ben", "maya", "dana", "admin", "outsider")


@dataclass(frozen=True)
class Route:
    template: str  # e.g. "api/v1/patients/<int:patient_id>"
    params: tuple[str, ...]

    def fill(self, values: dict[str, int]) -> str:
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), self.template)


def _routes(patterns: list, prefix: str = "") -> list[Route]:
    found: list[Route] = []
    for entry in patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _routes(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            template = (prefix + route).lstrip("^").rstrip("$")
            found.append(Route(template, tuple(re.findall(r"<(?:\w+:)?(\w+)>", template))))
    return found


ROUTES = _routes(get_resolver().url_patterns)


@pytest.fixture
def record(
    alice,
    maya,
    patient,
    other_patient,
    walk_ids_safety,
    walk_ids_referrals,
    walk_ids_careplans,
    walk_ids_scheduling,
    walk_ids_charting,
) -> dict[str, dict[str, int]]:
    """Ids to fill the routes with: Robert (alice, ben, maya on the team) and Linda (ben only)."""
    services.allergy_create(
        actor=alice, patient=patient, data={"substance": "Lavender oil", "category": "environment"}
    )
    _, _secret = token_create(user=alice, name="walk")

    def ids(person: Patient) -> dict[str, int]:
        return {
            "patient_id": person.pk,
            "condition_id": _first_or_create_condition(person),
            "medication_id": _first_or_create_medication(person),
            "allergy_id": _first_or_create_allergy(person),
            "member_id": CareTeamMember.objects.filter(patient=person).first().pk,
            "token_id": alice.api_tokens.first().pk,
            "user_id": maya.pk,
        }

    found = {"robert": ids(patient), "linda": ids(other_patient)}
    for extra in (
        walk_ids_safety,
        walk_ids_referrals,
        walk_ids_careplans,
        walk_ids_scheduling,
        walk_ids_charting,
    ):
        for person in found:
            found[person].update(extra[person])
    return found


def _first_or_create_condition(person: Patient) -> int:
    found = Condition.objects.filter(patient=person).first()
    if found:
        return found.pk
    lead = person.care_team.first().practitioner.user
    data = {"code": "M54.2", "body_site": "cervical", "category": "soft-tissue"}
    return services.condition_create(actor=lead, patient=person, data=data).pk


def _first_or_create_medication(person: Patient) -> int:
    found = MedicationStatement.objects.filter(patient=person).first()
    if found:
        return found.pk
    lead = person.care_team.first().practitioner.user
    return services.medication_create(actor=lead, patient=person, data={"medication": "ibuprofen"}).pk


def _first_or_create_allergy(person: Patient) -> int:
    found = AllergyIntolerance.objects.filter(patient=person).first()
    if found:
        return found.pk
    lead = person.care_team.first().practitioner.user
    data = {"substance": "latex", "category": "environment"}
    return services.allergy_create(actor=lead, patient=person, data=data).pk


def test_the_walker_knows_every_route_parameter(record):
    unknown = {(r.template, p) for r in ROUTES for p in r.params if p not in record["robert"]}
    assert not unknown, f"teach the permission walk how to fill: {sorted(unknown)}"
    assert len(ROUTES) > 20


def _patient_scoped(route: Route) -> bool:
    return bool(set(route.params) - NOT_PATIENT_SCOPED)


def _client(personas: dict, name: str) -> Client:
    client = Client()
    if name != "anonymous":
        client.force_login(personas[name])
    return client


def _snapshot() -> list[list[tuple]]:
    """Every row of patient data, so a refused write that changed anything at all is caught."""
    models = (Patient, Condition, MedicationStatement, AllergyIntolerance, CareTeamMember)
    return [sorted(m.objects.values_list(), key=lambda row: row[0]) for m in models]


# A well-formed body per writable route, so the refusal comes from the access check, not from validation.
WRITE_BODIES: dict[str, dict[str, object]] = {
    r"/conditions$|^api/v1/conditions/": {
        "code": "M54.2",
        "body_site": "cervical",
        "category": "soft-tissue",
    },
    r"/medications$|^api/v1/medications/": {"medication": "ibuprofen"},
    r"/allergies$|^api/v1/allergies/": {"substance": "latex", "category": "environment"},
    r"/care-team$": {"practitioner": 0, "role": "member"},
    r"^api/v1/care-team/<int:member_id>/end$": {"ended_on": "2026-01-01"},
    r"^api/v1/patients/<int:patient_id>$": {"given_name": "Changed"},
    r"/break-glass$": {"reason": "Patient collapsed in the waiting room"},
}


def _body_for(template: str, personas: dict) -> dict[str, object]:
    for pattern, body in WRITE_BODIES.items():
        if re.search(pattern, template):
            if "practitioner" in body:
                return {**body, "practitioner": personas["maya"].practitioner.pk}
            return body
    return {}


@pytest.mark.parametrize("persona", ["anonymous", *PERSONAS])
def test_every_route_answers_each_persona_only_what_it_may_see(persona, personas, record):
    client = _client(personas, persona)
    problems = []
    for route in ROUTES:
        url = route.fill(record["robert"])
        response = client.get(url)
        status = response.status_code
        body = ""
        if status == 200:
            raw = b"".join(response.streaming_content) if response.streaming else response.content
            body = raw.decode(errors="replace")
        scoped = _patient_scoped(route)
        if status >= 500:
            problems.append(f"{url}: {status}")
        if persona == "anonymous" and not PUBLIC.match(route.template) and status not in (302, 401, 404, 405):
            problems.append(f"{url}: anonymous got {status}")
        if persona == "outsider" and scoped and status == 200:
            problems.append(f"{url}: outsider got 200")
        if persona != "admin" and ADMIN_ONLY.match(route.template) and status == 200:
            problems.append(f"{url}: {persona} got 200 on an admin page")
        if persona in ("dana", "admin", "outsider", "anonymous"):
            leaked = [marker for marker in CLINICAL_MARKERS if marker in body]
            if leaked:
                problems.append(f"{url}: {persona} saw clinical content {leaked}")
    assert not problems, "\n".join(problems)


def test_maya_sees_nothing_of_a_patient_outside_her_care_team(personas, record):
    client = _client(personas, "maya")
    leaks = []
    for route in ROUTES:
        if not _patient_scoped(route):
            continue
        url = route.fill(record["linda"])
        status = client.get(url).status_code
        if status == 200:
            leaks.append(url)
    assert not leaks, f"maya reached Linda Park's record at {leaks}"


@pytest.mark.parametrize("persona", ["outsider", "maya"])
@pytest.mark.parametrize("method", ["post", "patch"])
def test_writes_to_a_patient_outside_the_team_are_refused_and_change_nothing(
    persona, method, personas, record
):
    client = _client(personas, persona)
    target = record["linda"] if persona == "maya" else record["robert"]
    before = _snapshot()
    answered = {}
    for route in ROUTES:
        if not _patient_scoped(route):
            continue
        if persona == "maya" and route.template.endswith("break-glass"):
            continue  # a clinician of the clinic may break the glass; that path has its own tests
        url = route.fill(target)
        body = _body_for(route.template, personas)
        response = getattr(client, method)(url, data=body, content_type="application/json")
        answered[url] = response.status_code
    assert _snapshot() == before
    assert not {url: s for url, s in answered.items() if s not in (404, 405)}, answered
    assert any(s == 404 for s in answered.values())
