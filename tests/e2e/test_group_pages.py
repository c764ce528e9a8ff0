"""Issue 16, items 3 and 6, in Chromium: a therapist creating a group is warned of the
meetings in their time off and creates it anyway; a clash is refused; the public group
list and page pass axe at desktop and phone widths, logged out and as a client."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from booking import availability
from booking.groups import services as groups
from booking.models import Group
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import at, book, client_in, next_weekday
from tests.e2e.test_accessibility import AXE, assert_accessible
from tests.e2e.test_booking_flow import log_in

pytestmark = pytest.mark.django_db(transaction=True)

THURSDAY = 3


@pytest.fixture(scope="session")
def axe() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make install-dev` runs `npm ci` in tests/e2e/.")
    return AXE.read_text()


@pytest.fixture
def therapist():
    return group_therapist(display_name="Maya Lindqvist", credentials="PhD")


def fill_group_form(page, *, title: str, first: dt.date, start: str = "18:00") -> None:
    form = page.locator("#group-form")
    form.get_by_label("Title").fill(title)
    form.get_by_label("Kind of group").select_option("grief")
    form.get_by_label("Thursday").check()
    form.get_by_label("Start time").fill(start)
    form.get_by_label("First week").fill(first.isoformat())
    form.get_by_label("Number of weeks").fill("6")
    form.get_by_label("Fee per meeting (USD)").fill("40")


def test_a_therapist_is_warned_of_time_off_and_creates_the_group_anyway(page, therapist):
    first = next_weekday(THURSDAY)
    away = first + dt.timedelta(weeks=2)
    availability.add_time_off(therapist=therapist, start_date=away, end_date=away)
    log_in(page, therapist.user.email)
    page.goto("/dashboard/groups/")
    page.get_by_role("link", name="Start a new group").click()
    fill_group_form(page, title="Thursday grief group", first=first)
    page.get_by_role("button", name="Create the group").click()

    main = page.get_by_role("main")
    warning = main.locator("#schedule-warnings")
    expect(warning.get_by_role("heading")).to_have_text("1 meeting falls in your time off")
    day = f"{away:%a, %b} {away.day}"
    expect(warning.get_by_role("listitem")).to_have_count(1)
    expect(warning.get_by_role("listitem")).to_contain_text(re.compile(rf"{day}.* · 6:00 PM ET"))
    expect(warning.get_by_role("listitem")).to_contain_text("in your time off on")
    expect(main.locator(".form-errors")).to_contain_text("Nothing is saved yet")
    assert not Group.objects.exists()
    # The fields keep what was typed; the confirmation is a button reachable by keyboard.
    expect(main.get_by_label("Title")).to_have_value("Thursday grief group")
    confirm = warning.get_by_role("button", name="Create anyway, skipping nothing")
    confirm.focus()
    page.keyboard.press("Enter")

    expect(page.locator(".message--success")).to_contain_text(
        "“Thursday grief group” is saved; its 6 meetings are in your calendar."
    )
    expect(main).to_contain_text("held in your time off")
    group = Group.objects.get()
    assert group.meetings.count() == 6 and group.fee == 40
    assert [m.start.date() for m in group.meetings.filter(kept_in_time_off=True)] == [away]


def test_a_meeting_over_a_booked_session_is_refused_with_no_way_around(page, therapist):
    first = next_weekday(THURSDAY)
    book(client_in(), therapist, at(first + dt.timedelta(weeks=1), 16), weeks=1)
    log_in(page, therapist.user.email)
    page.goto("/dashboard/groups/new/")
    fill_group_form(page, title="Afternoon group", first=first, start="15:30")
    page.get_by_role("button", name="Create the group").click()
    warning = page.locator("#schedule-warnings")
    expect(warning.get_by_role("heading")).to_have_text(
        "1 meeting would overlap sessions already in your calendar"
    )
    expect(warning).to_contain_text("3:30 PM ET — refused: overlaps a session already booked")
    expect(page.get_by_role("button", name=re.compile("anyway"))).to_have_count(0)
    assert not Group.objects.exists()


@pytest.fixture
def public_group():
    therapist = group_therapist(display_name="Maya Lindqvist", credentials="PhD")
    group = make_group(therapist, title="After a loss", capacity=2, fee=45)
    make_group(therapist, title="Free circle", fee=0, start_time=dt.time(10))
    groups.enrol(client=client_in(), group_id=group.pk)
    meeting = group.meetings.order_by("week")[3]
    groups.cancel_meeting(by=therapist.user, session_id=meeting.pk, reason="Holiday")
    return group


@pytest.mark.parametrize("width", [1280, 375])
def test_the_public_group_pages_pass_axe_logged_out_and_as_a_client(
    browser,
    live_server,
    axe,
    public_group,
    width,
):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        for who in (None, client_in(state="NY", tz="America/Chicago")):
            if who is not None:
                log_in(page, who.email)
            for path in ["/groups/?state=", public_group.get_absolute_url()]:
                assert_accessible(page, axe, path)
                main = page.get_by_role("main")
                expect(main).not_to_contain_text("Confirmed")
                expect(main).to_contain_text("$45 per meeting")
                zone = "Central Time" if who else "Eastern Time"
                expect(main).to_contain_text(f"Times are in your time zone, {zone}.")
            expect(page.locator(".session-item")).to_have_count(8)
            expect(page.locator(".session-item--cancelled")).to_contain_text("Cancelled")
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {width}px"
    finally:
        context.close()


def test_the_group_form_with_its_warning_passes_axe(page, axe, therapist):
    first = next_weekday(THURSDAY)
    availability.add_time_off(therapist=therapist, start_date=first, end_date=first)
    log_in(page, therapist.user.email)
    page.goto("/dashboard/groups/new/")
    fill_group_form(page, title="Thursday grief group", first=first)
    page.get_by_role("button", name="Create the group").click()
    expect(page.locator("#schedule-warnings")).to_be_visible()
    assert_accessible(page, axe, None)
