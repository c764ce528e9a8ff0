"""Response headers that keep a browser safe: Content-Security-Policy on every page,
no inline script or style anywhere in our templates, and the production cookie and
transport settings."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize(
    "path",
    ["/therapists/", "/accounts/login/", "/accounts/signup/", "/groups/", "/api/v1/docs/"],
)
def test_every_page_carries_a_strict_content_security_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = csp_directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]


def test_signed_in_pages_carry_the_policy_too(client, therapist_user):
    client.force_login(therapist_user)
    response = client.get(reverse("providers:dashboard_profile"))
    assert response.status_code == 200
    assert csp_directives(response)["script-src"] == ["'self'"]


def test_pages_forbid_sniffing_framing_and_leaking_the_referrer(client):
    response = client.get("/therapists/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_a_browser_reading_the_api_gets_json_not_an_html_page(client):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get("/api/v1/modalities/", headers={"accept": browser})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()[0].keys() == {"slug", "name"}
    only_html = client.get("/api/v1/modalities/", headers={"accept": "text/html"})
    assert only_html.status_code == 406
    assert only_html.headers["Content-Type"] == "application/json"


def test_the_api_docs_page_loads_its_start_up_script_as_a_file(client):
    html = client.get("/api/v1/docs/").content.decode()
    assert re.search(r'<script src="[^"]*/api/v1/docs/\?script=', html)
    assert "<style" not in html
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()


# --- Every template, scanned: what CSP would block must not be there --------------------

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"""<[^>]*\son[a-z]+\s*=""", re.IGNORECASE | re.DOTALL)
STYLE_ATTRIBUTE = re.compile(r"""<[^>]*\sstyle\s*=""", re.IGNORECASE | re.DOTALL)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
# Text templates are e-mails, not pages.
PAGE_SUFFIXES = {".html"}


def our_templates() -> list[Path]:
    folders = [Path(d) for d in engines["django"].engine.dirs]
    apps = ("accounts", "providers", "booking", "notifications", "therapy_directory")
    folders += [ROOT / app / "templates" for app in apps]
    return sorted(
        path
        for folder in folders
        if folder.exists()
        for path in folder.rglob("*")
        if path.suffix in PAGE_SUFFIXES
    )


def test_the_template_scan_finds_our_templates():
    names = {p.relative_to(ROOT).as_posix() for p in our_templates()}
    assert "templates/base.html" in names
    assert "templates/drf_spectacular/swagger_ui.html" in names
    assert len(names) > 20


@pytest.mark.parametrize("pattern", [INLINE_SCRIPT, EVENT_HANDLER, STYLE_ATTRIBUTE, STYLE_ELEMENT])
def test_the_scan_catches_what_it_looks_for(pattern):
    samples = {
        INLINE_SCRIPT: '<script type="module">alert(1)</script>',
        EVENT_HANDLER: '<button type="button"\n  onclick="go()">Go</button>',
        STYLE_ATTRIBUTE: '<p class="x" style="color:red">',
        STYLE_ELEMENT: "<style>p{}</style>",
    }
    assert pattern.search(samples[pattern])
    assert not pattern.search('<script src="/static/js/app.js"></script><p class="on">')


def test_no_template_has_inline_scripts_event_handlers_or_inline_styles():
    offenders = []
    for path in our_templates():
        text = path.read_text()
        for name, pattern in [
            ("inline <script>", INLINE_SCRIPT),
            ("on*= handler", EVENT_HANDLER),
            ("style= attribute", STYLE_ATTRIBUTE),
            ("<style> element", STYLE_ELEMENT),
        ]:
            if pattern.search(text):
                offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert not offenders, "CSP blocks these; move them to static/ files:\n" + "\n".join(offenders)


# --- Production settings ----------------------------------------------------------------


def production_settings(**extra) -> dict:
    """Import the settings in a fresh interpreter with production environment variables."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DEBUG="false",
        SECRET_KEY="x" * 60,
        RAPPORT_HTTPS="true",
        RAPPORT_REQUIRE_SECRET_KEY="true",
        ALLOWED_HOSTS="rapport.example",
        DJANGO_SETTINGS_MODULE="therapy_directory.settings",
        **extra,
    )
    names = [
        "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SECURE", "CSRF_COOKIE_HTTPONLY", "CSRF_COOKIE_SAMESITE",
        "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY", "SECURE_PROXY_SSL_HEADER",
    ]  # fmt: skip
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_redirect_to_https_and_send_hsts_and_secure_cookies():
    prod = production_settings()
    assert prod["SECURE_SSL_REDIRECT"] is True
    assert prod["SECURE_HSTS_SECONDS"] >= 31536000
    assert prod["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert prod["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    for cookie in ("SESSION", "CSRF"):
        assert prod[f"{cookie}_COOKIE_SECURE"] is True
        assert prod[f"{cookie}_COOKIE_HTTPONLY"] is True
        assert prod[f"{cookie}_COOKIE_SAMESITE"] == "Lax"
    assert prod["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert prod["SECURE_REFERRER_POLICY"] == "same-origin"


def test_https_responses_carry_hsts_and_plain_http_is_redirected(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    plain = client.get("/therapists/")
    assert plain.status_code == 301
    assert plain.url.startswith("https://")
    secure = client.get("/therapists/", headers={"x-forwarded-proto": "https"})
    assert secure.status_code == 200
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_session_and_csrf_cookies_are_httponly_and_samesite(client, client_user):
    from tests.factories import PASSWORD

    login_page = client.get(reverse("accounts:login"))
    csrf = login_page.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["httponly"] and csrf["samesite"] == "Lax"
    response = client.post(
        reverse("accounts:login"), {"username": client_user.email, "password": PASSWORD}
    )
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] and session["samesite"] == "Lax"
