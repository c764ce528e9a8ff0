import pytest

from tests.factories import make_verifier

pytestmark = pytest.mark.django_db


def test_therapist_sessions_end_after_30_idle_minutes(client, therapist_user):
    client.force_login(therapist_user)
    client.get("/therapists/")
    assert client.session.get_expiry_age() == 30 * 60


def test_staff_sessions_end_after_30_idle_minutes(client):
    client.force_login(make_verifier())
    client.get("/staff/licenses/")
    assert client.session.get_expiry_age() == 30 * 60


def test_client_sessions_keep_the_usual_length(client, client_user, settings):
    client.force_login(client_user)
    client.get("/therapists/")
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
