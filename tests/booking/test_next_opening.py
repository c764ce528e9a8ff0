"""The stored next opening (search orders and filters by it) is kept right without
recomputing it inside the booking's therapist lock: a booking that takes the opening
marks it stale and it is recomputed after commit; the beat's sweep recomputes, in bulk,
only the therapists whose opening is due."""

import datetime as dt
import zoneinfo
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.timezone import now
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking import availability, openings, schedules, slots
from booking.courses import services
from booking.groups import services as groups
from booking.models import AvailabilityRule, TimeOff
from providers import profiles
from providers.models import Modality, Therapist
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import (
    NY,
    at,
    book,
    bookable_therapist,
    client_in,
    committed,
    next_weekday,
)
from tests.factories import TherapistFactory

pytestmark = pytest.mark.django_db


def stored(therapist):
    return Therapist.objects.values_list("next_opening", "next_opening_stale_at").get(
        pk=therapist.pk
    )


def test_a_refresh_stores_when_the_opening_falls_inside_the_notice_period():
    therapist = bookable_therapist()  # 24 hours' notice
    opening, stale_at = stored(therapist)
    assert opening == openings.next_opening(therapist)
    assert stale_at == opening - dt.timedelta(hours=24)


def test_booking_the_opening_marks_it_stale_until_the_commit_recomputes_it(
    django_capture_on_commit_callbacks,
):
    therapist = bookable_therapist()
    opening, _ = stored(therapist)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        book(client_in(), therapist, opening, weeks=1)
    marked_opening, marked_at = stored(therapist)
    assert marked_opening == opening  # not recomputed inside the transaction
    assert marked_at <= now()  # but due at once
    for callback in callbacks:
        callback()
    fresh_opening, fresh_stale_at = stored(therapist)
    assert fresh_opening > opening
    assert fresh_opening == openings.next_opening(therapist)
    assert fresh_stale_at > now()


def test_a_booking_that_leaves_the_opening_free_does_not_touch_it(
    django_capture_on_commit_callbacks,
):
    therapist = bookable_therapist()
    before = stored(therapist)
    with django_capture_on_commit_callbacks(execute=True):
        book(client_in(), therapist, at(next_weekday(2, weeks_ahead=3), 11), weeks=4)
    assert stored(therapist) == before
    assert before[0] == openings.next_opening(therapist)


def test_cancelling_gives_the_opening_back_after_commit(django_capture_on_commit_callbacks):
    therapist = bookable_therapist()
    opening, _ = stored(therapist)
    client = client_in()
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(client, therapist, opening, weeks=2)
    assert stored(therapist)[0] > opening
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_booking(booking_id=booking.pk, by=client)
    assert stored(therapist)[0] == opening


def test_moving_a_course_onto_the_opening_moves_the_opening(django_capture_on_commit_callbacks):
    therapist = bookable_therapist()
    opening, _ = stored(therapist)
    client = client_in()
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(client, therapist, at(next_weekday(2, weeks_ahead=3), 11), weeks=2)
        services.move_booking(booking_id=booking.pk, by=client, start=opening)
    assert stored(therapist)[0] > opening
    assert stored(therapist)[0] == openings.next_opening(therapist)


def test_the_sweep_reads_only_therapists_whose_opening_is_due():
    fresh = bookable_therapist()
    due = bookable_therapist()
    Therapist.objects.filter(pk=due.pk).update(
        next_opening=None, next_opening_stale_at=now() - dt.timedelta(seconds=1)
    )
    before = stored(fresh)
    assert openings.refresh_stale_openings() == 1
    assert stored(fresh) == before
    opening, stale_at = stored(due)
    assert opening == openings.next_opening(due)
    assert stale_at > now()
    assert openings.refresh_stale_openings() == 0


def test_the_sweep_works_through_many_therapists_in_batches():
    therapists = [bookable_therapist() for _ in range(5)]
    Therapist.objects.update(next_opening=None, next_opening_stale_at=now())
    assert openings.refresh_stale_openings(batch=2) == 5
    for therapist in therapists:
        assert stored(therapist)[0] == openings.next_opening(therapist) is not None


def test_the_sweep_recomputes_openings_that_time_has_overtaken():
    therapist = bookable_therapist()
    opening, stale_at = stored(therapist)
    with time_machine.travel(stale_at - dt.timedelta(minutes=1), tick=False):
        assert openings.refresh_stale_openings() == 0
    with time_machine.travel(stale_at + dt.timedelta(minutes=1), tick=False):
        assert openings.refresh_stale_openings() == 1
        assert stored(therapist)[0] > opening
        assert stored(therapist)[0] == openings.next_opening(therapist)


def test_a_therapist_without_weekly_hours_is_never_due():
    therapist = TherapistFactory()
    with committed():
        availability.set_weekly_hours(therapist=therapist, ranges=[])
    assert stored(therapist) == (None, None)
    assert openings.refresh_stale_openings() == 0


def test_with_no_opening_in_62_days_it_is_looked_at_again_at_the_next_local_midnight():
    therapist = bookable_therapist()
    today = now().astimezone(NY).date()
    with committed():
        availability.add_time_off(
            therapist=therapist, start_date=today, end_date=today + dt.timedelta(days=70)
        )
    opening, stale_at = stored(therapist)
    assert opening is None
    assert stale_at == dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=NY)


def test_a_recompute_never_overwrites_a_mark_made_after_it_read_the_therapist():
    therapist = bookable_therapist()
    Therapist.objects.filter(pk=therapist.pk).update(next_opening=None, next_opening_stale_at=now())
    read = list(Therapist.objects.filter(pk=therapist.pk).only(*openings.OPENING_FIELDS))
    later = now() + dt.timedelta(microseconds=5)
    Therapist.objects.filter(pk=therapist.pk).update(next_opening_stale_at=later)
    assert openings.refresh_openings(read) == 0
    assert stored(therapist) == (None, later)


def test_the_bulk_recompute_matches_the_one_at_a_time_answer_for_mixed_calendars():
    plain = bookable_therapist()
    la = bookable_therapist(tz="America/Los_Angeles")
    busy = bookable_therapist()
    with time_machine.travel(now(), tick=False):
        book(client_in(), busy, stored(busy)[0], weeks=3)
        found = openings.next_openings([plain, la, busy])
        for therapist in (plain, la, busy):
            therapist.refresh_from_db()
            assert found[therapist.pk] == openings.next_opening_and_stale_at(therapist)


def test_a_failed_recompute_after_commit_keeps_the_booking_and_the_mark(
    django_capture_on_commit_callbacks, monkeypatch
):
    therapist = bookable_therapist()
    opening, _ = stored(therapist)

    def broken(*args, **kwargs):
        raise RuntimeError("recompute failed")

    monkeypatch.setattr(openings, "next_openings", broken)
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(client_in(), therapist, opening, weeks=1)
    assert booking.pk is not None
    assert stored(therapist)[1] <= now()  # still marked: the sweep will see it
    monkeypatch.undo()
    assert openings.refresh_stale_openings() == 1
    assert stored(therapist)[0] == openings.next_opening(therapist) > opening


def test_a_profile_change_marks_the_opening_stale_and_the_sweep_applies_it():
    therapist = bookable_therapist()  # 24 hours' notice
    opening, _ = stored(therapist)
    therapist = profiles.update_profile(therapist=therapist, by=therapist.user, notice_hours=24 * 7)
    assert stored(therapist)[1] <= now()
    assert openings.refresh_stale_openings() == 1
    later, _ = stored(therapist)
    assert later >= now() + dt.timedelta(days=7) > opening
    assert later == openings.next_opening(therapist)


def test_saving_fields_the_opening_does_not_depend_on_leaves_it_fresh():
    therapist = bookable_therapist()
    before = stored(therapist)
    profiles.update_profile(therapist=therapist, by=therapist.user, bio="New words.")
    assert stored(therapist) == before


# --- One answer for one therapist and for many ------------------------------------------

# Zones far from UTC either way, on half and quarter hours, with and without daylight saving.
FAR_ZONES = [
    "Pacific/Kiritimati",  # UTC+14
    "Etc/GMT+12",  # UTC-12
    "Pacific/Pago_Pago",  # UTC-11
    "Pacific/Chatham",  # UTC+12:45 / +13:45
    "Asia/Kathmandu",  # UTC+5:45
    "America/St_Johns",  # UTC-3:30 / -2:30
    "Australia/Lord_Howe",  # UTC+10:30 / +11, a half-hour change
    "America/New_York",
    "UTC",
]


EPOCH = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
MINUTES = st.integers(min_value=0, max_value=200 * 366 * 24 * 60)  # 1900 to 2100


@given(
    zone=st.sampled_from(sorted(zoneinfo.available_timezones())),
    minutes=MINUTES,
    given_in=st.sampled_from(["UTC", "Pacific/Kiritimati", "Etc/GMT+12"]),
    length=st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=70)),
    fraction=st.floats(min_value=0, max_value=1),
)
@settings(max_examples=500, deadline=None, database=None)
def test_the_time_off_read_for_a_window_covers_every_local_date_in_it_in_every_zone(
    zone, minutes, given_in, length, fraction
):
    start = (EPOCH + dt.timedelta(minutes=minutes)).astimezone(ZoneInfo(given_in))
    first_day, last_day = schedules.time_off_dates(start, start + length)
    instant = start + length * fraction
    assert first_day <= instant.astimezone(ZoneInfo(zone)).date() <= last_day


def test_one_therapist_and_the_sweep_give_the_slot_finder_the_same_schedule(monkeypatch):
    """The single-therapist path and the sweep's bulk read once read time off through
    different windows (one local day, two UTC days): days off just outside the narrower
    one reached the slot finder on one path only."""
    at_ = dt.datetime(2031, 1, 15, 11, 30, tzinfo=dt.UTC)
    therapists = [bookable_therapist(tz=zone) for zone in FAR_ZONES]
    TimeOff.objects.bulk_create(
        TimeOff(therapist=t, start_date=day, end_date=day)
        for t in therapists
        for today in [at_.astimezone(ZoneInfo(t.timezone)).date()]
        for offset in [*range(-5, 2), *range(60, 68)]
        for day in [today + dt.timedelta(days=offset)]
    )
    seen = []
    finder = slots.free_course_starts

    def spy(schedule, **kwargs):
        seen.append(schedule)
        return finder(schedule, **kwargs)

    monkeypatch.setattr(slots, "free_course_starts", spy)
    alone = []
    for therapist in therapists:
        openings.next_opening_and_stale_at(therapist, at=at_)
        alone.append(seen.pop())
    openings.next_openings(therapists, at=at_)
    assert seen == alone


@st.composite
def calendars(draw):
    """One therapist's zone, hours, notice and days off around the edges of the 62 days."""
    hours = draw(
        st.sampled_from(
            [
                [(d, dt.time(9), dt.time(17)) for d in range(5)],
                [(d, dt.time(0), dt.time(2)) for d in range(7)],  # just after local midnight
                [(d, dt.time(22), dt.time(23, 59)) for d in range(7)],  # just before it
                [(6, dt.time(11), dt.time(13))],
            ]
        )
    )
    # Days off counted from the therapist's local "today": a long block that pushes the
    # opening to the far edge, and short ones on both edges of the 62 days.
    block = draw(st.sampled_from([None, 54, 57, 58, 59, 60, 61]))
    edges = [*range(-3, 3), *range(57, 65)]
    short = draw(st.lists(st.tuples(st.sampled_from(edges), st.integers(0, 2)), max_size=4))
    return {
        "zone": draw(st.sampled_from(FAR_ZONES)),
        "hours": hours,
        "notice_hours": draw(st.sampled_from([0, 1, 24, 72])),
        "off": ([(-3, block + 3)] if block is not None else []) + short,
    }


def _everything_in_view(therapist, at_):
    """The opening computed from all the therapist's hours and time off, no window."""
    tz = ZoneInfo(therapist.timezone)
    hours = [
        slots.WeeklyRange(*row)
        for row in AvailabilityRule.objects.filter(therapist=therapist).values_list(
            "weekday", "start", "end"
        )
    ]
    if not hours:
        return None
    schedule = slots.Schedule(
        tz=tz,
        hours=hours,
        session_minutes=therapist.session_minutes,
        step_minutes=therapist.slot_step_minutes,
        time_off=list(
            TimeOff.objects.filter(therapist=therapist).values_list("start_date", "end_date")
        ),
    )
    found = slots.free_course_starts(
        schedule,
        first_day=at_.astimezone(tz).date(),
        days=slots.MAX_DAYS,
        earliest=at_ + dt.timedelta(hours=therapist.notice_hours),
        limit=1,
    )
    return found[0] if found else None


@given(
    minutes=st.integers(min_value=0, max_value=3 * 366 * 24 * 60),
    drawn=st.lists(calendars(), min_size=1, max_size=4),
)
@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_one_therapist_alone_and_many_together_get_the_same_opening_in_any_zone(minutes, drawn):
    at_ = dt.datetime(2030, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes)
    therapists = []
    for calendar in drawn:
        therapist = TherapistFactory(
            timezone=calendar["zone"], notice_hours=calendar["notice_hours"]
        )
        AvailabilityRule.objects.bulk_create(
            AvailabilityRule(therapist=therapist, weekday=d, start=s, end=e)
            for d, s, e in calendar["hours"]
        )
        today = at_.astimezone(ZoneInfo(calendar["zone"])).date()
        TimeOff.objects.bulk_create(
            TimeOff(
                therapist=therapist,
                start_date=today + dt.timedelta(days=first),
                end_date=today + dt.timedelta(days=first + days),
            )
            for first, days in calendar["off"]
        )
        therapists.append(therapist)
    together = openings.next_openings(therapists, at=at_)
    for therapist in therapists:
        alone = openings.next_opening_and_stale_at(therapist, at=at_)
        assert together[therapist.pk] == alone
        assert alone[0] == _everything_in_view(therapist, at_)


# --- Every calendar change: marked under its lock, recomputed after its commit -----------


def _group_over(therapist, opening, **fields):
    """A one-meeting group that covers ``opening`` (group meetings ignore weekly hours)."""
    local = opening.astimezone(NY)
    return make_group(
        therapist,
        weekdays=[local.weekday()],
        start_time=local.time(),
        start_date=local.date(),
        weeks=1,
        meeting_minutes=60,
        **fields,
    )


def _day_off_on(therapist, opening):
    day = opening.astimezone(NY).date()
    return availability.add_time_off(therapist=therapist, start_date=day, end_date=day)


def _group_committed(therapist, opening):
    with committed():
        return _group_over(therapist, opening)


# Each takes a therapist and its opening, commits what the change needs first, and
# returns the change: one that moves the opening.
def _new_hours(therapist, opening):
    return lambda: availability.set_weekly_hours(therapist=therapist, ranges=[])


def _time_off(therapist, opening):
    return lambda: _day_off_on(therapist, opening)


def _time_off_removed(therapist, opening):
    with committed():
        off = _day_off_on(therapist, opening)
    return lambda: availability.remove_time_off(therapist=therapist, time_off_id=off.pk)


def _new_group(therapist, opening):
    return lambda: _group_over(therapist, opening)


def _group_moved(therapist, opening):
    group = _group_committed(therapist, opening)
    by = therapist.user
    return lambda: groups.update_group(group_id=group.pk, by=by, start_time=dt.time(20))


def _meeting_cancelled(therapist, opening):
    meeting = _group_committed(therapist, opening).meetings.get()
    by = therapist.user
    return lambda: groups.cancel_meeting(by=by, session_id=meeting.pk, reason="Unwell")


def _group_cancelled(therapist, opening):
    group = _group_committed(therapist, opening)
    return lambda: groups.cancel_group(by=therapist.user, group_id=group.pk, reason="Unwell")


CHANGES = {
    "weekly hours": _new_hours,
    "time off": _time_off,
    "time off removed": _time_off_removed,
    "a new group": _new_group,
    "a group rescheduled": _group_moved,
    "a meeting cancelled": _meeting_cancelled,
    "a group cancelled": _group_cancelled,
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_calendar_change_marks_the_opening_and_the_commit_recomputes_it(
    change, django_capture_on_commit_callbacks
):
    therapist = group_therapist()
    act = CHANGES[change](therapist, stored(therapist)[0])
    before = stored(therapist)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        act()
    marked_opening, marked_at = stored(therapist)
    assert marked_opening == before[0]  # not recomputed inside the transaction
    assert marked_at <= now()  # but due at once
    for callback in callbacks:
        callback()
    assert stored(therapist) == openings.next_opening_and_stale_at(therapist)
    assert stored(therapist)[0] != before[0]


@pytest.mark.parametrize("change", CHANGES)
def test_a_failed_recompute_never_fails_a_calendar_change_and_leaves_the_mark(
    change, django_capture_on_commit_callbacks, monkeypatch
):
    therapist = group_therapist()
    act = CHANGES[change](therapist, stored(therapist)[0])
    before = stored(therapist)

    def broken(*args, **kwargs):
        raise RuntimeError("recompute failed")

    monkeypatch.setattr(openings, "next_openings", broken)
    with django_capture_on_commit_callbacks(execute=True):
        act()
    assert stored(therapist)[1] <= now()  # still marked: the sweep will see it
    monkeypatch.undo()
    assert openings.refresh_stale_openings() == 1
    assert stored(therapist)[0] == openings.next_opening(therapist) != before[0]


def test_a_group_that_leaves_the_opening_free_does_not_touch_it(
    django_capture_on_commit_callbacks,
):
    therapist = group_therapist()
    before = stored(therapist)
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        CaptureQueriesContext(connection) as queries,
    ):
        make_group(therapist, start_time=dt.time(19))  # evenings, outside the hours
    assert stored(therapist) == before
    assert not [c for c in callbacks if c.__name__ == "refresh_after_commit"]
    # Not recomputed in place either (to the same answer): the therapist row is not written.
    assert not [q for q in queries if q["sql"].startswith('UPDATE "providers_therapist"')]
    assert before[0] == openings.next_opening(therapist)


def test_cancelling_a_group_with_no_meeting_to_come_leaves_the_opening_alone(
    django_capture_on_commit_callbacks,
):
    therapist = group_therapist()
    with committed():
        group = make_group(therapist, weeks=1, start_time=dt.time(19))
    meeting = group.meetings.get()
    with time_machine.travel(meeting.end + dt.timedelta(hours=1), tick=False):
        with committed():
            openings.refresh_stale_openings()  # whatever time alone made due
        before = stored(therapist)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            groups.cancel_group(by=therapist.user, group_id=group.pk, reason="Ending early")
        assert stored(therapist) == before
        assert not [c for c in callbacks if c.__name__ == "refresh_after_commit"]


# --- The opening is a new client's course (PRODUCT.md rule 4) ---------------------------


def test_the_opening_is_the_first_start_free_for_a_whole_12_session_course(
    django_capture_on_commit_callbacks,
):
    therapist = bookable_therapist()
    opening, _ = stored(therapist)
    # Week 6 of the opening's course is taken: a single session would still fit there.
    with django_capture_on_commit_callbacks(execute=True):
        book(client_in(), therapist, opening + dt.timedelta(weeks=5), weeks=1)
    moved, _ = stored(therapist)
    assert moved != opening
    assert moved == openings.next_opening(therapist)
    assert not slots.course_conflicts(
        schedules.schedule_for(
            therapist,
            window_start=moved - dt.timedelta(days=1),
            window_end=moved + dt.timedelta(weeks=17),
        ),
        moved,
        12,
    )


def test_a_week_off_inside_the_course_is_skipped_not_a_reason_to_look_further():
    therapist = bookable_therapist()
    opening, _ = stored(therapist)
    away = (opening.astimezone(NY) + dt.timedelta(weeks=3)).date()
    with committed():
        availability.add_time_off(therapist=therapist, start_date=away, end_date=away)
    assert stored(therapist)[0] == opening


def test_a_therapist_without_an_ipt_or_cbt_course_opens_with_one_session(
    django_capture_on_commit_callbacks,
):
    therapist = bookable_therapist(modalities=["group"])
    opening, _ = stored(therapist)
    with django_capture_on_commit_callbacks(execute=True):
        book(client_in(), therapist, opening + dt.timedelta(weeks=5), weeks=1, modality="group")
    assert stored(therapist)[0] == opening  # one session: week 6 does not matter


def test_a_therapist_not_accepting_new_clients_has_no_opening_until_they_accept_again():
    therapist = bookable_therapist()
    opening, _ = stored(therapist)
    assert opening is not None
    with committed():
        profiles.update_profile(therapist=therapist, by=therapist.user, accepting_new_clients=False)
    assert stored(therapist) == (None, None)
    with committed():
        profiles.update_profile(therapist=therapist, by=therapist.user, accepting_new_clients=True)
    assert stored(therapist)[0] == opening


def test_changing_the_modalities_recomputes_the_opening(django_capture_on_commit_callbacks):
    therapist = bookable_therapist(modalities=["group"])
    opening, _ = stored(therapist)
    with django_capture_on_commit_callbacks(execute=True):
        book(client_in(), therapist, opening + dt.timedelta(weeks=5), weeks=1, modality="group")
    with committed():
        profiles.update_profile(
            therapist=therapist, by=therapist.user, modalities=Modality.objects.filter(slug="ipt")
        )
    assert stored(therapist)[0] != opening
    assert stored(therapist)[0] == openings.next_opening(therapist)
