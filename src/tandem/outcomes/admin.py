"""Read-only admin views of administered measures: responses are never edited (a correction is a new one)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tandem.outcomes.models import MeasureRequest, MeasureSchedule, Response, Score


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Response)
class ResponseAdmin(ReadOnlyAdmin):
    list_display = ("id", "patient", "instrument", "timepoint", "source", "authored_at")
    list_filter = ("instrument", "source", "timepoint")


@admin.register(Score)
class ScoreAdmin(ReadOnlyAdmin):
    list_display = ("id", "patient", "instrument", "value", "band", "valid", "effective_at")


@admin.register(MeasureRequest)
class MeasureRequestAdmin(ReadOnlyAdmin):
    list_display = ("id", "prefix", "patient", "instrument", "channel", "expires_at", "used_at")
    exclude = ("digest",)


@admin.register(MeasureSchedule)
class MeasureScheduleAdmin(ReadOnlyAdmin):
    list_display = ("plan", "instruments", "every_visits", "every_weeks")
