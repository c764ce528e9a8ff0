"""An account's name is one line (issue 14, item 9): it goes into reminder e-mails, so a
line break would let someone add a line of their own. The sign-up page, the account page,
``auth/register/`` and ``me/`` refuse it with an error on ``name`` and change nothing."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import SignupRequest, User
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def as_user(user) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return api


BROKEN = [
    "Ana Ruiz\r\nClick http://evil.example",
    "Ana Ruiz\nClick http://evil.example",
    "Ana Ruiz\rClick",
    "Ana Ruiz\u2028Click",
]


@pytest.mark.parametrize("name", BROKEN)
def test_the_sign_up_page_refuses_a_name_with_a_line_break(client, name):
    response = client.post(
        reverse("accounts:signup"),
        {
            "role": "client",
            "name": name,
            "email": "ana@example.com",
            "state": "NY",
            "timezone": "America/New_York",
        },
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["name"]
    assert not SignupRequest.objects.exists()


@pytest.mark.parametrize("name", BROKEN)
def test_the_account_page_refuses_a_name_with_a_line_break(client, client_user, name):
    before = client_user.name
    client.force_login(client_user)
    response = client.post(
        reverse("accounts:account"),
        {"name": name, "state": "NY", "timezone": "America/New_York", "email_reminders": "on"},
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["name"]
    assert User.objects.get(pk=client_user.pk).name == before


@pytest.mark.parametrize("name", BROKEN)
def test_registering_through_the_api_refuses_a_name_with_a_line_break(name):
    response = APIClient().post(
        "/api/v1/auth/register/",
        {
            "email": "ana@example.com",
            "password": PASSWORD,
            "name": name,
            "role": "client",
            "state": "NY",
            "timezone": "America/New_York",
        },
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["name"]
    assert not User.objects.exists()


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize("name", BROKEN)
def test_me_refuses_a_name_with_a_line_break(client_user, name, method):
    before = client_user.name
    body = {"name": name, "state": "NY", "timezone": "America/New_York"}
    response = getattr(as_user(client_user), method)("/api/v1/me/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["name"]
    assert User.objects.get(pk=client_user.pk).name == before


def test_a_one_line_name_is_still_saved(client_user):
    response = as_user(client_user).patch("/api/v1/me/", {"name": "Ana Ruiz"}, format="json")
    assert response.status_code == 200
    assert User.objects.get(pk=client_user.pk).name == "Ana Ruiz"
