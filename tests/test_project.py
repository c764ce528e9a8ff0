"""Project-level promises: commands, schema, docs, data migrations."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import User
from providers.models import Modality, Specialty

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


def test_modalities_and_ipt_focus_areas_exist_after_migrate():
    assert {"ipt", "cbt", "group"} <= set(Modality.objects.values_list("slug", flat=True))
    focus = {"loneliness", "grief", "role-disputes", "role-transitions", "interpersonal-deficits"}
    assert focus <= set(Specialty.objects.values_list("slug", flat=True))


def test_createsuperuser_noinput_makes_a_staff_account_that_logs_in_by_email(monkeypatch, client):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Boss@Example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a strong admin passphrase")
    call_command("createsuperuser", "--noinput", verbosity=0)
    user = User.objects.get()
    assert (user.email, user.role, user.is_staff) == ("boss@example.com", "staff", True)
    assert client.login(username="boss@example.com", password="a strong admin passphrase")


def test_the_openapi_schema_is_served_and_names_every_documented_path(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/v1/auth/register/", "/api/v1/auth/token/", "/api/v1/me/", "/api/v1/modalities/",
        "/api/v1/therapists/", "/api/v1/therapists/{id}/", "/api/v1/me/profile/",
        "/api/v1/me/licenses/", "/api/v1/licenses/", "/api/v1/licenses/{id}/verify/",
        "/api/v1/licenses/{id}/reject/",
    ]:  # fmt: skip
        assert path in paths, path


def test_the_api_docs_work_offline_with_local_assets(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "unpkg" not in html


def test_the_schema_generates_without_warnings():
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--fail-on-warn", "--validate"],
        cwd=ROOT, capture_output=True, text=True, env=os.environ.copy(), timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
