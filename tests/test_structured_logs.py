"""One JSON log line per request and per Celery task, with no client data in it."""

import io
import json
import logging

import pytest
from django.conf import settings
from django.urls import reverse

from booking.models import CalendarFeed
from notifications.tasks import send_email
from tests.factories import PASSWORD, UserFactory
from therapy_directory.structured_logs import JsonFormatter

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_output():
    """Everything logged during the test, formatted as production formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def lines(stream) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def request_lines(stream) -> list[dict]:
    return [line for line in lines(stream) if line["logger"] == "rapport.request"]


@pytest.fixture
def person(db):
    return UserFactory(name="Zelda Quixotic", email="zelda.quixotic@example.com", state="NY")


def test_logging_is_configured_as_json_lines():
    assert settings.LOGGING["handlers"]["console"]["formatter"] == "json"
    root_formatters = [h.formatter for h in logging.getLogger().handlers]
    assert any(isinstance(f, JsonFormatter) for f in root_formatters)


def test_a_request_writes_one_json_line_with_what_operators_need(client, person, log_output):
    client.force_login(person)
    response = client.get("/therapists/", {"state": "NY", "q": "Zelda Quixotic"})
    assert response.status_code == 200
    [line] = request_lines(log_output)
    assert line["method"] == "GET"
    assert line["path"] == "/therapists/"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["user_id"] == person.pk
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert len(line["request_id"]) == 32


def test_no_e_mail_name_or_query_string_reaches_the_logs(client, person, log_output):
    client.force_login(person)
    client.get("/therapists/", {"state": "NY", "q": "Zelda Quixotic"})
    client.get("/api/v1/me/")
    client.post(reverse("accounts:logout"))
    for _ in range(6):  # failed log-ins, up to the lock-out (axes logs too)
        client.post(reverse("accounts:login"), {"username": person.email, "password": "not it"})
    client.post(
        "/api/v1/auth/token/", {"email": person.email, "password": PASSWORD},
        content_type="application/json",
    )  # fmt: skip
    output = log_output.getvalue()
    assert len(request_lines(log_output)) == 10
    for secret in ["zelda", "Zelda", "Quixotic", "example.com", "q=", "not it", PASSWORD]:
        assert secret not in output, f"{secret!r} leaked into the logs"


def test_an_anonymous_request_logs_no_user_and_a_404_its_status(client, log_output):
    client.get("/therapists/nobody-here/")
    [line] = request_lines(log_output)
    assert line["user_id"] is None
    assert line["status"] == 404


def test_an_api_call_by_token_logs_the_token_user(person, log_output):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=person).key}")
    assert api.get("/api/v1/me/").status_code == 200
    [line] = request_lines(log_output)
    assert (line["path"], line["user_id"]) == ("/api/v1/me/", person.pk)


def test_a_proxy_request_id_is_kept_and_a_malformed_one_replaced(client, log_output):
    kept = client.get("/healthz", headers={"x-request-id": "lb-7f3a9c2e-0001"})
    forged = client.get("/healthz", headers={"x-request-id": '"}\n{"evil": 1'})
    first, second = request_lines(log_output)
    assert kept.headers["X-Request-ID"] == first["request_id"] == "lb-7f3a9c2e-0001"
    assert second["request_id"] == forged.headers["X-Request-ID"] != '"}\n{"evil": 1'
    assert "evil" not in log_output.getvalue()


def test_the_private_calendar_address_is_masked_in_the_log(client, person, log_output):
    feed = CalendarFeed.objects.create(user=person)
    assert client.get(reverse("booking:calendar_feed", args=[feed.token])).status_code == 200
    [line] = request_lines(log_output)
    assert line["path"] == "/calendar/<token>.ics"
    assert feed.token not in log_output.getvalue()


def test_a_task_writes_one_json_line_with_name_id_state_and_duration(log_output):
    result = send_email.delay(
        to=["zelda.quixotic@example.com"], subject="Zelda's reminder", body="Hi Zelda"
    )
    [line] = [entry for entry in lines(log_output) if entry["logger"] == "rapport.task"]
    assert line["task"] == "notifications.tasks.send_email"
    assert line["task_id"] == result.id
    assert line["state"] == "SUCCESS"
    assert isinstance(line["duration_ms"], float)
    assert "zelda" not in log_output.getvalue().lower()


def test_a_failed_task_logs_its_state_and_the_error_type_only(settings, log_output):
    from therapy_directory.celery import app

    settings.EMAIL_BACKEND = "tests.test_structured_logs.RefusingBackend"
    app.conf.task_eager_propagates = False
    send_email.apply(kwargs={"to": ["zelda@example.com"], "subject": "s", "body": "b"})
    task_lines = [entry for entry in lines(log_output) if entry["logger"] == "rapport.task"]
    failure = next(entry for entry in task_lines if entry["message"] == "task failed")
    assert failure["state"] == "FAILURE"
    assert failure["error"] == failure["exception"] == "ValueError"
    assert "send_messages" in failure["traceback"]
    assert "zelda" not in log_output.getvalue()


def test_a_server_error_logs_the_frames_but_not_the_exception_text(person, log_output):
    try:
        raise ValueError(f"{person.email} is not welcome here")
    except ValueError:
        logging.getLogger("django.request").exception("Internal Server Error: /x/")
    [line] = [entry for entry in lines(log_output) if entry["logger"] == "django.request"]
    assert line["exception"] == "ValueError"
    assert "test_a_server_error_logs_the_frames" in line["traceback"]
    assert "zelda" not in log_output.getvalue()


class RefusingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ValueError(f"refused {messages[0].to}")


def test_password_reset_and_sign_up_links_are_masked_in_the_log(client, log_output):
    client.get("/accounts/reset/MTIz/c2v1fa-0123456789abcdef0123456789abcdef/")
    client.get("/accounts/signup/finish/s3cr3t-sign-up-token/")
    paths = [line["path"] for line in request_lines(log_output)]
    assert paths == ["/accounts/reset/<uidb64>/<token>/", "/accounts/signup/finish/<token>/"]
    assert "s3cr3t" not in log_output.getvalue()
    assert "0123456789abcdef" not in log_output.getvalue()


def test_links_redirected_before_routing_are_masked_too(client, log_output):
    # No trailing slash: CommonMiddleware redirects before the URL is resolved.
    response = client.get("/accounts/signup/finish/s3cr3t-sign-up-token")
    assert response.status_code == 301
    assert [line["path"] for line in request_lines(log_output)] == [
        "/accounts/signup/finish/<token>"
    ]
    assert "s3cr3t" not in log_output.getvalue()
