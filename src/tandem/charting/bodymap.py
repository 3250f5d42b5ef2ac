"""The body map (issue #5 item 3): the figure's geometry, the kinds of mark, and the validation of marks.

Pure module: no Django. The template tags (templatetags/body_map_tags.py) draw what this module describes,
and static/js/body_map.js repeats `symbol_paths` and `mark_positions` so a new mark lands where the server
would have drawn it.

The figure is one simplified human outline per view, in a 200 x 440 user-unit box. Each body-site code of the
vocabulary (tandem.core.vocabularies.BODY_SITES) has one or more shapes on the front and/or the back view; the
shapes are simple polygons that the outline clips, so they tile the body without having to follow its curves.

Sides: the front view faces the viewer, so the patient's left is on the viewer's right; the back view shows
the patient from behind, so the patient's left is on the viewer's left. Limb shapes are written once, for the
limb on the viewer's left, and mirrored for the other side.

A mark is `{"site", "kind", "view", "note"?}` (the charting Note's `body_marks`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tandem.core.vocabularies import BODY_SITES, label

WIDTH = 200
HEIGHT = 440
VIEWBOX = f"0 0 {WIDTH} {HEIGHT}"
MIDLINE = WIDTH / 2

VIEWS: tuple[tuple[str, str], ...] = (("front", "Front"), ("back", "Back"))
VIEW_LABELS: dict[str, str] = dict(VIEWS)

KIND_LABELS: dict[str, str] = {
    "pain": "Pain",
    "trigger-point": "Trigger point",
    "adjusted-segment": "Adjusted segment",
    "treated-area": "Treated area",
}


@dataclass(frozen=True)
class KindStyle:
    """How a kind of mark is drawn: a shape that tells the kinds apart without colour, and a colour."""

    symbol: str  # "circle" (filled), "cross" (X), "diamond" (filled), "hatch" (the whole region hatched)
    colour: str


KIND_STYLES: dict[str, KindStyle] = {
    "pain": KindStyle("circle", "#c62828"),
    "trigger-point": KindStyle("cross", "#a64b00"),
    "adjusted-segment": KindStyle("diamond", "#2952a3"),
    "treated-area": KindStyle("hatch", "#2e7d4f"),
}
# Mark colours on the chart's timeline, one per discipline (the --chiro, --pt, --massage of tandem.css).
DISCIPLINE_COLOURS: dict[str, str] = {
    "chiropractic": "#3f6fb5",
    "physical-therapy": "#2f8a5b",
    "massage-therapy": "#a0679b",
}

MAX_MARKS = 100
MAX_NOTE_LENGTH = 200
MARK_KEYS: frozenset[str] = frozenset({"site", "kind", "view", "note"})

# Marks of several kinds on one site sit side by side (row) or one above the other (column, for limbs).
MARK_SPACING = 11.0
SYMBOL_RADIUS = 5.0


# Geometry -------------------------------------------------------------------------------------------------


def _fmt(number: float) -> str:
    text = f"{number:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


_PATH_TOKEN = re.compile(r"[MLCQZ]|-?\d+(?:\.\d+)?")


def mirror_path(d: str) -> str:
    """The path reflected across the vertical midline (absolute M, L, C, Q and Z commands only)."""
    out: list[str] = []
    coordinate = 0  # x, y, x, y...: every even number after a command is an x
    for token in _PATH_TOKEN.findall(d):
        if token.isalpha():
            out.append(token)
            coordinate = 0
            continue
        value = float(token)
        out.append(_fmt(WIDTH - value) if coordinate % 2 == 0 else _fmt(value))
        coordinate += 1
    return " ".join(out)


def polygon(*points: tuple[float, float]) -> str:
    return "M " + " L ".join(f"{_fmt(x)} {_fmt(y)}" for x, y in points) + " Z"


def ellipse(cx: float, cy: float, rx: float, ry: float) -> str:
    """An ellipse as four cubic curves (so it mirrors like any other path)."""
    k = 0.5523  # control-point distance of a quarter circle, as a fraction of the radius
    quarters = (
        ((cx + k * rx, cy - ry), (cx + rx, cy - k * ry), (cx + rx, cy)),
        ((cx + rx, cy + k * ry), (cx + k * rx, cy + ry), (cx, cy + ry)),
        ((cx - k * rx, cy + ry), (cx - rx, cy + k * ry), (cx - rx, cy)),
        ((cx - rx, cy - k * ry), (cx - k * rx, cy - ry), (cx, cy - ry)),
    )
    curves = " ".join("C " + " ".join(f"{_fmt(x)} {_fmt(y)}" for x, y in quarter) for quarter in quarters)
    return f"M {_fmt(cx)} {_fmt(cy - ry)} {curves} Z"


# The outline: pieces whose union is the body (drawn stroked, then filled, so only the outer edge shows).
_HEAD = ellipse(100, 32, 18.5, 23.5)
_NECK = "M 91 46 C 91 56 90 64 87 72 L 113 72 C 110 64 109 56 109 46 Z"
_TORSO = (
    "M 100 66 L 88 68 C 80 73 70 75 62 78 C 55 81 53 92 57 103 C 60 110 64 116 67 122 "
    "C 69 140 71 158 72 174 C 72 188 66 202 64 220 C 63 236 72 248 86 252 L 100 254 "
    "L 114 252 C 128 248 137 236 136 220 C 134 202 128 188 128 174 C 129 158 131 140 133 122 "
    "C 136 116 140 110 143 103 C 147 92 145 81 138 78 C 130 75 120 73 112 68 Z"
)
_ARM = (
    "M 66 78 C 53 78 44 86 43 100 C 42 118 41 140 40 158 C 39 170 37 180 35 190 "
    "C 32 209 29 227 27 244 L 43 246 C 46 229 50 211 54 193 C 56 181 58 169 60 157 "
    "C 62 141 64 127 66 114 C 68 100 70 88 66 78 Z"
)
_HAND = "M 27 242 C 22 251 22 264 25 276 C 27 285 35 290 39 285 C 43 277 45 261 43 245 Z"
_LEG = (
    "M 68 208 C 62 228 61 254 63 280 C 65 300 67 314 67 326 C 67 338 64 350 65 366 "
    "C 66 382 71 396 73 408 L 89 408 C 89 392 90 376 90 360 C 91 346 92 336 92 326 "
    "C 93 306 96 284 99 252 L 100 214 Z"
)
_FOOT = "M 73 404 C 71 413 69 423 71 429 C 75 434 86 434 90 430 C 91 422 90 412 89 404 Z"

OUTLINE: tuple[str, ...] = (
    _HEAD,
    _NECK,
    _TORSO,
    _ARM,
    mirror_path(_ARM),
    _HAND,
    mirror_path(_HAND),
    _LEG,
    mirror_path(_LEG),
    _FOOT,
    mirror_path(_FOOT),
)
# A faint midline on the back view: the spine, from the skull to the sacrum.
SPINE_LINE = "M 100 58 L 100 232"


@dataclass(frozen=True)
class SiteShape:
    """Where a body site is drawn on one view: its shapes (clipped by the outline) and where marks go."""

    site: str
    view: str
    paths: tuple[str, ...]
    anchor: tuple[float, float]
    axis: str  # "row" or "column": how several marks on the site are laid out

    @property
    def label(self) -> str:
        return site_label(self.site)

    @property
    def aria_label(self) -> str:
        return f"{self.label} ({self.view})"


@dataclass(frozen=True)
class _Limb:
    """A limb region on the viewer's left, mirrored for the viewer's right."""

    region: str
    path: str
    anchor: tuple[float, float]
    views: tuple[str, ...] = ("front", "back")
    axis: str = "column"


_LIMBS: tuple[_Limb, ...] = (
    _Limb("shoulder", polygon((20, 64), (86, 64), (86, 73), (75, 84), (67, 112), (20, 112)), (57, 92)),
    _Limb("upper-arm", polygon((10, 112), (67, 112), (66, 172), (10, 172)), (52, 141)),
    _Limb("elbow", polygon((10, 172), (66, 172), (64, 197), (10, 197)), (46, 183)),
    _Limb("forearm", polygon((10, 197), (64, 197), (62, 242), (10, 242)), (39, 219)),
    _Limb("wrist-hand", polygon((10, 242), (62, 242), (62, 300), (10, 300)), (33, 265)),
    _Limb(
        "hip",
        polygon((58, 205), (76, 205), (76, 226), (100, 250), (100, 256), (58, 256)),
        (70, 234),
        views=("front",),
    ),
    _Limb(
        "hip",
        polygon((58, 220), (88, 220), (92, 240), (100, 250), (100, 256), (58, 256)),
        (77, 238),
        views=("back",),
    ),
    _Limb("thigh", polygon((50, 256), (100, 256), (100, 318), (50, 318)), (81, 287)),
    _Limb("knee", polygon((50, 318), (100, 318), (100, 346), (50, 346)), (80, 332)),
    _Limb("lower-leg", polygon((50, 346), (100, 346), (100, 402), (50, 402)), (79, 373)),
    _Limb("ankle-foot", polygon((50, 402), (100, 402), (100, 440), (50, 440)), (81, 419)),
)

_UPPER_TRUNK = polygon((86, 73), (114, 73), (125, 84), (133, 112), (134, 165), (66, 165), (67, 112), (75, 84))
_AXIAL: tuple[SiteShape, ...] = (
    SiteShape("head", "front", (polygon((60, 0), (140, 0), (140, 52), (60, 52)),), (100, 31), "row"),
    SiteShape("head", "back", (polygon((60, 0), (140, 0), (140, 52), (60, 52)),), (100, 31), "row"),
    SiteShape("cervical", "front", (polygon((86, 52), (114, 52), (114, 73), (86, 73)),), (100, 62), "row"),
    SiteShape("cervical", "back", (polygon((86, 52), (114, 52), (114, 73), (86, 73)),), (100, 62), "row"),
    SiteShape("rib-cage", "front", (_UPPER_TRUNK,), (100, 124), "row"),
    SiteShape("thoracic", "back", (_UPPER_TRUNK,), (100, 120), "row"),
    SiteShape(
        "abdomen", "front", (polygon((66, 165), (134, 165), (142, 205), (58, 205)),), (100, 185), "row"
    ),
    SiteShape("lumbar", "back", (polygon((66, 165), (134, 165), (142, 200), (58, 200)),), (100, 182), "row"),
    SiteShape(
        "pelvis",
        "front",
        (polygon((76, 205), (124, 205), (124, 226), (100, 250), (76, 226)),),
        (100, 221),
        "row",
    ),
    SiteShape("pelvis", "back", (polygon((58, 200), (142, 200), (142, 220), (58, 220)),), (100, 210), "row"),
    SiteShape(
        "sacral",
        "back",
        (polygon((88, 220), (112, 220), (108, 240), (100, 250), (92, 240)),),
        (100, 234),
        "column",
    ),
)


def _side_on_viewer_left(view: str) -> str:
    """Which side of the patient the viewer's left shows: the right on the front, the left on the back."""
    return "right" if view == "front" else "left"


def _build_figure() -> dict[str, tuple[SiteShape, ...]]:
    figure: dict[str, list[SiteShape]] = {code: [] for code, _ in VIEWS}
    for view, _ in VIEWS:
        near = _side_on_viewer_left(view)
        far = "left" if near == "right" else "right"
        for limb in _LIMBS:
            if view not in limb.views:
                continue
            x, y = limb.anchor
            figure[view].append(SiteShape(f"{limb.region}-{near}", view, (limb.path,), (x, y), limb.axis))
            figure[view].append(
                SiteShape(f"{limb.region}-{far}", view, (mirror_path(limb.path),), (WIDTH - x, y), limb.axis)
            )
        figure[view].extend(shape for shape in _AXIAL if shape.view == view)
    # Top to bottom, then viewer's left to right: the order a keyboard user tabs through the sites.
    return {
        view: tuple(sorted(shapes, key=lambda s: (s.anchor[1], s.anchor[0])))
        for view, shapes in figure.items()
    }


FIGURE: dict[str, tuple[SiteShape, ...]] = _build_figure()
_SHAPES: dict[tuple[str, str], SiteShape] = {(s.site, s.view): s for view in FIGURE.values() for s in view}

# Where the small "L" and "R" go on each view: (text, x, y).
SIDE_LABELS: dict[str, tuple[tuple[str, float, float], ...]] = {
    "front": (("R", 14, 24), ("L", WIDTH - 14, 24)),
    "back": (("L", 14, 24), ("R", WIDTH - 14, 24)),
}


def site_label(code: str) -> str:
    return label(BODY_SITES, code)


def shape_for(site: str, view: str) -> SiteShape | None:
    return _SHAPES.get((site, view))


def views_of(site: str) -> tuple[str, ...]:
    """The views on which a body site is drawn, front first."""
    return tuple(view for view, _ in VIEWS if (site, view) in _SHAPES)


def sites_drawn() -> frozenset[str]:
    return frozenset(site for site, _ in _SHAPES)


# Marks ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    site: str
    kind: str
    view: str
    note: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.site, self.kind, self.view)

    @property
    def description(self) -> str:
        """'Trigger point, Lumbar spine (back)'."""
        return f"{KIND_LABELS[self.kind]}, {site_label(self.site)} ({self.view})"

    def as_json(self) -> dict[str, str]:
        value = {"site": self.site, "kind": self.kind, "view": self.view}
        if self.note:
            value["note"] = self.note
        return value


class MarkError(ValueError):
    """A mark that cannot be stored; `index` and `field` say where (None for the list as a whole)."""

    def __init__(self, message: str, *, index: int | None = None, field: str | None = None) -> None:
        where = "" if index is None else f"Mark {index + 1}" + (f", {field}" if field else "") + ": "
        super().__init__(where + message)
        self.index = index
        self.field = field
        self.reason = message


def _parse(value: object) -> object:
    if isinstance(value, str | bytes):
        if not value.strip():
            return []
        try:
            return json.loads(value)
        except ValueError:
            raise MarkError("The body map's marks are not valid JSON.") from None
    return [] if value is None else value


def _mark_at(index: int, raw: object) -> Mark:
    if not isinstance(raw, Mapping):
        raise MarkError("a mark is an object with site, kind, view and an optional note.", index=index)
    unknown = sorted(str(key) for key in raw if key not in MARK_KEYS)
    if unknown:
        raise MarkError(f"“{unknown[0]}” is not part of a mark.", index=index, field=unknown[0])
    site, kind, view, note = (raw.get(key) for key in ("site", "kind", "view", "note"))
    if not isinstance(site, str) or site not in {c.code for c in BODY_SITES}:
        raise MarkError(f"“{site}” is not a body site of the map.", index=index, field="site")
    if not isinstance(view, str) or view not in VIEW_LABELS:
        raise MarkError("mark the front or the back of the figure.", index=index, field="view")
    if shape_for(site, view) is None:
        where = " or ".join(views_of(site))
        message = f"{site_label(site)} is not drawn on the {view} view (only on the {where})."
        raise MarkError(message, index=index, field="view")
    if not isinstance(kind, str) or kind not in KIND_LABELS:
        message = "mark pain, a trigger point, an adjusted segment or a treated area."
        raise MarkError(message, index=index, field="kind")
    if note is None:
        note = ""
    if not isinstance(note, str):
        raise MarkError("a mark's note is text.", index=index, field="note")
    note = note.strip()
    if len(note) > MAX_NOTE_LENGTH:
        message = f"keep a mark's note under {MAX_NOTE_LENGTH} characters (it has {len(note)})."
        raise MarkError(message, index=index, field="note")
    return Mark(site, kind, view, note)


def validate_marks(value: object) -> list[Mark]:
    """The marks of a body map (a list, or its JSON text); MarkError (a ValueError) names the first problem.

    Every site must be a body-site code drawn on the mark's view, every kind one of KIND_LABELS, a note at
    most MAX_NOTE_LENGTH characters, at most MAX_MARKS marks, and one kind only once per site and view.
    """
    parsed = _parse(value)
    if not isinstance(parsed, list | tuple):
        raise MarkError("the body map's marks are a list.")
    if len(parsed) > MAX_MARKS:
        raise MarkError(f"at most {MAX_MARKS} marks on a body map (there are {len(parsed)}).")
    marks: list[Mark] = []
    seen: dict[tuple[str, str, str], int] = {}
    for index, raw in enumerate(parsed):
        mark = _mark_at(index, raw)
        if mark.key in seen:
            message = f"the same as mark {seen[mark.key] + 1} ({mark.description})."
            raise MarkError(message, index=index, field="site")
        seen[mark.key] = index
        marks.append(mark)
    return marks


def drawable_marks(value: object) -> list[Mark]:
    """The marks that can be drawn, skipping those that would not validate (for display: never fail)."""
    try:
        parsed = _parse(value)
    except MarkError:
        return []
    if not isinstance(parsed, list | tuple):
        return []
    marks: list[Mark] = []
    seen: set[tuple[str, str, str]] = set()
    for index, raw in enumerate(parsed):
        try:
            mark = _mark_at(index, raw)
        except MarkError:
            continue
        if mark.key not in seen:
            seen.add(mark.key)
            marks.append(mark)
    return marks[:MAX_MARKS]


def marks_json(marks: Iterable[Mark]) -> str:
    return json.dumps([mark.as_json() for mark in marks], ensure_ascii=False, separators=(",", ":"))


# Drawing marks --------------------------------------------------------------------------------------------

SYMBOL_KINDS: tuple[str, ...] = tuple(kind for kind, style in KIND_STYLES.items() if style.symbol != "hatch")


def mark_positions(
    shape: SiteShape, kinds: Iterable[str], size: float = 1.0
) -> dict[str, tuple[float, float]]:
    """Where the symbols of the given kinds go on a site: centred on its anchor, in the order of KIND_LABELS.

    A treated area has no symbol (its region is hatched), so it takes no place. `size` scales the spacing
    (small figures draw bigger symbols, or they would be specks).
    """
    present = [kind for kind in SYMBOL_KINDS if kind in set(kinds)]
    x, y = shape.anchor
    positions: dict[str, tuple[float, float]] = {}
    for index, kind in enumerate(present):
        offset = (index - (len(present) - 1) / 2) * MARK_SPACING * size
        positions[kind] = (x + offset, y) if shape.axis == "row" else (x, y + offset)
    return positions


def symbol_paths(kind: str, x: float, y: float, size: float = 1.0) -> tuple[str, ...]:
    """The SVG path data of a kind's symbol at (x, y): a filled circle, an X or a filled diamond."""
    r = SYMBOL_RADIUS * size
    symbol = KIND_STYLES[kind].symbol
    if symbol == "circle":
        return (
            f"M {_fmt(x - r)} {_fmt(y)} A {_fmt(r)} {_fmt(r)} 0 1 0 {_fmt(x + r)} {_fmt(y)} "
            f"A {_fmt(r)} {_fmt(r)} 0 1 0 {_fmt(x - r)} {_fmt(y)} Z",
        )
    if symbol == "cross":
        c = r * 0.85
        return (
            f"M {_fmt(x - c)} {_fmt(y - c)} L {_fmt(x + c)} {_fmt(y + c)} "
            f"M {_fmt(x + c)} {_fmt(y - c)} L {_fmt(x - c)} {_fmt(y + c)}",
        )
    if symbol == "diamond":
        d = r * 1.15
        return (polygon((x, y - d), (x + d, y), (x, y + d), (x - d, y)),)
    return ()
