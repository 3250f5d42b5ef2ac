from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core import checks


class OutcomesConfig(AppConfig):
    name = "tandem.outcomes"
    verbose_name = "Outcomes"

    def ready(self) -> None:
        checks.register(check_instruments)


def check_instruments(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every instrument file is a valid FHIR Questionnaire matching its scoring definition, or `tandem check`
    (and start-up) stops with each problem named."""
    from tandem.outcomes.questionnaires import INSTRUMENTS_DIR, questionnaire_problems

    return [
        checks.Error(problem, hint=f"Fix the instrument files in {INSTRUMENTS_DIR}", id="outcomes.E001")
        for problem in questionnaire_problems()
    ]
