"""One normalisation of e-mail addresses (issue 14, item 3): sign-up, log-in, the lockout,
password reset and account look-ups all use ``accounts.email_addresses.normalise_email``
(strip, NFKC, lower-case), new addresses must be plain ASCII, and accounts are found by
exact equality, so Unicode look-alikes neither reach an account nor buy fresh guesses."""

import importlib

import pytest
from django.apps import apps
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.email_addresses import normalise_email
from accounts.models import SignupRequest, User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token/"
REGISTER = "/api/v1/auth/register/"
IP = "203.0.113.7"

LISA = "lisa.sims@example.com"
DOTLESS_I = "l\u0131sa.sims@example.com"  # lısa: NFKC keeps the dotless ı
LONG_S = "li\u017fa.sims@example.com"  # liſa: NFKC makes it an s
FULLWIDTH = "\uff4c\uff49\uff53\uff41.sims@example.com"  # ｌｉｓａ: NFKC makes it lisa


@pytest.fixture
def lisa():
    return UserFactory(email=LISA)


def page_login(client, email, password=PASSWORD):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=IP)


def token(email, password=PASSWORD):
    return APIClient().post(TOKEN, {"email": email, "password": password}, REMOTE_ADDR=IP)


def lock_out(client, email=LISA):
    for _ in range(5):
        page_login(client, email, "wrong")


# --- The rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("  Lisa.Sims@Example.COM \n", LISA),
        (LONG_S, LISA),
        (FULLWIDTH, LISA),
        ("lisa.sims\uff20example.com", LISA),  # fullwidth @
        (DOTLESS_I, DOTLESS_I),  # not plain: refused at sign-up, matches no account
    ],
)
def test_the_normalisation_strips_applies_nfkc_and_lower_cases(typed, stored):
    assert normalise_email(typed) == stored
    assert normalise_email(stored) == stored  # idempotent


def test_accounts_are_stored_normalised():
    user = User.objects.create_user(email="  Lisa.Sims@EXAMPLE.com ", password=PASSWORD)
    assert User.objects.get(pk=user.pk).email == LISA


def test_the_account_look_up_is_exact_on_the_normalised_address(lisa):
    assert User.objects.get_by_natural_key(FULLWIDTH) == lisa
    assert User.objects.get_by_natural_key("LISA.SIMS@example.com") == lisa
    for look_alike in (DOTLESS_I, "L\u0130SA.SIMS@example.com"):  # ı, İ
        with pytest.raises(User.DoesNotExist):
            User.objects.get_by_natural_key(look_alike)


# --- Log-in and the lockout --------------------------------------------------------------------


def test_a_dotless_i_does_not_log_in_to_the_plain_account(client, lisa):
    response = page_login(client, DOTLESS_I)
    assert response.status_code == 200  # the "don't match an account" form
    assert "_auth_user_id" not in client.session
    assert token(DOTLESS_I).status_code == 400


@pytest.mark.parametrize("look_alike", [DOTLESS_I, LONG_S, FULLWIDTH], ids=["ı", "ſ", "fullwidth"])
def test_after_a_lockout_no_look_alike_reaches_the_account(client, lisa, look_alike):
    lock_out(client)
    page_login(client, look_alike)
    assert "_auth_user_id" not in client.session
    response = token(look_alike)
    assert response.status_code in (400, 429)
    assert "token" not in response.json()


@pytest.mark.parametrize("look_alike", [LONG_S, FULLWIDTH], ids=["ſ", "fullwidth"])
def test_a_look_alike_that_normalises_to_the_account_shares_its_lock(client, lisa, look_alike):
    lock_out(client)
    assert page_login(client, look_alike).status_code == 429
    assert token(look_alike).status_code == 429


def test_guesses_spread_over_look_alikes_count_as_one_address(client, lisa):
    for email in (LISA, LONG_S, FULLWIDTH, "LISA.SIMS@example.com", LONG_S.upper()):
        page_login(client, email, "wrong")
    assert page_login(client, LISA).status_code == 429


def test_a_look_alike_that_is_a_distinct_address_never_unlocks_the_account(client, lisa):
    lock_out(client)
    # The dotless ı has its own (unknown) key: its guesses reach no account at all...
    for _ in range(3):
        page_login(client, DOTLESS_I, "wrong")
    response = page_login(client, DOTLESS_I)
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)
    # ...and the real address stays locked.
    assert page_login(client, LISA).status_code == 429


def test_a_fullwidth_address_logs_in_to_the_plain_account(client, lisa):
    response = page_login(client, FULLWIDTH)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(lisa.pk)
    assert token(FULLWIDTH).status_code == 200


# --- Sign-up -----------------------------------------------------------------------------------


def signup_data(**overrides):
    return {
        "role": "client",
        "name": "Lisa Sims",
        "email": LISA,
        "state": "NY",
        "timezone": "America/New_York",
    } | overrides


@pytest.mark.parametrize("email", [DOTLESS_I, "dimitri@b\u00fccher.example"], ids=["ı", "idn"])
def test_the_sign_up_page_refuses_an_address_that_is_not_plain(client, email):
    response = client.post(reverse("accounts:signup"), signup_data(email=email))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["email"]
    assert "plain-letter" in errors["email"][0] and "xn--" in errors["email"][0]
    assert not SignupRequest.objects.exists()


def test_the_sign_up_page_stores_a_look_alike_in_its_plain_form(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:signup"), signup_data(email=FULLWIDTH))
    assert response.status_code == 302
    assert SignupRequest.objects.get().email == LISA
    assert mail.outbox[0].to == [LISA]


def test_signing_up_with_a_look_alike_of_an_existing_address_tells_its_owner(
    client, lisa, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:signup"), signup_data(email=LONG_S))
    assert not SignupRequest.objects.exists()
    assert mail.outbox[0].to == [LISA]
    assert "tried to sign up" in mail.outbox[0].subject


def register(email):
    return APIClient().post(
        REGISTER,
        {
            "email": email,
            "password": PASSWORD,
            "name": "Dimitri",
            "role": "client",
            "state": "NY",
            "timezone": "America/New_York",
        },
        format="json",
    )


def test_the_api_refuses_to_register_an_address_that_is_not_plain():
    response = register("d\u0131mitri@example.com")
    assert response.status_code == 400
    assert list(response.json()) == ["email"]
    assert "plain-letter" in response.json()["email"][0]
    assert not User.objects.exists()


@pytest.mark.parametrize("look_alike", [LONG_S, FULLWIDTH, "LISA.SIMS@EXAMPLE.COM"])
def test_the_api_refuses_a_look_alike_of_an_existing_address(lisa, look_alike):
    response = register(look_alike)
    assert response.status_code == 400
    assert list(response.json()) == ["email"]
    assert User.objects.count() == 1


def test_registering_over_an_older_unnormalised_row_is_a_400_not_a_500():
    older = UserFactory()
    User.objects.filter(pk=older.pk).update(email="Lisa.Sims@Example.com")  # as stored once
    response = register(LISA)
    assert response.status_code == 400
    assert list(response.json()) == ["email"]
    assert User.objects.count() == 1


def test_the_api_stores_a_new_look_alike_address_in_its_plain_form():
    response = register("\uff44imitri@example.com")  # ｄimitri
    assert response.status_code == 201
    assert User.objects.get(pk=response.json()["id"]).email == "dimitri@example.com"


def test_createsuperuser_refuses_an_address_that_is_not_plain(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "b\u0131g.boss@example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long enough passphrase")
    with pytest.raises(CommandError, match="plain-letter"):
        call_command("createsuperuser", "--noinput", verbosity=0)
    assert not User.objects.exists()


# --- Password reset ----------------------------------------------------------------------------


def reset(client, email, capture):
    mail.outbox.clear()
    with capture(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": email})
    return response, list(mail.outbox)


def test_password_reset_finds_the_account_by_its_normalised_address(
    client, lisa, django_capture_on_commit_callbacks
):
    response, sent = reset(client, FULLWIDTH, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert [m.to for m in sent] == [[LISA]]


def test_password_reset_for_a_dotless_i_sends_nothing(
    client, lisa, django_capture_on_commit_callbacks
):
    response, sent = reset(client, DOTLESS_I, django_capture_on_commit_callbacks)
    assert response.status_code == 302  # the same page as for any address
    assert sent == []


# --- The migration: existing rows --------------------------------------------------------------


def test_the_migration_normalises_rows_and_reports_near_duplicates_without_merging(capsys):
    migration = importlib.import_module("accounts.migrations.0005_normalise_existing_emails")
    plain, long_s, fullwidth, upper = (UserFactory() for _ in range(4))
    # Rows as older code could have stored them (straight to the table, no normalisation).
    raw = {
        plain: LISA,
        long_s: LONG_S,
        fullwidth: "\uff2d\uff21\uff38@example.com",
        upper: " Nora@Example.COM",
    }
    for user, email in raw.items():
        User.objects.filter(pk=user.pk).update(email=email)
    pending_ok = SignupRequest.objects.create(
        email="New.Person@Example.com",
        name="N",
        role="client",
        timezone="America/New_York",
        token_digest="a" * 64,
    )
    pending_bad = SignupRequest.objects.create(
        email=DOTLESS_I,
        name="L",
        role="client",
        timezone="America/New_York",
        token_digest="b" * 64,
    )

    collisions = migration.normalise_existing_emails(apps, None)

    assert collisions == [sorted([plain.pk, long_s.pk])]
    emails = dict(User.objects.values_list("pk", "email"))
    assert emails[plain.pk] == LISA and emails[long_s.pk] == LONG_S  # left as they were
    assert emails[fullwidth.pk] == "max@example.com"
    assert emails[upper.pk] == "nora@example.com"
    assert SignupRequest.objects.get(pk=pending_ok.pk).email == "new.person@example.com"
    assert not SignupRequest.objects.filter(pk=pending_bad.pk).exists()
    report = capsys.readouterr().out
    assert f"{min(plain.pk, long_s.pk)}, {max(plain.pk, long_s.pk)}" in report
    assert "left as they are" in report
    assert "removed 1 pending sign-up" in report


def test_the_migration_reports_nothing_when_every_address_is_distinct(capsys):
    migration = importlib.import_module("accounts.migrations.0005_normalise_existing_emails")
    UserFactory(email=LISA)
    assert migration.normalise_existing_emails(apps, None) == []
    assert capsys.readouterr().out == ""


def admin_adds(client, email):
    client.force_login(User.objects.create_superuser(email="admin@example.com", password=PASSWORD))
    return client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": email,
            "name": "Nora",
            "role": "client",
            "usable_password": "true",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
        },
    )


def test_the_admin_stores_a_new_address_normalised(client):
    assert admin_adds(client, " \uff2eora@Example.COM").status_code == 302  # Ｎora
    assert User.objects.filter(email="nora@example.com").exists()


def test_the_admin_refuses_an_address_that_is_not_plain(client):
    response = admin_adds(client, "n\u0131na@example.com")
    assert response.status_code == 200
    assert "plain-letter" in response.content.decode()
    assert User.objects.count() == 1  # the admin only


def test_an_older_account_with_a_non_ascii_address_can_still_edit_its_account(client):
    older = UserFactory()
    User.objects.filter(pk=older.pk).update(email=DOTLESS_I)  # stored before the rule
    client.force_login(User.objects.get(pk=older.pk))
    response = client.post(
        reverse("accounts:account"),
        {"name": "Lisa S.", "state": "NY", "timezone": "America/New_York"},
    )
    assert response.status_code == 302
    assert User.objects.get(pk=older.pk).name == "Lisa S."
    # ...and logs in with the address as typed (it normalises to itself).
    client.logout()
    assert page_login(client, DOTLESS_I).status_code == 302
