"""The files billing hands out over HTTP (browser and API alike): a superbill PDF, a claim file's X12 text."""

from __future__ import annotations

from django.http import HttpResponse

from tandem.billing.models import ClaimFile
from tandem.billing.periods import Period


def superbill_response(superbill_pdf: bytes, mrn: str, period: Period) -> HttpResponse:
    response = HttpResponse(superbill_pdf, content_type="application/pdf")
    name = f"superbill-{mrn}-{period.first_day.isoformat()}-{period.last_day.isoformat()}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def claim_file_response(claim_file: ClaimFile) -> HttpResponse:
    response = HttpResponse(claim_file.text, content_type="application/edi-x12; charset=us-ascii")
    response["Content-Disposition"] = f'attachment; filename="{claim_file.filename}"'
    return response
