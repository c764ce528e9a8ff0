import pytest
from django.core.exceptions import ValidationError

from providers.npi import npi_is_valid, validate_npi


@pytest.mark.parametrize("npi", ["1993999998", "1234567893", "1245319599"])
def test_npis_with_a_correct_check_digit_are_valid(npi):
    assert npi_is_valid(npi)
    validate_npi(npi)


@pytest.mark.parametrize(
    "npi", ["1993999990", "1234567890", "123456789", "12345678931", "12345a7893", ""]
)
def test_npis_with_a_wrong_check_digit_or_shape_are_invalid(npi):
    assert not npi_is_valid(npi)


def test_an_empty_npi_is_allowed_because_it_is_optional():
    validate_npi("")


def test_an_invalid_npi_raises_a_clear_error():
    with pytest.raises(ValidationError, match="check digit"):
        validate_npi("1234567890")
