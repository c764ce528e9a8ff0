"""US dates and times (accounts/templatetags/us_time.py): "Tue, Dec 8 · 10:00 AM ET"."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template import Context, Template
from django.utils import timezone

from accounts.templatetags.us_time import (
    us_clock,
    us_date,
    us_datetime,
    us_day,
    us_long,
    us_stamp,
    us_time,
    us_weekly,
    zone_name,
)

TEN_AM_NEW_YORK = dt.datetime(2026, 12, 8, 15, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("America/New_York", "Tue, Dec 8 · 10:00 AM ET"),
        ("America/Chicago", "Tue, Dec 8 · 9:00 AM CT"),
        ("America/Denver", "Tue, Dec 8 · 8:00 AM MT"),
        ("America/Phoenix", "Tue, Dec 8 · 8:00 AM MT"),
        ("America/Los_Angeles", "Tue, Dec 8 · 7:00 AM PT"),
        ("America/Anchorage", "Tue, Dec 8 · 6:00 AM AKT"),
        ("Pacific/Honolulu", "Tue, Dec 8 · 5:00 AM HT"),
        ("Europe/London", "Tue, Dec 8 · 3:00 PM GMT"),
        ("Asia/Dubai", "Tue, Dec 8 · 7:00 PM UTC+4"),
        ("Asia/Kathmandu", "Tue, Dec 8 · 8:45 PM UTC+5:45"),
    ],
)
@time_machine.travel(dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC), tick=False)
def test_a_time_reads_as_americans_write_it_in_the_viewers_zone(zone, expected):
    with timezone.override(ZoneInfo(zone)):
        assert us_datetime(TEN_AM_NEW_YORK) == expected
        rendered = Template("{{ t|us_datetime }}").render(Context({"t": TEN_AM_NEW_YORK}))
        assert rendered == expected


@time_machine.travel(dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC), tick=False)
def test_daylight_time_keeps_the_same_label_and_another_year_shows_its_year():
    july = dt.datetime(2027, 7, 6, 14, 0, tzinfo=dt.UTC)
    with timezone.override(ZoneInfo("America/New_York")):
        assert us_datetime(july) == "Tue, Jul 6, 2027 · 10:00 AM ET"
        assert us_time(july) == "10:00 AM ET"
        assert us_weekly(TEN_AM_NEW_YORK) == "Tuesdays at 10:00 AM ET"
        assert us_day(dt.date(2026, 12, 29)) == "Tue, Dec 29"
        assert us_date(dt.date(2027, 3, 2)) == "Mar 2, 2027"


def test_a_timezone_block_in_a_template_shows_that_zone():
    template = Template(
        '{% load tz %}{% timezone "America/Los_Angeles" %}{{ t|us_time }}{% endtimezone %}'
    )
    with timezone.override(ZoneInfo("America/New_York")):
        assert template.render(Context({"t": TEN_AM_NEW_YORK})) == "7:00 AM PT"


def test_nothing_renders_as_nothing():
    assert us_datetime(None) == us_date(None) == us_time(None) == ""


def test_the_timezone_filter_in_a_template_shows_that_zone_not_the_active_one():
    """E-mails pick the recipient's zone with ``|timezone:tz``; the filters keep it."""
    template = Template('{% load tz %}{{ t|timezone:"America/Chicago"|us_datetime }}')
    with timezone.override(ZoneInfo("America/New_York")):
        assert template.render(Context({"t": TEN_AM_NEW_YORK})) == "Tue, Dec 8 · 9:00 AM CT"


def test_an_email_body_a_log_line_and_weekly_hours_read_as_americans_write_them():
    with timezone.override(ZoneInfo("America/Los_Angeles")):
        assert us_long(TEN_AM_NEW_YORK) == "Tuesday, December 8, 2026 at 7:00 AM PT"
        second = TEN_AM_NEW_YORK + dt.timedelta(seconds=5)
        assert us_stamp(second) == "Dec 8, 2026, 7:00:05 AM PT"
    assert us_clock(dt.time(13, 30)) == "1:30 PM"
    assert us_clock(dt.time(0, 0)) == "12:00 AM"
    assert us_long(None) == us_stamp(None) == us_clock(None) == ""


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("America/New_York", "Eastern Time"),
        ("America/Chicago", "Central Time"),
        ("America/Phoenix", "Mountain Time (Phoenix)"),
        ("America/Indiana/Knox", "Central Time (Starke County, Indiana)"),
        ("Pacific/Honolulu", "Hawaii Time"),
        ("Europe/Paris", "Paris time"),
        ("America/Argentina/Buenos_Aires", "Buenos Aires time"),
    ],
)
def test_a_zone_reads_by_its_common_name_on_pages(zone, expected):
    assert zone_name(zone) == expected
    assert zone_name(ZoneInfo(zone)) == expected
