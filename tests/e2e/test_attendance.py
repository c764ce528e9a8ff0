"""Attendance in Chromium (issue 18, item 5): the therapist's home flags a member who missed
the last three meetings and links to the roster; the member sees their own attendance on
the group page and in "my sessions". axe finds nothing serious on these pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils.timezone import localdate, now
from playwright.sync_api import expect

from booking.groups import services as groups
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import client_in
from tests.e2e.test_accessibility import assert_accessible, axe_source  # noqa: F401 (fixture)
from tests.e2e.test_booking_flow import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def program():
    """An evening program begun five weeks ago: Sam missed the last three meetings, Lee
    came to all of them."""
    therapist = group_therapist(display_name="Maya Lindqvist")
    begun = localdate() - dt.timedelta(weeks=5)
    with time_machine.travel(now() - dt.timedelta(weeks=5, days=3), tick=False):
        group = make_group(
            therapist,
            title="Evening IOP",
            kind="intensive",
            weekdays=[begun.weekday()],
            start_date=begun,
            start_time=dt.time(19),
            weeks=8,
            capacity=4,
        )
        sam, lee = client_in(name="Sam Kim"), client_in(name="Lee Park")
        for member in (sam, lee):
            groups.enrol(client=member, group_id=group.pk)
    held = list(group.meetings.filter(start__lt=now()).order_by("start"))[:4]
    for meeting, sam_here in zip(held, (True, False, False, False), strict=True):
        with time_machine.travel(meeting.end + dt.timedelta(minutes=5), tick=False):
            groups.mark_attendance(
                by=therapist.user, session_id=meeting.pk, present={sam.pk: sam_here, lee.pk: True}
            )
    return {"therapist": therapist, "group": group, "sam": sam}


@pytest.mark.parametrize("width", [1280, 375])
def test_the_home_flags_the_member_and_links_to_the_roster(
    browser,
    live_server,
    axe_source,  # noqa: F811
    program,
    width,
):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        log_in(page, program["therapist"].user.email)
        assert_accessible(page, axe_source, "/dashboard/")
        flagged = page.get_by_role("region", name="Members missing meetings")
        link = flagged.get_by_role("link", name="Sam K. missed the last 3 meetings of Evening IOP")
        expect(link).to_have_count(1)
        expect(flagged).not_to_contain_text("Lee")
        link.click()
        expect(page).to_have_url(re.compile(rf"/dashboard/groups/{program['group'].pk}/#roster"))
        expect(page.get_by_role("heading", name="Roster")).to_be_visible()
    finally:
        context.close()


def test_the_member_sees_their_own_attendance(page, axe_source, program):  # noqa: F811
    log_in(page, program["sam"].email)
    assert_accessible(page, axe_source, program["group"].get_absolute_url())
    mine = page.get_by_role("region", name="Your attendance")
    expect(mine).to_contain_text("You attended 1 of 4 meetings.")
    expect(mine.get_by_text("Missed", exact=True)).to_have_count(3)
    expect(page.get_by_role("main")).not_to_contain_text("Lee Park")

    assert_accessible(page, axe_source, "/my/sessions/")
    past = page.get_by_role("region", name=re.compile("^Past"))
    expect(past.get_by_text("Missed", exact=True)).to_have_count(3)
    expect(past.get_by_text("Attended", exact=True)).to_have_count(1)
