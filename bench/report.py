"""What every benchmark part's report shares: the run's header (when, by which command, on what machine),
how a target reads (met / NOT MET / not measured) and the three files it writes."""

from __future__ import annotations

import datetime
import json
import os
import platform
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any


def run_header(part: str, argv: Sequence[str], **machine: Any) -> dict[str, Any]:
    """The start of a part's results: the time, the command that reproduces it and the machine (`machine`
    adds the part's own versions, such as OR-Tools or SQLite)."""
    return {
        "generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": " ".join([f"python -m bench {part}", *argv]),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            **machine,
            "platform": platform.platform(),
        },
    }


def write(
    results: dict[str, Any],
    directory: Path,
    part: str,
    markdown: Callable[[dict[str, Any]], str],
    svg: Callable[[dict[str, Any]], str],
) -> None:
    """`part`.json (everything), `part`.md (the report) and `part`.svg (its chart) in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{part}.json").write_text(json.dumps(results, indent=2) + "\n")
    (directory / f"{part}.md").write_text(markdown(results))
    (directory / f"{part}.svg").write_text(svg(results))


def mark(met: bool | None) -> str:
    return {True: "met", False: "NOT MET", None: "not measured"}[met]


def target_lines(targets: Iterable[dict[str, Any]]) -> list[str]:
    """The Markdown list of targets, one line each: `- **target**: met: detail.`"""
    return [f"- **{t['target']}**: {mark(t['met'])}: {t['detail']}." for t in targets]
