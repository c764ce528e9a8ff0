"""The staff license queue and the audit log in Chromium (issue 16, items 4 and 5): staff
filter the queue by state, find the state board's look-up link (its address is checked,
the outside site is not opened), verify a license, and are kept on the queue when a
verify is refused; both pages are axe-clean and the audit table fits the window at
desktop and phone widths."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils.timezone import localdate, now
from playwright.sync_api import expect

from audit import services as audit
from providers import licensing
from providers.models import BoardLookup, License
from tests.booking.helpers import at, book, bookable_therapist, client_in, next_weekday
from tests.e2e.test_accessibility import assert_accessible, axe_source  # noqa: F401 (fixture)
from tests.e2e.test_booking_flow import log_in
from tests.factories import LicenseFactory, TherapistFactory, make_records_viewer, make_verifier

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [1280, 375]
SCREENSHOTS = Path("/tmp/rapport-screenshots")


def submitted(license: License, days_ago: int) -> License:
    License.objects.filter(pk=license.pk).update(submitted_at=now() - dt.timedelta(days=days_ago))
    return license


@pytest.fixture
def queue():
    """Pending licenses in three states, the Texas ones oldest; one already expired."""
    maya = TherapistFactory(display_name="Maya Lindqvist", credentials="PhD, LPC")
    texas = submitted(LicenseFactory(therapist=maya, state="TX", license_type="LPC"), 9)
    expired = submitted(LicenseFactory(state="TX", license_type="LCSW"), 8)
    License.objects.filter(pk=expired.pk).update(expires_on=localdate() - dt.timedelta(days=3))
    for i in range(3):
        submitted(LicenseFactory(state="NY", license_type="LMHC"), 5 - i)
    submitted(LicenseFactory(state="DC", license_type="MD"), 1)
    staff = make_records_viewer(make_verifier(name="Sol Staffer"))
    return {"texas": texas, "expired": expired, "staff": staff}


@pytest.fixture
def screen(browser, live_server, request):
    """A page at each width the test asks for (``screen(375)``)."""
    contexts = []

    def open_at(width: int):
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": width, "height": 900},
            is_mobile=width < 500,
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_at
    for context in contexts:
        context.close()


def test_staff_filter_the_queue_by_state_check_the_board_and_verify(page, queue):
    texas = queue["texas"]
    board = BoardLookup.objects.get(state="TX", license_type="LPC")
    log_in(page, queue["staff"].email)
    page.goto("/staff/licenses/")
    counts = page.get_by_role("navigation", name=re.compile("Pending licenses by state"))
    expect(counts.get_by_role("link", name=re.compile(r"^NY 3"))).to_be_visible()
    expect(counts.get_by_role("link", name=re.compile(r"^TX 2"))).to_be_visible()

    filters = page.locator("form.queue-filters")
    filters.get_by_label("State").select_option("TX")
    filters.get_by_role("button", name="Show licenses").click()
    # The address keeps only the filter in use.
    expect(page).to_have_url(re.compile(r"/staff/licenses/\?state=TX$"))
    cards = page.locator("li.queue-item")
    expect(cards).to_have_count(2)
    expect(cards.first).to_contain_text("Maya Lindqvist")  # oldest first

    card = page.locator(f"#license-{texas.pk}")
    link = card.get_by_role("link", name=re.compile(board.name))
    expect(link).to_have_attribute("href", board.url)
    expect(link).to_have_attribute("target", "_blank")
    expect(page.locator(f"#license-{queue['expired'].pk}")).to_contain_text(board.name)

    card.get_by_label("Source checked").fill("Texas BHEC look-up, active")
    card.get_by_role("button", name=re.compile("^Verify")).click()
    expect(page.locator(".message--success")).to_contain_text("Verified Maya Lindqvist’s LPC")
    expect(page).to_have_url(re.compile(r"/staff/licenses/\?state=TX$"))
    expect(page.locator(f"#license-{texas.pk}")).to_have_count(0)
    texas.refresh_from_db()
    assert texas.status == License.Status.VERIFIED
    assert texas.decisions.get().source == "Texas BHEC look-up, active"


def test_a_refused_verify_keeps_the_reviewer_on_the_queue(page, queue, axe_source):  # noqa: F811
    expired = queue["expired"]
    log_in(page, queue["staff"].email)
    page.goto("/staff/licenses/?state=TX")
    card = page.locator(f"#license-{expired.pk}")
    card.get_by_label("Source checked").fill("Texas BHEC look-up")
    card.get_by_role("button", name=re.compile("^Verify")).click()
    expect(page).to_have_url(re.compile(rf"/staff/licenses/\?state=TX#license-{expired.pk}$"))
    card = page.locator(f"#license-{expired.pk}")
    expect(card.get_by_role("alert")).to_contain_text("it cannot be verified")
    expect(card.get_by_label("Source checked")).to_have_value("Texas BHEC look-up")
    assert_accessible(page, axe_source, None)
    expired.refresh_from_db()
    assert expired.status == License.Status.PENDING


def audit_events(staff) -> None:
    """A staff read of a client's booking and license decisions with long names."""
    therapist = bookable_therapist(display_name="Dr. Alexandra Montgomery-Vasquez")
    client = client_in(name="Bartholomew Featherstonehaugh")
    booking = book(client, therapist, at(next_weekday(1), 10), weeks=2)
    audit.record(
        action="client_data_viewed",
        actor=staff,
        target=booking,
        subject_id=client.pk,
        details={"ids": [booking.pk], "path": f"/my/bookings/{booking.pk}/"},
        ip="203.0.113.77",
    )
    long_mail = TherapistFactory(
        display_name="Priya Raghunathan-Whitfield",
        user__email="priya.raghunathan-whitfield.counseling@example-practice.org",
    )
    for state, license_type in [("TX", "LPC"), ("NY", "LCSW"), ("CA", "LMFT")]:
        license = LicenseFactory(therapist=long_mail, state=state, license_type=license_type)
        if state == "CA":
            licensing.reject_license(
                license_id=license.pk,
                by=staff,
                reason="The board shows this number for another person; please check it.",
            )
        else:
            licensing.verify_license(
                license_id=license.pk,
                by=staff,
                source=f"{state} board public look-up, license active until next year",
            )


@pytest.mark.parametrize("width", WIDTHS)
def test_the_queue_and_the_audit_log_are_accessible(screen, queue, axe_source, width):  # noqa: F811
    audit_events(queue["staff"])
    page = screen(width)
    log_in(page, queue["staff"].email)
    for path in ["/staff/licenses/", "/staff/licenses/?state=TX", "/staff/audit/"]:
        assert_accessible(page, axe_source, path)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.goto("/staff/licenses/")
    page.screenshot(path=SCREENSHOTS / f"queue-{width}.png", full_page=True)
    page.goto("/staff/audit/")
    page.screenshot(path=SCREENSHOTS / f"audit-{width}.png", full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_audit_table_fits_the_window(screen, queue, width):
    audit_events(queue["staff"])
    page = screen(width)
    log_in(page, queue["staff"].email)
    page.goto("/staff/audit/")
    expect(page.locator("table.audit-table tbody tr").first).to_be_visible()
    measures = page.evaluate(
        """() => {
            const table = document.querySelector('table.audit-table');
            const cells = [...table.querySelectorAll('td')];
            return {
                viewport: window.innerWidth,
                page: document.documentElement.scrollWidth,
                tableRight: table.getBoundingClientRect().right,
                clipped: cells.filter(td => td.scrollWidth > td.clientWidth + 1)
                    .map(td => td.dataset.label + ': ' + td.textContent.trim()),
                dateLines: [...table.querySelectorAll('td[data-label="When"] time')]
                    .map(t => t.getClientRects().length),
            };
        }"""
    )
    assert measures["page"] <= measures["viewport"], measures
    assert measures["tableRight"] <= measures["viewport"], measures
    assert not measures["clipped"], measures["clipped"]
    assert set(measures["dateLines"]) == {1}, measures  # each date on one line
    text = page.locator("table.audit-table").inner_text()
    assert "Priya Raghunathan-Whitfield" in text
    assert "Reason: The board shows this number for another person" in text
    assert "Source: TX board public look-up" in text
