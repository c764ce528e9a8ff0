"""A client finds an evening intensive program in their state in Chromium, enrols, sees its
24 meetings in "my sessions", and the join button appears the day before the first one
(issue 18). Axe checks the list, the program page and "my sessions"."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from playwright.sync_api import expect

from booking.models import Group
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import client_in, next_weekday
from tests.e2e.test_accessibility import assert_accessible, axe_source  # noqa: F401 (fixture)
from tests.e2e.test_booking_flow import log_in

pytestmark = pytest.mark.django_db(transaction=True)

EVENING_ROOM = "https://video.example.com/evening-iop"


def program(therapist, *, title: str, start: dt.time, states=("NY",), room: str = "") -> Group:
    return make_group(
        therapist,
        title=title,
        description="Three meetings a week by video for adults with depression or loneliness.",
        kind="intensive",
        weekdays=[0, 2, 3],
        start_time=start,
        meeting_minutes=180,
        start_date=next_weekday(0),
        weeks=8,
        capacity=8,
        fee=45,
        states=list(states),
        video_url=room,
    )


@pytest.fixture
def programs():
    ny = group_therapist(display_name="Maya Lindqvist", credentials="PhD")
    ca = group_therapist(state="CA", tz="America/Los_Angeles", display_name="Ruth Ames")
    return {
        "evening": program(ny, title="Evening IOP", start=dt.time(18), room=EVENING_ROOM),
        "morning": program(ny, title="Morning IOP", start=dt.time(9)),
        "california": program(ca, title="California evening IOP", start=dt.time(18), states=["CA"]),
    }


def cards(page):
    return page.locator(".group-card .card-title")


def join_links(page):
    return page.get_by_role("main").get_by_role("link", name=re.compile("^Join the video room"))


def test_a_client_finds_an_evening_program_enrols_and_can_join_the_day_before(
    page,
    programs,
    axe_source,  # noqa: F811
):
    client = client_in(state="NY", name="Dana Reyes")
    log_in(page, client.email)
    page.goto("/groups/")
    page.get_by_label("Kind of group").select_option("intensive")
    page.get_by_role("checkbox", name=re.compile(r"^Evening")).check()
    page.get_by_role("button", name="Show groups").click()
    expect(cards(page)).to_have_text(["Evening IOP"])  # not the morning track, not CA's
    assert_accessible(page, axe_source, None)

    cards(page).get_by_role("link").click()
    main = page.get_by_role("main")
    expect(main).to_contain_text("Mon, Wed, Thu · 6:00–9:00 PM ET · 8 weeks")
    expect(main).to_contain_text("$45 per meeting · $135 a week")
    expect(main).to_contain_text("8 of 8 left")
    assert_accessible(page, axe_source, None)
    page.get_by_role("button", name="Join this group").click()
    expect(main).to_contain_text("You are enrolled.")

    page.goto("/my/sessions/")
    upcoming = page.locator("section[aria-labelledby='upcoming-heading'] .session-item")
    expect(upcoming).to_have_count(24)
    expect(page.locator("#upcoming-heading")).to_contain_text("(24)")
    expect(join_links(page)).to_have_count(0)  # the first meeting is days away
    assert EVENING_ROOM not in page.content()
    assert_accessible(page, axe_source, None)

    first = programs["evening"].meetings.order_by("start").first().start
    with time_machine.travel(first - dt.timedelta(hours=23)):
        page.reload()
        expect(join_links(page)).to_have_count(1)
        expect(join_links(page)).to_have_attribute("href", EVENING_ROOM)
