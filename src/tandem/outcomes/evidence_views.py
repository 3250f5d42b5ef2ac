"""The clinic's concurrent-care evidence in the browser: the dashboard (cohorts, charts, the observational
statement) and its CSV export, with the same filters. For the clinic's clinicians and its administrator
(tandem.outcomes.evidence.can_see_evidence); 404 for everyone else. Bad filters show the page with the message
beside the field and no analysis (400); the analysis is computed once per request."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from tandem.core.http import request_user
from tandem.outcomes import evidence_charts
from tandem.outcomes.services import plan_summary_refreshed_at

if TYPE_CHECKING:
    from tandem.outcomes.analytics import CohortAnalysis

# tandem.outcomes.evidence is imported inside the views: it loads pandas (the episode query's frame), which
# every `tandem` command that loads the URLs would otherwise pay for.


def _charts(analysis: CohortAnalysis) -> dict[str, SafeString]:
    # The chart module escapes every text it draws; its SVG goes into the page as it is.
    return {
        "change": mark_safe(evidence_charts.change_chart(analysis)),  # noqa: S308
        "responders": mark_safe(evidence_charts.responder_chart(analysis)),  # noqa: S308
        "time_to_mcid": mark_safe(evidence_charts.time_to_mcid_chart(analysis)),  # noqa: S308
    }


@login_required
@require_GET
def outcomes_evidence(request: HttpRequest) -> HttpResponse:
    """The dashboard: per care cohort the baseline-adjusted change, the difference from one discipline,
    responders, time to MCID and visits, with the charts and the observational statement."""
    from tandem.outcomes import evidence

    user = evidence.require_evidence_access(request_user(request))
    assert user.organization is not None  # require_evidence_access refuses users of no clinic
    choices = evidence.evidence_choices(user.organization)
    values = evidence.query_values(request.GET)
    context: dict[str, Any] = {"values": values, "choices": choices, "errors": {}, "analysis": None}
    try:
        query = evidence.evidence_query_parse(values, choices)
        analysis = evidence.evidence_analysis(actor=user, query=query, purpose="dashboard")
    except evidence.EvidenceQueryError as problem:
        context["errors"] = problem.errors
        return render(request, "outcomes/evidence.html", context, status=400)
    context.update(
        query=query,
        analysis=analysis,
        rows=evidence.cohort_rows(analysis),
        facts=evidence.evidence_facts(analysis),
        charts=_charts(analysis),
        as_of=evidence.evidence_as_of(user.organization),
        export_query=urlencode({name: value for name, value in values.items() if value}),
    )
    return render(request, "outcomes/evidence.html", context)


@login_required
@require_GET
def outcomes_evidence_csv(request: HttpRequest) -> HttpResponse:
    """The dashboard's figures as CSV: one row per cohort (no patient rows), the filters and the statement
    in a header block. Audited as an export."""
    from tandem.outcomes import evidence

    user = evidence.require_evidence_access(request_user(request))
    assert user.organization is not None
    choices = evidence.evidence_choices(user.organization, with_instruments=False)
    values = evidence.query_values(request.GET)
    try:
        query = evidence.evidence_query_parse(values, choices)
        analysis = evidence.evidence_analysis(actor=user, query=query, purpose="CSV export")
    except evidence.EvidenceQueryError as problem:
        everything = evidence.evidence_choices(user.organization)
        context = {"values": values, "choices": everything, "errors": problem.errors}
        return render(request, "outcomes/evidence.html", {**context, "analysis": None}, status=400)
    now = timezone.localtime()
    text = evidence.evidence_csv(
        analysis,
        query,
        clinic=user.organization.name,
        exported_by=user.username,
        exported_at=now.isoformat(timespec="minutes"),
        counted_at=plan_summary_refreshed_at(user.organization),
    )
    # The byte-order mark makes spreadsheet programs read the file as UTF-8.
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    name = f"tandem-evidence-{query.instrument.code}-{now.date().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
