"""Scheduling pages: calendar (urls_calendar); plan booking, waitlist, availability, feeds (urls_booking)."""

from django.urls import URLPattern

from tandem.scheduling.urls_booking import urlpatterns as booking_patterns
from tandem.scheduling.urls_calendar import urlpatterns as calendar_patterns

urlpatterns: list[URLPattern] = [*calendar_patterns, *booking_patterns]
