"""The .ics feeds read the same in every common calendar reader: icalendar (ours), the
VTIMEZONE read on its own as a reader without a zone database would (dateutil), vobject,
the `ics` package and khal. Courses that span a change of daylight saving time keep
their local time in all of them. (icalendar's ``add_missing_timezones()`` put some 67
dates on one RDATE line, of which vobject read only the first: every session after the
March change showed an hour late there.)"""

import datetime as dt
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import ics
import pytest
import time_machine
import vobject
from django.urls import reverse

from booking import calendar
from tests.booking.helpers import at, book, bookable_therapist, client_in

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
EVENINGS = [(d, dt.time(9), dt.time(20)) for d in range(5)]

# (therapist's and client's zone and state, first session, weeks); the changes of 2027:
# Sunday, March 14 and Sunday, November 7.
COURSES = {
    "10 AM New York across March": ("America/New_York", "NY", at(dt.date(2027, 2, 23), 10), 8),
    "6 PM Los Angeles across March": (
        "America/Los_Angeles",
        "CA",
        at(dt.date(2027, 2, 23), 18, tz=LA),
        8,
    ),
    "10 AM New York across November": ("America/New_York", "NY", at(dt.date(2027, 10, 19), 10), 4),
}


def feed_of(client, person) -> str:
    token = calendar.rotate_feed(user=person).token
    response = client.get(reverse("booking:calendar_feed", args=[token]))
    assert response.status_code == 200
    return response.content.decode()


def course_feed(client, name):
    key, state, start, weeks = COURSES[name]
    with time_machine.travel(start - dt.timedelta(weeks=3), tick=False):
        person = client_in(state=state, tz=key)
        booking = book(
            person, bookable_therapist(state=state, tz=key, hours=EVENINGS), start, weeks
        )
        starts = list(booking.sessions.order_by("start").values_list("start", flat=True))
        return feed_of(client, person), starts, ZoneInfo(key), start.timetz()


def read_by_icalendar(text: str) -> list[dt.datetime]:
    return [e.decoded("DTSTART") for e in icalendar.Calendar.from_ical(text).walk("VEVENT")]


def read_by_its_vtimezone(text: str) -> list[dt.datetime]:
    """Local times read through the feed's own VTIMEZONE, not a zone database (dateutil)."""
    cal = icalendar.Calendar.from_ical(text)
    (vtimezone,) = cal.walk("VTIMEZONE")
    zone = vtimezone.to_tz(lookup_tzid=False)
    return [e["DTSTART"].dt.replace(tzinfo=zone) for e in cal.walk("VEVENT")]


def read_by_vobject(text: str) -> list[dt.datetime]:
    return [e.dtstart.value for e in vobject.readOne(text).vevent_list]


def read_by_ics(text: str) -> list[dt.datetime]:
    return sorted(e.begin.datetime for e in ics.Calendar(text).events)


def read_by_khal(text: str, zone: ZoneInfo, folder: Path) -> list[dt.datetime]:
    """``khal printics`` with its local zone set to ``zone``, as a person there runs it."""
    (folder / "cal").mkdir()
    (folder / "feed.ics").write_text(text)
    (folder / "config").write_text(
        f"[calendars]\n[[rapport]]\npath = {folder / 'cal'}\n"
        f"[locale]\nlocal_timezone = {zone.key}\ndefault_timezone = {zone.key}\n"
        "timeformat = %H:%M\ndateformat = %Y-%m-%d\nlongdateformat = %Y-%m-%d\n"
        "datetimeformat = %Y-%m-%dT%H:%M\nlongdatetimeformat = %Y-%m-%dT%H:%M\n"
        f"[sqlite]\npath = {folder / 'khal.db'}\n"
    )
    khal = Path(sys.executable).parent / "khal"
    out = subprocess.run(
        [khal, "-c", folder / "config", "printics", "--format", "{start}", folder / "feed.ics"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    lines = out.splitlines()[1:]  # after "N events found in …"
    return [dt.datetime.fromisoformat(line).replace(tzinfo=zone) for line in lines]


@pytest.mark.parametrize("name", list(COURSES))
def test_every_reader_shows_every_session_at_the_booked_local_time(client, name, tmp_path):
    text, starts, zone, booked = course_feed(client, name)

    readings = {
        "icalendar": read_by_icalendar(text),
        "its own VTIMEZONE": read_by_its_vtimezone(text),
        "vobject": read_by_vobject(text),
        "ics": read_by_ics(text),
        "khal": read_by_khal(text, zone, tmp_path),
    }

    offsets = {s.astimezone(zone).utcoffset() for s in starts}
    assert len(offsets) == 2, "the course spans a change of daylight saving time"
    for reader, read in readings.items():
        assert read == starts, reader
        assert {t.astimezone(zone).timetz().replace(tzinfo=None) for t in read} == {
            booked.replace(tzinfo=None)
        }, reader


def vtimezone_lines(text: str) -> list[str]:
    unfolded = text.replace("\r\n ", "").splitlines()
    return unfolded[unfolded.index("BEGIN:VTIMEZONE") : unfolded.index("END:VTIMEZONE") + 1]


def parts(text: str) -> dict[str, list[str]]:
    """The VTIMEZONE's parts by name (one each here), each with its lines."""
    found, name = {}, None
    for line in vtimezone_lines(text)[1:-1]:
        if line.startswith("BEGIN:"):
            name = line.removeprefix("BEGIN:")
            assert name not in found
            found[name] = []
        elif name and not line.startswith("END:"):
            found[name].append(line)
    return found


@pytest.mark.parametrize("name", list(COURSES))
def test_a_us_zone_is_written_as_its_yearly_rule(client, name):
    text, _, zone, _ = course_feed(client, name)
    standard, daylight = ("-0500", "-0400") if zone == NY else ("-0800", "-0700")

    found = parts(text)

    assert f"TZID:{zone.key}" in vtimezone_lines(text)
    assert set(found) == {"DAYLIGHT", "STANDARD"}
    assert not [line for lines in found.values() for line in lines if line.startswith("RDATE")]
    # Each change at 2:00 AM on the clock before it (RFC 5545 3.6.5), a year or less
    # before the course.
    assert [line for line in found["DAYLIGHT"] if not line.startswith(("DTSTART", "TZNAME"))] == [
        "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3",
        f"TZOFFSETFROM:{standard}",
        f"TZOFFSETTO:{daylight}",
    ]
    assert [line for line in found["STANDARD"] if not line.startswith(("DTSTART", "TZNAME"))] == [
        "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11",
        f"TZOFFSETFROM:{daylight}",
        f"TZOFFSETTO:{standard}",
    ]
    for lines in found.values():
        (start,) = [line for line in lines if line.startswith("DTSTART:")]
        assert start.endswith("T020000")


def test_a_zone_without_a_yearly_rule_lists_each_change_once(client, tmp_path):
    """Morocco's clocks go back an hour for Ramadan (February 2027 here): no yearly rule,
    so every change has its own part, one date each, and every reader agrees."""
    with time_machine.travel(dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC), tick=False):
        person = client_in(tz="Africa/Casablanca")
        booking = book(person, bookable_therapist(), at(dt.date(2027, 1, 12), 10), weeks=10)
        starts = list(booking.sessions.order_by("start").values_list("start", flat=True))
        text = feed_of(client, person)
    zone = ZoneInfo("Africa/Casablanca")
    assert len({s.astimezone(zone).utcoffset() for s in starts}) == 2

    lines = vtimezone_lines(text)

    assert not [line for line in lines if line.startswith(("RRULE", "RDATE"))]
    assert len([line for line in lines if line.startswith("DTSTART")]) >= 3
    for read in (
        read_by_icalendar(text),
        read_by_its_vtimezone(text),
        read_by_vobject(text),
        read_by_ics(text),
        read_by_khal(text, zone, tmp_path),
    ):
        assert read == starts


def test_a_zone_without_daylight_saving_is_one_standard_part(client):
    with time_machine.travel(dt.datetime(2027, 2, 1, 12, tzinfo=dt.UTC), tick=False):
        person = client_in(state="AZ", tz="America/Phoenix")
        therapist = bookable_therapist(state="AZ", tz="America/Phoenix")
        booking = book(
            person, therapist, at(dt.date(2027, 2, 23), 10, tz=ZoneInfo("America/Phoenix")), 8
        )
        starts = list(booking.sessions.order_by("start").values_list("start", flat=True))
        text = feed_of(client, person)

    lines = vtimezone_lines(text)

    assert [
        line for line in lines if line.startswith(("BEGIN:", "TZOFFSET", "RRULE", "RDATE"))
    ] == [
        "BEGIN:VTIMEZONE",
        "BEGIN:STANDARD",
        "TZOFFSETFROM:-0700",
        "TZOFFSETTO:-0700",
    ]
    assert read_by_vobject(text) == read_by_ics(text) == read_by_icalendar(text) == starts
