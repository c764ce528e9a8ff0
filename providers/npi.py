"""The National Provider Identifier's check digit (CMS: Luhn over "80840" + the first 9).

An NPI is ten ASCII digits. ``str.isdigit()`` alone would let through superscripts
(``³``, which ``int()`` then refuses) and other scripts' digits (fullwidth ``１``,
Arabic-Indic ``١``), which ``int()`` reads as numbers: such an NPI would pass the check
and be stored as typed, matching no registry."""

from django.core.exceptions import ValidationError

NPI_SHAPE = "An NPI is 10 digits (0–9), without spaces, e.g. 1234567893."
NPI_CHECK_DIGIT = "This NPI’s check digit is wrong: check the 10 digits against your NPI record."


def npi_has_shape(npi: str) -> bool:
    return len(npi) == 10 and npi.isascii() and npi.isdigit()


def npi_is_valid(npi: str) -> bool:
    if not npi_has_shape(npi):
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
    if not value:
        return
    if not npi_has_shape(value):
        raise ValidationError(NPI_SHAPE, code="invalid_npi")
    if not npi_is_valid(value):
        raise ValidationError(NPI_CHECK_DIGIT, code="invalid_npi")
