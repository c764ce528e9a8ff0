import pytest
from rest_framework.authtoken.models import Token

from accounts.models import User
from providers.models import Therapist
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_CLIENT = {
    "email": "Ana@Example.com",
    "password": "a long enough passphrase",
    "name": "Ana Ruiz",
    "role": "client",
    "state": "NY",
    "timezone": "America/New_York",
}


def test_register_creates_an_account_and_returns_its_id_and_token(api):
    response = api.post("/api/v1/auth/register/", NEW_CLIENT, format="json")
    assert response.status_code == 201
    assert set(response.json()) == {"id", "token"}
    user = User.objects.get(pk=response.json()["id"])
    assert user.email == "ana@example.com"
    assert user.role == "client"
    assert Token.objects.get(user=user).key == response.json()["token"]


def test_registering_as_a_therapist_creates_an_unfindable_profile(api):
    body = {**NEW_CLIENT, "role": "therapist", "email": "t@example.com", "state": ""}
    response = api.post("/api/v1/auth/register/", body, format="json")
    assert response.status_code == 201
    therapist = Therapist.objects.get(user_id=response.json()["id"])
    assert therapist.display_name == "Ana Ruiz"
    assert not Therapist.objects.findable().exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"role": "staff"}, "role"),
        ({"state": "ZZ"}, "state"),
        ({"state": ""}, "state"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"password": "123"}, "password"),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_register_rejects_bad_input_field_by_field_and_creates_nothing(api, change, field):
    response = api.post("/api/v1/auth/register/", {**NEW_CLIENT, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not User.objects.exists()


def test_register_refuses_an_email_already_taken_in_any_case(api):
    UserFactory(email="ana@example.com")
    response = api.post("/api/v1/auth/register/", NEW_CLIENT, format="json")
    assert response.status_code == 400
    assert "email" in response.json()


def test_malformed_json_is_a_clear_400(api):
    response = api.post(
        "/api/v1/auth/register/", data='{"email": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert "detail" in response.json()


def test_token_is_issued_for_the_right_password_only(api, client_user):
    ok = api.post("/api/v1/auth/token/", {"email": client_user.email, "password": PASSWORD})
    assert ok.status_code == 200
    assert ok.json() == {"token": Token.objects.get(user=client_user).key}
    bad = api.post("/api/v1/auth/token/", {"email": client_user.email, "password": "nope"})
    assert bad.status_code == 400
    assert "token" not in bad.json()


def test_me_needs_authentication(api):
    assert api.get("/api/v1/me/").status_code == 401


def test_me_shows_the_callers_account(as_user, client_user):
    response = as_user(client_user).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json() == {
        "id": client_user.pk,
        "email": client_user.email,
        "name": client_user.name,
        "role": "client",
        "state": "NY",
        "timezone": "America/New_York",
    }


def test_me_put_updates_name_state_and_zone_but_not_email_or_role(as_user, client_user):
    response = as_user(client_user).put(
        "/api/v1/me/",
        {
            "email": "other@example.com",
            "role": "staff",
            "name": "New Name",
            "state": "CA",
            "timezone": "America/Los_Angeles",
        },
        format="json",
    )
    assert response.status_code == 200
    client_user.refresh_from_db()
    assert (client_user.name, client_user.state, client_user.timezone) == (
        "New Name",
        "CA",
        "America/Los_Angeles",
    )
    assert client_user.email != "other@example.com"
    assert client_user.role == "client"


def test_me_put_with_a_bad_zone_is_a_400_and_changes_nothing(as_user, client_user):
    response = as_user(client_user).put(
        "/api/v1/me/", {"name": "X", "state": "NY", "timezone": "Nowhere/City"}, format="json"
    )
    assert response.status_code == 400
    assert "timezone" in response.json()
    client_user.refresh_from_db()
    assert client_user.name != "X"


def test_session_authentication_works_for_the_site_itself(client, client_user):
    client.force_login(client_user)
    assert client.get("/api/v1/me/").json()["email"] == client_user.email
