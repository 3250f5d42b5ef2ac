"""`tandem review_goal_status`: judge again the plan goals whose due date has passed (a missed target becomes
not-achieved without a new score). huey runs it daily; safe to run repeatedly."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tandem.outcomes.goals import goal_statuses_review


class Command(BaseCommand):
    help = "Set the achievement status of plan goals whose due date has passed, from their outcome scores."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = goal_statuses_review()
        self.stdout.write(f"{len(changed)} goal status(es) changed.")
