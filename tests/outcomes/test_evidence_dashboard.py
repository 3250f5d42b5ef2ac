"""The clinic's concurrent-care evidence: the dashboard page, its CSV export and the API, on the demo clinic
loaded ONCE for this module with an injected effect of concurrent care (`tandem demo --effect odi:-10`).

The demo is loaded inside a transaction that is rolled back when the module ends (each test's own changes are
rolled back to a savepoint as usual), so the rest of the suite never sees it.

The recovery test goes through the dashboard's own surfaces: the CSV and the API, as alice, must put the
injected -10 ODI points inside the all-three cohort's 95 % CI of the difference from one discipline, and that
CI must exclude 0; the NPRS, with no injected effect, must have 0 inside its CI.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterator
from html import unescape
from html.parser import HTMLParser
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from tests.outcomes.demo_clinic import demo_clinic_loaded

from tandem.accounts.models import Location, Organization, Practitioner, User
from tandem.audit.models import AuditAction, AuditEvent
from tandem.outcomes.episodes import EpisodeFilters, clinic_evidence, episode_sql, episodes

EFFECT = -10.0
PAGE = "/outcomes/evidence/"
CSV = "/outcomes/evidence.csv"
API = "/api/v1/outcomes/evidence"


@pytest.fixture(scope="module")
def demo_clinic(django_db_setup: Any, django_db_blocker: Any) -> Iterator[int]:
    """The demo clinic with 20 patients of each kind and the effect injected on the ODI, for every test of the
    module; rolled back at the end."""
    with demo_clinic_loaded(django_db_blocker, seed=42, effect=f"odi:{EFFECT:g}") as pk:
        yield pk


@pytest.fixture
def clinic(demo_clinic: int, db: Any) -> Organization:
    return Organization.objects.get(pk=demo_clinic)


@pytest.fixture
def as_user(clinic: Organization, personas: dict[str, User]) -> Any:
    """A client signed in as one of the personas (the demo's alice, ben, maya, dana, admin; the outsider)."""

    def login(name: str) -> Client:
        client = Client()
        client.force_login(personas[name])
        return client

    return login


def _table(body: bytes) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The CSV's header block (label -> value, without the "# ") and its cohort rows."""
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    header = {
        row[0].removeprefix("# "): (row[1] if len(row) > 1 else "")
        for row in rows
        if row and row[0][0] == "#"
    }
    blank = rows.index([])
    columns, data = rows[blank + 1], rows[blank + 2 :]
    assert all(len(row) == len(columns) for row in data)
    return header, [dict(zip(columns, row, strict=True)) for row in data]


def _column(row: dict[str, str], name: str) -> str:
    """A column by its name without the unit: "adjusted_change" finds "adjusted_change (ODI %)"."""
    found = [value for column, value in row.items() if column.split(" (")[0] == name]
    assert len(found) == 1, (name, list(row))
    return found[0]


def _cohort(rows: list[dict[str, str]], code: str) -> dict[str, str]:
    return next(row for row in rows if row["cohort"] == code)


class _CohortCells(HTMLParser):
    """The text of every `data-field` element of each cohort row (`<tr data-cohort=...>`) of the page."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[str, dict[str, str]] = {}
        self._row: str | None = None
        self._field: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tr" and found.get("data-cohort"):
            self._row = found["data-cohort"]
            self.cells[self._row] = {}
        elif self._row and found.get("data-field"):
            self._field = found["data-field"]
            self.cells[self._row][self._field] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._row = None
        self._field = None

    def handle_data(self, data: str) -> None:
        if self._row and self._field:
            self.cells[self._row][self._field] += data


def _page_cells(body: bytes) -> dict[str, dict[str, str]]:
    parser = _CohortCells()
    parser.feed(body.decode())
    return parser.cells


def _episodes_shown(body: str) -> int:
    found = re.search(r'id="evidence-episodes">\s*(\d+)\s*<', body)
    assert found, "no episode count on the page"
    return int(found.group(1))


def _agrees(shown: str, *exported: str) -> bool:
    """The page's figures (one decimal; an interval "(a to b)"; a rate "r %") are the CSV's figures (four
    decimals) rounded to one decimal: within 0.05 of them, allowing for the CSV's own rounding."""
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", shown)]
    assert len(numbers) == len(exported), (shown, exported)
    assert all(re.fullmatch(r"-?\d+\.\d", n) for n in re.findall(r"-?\d+(?:\.\d+)?", shown)), shown
    return all(abs(a - float(b)) <= 0.05 + 1e-4 for a, b in zip(numbers, exported, strict=True))


# The recovery test ---------------------------------------------------------------------------------------


def test_it_recovers_the_injected_effect_through_the_csv_and_the_api(as_user, clinic):
    alice = as_user("alice")
    response = alice.get(CSV, {"instrument": "odi"})
    assert response.status_code == 200, response.content[:500]
    header, rows = _table(response.content)
    assert header["instrument"] == "ODI (odi)" and "randomised" in header["statement"]
    both = _cohort(rows, "all-three")
    low, high = float(_column(both, "difference_ci95_low")), float(_column(both, "difference_ci95_high"))
    assert low <= EFFECT <= high, (low, high)  # the injected effect lies within the 95 % CI
    assert high < 0 and _column(both, "favours") == "cohort"  # and the CI excludes no effect

    nprs = alice.get(CSV, {"instrument": "nprs"})
    _, nprs_rows = _table(nprs.content)
    null = _cohort(nprs_rows, "all-three")
    assert float(_column(null, "difference_ci95_low")) <= 0 <= float(_column(null, "difference_ci95_high"))

    # The API answers the same analysis.
    api = alice.get(API, {"instrument": "odi"})
    assert api.status_code == 200, api.content[:500]
    answer = api.json()
    contrast = next(c for c in answer["cohorts"] if c["cohort"] == "all-three")["contrast"]
    assert contrast["low"] <= EFFECT <= contrast["high"] < 0
    assert f"{contrast['low']:.4f}" == _column(both, "difference_ci95_low")
    assert answer["statement"] == header["statement"]
    nprs_api = alice.get(API, {"instrument": "nprs"}).json()
    null_api = next(c for c in nprs_api["cohorts"] if c["cohort"] == "all-three")["contrast"]
    assert null_api["low"] <= 0 <= null_api["high"]


# The page --------------------------------------------------------------------------------------------------


def test_the_page_shows_every_cohort_the_statement_and_the_charts(as_user, clinic):
    response = as_user("alice").get(PAGE)
    assert response.status_code == 200
    body = unescape(response.content.decode())
    analysis = clinic_evidence(clinic, "odi")
    assert analysis.statement in body  # the observational statement, in full
    assert 'id="evidence-statement"' in body
    cells = _page_cells(response.content)
    assert list(cells) == [c.cohort for c in analysis.cohorts]  # one discipline, dc+lmt, dc+pt, pt+lmt, all
    for result in analysis.cohorts:
        assert cells[result.cohort]["episodes"] == str(result.episodes)
        if result.estimable:
            assert result.adjusted_change is not None
            assert cells[result.cohort]["adjusted_change"] == f"{result.adjusted_change.estimate:.1f}"
        else:
            assert "too few to estimate" in cells[result.cohort]["note"].lower()
    assert _episodes_shown(body) == analysis.episodes
    for chart in ("chart-change", "chart-responders", "chart-time-to-mcid"):
        figure = body.split(f'id="{chart}"', 1)[1].split("</figure>", 1)[0]
        assert "<svg" in figure and "</svg>" in figure, chart
    # The instruments the clinic measured are marked; the others say so.
    assert re.search(r'<option value="odi" selected>ODI</option>', body)
    assert "(no episodes yet)" in body  # the demo measures only some instruments


def test_the_csv_holds_the_numbers_the_page_shows(as_user, clinic):
    alice = as_user("alice")
    filters = {"instrument": "odi", "condition": "lumbar"}
    page = alice.get(PAGE, filters)
    export = alice.get(CSV, filters)
    assert page.status_code == 200 and export.status_code == 200
    cells = _page_cells(page.content)
    header, rows = _table(export.content)
    assert header["condition"] == "Low back and pelvis"
    assert [row["cohort"] for row in rows] == list(cells)
    compared = 0
    for row in rows:
        shown = cells[row["cohort"]]
        assert shown["episodes"] == row["episodes"]
        assert shown["with_followup"] == row["episodes_with_followup"]
        assert _agrees(shown["visits_mean"], _column(row, "visits_per_episode_mean"))
        if _column(row, "baseline_mean"):
            assert _agrees(shown["baseline_mean"], _column(row, "baseline_mean"))
        if not _column(row, "adjusted_change"):
            assert row["note"] and shown["note"].lower() == row["note"].lower()
            continue
        compared += 1
        assert _agrees(shown["adjusted_change"], _column(row, "adjusted_change"))
        low, high = _column(row, "adjusted_change_ci95_low"), _column(row, "adjusted_change_ci95_high")
        assert _agrees(shown["adjusted_ci"], low, high)
        assert _agrees(shown["responder_rate"], _column(row, "responder_rate"))
        low, high = _column(row, "responder_rate_ci95_low"), _column(row, "responder_rate_ci95_high")
        assert _agrees(shown["responder_ci"], low, high)
        assert shown["responders"] == f"{_column(row, 'responders')} of {row['episodes_with_followup']}"
        if row["reference"] == "no" and _column(row, "difference_vs_reference"):
            assert _agrees(shown["difference"], _column(row, "difference_vs_reference"))
            low, high = _column(row, "difference_ci95_low"), _column(row, "difference_ci95_high")
            assert _agrees(shown["difference_ci"], low, high)
    assert compared >= 2


def test_the_csv_is_named_for_its_instrument_and_day_and_audited(as_user, clinic, alice):
    before = AuditEvent.objects.filter(object_type="CohortAnalysis", action=AuditAction.EXECUTE).count()
    response = as_user("alice").get(CSV, {"instrument": "nprs"})
    assert response["Content-Type"].startswith("text/csv")
    day = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="tandem-evidence-nprs-{day}.csv"'
    exports = AuditEvent.objects.filter(object_type="CohortAnalysis", action=AuditAction.EXECUTE)
    assert exports.count() == before + 1
    entry = exports.order_by("-sequence").first()
    assert entry is not None and entry.actor_id == alice.pk and "nprs" in entry.detail
    assert entry.patient_id is None  # the clinic's aggregate, no patient's record
    _, rows = _table(response.content)
    assert len(rows) == 5 and not any("patient" in column for column in rows[0])


def test_filters_narrow_the_episodes_as_the_episode_query_does(as_user, clinic):
    alice = as_user("alice")
    everything = episodes(clinic, "odi")
    middle = sorted(everything["baseline_on"])[len(everything) // 2]
    start = middle - datetime.timedelta(days=60)
    locations = Location.objects.filter(organization=clinic).values_list("pk", flat=True)
    practitioners = Practitioner.objects.filter(user__organization=clinic).values_list("pk", flat=True)
    cases = [
        ({"condition": "lumbar"}, EpisodeFilters(condition="lumbar")),
        ({"condition": "cervical"}, EpisodeFilters(condition="cervical")),
        (
            {"start": start.isoformat(), "end": middle.isoformat()},
            EpisodeFilters(start_on=start, end_on=middle),
        ),
        *(({"location": str(pk)}, EpisodeFilters(location_id=pk)) for pk in locations),
        *(({"practitioner": str(pk)}, EpisodeFilters(practitioner_id=pk)) for pk in practitioners),
    ]
    narrower: set[str] = set()
    for params, filters in cases:
        expected = len(episodes(clinic, "odi", filters))
        if 0 < expected < len(everything):
            narrower.update(params)
        answer = alice.get(API, {"instrument": "odi", **params}).json()
        assert answer["episodes"] == expected, params
        page = alice.get(PAGE, {"instrument": "odi", **params})
        assert page.status_code == 200
        body = page.content.decode()
        assert _episodes_shown(body) == expected, params
        for name, value in params.items():  # the form keeps what was chosen
            kept = (
                f'name="{name}" value="{value}"' if name in ("start", "end") else f'value="{value}" selected'
            )
            assert kept in body, (name, value)
    # The period and a practitioner keep some episodes, not all (the demo's archived visits all took place at
    # one location: its filter keeps all of them, the other location's none; both were checked above).
    assert narrower >= {"start", "practitioner"}
    # Another MCID changes the responders, not the episodes.
    strict = alice.get(API, {"instrument": "odi", "mcid": "abbott-schmitt-2014"}).json()
    default = alice.get(API, {"instrument": "odi"}).json()
    assert strict["mcid"]["key"] == "abbott-schmitt-2014" and default["mcid"]["key"] == "ostelo-2008"
    assert strict["episodes"] == default["episodes"]


def test_the_page_computes_once_with_a_fixed_number_of_queries(as_user, clinic):
    alice = as_user("alice")
    alice.get(PAGE)  # warm: the session, the first statsmodels import
    with CaptureQueriesContext(connection) as plain:
        assert alice.get(PAGE).status_code == 200
    location = Location.objects.filter(organization=clinic).first()
    assert location is not None
    with CaptureQueriesContext(connection) as filtered:
        assert alice.get(PAGE, {"condition": "lumbar", "location": location.pk}).status_code == 200
    opening = episode_sql(clinic.pk, "odi", EpisodeFilters())[0].strip()[:60]
    episode_queries = [q for q in plain.captured_queries if q["sql"].strip().startswith(opening)]
    assert len(episode_queries) == 1  # the analysis is computed once
    # Sign-in and session (5), the filter choices (3: instruments measured, locations, practitioners), the
    # episode query, the audit entry (5 with its savepoint): the same whatever the filters or clinic size.
    # 22: with the plan summary's two (is it built? when?), PostgreSQL's savepoints included.
    assert len(filtered.captured_queries) == len(plain.captured_queries) <= 22, "\n".join(
        q["sql"][:200] for q in plain.captured_queries
    )


# Bad filters -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"instrument": "bogus"}, "instrument", "Unknown instrument"),
        ({"instrument": "quickdash-work"}, "instrument", "no published MCID"),
        ({"condition": "knee"}, "condition", "Unknown condition group"),
        ({"start": "2026-02-30"}, "start", "is not a date"),
        ({"end": "yesterday"}, "end", "is not a date"),
        ({"end": "9999-12-31"}, "end", "Enter a date between"),
        ({"start": "0001-01-01"}, "start", "Enter a date between"),
        ({"start": "2026-05-01", "end": "2026-04-01"}, "end", "ends before it starts"),
        ({"location": "abc"}, "location", "this clinic's locations"),
        ({"location": "99999999999999999999999"}, "location", "this clinic's locations"),
        ({"practitioner": "-3"}, "practitioner", "this clinic's practitioners"),
        ({"mcid": "farrar-2001"}, "mcid", "has no MCID"),
    ],
)
def test_a_bad_filter_shows_its_message_beside_the_field_and_no_analysis(
    as_user, clinic, params, field, message
):
    alice = as_user("alice")
    page = alice.get(PAGE, params)
    assert page.status_code == 400
    body = page.content.decode()
    errors = re.search(rf'<ul class="field-errors" id="err-{field}"><li>([^<]*)</li>', body)
    assert errors and message in errors.group(1).replace("&#x27;", "'"), body[:3000]
    assert 'id="evidence-statement"' not in body and 'id="evidence-table"' not in body
    assert alice.get(CSV, params).status_code == 400
    api = alice.get(API, params)
    assert api.status_code == 422
    assert api.json()["detail"] and [e["field"] for e in api.json()["errors"]] == [field]
    assert message in api.json()["errors"][0]["message"]


def test_another_clinics_location_and_practitioner_are_refused(as_user, clinic, outsider):
    elsewhere = Location.objects.exclude(organization=clinic).first() or Location.objects.create(
        organization=outsider.organization, name="Elsewhere Main"
    )
    alice = as_user("alice")
    for params, field in (
        ({"location": str(elsewhere.pk)}, "location"),
        ({"practitioner": str(outsider.practitioner.pk)}, "practitioner"),
    ):
        page = alice.get(PAGE, params)
        assert page.status_code == 400 and f'id="err-{field}"' in page.content.decode()
        assert [e["field"] for e in alice.get(API, params).json()["errors"]] == [field]


# Who may see it --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["alice", "ben", "maya", "admin"])
def test_the_clinics_clinicians_and_administrator_see_it_with_the_nav_link(as_user, clinic, name):
    client = as_user(name)
    page = client.get(reverse("outcomes_evidence"))
    assert page.status_code == 200
    assert re.search(r'<a href="/outcomes/evidence/" aria-current="page">Outcomes</a>', page.content.decode())
    assert client.get(CSV).status_code == 200
    assert client.get(API).status_code == 200
    # ... and the link is on their other pages too.
    assert 'href="/outcomes/evidence/"' in client.get(reverse("patient_list")).content.decode()


def test_the_front_desk_is_refused_with_a_404_and_no_link(as_user, clinic, dana):
    client = as_user("dana")
    before = AuditEvent.objects.filter(actor_id=dana.pk, object_type="CohortAnalysis").count()
    assert client.get(PAGE).status_code == 404
    assert client.get(CSV).status_code == 404
    assert client.get(API).status_code == 404
    assert 'href="/outcomes/evidence/"' not in client.get(reverse("patient_list")).content.decode()
    refusals = AuditEvent.objects.filter(
        actor_id=dana.pk, object_type="CohortAnalysis", detail="access refused"
    )
    assert refusals.count() == before + 3


def test_the_signed_out_are_sent_to_sign_in(clinic):
    client = Client()
    page = client.get(PAGE)
    assert page.status_code == 302 and "/login/" in page["Location"]
    assert client.get(CSV).status_code == 302
    assert client.get(API).status_code == 401


def test_an_outsider_sees_only_their_own_clinics_evidence(as_user, clinic):
    page = as_user("outsider").get(PAGE)
    assert page.status_code == 200  # a clinician of another clinic: its own (empty) evidence
    body = page.content.decode()
    assert _episodes_shown(body) == 0
    assert "No cohort has enough episodes" in body
    offered = re.search(r'<select id="evidence-location".*?</select>', body, re.S)
    assert offered is not None
    ours = Location.objects.filter(organization=clinic).values_list("pk", flat=True)
    assert not any(f'value="{pk}"' in offered.group(0) for pk in ours)  # not one of this clinic's locations
    answer = as_user("outsider").get(API).json()
    assert answer["episodes"] == 0 and all(c["episodes"] == 0 for c in answer["cohorts"])
