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


def npi_with_check_digit(first_nine: str) -> str:
    """The NPI whose first nine digits are `first_nine`, completed with its check digit."""
    if not (len(first_nine) == 9 and first_nine.isascii() and first_nine.isdigit()):
        raise ValueError(f"An NPI starts with nine digits, got {first_nine!r}.")
    return next(npi for digit in "0123456789" if npi_is_valid(npi := first_nine + digit))
