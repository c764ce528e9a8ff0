"""What people type is bounded (issue 14, item 9): names, display names, credentials,
titles, numbers and addresses are one line (a line break would add its own line to the
e-mails they appear in); bio, descriptions and reasons have a documented length limit,
held by the database too. Refused with the field named, on the page and the API, with
nothing changed."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from booking.courses import services as courses
from booking.groups import services as groups
from booking.models import Booking, Group, Session, TimeOff
from providers import licensing
from providers.models import License, LicenseDecision, Modality, Therapist
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import at, book, client_in, next_weekday
from tests.factories import LicenseFactory, TherapistFactory, make_verifier
from tests.providers.profile_data import profile_form_data
from therapy_directory.validators import LONG_TEXT_MAX, REASON_MAX

pytestmark = pytest.mark.django_db

BREAKS = {
    "LF": "Dr. Ann Lee\nClick http://evil.example",
    "CR": "Dr. Ann Lee\rClick http://evil.example",
    "CRLF": "Dr. Ann Lee\r\nClick http://evil.example",
    "U+2028": "Dr. Ann Lee\u2028Click http://evil.example",
    "U+0085": "Dr. Ann Lee\x85Click http://evil.example",
}


def api_as(user) -> APIClient:
    api = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api


@pytest.fixture
def therapist() -> Therapist:
    return TherapistFactory(display_name="Ann Lee", credentials="PhD", bio="Short bio.")


def unchanged(therapist: Therapist) -> bool:
    stored = Therapist.objects.get(pk=therapist.pk)
    return (stored.display_name, stored.credentials, stored.bio, stored.office_address) == (
        therapist.display_name,
        therapist.credentials,
        therapist.bio,
        therapist.office_address,
    )


# --- The therapist's profile ------------------------------------------------------------------


@pytest.mark.parametrize("field", ["display_name", "credentials", "office_address", "office_city"])
@pytest.mark.parametrize("value", BREAKS.values(), ids=BREAKS.keys())
def test_the_api_refuses_a_line_break_in_a_one_line_profile_field(therapist, field, value):
    response = api_as(therapist.user).patch("/api/v1/me/profile/", {field: value}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert unchanged(therapist)


@pytest.mark.parametrize("field", ["display_name", "credentials"])
@pytest.mark.parametrize("value", BREAKS.values(), ids=BREAKS.keys())
def test_the_profile_page_refuses_a_line_break_in_the_name_or_credentials(
    client, therapist, field, value
):
    client.force_login(therapist.user)
    response = client.post(
        reverse("providers:dashboard_profile"), profile_form_data(therapist, **{field: value})
    )
    assert response.status_code == 200
    assert "Use one line, without line breaks." in response.context["form"].errors[field]
    assert unchanged(therapist)


def test_a_bio_over_the_limit_is_refused_on_the_page_and_the_api(client, therapist):
    too_long = "x" * (LONG_TEXT_MAX + 1)
    response = api_as(therapist.user).patch("/api/v1/me/profile/", {"bio": too_long}, format="json")
    assert response.status_code == 400
    assert "bio" in response.json()
    client.force_login(therapist.user)
    response = client.post(
        reverse("providers:dashboard_profile"), profile_form_data(therapist, bio=too_long)
    )
    assert "bio" in response.context["form"].errors
    assert f'maxlength="{LONG_TEXT_MAX}"' in response.content.decode()
    assert unchanged(therapist)


def test_a_bio_at_the_limit_is_kept(therapist):
    bio = "x" * LONG_TEXT_MAX
    response = api_as(therapist.user).patch("/api/v1/me/profile/", {"bio": bio}, format="json")
    assert response.status_code == 200
    assert Therapist.objects.get(pk=therapist.pk).bio == bio


def test_a_megabyte_bio_is_refused_without_a_500(therapist):
    response = api_as(therapist.user).patch(
        "/api/v1/me/profile/", {"bio": "x" * 1_000_000}, format="json"
    )
    assert response.status_code in (400, 413)
    assert unchanged(therapist)


@pytest.mark.parametrize(
    ("model", "field", "most"),
    [
        (Therapist, "bio", LONG_TEXT_MAX),
        (Group, "description", LONG_TEXT_MAX),
        (Group, "cancel_reason", REASON_MAX),
        (Session, "cancel_reason", REASON_MAX),
        (Booking, "decline_reason", REASON_MAX),
        (LicenseDecision, "reason", REASON_MAX),
        (Modality, "description", LONG_TEXT_MAX),
    ],
)
def test_the_database_holds_each_text_limit(model, field, most):
    therapist = group_therapist()
    group = make_group(therapist)
    book(client_in(), therapist, at(next_weekday(0), 10), weeks=1)
    licensing.reject_license(
        license_id=LicenseFactory(therapist=therapist, state="NJ").pk,
        by=make_verifier(),
        reason="No such number.",
    )
    assert model.objects.exists() and group
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.update(**{field: "x" * (most + 1)})


# --- Groups -----------------------------------------------------------------------------------


def group_body(**changes) -> dict:
    return {
        "title": "Thursday grief group",
        "modality": "group",
        "kind": "grief",
        "format": "telehealth",
        "weekday": 3,
        "start_time": "18:30",
        "start_date": next_weekday(3).isoformat(),
        "weeks": 10,
        "capacity": 8,
        "states": ["NY"],
        **changes,
    }


@pytest.mark.parametrize("value", BREAKS.values(), ids=BREAKS.keys())
def test_a_group_title_with_a_line_break_is_refused_on_the_api_and_the_page(client, value):
    therapist = group_therapist()
    response = api_as(therapist.user).post(
        "/api/v1/me/groups/", group_body(title=value), format="json"
    )
    assert response.status_code == 400
    assert "title" in response.json()
    client.force_login(therapist.user)
    page = group_body(title=value, weekdays="3", start_time="18:30", meeting_minutes="90")
    response = client.post(reverse("booking:create_group"), page)
    assert response.status_code == 400
    assert "Use one line, without line breaks." in response.content.decode()
    assert not Group.objects.exists()


def test_a_group_description_over_the_limit_is_refused():
    therapist = group_therapist()
    response = api_as(therapist.user).post(
        "/api/v1/me/groups/",
        group_body(description="x" * (LONG_TEXT_MAX + 1)),
        format="json",
    )
    assert response.status_code == 400
    assert "description" in response.json()
    assert not Group.objects.exists()


def test_the_group_service_refuses_a_title_with_a_line_break_on_edit():
    group = make_group(group_therapist())
    with pytest.raises(ValidationError) as caught:
        groups.update_group(group_id=group.pk, by=group.therapist.user, title="A\nB")
    assert "title" in caught.value.message_dict
    group.refresh_from_db()
    assert group.title == "Grief and loss group"


def test_a_cancel_reason_over_the_limit_is_refused_by_the_group_services():
    group = make_group(group_therapist())
    with pytest.raises(ValidationError) as caught:
        groups.cancel_group(group_id=group.pk, by=group.therapist.user, reason="x" * 2001)
    assert "reason" in caught.value.message_dict
    group.refresh_from_db()
    assert group.status == Group.Status.ACTIVE


# --- Courses ----------------------------------------------------------------------------------


def test_a_reason_over_the_limit_is_refused_by_the_course_services():
    therapist = group_therapist()
    booking = book(client_in(), therapist, at(next_weekday(0), 10), weeks=2)
    with pytest.raises(ValidationError) as caught:
        courses.decline_booking(booking_id=booking.pk, by=therapist.user, reason="x" * 2001)
    assert "reason" in caught.value.message_dict
    with pytest.raises(ValidationError):
        courses.cancel_booking(booking_id=booking.pk, by=therapist.user, reason="x" * 2001)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.PENDING


# --- Licenses ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["A1\nClick http://evil.example", "A1\u2028B2"])
def test_a_license_number_with_a_line_break_is_refused_on_the_api_and_the_page(
    client, therapist, value
):
    data = {"state": "CA", "license_type": "LCSW", "number": value, "expires_on": "2028-01-01"}
    response = api_as(therapist.user).post("/api/v1/me/licenses/", data, format="json")
    assert response.status_code == 400
    assert "number" in response.json()
    client.force_login(therapist.user)
    response = client.post(reverse("providers:dashboard_licenses"), data)
    assert "Use one line, without line breaks." in response.content.decode()
    with pytest.raises(ValidationError) as caught:
        licensing.submit_license(
            therapist=therapist,
            state="CA",
            license_type="LCSW",
            number=value,
            expires_on=License._meta.get_field("expires_on").to_python("2028-01-01"),
        )
    assert "number" in caught.value.message_dict
    assert not License.objects.exists()


def test_a_verify_source_with_a_line_break_is_refused(therapist):
    license = LicenseFactory(therapist=therapist)
    staff = make_verifier()
    response = api_as(staff).post(
        f"/api/v1/licenses/{license.pk}/verify/", {"source": "NY board\nlook-up"}, format="json"
    )
    assert response.status_code == 400
    assert "source" in response.json()
    with pytest.raises(ValidationError):
        licensing.verify_license(license_id=license.pk, by=staff, source="NY\u2028board")
    license.refresh_from_db()
    assert license.status == License.Status.PENDING


def test_the_reject_reason_has_one_limit_on_the_page_and_the_api(client, therapist):
    license = LicenseFactory(therapist=therapist)
    staff = make_verifier()
    reason = "x" * REASON_MAX
    client.force_login(staff)
    response = client.post(f"/staff/licenses/{license.pk}/reject/", {"reason": reason})
    assert response.status_code == 302
    license.refresh_from_db()
    assert license.status == License.Status.REJECTED
    other = LicenseFactory(therapist=therapist, state="NJ")
    response = api_as(staff).post(
        f"/api/v1/licenses/{other.pk}/reject/", {"reason": reason + "x"}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()


# --- Time off ---------------------------------------------------------------------------------


def test_a_time_off_note_with_a_line_break_is_refused(client):
    therapist = group_therapist()
    day = next_weekday(0).isoformat()
    client.force_login(therapist.user)
    response = client.post(
        reverse("booking:add_time_off"), {"start_date": day, "end_date": day, "note": "a\nb"}
    )
    assert response.status_code == 400
    assert "Use one line, without line breaks." in response.content.decode()
    assert not TimeOff.objects.exists()


# --- Reference lists (admin) --------------------------------------------------------------


def test_a_modality_name_is_one_line():
    with pytest.raises(ValidationError) as caught:
        Modality(slug="x", name="IPT\nClick here").full_clean()
    assert "name" in caught.value.message_dict


# --- A therapist's sign-up: the account's name becomes the profile's ---------------------


@pytest.mark.parametrize("name", ["Ann Lee\r\nClick http://evil.example", "A" * 150])
def test_a_therapist_sign_up_never_fails_on_the_profile_name(name):
    response = APIClient().post(
        "/api/v1/auth/register/",
        {
            "email": "ann@example.com",
            "password": "correct horse battery staple 9",
            "name": name,
            "role": "therapist",
            "state": "NY",
            "timezone": "America/New_York",
        },
        format="json",
    )
    # Refused on the account's name (400 naming it), or taken with the name on one line.
    assert response.status_code in (201, 400), response.content
    if response.status_code == 400:
        assert "name" in response.json()
    else:
        display_name = Therapist.objects.get(user__email="ann@example.com").display_name
        assert display_name == " ".join(name.split())
