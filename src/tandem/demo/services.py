"""Loading the demo clinic into the database: personas, colleagues, key and generated patients.

Patients are written with bulk_create, a batch of patients and all their rows per transaction, without
going through the per-row patient services: at 50,000 patients those would write a quarter of a million
audit entries for what is one bulk import. Instead each run that creates anything writes one audit entry
(actor: the admin persona, object type "DemoClinic") with the counts. The generator validates every code
and builds rows that satisfy the same rules the services check (billable ICD-10-CM codes, sides only on
limb regions, one open lead, dates not in the future); tests/demo checks them on the stored rows.

Care coordination (external contacts, referrals, plans of care, intake screenings) is different: it is the
clinical workflow the demo shows, so tandem.demo.care writes it through the real services, each step audited,
versioned and safety-gated, for a bounded set of patients (the key patients and at most 60 generated ones).
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import Location, Organization, Practitioner, Role, Room, User
from tandem.audit.models import AuditAction
from tandem.audit.services import audit_record
from tandem.careplans.models import Activity, Approval, CarePlan
from tandem.core.personas import DEMO_PASSWORD, PERSONAS, clinic, persona_user
from tandem.demo import generator
from tandem.demo.care import demo_care_load
from tandem.demo.history import demo_history_load
from tandem.demo.key_patients import KEY_PATIENTS
from tandem.demo.outcomes import ARCHIVED, demo_outcomes_load
from tandem.demo.schedule import demo_schedule_load
from tandem.demo.specs import MAX_PATIENTS, MRN_PREFIX, PatientSpec, ProgressStart, mrn
from tandem.outcomes.services import plan_summary_refresh
from tandem.patients.models import AllergyIntolerance, CareTeamMember, Condition, MedicationStatement, Patient
from tandem.referrals.models import ExternalProvider, Referral, ReferralLetter
from tandem.referrals.workflow import OPEN_STATUSES
from tandem.safety.models import IntakeScreening
from tandem.scheduling.models import Appointment, AppointmentStatus

CLINIC_NAME = "Riverside Spine & Wellness"
BATCH_SIZE = 1000


class DemoSeedMismatch(Exception):
    """The database holds demo patients generated with another seed; adding to them would mix two clinics."""


@dataclass
class DemoResult:
    """What a run created, and what the demo clinic holds afterwards."""

    organization: Organization
    seed: int
    patients: int
    created: Counter[str] = field(default_factory=Counter)
    history: Counter[str] = field(default_factory=Counter)  # the past weeks lived through (demo.history)
    refused: Counter[str] = field(default_factory=Counter)  # what the services refused there, by message
    totals: dict[str, int] = field(default_factory=dict)
    created_mrns: tuple[str, str] | None = None  # first and last MRN created, if any
    logins: list[tuple[str, str]] = field(default_factory=list)  # (username, who)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.history.values())


def demo_clinic_load(
    *,
    patients: int,
    seed: int,
    today: datetime.date | None = None,
    batch_size: int = BATCH_SIZE,
    history: bool = True,
    progress: ProgressStart | None = None,
    effects: Mapping[str, float] | None = None,
) -> DemoResult:
    """Create the demo clinic, or add to it what is missing: safe to run again, a larger N adds patients.

    `patients` counts the key patients too; they are always created. Raises icd10.UnknownCode if a table
    holds an invalid code, DemoSeedMismatch if existing demo patients came from another seed.

    With the history, the plans' outcome measures are recorded too (demo.outcomes); `effects` (instrument ->
    points, from outcomes.synthetic.parse_effect) injects an effect of concurrent care and imports the archive
    of earlier episodes it is measured on.
    """
    if not 0 <= patients <= MAX_PATIENTS:
        raise ValueError(f"The number of patients must be between 0 and {MAX_PATIENTS:,}.")
    started = timezone.now()
    generator.code_descriptions()  # fails loudly, before any write, if a code is not billable
    today = today or timezone.localdate()
    total = max(patients, len(KEY_PATIENTS))
    result = DemoResult(organization=Organization(name=CLINIC_NAME), seed=seed, patients=total)

    existing = set(
        Patient.objects.filter(organization__name=CLINIC_NAME, mrn__startswith=MRN_PREFIX).values_list(
            "mrn", flat=True
        )
    )
    _check_seed(seed, today, existing)  # before any write
    with transaction.atomic():
        result.organization, people = _staff(total, result.created)
    organization = result.organization
    missing = [i for i in range(1, total + 1) if mrn(i) not in existing]

    advance = progress(len(missing), "patients") if progress and missing else None
    try:
        for indices in _batches(missing, batch_size):
            specs = [generator.generate_patient(seed, i, today) for i in indices]
            with transaction.atomic():
                result.created.update(_write(organization, specs, people))
            if advance:
                advance(len(indices))
        # Referrals, plans of care and screenings, through the real services, for a bounded set of patients.
        result.created.update(
            demo_care_load(organization=organization, seed=seed, today=today, total=total, progress=progress)
        )
        # Working hours, availability windows and the booked plans of care.
        result.created.update(
            demo_schedule_load(
                organization=organization,
                seed=seed,
                today=today,
                history=history,
                progress=progress,
                refused=result.refused,
            )
        )
        if history:  # the weeks already past: visits checked in, documented, signed, co-signed and charged
            lived, refused = demo_history_load(organization_id=organization.pk, seed=seed, progress=progress)
            result.history.update(lived)
            result.refused.update(refused)
            measured = demo_outcomes_load(
                organization=organization, seed=seed, effects=effects, progress=progress
            )
            for name, count in measured.items():
                if "refused" in name:
                    result.refused[name] += count
                elif name == ARCHIVED:  # bulk-written like the patients: in the run's audit entry
                    result.created[name] += count
                else:
                    result.history[name] += count
        # The evidence dashboard reads the per-plan summary: rebuilt now, not at the next refresh.
        plan_summary_refresh(organization)
    finally:
        # Whatever was committed, even by an interrupted run, is in the trail.
        created_patients = result.created["patients"]
        if created_patients:
            result.created_mrns = (mrn(missing[0]), mrn(missing[created_patients - 1]))
        if result.changed:
            _audit(result, interrupted=created_patients < len(missing))
    result.totals = _totals(organization)
    result.logins = _logins(total)
    result.seconds = (timezone.now() - started).total_seconds()
    return result


# --- Staff ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Person:
    user_id: int
    practitioner_id: int | None


def _staff(total: int, created: Counter[str]) -> tuple[Organization, dict[str, _Person]]:
    """The clinic with its locations and rooms, the personas, and the colleagues for `total` patients."""
    locations_before = Location.objects.filter(organization__name=CLINIC_NAME).count()
    rooms_before = Room.objects.filter(location__organization__name=CLINIC_NAME).count()
    created["organizations"] += not Organization.objects.filter(name=CLINIC_NAME).exists()
    organization, locations = clinic(CLINIC_NAME)
    created["locations"] += len(locations) - locations_before
    created["rooms"] += Room.objects.filter(location__organization=organization).count() - rooms_before

    usernames = [spec.username for spec in PERSONAS]
    existing = set(User.objects.filter(username__in=usernames).values_list("username", flat=True))
    for spec in PERSONAS:
        persona_user(organization, spec, locations=locations if spec.role == Role.CLINICIAN else None)
    created["users"] += len(set(usernames) - existing)

    staff = generator.staff_for(total)
    existing = set(
        User.objects.filter(username__in=[c.username for c in staff]).values_list("username", flat=True)
    )
    password = make_password(DEMO_PASSWORD)  # one hash for all colleagues: argon2 is slow on purpose
    domain = "".join(ch for ch in organization.name.lower() if ch.isalnum())[:20] + ".example"
    for clinician in staff:
        if clinician.username in existing:
            continue
        user = User.objects.create(
            username=clinician.username,
            first_name=clinician.first_name,
            last_name=clinician.last_name,
            role=Role.CLINICIAN,
            organization=organization,
            email=f"{clinician.username}@{domain}",
            password=password,
        )
        practitioner = Practitioner.objects.create(
            user=user,
            discipline=clinician.discipline,
            credentials=clinician.credentials,
            license_number=clinician.license_number,
            license_state="OR",
            npi=clinician.npi,
        )
        practitioner.locations.set([locations[clinician.location]])
        created["users"] += 1

    people = {
        username: _Person(user_id, practitioner_id)
        for username, user_id, practitioner_id in User.objects.filter(
            username__in=usernames + [c.username for c in staff]
        ).values_list("username", "id", "practitioner__id")
    }
    return organization, people


# --- Patients ---------------------------------------------------------------------------------------------


def _check_seed(seed: int, today: datetime.date, existing: set[str]) -> None:
    """Refuse to extend demo patients that another seed generated: compare the first few stored ones."""
    first_generated = len(KEY_PATIENTS) + 1
    sample = sorted(m for m in existing if m[1:].isdigit() and int(m[1:]) >= first_generated)[:3]
    stored = Patient.objects.filter(organization__name=CLINIC_NAME, mrn__in=sample).values_list(
        "mrn", "given_name", "family_name", "sex"
    )
    for stored_mrn, given_name, family_name, sex in stored:
        expected = generator.generate_patient(seed, int(stored_mrn[1:]), today)
        if (expected.given_name, expected.family_name, expected.sex) != (given_name, family_name, sex):
            raise DemoSeedMismatch(
                f"Patient {stored_mrn} ({given_name} {family_name}) was not generated with seed {seed}; "
                "run again with the seed the demo clinic was loaded with, or use an empty database."
            )


def _batches(indices: list[int], size: int) -> Iterator[list[int]]:
    iterator: Iterable[int] = iter(indices)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _write(organization: Organization, specs: list[PatientSpec], people: dict[str, _Person]) -> Counter[str]:
    """Insert the patients of one batch and all their rows; the caller holds the transaction."""
    patients = [
        Patient(
            organization=organization,
            mrn=s.mrn,
            given_name=s.given_name,
            family_name=s.family_name,
            preferred_name=s.preferred_name,
            birth_date=s.birth_date,
            sex=s.sex,
            phone=s.phone,
            email=s.email,
            address_line=s.address_line,
            city=s.city,
            state=s.state,
            postal_code=s.postal_code,
            preferred_language=s.preferred_language,
            emergency_contact_name=s.emergency_contact_name,
            emergency_contact_relationship=s.emergency_contact_relationship,
            emergency_contact_phone=s.emergency_contact_phone,
        )
        for s in specs
    ]
    Patient.objects.bulk_create(patients)
    if any(p.pk is None for p in patients):  # databases that cannot return ids from a bulk insert
        ids = dict(
            Patient.objects.filter(organization=organization, mrn__in=[s.mrn for s in specs]).values_list(
                "mrn", "id"
            )
        )
        for patient in patients:
            patient.pk = ids[patient.mrn]

    conditions: list[Condition] = []
    medications: list[MedicationStatement] = []
    allergies: list[AllergyIntolerance] = []
    members: list[CareTeamMember] = []
    for spec, patient in zip(specs, patients, strict=True):
        recorder = people[spec.lead_username].user_id
        conditions += [
            Condition(
                patient_id=patient.pk,
                code=c.code,
                text=c.text,
                body_site=c.body_site,
                laterality=c.laterality,
                category=c.category,
                clinical_status=c.clinical_status,
                verification_status=c.verification_status,
                onset_on=c.onset_on,
                evidence=c.evidence,
                recorded_by_id=recorder,
            )
            for c in spec.conditions
        ]
        medications += [
            MedicationStatement(
                patient_id=patient.pk,
                medication=m.medication,
                dosage=m.dosage,
                status=m.status,
                started_on=m.started_on,
                recorded_by_id=recorder,
            )
            for m in spec.medications
        ]
        allergies += [
            AllergyIntolerance(
                patient_id=patient.pk,
                substance=a.substance,
                category=a.category,
                criticality=a.criticality,
                reaction=a.reaction,
                recorded_by_id=recorder,
            )
            for a in spec.allergies
        ]
        members += [
            CareTeamMember(
                patient_id=patient.pk,
                practitioner_id=people[m.username].practitioner_id,
                role=m.role,
                started_on=m.started_on,
                ended_on=m.ended_on,
                added_by_id=recorder,
            )
            for m in spec.care_team
        ]
    Condition.objects.bulk_create(conditions)
    MedicationStatement.objects.bulk_create(medications)
    AllergyIntolerance.objects.bulk_create(allergies)
    CareTeamMember.objects.bulk_create(members)
    return Counter(
        patients=len(patients),
        conditions=len(conditions),
        medications=len(medications),
        allergies=len(allergies),
        care_team_members=len(members),
    )


# --- Audit and summary ------------------------------------------------------------------------------------


def _audit(result: DemoResult, *, interrupted: bool) -> None:
    """One audit entry for the whole run: a bulk import, honestly recorded as one."""
    created = result.created
    parts = [f"seed {result.seed}"]
    if result.created_mrns:
        parts.append(f"patients {result.created_mrns[0]}-{result.created_mrns[1]}")
    parts += [f"{name.replace('_', ' ')}: {count}" for name, count in sorted(created.items()) if count]
    if interrupted:
        parts.append("interrupted before all patients were written")
    with transaction.atomic():
        admin = User.objects.get(username="admin")
        audit_record(
            actor=admin,
            action=AuditAction.CREATE,
            object_type="DemoClinic",
            object_id=result.organization.pk,
            detail="demo clinic loaded: " + "; ".join(parts),
        )


def _totals(organization: Organization) -> dict[str, int]:
    patients = Patient.objects.filter(organization=organization)
    return {
        "patients": patients.count(),
        "conditions": Condition.objects.filter(patient__organization=organization).count(),
        "medications": MedicationStatement.objects.filter(patient__organization=organization).count(),
        "allergies": AllergyIntolerance.objects.filter(patient__organization=organization).count(),
        "open care-team memberships": CareTeamMember.objects.filter(
            patient__organization=organization, ended_on__isnull=True
        ).count(),
        "ended care-team memberships": CareTeamMember.objects.filter(
            patient__organization=organization, ended_on__isnull=False
        ).count(),
        "referrals": Referral.objects.filter(organization=organization).count(),
        "open referrals": Referral.objects.filter(
            organization=organization, status__in=OPEN_STATUSES
        ).count(),
        "referral letters": ReferralLetter.objects.filter(referral__organization=organization).count(),
        "plans of care": CarePlan.objects.filter(organization=organization).count(),
        "active plans of care": CarePlan.objects.filter(organization=organization, status="active").count(),
        "massage activities awaiting approval": Activity.objects.filter(
            plan__organization=organization, approval=Approval.PENDING
        ).count(),
        "intake screenings": IntakeScreening.objects.filter(patient__organization=organization).count(),
        "external contacts": ExternalProvider.objects.filter(organization=organization).count(),
        "clinicians": Practitioner.objects.filter(user__organization=organization).count(),
        "locations": Location.objects.filter(organization=organization).count(),
        "rooms": Room.objects.filter(location__organization=organization).count(),
        "booked appointments": Appointment.objects.filter(
            organization=organization, status=AppointmentStatus.BOOKED
        ).count(),
    }


PERSONA_ROLES = {
    "alice": "chiropractor, leads most plans, supervises LMTs",
    "ben": "physical therapist",
    "maya": "massage therapist, works under supervision",
    "dana": "front desk",
    "admin": "clinic administrator",
}


_DISCIPLINE_ORDER = ("chiropractic", "physical-therapy", "massage-therapy")


def _logins(total: int) -> list[tuple[str, str]]:
    staff = sorted(
        generator.staff_for(total), key=lambda c: (_DISCIPLINE_ORDER.index(c.discipline), c.joins_at)
    )
    usernames = [spec.username for spec in PERSONAS] + [c.username for c in staff]
    users = {
        u.username: u for u in User.objects.filter(username__in=usernames).select_related("practitioner")
    }
    logins = []
    for username in usernames:
        if username in users:
            role = PERSONA_ROLES.get(username, "")
            logins.append((username, users[username].display_name + (f" ({role})" if role else "")))
    return logins
