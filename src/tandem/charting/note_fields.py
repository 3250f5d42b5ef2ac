"""Visit note templates as data (note_templates.yaml) and the checks of a note's discipline fields.

Pure module: no Django. `load_templates` reads and checks the YAML and refuses a bad file with every problem
named (TemplateError); `clean_note_data` checks a note's `data` against its template and answers the cleaned
data and field-level messages with paths such as "techniques.1.minutes"; `clean_body_marks` does the same for
the body map. A draft (autosave) is checked for types only; a note being signed must also be complete.

`prefill` builds a new note from the plan activity's orders and the last signed note of the same discipline;
`documented_techniques` says what a note documents, for the safety engine.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tandem.charting import bodymap
from tandem.core.vocabularies import (
    BODY_SITES,
    DISCIPLINES,
    SPINAL_REGIONS_FOR_CMT,
    label,
    techniques_of,
)
from tandem.safety.engine import PRESSURES

DEFAULT_TEMPLATES_PATH = Path(__file__).with_name("note_templates.yaml")
FIELD_TYPES: tuple[str, ...] = ("text", "number", "nprs", "choice", "multichoice", "records")
CHOICE_TYPES: tuple[str, ...] = ("choice", "multichoice")
SOAP_KEYS: tuple[str, ...] = ("subjective", "objective", "assessment", "plan")
RESERVED_KEYS: frozenset[str] = frozenset(SOAP_KEYS) | {"body_marks"}
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
DEFAULT_TEXT_LENGTH = 2000
SOAP_TEXT_LENGTH = 10000
NPRS_RANGE = (0, 10)
REQUIRED_MESSAGE = "Required before signing."

# The body map (issue #5 item 3): what a click marks, and on which side of the figure.
BODY_MARK_KINDS: tuple[tuple[str, str], ...] = (
    ("pain", "Pain"),
    ("trigger-point", "Trigger point"),
    ("adjusted-segment", "Adjusted segment"),
    ("treated-area", "Treated area"),
)
BODY_MARK_VIEWS: tuple[tuple[str, str], ...] = (("front", "Front"), ("back", "Back"))
# Marks that say something was done at the site (a pain mark says where it hurts, not what was done).
TREATED_MARK_KINDS: frozenset[str] = frozenset({"trigger-point", "adjusted-segment", "treated-area"})
MAX_BODY_MARKS = bodymap.MAX_MARKS
MAX_MARK_NOTE = 200

SPINAL_SEGMENTS: tuple[tuple[str, str], ...] = (
    (("occiput", "Occiput"),)
    + tuple((f"C{n}", f"C{n}") for n in range(1, 8))
    + tuple((f"T{n}", f"T{n}") for n in range(1, 13))
    + tuple((f"L{n}", f"L{n}") for n in range(1, 6))
    + (
        ("sacrum", "Sacrum"),
        ("si-left", "Left sacroiliac joint"),
        ("si-right", "Right sacroiliac joint"),
        ("coccyx", "Coccyx"),
    )
)
VOCABULARIES: tuple[str, ...] = (
    "techniques-for-discipline",
    "body-sites",
    "spinal-regions",
    "spinal-segments",
    "massage-pressures",
)
BODY_SITE_VOCABULARIES: frozenset[str] = frozenset({"body-sites", "spinal-regions"})


def vocabulary(name: str, discipline: str) -> tuple[tuple[str, str], ...]:
    """(code, label) pairs of a named vocabulary; techniques are those of `discipline`."""
    if name == "techniques-for-discipline":
        return tuple((t.code, t.label) for t in techniques_of(discipline))
    if name == "body-sites":
        return tuple((c.code, c.label) for c in BODY_SITES)
    if name == "spinal-regions":
        return tuple((code, label(BODY_SITES, code)) for code in SPINAL_REGIONS_FOR_CMT)
    if name == "spinal-segments":
        return SPINAL_SEGMENTS
    if name == "massage-pressures":
        return tuple((p, p.capitalize()) for p in PRESSURES)
    raise KeyError(name)


# Templates ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    type: str
    required: bool = False
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    integer: bool = False
    max_length: int = DEFAULT_TEXT_LENGTH
    vocabulary: str = ""
    options: tuple[tuple[str, str], ...] = ()
    fields: tuple[FieldSpec, ...] = ()
    min_items: int = 0
    max_items: int | None = None
    carry_forward: bool = False

    def subfield(self, key: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.key == key), None)


@dataclass(frozen=True)
class SoapSpec:
    key: str
    label: str
    required: bool = True
    help: str = ""


@dataclass(frozen=True)
class SafetyMap:
    """Where a template records techniques, sites and pressure (see the YAML's header)."""

    technique: str
    record_sites: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    pressure: str = ""


@dataclass(frozen=True)
class NoteTemplate:
    discipline: str
    code: str
    version: str
    label: str
    fields: tuple[FieldSpec, ...]
    soap: tuple[SoapSpec, ...]
    safety: SafetyMap | None = None

    def field(self, key: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.key == key), None)

    def choices(self, spec: FieldSpec) -> tuple[tuple[str, str], ...]:
        """(code, label) pairs a choice or multichoice field offers."""
        return vocabulary(spec.vocabulary, self.discipline) if spec.vocabulary else spec.options


class TemplateError(ValueError):
    """note_templates.yaml is not valid; `problems` names each one (template, field, what is wrong)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Invalid note templates:\n" + "\n".join(problems))


_FIELD_KEYS = frozenset(
    {
        "key",
        "label",
        "type",
        "required",
        "help",
        "min",
        "max",
        "unit",
        "integer",
        "max_length",
        "vocabulary",
        "options",
        "fields",
        "min_items",
        "max_items",
        "carry_forward",
    }
)


class _Loader:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def _bool(self, raw: Mapping[str, Any], name: str, where: str) -> bool:
        value = raw.get(name, False)
        if not isinstance(value, bool):
            self.problem(where, f"`{name}` must be true or false")
            return False
        return value

    def _number(self, raw: Mapping[str, Any], name: str, where: str) -> float | None:
        value = raw.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.problem(where, f"`{name}` must be a number")
            return None
        return value

    def _count(self, raw: Mapping[str, Any], name: str, where: str) -> int | None:
        value = raw.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.problem(where, f"`{name}` must be a whole number ≥ 0")
            return None
        return value

    def _options(self, raw: Any, where: str) -> tuple[tuple[str, str], ...]:
        if not isinstance(raw, list) or not raw:
            self.problem(where, "`options` must be a non-empty list of codes or {code, label}")
            return ()
        options: list[tuple[str, str]] = []
        for item in raw:
            if isinstance(item, str) and item.strip():
                options.append((item, item.replace("-", " ").capitalize()))
            elif isinstance(item, Mapping) and isinstance(item.get("code"), str) and item["code"].strip():
                options.append((item["code"], str(item.get("label") or item["code"])))
            else:
                self.problem(where, f"option {item!r} must be a code or {{code, label}}")
        codes = [code for code, _ in options]
        if len(set(codes)) != len(codes):
            self.problem(where, "options repeat a code")
        return tuple(options)

    def field(self, raw: Any, where: str, *, nested: bool) -> FieldSpec | None:
        if not isinstance(raw, Mapping):
            self.problem(where, f"a field must be a mapping, not {raw!r}")
            return None
        key = raw.get("key")
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            self.problem(where, f"key {key!r} must be lowercase letters, digits and _ (at most 40)")
            return None
        where = f"{where} {key}"
        if key in RESERVED_KEYS and not nested:
            self.problem(where, "this key is reserved for the note's own columns (S/O/A/P, body map)")
        for unknown in sorted(set(raw) - _FIELD_KEYS):
            self.problem(where, f"unknown attribute `{unknown}`")
        kind = raw.get("type")
        if kind not in FIELD_TYPES:
            self.problem(where, f"type {kind!r} must be one of: {', '.join(FIELD_TYPES)}")
            return None
        text = raw.get("label")
        if not isinstance(text, str) or not text.strip():
            self.problem(where, "`label` is required")
            text = key
        minimum = self._number(raw, "min", where)
        maximum = self._number(raw, "max", where)
        if minimum is not None and maximum is not None and minimum > maximum:
            self.problem(where, "`min` is greater than `max`")
        if kind not in ("number",) and (minimum is not None or maximum is not None or "unit" in raw):
            self.problem(where, "only a number has min, max or unit")
        integer = self._bool(raw, "integer", where)
        if integer and kind != "number":
            self.problem(where, "only a number can be `integer`")
        max_length = self._count(raw, "max_length", where)
        if max_length is not None and kind != "text":
            self.problem(where, "only text has `max_length`")
        vocab = raw.get("vocabulary") or ""
        options: tuple[tuple[str, str], ...] = ()
        if kind in CHOICE_TYPES:
            if vocab and "options" in raw:
                self.problem(where, "give `vocabulary` or `options`, not both")
            elif vocab:
                if vocab not in VOCABULARIES:
                    self.problem(where, f"unknown vocabulary {vocab!r}; one of: {', '.join(VOCABULARIES)}")
            elif "options" in raw:
                options = self._options(raw["options"], where)
            else:
                self.problem(where, f"a {kind} needs a `vocabulary` or `options`")
        elif vocab or "options" in raw:
            self.problem(where, "only a choice or multichoice has a vocabulary or options")
        subfields: tuple[FieldSpec, ...] = ()
        min_items = self._count(raw, "min_items", where)
        max_items = self._count(raw, "max_items", where)
        if kind == "records":
            if nested:
                self.problem(where, "records cannot hold records")
            subfields = self.fields(raw.get("fields"), where, nested=True)
            if min_items is not None and max_items is not None and min_items > max_items:
                self.problem(where, "`min_items` is greater than `max_items`")
        elif "fields" in raw or min_items is not None or max_items is not None:
            self.problem(where, "only records have fields, min_items or max_items")
        carry_forward = self._bool(raw, "carry_forward", where)
        if carry_forward and nested:
            self.problem(where, "carry_forward applies to a whole field, not a record's part")
        return FieldSpec(
            key=key,
            label=text.strip(),
            type=kind,
            required=self._bool(raw, "required", where),
            help=str(raw.get("help") or ""),
            minimum=minimum,
            maximum=maximum,
            unit=str(raw.get("unit") or ""),
            integer=integer,
            max_length=max_length if max_length is not None else DEFAULT_TEXT_LENGTH,
            vocabulary=vocab if isinstance(vocab, str) else "",
            options=options,
            fields=subfields,
            min_items=min_items or 0,
            max_items=max_items,
            carry_forward=carry_forward,
        )

    def fields(self, raw: Any, where: str, *, nested: bool) -> tuple[FieldSpec, ...]:
        if not isinstance(raw, list) or not raw:
            self.problem(where, "`fields` must be a non-empty list")
            return ()
        specs = [spec for i, item in enumerate(raw) if (spec := self.field(item, where, nested=nested))]
        keys = [spec.key for spec in specs]
        for key in sorted({k for k in keys if keys.count(k) > 1}):
            self.problem(where, f"field {key} appears twice")
        return tuple(specs)

    def soap(self, raw: Any) -> tuple[SoapSpec, ...]:
        if not isinstance(raw, list):
            self.problem("soap", "must list subjective, objective, assessment and plan")
            return ()
        specs: list[SoapSpec] = []
        for item in raw:
            if not isinstance(item, Mapping) or item.get("key") not in SOAP_KEYS:
                self.problem("soap", f"{item!r} is not one of {', '.join(SOAP_KEYS)}")
                continue
            specs.append(
                SoapSpec(
                    key=item["key"],
                    label=str(item.get("label") or item["key"].capitalize()),
                    required=self._bool(item, "required", f"soap {item['key']}"),
                    help=str(item.get("help") or ""),
                )
            )
        if sorted(s.key for s in specs) != sorted(SOAP_KEYS):
            self.problem("soap", "must list subjective, objective, assessment and plan, once each")
        return tuple(specs)

    def _site_field(self, spec: FieldSpec | None, where: str, path: str) -> None:
        if spec is None:
            self.problem(where, f"`{path}` is not a field of the template")
        elif spec.type not in CHOICE_TYPES or spec.vocabulary not in BODY_SITE_VOCABULARIES:
            self.problem(where, f"`{path}` must be a choice of body sites or spinal regions")

    def safety(self, raw: Any, fields: tuple[FieldSpec, ...], where: str) -> SafetyMap | None:
        if raw is None:
            return None
        where = f"{where} safety"
        if not isinstance(raw, Mapping) or not isinstance(raw.get("technique"), str):
            self.problem(where, "must be a mapping with `technique`")
            return None
        for unknown in sorted(set(raw) - {"technique", "record_sites", "sites", "pressure"}):
            self.problem(where, f"unknown attribute `{unknown}`")
        by_key = {f.key: f for f in fields}
        path = raw["technique"].split(".")
        record: FieldSpec | None = None
        if len(path) == 2 and (record := by_key.get(path[0])) is not None and record.type == "records":
            technique = record.subfield(path[1])
        elif len(path) == 1:
            technique = by_key.get(path[0])
        else:
            technique = None
        if technique is None or technique.vocabulary != "techniques-for-discipline":
            self.problem(where, f"`technique: {raw['technique']}` must name a choice of the techniques")
        record_sites = tuple(raw.get("record_sites") or ())
        for name in record_sites:
            self._site_field(record.subfield(name) if record else None, where, str(name))
        sites = tuple(raw.get("sites") or ())
        for name in sites:
            self._site_field(by_key.get(name), where, str(name))
        pressure = str(raw.get("pressure") or "")
        if pressure and (by_key.get(pressure) is None or by_key[pressure].vocabulary != "massage-pressures"):
            self.problem(where, f"`pressure: {pressure}` must name a choice of massage pressures")
        return SafetyMap(raw["technique"], record_sites, sites, pressure)

    def template(self, discipline: str, raw: Any, soap: tuple[SoapSpec, ...]) -> NoteTemplate | None:
        where = f"template {discipline}"
        if not isinstance(raw, Mapping):
            self.problem(where, "must be a mapping")
            return None
        for unknown in sorted(set(raw) - {"code", "version", "label", "fields", "safety"}):
            self.problem(where, f"unknown attribute `{unknown}`")
        code, version, text = raw.get("code"), raw.get("version"), raw.get("label")
        if not isinstance(code, str) or not re.match(r"^[a-z][a-z0-9-]{0,39}$", code):
            self.problem(where, "`code` must be a slug such as massage-soap")
            code = ""
        if not isinstance(version, str) or not version.strip() or len(version) > 20:
            self.problem(where, '`version` must be text of at most 20 characters, e.g. "2026.1" (quote it)')
            version = ""
        fields = self.fields(raw.get("fields"), where, nested=False)
        return NoteTemplate(
            discipline=discipline,
            code=code,
            version=version.strip(),
            label=text.strip() if isinstance(text, str) and text.strip() else discipline,
            fields=fields,
            soap=soap,
            safety=self.safety(raw.get("safety"), fields, where),
        )


def parse_templates(document: Any) -> dict[str, NoteTemplate]:
    """Templates by discipline from the YAML document; TemplateError lists every problem found."""
    loader = _Loader()
    if not isinstance(document, Mapping):
        raise TemplateError(["the file must be a mapping with `soap` and `templates`"])
    for unknown in sorted(set(document) - {"soap", "templates"}):
        loader.problem("file", f"unknown section `{unknown}`")
    soap = loader.soap(document.get("soap"))
    raw_templates = document.get("templates")
    templates: dict[str, NoteTemplate] = {}
    if not isinstance(raw_templates, Mapping):
        loader.problem("templates", "must map each discipline to its template")
        raw_templates = {}
    disciplines = [d.code for d in DISCIPLINES]
    for discipline, raw in raw_templates.items():
        if discipline not in disciplines:
            loader.problem(f"template {discipline}", f"not a discipline; one of: {', '.join(disciplines)}")
            continue
        template = loader.template(discipline, raw, soap)
        if template is not None:
            templates[discipline] = template
    for discipline in disciplines:
        if discipline not in raw_templates:
            loader.problem(f"template {discipline}", "missing: every discipline needs a template")
    codes = [t.code for t in templates.values()]
    for code in sorted({c for c in codes if c and codes.count(c) > 1}):
        loader.problem("templates", f"code {code} is used twice")
    if loader.problems:
        raise TemplateError(loader.problems)
    return templates


def load_templates(path: Path | str = DEFAULT_TEMPLATES_PATH) -> dict[str, NoteTemplate]:
    """Read and check a templates file (cached per path); TemplateError for a bad file."""
    return _load(str(path))


@cache
def _load(path: str) -> dict[str, NoteTemplate]:
    try:
        with open(path, encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
    except OSError as exc:
        raise TemplateError([f"{path}: cannot be read ({exc.strerror})"]) from None
    except yaml.YAMLError as exc:
        raise TemplateError([f"{path}: not valid YAML ({exc})"]) from None
    return parse_templates(document)


# Checking a note ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldError:
    path: str  # "techniques.1.minutes", "pressure", "body_marks.0.site"
    message: str


_ABSENT = object()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _range_text(spec: FieldSpec) -> str:
    unit = f" {spec.unit}" if spec.unit else ""
    if spec.minimum is not None and spec.maximum is not None:
        return f"from {spec.minimum:g} to {spec.maximum:g}{unit}"
    if spec.minimum is not None:
        return f"of at least {spec.minimum:g}{unit}"
    if spec.maximum is not None:
        return f"of at most {spec.maximum:g}{unit}"
    return ""


def _clean_number(spec: FieldSpec, value: Any) -> tuple[Any, str]:
    whole = spec.integer or spec.type == "nprs"
    kind = "a whole number" if whole else "a number"
    if isinstance(value, bool):
        return _ABSENT, f"Enter {kind}."
    if isinstance(value, str):
        try:
            number: float = float(value.strip().replace(",", "."))
        except ValueError:
            return _ABSENT, f"Enter {kind}."
    elif isinstance(value, int | float):
        number = value
    else:
        return _ABSENT, f"Enter {kind}."
    if not math.isfinite(number):
        return _ABSENT, f"Enter {kind}."
    if whole and number != int(number):
        return _ABSENT, "Enter a whole number."
    low, high = NPRS_RANGE if spec.type == "nprs" else (spec.minimum, spec.maximum)
    if (low is not None and number < low) or (high is not None and number > high):
        if spec.type == "nprs":
            return _ABSENT, "Pain (NPRS) is a whole number from 0 to 10."
        return _ABSENT, f"Enter {kind} {_range_text(spec)}."
    if whole or number == int(number):
        return int(number), ""
    return number, ""


def _clean_value(
    template: NoteTemplate, spec: FieldSpec, value: Any, path: str, errors: list[FieldError]
) -> Any:
    """The cleaned value, or _ABSENT for a blank (or refused) one; problems go to `errors`."""
    if spec.type == "records":
        return _clean_records(template, spec, value, path, errors)
    if _blank(value):
        return _ABSENT
    if spec.type == "text":
        if not isinstance(value, str):
            errors.append(FieldError(path, "Enter text."))
            return _ABSENT
        text = value.strip()
        if len(text) > spec.max_length:
            errors.append(FieldError(path, f"Keep it under {spec.max_length} characters."))
            return _ABSENT
        return text
    if spec.type in ("number", "nprs"):
        number, problem = _clean_number(spec, value)
        if problem:
            errors.append(FieldError(path, problem))
        return number
    allowed = dict(template.choices(spec))
    if spec.type == "choice":
        if not isinstance(value, str) or value not in allowed:
            errors.append(FieldError(path, f"“{value}” is not one of the choices for {spec.label.lower()}."))
            return _ABSENT
        return value
    # multichoice
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        errors.append(FieldError(path, "Choose from the list."))
        return _ABSENT
    chosen: list[str] = []
    for item in items:
        if not isinstance(item, str) or item not in allowed:
            errors.append(FieldError(path, f"“{item}” is not one of the choices for {spec.label.lower()}."))
        elif item not in chosen:
            chosen.append(item)
    return chosen or _ABSENT


def _clean_records(
    template: NoteTemplate, spec: FieldSpec, value: Any, path: str, errors: list[FieldError]
) -> Any:
    if value is None or value == []:
        return _ABSENT
    if not isinstance(value, list | tuple):
        errors.append(FieldError(path, "Give a list of rows."))
        return _ABSENT
    if spec.max_items is not None and len(value) > spec.max_items:
        errors.append(FieldError(path, f"At most {spec.max_items} rows."))
        return _ABSENT
    rows: list[dict[str, Any]] = []
    for index, row in enumerate(value):
        where = f"{path}.{index}"
        if not isinstance(row, Mapping):
            errors.append(FieldError(where, "Each row is a set of fields."))
            continue
        for unknown in sorted(set(row) - {f.key for f in spec.fields}):
            errors.append(FieldError(f"{where}.{unknown}", "Not a field of this row."))
        cleaned: dict[str, Any] = {}
        for sub in spec.fields:
            found = _clean_value(template, sub, row.get(sub.key), f"{where}.{sub.key}", errors)
            if found is not _ABSENT:
                cleaned[sub.key] = found
        # Rows keep their place, even blank ones, so messages point at the row the clinician sees.
        rows.append(cleaned)
    return rows


def _required_problems(template: NoteTemplate, data: Mapping[str, Any]) -> list[FieldError]:
    problems: list[FieldError] = []
    for spec in template.fields:
        value = data.get(spec.key)
        if spec.required and _blank(value):
            problems.append(FieldError(spec.key, REQUIRED_MESSAGE))
            continue
        if spec.type != "records" or not isinstance(value, list):
            continue
        if spec.min_items and len(value) < spec.min_items:
            problems.append(FieldError(spec.key, f"At least {spec.min_items} row(s) before signing."))
        for index, row in enumerate(value):
            for sub in spec.fields:
                if sub.required and _blank(row.get(sub.key)):
                    problems.append(FieldError(f"{spec.key}.{index}.{sub.key}", REQUIRED_MESSAGE))
    return problems


def clean_note_data(
    template: NoteTemplate, data: Any, *, complete: bool
) -> tuple[dict[str, Any], list[FieldError]]:
    """Check `data` against the template: the cleaned data (numbers as numbers, text stripped, blanks left
    out) and every problem. `complete=False` (a draft) checks types only; `complete=True` (signing) also
    wants every required field and row."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        return {}, [FieldError("data", "The note's fields must be a mapping of field → value.")]
    errors: list[FieldError] = []
    for unknown in sorted(set(data) - {f.key for f in template.fields}, key=str):
        errors.append(FieldError(str(unknown), f"Not a field of the {template.label.lower()} template."))
    cleaned: dict[str, Any] = {}
    for spec in template.fields:
        found = _clean_value(template, spec, data.get(spec.key), spec.key, errors)
        if found is not _ABSENT:
            cleaned[spec.key] = found
    if complete and not errors:
        errors.extend(_required_problems(template, cleaned))
    return cleaned, errors


def clean_soap(
    template: NoteTemplate, values: Mapping[str, Any], *, complete: bool
) -> tuple[dict[str, str], list[FieldError]]:
    """The four SOAP texts, stripped; when `complete`, the required ones must be written."""
    cleaned: dict[str, str] = {}
    errors: list[FieldError] = []
    for spec in template.soap:
        value = values.get(spec.key)
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.append(FieldError(spec.key, "Enter text."))
            continue
        text = value.strip()
        if len(text) > SOAP_TEXT_LENGTH:
            errors.append(FieldError(spec.key, f"Keep it under {SOAP_TEXT_LENGTH} characters."))
            continue
        if complete and spec.required and not text:
            errors.append(FieldError(spec.key, REQUIRED_MESSAGE))
        cleaned[spec.key] = text
    return cleaned, errors


def clean_body_marks(marks: Any) -> tuple[list[dict[str, str]], list[FieldError]]:
    """Body-map marks: a list of {site (body-site code), kind, view (front|back), note?}."""
    if marks is None:
        return [], []
    if not isinstance(marks, list | tuple):
        return [], [FieldError("body_marks", "Give a list of marks.")]
    if len(marks) > MAX_BODY_MARKS:
        return [], [FieldError("body_marks", f"At most {MAX_BODY_MARKS} marks.")]
    sites = {c.code for c in BODY_SITES}
    kinds, views = dict(BODY_MARK_KINDS), dict(BODY_MARK_VIEWS)
    cleaned: list[dict[str, str]] = []
    errors: list[FieldError] = []
    for index, mark in enumerate(marks):
        where = f"body_marks.{index}"
        if not isinstance(mark, Mapping):
            errors.append(FieldError(where, "A mark is {site, kind, view, note}."))
            continue
        for unknown in sorted(set(mark) - {"site", "kind", "view", "note"}, key=str):
            errors.append(FieldError(f"{where}.{unknown}", "Not part of a mark."))
        site, kind, view, note = (mark.get(k) for k in ("site", "kind", "view", "note"))
        if site not in sites:
            errors.append(FieldError(f"{where}.site", f"“{site}” is not a body site of the map."))
        if kind not in kinds:
            message = "Mark pain, a trigger point, an adjusted segment or a treated area."
            errors.append(FieldError(f"{where}.kind", message))
        if view not in views:
            errors.append(FieldError(f"{where}.view", "Mark the front or the back of the figure."))
        note = "" if note is None else note
        if not isinstance(note, str) or len(note.strip()) > MAX_MARK_NOTE:
            message = f"A mark's note is text under {MAX_MARK_NOTE} characters."
            errors.append(FieldError(f"{where}.note", message))
            note = ""
        entry = {"site": str(site), "kind": str(kind), "view": str(view)}
        if note.strip():
            entry["note"] = note.strip()
        cleaned.append(entry)
    if not errors:
        # The figure's own rules: the site is drawn on that view, and one kind once per site and view.
        try:
            bodymap.validate_marks(cleaned)
        except bodymap.MarkError as problem:
            where = "body_marks" if problem.index is None else f"body_marks.{problem.index}"
            errors.append(FieldError(f"{where}.{problem.field}" if problem.field else where, problem.reason))
    return cleaned, errors


# Starting a note ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Order:
    """What the plan activity orders (careplans Activity): techniques, body sites, pressure, exercises."""

    techniques: tuple[str, ...] = ()
    body_sites: tuple[str, ...] = ()
    pressure: str = ""
    exercises: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)


def _order_values(template: NoteTemplate, order: Order) -> dict[str, Any]:
    """The order, in the template's conventional fields (techniques, body_sites, pressure, exercises,
    adjustments) where the template has them."""
    values: dict[str, Any] = {}
    techniques = template.field("techniques")
    if techniques is not None and techniques.type == "records" and order.techniques:
        sited = techniques.subfield("body_sites") is not None and order.body_sites
        values["techniques"] = [
            {"technique": code, **({"body_sites": list(order.body_sites)} if sited else {})}
            for code in order.techniques
        ]
    if template.field("body_sites") is not None and order.body_sites:
        values["body_sites"] = list(order.body_sites)
    if template.field("pressure") is not None and order.pressure:
        values["pressure"] = order.pressure
    exercises = template.field("exercises")
    if exercises is not None and order.exercises:
        keys = {f.key for f in exercises.fields}
        values["exercises"] = [
            {k: v for k, v in dict(e).items() if k in keys} for e in order.exercises if isinstance(e, Mapping)
        ]
    adjustments = template.field("adjustments")
    if adjustments is not None and order.body_sites:
        technique = order.techniques[0] if order.techniques else None
        values["adjustments"] = [
            {"region": site, **({"technique": technique} if technique else {})} for site in order.body_sites
        ]
    return values


def prefill(
    template: NoteTemplate, order: Order | None, last_data: Mapping[str, Any] | None
) -> dict[str, Any]:
    """A new note's data: the plan's order, then the carry-forward fields of the last signed note of the
    same discipline (the home program as it stood at the last visit beats the original order). Anything the
    template no longer accepts is left out rather than refused."""
    values: dict[str, Any] = _order_values(template, order) if order else {}
    if isinstance(last_data, Mapping):
        for spec in template.fields:
            if spec.carry_forward and not _blank(last_data.get(spec.key)):
                values[spec.key] = last_data[spec.key]
    data: dict[str, Any] = {}
    for key, value in values.items():
        cleaned, errors = clean_note_data(template, {key: value}, complete=False)
        if not errors and key in cleaned:
            data[key] = cleaned[key]
    return data


# What a note documents, for the safety engine -------------------------------------------------------------


@dataclass(frozen=True)
class DocumentedTechnique:
    technique: str
    body_sites: tuple[str, ...]
    pressure: str = ""


def _codes(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, str) and v]
    return []


def _merge(*groups: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(code for group in groups for code in group))


def documented_techniques(
    template: NoteTemplate, data: Mapping[str, Any], body_marks: Sequence[Mapping[str, Any]] = ()
) -> list[DocumentedTechnique]:
    """Each documented technique with the sites it was done at and the massage pressure ("" when none).

    Sites: the row's own sites if it names any, else the note's site fields and its treated body-map marks.
    No sites at all: the engine treats the technique as whole-body (safe by default).
    """
    if template.safety is None:
        return []
    safety = template.safety
    pressure = data.get(safety.pressure, "") if safety.pressure else ""
    pressure = pressure if isinstance(pressure, str) else ""
    marked = [
        str(mark.get("site"))
        for mark in body_marks
        if isinstance(mark, Mapping) and mark.get("kind") in TREATED_MARK_KINDS
    ]
    note_sites = _merge(*(_codes(data.get(name)) for name in safety.sites), marked)
    path = safety.technique.split(".")
    rows: list[tuple[list[str], tuple[str, ...]]] = []
    if len(path) == 2:
        for row in data.get(path[0]) or []:
            if isinstance(row, Mapping):
                own = _merge(*(_codes(row.get(name)) for name in safety.record_sites))
                rows.append((_codes(row.get(path[1])), own or note_sites))
    else:
        rows.append((_codes(data.get(path[0])), note_sites))
    found: list[DocumentedTechnique] = []
    for techniques, sites in rows:
        for code in techniques:
            item = DocumentedTechnique(code, sites, pressure)
            if item not in found:
                found.append(item)
    return found
