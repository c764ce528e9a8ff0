"""Profiles, licenses and accounts change through services in transactions of their own
with bounded lock waits (therapy_directory.transactions): a change that meets a row
another change holds too long answers "busy, try again" and writes nothing, and the
admin's change form (which Django wraps in its own transaction) still saves a profile."""

import pytest
from django.db import transaction
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import update_account
from providers import licensing, profiles
from providers.models import License, Therapist
from tests.booking.helpers import bookable_therapist, row_locked
from tests.factories import LicenseFactory, TherapistFactory, make_verifier
from tests.providers.test_reminder_bounds import _admin_change_data
from therapy_directory.transactions import Busy

pytestmark = pytest.mark.django_db(transaction=True)

BUSY = "Someone else is changing this right now. Please try again in a moment."


@pytest.fixture(autouse=True)
def _short_lock_timeout(settings):
    settings.LOCK_TIMEOUT_MS = 200


def test_a_profile_edit_meeting_a_held_row_is_busy_and_writes_nothing():
    therapist = TherapistFactory(session_minutes=50)
    with row_locked(Therapist, therapist.pk), pytest.raises(Busy):
        profiles.update_profile(therapist=therapist, by=therapist.user, session_minutes=90)
    assert Therapist.objects.get(pk=therapist.pk).session_minutes == 50


def test_the_profile_api_answers_busy_503_with_its_detail():
    therapist = TherapistFactory(session_minutes=50)
    api = APIClient()
    api.force_authenticate(therapist.user)
    with row_locked(Therapist, therapist.pk):
        response = api.patch("/api/v1/me/profile/", {"session_minutes": 90}, format="json")
    assert response.status_code == 503
    assert response.json() == {"detail": BUSY}
    assert response.headers["Retry-After"] == "1"
    assert Therapist.objects.get(pk=therapist.pk).session_minutes == 50


def test_verifying_a_license_meeting_a_held_row_is_busy_and_decides_nothing():
    license = LicenseFactory()
    with row_locked(License, license.pk), pytest.raises(Busy):
        licensing.verify_license(license_id=license.pk, by=make_verifier(), source="board")
    assert License.objects.get(pk=license.pk).status == License.Status.PENDING


def test_an_account_edit_meeting_a_held_row_is_busy_and_writes_nothing():
    user = User.objects.create_user(email="ada@example.com", name="Ada", role="client")
    with row_locked(User, user.pk), pytest.raises(Busy):
        update_account(user=user, name="Ada Lovelace")
    assert User.objects.get(pk=user.pk).name == "Ada"


def test_the_admin_change_form_saves_a_profile_through_the_durable_writer(client):
    # A real transaction here (not a test's): Django's durability check is on, so an
    # admin form wrapped in its own atomic() around the writer would be a RuntimeError.
    admin = User.objects.create_superuser(email="admin@example.com", password="pw")
    therapist = bookable_therapist()
    client.force_login(admin)
    url = reverse("admin:providers_therapist_change", args=[therapist.pk])
    response = client.post(url, {**_admin_change_data(client.get(url)), "session_minutes": "90"})
    assert response.status_code == 302
    assert Therapist.objects.get(pk=therapist.pk).session_minutes == 90


def test_a_profile_edit_inside_a_callers_transaction_is_refused():
    therapist = TherapistFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        profiles.update_profile(therapist=therapist, by=therapist.user, session_minutes=90)
