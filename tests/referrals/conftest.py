"""Shared helpers of the referral tests: a contact, and referrals in every state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tandem.accounts.models import User
from tandem.patients.models import Patient
from tandem.referrals import services
from tandem.referrals.models import ExternalProvider, Referral

OVERRIDE = "INR stable at 2.4 last week; light pressure only, agreed with the patient."


def massage_order_data(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "massage-order",
        "priority": "routine",
        "reason": "Paraspinal muscle guarding around the degenerated L4-L5 disc.",
        "recipient_discipline": "massage-therapy",
        "techniques": ["massage-swedish"],
        "body_sites": ["lumbar", "thoracic"],
        "pressure_limit": "light",
        "precautions": "On warfarin: no deep pressure.",
        "session_count": 6,
        "sessions_per_week": 1,
        "goals": "Reduce guarding; sit 30 minutes without pain.",
    }
    data.update(extra)
    return data


@pytest.fixture
def contact(alice) -> ExternalProvider:
    return services.contact_create(
        actor=alice,
        data={
            "name": "Dr Hannah Cole",
            "credentials": "MD",
            "specialty": "Family physician",
            "practice_name": "Hawthorne Family Medicine",
            "phone": "503-555-0188",
            "fax": "503-555-0189",
            "address": "3510 SE Hawthorne Blvd\nPortland, OR 97214",
        },
    )


@pytest.fixture
def make_order(alice, maya, patient) -> Callable[..., Referral]:
    """A massage order for Robert Hale from alice to maya (a draft), or with `send=True` sent."""

    def make(
        actor: User | None = None, send: bool = False, target: Patient | None = None, **extra: Any
    ) -> Referral:
        author = actor or alice
        data = massage_order_data(recipient_discipline="", recipient_practitioner=maya.practitioner.pk)
        data.update(extra)
        referral = services.referral_create(
            actor=author, patient=target or patient, data=data, override_reason=OVERRIDE
        )
        if send:
            referral = services.referral_send(actor=author, referral=referral)
        return referral

    return make


@pytest.fixture
def order(make_order) -> Referral:
    return make_order(send=True)
