"""A client finds a grief group in their state, joins it and sees its meetings, in a
real browser; a second client finds it full and joins the waitlist."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from booking.groups import services as groups
from booking.models import Enrolment
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import client_in
from tests.e2e.test_booking_flow import log_in
from tests.factories import verified_license

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def grief_group():
    therapist = group_therapist(display_name="Maya Lindqvist", credentials="PhD")
    verified_license(therapist=therapist, state="NJ")
    make_group(therapist, title="Process group", kind="interpersonal_process", capacity=8)
    make_group(
        therapist, title="Jersey grief group", states=["NJ"], start_time=dt.time(10), weeks=6
    )
    return make_group(therapist, title="After a loss", capacity=2, start_time=dt.time(12), weeks=10)


def test_a_client_finds_a_grief_group_in_their_state_joins_and_sees_the_meetings(page, grief_group):
    client = client_in(state="NY", tz="America/Chicago", name="Dana Reyes")
    log_in(page, client.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Groups").click()
    expect(page.get_by_role("heading", name="Therapy groups", level=1)).to_be_visible()
    filters = page.get_by_role("region", name="Filter")
    expect(filters.get_by_label("State you live in")).to_have_value("NY")
    filters.get_by_label("Kind of group").select_option("grief")
    filters.get_by_role("button", name="Show groups").click()

    expect(page).to_have_url(re.compile(r"kind=grief"))
    cards = page.locator(".group-card")
    expect(cards).to_have_count(1)  # not the NJ one, not the process group
    card = cards.first
    expect(card).to_contain_text("After a loss")
    expect(card).to_contain_text("2 seats left")
    expect(card).to_contain_text("Wed · 11:00 AM–12:30 PM CT")
    expect(card).not_to_contain_text("Confirmed")
    card.get_by_role("link", name="After a loss", exact=True).click()

    main = page.get_by_role("main")
    expect(main).to_contain_text("your time zone, Central Time")
    expect(main.locator(".session-item")).to_have_count(10)
    expect(main.locator(".session-item").first).to_contain_text("11:00 AM CT")
    main.get_by_role("button", name="Join this group").click()

    expect(main).to_contain_text("You joined “After a loss”")
    expect(main).to_contain_text("You are enrolled.")
    page.get_by_role("link", name="My sessions").first.click()
    sessions = page.get_by_role("main")
    expect(sessions.locator(".session-item")).to_have_count(10)
    expect(sessions.locator(".session-item").first).to_contain_text("Group: After a loss")
    expect(sessions.locator(".session-item").first).to_contain_text("11:00 AM CT")
    assert Enrolment.objects.get(client=client).status == "enrolled"


def test_a_client_joins_the_waitlist_of_a_full_group_and_sees_their_place(page, grief_group):
    for _ in range(2):
        groups.enrol(client=client_in(), group_id=grief_group.pk)
    client = client_in(state="NY")
    log_in(page, client.email)
    page.goto(grief_group.get_absolute_url())
    main = page.get_by_role("main")
    expect(main).to_contain_text("The group is full")
    main.get_by_role("button", name="Join the waitlist").click()
    expect(main).to_contain_text("You are number 1 on the waitlist")
    assert Enrolment.objects.get(client=client).status == "waitlisted"
