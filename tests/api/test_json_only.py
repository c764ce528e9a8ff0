"""The API reads JSON only, and every answer under /api/v1/ is JSON (issue 14, items 1 and 7;
PRODUCT.md, JSON API): a form or multipart body is a 415 that changes nothing, malformed
or too-deep JSON a 400, a body over the limit a 413, and Django's own 404, 429 and 500
answers are JSON there too, while the pages keep their HTML error pages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from django.test import Client
from django.urls import get_resolver
from rest_framework.test import APIClient

from booking.models import AvailabilityRule
from providers import api as providers_api
from tests.booking.helpers import bookable_therapist
from therapy_directory.parsers import MAX_JSON_DEPTH

pytestmark = pytest.mark.django_db

HOURS = "/api/v1/me/availability/"
TOKEN = "/api/v1/auth/token/"
WEEKDAYS_9_TO_5 = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]


@pytest.fixture
def therapist():
    return bookable_therapist()


def assert_json_detail(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert isinstance(body, dict) and body.get("detail"), body
    return body


def nested(depth: int) -> str:
    """A JSON array nested ``depth`` deep: [[[...]]]."""
    return "[" * depth + "]" * depth


# --- 415: bodies the API does not read change nothing ------------------------------------


def test_a_form_body_is_a_415_and_leaves_the_weekly_hours_alone(as_user, therapist):
    caller = as_user(therapist.user)
    response = caller.put(
        HOURS,
        "weekday=0&start=09:00&end=17:00",
        content_type="application/x-www-form-urlencoded",
    )
    assert_json_detail(response, 415)
    assert caller.get(HOURS).json() == WEEKDAYS_9_TO_5
    assert AvailabilityRule.objects.filter(therapist=therapist).count() == 5


def test_a_multipart_body_is_a_415_and_leaves_the_weekly_hours_alone(as_user, therapist):
    caller = as_user(therapist.user)
    response = caller.put(HOURS, {"weekday": "0", "start": "09:00"}, format="multipart")
    assert_json_detail(response, 415)
    assert caller.get(HOURS).json() == WEEKDAYS_9_TO_5


def test_a_form_log_in_is_a_415_not_a_token(client_user):
    response = Client().post(TOKEN, {"email": client_user.email, "password": "x"})
    assert_json_detail(response, 415)


# --- 400: JSON the API cannot read --------------------------------------------------------


def test_malformed_json_is_a_400_and_changes_nothing(as_user, therapist):
    caller = as_user(therapist.user)
    response = caller.put(HOURS, '[{"weekday": 0,', content_type="application/json")
    assert "JSON parse error" in assert_json_detail(response, 400)["detail"]
    assert caller.get(HOURS).json() == WEEKDAYS_9_TO_5


def test_json_nested_a_thousand_deep_is_a_400_naming_the_limit(as_user, therapist):
    caller = as_user(therapist.user)
    response = caller.put(HOURS, nested(1000), content_type="application/json")
    detail = assert_json_detail(response, 400)["detail"]
    assert f"{MAX_JSON_DEPTH} levels" in detail
    assert caller.get(HOURS).json() == WEEKDAYS_9_TO_5


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1000, 100_000])
def test_deep_json_on_the_anonymous_token_endpoint_is_a_400(depth):
    response = APIClient().post(
        TOKEN, '{"email": ' + nested(depth) + "}", content_type="application/json"
    )
    assert f"{MAX_JSON_DEPTH} levels" in assert_json_detail(response, 400)["detail"]


def test_json_as_deep_as_the_limit_is_read(api):
    body = {"email": json.loads(nested(MAX_JSON_DEPTH - 1)), "password": "x"}
    response = api.post(TOKEN, body, format="json")
    assert response.status_code == 400
    assert "email" in response.json()  # the field's error: the body was read


# --- 413: a body over the documented limit ------------------------------------------------


def test_a_body_over_the_limit_is_a_413_in_json(as_user, therapist):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < 3_000_000
    caller = as_user(therapist.user)
    body = json.dumps([{"weekday": 0, "start": "09:00", "end": "17:00", "x": "y" * 3_000_000}])
    response = caller.put(HOURS, body, content_type="application/json")
    assert "KiB" in assert_json_detail(response, 413)["detail"]
    assert caller.get(HOURS).json() == WEEKDAYS_9_TO_5


# --- Django's own answers under /api/v1/ --------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/no-such-thing/",
        "/api/v1/bookings/abc/",
        "/api/v1/me/calendar.ics/x/",
        "/api/v1/",  # nothing matches here: Django's own 404 (handler404)
        "/api/v2/therapists/",
    ],
)
def test_an_unknown_api_address_is_a_404_in_json(path):
    assert_json_detail(Client().get(path), 404)


ERRORS = [
    (400, SuspiciousOperation("bad")),
    (413, RequestDataTooBig("big")),
    (403, PermissionDenied()),
    (404, Http404()),
    (500, None),
]


@pytest.mark.parametrize(("status", "exception"), ERRORS)
def test_djangos_error_answers_are_json_under_the_api(rf, status, exception):
    """Raised outside the API's views (a middleware, Django's body check): the handlers
    therapy_directory/urls.py names."""
    code = 400 if status == 413 else status
    handler = get_resolver().resolve_error_handler(code)
    request = rf.get("/api/v1/anything/")
    response = handler(request) if code == 500 else handler(request, exception)
    assert_json_detail(response, status)


@pytest.mark.parametrize(("status", "exception"), ERRORS)
def test_djangos_error_answers_elsewhere_are_the_html_pages(rf, status, exception):
    code = 400 if status == 413 else status
    handler = get_resolver().resolve_error_handler(code)
    request = rf.get("/therapists/")
    request.user = AnonymousUser()
    response = handler(request) if code == 500 else handler(request, exception)
    assert response.status_code == status  # a body over the limit: the 413 page
    assert response["Content-Type"].startswith("text/html")
    assert b"<html" in response.content


def test_a_server_error_under_the_api_is_a_500_in_json(monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(providers_api.ModalityList, "get", explode)
    response = Client(raise_request_exception=False).get("/api/v1/modalities/")
    body = assert_json_detail(response, 500)
    assert "a bug" not in body["detail"]


def test_a_locked_out_token_request_is_a_429_in_json(client_user):
    caller = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        caller.post(TOKEN, {"email": client_user.email, "password": "wrong"}, format="json")
    response = caller.post(TOKEN, {"email": client_user.email, "password": "wrong"}, format="json")
    assert_json_detail(response, 429)
    assert response["Retry-After"]


def test_the_calendar_feed_still_answers_and_its_errors_are_json(as_user, therapist):
    feed = as_user(therapist.user).get("/api/v1/me/calendar.ics", HTTP_ACCEPT="text/calendar")
    assert feed.status_code == 200
    assert feed["Content-Type"].startswith("text/calendar")
    assert feed.content.startswith(b"BEGIN:VCALENDAR")
    anonymous = APIClient().get("/api/v1/me/calendar.ics", HTTP_ACCEPT="text/calendar")
    assert_json_detail(anonymous, 401)


# --- The schema ---------------------------------------------------------------------------


def test_the_schema_advertises_json_request_bodies_only(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = json.loads(response.content)["paths"]
    media_types = {
        media
        for operations in paths.values()
        for operation in operations.values()
        for media in operation.get("requestBody", {}).get("content", {})
    }
    assert media_types == {"application/json"}


def test_the_readme_states_the_body_limit_in_force():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    mib = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
    assert f"**{mib:g} MiB** (`DATA_UPLOAD_MAX_MEMORY_SIZE`" in readme


def test_the_api_settings_import_in_a_fresh_process():
    """DRF imports the parser while it imports its views: the parser's module must not
    import them back (a worker started with `celery` met exactly that)."""
    code = (
        "import django; django.setup();"
        "from rest_framework.settings import api_settings as s;"
        "print(s.DEFAULT_PAGINATION_CLASS.__name__, s.DEFAULT_PARSER_CLASSES[0].__name__)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "therapy_directory.settings"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.split() == ["StrictPageNumberPagination", "StrictJSONParser"], done.stderr
