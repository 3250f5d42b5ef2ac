"""Exact scoring of the outcome instruments (pure: no Django), per ../shared/clinical/REFERENCE.md §1.

`score(code, answers, policy)` takes the item values in the questionnaire's order (None for an unanswered
item) and answers a `ScoreResult`: the score at full precision (rounding is for display only, see
`for_display`), its range and direction, the interpretation band, how many items were answered, and whether
the score is valid (with the reason when it is not). Malformed answers (wrong count, wrong type, a bool, a
non-whole number, NaN, a value outside the item's range) raise `ScoringError` naming the answer; nothing is
ever clipped.

`mcid_check(code, baseline, followup, mcid)` decides whether a change from baseline reaches a published
minimal clinically important difference (points on the score's scale, and/or a relative change in percent).

Instruments (codes as in DESIGN.md §5):
- nprs: numeric pain rating, 1 item 0-10, the number chosen; higher is worse.
- odi: Oswestry Disability Index v2.1a, 10 sections 0-5; % = sum / (5 x sections answered) x 100 (Fairbank &
  Pynsent, Spine 2000); each unanswered section lowers the denominator by 5.
- ndi: Neck Disability Index (Vernon & Mior, JMPT 1991), 10 items 0-5; the score is the raw 0-50 with Vernon's
  mean imputation (each missing item counts as the mean of the answered ones); percent = raw x 2.
- rmdq: Roland-Morris Disability Questionnaire, 24 yes(1)/no(0) statements, 0-24 (Roland & Morris, Spine
  1983); "not applicable" is scored No. No standard missing-item method exists (Kent & Lauridsen): policy.
- quickdash: 11 items 1-5; ((sum / n) - 1) x 25; not computable with more than one item missing (DASH manual).
- quickdash-work, quickdash-sport: the optional work and sports/performing-arts modules of the QuickDASH, 4
  items 1-5 each; ((sum / 4) - 1) x 25, 0-100, higher is worse; no score unless all 4 are answered
  (REFERENCE.md §1, DASH manual). Scored on their own, never folded into the QuickDASH score; the sources
  give no MCID.
- psfs: Patient-Specific Functional Scale (Stratford et al., Physiother Can 1995), 3 to 5 patient-chosen
  activities 0-10, the mean; higher is better.
- lefs: Lower Extremity Functional Scale (Binkley et al., Phys Ther 1999), 20 items 0-4, the sum, 0-80;
  higher is better. The sources give no missing-item rule: every item is required (policy).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Literal

Direction = Literal["higher-is-worse", "higher-is-better"]
RmdqMissing = Literal["reject", "sum", "prorate"]


class ScoringError(ValueError):
    """Answers that cannot be scored at all. `field` names the offending input: "instrument", "answers" or
    "answers.<index>" (0-based, as the JSON API reports list positions)."""

    def __init__(self, message: str, *, field: str = "answers") -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, list[str]]:
        return {self.field: [self.message]}


@dataclass(frozen=True)
class Band:
    """An interpretation band. A score belongs to the first band whose bound admits it: `score <= bound` when
    `inclusive`, `score < bound` otherwise; the last band has no bound."""

    code: str
    bound: Fraction | None
    inclusive: bool = True

    def admits(self, value: Fraction) -> bool:
        if self.bound is None:
            return True
        return value <= self.bound if self.inclusive else value < self.bound


@dataclass(frozen=True)
class Mcid:
    """A published minimal clinically important difference. `points` is on the instrument's score scale (NDI:
    raw 0-50 points); `relative_pct` a relative improvement from baseline in percent. Reaching either suffices
    when the source gives both ("2 points or 30 %")."""

    key: str
    source: str
    points: Fraction | None = None
    relative_pct: Fraction | None = None
    population: str = ""
    as_published: str = ""
    verified: bool = True


@dataclass(frozen=True)
class InstrumentDefinition:
    code: str
    name: str
    item_label: str  # "section" (ODI) or "item", for messages
    item_min: int
    item_max: int
    min_items: int  # how many answers the list must hold (PSFS: 3 to 5; the others a fixed count)
    max_items: int
    score_range: tuple[int, int]
    direction: Direction
    unit: str
    scoring: str  # the rule in one line, with its source
    bands: tuple[Band, ...] = ()
    band_basis: str = ""  # which value the bands read and the policy for scores between published bands
    mcids: tuple[Mcid, ...] = ()
    default_mcid: str = ""
    # LOINC codes verified offline (see instruments/README.md); empty where none could be verified.
    loinc_questionnaire: str = ""  # the panel (Questionnaire.code)
    loinc_score: str = ""  # the score (Observation.code)

    def mcid(self, key: str | None = None) -> Mcid:
        if not self.mcids:
            raise ScoringError(
                f"{self.name} has no published MCID in Tandem's sources, so no change can be judged against "
                "one.",
                field="mcid",
            )
        wanted = key or self.default_mcid
        for mcid in self.mcids:
            if mcid.key == wanted:
                return mcid
        known = ", ".join(m.key for m in self.mcids)
        raise ScoringError(f"{self.name} has no MCID '{wanted}'; known: {known}.", field="mcid")


@dataclass(frozen=True)
class ScoringPolicy:
    """Choices the sources leave open. `*_max_missing`: the most unanswered sections still scored (None: no
    cap; no published cap was found for the ODI or NDI). `rmdq_missing`: reject (no score with any item
    missing), sum (missing counted as No) or prorate (raw x 24 / answered)."""

    odi_max_missing: int | None = None
    ndi_max_missing: int | None = None
    rmdq_missing: RmdqMissing = "reject"

    def __post_init__(self) -> None:
        for name in ("odi_max_missing", "ndi_max_missing"):
            cap = getattr(self, name)
            if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or not 0 <= cap <= 9):
                raise ScoringError(f"{name} must be a whole number from 0 to 9, or None.", field=name)
        if self.rmdq_missing not in ("reject", "sum", "prorate"):
            raise ScoringError("rmdq_missing must be one of reject, sum, prorate.", field="rmdq_missing")


DEFAULT_POLICY = ScoringPolicy()


@dataclass(frozen=True)
class ScoreResult:
    instrument: str
    score: float | None  # full precision; None when not valid
    exact: Fraction | None  # the same as an exact fraction (e.g. 16/45 x 100 = 320/9)
    range: tuple[int, int]
    direction: Direction
    unit: str
    band: str | None
    items_answered: int
    items_total: int
    valid: bool
    reason: str | None = None
    raw_sum: int | None = None  # the sum of the answered items
    percent: float | None = None  # NDI: raw x 2
    policy: Mapping[str, Any] = field(default_factory=dict)  # the policy choices that shaped this score

    def as_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "score": self.score,
            "range": list(self.range),
            "direction": self.direction,
            "unit": self.unit,
            "band": self.band,
            "items_answered": self.items_answered,
            "items_total": self.items_total,
            "valid": self.valid,
            "reason": self.reason,
            "raw_sum": self.raw_sum,
            "percent": self.percent,
            "policy": dict(self.policy),
        }


@dataclass(frozen=True)
class McidCheck:
    instrument: str
    mcid: Mcid
    improvement: Fraction  # in points, positive = better (whatever the instrument's direction)
    relative_pct: Fraction | None  # improvement / baseline x 100; None when the baseline is 0
    points_reached: bool | None  # None when the MCID has no points threshold
    relative_reached: bool | None  # None when it has no relative threshold (or the baseline is 0)

    @property
    def reached(self) -> bool:
        return bool(self.points_reached) or bool(self.relative_reached)


# Definitions ------------------------------------------------------------------------------------------------

_F = Fraction
OSTELO_2008 = "Ostelo RW et al. Spine 2008;33(1):90-94 (consensus, low back pain)"
ABBOTT_SCHMITT_2014 = "Abbott JH, Schmitt JS. JOSPT 2014;44(8):560-564"

INSTRUMENTS: dict[str, InstrumentDefinition] = {
    "nprs": InstrumentDefinition(
        code="nprs",
        name="NPRS",
        item_label="item",
        item_min=0,
        item_max=10,
        min_items=1,
        max_items=1,
        score_range=(0, 10),
        direction="higher-is-worse",
        unit="points",
        scoring="the number the patient chooses, 0-10",
        mcids=(
            Mcid(
                "farrar-2001",
                "Farrar JT et al. Pain 2001;94:149-158",
                _F(2),
                _F(30),
                "chronic pain",
                "2 / 30 %",
            ),
            Mcid("ostelo-2008", OSTELO_2008, _F(2), _F(30), "low back pain", "2 points or 30 %"),
            Mcid(
                "cleland-2008",
                "Cleland JA, Childs JD, Whitman JM. APMR 2008;89:69-74",
                _F("1.3"),
                None,
                "mechanical neck pain",
                "1.3 points",
            ),
            Mcid(
                "childs-2005",
                "Childs JD, Piva SR, Fritz JM. Spine 2005;30:1331-1334",
                _F("2.2"),
                None,
                "low back pain",
                "2.2 points",
                verified=False,
            ),
        ),
        default_mcid="farrar-2001",
        loinc_score="72514-3",
    ),
    "odi": InstrumentDefinition(
        code="odi",
        name="ODI",
        item_label="section",
        item_min=0,
        item_max=5,
        min_items=10,
        max_items=10,
        score_range=(0, 100),
        direction="higher-is-worse",
        unit="%",
        scoring="sum / (5 x sections answered) x 100 (Fairbank & Pynsent, Spine 2000)",
        bands=(
            Band("minimal", _F(20)),
            Band("moderate", _F(40)),
            Band("severe", _F(60)),
            Band("crippled", _F(80)),
            Band("bed-bound", None),
        ),
        band_basis=(
            "percent; bands 0-20, 21-40, 41-60, 61-80, 81-100 (Fairbank & Pynsent 2000); a non-integer score "
            "belongs to the band whose upper bound it does not exceed (policy, not published)"
        ),
        mcids=(
            Mcid("ostelo-2008", OSTELO_2008, _F(10), _F(30), "low back pain", "10 points or 30 %"),
            Mcid("abbott-schmitt-2014", ABBOTT_SCHMITT_2014, _F(12), None, "mixed PT, lumbar", "12 points"),
            Mcid(
                "fritz-irrgang-2001",
                "Fritz JM, Irrgang JJ. Phys Ther 2001;81:776-788",
                _F(6),
                None,
                "acute work-related LBP, modified ODI",
                "6 points",
                verified=False,
            ),
        ),
        default_mcid="ostelo-2008",
        loinc_questionnaire="97908-8",
        loinc_score="97909-6",
    ),
    "ndi": InstrumentDefinition(
        code="ndi",
        name="NDI",
        item_label="item",
        item_min=0,
        item_max=5,
        min_items=10,
        max_items=10,
        score_range=(0, 50),
        direction="higher-is-worse",
        unit="points",
        scoring="raw = sum 0-50, each missing item adding the mean of the answered ones; % = raw x 2",
        bands=(
            Band("none", _F(5), inclusive=False),
            Band("mild", _F(15), inclusive=False),
            Band("moderate", _F(25), inclusive=False),
            Band("severe", _F(35), inclusive=False),
            Band("complete", None),
        ),
        band_basis=(
            "raw 0-50; bands 0-4 none, 5-14 mild, 15-24 moderate, 25-34 severe, >34 complete (Vernon & Mior "
            "1991); an imputed non-integer raw score is compared with the lower bounds 5/15/25/35 (policy, "
            "as the shared vectors)"
        ),
        mcids=(
            Mcid(
                "vernon", "Vernon H, author's note (chiro.org NDI_Explain)", _F(5), None, "", "5 raw points"
            ),
            Mcid(
                "cleland-2008",
                "Cleland JA, Childs JD, Whitman JM. APMR 2008;89:69-74",
                _F("9.5"),
                None,
                "mechanical neck pain",
                "19 percentage points",
            ),
            Mcid("abbott-schmitt-2014", ABBOTT_SCHMITT_2014, _F(7), None, "mixed PT, cervical", "14 %"),
            Mcid(
                "young-2009",
                "Young BA et al. Spine J 2009;9:802-808",
                _F("7.5"),
                None,
                "mechanical neck pain",
                "7.5 points (scale not stated in the abstract; read as raw)",
                verified=False,
            ),
        ),
        default_mcid="vernon",
    ),
    "rmdq": InstrumentDefinition(
        code="rmdq",
        name="RMDQ-24",
        item_label="item",
        item_min=0,
        item_max=1,
        min_items=24,
        max_items=24,
        score_range=(0, 24),
        direction="higher-is-worse",
        unit="points",
        scoring="count of statements ticked yes (Roland & Morris, Spine 1983)",
        mcids=(Mcid("ostelo-2008", OSTELO_2008, _F(5), _F(30), "low back pain", "5 points or 30 %"),),
        default_mcid="ostelo-2008",
    ),
    "quickdash": InstrumentDefinition(
        code="quickdash",
        name="QuickDASH",
        item_label="item",
        item_min=1,
        item_max=5,
        min_items=11,
        max_items=11,
        score_range=(0, 100),
        direction="higher-is-worse",
        unit="points",
        scoring="((sum / n answered) - 1) x 25; no score with more than 1 of 11 items missing (DASH manual)",
        mcids=(
            Mcid(
                "franchignoni-2014",
                "Franchignoni F et al. JOSPT 2014;44(1):30-39",
                _F("15.91"),
                None,
                "upper-limb MSK, PT",
                "15.91 points",
            ),
            Mcid(
                "sorensen-2013",
                "Sorensen AA et al. J Hand Surg Am 2013;38:641-649",
                _F(14),
                None,
                "",
                "14 points",
            ),
        ),
        default_mcid="franchignoni-2014",
    ),
    "quickdash-work": InstrumentDefinition(
        code="quickdash-work",
        name="QuickDASH work module",
        item_label="item",
        item_min=1,
        item_max=5,
        min_items=4,
        max_items=4,
        score_range=(0, 100),
        direction="higher-is-worse",
        unit="points",
        scoring="((sum / 4) - 1) x 25; every one of the 4 items required (DASH manual, optional module)",
        # No MCID: REFERENCE.md §1 gives none for the optional modules (default_mcid stays "").
    ),
    "quickdash-sport": InstrumentDefinition(
        code="quickdash-sport",
        name="QuickDASH sports/performing arts module",
        item_label="item",
        item_min=1,
        item_max=5,
        min_items=4,
        max_items=4,
        score_range=(0, 100),
        direction="higher-is-worse",
        unit="points",
        scoring="((sum / 4) - 1) x 25; every one of the 4 items required (DASH manual, optional module)",
    ),
    "psfs": InstrumentDefinition(
        code="psfs",
        name="PSFS",
        item_label="activity",
        item_min=0,
        item_max=10,
        min_items=3,
        max_items=5,
        score_range=(0, 10),
        direction="higher-is-better",
        unit="points",
        scoring="mean of the 3-5 activity scores (Stratford et al., Physiother Can 1995)",
        mcids=(
            Mcid(
                "abbott-schmitt-2014-medium", ABBOTT_SCHMITT_2014, _F("2.3"), None, "mixed PT", "2.3 (medium)"
            ),
            Mcid(
                "abbott-schmitt-2014-small", ABBOTT_SCHMITT_2014, _F("1.3"), None, "mixed PT", "1.3 (small)"
            ),
            Mcid(
                "abbott-schmitt-2014-large", ABBOTT_SCHMITT_2014, _F("2.7"), None, "mixed PT", "2.7 (large)"
            ),
            Mcid(
                "stratford-1995-mdc90",
                "Stratford P et al. Physiother Can 1995;47:258-263",
                _F(2),
                None,
                "",
                "MDC90 2 points for the average",
            ),
        ),
        default_mcid="abbott-schmitt-2014-medium",
    ),
    "lefs": InstrumentDefinition(
        code="lefs",
        name="LEFS",
        item_label="item",
        item_min=0,
        item_max=4,
        min_items=20,
        max_items=20,
        score_range=(0, 80),
        direction="higher-is-better",
        unit="points",
        scoring="sum of 20 items 0-4 (Binkley et al., Phys Ther 1999); every item required (policy)",
        mcids=(
            Mcid("binkley-1999", "Binkley JM et al. Phys Ther 1999;79:371-383", _F(9), None, "", "9 points"),
        ),
        default_mcid="binkley-1999",
    ),
}


def instrument(code: object) -> InstrumentDefinition:
    """The definition of an instrument code, or ScoringError naming "instrument"."""
    if isinstance(code, str) and code in INSTRUMENTS:
        return INSTRUMENTS[code]
    known = ", ".join(INSTRUMENTS)
    raise ScoringError(f"Unknown instrument {code!r}; use one of: {known}.", field="instrument")


# Scoring ----------------------------------------------------------------------------------------------------


def score(code: str, answers: Sequence[object], policy: ScoringPolicy = DEFAULT_POLICY) -> ScoreResult:
    """Score one completed questionnaire; see the module docstring for each instrument's rule and source."""
    definition = instrument(code)
    values = _checked_answers(definition, answers)
    return _SCORERS[definition.code](definition, values, policy)


def _checked_answers(definition: InstrumentDefinition, answers: Sequence[object]) -> list[int | None]:
    if isinstance(answers, (str, bytes)) or not isinstance(answers, Sequence):
        raise ScoringError("Send the answers as a list, one value per item (null for an unanswered item).")
    count = len(answers)
    if not definition.min_items <= count <= definition.max_items:
        wanted = (
            str(definition.min_items)
            if definition.min_items == definition.max_items
            else f"{definition.min_items} to {definition.max_items}"
        )
        raise ScoringError(
            f"{definition.name} takes {wanted} answers ({definition.item_label}s in order); "
            f"{count} were given."
        )
    low, high = definition.item_min, definition.item_max
    checked: list[int | None] = []
    for index, value in enumerate(answers):
        where = f"{definition.item_label.capitalize()} {index + 1}"
        if value is None:
            checked.append(None)
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            shown = "NaN" if isinstance(value, float) and math.isnan(value) else repr(value)
            raise ScoringError(
                f"{where}: {shown} is not a whole number from {low} to {high} (or null if unanswered).",
                field=f"answers.{index}",
            )
        if not low <= value <= high:
            raise ScoringError(f"{where}: {value} is out of range {low}-{high}.", field=f"answers.{index}")
        checked.append(value)
    return checked


def _result(
    definition: InstrumentDefinition,
    values: list[int | None],
    exact: Fraction | None,
    *,
    reason: str | None = None,
    band_value: Fraction | None = None,
    percent: Fraction | None = None,
    policy: Mapping[str, Any] | None = None,
) -> ScoreResult:
    answered = [v for v in values if v is not None]
    band = None
    if exact is not None and definition.bands:
        basis = exact if band_value is None else band_value
        band = next(b.code for b in definition.bands if b.admits(basis))
    return ScoreResult(
        instrument=definition.code,
        score=None if exact is None else float(exact),
        exact=exact,
        range=definition.score_range,
        direction=definition.direction,
        unit=definition.unit,
        band=band,
        items_answered=len(answered),
        items_total=len(values),
        valid=exact is not None,
        reason=reason if exact is None else None,
        raw_sum=sum(answered),
        percent=None if percent is None else float(percent),
        policy=dict(policy or {}),
    )


def _score_nprs(d: InstrumentDefinition, values: list[int | None], policy: ScoringPolicy) -> ScoreResult:
    (value,) = values
    if value is None:
        return _result(d, values, None, reason="The pain rating was not answered.")
    return _result(d, values, Fraction(value))


def _too_many_missing(d: InstrumentDefinition, values: list[int | None], cap: int | None) -> str | None:
    missing = values.count(None)
    if missing == len(values):
        return f"No {d.item_label} was answered."
    if cap is not None and missing > cap:
        return (
            f"{missing} {d.item_label}s were not answered; this clinic scores the {d.name} with at most "
            f"{cap} missing (policy)."
        )
    return None


def _score_odi(d: InstrumentDefinition, values: list[int | None], policy: ScoringPolicy) -> ScoreResult:
    used = {"max_missing": policy.odi_max_missing}
    refusal = _too_many_missing(d, values, policy.odi_max_missing)
    if refusal:
        return _result(d, values, None, reason=refusal, policy=used)
    answered = [v for v in values if v is not None]
    exact = Fraction(sum(answered), 5 * len(answered)) * 100
    return _result(d, values, exact, policy=used)


def _score_ndi(d: InstrumentDefinition, values: list[int | None], policy: ScoringPolicy) -> ScoreResult:
    used = {"max_missing": policy.ndi_max_missing}
    refusal = _too_many_missing(d, values, policy.ndi_max_missing)
    if refusal:
        return _result(d, values, None, reason=refusal, policy=used)
    answered = [v for v in values if v is not None]
    mean = Fraction(sum(answered), len(answered))
    raw = sum(answered) + mean * (len(values) - len(answered))  # Vernon: each missing item adds the mean
    return _result(d, values, raw, percent=raw * 2, policy=used)


def _score_rmdq(d: InstrumentDefinition, values: list[int | None], policy: ScoringPolicy) -> ScoreResult:
    used = {"missing": policy.rmdq_missing}
    answered = [v for v in values if v is not None]
    missing = len(values) - len(answered)
    if missing == 0 or policy.rmdq_missing == "sum":
        return _result(d, values, Fraction(sum(answered)), policy=used)
    if policy.rmdq_missing == "reject":
        return _result(
            d, values, None, policy=used, reason=f"{missing} of 24 items were not answered (policy: reject)."
        )
    if not answered:
        return _result(d, values, None, policy=used, reason="No item was answered.")
    return _result(d, values, Fraction(sum(answered) * 24, len(answered)), policy=used)


def _score_quickdash(d: InstrumentDefinition, values: list[int | None], policy: ScoringPolicy) -> ScoreResult:
    answered = [v for v in values if v is not None]
    missing = len(values) - len(answered)
    if missing > 1:
        reason = (
            f"{missing} of 11 items were not answered; the QuickDASH cannot be scored with more than one."
        )
        return _result(d, values, None, reason=reason)
    return _result(d, values, (Fraction(sum(answered), len(answered)) - 1) * 25)


def _score_quickdash_module(
    d: InstrumentDefinition, values: list[int | None], policy: ScoringPolicy
) -> ScoreResult:
    """QuickDASH optional work / sports-performing-arts module: ((sum / 4) - 1) x 25, all 4 items required
    (REFERENCE.md §1: "Optional 4-item work and sport modules need all 4 items")."""
    missing = values.count(None)
    if missing:
        reason = f"{missing} of 4 items were not answered; the {d.name} is scored only with all 4 answered."
        return _result(d, values, None, reason=reason)
    return _result(d, values, (Fraction(sum(v for v in values if v is not None), 4) - 1) * 25)


def _score_psfs(d: InstrumentDefinition, values: list[int | None], policy: ScoringPolicy) -> ScoreResult:
    answered = [v for v in values if v is not None]
    if len(answered) < 3:
        reason = f"{len(answered)} activities were scored; the PSFS needs at least 3."
        return _result(d, values, None, reason=reason)
    return _result(d, values, Fraction(sum(answered), len(answered)))


def _score_lefs(d: InstrumentDefinition, values: list[int | None], policy: ScoringPolicy) -> ScoreResult:
    missing = values.count(None)
    if missing:
        reason = f"{missing} of 20 items were not answered; every LEFS item is required (policy)."
        return _result(d, values, None, reason=reason)
    return _result(d, values, Fraction(sum(v for v in values if v is not None)))


_SCORERS = {
    "nprs": _score_nprs,
    "odi": _score_odi,
    "ndi": _score_ndi,
    "rmdq": _score_rmdq,
    "quickdash": _score_quickdash,
    "quickdash-work": _score_quickdash_module,
    "quickdash-sport": _score_quickdash_module,
    "psfs": _score_psfs,
    "lefs": _score_lefs,
}


# MCID -------------------------------------------------------------------------------------------------------


def mcid_check(code: str, baseline: object, followup: object, mcid: str | None = None) -> McidCheck:
    """Whether the change from `baseline` to `followup` reaches the instrument's MCID (`mcid` names one of its
    published values; default the instrument's `default_mcid`). The improvement is counted in the instrument's
    better direction; reaching means improvement >= the threshold (points) or improvement / baseline x 100 >=
    the relative threshold. Scores are read as the decimals they print as: 45.45 - 29.55 is exactly 15.9."""
    definition = instrument(code)
    threshold = definition.mcid(mcid)
    start = _score_value(definition, baseline, "baseline")
    end = _score_value(definition, followup, "followup")
    improvement = start - end if definition.direction == "higher-is-worse" else end - start
    relative = improvement / start * 100 if start else None
    points_reached = None if threshold.points is None else improvement >= threshold.points
    relative_reached = None
    if threshold.relative_pct is not None and relative is not None:
        relative_reached = relative >= threshold.relative_pct
    return McidCheck(definition.code, threshold, improvement, relative, points_reached, relative_reached)


def _score_value(definition: InstrumentDefinition, value: object, name: str) -> Fraction:
    low, high = definition.score_range
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction, Decimal)):
        raise ScoringError(f"The {name} score must be a number from {low} to {high}.", field=name)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ScoringError(f"The {name} score must be a number from {low} to {high}.", field=name)
        exact = Fraction(repr(value))
    else:
        exact = Fraction(value)
    if not low <= exact <= high:
        raise ScoringError(f"The {name} score {value} is out of range {low}-{high}.", field=name)
    return exact


def for_display(value: float | Fraction | None, places: int = 1) -> str:
    """A score rounded half-up for display only (35.555... -> "35.6"); stored scores keep full precision."""
    if value is None:
        return ""
    exact = value if isinstance(value, Fraction) else Fraction(repr(value))
    quantum = Decimal(1).scaleb(-places)
    return str(
        (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(quantum, rounding=ROUND_HALF_UP)
    )
