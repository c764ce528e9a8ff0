"""The therapist's home in Chromium (issue 16): a therapist logs in and lands on it, sees
the request waiting with its count in the navigation, answers it from the home's link,
and the count is gone. axe finds nothing serious on the home at desktop and phone width."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
import time_machine
from django.utils.timezone import localdate, now
from playwright.sync_api import expect

from booking.courses import services
from booking.groups import services as groups
from booking.models import Booking
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import NY, at, book, client_in
from tests.e2e.test_accessibility import assert_accessible, axe_source  # noqa: F401 (fixture)
from tests.e2e.test_booking_flow import log_in
from tests.factories import verified_license

pytestmark = pytest.mark.django_db(transaction=True)

# Where to keep screenshots of the page, to look at (unset: none are taken).
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS", "")
EVERY_DAY = [(day, dt.time(8), dt.time(20)) for day in range(7)]


def within_a_day() -> dt.datetime:
    """The first whole hour at least 2 h from now in the therapist's hours (8 AM to 8 PM
    New York, every day): less than 24 h away."""
    start = (
        (now() + dt.timedelta(hours=2)).astimezone(NY).replace(minute=0, second=0, microsecond=0)
    )
    start += dt.timedelta(hours=1)
    while not 8 <= start.hour < 19:
        start += dt.timedelta(hours=1)
    return start


@pytest.fixture
def desk():
    """A therapist with one request waiting and one confirmed telehealth session within
    the next day, a license expiring next month and a full group with a waitlist."""
    therapist = group_therapist(
        display_name="Maya Lindqvist",
        hours=EVERY_DAY,
        video_url="https://video.example.com/maya",
    )
    today = localdate()
    waiting = book(
        client_in(name="Sam Ortiz"), therapist, at(today + dt.timedelta(days=2), 10), weeks=12
    )
    # Within the next 24 h, so its join button shows (booked a week ago: the notice period).
    soon = within_a_day()
    with time_machine.travel(now() - dt.timedelta(days=7), tick=False):
        confirmed = book(client_in(name="Dana Reyes"), therapist, soon, weeks=4)
        services.confirm_booking(booking_id=confirmed.pk, by=therapist.user)
    verified_license(therapist=therapist, state="NJ", expires_on=today + dt.timedelta(days=30))
    group = make_group(therapist, title="After a loss", capacity=1)
    groups.enrol(client=client_in(), group_id=group.pk)
    groups.enrol(client=client_in(), group_id=group.pk, waitlist=True)
    return {"therapist": therapist, "waiting": waiting, "group": group}


def requests_link(page):
    return page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile(r"^Requests")
    )


def screenshot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def test_a_therapist_lands_on_the_home_and_answers_the_request_from_it(page, desk):
    log_in(page, desk["therapist"].user.email)

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(requests_link(page)).to_have_text("Requests (1)")
    waiting = page.get_by_role("region", name=re.compile(r"^Requests waiting"))
    expect(waiting).to_contain_text("Requests waiting (1)")
    expect(waiting).to_contain_text("12 weekly sessions")
    sessions = page.get_by_role("region", name="Your sessions this week")
    expect(sessions.get_by_role("link", name=re.compile("^Join the video room"))).to_have_attribute(
        "href", "https://video.example.com/maya"
    )
    screenshot(page, "home-1280")

    waiting.get_by_role("link", name="Answer Sam Ortiz’s request").click()
    expect(page).to_have_url(re.compile(rf"/dashboard/requests/#request-{desk['waiting'].pk}$"))
    request = page.locator(f"#request-{desk['waiting'].pk}")
    request.get_by_role("button", name=re.compile(r"^Confirm")).click()

    expect(page.locator(".message--success")).to_contain_text("Confirmed Sam Ortiz’s course")
    expect(requests_link(page)).to_have_text("Requests")
    assert Booking.objects.get(pk=desk["waiting"].pk).status == "confirmed"
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    expect(page.get_by_role("region", name=re.compile(r"^Requests waiting"))).to_have_count(0)
    expect(requests_link(page)).to_have_text("Requests")

    # The confirmed course is in the therapist's week calendar, in the week of its first
    # session (two days from today: this week or the next).
    page.get_by_role("link", name="See your week calendar").click()
    first = localdate() + dt.timedelta(days=2)
    if first.isocalendar()[:2] != localdate().isocalendar()[:2]:
        page.get_by_role("link", name="Next week →").click()
    main = page.get_by_role("main")
    sam = main.locator(".cal-event", has_text="Sam Ortiz")
    expect(sam).to_have_count(1)
    expect(sam).to_contain_text("Week 1 of 12")
    expect(sam).to_contain_text("Confirmed")


def test_the_home_has_no_serious_accessibility_violations_at_desktop_and_phone_width(
    browser,
    live_server,
    axe_source,  # noqa: F811
    desk,
):
    for width, height in ((1280, 900), (375, 812)):
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": height}
        )
        try:
            page = context.new_page()
            page.set_default_timeout(10_000)
            log_in(page, desk["therapist"].user.email)
            assert_accessible(page, axe_source, "/dashboard/")
            screenshot(page, f"home-{width}")
            # Nothing overflows sideways on a phone.
            assert page.evaluate("document.documentElement.scrollWidth") <= width
        finally:
            context.close()


def test_the_empty_home_has_no_serious_accessibility_violations(page, axe_source):  # noqa: F811
    therapist = group_therapist()
    log_in(page, therapist.user.email)
    expect(page.get_by_role("main")).to_contain_text("Nothing needs your attention right now.")
    assert_accessible(page, axe_source, None)
    screenshot(page, "home-empty")
