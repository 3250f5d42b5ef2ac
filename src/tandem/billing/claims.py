"""What a professional claim says, as plain frozen dataclasses validated on construction.

Pure module (no Django): the 837P renderer (`tandem.billing.x12`) and the superbill read these, and the
services build them from Charge rows. Every refusal is a ValueError whose message names the field and the
rule, in words a biller understands. The limits are those of the ASC X12 005010X222A1 implementation guide
(837 Professional) and of the CMS-1500 form it replaces: 12 diagnoses per claim, 4 pointers and 4 modifiers
per line, 50 service lines per claim.

Codes are kept as people write them: ICD-10-CM with its dot (M54.50), EIN digits only. The X12 renderer
removes the dot.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from tandem.core.npi import npi_is_valid

# The 837P separators of tandem.billing.x12: no text may carry them, or the file would not parse.
X12_RESERVED = frozenset("~*:^")

MAX_DIAGNOSES = 12
MAX_POINTERS = 4
MAX_MODIFIERS = 4
MAX_LINES = 50
MAX_UNITS = 999
MAX_CHARGE = Decimal("99999999.99")

# 2000B SBR09, Claim Filing Indicator Code (X12 element 1032), the values the 837P allows.
CLAIM_FILING_INDICATORS: dict[str, str] = {
    "09": "Self-pay",
    "11": "Other non-federal programs",
    "12": "Preferred provider organization (PPO)",
    "13": "Point of service (POS)",
    "14": "Exclusive provider organization (EPO)",
    "15": "Indemnity insurance",
    "16": "Health maintenance organization (HMO) Medicare risk",
    "17": "Dental maintenance organization",
    "AM": "Automobile medical",
    "BL": "Blue Cross/Blue Shield",
    "CH": "Champus (TRICARE)",
    "CI": "Commercial insurance",
    "DS": "Disability",
    "FI": "Federal employees program",
    "HM": "Health maintenance organization",
    "LM": "Liability medical",
    "MA": "Medicare Part A",
    "MB": "Medicare Part B",
    "MC": "Medicaid",
    "OF": "Other federal program",
    "TV": "Title V",
    "VA": "Veterans Affairs plan",
    "WC": "Workers' compensation health claim",
    "ZZ": "Mutually defined",
}

SEXES: dict[str, str] = {"F": "Female", "M": "Male", "U": "Unknown"}

_ICD10CM = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
_PROCEDURE = re.compile(r"^([0-9]{4}[0-9A-Z]|[A-Z][0-9]{4})$")
_MODIFIER = re.compile(r"^[0-9A-Z]{2}$")
_TAXONOMY = re.compile(r"^[0-9]{3}[0-9A-Z]{6}X$")
_PLACE_OF_SERVICE = re.compile(r"^[0-9]{2}$")
_STATE = re.compile(r"^[A-Z]{2}$")
_CLAIM_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,19}$")
_X12_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z -]{1,14}$")


def _plain(value: str) -> str:
    """X12 carries only the basic and extended character sets (ASCII): accented letters lose their accents
    (María González -> Maria Gonzalez), the way payers print them."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _text(value: object, field: str, *, max_length: int, required: bool = True) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{field} must be text, not {type(value).__name__}.")
    value = _plain(value.strip())
    if not value.isascii():
        wrong = " ".join(sorted({char for char in value if not char.isascii()}))
        raise ValueError(
            f"{field} has characters a claim file cannot carry ({wrong}): spell it in Latin letters."
        )
    if required and not value:
        raise ValueError(f"{field} is required.")
    if len(value) > max_length:
        raise ValueError(f"{field} is {len(value)} characters long; the claim allows at most {max_length}.")
    reserved = sorted(X12_RESERVED.intersection(value))
    if reserved:
        raise ValueError(f"{field} may not contain {' '.join(reserved)} (claim file separators).")
    if any(not char.isprintable() for char in value):
        raise ValueError(f"{field} may not contain line breaks or control characters.")
    return value


def _npi(value: object, field: str) -> str:
    if not isinstance(value, str) or not (len(value) == 10 and value.isascii() and value.isdigit()):
        raise ValueError(f"{field} must be 10 digits, got {value!r}.")
    if not npi_is_valid(value):
        raise ValueError(f"{field} {value} fails the NPI check digit: look for a mistyped digit.")
    return value


def _taxonomy(value: object, field: str) -> str:
    if not isinstance(value, str) or not _TAXONOMY.match(value):
        raise ValueError(
            f"{field} must be a 10-character provider taxonomy code such as 111N00000X, got {value!r}."
        )
    return value


def _digits(value: object, field: str, *, lengths: tuple[int, ...], example: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{field} must be text such as {example}, not {type(value).__name__}.")
    digits = value.replace("-", "").replace(" ", "")
    if not (digits.isascii() and digits.isdigit() and len(digits) in lengths):
        raise ValueError(f"{field} must look like {example}, got {value!r}.")
    return digits


def _set(instance: object, name: str, value: object) -> None:
    # Frozen dataclasses keep their normalised values through object.__setattr__, once, at construction.
    object.__setattr__(instance, name, value)


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    state: str
    postal_code: str
    line2: str = ""

    def __post_init__(self) -> None:
        _set(self, "line1", _text(self.line1, "Address line 1", max_length=55))
        _set(self, "line2", _text(self.line2, "Address line 2", max_length=55, required=False))
        _set(self, "city", _text(self.city, "City", max_length=30))
        state = self.state.strip().upper() if isinstance(self.state, str) else self.state
        if not isinstance(state, str) or not _STATE.match(state):
            raise ValueError(f"State must be a two-letter code such as OR, got {self.state!r}.")
        _set(self, "state", state)
        _set(self, "postal_code", _digits(self.postal_code, "ZIP code", lengths=(5, 9), example="97214"))

    @property
    def zip_display(self) -> str:
        code = self.postal_code
        return f"{code[:5]}-{code[5:]}" if len(code) == 9 else code


@dataclass(frozen=True)
class BillingProvider:
    """The clinic that bills (837P loop 2010AA): an organization with a group NPI and an EIN."""

    organization_name: str
    npi: str
    tax_id: str
    address: Address
    taxonomy_code: str

    def __post_init__(self) -> None:
        _set(self, "organization_name", _text(self.organization_name, "Billing provider name", max_length=60))
        _set(self, "npi", _npi(self.npi, "Billing provider NPI"))
        _set(self, "tax_id", _digits(self.tax_id, "Billing provider EIN", lengths=(9,), example="93-1234567"))
        if not isinstance(self.address, Address):
            raise ValueError("Billing provider address must be an Address.")
        if len(self.address.postal_code) != 9:
            # 005010X222A1 2010AA N403: the billing provider's ZIP code must carry all nine digits.
            raise ValueError(
                f"Billing provider ZIP code must have nine digits (ZIP+4), got {self.address.postal_code}."
            )
        _set(self, "taxonomy_code", _taxonomy(self.taxonomy_code, "Billing provider taxonomy code"))

    @property
    def tax_id_display(self) -> str:
        return f"{self.tax_id[:2]}-{self.tax_id[2:]}"


@dataclass(frozen=True)
class RenderingProvider:
    """The clinician who performed the services (loop 2310B for the claim, 2420A for a single line)."""

    last_name: str
    first_name: str
    npi: str
    taxonomy_code: str
    middle_name: str = ""
    credentials: str = ""

    def __post_init__(self) -> None:
        _set(self, "last_name", _text(self.last_name, "Rendering provider last name", max_length=60))
        _set(self, "first_name", _text(self.first_name, "Rendering provider first name", max_length=35))
        _set(
            self,
            "middle_name",
            _text(self.middle_name, "Rendering provider middle name", max_length=25, required=False),
        )
        _set(self, "credentials", _text(self.credentials, "Credentials", max_length=20, required=False))
        _set(self, "npi", _npi(self.npi, f"NPI of {self.first_name} {self.last_name}"))
        _set(self, "taxonomy_code", _taxonomy(self.taxonomy_code, "Rendering provider taxonomy code"))

    @property
    def display_name(self) -> str:
        name = " ".join(part for part in (self.first_name, self.middle_name, self.last_name) if part)
        return f"{name}, {self.credentials}" if self.credentials else name


@dataclass(frozen=True)
class Subscriber:
    """The insured person and their payer (loops 2010BA and 2010BB).

    Tandem bills patients who are their own subscriber (relationship 18, "self"): the 837P then has no
    separate patient loop (2000C). A dependant's claim needs that loop and is not supported yet.
    """

    last_name: str
    first_name: str
    birth_date: datetime.date
    sex: str
    address: Address
    member_id: str
    payer_name: str
    payer_id: str
    middle_name: str = ""
    group_number: str = ""
    claim_filing_indicator: str = "CI"

    def __post_init__(self) -> None:
        _set(self, "last_name", _text(self.last_name, "Patient last name", max_length=60))
        _set(self, "first_name", _text(self.first_name, "Patient first name", max_length=35))
        _set(
            self, "middle_name", _text(self.middle_name, "Patient middle name", max_length=25, required=False)
        )
        if not isinstance(self.birth_date, datetime.date) or isinstance(self.birth_date, datetime.datetime):
            raise ValueError("Patient birth date must be a date.")
        if self.sex not in SEXES:
            raise ValueError(f"Patient sex must be F, M or U, got {self.sex!r}.")
        if not isinstance(self.address, Address):
            raise ValueError("Patient address must be an Address.")
        _set(self, "member_id", _text(self.member_id, "Insurance member ID", max_length=80))
        _set(self, "group_number", _text(self.group_number, "Group number", max_length=50, required=False))
        _set(self, "payer_name", _text(self.payer_name, "Payer name", max_length=60))
        _set(self, "payer_id", _text(self.payer_id, "Payer ID", max_length=80))
        if self.claim_filing_indicator not in CLAIM_FILING_INDICATORS:
            raise ValueError(
                f"Claim filing indicator {self.claim_filing_indicator!r} is not an 837P code "
                f"(for example CI commercial, MB Medicare Part B, MC Medicaid)."
            )

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.middle_name, self.last_name) if part)


def diagnosis_code_for_x12(code: str) -> str:
    """M54.50 -> M5450: the 837P carries ICD-10-CM codes without their dot."""
    return code.replace(".", "")


def check_diagnosis_code(code: object) -> str:
    """An ICD-10-CM code written with its dot (M54.50), or a ValueError that says what is wrong."""
    if not isinstance(code, str):
        raise ValueError(f"Diagnosis code must be text, got {code!r}.")
    code = code.strip().upper()
    if "." not in code and len(code) > 3:
        raise ValueError(f"Write ICD-10-CM code {code} with its dot ({code[:3]}.{code[3:]}).")
    if not _ICD10CM.match(code):
        raise ValueError(
            f"{code!r} is not an ICD-10-CM code (a letter, two characters, a dot, up to four more)."
        )
    return code


@dataclass(frozen=True)
class ServiceLine:
    """One billed procedure (loop 2400). `charge` is the line's total for all its units.

    `diagnosis_pointers` are 1-based positions in the claim's diagnoses, most important first.
    `rendering_provider` is set only when someone other than the claim's rendering provider performed it
    (a supervised massage therapist's line, for instance).
    """

    service_on: datetime.date
    procedure_code: str
    charge: Decimal
    diagnosis_pointers: tuple[int, ...]
    units: int = 1
    modifiers: tuple[str, ...] = ()
    place_of_service: str = "11"
    rendering_provider: RenderingProvider | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.service_on, datetime.date) or isinstance(self.service_on, datetime.datetime):
            raise ValueError("Date of service must be a date.")
        code = self.procedure_code.strip().upper() if isinstance(self.procedure_code, str) else ""
        if not _PROCEDURE.match(code):
            raise ValueError(
                "Procedure code must be a 5-character CPT or HCPCS code such as 97140, "
                f"got {self.procedure_code!r}."
            )
        _set(self, "procedure_code", code)

        modifiers = tuple(m.strip().upper() if isinstance(m, str) else m for m in self.modifiers)
        if len(modifiers) > MAX_MODIFIERS:
            raise ValueError(
                f"{code} has {len(modifiers)} modifiers; a claim line allows at most {MAX_MODIFIERS}."
            )
        for modifier in modifiers:
            if not isinstance(modifier, str) or not _MODIFIER.match(modifier):
                raise ValueError(
                    f"Modifier {modifier!r} on {code} must be two letters or digits, such as 59."
                )
        if len(set(modifiers)) != len(modifiers):
            raise ValueError(f"{code} repeats a modifier: {', '.join(modifiers)}.")
        _set(self, "modifiers", modifiers)

        if (
            isinstance(self.units, bool)
            or not isinstance(self.units, int)
            or not 1 <= self.units <= MAX_UNITS
        ):
            raise ValueError(
                f"Units of {code} must be a whole number from 1 to {MAX_UNITS}, got {self.units!r}."
            )

        if not isinstance(self.charge, Decimal):
            raise ValueError(f"Charge of {code} must be a Decimal amount (not {type(self.charge).__name__}).")
        if not self.charge.is_finite() or self.charge < 0 or self.charge > MAX_CHARGE:
            raise ValueError(f"Charge of {code} must be between 0 and {MAX_CHARGE}, got {self.charge}.")
        if self.charge != self.charge.quantize(Decimal("0.01")):
            raise ValueError(f"Charge of {code} has more than two decimal places: {self.charge}.")

        pointers = tuple(self.diagnosis_pointers)
        if not 1 <= len(pointers) <= MAX_POINTERS:
            raise ValueError(f"{code} needs 1 to {MAX_POINTERS} diagnosis pointers, got {len(pointers)}.")
        for pointer in pointers:
            if isinstance(pointer, bool) or not isinstance(pointer, int) or not 1 <= pointer <= MAX_DIAGNOSES:
                raise ValueError(f"Diagnosis pointer {pointer!r} of {code} must be a number from 1 to 12.")
        if len(set(pointers)) != len(pointers):
            raise ValueError(f"{code} points to the same diagnosis twice: {pointers}.")
        _set(self, "diagnosis_pointers", pointers)

        if not isinstance(self.place_of_service, str) or not _PLACE_OF_SERVICE.match(self.place_of_service):
            raise ValueError(
                f"Place of service must be a two-digit CMS code such as 11, got {self.place_of_service!r}."
            )
        if self.rendering_provider is not None and not isinstance(self.rendering_provider, RenderingProvider):
            raise ValueError("A line's rendering provider must be a RenderingProvider.")

    @property
    def code_with_modifiers(self) -> str:
        return "-".join((self.procedure_code, *self.modifiers))


@dataclass(frozen=True)
class Claim:
    """One claim (loop 2300): a visit, or several visits of one patient with one rendering provider.

    `claim_id` is the patient control number (CLM01) the payer echoes in its remittance.
    """

    claim_id: str
    billing_provider: BillingProvider
    rendering_provider: RenderingProvider
    subscriber: Subscriber
    diagnoses: tuple[str, ...]
    lines: tuple[ServiceLine, ...]
    initial_treatment_on: datetime.date | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.claim_id, str) or not _CLAIM_ID.match(self.claim_id):
            raise ValueError(
                f"Claim ID {self.claim_id!r} must be 1 to 20 letters, digits or hyphens "
                "(the patient control number)."
            )
        if not isinstance(self.billing_provider, BillingProvider):
            raise ValueError("A claim needs a BillingProvider.")
        if not isinstance(self.rendering_provider, RenderingProvider):
            raise ValueError("A claim needs a RenderingProvider.")
        if not isinstance(self.subscriber, Subscriber):
            raise ValueError("A claim needs a Subscriber.")

        diagnoses = tuple(check_diagnosis_code(code) for code in self.diagnoses)
        if not diagnoses:
            raise ValueError(f"Claim {self.claim_id} needs at least one diagnosis.")
        if len(diagnoses) > MAX_DIAGNOSES:
            raise ValueError(
                f"Claim {self.claim_id} has {len(diagnoses)} diagnoses; "
                f"a claim allows at most {MAX_DIAGNOSES}."
            )
        if len(set(diagnoses)) != len(diagnoses):
            raise ValueError(f"Claim {self.claim_id} lists a diagnosis twice.")
        _set(self, "diagnoses", diagnoses)

        lines = tuple(self.lines)
        if not lines:
            raise ValueError(f"Claim {self.claim_id} needs at least one service line.")
        if len(lines) > MAX_LINES:
            raise ValueError(
                f"Claim {self.claim_id} has {len(lines)} service lines; "
                f"split it: a claim allows at most {MAX_LINES}."
            )
        for number, line in enumerate(lines, start=1):
            if not isinstance(line, ServiceLine):
                raise ValueError(f"Line {number} of claim {self.claim_id} must be a ServiceLine.")
            for pointer in line.diagnosis_pointers:
                if pointer > len(diagnoses):
                    raise ValueError(
                        f"Line {number} ({line.procedure_code}) of claim {self.claim_id} points to diagnosis "
                        f"{pointer}, but the claim has only {len(diagnoses)}."
                    )
        _set(self, "lines", lines)
        if self.initial_treatment_on is not None:
            if not isinstance(self.initial_treatment_on, datetime.date):
                raise ValueError("Initial treatment date must be a date.")
            if self.initial_treatment_on > min(line.service_on for line in lines):
                raise ValueError(f"Claim {self.claim_id}: initial treatment date is after a date of service.")

    @property
    def total_charge(self) -> Decimal:
        return sum((line.charge for line in self.lines), Decimal("0"))

    @property
    def place_of_service(self) -> str:
        """The claim's place of service (CLM05-1): the first line's. Other lines state theirs (SV105)
        only when it differs."""
        return self.lines[0].place_of_service


@dataclass(frozen=True)
class ClaimBatch:
    """One 837P file: who sends it (the clinic or its billing service), to whom (a clearinghouse or payer),
    its interchange control number (unique per sender: the receiver refuses a repeated one) and claims."""

    submitter_name: str
    submitter_id: str
    submitter_contact_name: str
    submitter_contact_phone: str
    receiver_name: str
    receiver_id: str
    interchange_control_number: int
    created_at: datetime.datetime
    claims: tuple[Claim, ...]
    production: bool = True

    def __post_init__(self) -> None:
        _set(self, "submitter_name", _text(self.submitter_name, "Submitter name", max_length=60))
        _set(
            self, "submitter_contact_name", _text(self.submitter_contact_name, "Contact name", max_length=60)
        )
        _set(
            self,
            "submitter_contact_phone",
            _digits(self.submitter_contact_phone, "Contact phone", lengths=(10,), example="503-555-0100"),
        )
        _set(self, "receiver_name", _text(self.receiver_name, "Receiver name", max_length=60))
        for field, label in (("submitter_id", "Submitter ID"), ("receiver_id", "Receiver ID")):
            value = getattr(self, field)
            if not isinstance(value, str) or not _X12_ID.match(value.strip()):
                raise ValueError(f"{label} must be 2 to 15 letters or digits, as agreed with the receiver.")
            _set(self, field, value.strip())
        number = self.interchange_control_number
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 999_999_999:
            raise ValueError(f"Interchange control number must be from 1 to 999999999, got {number!r}.")
        if not isinstance(self.created_at, datetime.datetime):
            raise ValueError("Batch creation time must be a datetime.")
        claims = tuple(self.claims)
        if not claims:
            raise ValueError("A claim batch needs at least one claim.")
        if any(not isinstance(claim, Claim) for claim in claims):
            raise ValueError("Every item of a claim batch must be a Claim.")
        ids = [claim.claim_id for claim in claims]
        repeated = sorted({claim_id for claim_id in ids if ids.count(claim_id) > 1})
        if repeated:
            raise ValueError(f"Claim IDs must be unique in a batch: {', '.join(repeated)} repeated.")
        today = self.created_at.date()
        for claim in claims:
            future = [line for line in claim.lines if line.service_on > today]
            if future:
                raise ValueError(
                    f"Claim {claim.claim_id} bills a service dated {future[0].service_on.isoformat()}, "
                    f"after the batch date {today.isoformat()}."
                )
        _set(self, "claims", claims)
