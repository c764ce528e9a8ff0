"""axe-core (from npm, tests/e2e/package-lock.json) in Chromium on the main pages, each
as the person who uses it: no serious or critical accessibility violation (issue 8,
item 7). The keyboard-only booking is in test_booking_flow.py."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from booking.courses import services
from booking.groups import services as groups
from providers.models import Therapist
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import at, book, client_in, next_weekday
from tests.e2e.test_booking_flow import log_in
from tests.factories import LicenseFactory, make_records_viewer, make_verifier

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
# Moderate rules held too where the pages already pass them.
HELD = {"heading-order"}


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make install-dev` runs `npm ci` in tests/e2e/.")
    return AXE.read_text()


@pytest.fixture
def people():
    """A therapist with hours, a group and a booked client; staff with a license to
    decide (and the client-records permission, to open the booking)."""
    therapist = group_therapist(display_name="Maya Lindqvist", credentials="PhD")
    client = client_in(state="NY", tz="America/Chicago", name="Dana Reyes")
    monday = next_weekday(0)
    booking = book(client, therapist, at(monday, 10), weeks=12)
    services.confirm_booking(booking_id=booking.pk, by=therapist.user)
    book(client_in(state="NY", name="Sam Ortiz"), therapist, at(monday, 14), weeks=4)
    group = make_group(therapist, title="After a loss")
    groups.enrol(client=client, group_id=group.pk, waitlist=True)
    LicenseFactory(therapist=therapist, state="NJ")
    staff = make_records_viewer(make_verifier(name="Sol Staff"))
    return {
        "therapist": therapist,
        "client": client,
        "staff": staff,
        "booking": booking,
        "group": group,
        "week": monday,
    }


def axe_violations(page, axe_source: str) -> list[dict]:
    # Evaluated through the DevTools protocol, as a page's own CSP would allow no
    # injected <script> tag.
    page.evaluate(f"() => {{ {axe_source}\n; window.axe = axe; }}")
    results = page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ['violations']});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary),
            }));
        }"""
    )
    return [v for v in results if v["impact"] in BLOCKING or v["id"] in HELD]


def assert_accessible(page, axe_source: str, path: str | None) -> None:
    """Check ``path`` (``None``: the page as it stands)."""
    if path is not None:
        response = page.goto(path)
        assert response.ok, (path, response.status)
    violations = axe_violations(page, axe_source)
    report = "\n".join(
        f"{v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"][:5])
        for v in violations
    )
    assert not violations, f"{path or page.url}\n{report}"


def submit_without_browser_checks(page, form_selector: str) -> None:
    """Send a form as it is, past the browser's own checks, to see the site's errors."""
    with page.expect_navigation():
        page.eval_on_selector(form_selector, "f => { f.noValidate = true; f.requestSubmit(); }")


def test_the_public_pages_have_no_serious_accessibility_violations(page, axe_source, people):
    therapist: Therapist = people["therapist"]
    for path in [
        "/therapists/",
        "/therapists/?state=NY&modality=ipt",
        "/therapists/?state=ZZ&fee_max=abc",  # the filters with their errors
        "/therapists/?near=10001&radius=10&ordering=distance",  # distance on the cards
        "/therapists/?near=00000&radius=500",  # a ZIP and a radius refused
        therapist.get_absolute_url(),
        f"/therapists/{therapist.slug}/book/?weeks=12",
        "/groups/",
        f"/groups/{people['group'].pk}/",
        "/accounts/login/",
        "/accounts/signup/",
    ]:
        assert_accessible(page, axe_source, path)
    # Errors beside their fields, and the form-wide error.
    submit_without_browser_checks(page, "main form")
    expect(page.locator(".errorlist").first).to_be_visible()
    assert_accessible(page, axe_source, None)
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill("nobody@example.com")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    assert_accessible(page, axe_source, None)


def test_the_clients_pages_have_no_serious_accessibility_violations(page, axe_source, people):
    log_in(page, people["client"].email)
    therapist = people["therapist"]
    for path in [
        f"/therapists/{therapist.slug}/book/?weeks=12",
        "/my/sessions/",
        f"/my/bookings/{people['booking'].pk}/",
        "/groups/",
        f"/groups/{people['group'].pk}/",
        "/accounts/me/",
        "/accounts/record-access/",
    ]:
        assert_accessible(page, axe_source, path)


def test_the_therapists_pages_have_no_serious_accessibility_violations(page, axe_source, people):
    log_in(page, people["therapist"].user.email)
    week = people["week"] - dt.timedelta(days=people["week"].weekday())
    for path in [
        "/dashboard/requests/",
        f"/dashboard/calendar/?week={week.isoformat()}",
        "/dashboard/hours/",
        "/dashboard/profile/",
        "/dashboard/licenses/",
        "/dashboard/groups/",
        f"/dashboard/groups/{people['group'].pk}/",
        "/dashboard/groups/new/",
    ]:
        assert_accessible(page, axe_source, path)
    # A confirmation message, and a form sent back with its errors.
    page.goto("/dashboard/requests/")
    request = page.get_by_role("listitem").filter(has_text="Sam Ortiz")
    request.get_by_role("button", name=re.compile(r"^Confirm")).click()
    expect(page.locator(".message--success")).to_be_visible()
    assert_accessible(page, axe_source, None)
    page.goto("/dashboard/groups/new/")
    submit_without_browser_checks(page, "main form")
    expect(page.locator(".errorlist").first).to_be_visible()
    assert_accessible(page, axe_source, None)


def test_the_staff_license_queue_has_no_serious_accessibility_violations(page, axe_source, people):
    log_in(page, people["staff"].email)
    for path in [
        "/staff/licenses/",
        "/staff/licenses/expiring/",
        f"/my/bookings/{people['booking'].pk}/",  # a staff read: the audit log has a row
        "/staff/audit/",
        "/staff/reminders/",
    ]:
        assert_accessible(page, axe_source, path)
