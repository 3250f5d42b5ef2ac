"""The note editor's form layer: a note template's fields as form widgets, and the posted form back as data.

Pure module (no Django): the views hand it the posted form as a mapping of name → list of values
(`dict(request.POST.lists())`) and the service's field messages as a mapping of path → messages.

Form names follow the paths the services use in their messages, under `data.`: a field is `data.pressure`, a
row's field `data.techniques.1.minutes`; a row also posts `data.techniques.1._row` so a row whose fields are
all blank keeps its place. SOAP texts are `subjective` ... `plan`; the body map's marks `body_marks` (JSON).
Each widget carries the id of the element holding its messages (`err-data-techniques-1-minutes`), so the
autosave answer can fill those in place without touching what the clinician typed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tandem.charting.note_fields import SOAP_KEYS, FieldSpec, NoteTemplate

DATA_PREFIX = "data."
ROW_MARKER = "_row"
ROW_PLACEHOLDER = "__i__"
BODY_MARKS = "body_marks"
# Messages that belong to no single field (the note as a whole, safety) go to the editor's status line.
GENERAL = "__all__"
NPRS_CHOICES: tuple[tuple[str, str], ...] = tuple((str(n), str(n)) for n in range(11))

Form = Mapping[str, Sequence[str]]
Errors = Mapping[str, Sequence[str]]


def error_id(name: str) -> str:
    """The id of the element that shows the messages of the input called `name`."""
    return "err-" + re.sub(r"[^A-Za-z0-9_-]+", "-", name)


def input_id(name: str, suffix: str = "") -> str:
    return "f-" + re.sub(r"[^A-Za-z0-9_-]+", "-", name) + (f"-{suffix}" if suffix else "")


@dataclass
class Widget:
    """One input of the editor, as the template `charting/_widget.html` draws it."""

    key: str
    label: str
    type: str  # text, number, nprs, choice, multichoice, records
    name: str
    value: Any = ""
    required: bool = False
    help: str = ""
    unit: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    errors: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    columns: list[FieldSpec] = field(default_factory=list)
    blank_row: Row | None = None
    max_items: int | None = None

    @property
    def id(self) -> str:
        return input_id(self.name)

    @property
    def error_id(self) -> str:
        return error_id(self.name)

    @property
    def long_text(self) -> bool:
        return self.type == "text" and self.name.count(".") == 1

    @property
    def selected(self) -> list[str]:
        if isinstance(self.value, list):
            return [str(v) for v in self.value]
        return [str(self.value)] if self.value not in ("", None) else []

    @property
    def value_text(self) -> str:
        return "" if self.value is None else str(self.value)


@dataclass
class Row:
    index: str
    name: str
    cells: list[Widget]

    @property
    def marker(self) -> str:
        return f"{self.name}.{ROW_MARKER}"


def _messages(errors: Errors, path: str) -> list[str]:
    return [str(m) for m in errors.get(path, ())]


def _widget(
    template: NoteTemplate, spec: FieldSpec, name: str, path: str, value: Any, errors: Errors
) -> Widget:
    choices = NPRS_CHOICES if spec.type == "nprs" else template.choices(spec)
    widget = Widget(
        key=spec.key,
        label=spec.label,
        type=spec.type,
        name=name,
        value="" if value is None else value,
        required=spec.required,
        help=spec.help,
        unit=spec.unit,
        choices=tuple(choices),
        errors=_messages(errors, path),
        max_items=spec.max_items,
    )
    if spec.type == "records":
        rows = value if isinstance(value, list) else []
        widget.value = ""
        widget.columns = list(spec.fields)
        widget.rows = [_row(template, spec, name, path, str(i), row, errors) for i, row in enumerate(rows)]
        widget.blank_row = _row(template, spec, name, path, ROW_PLACEHOLDER, {}, {})
    return widget


def _row(
    template: NoteTemplate, spec: FieldSpec, name: str, path: str, index: str, row: Any, errors: Errors
) -> Row:
    row = row if isinstance(row, Mapping) else {}
    cells = [
        _widget(
            template, sub, f"{name}.{index}.{sub.key}", f"{path}.{index}.{sub.key}", row.get(sub.key), errors
        )
        for sub in spec.fields
    ]
    return Row(index=index, name=f"{name}.{index}", cells=cells)


def editor_widgets(template: NoteTemplate, data: Mapping[str, Any], errors: Errors) -> list[Widget]:
    """The template's discipline fields as widgets holding `data` (stored or as posted) and their messages."""
    return [
        _widget(template, spec, DATA_PREFIX + spec.key, spec.key, data.get(spec.key), errors)
        for spec in template.fields
    ]


def soap_widgets(template: NoteTemplate, values: Mapping[str, Any], errors: Errors) -> list[Widget]:
    return [
        Widget(
            key=spec.key,
            label=spec.label,
            type="text",
            name=spec.key,
            value=values.get(spec.key) or "",
            required=spec.required,
            help=spec.help,
            errors=_messages(errors, spec.key),
        )
        for spec in template.soap
    ]


def all_widgets(widgets: Sequence[Widget]) -> list[Widget]:
    """Every widget, rows' cells included (for the autosave answer's messages)."""
    found: list[Widget] = []
    for widget in widgets:
        found.append(widget)
        for row in widget.rows:
            found.extend(all_widgets(row.cells))
    return found


def leftover_messages(widgets: Sequence[Widget], errors: Errors) -> tuple[list[str], list[str]]:
    """(body-map messages, general messages): those no widget shows."""
    shown = {w.name.removeprefix(DATA_PREFIX) for w in all_widgets(widgets)}
    body: list[str] = []
    general: list[str] = []
    for path, messages in errors.items():
        if path == BODY_MARKS or path.startswith(BODY_MARKS + "."):
            body.extend(str(m) for m in messages)
        elif path not in shown:
            general.extend(str(m) for m in messages)
    return body, general


# The posted form, back as note data -----------------------------------------------------------------------


def _first(form: Form, name: str) -> str | None:
    values = form.get(name)
    return str(values[0]) if values else None


def _values(form: Form, name: str) -> list[str]:
    return [str(v) for v in form.get(name, ()) if str(v).strip()]


def _value(form: Form, spec: FieldSpec, name: str) -> Any:
    if spec.type == "multichoice":
        return _values(form, name)
    return _first(form, name)


def _row_indices(form: Form, name: str) -> list[int]:
    pattern = re.compile(re.escape(name) + r"\.(\d{1,4})\.")
    indices = {int(m.group(1)) for key in form if (m := pattern.match(key))}
    return sorted(indices)


def parse_data(template: NoteTemplate, form: Form) -> dict[str, Any]:
    """The discipline fields as posted: rows in the order of their index, renumbered from 0; a field or row
    cell not posted is left out (the services read a missing value as blank)."""
    data: dict[str, Any] = {}
    for spec in template.fields:
        name = DATA_PREFIX + spec.key
        if spec.type == "records":
            rows = []
            for index in _row_indices(form, name):
                row: dict[str, Any] = {}
                for sub in spec.fields:
                    value = _value(form, sub, f"{name}.{index}.{sub.key}")
                    if value is not None:
                        row[sub.key] = value
                rows.append(row)
            data[spec.key] = rows
        else:
            value = _value(form, spec, name)
            if value is not None:
                data[spec.key] = value
    return data


def parse_changes(template: NoteTemplate, form: Form) -> dict[str, Any]:
    """The changes for charting.services.note_save_draft: data, the SOAP texts, the body map's marks."""
    changes: dict[str, Any] = {"data": parse_data(template, form)}
    for key in SOAP_KEYS:
        value = _first(form, key)
        if value is not None:
            changes[key] = value
    marks = _first(form, BODY_MARKS)
    if marks is not None:
        try:
            changes[BODY_MARKS] = json.loads(marks) if marks.strip() else []
        except ValueError:
            changes[BODY_MARKS] = marks  # the service refuses it with its own message
    return changes


# Read-only display ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    label: str
    text: str = ""
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


def _text(template: NoteTemplate, spec: FieldSpec, value: Any) -> str:
    if value is None or value == "" or value == []:
        return ""
    if spec.type in ("choice", "multichoice"):
        labels = dict(template.choices(spec))
        items = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(str(v), str(v)) for v in items)
    if spec.type in ("number", "nprs"):
        return f"{value}{' ' + spec.unit if spec.unit else ''}"
    return str(value)


def shown_fields(template: NoteTemplate, data: Mapping[str, Any]) -> list[Shown]:
    """The note's filled discipline fields as label and text (rows as a table), in the template's order."""
    shown: list[Shown] = []
    for spec in template.fields:
        value = data.get(spec.key)
        if spec.type == "records":
            rows = [r for r in value or [] if isinstance(r, Mapping)]
            if rows:
                shown.append(
                    Shown(
                        spec.label,
                        columns=tuple(sub.label for sub in spec.fields),
                        rows=tuple(
                            tuple(_text(template, sub, r.get(sub.key)) for sub in spec.fields) for r in rows
                        ),
                    )
                )
            continue
        text = _text(template, spec, value)
        if text:
            shown.append(Shown(spec.label, text=text))
    return shown


@dataclass(frozen=True)
class Missing:
    label: str
    message: str


def describe(template: NoteTemplate, problems: Sequence[Any]) -> list[Missing]:
    """Problems with paths ("techniques.0.minutes") in the clinician's words ("Techniques performed, row 1:
    Minutes"), for the editor's checklist."""
    soap = {spec.key: spec.label for spec in template.soap}
    described: list[Missing] = []
    for problem in problems:
        parts = str(problem.path).split(".")
        spec = template.field(parts[0])
        if spec is None:
            label = soap.get(parts[0], parts[0].replace("_", " ").capitalize())
        elif len(parts) == 3 and parts[1].isdigit():
            sub = spec.subfield(parts[2])
            label = f"{spec.label}, row {int(parts[1]) + 1}: {sub.label if sub else parts[2]}"
        else:
            label = spec.label
        described.append(Missing(label, str(problem.message)))
    return described
