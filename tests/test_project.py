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


RUNTIME_PACKAGES = [
    "accounts",
    "audit",
    "booking",
    "demo",
    "matching",
    "notifications",
    "providers",
    "therapy_directory",
]


def test_every_third_party_import_of_the_app_is_a_runtime_requirement():
    """`make run` installs requirements.txt only: an app module (seed_demo included)
    importing a package pinned only in requirements-dev.txt breaks a newcomer's demo."""
    import ast
    import importlib.metadata
    import re

    root = Path(__file__).resolve().parent.parent
    pinned = {
        re.split(r"[=<>\[ ]", line, maxsplit=1)[0].lower().replace("_", "-")
        for line in (root / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "-"))
    }
    distributions = importlib.metadata.packages_distributions()
    missing = {}
    for package in RUNTIME_PACKAGES:
        for path in (root / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    for dist in distributions.get(top, []):
                        dist = dist.lower().replace("_", "-")
                        if top not in sys.stdlib_module_names and dist not in pinned:
                            missing.setdefault(dist, set()).add(str(path.relative_to(root)))
    # Distributions that arrive with a pinned one (Django brings asgiref and sqlparse...).
    missing = {d: files for d, files in missing.items() if not _required_by_pinned(d, pinned)}
    assert not missing, f"imported by the app but not in requirements.txt: {missing}"


def _required_by_pinned(dist: str, pinned: set[str]) -> bool:
    import importlib.metadata
    import re

    for name in pinned:
        for requirement in importlib.metadata.requires(name) or []:
            if re.split(r"[=<>\[ ;!~]", requirement, maxsplit=1)[0].lower() == dist:
                return True
    return False
