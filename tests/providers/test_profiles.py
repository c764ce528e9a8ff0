"""One writer of a profile (providers.profiles): the dashboard page, ``me/profile/`` and
the admin refuse the same things in the same words, change nothing when they refuse,
and every accepted change keeps the derived data right (the next opening, the search)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.timezone import now
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import register_user
from providers import profiles
from providers.models import Therapist
from tests.booking.helpers import bookable_therapist
from tests.factories import TherapistFactory, verified_license
from tests.providers.profile_data import profile_form_data
from tests.providers.test_reminder_bounds import _admin_change_data

pytestmark = pytest.mark.django_db

PROFILE_PAGE = reverse("providers:dashboard_profile")

# (what the page posts, what the API sends, the field refused): every rule the
# dashboard form checks, in the words both answers must share.
REFUSED = {
    "session too short": ({"session_minutes": "5"}, {"session_minutes": 5}, "session_minutes"),
    "session too long": ({"session_minutes": "300"}, {"session_minutes": 300}, "session_minutes"),
    "negative session": ({"session_minutes": "-1"}, {"session_minutes": -1}, "session_minutes"),
    "notice too long": ({"notice_hours": "337"}, {"notice_hours": 337}, "notice_hours"),
    "negative notice": ({"notice_hours": "-1"}, {"notice_hours": -1}, "notice_hours"),
    "slot step": ({"slot_step_minutes": "20"}, {"slot_step_minutes": 20}, "slot_step_minutes"),
    "in person, no office": (
        {"formats": ["in_person"], "office_address": "", "office_zip": ""},
        {"formats": ["in_person"]},
        "office_zip",
    ),
    "in person, no office address": (
        {"formats": ["in_person"], "office_address": "", "office_zip": "12180"},
        {"formats": ["in_person"], "office_zip": "12180"},
        "office_address",
    ),
    "unknown office ZIP": ({"office_zip": "00000"}, {"office_zip": "00000"}, "office_zip"),
    "no format": ({"formats": []}, {"formats": []}, "formats"),
    "bad NPI": ({"npi": "1234567890"}, {"npi": "1234567890"}, "npi"),
    "unknown zone": ({"timezone": "Not/AZone"}, {"timezone": "Not/AZone"}, "timezone"),
    "negative fee": ({"fee": "-1"}, {"fee": -1}, "fee"),
    "huge fee": ({"fee": "100001"}, {"fee": 100001}, "fee"),
}


def _stored(therapist: Therapist) -> dict:
    return Therapist.objects.filter(pk=therapist.pk).values().get()


@pytest.mark.parametrize(("page_change", "api_change", "field"), REFUSED.values(), ids=REFUSED)
def test_the_page_and_the_api_refuse_the_same_in_the_same_words_and_change_nothing(
    client, page_change, api_change, field
):
    therapist = TherapistFactory()
    before = _stored(therapist)
    client.force_login(therapist.user)
    page = client.post(PROFILE_PAGE, profile_form_data(therapist, **page_change))
    assert page.status_code == 200
    page_errors = page.context["form"].errors
    assert _stored(therapist) == before

    api = APIClient()
    api.force_authenticate(therapist.user)
    response = api.patch("/api/v1/me/profile/", api_change, format="json")
    assert response.status_code == 400
    assert _stored(therapist) == before

    assert field in page_errors
    assert response.json()[field] == list(page_errors[field])


def test_the_api_cannot_make_an_in_person_therapist_without_an_office():
    therapist = TherapistFactory()
    api = APIClient()
    api.force_authenticate(therapist.user)
    response = api.patch("/api/v1/me/profile/", {"formats": ["in_person"]}, format="json")
    assert response.status_code == 400
    assert response.json()["office_zip"] == ["Give your office's ZIP code, for in-person sessions."]
    ok = api.patch(
        "/api/v1/me/profile/",
        {"formats": ["in_person"], "office_address": "1 Broadway", "office_zip": "12180"},
        format="json",
    )
    assert ok.status_code == 200, ok.json()
    stored = _stored(therapist)
    assert stored["formats"] == ["in_person"]
    assert (stored["office_city"], stored["office_state"]) == ("Troy", "NY")


def test_the_database_refuses_in_person_without_an_office():
    therapist = TherapistFactory(formats=["telehealth"])
    with (
        pytest.raises(IntegrityError, match="therapist_in_person_has_zip"),
        transaction.atomic(),
    ):
        Therapist.objects.filter(pk=therapist.pk).update(formats=["in_person"])


@pytest.mark.parametrize(
    "change",
    [{"session_minutes": 241}, {"notice_hours": 24 * 14 + 1}, {"slot_step_minutes": 20}],
)
def test_the_database_holds_the_bounds(change):
    therapist = TherapistFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Therapist.objects.filter(pk=therapist.pk).update(**change)


def test_a_session_length_change_marks_the_next_opening_stale():
    therapist = bookable_therapist()
    assert _stored(therapist)["next_opening_stale_at"] > now()  # fresh
    profiles.update_profile(therapist=therapist, by=therapist.user, session_minutes=90)
    assert _stored(therapist)["next_opening_stale_at"] <= now()


def test_an_unchanged_save_writes_nothing_and_leaves_the_opening_fresh():
    therapist = bookable_therapist()
    before = _stored(therapist)
    profiles.update_profile(
        therapist=therapist,
        by=therapist.user,
        session_minutes=therapist.session_minutes,
        modalities=list(therapist.modalities.all()),
    )
    assert _stored(therapist) == before


def test_the_admin_saves_through_the_service(client):
    admin = User.objects.create_superuser(email="admin@example.com", password="pw")
    therapist = bookable_therapist()
    client.force_login(admin)
    url = reverse("admin:providers_therapist_change", args=[therapist.pk])
    data = _admin_change_data(client.get(url))
    response = client.post(url, {**data, "session_minutes": "90"})
    assert response.status_code == 302
    stored = _stored(therapist)
    assert stored["session_minutes"] == 90
    assert stored["next_opening_stale_at"] <= now()  # only the service marks it


def test_the_admin_refuses_in_person_without_an_office(client):
    admin = User.objects.create_superuser(email="admin@example.com", password="pw")
    therapist = TherapistFactory()
    client.force_login(admin)
    url = reverse("admin:providers_therapist_change", args=[therapist.pk])
    data = _admin_change_data(client.get(url))
    response = client.post(url, {**data, "formats": "in_person", "office_zip": ""})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["office_zip"] == [
        "Give your office's ZIP code, for in-person sessions."
    ]
    assert _stored(therapist)["formats"] == ["telehealth"]


def test_a_profile_change_shows_in_the_next_search(settings, django_capture_on_commit_callbacks):
    settings.SEARCH_CACHE_SECONDS = 60
    therapist = TherapistFactory(display_name="Ada Byron")
    verified_license(therapist=therapist, state="NY")
    api = APIClient()
    names = lambda: [r["name"] for r in api.get("/api/v1/therapists/?state=NY").json()["results"]]  # noqa: E731
    assert names() == ["Ada Byron"]
    with django_capture_on_commit_callbacks(execute=True):
        profiles.update_profile(therapist=therapist, by=therapist.user, display_name="Ada King")
    assert names() == ["Ada King"]


def test_only_the_therapist_or_staff_may_change_a_profile():
    therapist = TherapistFactory(display_name="Ada Byron")
    other = TherapistFactory()
    with pytest.raises(PermissionDenied):
        profiles.update_profile(therapist=therapist, by=other.user, display_name="Mallory")
    staff = User.objects.create_superuser(email="admin@example.com", password="pw")
    profiles.update_profile(therapist=therapist, by=staff, display_name="Ada King")
    assert _stored(therapist)["display_name"] == "Ada King"


def test_a_refused_link_change_leaves_the_row_as_it_was():
    therapist = TherapistFactory(display_name="Ada Byron")
    with pytest.raises(ValidationError):
        profiles.update_profile(
            therapist=therapist, by=therapist.user, display_name="Ada King", session_minutes=1
        )
    assert _stored(therapist)["display_name"] == "Ada Byron"


def test_sign_up_creates_the_profile_through_the_service():
    user = register_user(
        email="t@example.com",
        password="a long enough password",
        name="Grace Hopper",
        role="therapist",
        timezone="America/Chicago",
    )
    therapist = Therapist.objects.get(user=user)
    assert (therapist.slug, therapist.formats) == ("grace-hopper", ["telehealth"])
    second = profiles.create_profile(
        user=User.objects.create_user(
            email="t2@example.com", password="x" * 12, name="Grace Hopper", role="therapist"
        ),
        display_name="Grace Hopper",
        formats=["telehealth"],
    )
    assert second.slug.startswith("grace-hopper-")
