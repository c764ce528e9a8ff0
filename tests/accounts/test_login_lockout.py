"""Five failed log-ins for one e-mail from one address pause log-in for 15 minutes,
on the page and on the API token endpoint alike (django-axes)."""

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token/"


def fail_page(client, email, times, ip="203.0.113.7"):
    for _ in range(times):
        response = client.post(LOGIN, {"username": email, "password": "wrong"}, REMOTE_ADDR=ip)
    return response


def page_login(client, email, password=PASSWORD, ip="203.0.113.7"):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip)


def api_token(email, password, ip="203.0.113.7"):
    return APIClient().post(TOKEN, {"email": email, "password": password}, REMOTE_ADDR=ip)


def test_four_failures_still_let_the_right_password_in(client, client_user):
    assert fail_page(client, client_user.email, 4).status_code == 200
    response = page_login(client, client_user.email)
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_the_fifth_failure_locks_the_page_with_a_plain_message(client, client_user):
    response = fail_page(client, client_user.email, 5)
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many failed log-ins for this e-mail" in html
    assert "15 minutes" in html
    assert reverse("accounts:password_reset") in html
    assert response.headers["Retry-After"] == str(15 * 60)


def test_a_locked_e_mail_refuses_even_the_right_password(client, client_user):
    fail_page(client, client_user.email, 5)
    response = page_login(client, client_user.email)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_lifts_after_15_minutes(client, client_user):
    with time_machine.travel(dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC), tick=False):
        fail_page(client, client_user.email, 5)
        assert page_login(client, client_user.email).status_code == 429
    with time_machine.travel(dt.datetime(2026, 3, 2, 12, 16, tzinfo=dt.UTC), tick=False):
        assert page_login(client, client_user.email).status_code == 302


def test_changing_the_case_of_the_e_mail_buys_no_fresh_guesses(client, client_user):
    for email in [client_user.email.upper(), client_user.email.title(), client_user.email]:
        fail_page(client, email, 2)
    assert page_login(client, client_user.email).status_code == 429


def test_the_lock_holds_for_that_address_only_so_the_owner_can_still_log_in(client, client_user):
    fail_page(client, client_user.email, 5, ip="203.0.113.7")
    assert page_login(client, client_user.email, ip="198.51.100.20").status_code == 302


def test_one_address_failing_on_one_account_does_not_lock_another(client, client_user):
    from tests.factories import UserFactory

    other = UserFactory(email="other@example.com")
    fail_page(client, client_user.email, 5)
    assert page_login(client, other.email).status_code == 302


def test_success_resets_the_count(client, client_user):
    fail_page(client, client_user.email, 4)
    assert page_login(client, client_user.email).status_code == 302
    client.post(reverse("accounts:logout"))
    assert fail_page(client, client_user.email, 4).status_code == 200
    assert page_login(client, client_user.email).status_code == 302


def test_an_unknown_e_mail_locks_the_same_way_so_the_lock_reveals_nothing(client):
    assert fail_page(client, "nobody@example.com", 5).status_code == 429


# --- API token endpoint -----------------------------------------------------------------


def test_the_api_token_endpoint_locks_after_five_failures_with_a_429(client_user):
    for _ in range(4):
        assert api_token(client_user.email, "wrong").status_code == 400
    response = api_token(client_user.email, "wrong")
    assert response.status_code == 429
    assert response.headers["Content-Type"] == "application/json"
    assert "Too many failed log-ins" in response.json()["detail"]
    assert response.headers["Retry-After"] == str(15 * 60)
    locked = api_token(client_user.email, PASSWORD)
    assert locked.status_code == 429
    assert "token" not in locked.json()


def test_the_page_and_the_api_share_one_count(client, client_user):
    fail_page(client, client_user.email, 3)
    api_token(client_user.email, "wrong")
    api_token(client_user.email, "wrong")
    assert page_login(client, client_user.email).status_code == 429


def test_a_token_issued_resets_the_count_and_records_the_log_in(client_user):
    for _ in range(4):
        api_token(client_user.email, "wrong")
    assert AccessAttempt.objects.filter(failures_since_start=4).exists()
    assert api_token(client_user.email, PASSWORD).status_code == 200
    assert not AccessAttempt.objects.exists()
    client_user.refresh_from_db()
    assert client_user.last_login is not None
    for _ in range(4):
        assert api_token(client_user.email, "wrong").status_code == 400
    assert api_token(client_user.email, PASSWORD).status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_one_locked(
    client, client_user, settings
):
    settings.RAPPORT_TRUSTED_PROXIES = 1
    for _ in range(5):
        client.post(
            LOGIN,
            {"username": client_user.email, "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="forged, 203.0.113.7",
        )
    from_attacker = client.post(
        LOGIN,
        {"username": client_user.email, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="other-forgery, 203.0.113.7",
    )
    assert from_attacker.status_code == 429
    from_owner = client.post(
        LOGIN,
        {"username": client_user.email, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )
    assert from_owner.status_code == 302
