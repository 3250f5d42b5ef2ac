"""The progress report to the referrer, as a PDF: one plan of care, its goals with their achievement status,
each measure's chart with baseline / latest / change / MCID, the visits so far per discipline, signed by the
plan's lead clinician.

Rendering goes through Django's template loader (`outcomes/report.html`) and WeasyPrint, as for the referral
letter and the superbill: the stylesheet and the charts (server-rendered SVG) are inline, base_url is None and
the URL fetcher refuses every URL, so no network is ever touched. Reads only; the view audits the download.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, NoReturn

from django.db.models import Count, Max, Min
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from tandem.accounts.models import Discipline, Location, User
from tandem.careplans.models import CarePlan, Goal
from tandem.charting.models import Encounter, EncounterStatus
from tandem.outcomes.goals import SKIPPED_LIFECYCLES, goal_code, goal_values, measure_chart_svg, plan_scores
from tandem.outcomes.progress import change_from_baseline
from tandem.outcomes.scoring import INSTRUMENTS, McidCheck, ScoringError, for_display, mcid_check
from tandem.referrals.models import ExternalProvider, Referral, ReferralStatus

REPORT_CHART = {"width": 660, "height": 210}


@dataclass(frozen=True)
class MeasureRow:
    """One instrument of the plan: its scores against the baseline, the goal measured by it, its chart."""

    code: str
    name: str
    unit: str
    count: int
    baseline: float
    baseline_on: datetime.date | None  # None when the baseline is the goal's recorded value
    latest: float
    latest_on: datetime.date
    latest_band: str
    change_points: str  # signed, as the scores move ("-18")
    change_percent: str  # signed, "" when the baseline is 0
    better: bool | None  # None when nothing changed
    mcid: McidCheck | None
    mcid_text: str
    goal: Goal | None
    chart: SafeString

    @property
    def baseline_display(self) -> str:
        return for_display(self.baseline)

    @property
    def latest_display(self) -> str:
        return for_display(self.latest)


@dataclass(frozen=True)
class VisitRow:
    discipline: str
    count: int
    first_on: datetime.date
    last_on: datetime.date


def _refuse_urls(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    # Everything the report needs is inline; a URL in the output would be a bug or an injection.
    raise ValueError(f"progress report rendering fetches no URLs (asked for {url[:80]!r})")


def referrer_of(plan: CarePlan) -> ExternalProvider | None:
    """The external provider who referred: the plan's referral's, else the patient's latest referral's."""
    if plan.based_on_referral_id is not None:
        referral = plan.based_on_referral
        if referral is not None and referral.requester_external is not None:
            return referral.requester_external
    latest = (
        Referral.objects.filter(patient_id=plan.patient_id, requester_external__isnull=False)
        .exclude(status=ReferralStatus.DRAFT)
        .select_related("requester_external")
        .order_by("-created_at", "-id")
        .first()
    )
    return latest.requester_external if latest is not None else None


def _signed(value: float) -> str:
    text = for_display(value)
    return "+" + text if value > 0 else text


def measure_rows(plan: CarePlan, goals: list[Goal]) -> list[MeasureRow]:
    """Each instrument the plan has scores of (or a goal measured by), in the instruments' order."""
    rows: list[MeasureRow] = []
    for code, definition in INSTRUMENTS.items():
        goal = next((g for g in goals if goal_code(g) == code), None)
        scores = [s for s in plan_scores(plan, code) if s.value is not None]
        if not scores:
            continue
        first, last = scores[0], scores[-1]
        goal_baseline = goal_values(goal)[0] if goal is not None else None
        if goal_baseline is not None:  # on the scores' scale (an NDI goal's percent halved)
            baseline, baseline_on = float(goal_baseline), None
        else:
            baseline_on = timezone.localdate(first.effective_at)
            baseline = float(first.value)  # type: ignore[arg-type]
        latest = float(last.value)  # type: ignore[arg-type]
        change = change_from_baseline(baseline, latest, definition.direction)
        check: McidCheck | None = None
        mcid_text = "—"
        if definition.default_mcid and (len(scores) > 1 or baseline_on is None):
            try:
                check = mcid_check(code, baseline, latest)
            except (ScoringError, ValueError):
                check = None
        if check is not None:
            mcid_text = f"{'Reached' if check.reached else 'Not reached'} (MCID {check.mcid.as_published})"
        chart = measure_chart_svg(code, scores, goal, baseline=baseline, **REPORT_CHART)
        rows.append(
            MeasureRow(
                code=code,
                name=definition.name,
                unit=definition.unit,
                count=len(scores),
                baseline=baseline,
                baseline_on=baseline_on,
                latest=latest,
                latest_on=timezone.localdate(last.effective_at),
                latest_band=last.band,
                change_points=_signed(float(change.points)),
                change_percent="" if change.percent is None else _signed(float(change.percent)) + " %",
                better=None if change.points == 0 else change.improvement > 0,
                mcid=check,
                mcid_text=mcid_text,
                goal=goal,
                chart=mark_safe(chart),  # noqa: S308 - built by charts.py, every text in it escaped
            )
        )
    # The measures of the plan's goals first, then the others, each in the instruments' order.
    return sorted(rows, key=lambda row: row.goal is None)


def visit_rows(plan: CarePlan) -> list[VisitRow]:
    """Finished visits of the plan's activities, per discipline."""
    found = (
        Encounter.objects.filter(activity__plan=plan, status=EncounterStatus.FINISHED)
        .values("discipline")
        .annotate(count=Count("id"), first=Min("started_at"), last=Max("started_at"))
        .order_by("discipline")
    )
    labels = dict(Discipline.choices)
    return [
        VisitRow(
            str(labels.get(row["discipline"], row["discipline"])),
            row["count"],
            timezone.localdate(row["first"]),
            timezone.localdate(row["last"]),
        )
        for row in found
    ]


def report_context(*, plan: CarePlan, author: User, written_at: datetime.datetime) -> dict[str, Any]:
    goals = [g for g in plan.goals.order_by("id") if g.lifecycle_status not in SKIPPED_LIFECYCLES]
    measures = measure_rows(plan, goals)
    by_goal = {m.goal.pk: m for m in measures if m.goal is not None}
    location = (
        Location.objects.filter(organization_id=plan.organization_id, active=True).order_by("pk").first()
    )
    visits = visit_rows(plan)
    lead = plan.supervising_practitioner
    return {
        "plan": plan,
        "patient": plan.patient,
        "organization": plan.organization,
        "location": location,
        "referrer": referrer_of(plan),
        "goals": [(g, by_goal.get(g.pk)) for g in goals],
        "measures": measures,
        "visits": visits,
        "visit_total": sum(v.count for v in visits),
        "problems": list(plan.problems.all()),
        "lead": lead,
        "lead_name": lead.display_name,
        "author_name": author.get_full_name() or author.username,
        "author_is_lead": getattr(author, "practitioner", None) == lead,
        "written_on": timezone.localtime(written_at).date(),
    }


def render_report_html(*, plan: CarePlan, author: User, written_at: datetime.datetime) -> str:
    return render_to_string(
        "outcomes/report.html", report_context(plan=plan, author=author, written_at=written_at)
    )


def render_report_pdf(*, plan: CarePlan, author: User, written_at: datetime.datetime) -> bytes:
    """The report as PDF bytes (Letter). WeasyPrint (and its Pango) loads only when a report is written."""
    import weasyprint

    html = render_report_html(plan=plan, author=author, written_at=written_at)
    return weasyprint.HTML(string=html, base_url=None, url_fetcher=_refuse_urls).write_pdf()  # type: ignore[no-any-return]
