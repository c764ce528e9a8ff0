import datetime as dt
import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils.timezone import now

from notifications.models import DispatcherHeartbeat
from tests.workers import redis_url

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def with_redis(settings):
    settings.REDIS_URL = redis_url()
    settings.CELERY_BROKER_URL = redis_url()


def test_healthz_is_200_when_database_redis_and_dispatcher_are_fine(client, with_redis):
    DispatcherHeartbeat.objects.create(name="reminders", last_run_at=now())
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok", "database": "ok", "redis": "ok", "reminders": "ok"
    }  # fmt: skip


def test_healthz_is_503_when_the_dispatcher_has_been_silent_for_five_minutes(client, with_redis):
    DispatcherHeartbeat.objects.create(
        name="reminders", last_run_at=now() - dt.timedelta(minutes=6)
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["reminders"].startswith("error: the reminder dispatcher last ran")


def test_healthz_is_503_when_the_dispatcher_never_ran(client, with_redis):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "never run" in response.json()["reminders"]


def test_healthz_is_503_naming_redis_when_redis_does_not_answer(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{_closed_port()}"
    settings.CELERY_BROKER_URL = "filesystem://"
    DispatcherHeartbeat.objects.create(name="reminders", last_run_at=now())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"].startswith("error")
    assert response.json()["database"] == "ok"


def test_healthz_on_the_zero_setup_demo_does_not_need_redis(client, settings):
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = "filesystem://"
    DispatcherHeartbeat.objects.create(name="reminders", last_run_at=now())
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["redis"] == "not used"


def _production_like_env() -> dict:
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for themselves; production never does.
    return {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}


def test_production_settings_pass_check_deploy():
    env = {
        **_production_like_env(),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "RAPPORT_HTTPS": "true",
        "RAPPORT_REQUIRE_SECRET_KEY": "true",
        "ALLOWED_HOSTS": "rapport.example",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_refuses_the_development_secret_key():
    env = {k: v for k, v in _production_like_env().items() if k != "SECRET_KEY"}
    env.update(DEBUG="false", RAPPORT_HTTPS="true", ALLOWED_HOSTS="rapport.example")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr
