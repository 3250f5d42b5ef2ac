"""Which body sites neighbour which, for local contraindications ("avoid the area"). Pure module.

A local finding covers the affected site and the sites that touch it: work on the thigh moves the tissue
over a fractured knee; work on the thoracic spine loads the lumbar segments below it. The map is symmetric.
"""

from __future__ import annotations

from tandem.core.vocabularies import BODY_SITE_CODES

_AXIAL: dict[str, tuple[str, ...]] = {
    "head": ("cervical",),
    "cervical": ("head", "thoracic", "shoulder-left", "shoulder-right"),
    "thoracic": ("cervical", "lumbar", "rib-cage", "shoulder-left", "shoulder-right"),
    "lumbar": ("thoracic", "sacral", "pelvis", "abdomen"),
    "sacral": ("lumbar", "pelvis"),
    "pelvis": ("lumbar", "sacral", "abdomen", "hip-left", "hip-right"),
    "rib-cage": ("thoracic", "abdomen", "shoulder-left", "shoulder-right"),
    "abdomen": ("rib-cage", "lumbar", "pelvis"),
}
# Each limb region touches the next along the limb, per side.
_LIMB_CHAINS: tuple[tuple[str, ...], ...] = (
    ("shoulder", "upper-arm", "elbow", "forearm", "wrist-hand"),
    ("hip", "thigh", "knee", "lower-leg", "ankle-foot"),
)


def _build() -> dict[str, frozenset[str]]:
    pairs: set[tuple[str, str]] = set()
    for site, others in _AXIAL.items():
        pairs.update((site, other) for other in others)
    for side in ("left", "right"):
        for chain in _LIMB_CHAINS:
            for first, second in zip(chain, chain[1:], strict=False):
                pairs.add((f"{first}-{side}", f"{second}-{side}"))
    neighbours: dict[str, set[str]] = {code: set() for code in BODY_SITE_CODES}
    for first, second in pairs:
        neighbours[first].add(second)
        neighbours[second].add(first)
    return {code: frozenset(found) for code, found in neighbours.items()}


NEIGHBOURS: dict[str, frozenset[str]] = _build()


def neighbours(site: str) -> frozenset[str]:
    """The sites that touch `site` (not including it)."""
    return NEIGHBOURS.get(site, frozenset())


def area(site: str) -> frozenset[str]:
    """`site` and its neighbours: the area a local contraindication at `site` covers."""
    return frozenset({site}) | neighbours(site)


SPINE: tuple[str, ...] = ("cervical", "thoracic", "lumbar", "sacral", "pelvis")
LEGS: tuple[str, ...] = tuple(
    f"{region}-{side}"
    for region in ("thigh", "knee", "lower-leg", "ankle-foot")
    for side in ("left", "right")
)
