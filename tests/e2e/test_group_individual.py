"""Issue 18, item 3, in a real browser: a client opens an evening program that comes with a
weekly individual session, picks a weekly time free for the whole program in their own
zone, reads the summary and joins; a week taken meanwhile is named beside the form and
nothing is booked. axe finds nothing serious on either page."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from booking.models import Booking, Enrolment
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import at, book, client_in
from tests.e2e.test_accessibility import assert_accessible, axe_source  # noqa: F401 (fixture)
from tests.e2e.test_booking_flow import log_in

pytestmark = pytest.mark.django_db(transaction=True)

NY = ZoneInfo("America/New_York")


@pytest.fixture
def evening_program():
    therapist = group_therapist(display_name="Maya Lindqvist", credentials="PhD")
    return make_group(
        therapist, title="Evening IOP", kind="intensive", individual="required", weeks=6
    )


def thursday_10(group) -> dt.datetime:
    first = group.meetings.order_by("start").first().start.astimezone(NY).date()
    return at(first + dt.timedelta(days=1), 10)


def test_a_client_picks_a_weekly_time_for_the_whole_program_and_joins(
    page,
    evening_program,
    axe_source,  # noqa: F811
):
    client = client_in(state="NY", tz="America/Chicago", name="Dana Reyes")
    log_in(page, client.email)
    page.goto(evening_program.get_absolute_url())
    section = page.get_by_role("region", name="Your weekly individual session")
    expect(section).to_contain_text("Weekly times free for all 6 weeks")
    expect(section).to_contain_text("Central Time")
    assert_accessible(page, axe_source, None)
    # Thursday 10 AM in New York is 9 AM for a client in Chicago.
    section.get_by_role("link", name="Thursdays at 9:00 AM CT").click()
    summary = page.locator("#summary")
    expect(summary).to_contain_text("6 sessions · Thursdays 9:00 AM CT")

    # Someone takes week 2 of that time before the client sends the form.
    book(
        client_in(),
        evening_program.therapist,
        thursday_10(evening_program) + dt.timedelta(weeks=1),
        weeks=1,
    )
    page.get_by_role("button", name="Join and request these 6 weekly sessions").click()
    conflicts = page.locator("#individual #conflicts")
    expect(conflicts).to_contain_text(
        "1 of the 6 weeks of your individual sessions can’t be booked"
    )
    expect(conflicts).to_contain_text("9:00 AM CT — already booked")
    assert_accessible(page, axe_source, None)
    assert not Enrolment.objects.filter(client=client).exists()
    assert not Booking.objects.filter(client=client).exists()

    section.get_by_role("link", name="Fridays at 9:00 AM CT").click()
    page.get_by_role("button", name="Join and request these 6 weekly sessions").click()
    expect(page.get_by_role("main")).to_contain_text("You are enrolled.")
    expect(page.get_by_role("main")).to_contain_text(
        "Your weekly individual session is requested: 6 sessions, Fridays at 9:00 AM CT"
    )
    assert Enrolment.objects.get(client=client).status == "enrolled"
    assert Booking.objects.get(client=client).weeks == 6
