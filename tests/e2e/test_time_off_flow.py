"""Time off over a booked week, in a real browser (PRODUCT.md rule 4): the therapist adds
a week off, sees the session booked in it listed first, and defers it to a week after
the course; the confirmation before removing time off works without JavaScript."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from booking.courses import services
from booking.models import TimeOff
from tests.booking.helpers import NY, at, book, bookable_therapist, client_in, next_weekday
from tests.e2e.test_accessibility import assert_accessible, axe_source  # noqa: F401 (fixture)
from tests.e2e.test_booking_flow import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def course():
    therapist = bookable_therapist(display_name="Maya Lindqvist")
    client = client_in(name="Dana Reyes")
    booking = book(client, therapist, at(next_weekday(1), 10), weeks=12)
    return services.confirm_booking(booking_id=booking.pk, by=therapist.user)


def test_the_therapist_defers_a_session_booked_in_new_time_off(page, course, axe_source):  # noqa: F811
    third = course.sessions.get(week=3)
    last = course.sessions.get(week=12)
    day = third.start.astimezone(NY).date()
    monday = day - dt.timedelta(days=day.weekday())
    log_in(page, course.therapist.user.email)

    page.goto("/dashboard/hours/")
    expect(page.get_by_role("heading", name=re.compile("Booked in your time off"))).to_have_count(0)
    form = page.locator("form.time-off-form")
    form.get_by_label("First day off").fill(monday.isoformat())
    form.get_by_label("Last day off").fill((monday + dt.timedelta(days=6)).isoformat())
    form.get_by_role("button", name="Add time off").click()

    expect(page.locator(".message--success")).to_contain_text(
        "1 session is already booked on those days"
    )
    decide = page.get_by_role("region", name=re.compile("Booked in your time off"))
    expect(decide).to_be_visible()
    row = decide.get_by_role("listitem").filter(has_text="Dana Reyes")
    expect(row).to_contain_text("session 3 of 12")
    assert_accessible(page, axe_source, None)

    row.get_by_role("button", name=re.compile(r"^Defer to ")).click()

    expect(page.locator(".message--success")).to_contain_text("Deferred Dana Reyes’s session")
    expect(page.get_by_role("region", name=re.compile("Booked in your time off"))).to_have_count(0)
    third.refresh_from_db()
    assert third.start == at(last.start.astimezone(NY).date() + dt.timedelta(weeks=1), 10)
    assert third.status == "confirmed"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_removing_time_off_asks_first(browser, live_server, javascript, axe_source):  # noqa: F811
    therapist = bookable_therapist()
    start = next_weekday(0, weeks_ahead=4)
    TimeOff.objects.create(therapist=therapist, start_date=start, end_date=start)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=javascript)
    try:
        page = context.new_page()
        log_in(page, therapist.user.email)
        page.goto("/dashboard/hours/")
        page.get_by_role("link", name=re.compile(r"^Remove")).click()

        expect(page.get_by_role("heading", level=1)).to_contain_text("Remove your time off on")
        assert TimeOff.objects.filter(therapist=therapist).exists()
        if javascript:
            assert_accessible(page, axe_source, None)
        page.get_by_role("button", name="Yes, remove this time off").click()

        expect(page.locator(".message--success")).to_contain_text("is removed")
        assert not TimeOff.objects.filter(therapist=therapist).exists()
    finally:
        context.close()
