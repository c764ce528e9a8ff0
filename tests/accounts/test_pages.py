import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from accounts.models import User
from providers.models import Therapist
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

CRISIS_LINES = ["988", "Suicide &amp; Crisis Lifeline", "988lifeline.org", "741741", "911"]


def assert_crisis_banner(response):
    html = response.content.decode()
    for line in CRISIS_LINES:
        assert line in html, f"crisis banner lacks {line!r}"
    assert "not an emergency service" in html


def signup_data(**overrides):
    data = {
        "role": "client",
        "name": "Maya Lopez",
        "email": "maya@example.com",
        "state": "NY",
        "timezone": "America/New_York",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "url_name",
    [
        "providers:search",
        "accounts:login",
        "accounts:signup",
        "accounts:password_reset",
        "accounts:password_reset_done",
        "accounts:password_reset_complete",
    ],
)
def test_every_public_page_shows_the_988_crisis_banner(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert_crisis_banner(response)


def test_the_account_page_shows_the_988_crisis_banner(client, client_user):
    client.force_login(client_user)
    assert_crisis_banner(client.get(reverse("accounts:account")))


def test_a_404_page_is_no_server_error(client):
    assert client.get("/therapists/nobody-here/").status_code == 404


def sign_up(client, capture, **overrides):
    """Fill in the sign-up page; return the page reached and the e-mails it queued."""
    mail.outbox.clear()
    with capture(execute=True):
        response = client.post(reverse("accounts:signup"), signup_data(**overrides))
    return response, list(mail.outbox)


def link_in(message) -> str:
    line = next(line for line in message.body.splitlines() if "/accounts/signup/finish/" in line)
    return line.strip().removeprefix(settings.SITE_URL.rstrip("/"))


def finish(client, message, password=PASSWORD, password2=None):
    return client.post(
        link_in(message), {"password1": password, "password2": password2 or password}
    )


def test_signing_up_e_mails_a_link_and_makes_no_account_yet(
    client, django_capture_on_commit_callbacks
):
    response, sent = sign_up(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response.url == reverse("accounts:signup_sent")
    assert not User.objects.exists()
    assert [m.to for m in sent] == [["maya@example.com"]]
    assert "choose your password" in sent[0].body
    assert "_auth_user_id" not in client.session


def test_signing_up_as_a_client_logs_in_and_goes_to_the_search_for_their_state(
    client, django_capture_on_commit_callbacks
):
    _, sent = sign_up(client, django_capture_on_commit_callbacks)
    form_page = client.get(link_in(sent[0]))
    assert form_page.status_code == 200
    assert "maya@example.com" in form_page.content.decode()
    assert not User.objects.exists(), "opening the link (as mail scanners do) changes nothing"
    response = finish(client, sent[0])
    assert response.status_code == 302
    assert response.url == reverse("accounts:home")
    user = User.objects.get(email="maya@example.com")
    assert user.role == User.Role.CLIENT
    assert user.state == "NY"
    assert user.check_password(PASSWORD)
    assert not Therapist.objects.filter(user=user).exists()
    home = client.get(response.url)
    assert home.url == reverse("providers:search") + "?state=NY"


def test_signing_up_as_a_therapist_creates_their_profile_and_opens_the_dashboard(
    client, django_capture_on_commit_callbacks
):
    _, sent = sign_up(
        client,
        django_capture_on_commit_callbacks,
        role="therapist",
        name="Dr. Ana Ruiz",
        email="ana@example.com",
    )
    assert finish(client, sent[0]).status_code == 302
    therapist = Therapist.objects.get(user__email="ana@example.com")
    assert therapist.display_name == "Dr. Ana Ruiz"
    assert client.get(reverse("accounts:home")).url == reverse("booking:dashboard_home")


def test_signup_without_a_time_zone_takes_the_usual_zone_of_the_state(
    client, django_capture_on_commit_callbacks
):
    _, sent = sign_up(client, django_capture_on_commit_callbacks, state="CA", timezone="")
    finish(client, sent[0])
    assert User.objects.get(email="maya@example.com").timezone == "America/Los_Angeles"


def test_choosing_mismatched_passwords_shows_the_error_beside_the_second(
    client, django_capture_on_commit_callbacks
):
    _, sent = sign_up(client, django_capture_on_commit_callbacks)
    response = finish(client, sent[0], password2="something else")
    assert response.status_code == 200
    assert response.context["form"].errors["password2"]
    assert 'id="id_password2_error"' in response.content.decode()
    assert not User.objects.exists()


def test_choosing_a_weak_password_is_refused_with_the_reason(
    client, django_capture_on_commit_callbacks
):
    _, sent = sign_up(client, django_capture_on_commit_callbacks)
    response = finish(client, sent[0], password="12345678")
    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    assert not User.objects.exists()


def test_a_sign_up_link_works_once(client, django_capture_on_commit_callbacks):
    _, sent = sign_up(client, django_capture_on_commit_callbacks)
    finish(client, sent[0])
    client.post(reverse("accounts:logout"))
    again = client.get(link_in(sent[0]))
    assert again.status_code == 404
    assert "This link no longer works" in again.content.decode()
    assert finish(client, sent[0], password="another passphrase 77").status_code == 404
    assert User.objects.get().check_password(PASSWORD)


def test_a_sign_up_link_expires_with_the_password_reset_timeout(
    client, django_capture_on_commit_callbacks, settings
):
    _, sent = sign_up(client, django_capture_on_commit_callbacks)
    settings.PASSWORD_RESET_TIMEOUT = 0
    assert client.get(link_in(sent[0])).status_code == 404


def test_a_made_up_sign_up_link_is_a_plain_404(client):
    response = client.get(reverse("accounts:signup_confirm", args=["made-up"]))
    assert response.status_code == 404
    assert "This link no longer works" in response.content.decode()


def test_signup_with_an_address_in_use_looks_the_same_and_warns_its_owner(
    client, client_user, django_capture_on_commit_callbacks
):
    new, _ = sign_up(client, django_capture_on_commit_callbacks, email="fresh@example.com")
    taken, sent = sign_up(
        client, django_capture_on_commit_callbacks, email=client_user.email.upper()
    )
    assert (taken.status_code, taken.url) == (new.status_code, new.url)
    assert client.get(taken.url).content == client.get(new.url).content
    assert [m.to for m in sent] == [[client_user.email]]
    assert "tried to sign up" in sent[0].subject
    assert "/accounts/signup/finish/" not in sent[0].body
    assert reverse("accounts:password_reset") in sent[0].body
    assert User.objects.count() == 1
    client_user.refresh_from_db()
    assert client_user.check_password(PASSWORD)


def test_a_second_link_for_an_address_that_signed_up_meanwhile_makes_no_second_account(
    client, django_capture_on_commit_callbacks
):
    _, first = sign_up(client, django_capture_on_commit_callbacks)
    _, second = sign_up(client, django_capture_on_commit_callbacks, name="Someone Else")
    finish(client, first[0])
    client.post(reverse("accounts:logout"))
    assert finish(client, second[0], password="another passphrase 77").status_code == 404
    assert User.objects.get().name == "Maya Lopez"


def test_signup_never_creates_staff(client):
    response = client.post(reverse("accounts:signup"), signup_data(role="staff"))
    assert "role" in response.context["form"].errors
    assert not User.objects.exists()


def test_logging_in_by_email_opens_the_home_redirect(client, client_user):
    response = client.post(
        reverse("accounts:login"), {"username": client_user.email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:home")
    assert client.get(reverse("accounts:account")).status_code == 200


def test_the_login_field_is_labelled_email(client):
    html = client.get(reverse("accounts:login")).content.decode()
    assert '<label for="id_username">E-mail' in html


def test_a_wrong_password_shows_an_error_and_does_not_log_in(client, client_user):
    response = client.post(
        reverse("accounts:login"), {"username": client_user.email, "password": "wrong"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


def test_logging_out_takes_a_post_and_ends_the_session(client, client_user):
    client.force_login(client_user)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response.url == reverse("providers:search")
    assert "_auth_user_id" not in client.session


def test_logging_out_by_get_is_not_allowed(client, client_user):
    client.force_login(client_user)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert "_auth_user_id" in client.session


def test_the_account_page_saves_name_state_and_time_zone(client, client_user):
    client.force_login(client_user)
    response = client.post(
        reverse("accounts:account"),
        {"name": "New Name", "state": "CA", "timezone": "America/Los_Angeles"},
    )
    assert response.status_code == 302
    client_user.refresh_from_db()
    assert (client_user.name, client_user.state, client_user.timezone) == (
        "New Name",
        "CA",
        "America/Los_Angeles",
    )


def test_the_account_page_rejects_a_bad_time_zone(client, client_user):
    client.force_login(client_user)
    response = client.post(
        reverse("accounts:account"), {"name": "X", "state": "NY", "timezone": "Mars/Olympus"}
    )
    assert response.status_code == 200
    assert "timezone" in response.context["form"].errors
    assert 'aria-describedby="id_timezone_error' in response.content.decode()
    client_user.refresh_from_db()
    assert client_user.timezone == "America/New_York"


def test_the_account_page_shows_the_email_read_only(client, client_user):
    client.force_login(client_user)
    response = client.get(reverse("accounts:account"))
    assert client_user.email in response.content.decode()
    assert "email" not in response.context["form"].fields


def test_the_account_page_needs_a_login(client):
    response = client.get(reverse("accounts:account"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_password_reset_emails_a_link_to_a_known_address(
    client, client_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": client_user.email})
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [client_user.email]
    assert "/accounts/reset/" in message.body


def test_password_reset_shows_the_same_page_for_an_unknown_address(
    client, client_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(
            reverse("accounts:password_reset"), {"email": client_user.email}, follow=True
        )
        unknown = client.post(
            reverse("accounts:password_reset"), {"email": "nobody@example.com"}, follow=True
        )
    assert unknown.redirect_chain == known.redirect_chain
    assert unknown.content == known.content
    assert len(mail.outbox) == 1


def test_password_reset_mail_leaves_through_the_queue_after_the_request(
    client, client_user, django_capture_on_commit_callbacks
):
    """Sending over SMTP inside the request would make a known address answer slower."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("accounts:password_reset"), {"email": client_user.email})
    assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert mail.outbox[0].to == [client_user.email]


def test_the_password_reset_link_lets_the_person_choose_a_new_password(
    client, client_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": client_user.email})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line)
    form_page = client.get(link.strip(), follow=True)
    new = "a brand new passphrase 42"
    response = client.post(
        form_page.request["PATH_INFO"], {"new_password1": new, "new_password2": new}
    )
    assert response.url == reverse("accounts:password_reset_complete")
    client_user.refresh_from_db()
    assert client_user.check_password(new)


def test_staff_who_verify_licenses_start_at_the_queue(client, staff_verifier):
    client.force_login(staff_verifier)
    assert client.get(reverse("accounts:home")).url == reverse("providers:staff_licenses")


def test_a_client_without_a_state_starts_at_the_plain_search(client):
    user = UserFactory(state="")
    client.force_login(user)
    assert client.get(reverse("accounts:home")).url == reverse("providers:search")


def test_the_admin_lists_and_adds_users_by_email(client):
    admin = UserFactory(role="staff", is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_user_change", args=[admin.pk])).status_code == 200
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "new.staff@example.com",
            "name": "New Staff",
            "role": "staff",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    assert User.objects.filter(email="new.staff@example.com").exists()
