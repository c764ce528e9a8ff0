"""The Content-Security-Policy blocks nothing the site itself needs: the main pages and
the API docs load in Chromium with no CSP violation reported."""

import pytest
from playwright.sync_api import expect

from tests.booking.helpers import bookable_therapist, client_in
from tests.e2e.test_booking_flow import log_in
from tests.factories import LicenseFactory, make_verifier

pytestmark = pytest.mark.django_db(transaction=True)

# Runs before any page script (Playwright injects it outside the page's CSP).
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture
def watched(page):
    """The page, with every CSP violation collected from the console and from the
    ``securitypolicyviolation`` event."""
    console = []
    page.on(
        "console",
        lambda msg: console.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.add_init_script(COLLECT_VIOLATIONS)

    def violations() -> list[str]:
        return console + page.evaluate("window.__cspViolations || []")

    page.csp_violations = violations
    return page


def visit(page, path: str) -> None:
    response = page.goto(path)
    assert response.status < 400, path
    assert "default-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    assert page.csp_violations() == [], f"{path}: {page.csp_violations()}"


def test_the_public_pages_report_no_csp_violation(watched):
    therapist = bookable_therapist(display_name="Maya Lindqvist")
    for path in [
        "/",
        "/match/?state=NY&concern=grief&times=tue-morning&group=true",
        "/therapists/?state=NY",
        therapist.get_absolute_url(),
        "/groups/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password-reset/",
        "/api/v1/modalities/",  # JSON, as a browser shows it
    ]:
        visit(watched, path)


def test_the_client_pages_report_no_csp_violation(watched):
    therapist = bookable_therapist(display_name="Maya Lindqvist")
    client = client_in(state="NY", name="Dana Reyes")
    log_in(watched, client.email)
    for path in [
        f"/therapists/{therapist.slug}/book/?weeks=12",
        "/my/sessions/",
        "/my/calendar/",
        "/accounts/me/",
        "/accounts/record-access/",
    ]:
        visit(watched, path)


def test_the_therapist_and_staff_pages_report_no_csp_violation(watched, browser, live_server):
    therapist = bookable_therapist(display_name="Maya Lindqvist")
    LicenseFactory(therapist=therapist, state="CA")
    log_in(watched, therapist.user.email)
    for path in [
        "/dashboard/profile/",
        "/dashboard/calendar/",
        "/dashboard/requests/",
        "/dashboard/hours/",
        "/dashboard/groups/",
    ]:
        visit(watched, path)
    watched.get_by_role("button", name="Log out").click()
    log_in(watched, make_verifier().email)
    for path in [
        "/staff/licenses/",
        "/staff/licenses/expiring/",
        "/staff/audit/",
        "/staff/reminders/",
        "/admin/",
    ]:
        visit(watched, path)


def test_the_api_docs_render_under_the_policy(watched):
    visit(watched, "/api/v1/docs/")
    expect(watched.get_by_role("heading", name="Rapport API")).to_be_visible()
    expect(watched.get_by_text("/api/v1/auth/token/").first).to_be_visible()
    assert watched.csp_violations() == []
