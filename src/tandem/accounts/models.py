from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models

from tandem.core.models import TimeStampedModel


class Organization(TimeStampedModel):
    """A clinic (FHIR Organization). Every user and patient belongs to exactly one."""

    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=40, blank=True)
    npi = models.CharField("group NPI", max_length=10, blank=True)

    def __str__(self) -> str:
        return self.name


class Location(TimeStampedModel):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="locations")
    name = models.CharField(max_length=200)
    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="location_name_unique")]

    def __str__(self) -> str:
        return self.name


class Room(TimeStampedModel):
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    equipment = models.JSONField(
        default=list,
        blank=True,
        help_text="Equipment codes (core.vocabularies.EQUIPMENT): what visits it fits.",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["location", "name"], name="room_name_unique")]

    def __str__(self) -> str:
        return f"{self.location.name} · {self.name}"


class Role(models.TextChoices):
    CLINICIAN = "clinician", "Clinician"
    FRONT_DESK = "front-desk", "Front desk"
    CLINIC_ADMIN = "clinic-admin", "Clinic administrator"


class User(AbstractUser):
    """A person who signs in. `role` decides what the person may see (DESIGN.md §2)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="users", null=True, blank=True
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CLINICIAN)

    @property
    def is_clinician(self) -> bool:
        return self.role == Role.CLINICIAN and hasattr(self, "practitioner")

    @property
    def is_front_desk(self) -> bool:
        return self.role == Role.FRONT_DESK

    @property
    def is_clinic_admin(self) -> bool:
        return self.role == Role.CLINIC_ADMIN

    @property
    def display_name(self) -> str:
        if hasattr(self, "practitioner"):
            return self.practitioner.display_name
        return self.get_full_name() or self.username


class Discipline(models.TextChoices):
    CHIROPRACTIC = "chiropractic", "Chiropractic"
    PHYSICAL_THERAPY = "physical-therapy", "Physical therapy"
    MASSAGE_THERAPY = "massage-therapy", "Massage therapy"


class Practitioner(TimeStampedModel):
    """A clinician's professional record (FHIR Practitioner + PractitionerRole)."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="practitioner")
    discipline = models.CharField(max_length=20, choices=Discipline.choices)
    credentials = models.CharField(max_length=40, blank=True, help_text="e.g. DC, DPT, LMT")
    license_number = models.CharField(max_length=40)
    license_state = models.CharField(max_length=2)
    npi = models.CharField("NPI", max_length=10, blank=True)
    locations = models.ManyToManyField(Location, blank=True, related_name="practitioners")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["license_state", "license_number"], name="practitioner_license_unique"
            )
        ]

    @property
    def display_name(self) -> str:
        name = self.user.get_full_name() or self.user.username
        prefix = "Dr " if self.discipline == "chiropractic" else ""
        return f"{prefix}{name}{', ' + self.credentials if self.credentials else ''}"

    def __str__(self) -> str:
        return self.display_name


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest is stored; the token itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @staticmethod
    def digest_of(token: str) -> str:
        # Tokens carry 256 bits of randomness, so a fast hash is enough: there is nothing to brute-force.
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
