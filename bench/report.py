"""What every benchmark part's report shares: how a target reads (met / NOT MET / not measured)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def mark(met: bool | None) -> str:
    return {True: "met", False: "NOT MET", None: "not measured"}[met]


def target_lines(targets: Iterable[dict[str, Any]]) -> list[str]:
    """The Markdown list of targets, one line each: `- **target**: met: detail.`"""
    return [f"- **{t['target']}**: {mark(t['met'])}: {t['detail']}." for t in targets]
