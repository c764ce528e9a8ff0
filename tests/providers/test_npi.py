import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from providers.models import Therapist
from providers.npi import npi_is_valid, validate_npi
from tests.providers.profile_data import profile_form_data


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


# --- Issue 14, item 8: ASCII digits only, then the check digit; never a 500 ----------------

# Each is 10 characters that str.isdigit() calls digits; read as numbers, the last three
# spell a valid NPI (1234567893), so only the ASCII rule refuses them.
NOT_ASCII_DIGITS = {
    "superscript": "123456789³",
    "fullwidth": "１２３４５６７８９３",
    "arabic-indic": "١٢٣٤٥٦٧٨٩٣",
    "devanagari": "१२३४५६७८९३",
    "mixed": "12345678９3",
}
BADLY_SHAPED = {
    **NOT_ASCII_DIGITS,
    "inner spaces": "1234 567 893",
    "hyphens": "123-456-7893",
    "eleven": "12345678931",
}


@pytest.mark.parametrize("npi", NOT_ASCII_DIGITS.values(), ids=NOT_ASCII_DIGITS.keys())
def test_digits_of_other_scripts_are_not_an_npi(npi):
    assert not npi_is_valid(npi)
    with pytest.raises(ValidationError, match=r"10 digits \(0–9\)"):
        validate_npi(npi)


def test_a_wrong_check_digit_says_so():
    with pytest.raises(ValidationError, match="check digit is wrong"):
        validate_npi("1234567890")


def api_as(user):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    api = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api


@pytest.mark.django_db
@pytest.mark.parametrize("npi", BADLY_SHAPED.values(), ids=BADLY_SHAPED.keys())
def test_the_api_refuses_an_npi_that_is_not_ten_ascii_digits(therapist_user, npi):
    response = api_as(therapist_user).patch("/api/v1/me/profile/", {"npi": npi}, format="json")
    assert response.status_code == 400, response.content
    assert "npi" in response.json()
    therapist_user.therapist.refresh_from_db()
    assert therapist_user.therapist.npi == ""


@pytest.mark.django_db
@pytest.mark.parametrize("npi", BADLY_SHAPED.values(), ids=BADLY_SHAPED.keys())
def test_the_profile_page_refuses_an_npi_that_is_not_ten_ascii_digits(client, therapist_user, npi):
    client.force_login(therapist_user)
    therapist = therapist_user.therapist
    response = client.post(
        reverse("providers:dashboard_profile"), profile_form_data(therapist, npi=npi)
    )
    assert response.status_code == 200
    assert "npi" in response.context["form"].errors
    therapist.refresh_from_db()
    assert therapist.npi == ""


@pytest.mark.django_db
def test_a_valid_ascii_npi_is_stored_from_the_api(therapist_user):
    response = api_as(therapist_user).patch(
        "/api/v1/me/profile/", {"npi": " 1234567893 "}, format="json"
    )
    assert response.status_code == 200, response.content
    therapist_user.therapist.refresh_from_db()
    assert therapist_user.therapist.npi == "1234567893"


@pytest.mark.django_db
def test_the_database_refuses_an_npi_that_is_not_ten_ascii_digits(therapist_user):
    therapist = therapist_user.therapist
    with pytest.raises(IntegrityError), transaction.atomic():
        Therapist.objects.filter(pk=therapist.pk).update(npi="１２３４５６７８９３")
