"""National Provider Identifier check (pure module)."""

from __future__ import annotations

NPI_PREFIX = "80840"  # the card-issuer prefix the check digit is computed over


def npi_is_valid(npi: str) -> bool:
    """True for a well-formed National Provider Identifier: 10 digits whose last is the Luhn check digit
    computed over the card-issuer prefix 80840 and the first nine digits
    (CMS, "Requirements for National Provider Identifier (NPI) check digit")."""
    if not (isinstance(npi, str) and len(npi) == 10 and npi.isascii() and npi.isdigit()):
        return False
    total = 0
    for position, char in enumerate(reversed(NPI_PREFIX + npi)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0
