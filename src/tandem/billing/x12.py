"""The ASC X12 837 Professional claim file (005010X222A1), rendered from tandem.billing.claims and checked
with pyx12's validator. Pure module: no Django, no network (pyx12 ships its maps inside the package).

Layout of one file (one interchange, one functional group, one transaction set):

    ISA GS ST BHT
      1000A submitter (NM1*41, PER)       1000B receiver (NM1*40)
      2000A billing provider HL (20)      PRV*BI, 2010AA NM1*85 N3 N4 REF*EI
        2000B subscriber HL (22)          SBR, 2010BA NM1*IL N3 N4 DMG, 2010BB payer NM1*PR
          2300 claim                      CLM, DTP*454, HI (ABK then ABF), 2310B NM1*82 PRV*PE
            2400 service line             LX, SV1, DTP*472, 2420A NM1*82 PRV*PE when another clinician
    SE GE IEA

Claims are grouped under one billing-provider HL per clinic and one subscriber HL per patient and payer,
in the order they first appear in the batch.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import pyx12.params
import pyx12.x12n_document

from tandem.billing.claims import (
    BillingProvider,
    Claim,
    ClaimBatch,
    RenderingProvider,
    ServiceLine,
    Subscriber,
    diagnosis_code_for_x12,
)

SEGMENT_TERMINATOR = "~"
ELEMENT_SEPARATOR = "*"
COMPONENT_SEPARATOR = ":"
REPETITION_SEPARATOR = "^"

IMPLEMENTATION_GUIDE = "005010X222A1"
TRANSACTION_SET_CONTROL_NUMBER = "0001"


def _amount(value: Decimal) -> str:
    """X12 decimal (R): no needless zeros, no exponent. 75.00 -> 75, 62.50 -> 62.5."""
    text = format(value.quantize(Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _segment(segment_id: str, *elements: str) -> str:
    # Trailing empty elements are dropped: X12 forbids a segment ending in separators.
    values = list(elements)
    while values and values[-1] == "":
        values.pop()
    return ELEMENT_SEPARATOR.join((segment_id, *values))


def _composite(*components: str) -> str:
    values = list(components)
    while values and values[-1] == "":
        values.pop()
    return COMPONENT_SEPARATOR.join(values)


def _isa(batch: ClaimBatch) -> str:
    # ISA is fixed-width: every element is padded and none is dropped, so the receiver can read the
    # separators from fixed positions (element separator at 4, component separator at 105).
    created = batch.created_at
    elements = (
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        "ZZ",
        batch.submitter_id.ljust(15),
        "ZZ",
        batch.receiver_id.ljust(15),
        created.strftime("%y%m%d"),
        created.strftime("%H%M"),
        REPETITION_SEPARATOR,
        "00501",
        f"{batch.interchange_control_number:09d}",
        "0",
        "P" if batch.production else "T",
        COMPONENT_SEPARATOR,
    )
    return ELEMENT_SEPARATOR.join(elements)


def _billing_provider(provider: BillingProvider) -> Iterator[str]:
    yield _segment("PRV", "BI", "PXC", provider.taxonomy_code)
    yield _segment("NM1", "85", "2", provider.organization_name, "", "", "", "", "XX", provider.npi)
    yield _segment("N3", provider.address.line1, provider.address.line2)
    yield _segment("N4", provider.address.city, provider.address.state, provider.address.postal_code)
    yield _segment("REF", "EI", provider.tax_id)


def _subscriber(subscriber: Subscriber) -> Iterator[str]:
    # SBR02 18: the patient is the subscriber, so no 2000C patient loop follows.
    yield _segment(
        "SBR", "P", "18", subscriber.group_number, "", "", "", "", "", subscriber.claim_filing_indicator
    )
    yield _segment(
        "NM1",
        "IL",
        "1",
        subscriber.last_name,
        subscriber.first_name,
        subscriber.middle_name,
        "",
        "",
        "MI",
        subscriber.member_id,
    )
    yield _segment("N3", subscriber.address.line1, subscriber.address.line2)
    yield _segment("N4", subscriber.address.city, subscriber.address.state, subscriber.address.postal_code)
    yield _segment("DMG", "D8", subscriber.birth_date.strftime("%Y%m%d"), subscriber.sex)
    yield _segment("NM1", "PR", "2", subscriber.payer_name, "", "", "", "", "PI", subscriber.payer_id)


def _rendering_provider(provider: RenderingProvider) -> Iterator[str]:
    yield _segment(
        "NM1",
        "82",
        "1",
        provider.last_name,
        provider.first_name,
        provider.middle_name,
        "",
        "",
        "XX",
        provider.npi,
    )
    yield _segment("PRV", "PE", "PXC", provider.taxonomy_code)


def _service_line(number: int, line: ServiceLine, claim: Claim) -> Iterator[str]:
    yield _segment("LX", str(number))
    yield _segment(
        "SV1",
        _composite("HC", line.procedure_code, *line.modifiers),
        _amount(line.charge),
        "UN",
        str(line.units),
        # SV105 only when this line's place of service differs from the claim's (CLM05-1).
        line.place_of_service if line.place_of_service != claim.place_of_service else "",
        "",
        _composite(*(str(pointer) for pointer in line.diagnosis_pointers)),
    )
    yield _segment("DTP", "472", "D8", line.service_on.strftime("%Y%m%d"))
    if line.rendering_provider is not None and line.rendering_provider != claim.rendering_provider:
        yield from _rendering_provider(line.rendering_provider)


def _claim(claim: Claim) -> Iterator[str]:
    # CLM05: place of service : B (place of service codes for professional services) : 1 (original claim).
    # CLM06-09: provider signature on file, assignment accepted, benefits assigned, release of information.
    yield _segment(
        "CLM",
        claim.claim_id,
        _amount(claim.total_charge),
        "",
        "",
        _composite(claim.place_of_service, "B", "1"),
        "Y",
        "A",
        "Y",
        "Y",
    )
    if claim.initial_treatment_on is not None:
        yield _segment("DTP", "454", "D8", claim.initial_treatment_on.strftime("%Y%m%d"))
    codes = [diagnosis_code_for_x12(code) for code in claim.diagnoses]
    yield _segment(
        "HI",
        _composite("ABK", codes[0]),
        *(_composite("ABF", code) for code in codes[1:]),
    )
    yield from _rendering_provider(claim.rendering_provider)
    for number, line in enumerate(claim.lines, start=1):
        yield from _service_line(number, line, claim)


def _grouped(claims: Iterable[Claim]) -> dict[BillingProvider, dict[Subscriber, list[Claim]]]:
    groups: dict[BillingProvider, dict[Subscriber, list[Claim]]] = {}
    for claim in claims:
        groups.setdefault(claim.billing_provider, {}).setdefault(claim.subscriber, []).append(claim)
    return groups


def _transaction(batch: ClaimBatch) -> list[str]:
    created = batch.created_at
    segments = [
        _segment("ST", "837", TRANSACTION_SET_CONTROL_NUMBER, IMPLEMENTATION_GUIDE),
        # BHT02 00 original, BHT06 CH chargeable (fee-for-service, not encounter reporting).
        _segment(
            "BHT",
            "0019",
            "00",
            str(batch.interchange_control_number),
            created.strftime("%Y%m%d"),
            created.strftime("%H%M"),
            "CH",
        ),
        _segment("NM1", "41", "2", batch.submitter_name, "", "", "", "", "46", batch.submitter_id),
        _segment("PER", "IC", batch.submitter_contact_name, "TE", batch.submitter_contact_phone),
        _segment("NM1", "40", "2", batch.receiver_name, "", "", "", "", "46", batch.receiver_id),
    ]
    hl_number = 0
    for provider, subscribers in _grouped(batch.claims).items():
        hl_number += 1
        provider_hl = hl_number
        segments.append(_segment("HL", str(provider_hl), "", "20", "1"))
        segments.extend(_billing_provider(provider))
        for subscriber, claims in subscribers.items():
            hl_number += 1
            # HL04 0: no child (patient) level under a subscriber who is the patient.
            segments.append(_segment("HL", str(hl_number), str(provider_hl), "22", "0"))
            segments.extend(_subscriber(subscriber))
            for claim in claims:
                segments.extend(_claim(claim))
    # SE01 counts every segment of the transaction set, ST and SE included.
    segments.append(_segment("SE", str(len(segments) + 1), TRANSACTION_SET_CONTROL_NUMBER))
    return segments


def render_837p(batch: ClaimBatch, *, line_breaks: bool = True) -> str:
    """The batch as one 837P interchange. Segments end in "~" (and a newline when `line_breaks`, which
    receivers ignore and people reading the file appreciate); elements are separated by "*", components
    by ":", repetitions by "^". The group control number equals the interchange control number."""
    created = batch.created_at
    control = str(batch.interchange_control_number)
    segments = [
        _isa(batch),
        _segment(
            "GS",
            "HC",
            batch.submitter_id,
            batch.receiver_id,
            created.strftime("%Y%m%d"),
            created.strftime("%H%M"),
            control,
            "X",
            IMPLEMENTATION_GUIDE,
        ),
        *_transaction(batch),
        _segment("GE", "1", control),
        _segment("IEA", "1", f"{batch.interchange_control_number:09d}"),
    ]
    terminator = SEGMENT_TERMINATOR + ("\n" if line_breaks else "")
    return terminator.join(segments) + terminator


class _CollectErrors(logging.Handler):
    """pyx12 reports a few problems (a file that is not X12 at all) only through its logger."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _where(node: dict[str, Any], segment_id: str) -> str:
    line = node.get("cur_line")
    return f"line {line}, {segment_id}" if line else segment_id


def _message(error: dict[str, Any]) -> str:
    text = str(error.get("err_str", "")).strip()
    value = error.get("err_val")
    if value and str(value) not in text:
        text += f" (value {value!r})"
    return text


def _flatten(report: dict[str, Any]) -> list[str]:
    """pyx12's nested error report (interchange, group, transaction, segment, element) as flat messages."""
    errors: list[str] = []
    for interchange in report.get("interchanges", []):
        errors += [f"{_where(interchange, 'ISA')}: {_message(e)}" for e in interchange.get("errors", [])]
        for group in interchange.get("groups", []):
            errors += [f"{_where(group, 'GS')}: {_message(e)}" for e in group.get("errors", [])]
            for transaction in group.get("transactions", []):
                errors += [
                    f"{_where(transaction, 'ST')}: {_message(e)}" for e in transaction.get("errors", [])
                ]
                for segment in transaction.get("segments", []):
                    where = _where(segment, segment["seg_id"])
                    errors += [f"{where}: {_message(e)}" for e in segment.get("errors", [])]
                    for element in segment.get("elements", []):
                        errors += [f"{where}: {_message(e)}" for e in element.get("errors", [])]
    return errors


def validate_837p(text: str) -> list[str]:
    """Run pyx12's X12 validator (maps for 005010X222A1 shipped in the package) over an 837P file.

    Answers one readable message per error found, "line 21, CLM: Mandatory data element ... (CLM06) is
    missing", where the line is the segment's position in the file (the text line when the file has one
    segment per line). An empty list means pyx12 accepts the file. Never raises for bad input.
    """
    collector = _CollectErrors()
    logger = logging.getLogger("pyx12")
    logger.addHandler(collector)
    # pyx12 logs every finding at ERROR; they are the answer here, not the application's errors.
    propagate, logger.propagate = logger.propagate, False
    report = io.StringIO()
    source = io.StringIO(text)
    try:
        valid = pyx12.x12n_document.x12n_document(
            param=pyx12.params.ParamsBase(),
            src_file=source,
            fd_997=None,
            fd_html=None,
            fd_json=report,
        )
    except Exception as error:  # pyx12 raises its own EngineError/X12Error and a few plain ones
        return [f"pyx12 could not read the file: {error}"]
    finally:
        logger.removeHandler(collector)
        logger.propagate = propagate
    errors = _flatten(json.loads(report.getvalue())) if report.getvalue() else []
    if not errors:
        # The logger repeats every error of the report; it alone speaks when the file is not X12 at all.
        errors = [message.replace(f'"{source!r}"', "The text") for message in collector.messages]
    if not valid and not errors:
        errors.append("pyx12 rejected the file without saying why.")
    return errors
