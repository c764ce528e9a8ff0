"""US dates and times (accounts/templatetags/us_time.py): "Tue, Dec 8 · 10:00 AM ET"."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template import Context, Template
from django.utils import timezone

from accounts.templatetags.us_time import us_date, us_datetime, us_day, us_time, us_weekly

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
