"""The join button in Chromium (issue 18, item 4): a member of a telehealth group whose
meeting is less than 24 h away finds "Join the video room" on "my sessions" and on the
group's page, leading to the group's own room; someone on the waitlist finds none. Both
pages stay free of serious accessibility violations with the button on them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils.timezone import now
from playwright.sync_api import expect

from booking.groups import services as groups
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import NY, client_in
from tests.e2e.test_accessibility import assert_accessible, axe_source  # noqa: F401 (fixture)
from tests.e2e.test_booking_flow import log_in

pytestmark = pytest.mark.django_db(transaction=True)

GROUP_ROOM = "https://video.example.com/evening-track-4b1c"


@pytest.fixture
def tonight():
    """A weekly telehealth group whose first meeting is 2 to 3 hours from now, made a
    week ago (a group's first meeting must be in the future when it is made): one member
    and one on the waitlist."""
    soon = (now() + dt.timedelta(hours=3)).astimezone(NY).replace(minute=0, second=0, microsecond=0)
    therapist = group_therapist(video_url="https://video.example.com/maya")
    with time_machine.travel(now() - dt.timedelta(days=7), tick=False):
        group = make_group(
            therapist,
            title="Evening group",
            weekdays=[soon.weekday()],
            start_date=soon.date(),
            start_time=soon.time(),
            meeting_minutes=60,
            capacity=1,
            video_url=GROUP_ROOM,
        )
    member, waiting = client_in(name="Dana Reyes"), client_in(name="Lee Park")
    groups.enrol(client=member, group_id=group.pk)
    groups.enrol(client=waiting, group_id=group.pk)
    return {"group": group, "member": member, "waiting": waiting}


def join_links(page):
    return page.get_by_role("main").get_by_role("link", name=re.compile("^Join the video room"))


def test_a_member_joins_from_my_sessions_and_the_group_page(page, tonight, axe_source):  # noqa: F811
    log_in(page, tonight["member"].email)
    page.goto("/my/sessions/")
    expect(join_links(page)).to_have_count(1)
    expect(join_links(page)).to_have_attribute("href", GROUP_ROOM)
    assert_accessible(page, axe_source, None)

    page.goto(tonight["group"].get_absolute_url())
    expect(join_links(page)).to_have_count(1)
    expect(join_links(page)).to_have_attribute("href", GROUP_ROOM)
    assert_accessible(page, axe_source, None)


def test_someone_on_the_waitlist_has_no_join_button(page, tonight):
    log_in(page, tonight["waiting"].email)
    page.goto(tonight["group"].get_absolute_url())
    expect(page.get_by_role("main")).to_contain_text("on the waitlist")
    expect(join_links(page)).to_have_count(0)
    assert GROUP_ROOM not in page.content()
