"""The NPI check digit (CMS: Luhn over the prefix 80840 and the first nine digits)."""

from __future__ import annotations

import pytest

from tandem.core.npi import npi_is_valid, npi_with_check_digit
from tandem.core.personas import PERSONAS
from tandem.demo.generator import staff_roster


@pytest.mark.parametrize(
    ("npi", "valid"),
    [
        ("1234567893", True),  # the CMS worked example
        ("1234567890", False),
        ("123456789", False),
        ("12345678931", False),
        ("12345678a3", False),
        ("１２３４５６７８９３", False),  # full-width digits are not ASCII
        ("", False),
    ],
)
def test_the_check_digit(npi, valid):
    assert npi_is_valid(npi) is valid


def test_every_demo_clinician_has_a_valid_npi():
    clinicians = [p for p in PERSONAS if p.npi]
    assert len(clinicians) == 3
    assert all(npi_is_valid(p.npi) for p in clinicians)


def test_the_check_digit_completes_nine_digits():
    assert npi_with_check_digit("123456789") == "1234567893"  # the CMS worked example
    with pytest.raises(ValueError, match="nine digits"):
        npi_with_check_digit("12345678")


def test_every_demo_colleague_has_a_valid_and_unique_npi():
    npis = [clinician.npi for clinician in staff_roster()] + [p.npi for p in PERSONAS if p.npi]
    assert all(npi_is_valid(npi) for npi in npis)
    assert len(set(npis)) == len(npis)
