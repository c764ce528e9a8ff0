"""Tokens that die (issue 14, item 4): ``POST auth/logout/`` revokes the caller's API
token; a password change or reset revokes every token of the account and replaces its
calendar-feed address; ``auth/token/`` then issues a new key."""

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import services
from accounts.models import User
from booking import calendar
from booking.models import CalendarFeed
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGOUT = "/api/v1/auth/logout/"
TOKEN = "/api/v1/auth/token/"
ME = "/api/v1/me/"
NEW_PASSWORD = "a brand new passphrase 42"


def with_key(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def new_token(user, password=PASSWORD) -> str:
    response = APIClient().post(TOKEN, {"email": user.email, "password": password})
    assert response.status_code == 200, response.content
    return response.json()["token"]


def feed_url(feed: CalendarFeed) -> str:
    return reverse("booking:calendar_feed", args=[feed.token])


# --- POST auth/logout/ -------------------------------------------------------------------------


def test_logging_out_of_the_api_revokes_the_callers_token(client_user):
    key = new_token(client_user)
    response = with_key(key).post(LOGOUT)
    assert response.status_code == 204
    assert response.content == b""
    assert with_key(key).get(ME).status_code == 401
    fresh = new_token(client_user)
    assert fresh != key
    assert with_key(fresh).get(ME).status_code == 200


def test_logging_out_with_the_session_ends_it_and_revokes_the_token(client_user):
    key = new_token(client_user)
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(client_user)
    api.get(reverse("accounts:account"))  # a page with a form sets the CSRF cookie
    csrf = api.cookies["csrftoken"].value
    response = api.post(LOGOUT, HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 204
    assert api.get(ME).status_code == 401  # the session is over
    assert with_key(key).get(ME).status_code == 401


def test_a_session_log_out_without_the_csrf_token_is_refused_and_changes_nothing(client_user):
    key = new_token(client_user)
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(client_user)
    assert api.post(LOGOUT).status_code == 403
    assert api.get(ME).status_code == 200
    assert with_key(key).get(ME).status_code == 200


def test_logging_out_needs_a_signed_in_caller(api):
    assert api.post(LOGOUT).status_code in (401, 403)
    assert with_key("not-a-key").post(LOGOUT).status_code == 401


def test_logging_out_leaves_other_accounts_tokens_alone(client_user):
    other = UserFactory()
    others_key = new_token(other)
    with_key(new_token(client_user)).post(LOGOUT)
    assert with_key(others_key).get(ME).status_code == 200


def test_logging_out_of_the_api_leaves_the_calendar_feed(client_user, client):
    feed = calendar.rotate_feed(user=client_user)
    with_key(new_token(client_user)).post(LOGOUT)
    assert client.get(feed_url(feed)).status_code == 200


def test_the_page_log_out_ends_the_session_only(client, client_user):
    """PRODUCT.md: ``auth/logout/`` revokes the token; the page's log-out ends the
    browser's session and leaves the programs the person connected with a token."""
    key = new_token(client_user)
    client.force_login(client_user)
    client.post(reverse("accounts:logout"))
    assert with_key(key).get(ME).status_code == 200


def test_the_schema_documents_logout_as_a_204_with_no_body(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/auth/logout/"]["post"]
    assert "requestBody" not in operation
    assert "200" not in operation["responses"]
    assert "content" not in operation["responses"]["204"]


# --- A new password ----------------------------------------------------------------------------


def change_password_on_the_page(client, user):
    client.force_login(user)
    return client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )


def reset_password_by_e_mail(client, user, capture):
    with capture(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": user.email})
    link = next(line for line in mail.outbox[-1].body.splitlines() if "/accounts/reset/" in line)
    form_page = client.get(link.strip(), follow=True)
    return client.post(
        form_page.request["PATH_INFO"],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )


def test_a_password_change_kills_every_token_and_the_feed_address(client, client_user):
    key = new_token(client_user)
    old_feed = calendar.rotate_feed(user=client_user).token
    response = change_password_on_the_page(client, client_user)
    assert response.status_code == 302
    assert with_key(key).get(ME).status_code == 401
    assert not Token.objects.filter(user=client_user).exists()
    assert client.get(reverse("booking:calendar_feed", args=[old_feed])).status_code == 404
    new_feed = CalendarFeed.objects.get(user=client_user)
    assert new_feed.token != old_feed
    assert client.get(feed_url(new_feed)).status_code == 200
    # The old password no longer gets a key; the new one gets a new key.
    assert (
        APIClient().post(TOKEN, {"email": client_user.email, "password": PASSWORD}).status_code
        == 400
    )
    fresh = new_token(client_user, NEW_PASSWORD)
    assert fresh != key and with_key(fresh).get(ME).status_code == 200


def test_the_person_changing_their_password_stays_signed_in(client, client_user):
    change_password_on_the_page(client, client_user)
    assert client.get(reverse("accounts:account")).status_code == 200


def test_a_password_reset_kills_every_token_and_the_feed_address(
    client, client_user, django_capture_on_commit_callbacks
):
    key = new_token(client_user)
    old_feed = calendar.rotate_feed(user=client_user).token
    response = reset_password_by_e_mail(client, client_user, django_capture_on_commit_callbacks)
    assert response.url == reverse("accounts:password_reset_complete")
    assert with_key(key).get(ME).status_code == 401
    assert client.get(reverse("booking:calendar_feed", args=[old_feed])).status_code == 404
    new_feed = CalendarFeed.objects.get(user=client_user)
    assert client.get(feed_url(new_feed)).status_code == 200
    fresh = new_token(client_user, NEW_PASSWORD)
    assert fresh != key and with_key(fresh).get(ME).status_code == 200


def test_a_new_password_gives_no_feed_to_an_account_that_had_none(
    client, client_user, django_capture_on_commit_callbacks
):
    change_password_on_the_page(client, client_user)
    reset_password_by_e_mail(client, client_user, django_capture_on_commit_callbacks)
    assert not CalendarFeed.objects.filter(user=client_user).exists()


def test_a_refused_password_change_revokes_nothing(client, client_user):
    key = new_token(client_user)
    feed = calendar.rotate_feed(user=client_user)
    client.force_login(client_user)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert with_key(key).get(ME).status_code == 200
    assert client.get(feed_url(feed)).status_code == 200


def test_an_admin_setting_a_password_kills_the_accounts_tokens_and_feed(client, client_user):
    key = new_token(client_user)
    feed = calendar.rotate_feed(user=client_user)
    admin = User.objects.create_superuser(email="admin@example.com", password=PASSWORD)
    client.force_login(admin)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[client_user.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302
    assert with_key(key).get(ME).status_code == 401
    assert client.get(feed_url(feed)).status_code == 404


def test_a_token_asked_for_with_the_old_password_is_not_issued_after_the_change(client_user):
    """``auth/token/`` checks the password, then issues the key: a change committed in
    between must not leave a key made with the old password."""
    authenticated = User.objects.get(pk=client_user.pk)  # as authenticate() returned it
    services.change_password(user=User.objects.get(pk=client_user.pk), password=NEW_PASSWORD)
    with pytest.raises(services.PasswordChangedMeanwhile):
        services.api_token(user=authenticated)
    assert not Token.objects.filter(user=client_user).exists()


@pytest.mark.django_db(transaction=True)
def test_the_password_change_page_commits_for_real_with_its_revocation(client):
    """Outside a test's transaction the services' durable transactions are checked: the
    page must not call them inside a transaction of its own."""
    person = UserFactory()
    key = new_token(person)
    old_feed = calendar.rotate_feed(user=person).token
    assert change_password_on_the_page(client, person).status_code == 302
    assert with_key(key).get(ME).status_code == 401
    assert CalendarFeed.objects.get(user=person).token != old_feed
