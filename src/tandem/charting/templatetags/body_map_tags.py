"""The body map as template tags (issue #5 item 3).

`{% body_map marks input_name="body_marks" editable=True %}`: the figure, front and back, with its marks; when
editable, a kind picker, a list of marks with notes and a hidden input holding the marks' JSON, wired by
static/js/body_map.js (which the embedding page loads: `<script src="{% static 'js/body_map.js' %}" defer>`).

`{% body_map_timeline entries %}`: one small read-only figure per signed note, coloured by discipline
(entries as charting.selectors.body_map_timeline answers them).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from django import template

from tandem.charting import bodymap
from tandem.charting.bodymap import KIND_LABELS, KIND_STYLES, Mark
from tandem.core.vocabularies import DISCIPLINES, label

register = template.Library()

# The timeline's figures are drawn small: their symbols are drawn bigger, or they would be specks.
COMPACT_SIZE = 1.8


def _fmt(number: float) -> str:
    return f"{number:g}"


def _uid(prefix: str) -> str:
    # Ids of clip paths and patterns must be unique in the page: several maps can share it.
    slug = re.sub(r"[^a-z0-9]+", "-", prefix.lower()).strip("-") or "map"
    return f"bm-{slug}-{secrets.token_hex(3)}"


def _kinds() -> list[dict[str, Any]]:
    return [
        {
            "code": kind,
            "label": text,
            "symbol": KIND_STYLES[kind].symbol,
            "colour": KIND_STYLES[kind].colour,
            "paths": bodymap.symbol_paths(kind, 8, 8),
        }
        for kind, text in KIND_LABELS.items()
    ]


def _view(uid: str, view: str, marks: list[Mark], size: float, colour: str | None) -> dict[str, Any]:
    on_view = [mark for mark in marks if mark.view == view]
    by_site: dict[str, list[Mark]] = {}
    for mark in on_view:
        by_site.setdefault(mark.site, []).append(mark)
    sites: list[dict[str, Any]] = []
    treated: list[dict[str, Any]] = []
    symbols: list[dict[str, Any]] = []
    for shape in bodymap.FIGURE[view]:
        here = by_site.get(shape.site, [])
        sites.append(
            {
                "site": shape.site,
                "label": shape.label,
                "aria_label": shape.aria_label,
                "paths": shape.paths,
                "anchor": f"{shape.anchor[0]:g} {shape.anchor[1]:g}",
                "axis": shape.axis,
                "marked": bool(here),
            }
        )
        positions = bodymap.mark_positions(shape, [mark.kind for mark in here], size)
        for mark in here:
            title = mark.description + (f": {mark.note}" if mark.note else "")
            if mark.kind in positions:
                x, y = positions[mark.kind]
                filled = KIND_STYLES[mark.kind].symbol != "cross"  # an X is drawn by its stroke
                symbols.append(
                    {
                        "kind": mark.kind,
                        "paths": bodymap.symbol_paths(mark.kind, x, y, size),
                        "title": title,
                        "colour": colour or KIND_STYLES[mark.kind].colour,
                        "filled": filled,
                        "halo_width": _fmt(size * (3 if filled else 5)),
                        "stroke_width": _fmt(size * 2.6),
                    }
                )
            else:
                treated.append({"kind": mark.kind, "paths": shape.paths, "title": title})
    hatch = colour or KIND_STYLES["treated-area"].colour
    return {
        "code": view,
        "label": bodymap.VIEW_LABELS[view],
        "clip_id": f"{uid}-{view}-clip",
        "hatch_id": f"{uid}-{view}-hatch",
        "hatch_colour": hatch,
        "sites": sites,
        "treated": treated,
        "symbols": symbols,
        "side_labels": bodymap.SIDE_LABELS[view],
        "spine": bodymap.SPINE_LINE if view == "back" else "",
        "count": len(on_view),
    }


def figure_context(
    marks: list[Mark], *, uid: str, editable: bool, compact: bool = False, discipline: str = ""
) -> dict[str, Any]:
    """What _figure.html draws: both views, their sites, and the marks' symbols and hatched regions."""
    colour = bodymap.DISCIPLINE_COLOURS.get(discipline) if discipline else None
    return {
        "uid": uid,
        "editable": editable,
        "compact": compact,
        "discipline": discipline,
        "viewbox": bodymap.VIEWBOX,
        "outline": bodymap.OUTLINE,
        "views": [
            _view(uid, view, marks, COMPACT_SIZE if compact else 1.0, colour) for view, _ in bodymap.VIEWS
        ],
    }


def _mark_items(marks: list[Mark]) -> list[dict[str, Any]]:
    return [
        {
            "site": mark.site,
            "kind": mark.kind,
            "view": mark.view,
            "note": mark.note,
            "kind_label": KIND_LABELS[mark.kind],
            "place": f"{bodymap.site_label(mark.site)} ({mark.view})",
            "description": mark.description,
            "paths": bodymap.symbol_paths(mark.kind, 8, 8),
            "symbol": KIND_STYLES[mark.kind].symbol,
            "colour": KIND_STYLES[mark.kind].colour,
        }
        for mark in marks
    ]


@register.inclusion_tag("charting/body_map/_editor.html")
def body_map(marks: Any = None, input_name: str = "body_marks", editable: bool = True) -> dict[str, Any]:
    """`{% body_map marks input_name="body_marks" editable=True %}`: marks as a list of dicts or JSON text.

    Marks that do not validate (an unknown site, a site not drawn on its view...) are left out of the figure:
    a page that shows a body map never fails because of a stored value.
    """
    drawn = bodymap.drawable_marks(marks)
    uid = _uid(input_name)
    return {
        "uid": uid,
        "input_name": input_name,
        "editable": bool(editable),
        "marks_json": bodymap.marks_json(drawn),
        "items": _mark_items(drawn),
        "kinds": _kinds(),
        "max_marks": bodymap.MAX_MARKS,
        "max_note": bodymap.MAX_NOTE_LENGTH,
        "figure": figure_context(drawn, uid=uid, editable=bool(editable)),
    }


def _field(entry: Any, *names: str) -> Any:
    for name in names:
        if isinstance(entry, Mapping):
            if name in entry:
                return entry[name]
        elif hasattr(entry, name):
            return getattr(entry, name)
    return None


def _author_name(entry: Any) -> str:
    author = _field(entry, "author")
    if author is None:
        author = _field(_field(entry, "note"), "author")
    if author is None:
        return ""
    name = getattr(author, "display_name", None)
    return str(name) if name else str(author)


@register.inclusion_tag("charting/body_map/_timeline.html")
def body_map_timeline(entries: Iterable[Any] | None) -> dict[str, Any]:
    """`{% body_map_timeline entries %}`: entries with `marks`, `discipline`, `visited_at` (or `date`) and
    `author` (or `note.author`), such as charting.selectors.body_map_timeline answers."""
    rows = []
    for index, entry in enumerate(entries or []):
        discipline = str(_field(entry, "discipline") or "")
        drawn = bodymap.drawable_marks(_field(entry, "marks"))
        uid = _uid(f"timeline-{index}")
        rows.append(
            {
                "uid": uid,
                "date": _field(entry, "visited_at", "date"),
                "discipline": discipline,
                "discipline_label": label(DISCIPLINES, discipline) if discipline else "",
                "author": _author_name(entry),
                "items": _mark_items(drawn),
                "figure": figure_context(drawn, uid=uid, editable=False, compact=True, discipline=discipline),
            }
        )
    return {"entries": rows, "kinds": _kinds(), "disciplines": DISCIPLINES}
