"""Scheduling API under /api/v1/: availability, appointments, plan booking (propose, then confirm), waitlist."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["scheduling"])
