"""The course picker in a real browser (issue 15): from an IPT search to a requested
12-week course whose summary shows the week the therapist is away, in under six
interactions after landing on the profile, at desktop and phone size, with and without
JavaScript; the picker's height on a phone; axe clean.

PICKER_PHONE_MAX_PX: at 375 px wide (a phone's 667 px screen), the whole 12-week picker
(the length, the grid of a weekdays 9-to-5 therapist, the chosen time's start dates,
the summary and the request) stays under 1,400 px: about two screens, where the old one
of 152 tiles was 17,300 px. SCREENSHOTS=<dir> keeps a screenshot of each step there.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.utils.timezone import localdate
from playwright.sync_api import expect

from booking import availability
from booking.models import Booking
from tests.booking.helpers import bookable_therapist, client_in, committed
from tests.e2e.test_accessibility import AXE, assert_accessible
from tests.e2e.test_booking_flow import log_in
from tests.factories import TherapistFactory, verified_license

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 900}
PICKER_PHONE_MAX_PX = 1400


@pytest.fixture(scope="session")
def axe() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make install-dev` runs `npm ci` in tests/e2e/.")
    return AXE.read_text()


def snap(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
        if page.locator("#book").count():
            page.locator("#book").screenshot(path=str(Path(folder) / f"{name}-book.png"))


@pytest.fixture
def therapist():
    """IPT and CBT (CBT comes first by name: the old picker preselected it), weekdays
    9–17 in New York, $150, away the whole sixth week from now: every 12-week course
    starting in the next four weeks skips it."""
    therapist = bookable_therapist(
        display_name="Maya Lindqvist", credentials="PhD", modalities=["cbt", "ipt"], fee=150
    )
    monday = localdate() - dt.timedelta(days=localdate().weekday()) + dt.timedelta(weeks=5)
    with committed():
        availability.add_time_off(
            therapist=therapist, start_date=monday, end_date=monday + dt.timedelta(days=6)
        )
    return therapist


@pytest.fixture
def client_account():
    return client_in(state="NY", tz="America/Chicago", name="Dana Reyes", email="dana@example.com")


def context_page(browser, live_server, *, viewport: dict, javascript: bool = True):
    context = browser.new_context(
        base_url=live_server.url,
        viewport=viewport,
        is_mobile=viewport["width"] < 500,
        java_script_enabled=javascript,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def request_a_course_from_an_ipt_search(page, therapist, name: str) -> None:
    """The flow under test: search, open the card's "Book a 12-week course", then count
    the interactions on the profile."""
    page.goto("/therapists/?state=NY&modality=ipt")
    card = page.get_by_role("article").filter(has_text="Maya Lindqvist")
    card.get_by_role("link", name="Book a 12-week course").click()
    expect(page).to_have_url(re.compile(rf"/therapists/{therapist.slug}/\?.*modality=ipt"))
    snap(page, f"{name}-1-profile")
    interactions = 0

    grid = page.get_by_role("table", name=re.compile("Weekly times free for all 12 weeks"))
    grid.get_by_role("link", name=re.compile(r"^Tuesdays at \d")).first.click()
    interactions += 1
    chosen = page.locator("#chosen")
    expect(chosen.get_by_role("heading", level=3)).to_have_text(re.compile(r"^Tuesdays at .* CT$"))
    summary = chosen.locator(".summary")
    expect(summary).to_contain_text(re.compile(r"^12 sessions · Tuesdays \d+:\d\d [AP]M CT · "))
    expect(summary).to_contain_text("(therapist away)")
    expect(summary).to_contain_text("$150 each")
    expect(chosen.get_by_role("radio", name="Interpersonal Therapy (IPT)")).to_be_checked()
    snap(page, f"{name}-2-summary")

    chosen.get_by_role("button", name="Request these 12 weekly sessions").click()
    interactions += 1

    expect(page).to_have_url(re.compile(r"/my/bookings/\d+/$"))
    expect(page.get_by_role("main")).to_contain_text(
        "Requested: 12 weekly sessions, waiting for Maya Lindqvist to confirm within 48 h"
    )
    snap(page, f"{name}-3-requested")
    assert interactions < 6
    booking = Booking.objects.get()
    assert booking.modality.slug == "ipt"
    assert booking.sessions.count() == 12
    assert len(booking.skipped) == 1


@pytest.mark.parametrize(
    ("viewport", "javascript"),
    [(DESKTOP, True), (PHONE, True), (DESKTOP, False), (PHONE, False)],
    ids=["desktop", "phone", "desktop-no-js", "phone-no-js"],
)
def test_from_an_ipt_search_to_a_requested_course_with_its_skipped_week(
    browser, live_server, therapist, client_account, viewport, javascript
):
    context, page = context_page(browser, live_server, viewport=viewport, javascript=javascript)
    try:
        log_in(page, client_account.email)
        name = f"{viewport['width']}{'' if javascript else '-nojs'}"
        request_a_course_from_an_ipt_search(page, therapist, name)
    finally:
        context.close()


def test_the_12_week_picker_fits_in_about_two_phone_screens(
    browser, live_server, therapist, client_account
):
    context, page = context_page(browser, live_server, viewport=PHONE)
    try:
        log_in(page, client_account.email)
        page.goto(f"{therapist.get_absolute_url()}?state=NY&modality=ipt")
        page.get_by_role("link", name=re.compile(r"^Tuesdays at \d")).first.click()
        expect(page.get_by_role("button", name="Request these 12 weekly sessions")).to_be_visible()
        snap(page, "375-picker-height")
        height = page.locator("#book").bounding_box()["height"]
        assert height < PICKER_PHONE_MAX_PX, f"the picker is {height:.0f} px tall on a phone"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], "the picker scrolls sideways on a phone"
    finally:
        context.close()


def test_the_picker_pages_have_no_serious_accessibility_violations(
    page, axe, therapist, client_account
):
    full = TherapistFactory(display_name="Full Fred", accepting_new_clients=False)
    verified_license(therapist=full, state="NY")
    ca_only = TherapistFactory(display_name="Cal Only")
    verified_license(therapist=ca_only, state="CA")
    log_in(page, client_account.email)
    assert_accessible(page, axe, f"{therapist.get_absolute_url()}?modality=ipt")
    page.get_by_role("link", name=re.compile(r"^Wednesdays at \d")).first.click()
    expect(page.locator("#chosen .summary")).to_be_visible()
    assert_accessible(page, axe, None)
    for name, path in [
        ("book-16", f"/therapists/{therapist.slug}/book/?weeks=16"),
        ("full", f"{full.get_absolute_url()}?state=NY&modality=ipt"),
        ("out-of-state", ca_only.get_absolute_url()),
    ]:
        assert_accessible(page, axe, path)
        snap(page, f"axe-{name}")
    # A request refused with its conflicts, sent back beside the picker.
    page.goto(f"{therapist.get_absolute_url()}?modality=ipt")
    page.get_by_role("link", name=re.compile(r"^Thursdays at \d")).first.click()
    page.locator("#chosen input[name=start]").evaluate(
        "el => el.value = el.value.replace(':00:00', ':30:00')"
    )
    page.get_by_role("button", name="Request these 12 weekly sessions").click()
    expect(page.locator("#conflicts")).to_contain_text("not one of the therapist's start times")
    snap(page, "axe-conflicts")
    assert_accessible(page, axe, None)
