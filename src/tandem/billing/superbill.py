"""The superbill: a one-page itemised statement a patient can file with their insurer, as a PDF.

The data are plain frozen dataclasses validated on construction (no Django), reusing the claim module's
rules for NPIs, ICD-10-CM codes and CPT/HCPCS lines. Rendering is *not* pure: it goes through Django's
template loader (`billing/superbill.html`, so settings must be configured) and WeasyPrint, with every
stylesheet inline, local fonts and a URL fetcher that refuses all URLs, so no network is ever touched.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NoReturn

from django.template.loader import render_to_string

from tandem.billing.claims import (
    MAX_DIAGNOSES,
    Address,
    RenderingProvider,
    ServiceLine,
    check_diagnosis_code,
    npi_is_valid,
)

# CMS-1500 box 24E points with letters A-L to box 21's diagnoses; the superbill does the same.
DIAGNOSIS_LETTERS = "ABCDEFGHIJKL"


def _required(value: object, field: str, max_length: int = 200) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{field} is required.")
    if len(value.strip()) > max_length:
        raise ValueError(f"{field} is longer than {max_length} characters.")
    return value.strip()


@dataclass(frozen=True)
class SuperbillClinic:
    name: str
    address: Address
    npi: str
    tax_id: str
    phone: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _required(self.name, "Clinic name"))
        if not isinstance(self.address, Address):
            raise ValueError("Clinic address must be an Address.")
        if not npi_is_valid(self.npi):
            raise ValueError(f"Clinic NPI {self.npi!r} is not a valid NPI (10 digits with its check digit).")
        digits = self.tax_id.replace("-", "") if isinstance(self.tax_id, str) else ""
        if not (digits.isascii() and digits.isdigit() and len(digits) == 9):
            raise ValueError(f"Clinic EIN must look like 93-1234567, got {self.tax_id!r}.")
        object.__setattr__(self, "tax_id", f"{digits[:2]}-{digits[2:]}")
        object.__setattr__(self, "phone", _required(self.phone, "Clinic phone", 40))


@dataclass(frozen=True)
class Insurance:
    payer_name: str
    member_id: str
    group_number: str = ""
    payer_id: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "payer_name", _required(self.payer_name, "Insurance name"))
        object.__setattr__(self, "member_id", _required(self.member_id, "Insurance member ID", 80))


@dataclass(frozen=True)
class SuperbillPatient:
    """The patient; `insurance` is None for self-pay (the superbill is then their receipt to file)."""

    full_name: str
    birth_date: datetime.date
    address: Address | None = None
    account_number: str = ""
    insurance: Insurance | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "full_name", _required(self.full_name, "Patient name"))
        if not isinstance(self.birth_date, datetime.date) or isinstance(self.birth_date, datetime.datetime):
            raise ValueError("Patient birth date must be a date.")
        if self.address is not None and not isinstance(self.address, Address):
            raise ValueError("Patient address must be an Address.")
        if self.insurance is not None and not isinstance(self.insurance, Insurance):
            raise ValueError("Patient insurance must be an Insurance.")


@dataclass(frozen=True)
class Diagnosis:
    code: str
    text: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", check_diagnosis_code(self.code))
        object.__setattr__(self, "text", _required(self.text, f"Description of {self.code}"))


@dataclass(frozen=True)
class SuperbillLine:
    """A billed service: the claim line (code, modifiers, units, charge for all units, pointers) and what a
    patient reads (description, who performed it)."""

    service: ServiceLine
    description: str
    provider: RenderingProvider | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.service, ServiceLine):
            raise ValueError("A superbill line needs a ServiceLine.")
        object.__setattr__(self, "description", _required(self.description, "Service description", 120))

    @property
    def pointer_letters(self) -> str:
        return "".join(DIAGNOSIS_LETTERS[pointer - 1] for pointer in self.service.diagnosis_pointers)


@dataclass(frozen=True)
class Superbill:
    """One visit or a period of visits: the dates come from the lines."""

    number: str
    issued_on: datetime.date
    clinic: SuperbillClinic
    patient: SuperbillPatient
    providers: tuple[RenderingProvider, ...]
    diagnoses: tuple[Diagnosis, ...]
    lines: tuple[SuperbillLine, ...]
    paid: Decimal = Decimal("0")

    def __post_init__(self) -> None:
        object.__setattr__(self, "number", _required(self.number, "Superbill number", 40))
        for name, kind in (("clinic", SuperbillClinic), ("patient", SuperbillPatient)):
            if not isinstance(getattr(self, name), kind):
                raise ValueError(f"Superbill {name} must be a {kind.__name__}.")
        providers = tuple(self.providers)
        if not providers or not all(isinstance(p, RenderingProvider) for p in providers):
            raise ValueError("A superbill names at least one provider (a RenderingProvider).")
        diagnoses = tuple(self.diagnoses)
        if not 1 <= len(diagnoses) <= MAX_DIAGNOSES:
            raise ValueError(f"A superbill lists 1 to {MAX_DIAGNOSES} diagnoses, got {len(diagnoses)}.")
        lines = tuple(self.lines)
        if not lines:
            raise ValueError("A superbill needs at least one service line.")
        for number, line in enumerate(lines, start=1):
            if not isinstance(line, SuperbillLine):
                raise ValueError(f"Superbill line {number} must be a SuperbillLine.")
            for pointer in line.service.diagnosis_pointers:
                if pointer > len(diagnoses):
                    raise ValueError(
                        f"Line {number} ({line.service.procedure_code}) points to diagnosis {pointer}, "
                        f"but the superbill lists only {len(diagnoses)}."
                    )
        if not isinstance(self.paid, Decimal) or not self.paid.is_finite() or self.paid < 0:
            raise ValueError(f"Amount paid must be a Decimal of 0 or more, got {self.paid!r}.")
        if self.paid > sum((line.service.charge for line in lines), Decimal("0")):
            raise ValueError("Amount paid is more than the total charges.")
        object.__setattr__(self, "providers", providers)
        object.__setattr__(self, "diagnoses", diagnoses)
        object.__setattr__(self, "lines", lines)

    @property
    def total_charge(self) -> Decimal:
        return sum((line.service.charge for line in self.lines), Decimal("0"))

    @property
    def balance(self) -> Decimal:
        return self.total_charge - self.paid

    @property
    def first_service_on(self) -> datetime.date:
        return min(line.service.service_on for line in self.lines)

    @property
    def last_service_on(self) -> datetime.date:
        return max(line.service.service_on for line in self.lines)

    @property
    def visit_count(self) -> int:
        return len({line.service.service_on for line in self.lines})


def _refuse_urls(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    # Everything the template needs is inline; a URL in the output would be a bug or an injection.
    raise ValueError(f"superbill rendering fetches no URLs (asked for {url[:80]!r})")


def render_superbill_html(superbill: Superbill) -> str:
    # A provider column only when some line names who performed it (several clinicians on one bill).
    show_line_providers = any(line.provider is not None for line in superbill.lines)
    context = {
        "superbill": superbill,
        "diagnosis_rows": list(zip(DIAGNOSIS_LETTERS, superbill.diagnoses, strict=False)),
        "show_line_providers": show_line_providers,
        "service_columns": 7 if show_line_providers else 6,
    }
    return render_to_string("billing/superbill.html", context)


def render_superbill_pdf(superbill: Superbill) -> bytes:
    """The superbill as PDF bytes (Letter, one page for a visit or a typical month of visits).
    WeasyPrint (and its Pango) loads only when a superbill is written."""
    import weasyprint

    html = weasyprint.HTML(string=render_superbill_html(superbill), base_url=None, url_fetcher=_refuse_urls)
    return html.write_pdf()
