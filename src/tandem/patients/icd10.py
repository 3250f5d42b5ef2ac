"""ICD-10-CM codes, checked against the complete code set shipped by `simple-icd-10-cm`. Pure module."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import simple_icd_10_cm as icd

_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")


class UnknownCode(ValueError):
    """The code is not a billable ICD-10-CM code; the message says why and what to use instead."""


@dataclass(frozen=True)
class Icd10Code:
    code: str
    description: str


def normalize(raw: str) -> str:
    code = raw.strip().upper().replace(" ", "")
    if len(code) > 3 and "." not in code:
        code = f"{code[:3]}.{code[3:]}"
    return code


def lookup(raw: str) -> Icd10Code:
    """The billable (most specific) ICD-10-CM code for `raw`, or UnknownCode with a helpful message."""
    code = normalize(raw)
    if not code:
        raise UnknownCode("Enter an ICD-10-CM code, e.g. M54.50.")
    if not _SHAPE.match(code) or not icd.is_valid_item(code) or icd.is_chapter_or_block(code):
        raise UnknownCode(f"{code} is not an ICD-10-CM code.")
    if not icd.is_leaf(code):
        children = icd.get_children(code)
        examples = ", ".join(children[:4]) + (" …" if len(children) > 4 else "")
        raise UnknownCode(
            f"{code} is a category, not a billable code; choose a more specific one: {examples}."
        )
    return Icd10Code(code, icd.get_description(code))


@cache
def _billable() -> tuple[tuple[str, str, str], ...]:
    rows = []
    for code in icd.get_all_codes(with_dots=True):
        if icd.is_leaf(code) and not icd.is_chapter_or_block(code):
            description = icd.get_description(code)
            rows.append((code, description, f"{code} {description}".lower()))
    return tuple(rows)


def search(query: str, limit: int = 20) -> list[Icd10Code]:
    """Billable codes whose code starts with, or whose description contains every word of, the query."""
    words = query.lower().split()
    if not words:
        return []
    code_prefix = normalize(query).lower()
    prefix_hits: list[Icd10Code] = []
    word_hits: list[Icd10Code] = []
    for code, description, haystack in _billable():
        if code.lower().startswith(code_prefix):
            prefix_hits.append(Icd10Code(code, description))
        elif all(word in haystack for word in words):
            word_hits.append(Icd10Code(code, description))
        if len(prefix_hits) >= limit:
            break
    return (prefix_hits + word_hits)[:limit]
