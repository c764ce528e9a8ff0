"""Pure tests of the course slot finder (booking/slots.py): no database.

Hypothesis draws whole schedules (zone, weekly hours, session length, grid step,
time off, busy intervals) and windows around daylight-saving changes, and checks the
rules of PRODUCT.md 4 and 5 against what the finder returns.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking import slots
from booking.slots import Schedule, WeeklyRange

UTC = dt.UTC
NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
ZONES = [
    "America/New_York",
    "America/Los_Angeles",
    "America/Phoenix",
    "Pacific/Honolulu",
    "Europe/London",
]
# Daylight-saving changes in 2026-2027, in the USA and in the UK.
DST_DAYS = [
    dt.date(2026, 3, 8),
    dt.date(2026, 3, 29),
    dt.date(2026, 10, 25),
    dt.date(2026, 11, 1),
    dt.date(2027, 3, 14),
    dt.date(2027, 3, 28),
    dt.date(2027, 10, 31),
    dt.date(2027, 11, 7),
]
BUDGET = 100  # days x weeks of one drawn window
SESSION_MINUTES = [30, 45, 50, 60, 90]
STEPS = [15, 30, 60]

PROPERTY = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def quarter(n: int) -> dt.time:
    """The n-th quarter hour of the day (0 → 00:00, 95 → 23:45)."""
    return dt.time(n // 4, n % 4 * 15)


def minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


@st.composite
def day_ranges(draw, weekday: int) -> list[WeeklyRange]:
    """0–2 non-overlapping ranges on one weekday, on whole quarter hours."""
    points = sorted(draw(st.lists(st.integers(0, 95), unique=True, max_size=4)))
    pairs = zip(points[0::2], points[1::2], strict=False)
    return [WeeklyRange(weekday, quarter(a), quarter(b)) for a, b in pairs]


@st.composite
def weekly_hours(draw) -> list[WeeklyRange]:
    hours: list[WeeklyRange] = []
    for weekday in range(7):
        hours += draw(day_ranges(weekday))
    return hours


first_days = st.one_of(
    st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)),
    st.builds(
        lambda day, shift: day + dt.timedelta(days=shift),
        st.sampled_from(DST_DAYS),
        st.integers(-20, 3),
    ),
)


@st.composite
def scenarios(draw, *, max_days: int = slots.MAX_DAYS, max_weeks: int = slots.MAX_WEEKS):
    tz = ZoneInfo(draw(st.sampled_from(ZONES)))
    first_day = draw(first_days)
    weeks = draw(st.integers(1, max_weeks))
    # Every size up to 62 days and 16 weeks, but not both at once: the cost is
    # days x weeks, and the examples below cover the largest window and course.
    days = draw(st.integers(1, min(max_days, max(7, BUDGET // weeks))))
    # days from first_day that the occurrences can reach, weeks skipped included
    horizon = days + 7 * (weeks + slots.MAX_SKIPS) + 2
    time_off = []
    # Short breaks, and now and then a long one: more weeks off than a course may skip.
    lengths = st.integers(0, 10) | st.integers(20, 45)
    for offset, length in draw(st.lists(st.tuples(st.integers(-3, horizon), lengths), max_size=3)):
        first = first_day + dt.timedelta(days=offset)
        time_off.append((first, first + dt.timedelta(days=length)))
    origin = dt.datetime.combine(first_day, dt.time(), tzinfo=UTC) - dt.timedelta(days=1)
    busy = []
    for offset, length in draw(
        st.lists(st.tuples(st.integers(0, (horizon + 1) * 24 * 4), st.integers(1, 16)), max_size=12)
    ):
        start = origin + dt.timedelta(minutes=15 * offset)
        busy.append((start, start + dt.timedelta(minutes=15 * length)))
    earliest = draw(
        st.none() | st.integers(0, 6 * 24).map(lambda h: origin + dt.timedelta(hours=h))
    )
    schedule = Schedule(
        tz=tz,
        hours=draw(weekly_hours()),
        session_minutes=draw(st.sampled_from(SESSION_MINUTES)),
        step_minutes=draw(st.sampled_from(STEPS)),
        time_off=time_off,
        busy=busy,
    )
    return schedule, {"first_day": first_day, "days": days, "weeks": weeks, "earliest": earliest}


def find(schedule: Schedule, window: dict, **changes) -> list[dt.datetime]:
    return slots.free_course_starts(schedule, **{**window, **changes})


def find_courses(schedule: Schedule, window: dict, **changes) -> list[slots.Course]:
    return slots.free_courses(schedule, **{**window, **changes})


def sessions_of(schedule: Schedule, course: slots.Course, weeks: int) -> list[dt.datetime]:
    """The course's sessions as aware local datetimes, from its plan."""
    plan = slots.plan_course(schedule, course.start, weeks)
    assert plan.skipped == course.skipped
    return list(plan.sessions)


def exists(local: dt.datetime) -> bool:
    """False for a wall time inside a spring-forward gap (it does not happen)."""
    wall = local.replace(tzinfo=None)
    return local.astimezone(UTC).astimezone(local.tzinfo).replace(tzinfo=None) == wall


def grid_starts(schedule: Schedule, first_day: dt.date, days: int) -> list[dt.datetime]:
    """Every grid start in the window, as aware local datetimes (gap times included)."""
    found = []
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        for r in schedule.hours:
            if r.weekday != day.weekday():
                continue
            minute = minutes(r.start)
            while minute + schedule.session_minutes <= minutes(r.end):
                wall = dt.time(minute // 60, minute % 60)
                found.append(dt.datetime.combine(day, wall, tzinfo=schedule.tz))
                minute += schedule.step_minutes
    return found


def overlaps_busy(schedule: Schedule, start: dt.datetime, end: dt.datetime) -> bool:
    return any(b_start < end and start < b_end for b_start, b_end in schedule.busy)


def is_off(schedule: Schedule, day: dt.date) -> bool:
    return any(first <= day <= last for first, last in schedule.time_off)


def ends_within_hours(schedule: Schedule, local: dt.datetime, length: dt.timedelta) -> bool:
    """The session, ``length`` by the real clock from wall time ``local``, ends by the wall
    clock inside a range that holds its start: on a spring-forward night the real end reads
    an hour later, so a session that would reach the end of the hours across the jump does
    not fit."""
    start = local.replace(tzinfo=schedule.tz).astimezone(UTC)
    end_wall = (start + length).astimezone(schedule.tz).replace(tzinfo=None)
    day = dt.datetime.combine(local.date(), dt.time())
    end_minute = (end_wall - day) // dt.timedelta(minutes=1)
    start_minute = local.hour * 60 + local.minute
    return any(
        r.weekday == local.weekday()
        and minutes(r.start) <= start_minute
        and end_minute <= minutes(r.end)
        for r in schedule.hours
    )


def brute_force_courses(schedule: Schedule, window: dict) -> list[slots.Course]:
    """The finder's answer, computed the slow and obvious way: walk each grid start's
    weeks; a week off is skipped (at most MAX_SKIPS, never the first); every other week
    must be free; stop at N sessions."""
    length = dt.timedelta(minutes=schedule.session_minutes)
    earliest = window["earliest"]

    def free(local: dt.datetime) -> bool:
        aware = local.replace(tzinfo=schedule.tz)
        return (
            exists(aware)
            and ends_within_hours(schedule, local, length)
            and not is_off(schedule, local.date())
            and (earliest is None or aware >= earliest)
            and not overlaps_busy(schedule, aware, aware + length)
        )

    found = {}
    for start in grid_starts(schedule, window["first_day"], window["days"]):
        wall = start.replace(tzinfo=None)
        held, skipped, k = [], [], 0
        while len(held) < window["weeks"]:
            local = wall + dt.timedelta(weeks=k)
            k += 1
            if k > 1 and is_off(schedule, local.date()) and len(skipped) < slots.MAX_SKIPS:
                skipped.append(local.date())
            elif free(local):
                held.append(local)
            else:
                break
        if len(held) == window["weeks"]:
            utc = start.astimezone(UTC)
            last = held[-1].replace(tzinfo=schedule.tz).astimezone(UTC)
            found.setdefault(utc, slots.Course(utc, last, tuple(skipped)))
    return [found[s] for s in sorted(found)]


def brute_force(schedule: Schedule, window: dict) -> list[dt.datetime]:
    return [course.start for course in brute_force_courses(schedule, window)]


# --- Properties -----------------------------------------------------------------------


@PROPERTY
@given(scenarios())
def test_no_session_of_a_free_course_is_busy_off_or_too_soon(scenario):
    schedule, window = scenario
    length = dt.timedelta(minutes=schedule.session_minutes)
    for course in find_courses(schedule, window):
        for local in sessions_of(schedule, course, window["weeks"]):
            begin = local.astimezone(UTC)
            assert not overlaps_busy(schedule, begin, begin + length), (course, local)
            assert not is_off(schedule, local.date()), (course, local)
            if window["earliest"] is not None:
                assert begin >= window["earliest"]


@PROPERTY
@given(scenarios())
def test_every_occurrence_lies_on_the_grid_inside_the_weekly_hours(scenario):
    schedule, window = scenario
    step, length = schedule.step_minutes, schedule.session_minutes
    for course in find_courses(schedule, window):
        start = course.start
        wall = start.astimezone(schedule.tz).time()
        for local in sessions_of(schedule, course, window["weeks"]):
            assert exists(local), local  # never inside a spring-forward gap
            assert local.time() == wall  # same wall-clock time every week
            assert local.astimezone(UTC).astimezone(schedule.tz).time() == wall
            minute = minutes(local.time())
            assert any(
                r.weekday == local.weekday()
                and minutes(r.start) <= minute
                and minute + length <= minutes(r.end)
                and (minute - minutes(r.start)) % step == 0
                for r in schedule.hours
            ), (start, local, schedule.hours)


@PROPERTY
@given(scenarios(), st.data())
def test_widening_the_weekly_hours_never_removes_a_start(scenario, data):
    schedule, window = scenario
    hours = list(schedule.hours)
    free_days = sorted(set(range(7)) - {r.weekday for r in hours})
    choices = []
    if free_days:
        choices.append("add")
    extendable = [
        i
        for i, r in enumerate(hours)
        if minutes(r.end) < 23 * 60 + 45
        and not any(
            o.weekday == r.weekday and minutes(o.start) >= minutes(r.end) for o in hours
        )  # the last range of its day: extending it cannot overlap another
    ]
    if extendable:
        choices.append("extend")
    if not choices:
        return
    if data.draw(st.sampled_from(choices), label="how") == "add":
        weekday = data.draw(st.sampled_from(free_days), label="weekday")
        a, b = sorted(data.draw(st.lists(st.integers(0, 95), unique=True, min_size=2, max_size=2)))
        hours.append(WeeklyRange(weekday, quarter(a), quarter(b)))
    else:
        i = data.draw(st.sampled_from(extendable), label="range")
        end = minutes(hours[i].end) // 15
        new_end = data.draw(st.integers(end + 1, 95), label="new end")
        hours[i] = WeeklyRange(hours[i].weekday, hours[i].start, quarter(new_end))
    wider = Schedule(
        tz=schedule.tz,
        hours=hours,
        session_minutes=schedule.session_minutes,
        step_minutes=schedule.step_minutes,
        time_off=schedule.time_off,
        busy=schedule.busy,
    )
    assert set(find(schedule, window)) <= set(find(wider, window))


@PROPERTY
@given(scenarios(), st.integers(0, 200 * 24 * 4), st.integers(1, 16))
def test_adding_a_busy_interval_never_adds_a_start(scenario, offset, length):
    schedule, window = scenario
    start = dt.datetime.combine(window["first_day"], dt.time(), tzinfo=UTC) + dt.timedelta(
        minutes=15 * offset - 24 * 60
    )
    busier = Schedule(
        tz=schedule.tz,
        hours=schedule.hours,
        session_minutes=schedule.session_minutes,
        step_minutes=schedule.step_minutes,
        time_off=schedule.time_off,
        busy=[*schedule.busy, (start, start + dt.timedelta(minutes=15 * length))],
    )
    assert set(find(busier, window)) <= set(find(schedule, window))


@PROPERTY
@given(scenarios())
def test_results_are_sorted_unique_utc_and_inside_the_window(scenario):
    schedule, window = scenario
    found = find(schedule, window)
    assert found == sorted(set(found))
    last_day = window["first_day"] + dt.timedelta(days=window["days"] - 1)
    for start in found:
        assert start.tzinfo is UTC
        assert window["first_day"] <= start.astimezone(schedule.tz).date() <= last_day


@PROPERTY
@given(scenarios(max_weeks=slots.MAX_WEEKS - 1))
def test_a_start_free_for_n_weeks_is_free_for_fewer(scenario):
    schedule, window = scenario
    longer = find(schedule, window, weeks=window["weeks"] + 1)
    assert set(longer) <= set(find(schedule, window))


@PROPERTY
@given(scenarios())
def test_course_conflicts_is_empty_exactly_for_the_starts_offered(scenario):
    schedule, window = scenario
    # Compared by local wall time: a wall time in a spring-forward gap has the same UTC
    # instant as a real time an hour later, which may well be offered.
    offered = {s.astimezone(schedule.tz).replace(tzinfo=None) for s in find(schedule, window)}
    for local in grid_starts(schedule, window["first_day"], window["days"]):
        conflicts = slots.course_conflicts(
            schedule, local, window["weeks"], earliest=window["earliest"]
        )
        assert (conflicts == []) == (local.replace(tzinfo=None) in offered), (local, conflicts)
        for when, reason in conflicts:
            assert when.tzinfo is UTC
            assert reason in {"taken", "time_off", "outside_hours", "off_grid", "too_soon"}


@PROPERTY
@given(scenarios())
def test_the_finder_agrees_with_a_brute_force_search(scenario):
    schedule, window = scenario
    assert find_courses(schedule, window) == brute_force_courses(schedule, window)


@PROPERTY
@given(scenarios())
def test_each_course_holds_exactly_n_weekly_sessions_and_skips_only_weeks_off(scenario):
    schedule, window = scenario
    weeks = window["weeks"]
    for course in find_courses(schedule, window):
        sessions = sessions_of(schedule, course, weeks)
        assert len(sessions) == weeks
        assert len(course.skipped) <= slots.MAX_SKIPS
        assert sessions[0].astimezone(UTC) == course.start
        assert sessions[-1].astimezone(UTC) == course.last
        first = sessions[0].date()
        # Sessions and skipped weeks together are consecutive weeks from the start.
        dates = sorted([s.date() for s in sessions] + list(course.skipped))
        assert dates == [first + dt.timedelta(weeks=k) for k in range(len(dates))]
        for day in course.skipped:
            assert is_off(schedule, day), (course, day)
            assert first < day < sessions[-1].date()


@PROPERTY
@given(scenarios())
def test_the_plan_of_an_offered_course_is_the_course(scenario):
    schedule, window = scenario
    for course in find_courses(schedule, window):
        plan = slots.plan_course(
            schedule, course.start, window["weeks"], earliest=window["earliest"]
        )
        assert plan.conflicts == ()
        assert plan.skipped == course.skipped
        assert plan.sessions[-1].astimezone(UTC) == course.last


@PROPERTY
@given(scenarios(), st.integers(1, 5))
def test_a_limit_returns_the_earliest_starts(scenario, limit):
    schedule, window = scenario
    assert find(schedule, window, limit=limit) == find(schedule, window)[:limit]


@PROPERTY
@given(scenarios(), st.integers(1, 3), st.sets(st.integers(0, 6)), st.integers(0, 23))
def test_accept_keeps_only_the_starts_it_takes_and_a_limit_the_first_of_them(
    scenario, limit, weekdays, hour
):
    """The guided match asks for the first course starting at chosen weekly times
    (matching.selectors): ``accept`` filters the starts before they are worked out."""
    schedule, window = scenario

    def accept(local: dt.datetime) -> bool:
        return local.weekday() in weekdays or local.hour >= hour

    everything = find(schedule, window)
    taken = [s for s in everything if accept(s.astimezone(schedule.tz))]
    assert find(schedule, window, accept=accept) == taken
    assert find(schedule, window, accept=accept, limit=limit) == taken[:limit]


# --- Examples -------------------------------------------------------------------------


def weekdays_9_to_5(tz=NY, **kwargs) -> Schedule:
    hours = [WeeklyRange(d, dt.time(9), dt.time(17)) for d in range(5)]
    return Schedule(tz=tz, hours=hours, session_minutes=50, step_minutes=60, **kwargs)


def test_a_course_across_the_spring_change_keeps_its_new_york_wall_time():
    schedule = weekdays_9_to_5()
    start = dt.datetime(2027, 1, 5, 10, tzinfo=NY)  # a Tuesday
    assert slots.course_conflicts(schedule, start, 16) == []
    occurrences = slots.local_occurrences(start, NY, 16)
    assert occurrences[-1].date() == dt.date(2027, 4, 20)
    assert {o.time() for o in occurrences} == {dt.time(10)}
    assert {o.weekday() for o in occurrences} == {1}
    for o in occurrences:
        utc_hour = o.astimezone(UTC).hour
        assert utc_hour == (15 if o.date() < dt.date(2027, 3, 14) else 14), o
        assert o.astimezone(LA).time() == dt.time(7)
    free = slots.free_course_starts(schedule, first_day=dt.date(2027, 1, 5), days=1, weeks=16)
    assert dt.datetime(2027, 1, 5, 15, tzinfo=UTC) in free


def test_a_start_inside_the_spring_forward_gap_is_not_offered():
    sunday = dt.date(2027, 3, 14)
    schedule = Schedule(
        tz=NY, hours=[WeeklyRange(6, dt.time(0), dt.time(6))], session_minutes=30, step_minutes=30
    )
    free = slots.free_course_starts(schedule, first_day=sunday, days=1)
    walls = [s.astimezone(NY).time() for s in free]
    assert dt.time(2) not in walls
    assert dt.time(2, 30) not in walls
    assert walls == [dt.time(h, m) for h in (0, 1, 3, 4, 5) for m in (0, 30)]
    gap = dt.datetime.combine(sunday, dt.time(2, 30), tzinfo=NY)
    assert slots.course_conflicts(schedule, gap, 1) == [(gap.astimezone(UTC), "outside_hours")]


def test_a_course_whose_later_week_falls_in_the_gap_is_not_offered_and_names_that_week():
    schedule = Schedule(
        tz=NY, hours=[WeeklyRange(6, dt.time(0), dt.time(6))], session_minutes=30, step_minutes=30
    )
    free = slots.free_course_starts(schedule, first_day=dt.date(2027, 3, 7), days=1, weeks=2)
    walls = [s.astimezone(NY).time() for s in free]
    assert dt.time(1, 30) in walls
    assert dt.time(3) in walls
    assert dt.time(2, 30) not in walls
    start = dt.datetime(2027, 3, 7, 2, 30, tzinfo=NY)
    conflicts = slots.course_conflicts(schedule, start, 2)
    assert [(when.astimezone(NY).date(), why) for when, why in conflicts] == [
        (dt.date(2027, 3, 14), "outside_hours")
    ]


def test_a_session_straddling_the_spring_forward_gap_must_still_end_inside_its_range():
    sunday = dt.date(2027, 3, 14)
    schedule = Schedule(
        tz=NY, hours=[WeeklyRange(6, dt.time(0), dt.time(3))], session_minutes=60, step_minutes=30
    )
    for start in slots.free_course_starts(schedule, first_day=sunday, days=1):
        end = (start + dt.timedelta(minutes=60)).astimezone(NY)
        assert end <= dt.datetime.combine(sunday, dt.time(3), tzinfo=NY), (
            f"{start.astimezone(NY):%H:%M %Z} ends at {end:%H:%M %Z}, after 03:00"
        )


def test_a_course_whose_last_week_reaches_the_spring_forward_jump_is_not_offered():
    # Found by the brute-force property: London's hours Sunday 00:00-01:00; the 13th
    # week of a 00:30 course falls on 29 March 2026, when 01:00 GMT becomes 02:00 BST,
    # so that session would end at 02:00 by the wall clock, after the hours.
    london = ZoneInfo("Europe/London")
    schedule = Schedule(
        tz=london,
        hours=[WeeklyRange(6, dt.time(0), dt.time(1))],
        session_minutes=30,
        step_minutes=15,
    )
    window = {"first_day": dt.date(2026, 1, 1), "days": 4, "weeks": 13, "earliest": None}
    half_past = dt.datetime(2026, 1, 4, 0, 30, tzinfo=london).astimezone(UTC)
    assert half_past not in find(schedule, window)
    assert find(schedule, window) == brute_force(schedule, window)
    assert half_past in find(schedule, {**window, "weeks": 12})


def test_a_busy_interval_touching_a_session_does_not_block_it():
    monday = dt.date(2027, 2, 1)
    ten = dt.datetime.combine(monday, dt.time(10), tzinfo=NY)
    schedule = weekdays_9_to_5(
        busy=[
            (ten - dt.timedelta(hours=1), ten),  # ends exactly when 10:00 starts
            (ten + dt.timedelta(minutes=50), ten + dt.timedelta(minutes=60)),  # after 10:50
        ]
    )
    free = slots.free_course_starts(schedule, first_day=monday, days=1)
    assert ten.astimezone(UTC) in free
    assert (ten - dt.timedelta(hours=1)).astimezone(UTC) not in free


def test_a_week_off_is_skipped_and_a_taken_week_is_a_conflict():
    start = dt.datetime(2027, 2, 2, 10, tzinfo=NY)
    week2 = start + dt.timedelta(weeks=2)
    schedule = weekdays_9_to_5(
        time_off=[(dt.date(2027, 2, 9), dt.date(2027, 2, 9))],
        busy=[(week2.astimezone(UTC), (week2 + dt.timedelta(minutes=30)).astimezone(UTC))],
    )
    plan = slots.plan_course(schedule, start, 4)
    assert plan.skipped == (dt.date(2027, 2, 9),)
    assert plan.conflicts == ((week2.astimezone(UTC), "taken"),)
    assert [s.date() for s in plan.sessions] == [
        dt.date(2027, 2, 2),
        dt.date(2027, 2, 23),
        dt.date(2027, 3, 2),
    ]


def test_a_holiday_week_makes_a_12_week_course_one_week_longer():
    # The therapist is away Dec 28 - Jan 3: a Tuesday course from Dec 8 skips Dec 29.
    schedule = weekdays_9_to_5(time_off=[(dt.date(2026, 12, 28), dt.date(2027, 1, 3))])
    (course,) = slots.free_courses(
        schedule,
        first_day=dt.date(2026, 12, 8),
        days=1,
        weeks=12,
        earliest=None,
        limit=1,
    )
    assert course.start == dt.datetime(2026, 12, 8, 14, tzinfo=UTC)  # 9:00 AM EST
    assert course.skipped == (dt.date(2026, 12, 29),)
    # 12 sessions over 13 weeks: the last on Mar 2, a week after Feb 23.
    assert course.last.astimezone(NY) == dt.datetime(2027, 3, 2, 9, tzinfo=NY)


def test_four_weeks_off_are_skipped_but_a_fifth_makes_the_course_impossible():
    start = dt.datetime(2027, 1, 5, 10, tzinfo=NY)  # a Tuesday
    four = weekdays_9_to_5(time_off=[(dt.date(2027, 1, 11), dt.date(2027, 2, 7))])
    plan = slots.plan_course(four, start, 12)
    assert len(plan.skipped) == 4 and plan.conflicts == ()
    assert plan.sessions[-1].date() == dt.date(2027, 4, 20)  # 11 weeks + 4 skipped later
    five = weekdays_9_to_5(time_off=[(dt.date(2027, 1, 11), dt.date(2027, 2, 14))])
    plan = slots.plan_course(five, start, 12)
    assert len(plan.skipped) == 4
    assert plan.conflicts == ((dt.datetime(2027, 2, 9, 10, tzinfo=NY).astimezone(UTC), "time_off"),)
    found = slots.free_course_starts(five, first_day=dt.date(2027, 1, 5), days=1, weeks=12)
    assert start.astimezone(UTC) not in found


def test_a_course_cannot_start_in_a_week_off():
    start = dt.datetime(2027, 1, 5, 10, tzinfo=NY)
    schedule = weekdays_9_to_5(time_off=[(dt.date(2027, 1, 5), dt.date(2027, 1, 5))])
    assert slots.course_conflicts(schedule, start, 2) == [(start.astimezone(UTC), "time_off")]


def test_a_skipped_week_across_the_spring_change_keeps_the_wall_time():
    # Away the week of the change (Mar 14, 2027): the course skips it and every session
    # still starts at 10:00 New York time, 15:00 UTC before and 14:00 UTC after.
    start = dt.datetime(2027, 3, 2, 10, tzinfo=NY)
    schedule = weekdays_9_to_5(time_off=[(dt.date(2027, 3, 15), dt.date(2027, 3, 19))])
    plan = slots.plan_course(schedule, start, 4)
    assert plan.skipped == (dt.date(2027, 3, 16),)
    assert [s.astimezone(UTC).hour for s in plan.sessions] == [15, 15, 14, 14]
    assert {s.time() for s in plan.sessions} == {dt.time(10)}


def test_a_start_between_the_grid_steps_is_off_the_grid_not_outside_the_hours():
    thursday = dt.datetime(2027, 1, 7, 10, 30, tzinfo=NY)
    schedule = weekdays_9_to_5()
    assert slots.course_conflicts(schedule, thursday, 2) == [
        (thursday.astimezone(UTC), "off_grid"),
        ((thursday + dt.timedelta(weeks=1)).astimezone(UTC), "off_grid"),
    ]
    evening = dt.datetime(2027, 1, 7, 18, tzinfo=NY)
    assert slots.course_conflicts(schedule, evening, 1) == [
        (evening.astimezone(UTC), "outside_hours")
    ]


def test_limit_one_returns_the_earliest_start():
    schedule = weekdays_9_to_5()
    everything = slots.free_course_starts(schedule, first_day=dt.date(2027, 1, 2), days=14)
    first = slots.free_course_starts(schedule, first_day=dt.date(2027, 1, 2), days=14, limit=1)
    assert first == [everything[0]] == [dt.datetime(2027, 1, 4, 14, tzinfo=UTC)]  # Mon 09:00


@pytest.mark.parametrize(("days", "weeks"), [(63, 1), (0, 1), (14, 17), (14, 0)])
def test_a_window_or_course_length_out_of_range_is_a_value_error(days, weeks):
    with pytest.raises(ValueError, match="days" if weeks == 1 else "weeks"):
        slots.free_course_starts(
            weekdays_9_to_5(), first_day=dt.date(2027, 1, 4), days=days, weeks=weeks
        )


def test_the_largest_window_and_course_are_accepted():
    found = slots.free_course_starts(
        weekdays_9_to_5(), first_day=dt.date(2027, 1, 4), days=62, weeks=16
    )
    assert len(found) == 45 * 8  # 45 weekdays in 62 days from a Monday, 8 starts each
