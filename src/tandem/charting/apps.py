from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core import checks


class ChartingConfig(AppConfig):
    name = "tandem.charting"
    verbose_name = "Charting"

    def ready(self) -> None:
        checks.register(check_note_templates)


def check_note_templates(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A bad note_templates.yaml stops `tandem check` and start-up with every problem named."""
    from tandem.charting.note_fields import TemplateError
    from tandem.charting.services import templates, templates_path

    try:
        templates()
    except TemplateError as exc:
        return [
            checks.Error(problem, hint=f"Fix {templates_path()}", id="charting.E001")
            for problem in exc.problems
        ]
    return []
