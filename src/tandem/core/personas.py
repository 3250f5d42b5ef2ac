"""The demo personas of DESIGN.md §2, shared by the demo clinic and the test suite."""

from __future__ import annotations

from dataclasses import dataclass

from tandem.accounts.models import Location, Organization, Practitioner, Role, Room, User

DEMO_PASSWORD = "tandem-demo"


@dataclass(frozen=True)
class PersonaSpec:
    username: str
    first_name: str
    last_name: str
    role: str
    discipline: str = ""
    credentials: str = ""
    license_number: str = ""
    npi: str = ""


PERSONAS: tuple[PersonaSpec, ...] = (
    PersonaSpec("alice", "Alice", "Moreau", Role.CLINICIAN, "chiropractic", "DC", "CHI-004711", "1457384927"),
    PersonaSpec("ben", "Ben", "Okafor", Role.CLINICIAN, "physical-therapy", "DPT", "PT-019283", "1295847366"),
    PersonaSpec(
        "maya", "Maya", "Lindqvist", Role.CLINICIAN, "massage-therapy", "LMT", "MA-088812", "1386920478"
    ),
    PersonaSpec("dana", "Dana", "Whitfield", Role.FRONT_DESK),
    PersonaSpec("admin", "Sam", "Reyes", Role.CLINIC_ADMIN),
)


def persona_user(
    organization: Organization,
    spec: PersonaSpec,
    *,
    password: str = DEMO_PASSWORD,
    license_state: str = "OR",
    locations: list[Location] | None = None,
) -> User:
    """Create (or return) the user of a persona, with a practitioner record for clinicians."""
    user, created = User.objects.get_or_create(
        username=spec.username,
        defaults={
            "first_name": spec.first_name,
            "last_name": spec.last_name,
            "role": spec.role,
            "organization": organization,
            "email": f"{spec.username}@{_domain(organization)}",
        },
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    if spec.role == Role.CLINICIAN and not hasattr(user, "practitioner"):
        practitioner = Practitioner.objects.create(
            user=user,
            discipline=spec.discipline,
            credentials=spec.credentials,
            license_number=spec.license_number,
            license_state=license_state,
            npi=spec.npi,
        )
        if locations:
            practitioner.locations.set(locations)
    return user


def _domain(organization: Organization) -> str:
    return "".join(ch for ch in organization.name.lower() if ch.isalnum())[:20] + ".example"


def clinic(name: str = "Riverside Spine & Wellness") -> tuple[Organization, list[Location]]:
    """An organization with two locations and their treatment rooms."""
    organization, _ = Organization.objects.get_or_create(name=name, defaults={"phone": "+1 503 555 0100"})
    adjusting, massage, gym = ["adjusting-table"], ["massage-table"], ["gym-floor"]
    rooms: dict[str, dict[str, list[str]]] = {
        "Riverside Main": {
            "Adjusting 1": adjusting,
            "Adjusting 2": adjusting,
            "Massage 1": massage,
            "Massage 2": massage,
            "Gym floor": gym,
            "Rehab bay": gym,
        },
        "Eastside": {"Adjusting 1": adjusting, "Massage 1": massage, "Gym floor": gym},
    }
    locations = []
    for location_name, room_names in rooms.items():
        location, _ = Location.objects.get_or_create(
            organization=organization,
            name=location_name,
            defaults={
                "city": "Portland",
                "state": "OR",
                "postal_code": "97214",
                "address_line": "1200 SE Water Ave",
            },
        )
        for room_name, equipment in room_names.items():
            room, _ = Room.objects.get_or_create(
                location=location, name=room_name, defaults={"equipment": equipment}
            )
            if not room.equipment:
                room.equipment = equipment
                room.save(update_fields=["equipment"])
        locations.append(location)
    return organization, locations
