"""The National Provider Identifier's check digit (CMS: Luhn over "80840" + the first 9)."""

from django.core.exceptions import ValidationError


def npi_is_valid(npi: str) -> bool:
    if len(npi) != 10 or not npi.isdigit():
        return False
    digits = [int(c) for c in "80840" + npi[:9]]
    total = 0
    # Luhn: double every second digit from the right of the payload (check digit excluded).
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10 == int(npi[9])


def validate_npi(value: str) -> None:
    if value and not npi_is_valid(value):
        raise ValidationError(
            "This NPI is not valid: it must be 10 digits with a correct check digit.",
            code="invalid_npi",
        )
