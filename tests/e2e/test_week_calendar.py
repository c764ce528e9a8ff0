"""The therapist's week calendar in Chromium (issue 16, item 2): a grid of seven day
columns at desktop width, the same page as a list of days on a phone (no sideways
scrolling), every session reachable with Tab, axe clean at both widths, a date jump that
works without JavaScript, and a print layout with no navigation that fits a landscape
page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from booking.courses import services
from booking.groups import services as groups
from booking.models import TimeOff
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import NY, at, book, client_in, next_weekday
from tests.e2e.test_accessibility import assert_accessible, axe_source  # noqa: F401 (fixture)
from tests.e2e.test_booking_flow import log_in

pytestmark = pytest.mark.django_db(transaction=True)

# A landscape A4 / Letter page less 10 mm margins, in CSS pixels (about 277 mm).
LANDSCAPE_WIDTH = 1040


@pytest.fixture
def week():
    """A therapist (hours Monday to Friday, 9 AM – 5 PM) whose week holds the 4th session
    of a 12-week course on Tuesday 10 AM, a request on Thursday 2 PM, a group meeting on
    Wednesday 6 PM with two members, and Friday off; the path of that week."""
    therapist = group_therapist(display_name="Maya Lindqvist")
    course = book(client_in(name="Dana Reyes"), therapist, at(next_weekday(1), 10), weeks=12)
    services.confirm_booking(booking_id=course.pk, by=therapist.user)
    fourth = course.sessions.get(week=4).start.astimezone(NY).date()
    monday = fourth - dt.timedelta(days=fourth.weekday())
    book(client_in(name="Sam Ortiz"), therapist, at(monday + dt.timedelta(days=3), 14), weeks=1)
    group = make_group(therapist, start_date=monday - dt.timedelta(weeks=2))
    for name in ("Ana Member", "Bo Member"):
        groups.enrol(client=client_in(name=name), group_id=group.pk)
    friday = monday + dt.timedelta(days=4)
    TimeOff.objects.create(therapist=therapist, start_date=friday, end_date=friday)
    return {"therapist": therapist, "path": f"/dashboard/calendar/?week={monday.isoformat()}"}


def boxes(page, selector: str) -> list[dict]:
    return page.eval_on_selector_all(
        selector,
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return {x: r.x, y: r.y, width: r.width, height: r.height}; })",
    )


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def open_week(page, week) -> None:
    log_in(page, week["therapist"].user.email)
    page.goto(week["path"])
    expect(page.get_by_role("heading", level=2, name=re.compile("^Week of"))).to_be_visible()


def test_at_desktop_width_the_week_is_a_grid_of_seven_day_columns(page, week):
    open_week(page, week)

    heads = boxes(page, ".cal-day-head")
    assert len(heads) == 7
    assert len({round(h["y"]) for h in heads}) == 1  # one row of day heads
    assert [h["x"] for h in heads] == sorted(h["x"] for h in heads)
    assert all(h["width"] > 100 for h in heads)
    # Tuesday's session sits in Tuesday's column, in the 10 AM row.
    tuesday = heads[1]
    session = page.locator(".cal-event").filter(has_text="Dana Reyes")
    expect(session).to_contain_text("Week 4 of 12")
    box = session.bounding_box()
    assert tuesday["x"] <= box["x"] < tuesday["x"] + tuesday["width"]
    ten = page.locator(".cal-hour").filter(has_text=re.compile("^10 AM$")).bounding_box()
    assert abs(box["y"] - ten["y"]) < 12
    # Friday is off, shaded and labelled; the group meeting is below the hours.
    expect(page.locator(".cal-day--off .cal-off-label")).to_have_text("Time off")
    expect(page.locator(".cal-event--group")).to_contain_text("2 of 8 seats taken")
    assert scroll_width(page) <= 1280


def test_on_a_phone_the_week_is_a_list_of_days_without_sideways_scrolling(
    browser, live_server, week
):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 375, "height": 812}, is_mobile=True
    )
    try:
        page = context.new_page()
        open_week(page, week)

        heads = boxes(page, ".cal-day-head")
        # One under the other, each as wide as the screen (less a border's width).
        assert max(h["x"] for h in heads) - min(h["x"] for h in heads) < 8
        assert all(h["width"] > 300 for h in heads)
        assert [h["y"] for h in heads] == sorted(h["y"] for h in heads)
        assert scroll_width(page) <= 375
        expect(page.locator(".cal-hours")).to_be_hidden()
        # The empty hours are not drawn; what the days hold is.
        assert page.locator(".cal-cell:not(.cal-block)").first.is_hidden()
        tuesday = page.locator(".cal-day").nth(1)
        expect(tuesday.get_by_role("link", name="Dana Reyes")).to_be_visible()
        expect(page.locator(".cal-day").nth(5)).to_contain_text("No sessions.")
    finally:
        context.close()


def test_tab_reaches_every_session_link_in_day_order(page, week):
    open_week(page, week)

    reached = []
    for _ in range(80):
        page.keyboard.press("Tab")
        name = page.evaluate("document.activeElement.textContent.trim()")
        if page.evaluate("document.activeElement.closest('.cal-event') !== null"):
            reached.append(name)
        if name.startswith("Sam Ortiz"):
            break

    assert [name for name in reached if not name.startswith("Answer")] == [
        "Dana Reyes",
        "Group: Grief and loss group",
        "Sam Ortiz",
    ]


def test_the_week_has_no_serious_accessibility_violations_at_both_widths(
    page,
    week,
    axe_source,  # noqa: F811
):
    open_week(page, week)
    assert_accessible(page, axe_source, None)
    page.set_viewport_size({"width": 375, "height": 812})
    assert_accessible(page, axe_source, None)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_date_jump_opens_the_week_of_the_chosen_day(browser, live_server, week, javascript):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=javascript)
    try:
        page = context.new_page()
        log_in(page, week["therapist"].user.email)
        page.goto("/dashboard/calendar/")

        page.get_by_label("Go to the week of").fill("2027-03-10")
        page.get_by_role("button", name="Show week").click()

        expect(page).to_have_url(re.compile(r"\?week=2027-03-10$"))
        expect(page.get_by_role("heading", level=2)).to_have_text(
            "Week of Mon, Mar 8 – Sun, Mar 14, 2027"
        )
        page.get_by_role("link", name="Next week →").click()
        expect(page.get_by_role("heading", level=2)).to_have_text(
            "Week of Mon, Mar 15 – Sun, Mar 21, 2027"
        )
    finally:
        context.close()


def test_printed_the_week_has_no_navigation_and_fits_a_landscape_page(page, week):
    page.set_viewport_size({"width": LANDSCAPE_WIDTH, "height": 720})
    open_week(page, week)

    page.emulate_media(media="print")

    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Dashboard")).to_be_hidden()
    expect(page.locator(".cal-tools")).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()
    heads = boxes(page, ".cal-day-head")
    assert len({round(h["y"]) for h in heads}) == 1
    assert max(h["x"] + h["width"] for h in heads) <= LANDSCAPE_WIDTH
    assert scroll_width(page) <= LANDSCAPE_WIDTH
    expect(page.locator(".cal-event").filter(has_text="Dana Reyes")).to_be_visible()
    assert page.pdf(landscape=True, format="Letter")[:4] == b"%PDF"


def test_a_past_session_is_marked_completed_from_the_keyboard(page):
    therapist = group_therapist(display_name="Maya Lindqvist")
    with time_machine.travel(timezone.now() - dt.timedelta(weeks=3)):
        course = book(client_in(name="Dana Reyes"), therapist, at(next_weekday(1), 10), weeks=2)
        services.confirm_booking(booking_id=course.pk, by=therapist.user)
    first = course.sessions.get(week=1)
    day = first.start.astimezone(NY).date()
    log_in(page, therapist.user.email)
    page.goto(f"/dashboard/calendar/?week={day.isoformat()}")
    session = page.locator(".cal-event").filter(has_text="Dana Reyes")
    expect(session.get_by_role("button")).to_have_count(2)

    session.get_by_role("link", name="Dana Reyes").focus()
    page.keyboard.press("Tab")  # the session's first button
    expect(page.locator(":focus")).to_have_text(re.compile("^Mark completed"))
    page.keyboard.press("Enter")

    expect(page.locator(".message--success")).to_contain_text("Dana Reyes’s session")
    expect(page.locator(".message--success")).to_contain_text("as completed")
    session = page.locator(".cal-event").filter(has_text="Dana Reyes")
    expect(session).to_contain_text("Completed")
    expect(session.get_by_role("button")).to_have_text([re.compile("^Mark no-show")])
    first.refresh_from_db()
    assert first.status == "completed"
