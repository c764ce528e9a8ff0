"""Group programs (PRODUCT rule 9): meetings in the therapist's calendar, enrolment,
capacity under concurrency, the waitlist and its 24-hour offers, attendance."""

import datetime as dt
import threading
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils.timezone import now

from booking.exceptions import GroupFull, InvalidTransition, NotLicensedInState, SlotConflict
from booking.groups import services as groups
from booking.models import Attendance, Enrolment, Group, Session
from booking.sessions import own_sessions
from booking.tasks import expire_group_offers
from notifications.models import Reminder
from tests.booking.group_helpers import WEDNESDAY, group_therapist, make_group
from tests.booking.helpers import at, book, client_in, next_weekday

NY = ZoneInfo("America/New_York")


@pytest.fixture
def therapist(db):
    return group_therapist()


@pytest.fixture
def group(therapist):
    return make_group(therapist, capacity=2)


def statuses(group) -> list[str]:
    return list(group.enrolments.order_by("queue_number").values_list("status", flat=True))


# --- Creating a group reserves its meetings -------------------------------------------------


@pytest.mark.django_db
def test_creating_a_group_reserves_every_weekly_meeting_at_the_same_local_time(therapist):
    group = make_group(therapist, weeks=12)
    meetings = list(group.meetings.order_by("week"))
    assert [m.week for m in meetings] == list(range(1, 13))
    assert {m.status for m in meetings} == {"confirmed"}
    assert {m.client_id for m in meetings} == {None}
    local = [m.start.astimezone(NY) for m in meetings]
    assert {(t.weekday(), t.hour, t.minute) for t in local} == {(WEDNESDAY, 18, 0)}
    assert {m.end - m.start for m in meetings} == {dt.timedelta(minutes=90)}


@pytest.mark.django_db
def test_meetings_keep_their_local_time_across_daylight_saving(therapist):
    with time_machine.travel(dt.datetime(2026, 10, 1, 12, tzinfo=dt.UTC), tick=False):
        group = make_group(therapist, start_date=dt.date(2026, 10, 14), weeks=6)
    utc_hours = [m.start.astimezone(dt.UTC).hour for m in group.meetings.order_by("week")]
    assert utc_hours == [22, 22, 22, 23, 23, 23]  # EDT, then EST from 1 November
    assert {m.start.astimezone(NY).hour for m in group.meetings.all()} == {18}


@pytest.mark.django_db
def test_the_first_meeting_falls_on_the_weekday_on_or_after_the_start_date(therapist):
    monday = next_weekday(0)
    group = make_group(therapist, start_date=monday)
    assert group.meetings.order_by("week").first().start.astimezone(NY).date() == (
        monday + dt.timedelta(days=2)
    )


@pytest.mark.django_db
def test_weekly_hours_do_not_restrict_a_group(therapist):
    # Hours are weekdays 9–17; an evening and a Saturday group are the therapist's call.
    make_group(therapist, start_time=dt.time(19, 30))
    make_group(therapist, weekdays=[5], start_time=dt.time(10), start_date=next_weekday(5))
    assert Group.objects.count() == 2


@pytest.mark.django_db
def test_a_group_cannot_be_created_over_existing_sessions(therapist):
    day = next_weekday(WEDNESDAY, weeks_ahead=3)
    book(client_in(), therapist, at(day, 16), weeks=1)  # 16:00–16:50, third week
    with pytest.raises(SlotConflict) as caught:
        make_group(therapist, start_time=dt.time(16, 30))
    assert caught.value.extra["conflicts"] == [at(day, 16, 30).astimezone(dt.UTC).isoformat()]
    assert day.isoformat() in caught.value.detail
    assert not Group.objects.exists()
    assert not Session.objects.filter(group__isnull=False).exists()


@pytest.mark.django_db
def test_a_course_cannot_be_booked_over_a_group_meeting(therapist):
    make_group(therapist, start_time=dt.time(14))  # 14:00–15:30
    day = next_weekday(WEDNESDAY, weeks_ahead=2)
    with pytest.raises(SlotConflict) as caught:
        book(client_in(), therapist, at(day, 15), weeks=4)
    assert len(caught.value.weeks) == 4
    book(client_in(), therapist, at(day, 16), weeks=4)  # after the meeting: fine


@pytest.mark.django_db
def test_the_database_refuses_a_session_overlapping_a_group_meeting(therapist):
    group = make_group(therapist)
    meeting = group.meetings.first()
    with pytest.raises(IntegrityError, match="session_no_double_booking"), transaction.atomic():
        Session.objects.create(
            group=group,
            therapist=therapist,
            week=99,
            start=meeting.start + dt.timedelta(minutes=30),
            end=meeting.end,
            status="confirmed",
        )


@pytest.mark.django_db
def test_a_session_is_either_a_course_session_or_a_group_meeting(therapist, group):
    client = client_in()
    meeting = group.meetings.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.filter(pk=meeting.pk).update(client=client)


@pytest.mark.django_db
def test_a_group_serves_only_states_where_the_therapist_is_licensed(therapist):
    with pytest.raises(ValidationError) as caught:
        make_group(therapist, states=["NY", "CA"])
    assert "CA" in str(caught.value.message_dict["states"])


@pytest.mark.django_db
def test_capacity_is_one_to_fifty(therapist):
    with pytest.raises(ValidationError):
        make_group(therapist, capacity=0)
    with pytest.raises(ValidationError):
        make_group(therapist, capacity=51)
    full = make_group(therapist, capacity=50)
    with pytest.raises(IntegrityError), transaction.atomic():
        Group.objects.filter(pk=full.pk).update(capacity=51)


@pytest.mark.django_db
def test_the_therapist_gets_reminders_for_each_meeting(therapist):
    group = make_group(therapist, weeks=3)
    assert Reminder.objects.filter(recipient=therapist.user, session__group=group).count() == 6


# --- Enrolment and licensure ---------------------------------------------------------------


@pytest.mark.django_db
def test_enrolment_books_the_client_into_every_remaining_meeting(group):
    client = client_in()
    enrolment = groups.enrol(client=client, group_id=group.pk)
    assert enrolment.status == "enrolled"
    mine = list(own_sessions(client).filter(group=group))
    assert len(mine) == 8


@pytest.mark.django_db
def test_enrolment_creates_reminders_for_the_member_and_leaving_cancels_them(group):
    client = client_in()
    groups.enrol(client=client, group_id=group.pk)
    pending = Reminder.objects.filter(recipient=client, status="pending")
    assert pending.count() == 16  # 8 meetings × (24 h, 1 h)
    groups.leave(client=client, group_id=group.pk)
    assert not pending.exists()
    assert Reminder.objects.filter(recipient=client, status="cancelled").count() == 16
    assert Reminder.objects.filter(recipient=group.therapist.user, status="pending").count() == 16


@pytest.mark.django_db
def test_a_client_who_leaves_and_rejoins_gets_their_reminders_back(group):
    client = client_in()
    groups.enrol(client=client, group_id=group.pk)
    groups.leave(client=client, group_id=group.pk)
    groups.enrol(client=client, group_id=group.pk)
    mine = Reminder.objects.filter(recipient=client)
    assert mine.filter(status="pending").count() == 16  # 8 meetings × (24 h, 1 h)
    assert mine.count() == 16  # the cancelled ones came back, none duplicated


@pytest.mark.django_db
def test_a_client_who_turned_reminders_off_rejoins_without_them(group):
    client = client_in()
    groups.enrol(client=client, group_id=group.pk)
    groups.leave(client=client, group_id=group.pk)
    client.email_reminders = False
    client.save(update_fields=["email_reminders"])
    groups.enrol(client=client, group_id=group.pk)
    assert not Reminder.objects.filter(recipient=client, status="pending").exists()


@pytest.mark.django_db
def test_a_client_outside_the_groups_states_is_refused(group):
    with pytest.raises(NotLicensedInState) as caught:
        groups.enrol(client=client_in(state="NJ"), group_id=group.pk)
    assert caught.value.http_status == 403
    assert "NY" in caught.value.detail


@pytest.mark.django_db
def test_a_lapsed_license_refuses_enrolment_even_in_a_served_state(group):
    group.therapist.licenses.update(expires_on=dt.date(2020, 1, 1))
    with pytest.raises(NotLicensedInState):
        groups.enrol(client=client_in(), group_id=group.pk)


@pytest.mark.django_db
def test_only_clients_enrol(group):
    with pytest.raises(PermissionDenied):
        groups.enrol(client=group.therapist.user, group_id=group.pk)


@pytest.mark.django_db
def test_enrolling_twice_is_refused(group):
    client = client_in()
    groups.enrol(client=client, group_id=group.pk)
    with pytest.raises(InvalidTransition):
        groups.enrol(client=client, group_id=group.pk)


@pytest.mark.django_db
def test_a_full_group_waitlists_or_answers_group_full(group):
    groups.enrol(client=client_in(), group_id=group.pk)
    groups.enrol(client=client_in(), group_id=group.pk)
    with pytest.raises(GroupFull) as caught:
        groups.enrol(client=client_in(), group_id=group.pk, waitlist=False)
    assert caught.value.http_status == 409
    third = groups.enrol(client=client_in(), group_id=group.pk)
    assert third.status == "waitlisted"
    assert groups.waitlist_position(third) == 1
    assert not Reminder.objects.filter(recipient=third.client).exists()


# --- The waitlist ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_offered_seat_is_held_as_long_as_the_setting_says(
    settings, group, django_capture_on_commit_callbacks
):
    settings.GROUP_OFFER_HOLD_HOURS = 6
    member, first = client_in(), client_in()
    groups.enrol(client=member, group_id=group.pk)
    for _ in range(group.capacity - 1):
        groups.enrol(client=client_in(), group_id=group.pk)
    groups.enrol(client=first, group_id=group.pk)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        groups.leave(client=member, group_id=group.pk)
    offer = Enrolment.objects.get(client=first, group=group)
    assert abs(offer.offered_until - (now() + dt.timedelta(hours=6))) < dt.timedelta(minutes=1)
    assert "6 h" in mail.outbox[0].subject


@pytest.mark.django_db
def test_leaving_offers_the_seat_to_the_first_in_line_by_email(
    group, django_capture_on_commit_callbacks
):
    member = client_in()
    groups.enrol(client=member, group_id=group.pk)
    groups.enrol(client=client_in(), group_id=group.pk)
    first, second = client_in(), client_in()
    groups.enrol(client=first, group_id=group.pk)
    groups.enrol(client=second, group_id=group.pk)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        groups.leave(client=member, group_id=group.pk)
    offer = Enrolment.objects.get(client=first, group=group)
    assert offer.status == "offered"
    assert abs(offer.offered_until - (now() + dt.timedelta(hours=24))) < dt.timedelta(minutes=1)
    assert [m.to for m in mail.outbox] == [[first.email]]
    assert "24 h" in mail.outbox[0].subject
    assert Enrolment.objects.get(client=second, group=group).status == "waitlisted"
    assert groups.waitlist_position(Enrolment.objects.get(client=second, group=group)) == 1

    accepted = groups.accept_offer(client=first, group_id=group.pk)
    assert accepted.status == "enrolled"
    assert Reminder.objects.filter(recipient=first, status="pending").count() == 16


@pytest.mark.django_db
def test_an_offered_seat_counts_as_taken(group):
    member = client_in()
    groups.enrol(client=member, group_id=group.pk)
    groups.enrol(client=client_in(), group_id=group.pk)
    groups.enrol(client=client_in(), group_id=group.pk)
    groups.leave(client=member, group_id=group.pk)
    with pytest.raises(GroupFull):
        groups.enrol(client=client_in(), group_id=group.pk, waitlist=False)


@pytest.mark.django_db
def test_an_unclaimed_offer_expires_after_24_hours_and_passes_to_the_next(group):
    member = client_in()
    groups.enrol(client=member, group_id=group.pk)
    groups.enrol(client=client_in(), group_id=group.pk)
    first, second = client_in(), client_in()
    groups.enrol(client=first, group_id=group.pk)
    groups.enrol(client=second, group_id=group.pk)
    groups.leave(client=member, group_id=group.pk)

    with time_machine.travel(now() + dt.timedelta(hours=23), tick=False):
        assert expire_group_offers.delay().get() == 0
    with time_machine.travel(now() + dt.timedelta(hours=24, minutes=1), tick=False):
        with pytest.raises(InvalidTransition):
            groups.accept_offer(client=first, group_id=group.pk)
        assert expire_group_offers.delay().get() == 1
        assert expire_group_offers.delay().get() == 0  # idempotent
        assert Enrolment.objects.get(client=first, group=group).status == "expired_offer"
        nxt = Enrolment.objects.get(client=second, group=group)
        assert nxt.status == "offered"
        assert groups.accept_offer(client=second, group_id=group.pk).status == "enrolled"
    assert statuses(group) == ["left", "enrolled", "expired_offer", "enrolled"]


def _offered(group):
    """A client holding an offered seat of ``group`` (capacity 2): (client, enrolment)."""
    member, first = client_in(), client_in()
    groups.enrol(client=member, group_id=group.pk)
    groups.enrol(client=client_in(), group_id=group.pk)
    groups.enrol(client=first, group_id=group.pk)
    groups.leave(client=member, group_id=group.pk)
    offer = Enrolment.objects.get(client=first, group=group)
    assert offer.status == "offered"
    return first, offer


@pytest.mark.django_db
@pytest.mark.parametrize(
    "lapse",
    [
        {"expires_on": dt.date(2020, 1, 1)},
        {"status": "rejected"},
    ],
    ids=["expired", "rejected"],
)
def test_an_offered_seat_cannot_be_taken_after_the_license_lapsed(group, lapse):
    first, offer = _offered(group)
    group.therapist.licenses.update(**lapse)
    with pytest.raises(NotLicensedInState) as caught:
        groups.accept_offer(client=first, group_id=group.pk)
    assert caught.value.http_status == 403
    assert "holds no verified, current license in NY" in caught.value.detail
    after = Enrolment.objects.get(pk=offer.pk)
    assert (after.status, after.offered_until) == ("offered", offer.offered_until)
    assert not Reminder.objects.filter(recipient=first).exists()
    # The seat is not taken: turning it down still passes it on.
    groups.decline_offer(client=first, group_id=group.pk)


@pytest.mark.django_db
def test_an_offered_seat_cannot_be_taken_from_a_state_the_group_does_not_serve(group):
    first, offer = _offered(group)
    first.state = "NJ"
    first.save(update_fields=["state"])
    with pytest.raises(NotLicensedInState) as caught:
        groups.accept_offer(client=first, group_id=group.pk)
    assert "serves clients in NY only" in caught.value.detail
    assert Enrolment.objects.get(pk=offer.pk).status == "offered"


@pytest.mark.django_db
def test_an_offered_seat_is_taken_with_a_current_license(group):
    first, offer = _offered(group)
    assert groups.accept_offer(client=first, group_id=group.pk).status == "enrolled"


@pytest.mark.django_db
def test_declining_an_offer_passes_it_on(group):
    member, first, second = client_in(), client_in(), client_in()
    groups.enrol(client=member, group_id=group.pk)
    groups.enrol(client=client_in(), group_id=group.pk)
    groups.enrol(client=first, group_id=group.pk)
    groups.enrol(client=second, group_id=group.pk)
    groups.leave(client=member, group_id=group.pk)
    groups.decline_offer(client=first, group_id=group.pk)
    assert Enrolment.objects.get(client=second, group=group).status == "offered"


@pytest.mark.django_db
def test_the_therapist_removing_a_member_offers_the_seat(group):
    member, waiting = client_in(), client_in()
    enrolment = groups.enrol(client=member, group_id=group.pk)
    groups.enrol(client=client_in(), group_id=group.pk)
    groups.enrol(client=waiting, group_id=group.pk)
    with pytest.raises(PermissionDenied):
        groups.remove_member(by=client_in(), enrolment_id=enrolment.pk)
    groups.remove_member(by=group.therapist.user, enrolment_id=enrolment.pk)
    assert Enrolment.objects.get(pk=enrolment.pk).status == "removed"
    assert Enrolment.objects.get(client=waiting).status == "offered"
    assert not Reminder.objects.filter(recipient=member, status="pending").exists()


@pytest.mark.django_db
def test_raising_the_capacity_offers_the_new_seats_in_order(group):
    for _ in range(2):
        groups.enrol(client=client_in(), group_id=group.pk)
    waiting = [groups.enrol(client=client_in(), group_id=group.pk) for _ in range(3)]
    groups.update_group(group_id=group.pk, by=group.therapist.user, capacity=4)
    assert [Enrolment.objects.get(pk=e.pk).status for e in waiting] == [
        "offered",
        "offered",
        "waitlisted",
    ]
    with pytest.raises(ValidationError):
        groups.update_group(group_id=group.pk, by=group.therapist.user, capacity=3)


def _reads(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]


def _raise_capacity(seats: int) -> Callable[[], object]:
    """A full group of ``seats`` with as many waiting; then the capacity doubles."""
    group = make_group(group_therapist(), capacity=seats)
    for _ in range(2 * seats):
        groups.enrol(client=client_in(), group_id=group.pk)
    return lambda: groups.update_group(
        group_id=group.pk, by=group.therapist.user, capacity=2 * seats
    )


def _let_offers_lapse(seats: int) -> Callable[[], object]:
    """``seats`` offers made when members left, and as many people behind them; then
    the offers lapse."""
    group = make_group(group_therapist(), capacity=seats)
    members = [client_in() for _ in range(seats)]
    for client in members + [client_in() for _ in range(2 * seats)]:
        groups.enrol(client=client, group_id=group.pk)
    for client in members:
        groups.leave(client=client, group_id=group.pk)
    return lambda: groups.expire_offers(at=now() + dt.timedelta(hours=25))


@pytest.mark.django_db
@pytest.mark.parametrize("prepare", [_raise_capacity, _let_offers_lapse])
def test_offering_several_seats_at_once_reads_no_more_than_offering_one(prepare):
    counted = {}
    for seats in (1, 4):
        offer = prepare(seats)
        with CaptureQueriesContext(connection) as queries:
            offer()
        assert Enrolment.objects.filter(status="offered").count() == seats
        Enrolment.objects.filter(status="offered").update(status="declined_offer")
        counted[seats] = _reads(queries)
    assert len(counted[4]) == len(counted[1]), counted[4]


# --- Editing, cancelling, attendance -------------------------------------------------------


@pytest.mark.django_db
def test_editing_the_weekly_time_before_the_start_moves_every_meeting(group):
    client = client_in()
    groups.enrol(client=client, group_id=group.pk)
    groups.update_group(
        group_id=group.pk, by=group.therapist.user, start_time=dt.time(19), title="Renamed"
    )
    group.refresh_from_db()
    assert group.title == "Renamed"
    assert {m.start.astimezone(NY).hour for m in group.meetings.all()} == {19}
    due = {r.due_at for r in Reminder.objects.filter(recipient=client, status="pending")}
    assert {d.astimezone(NY).hour for d in due} == {18, 19}  # 1 h before, and 24 h before


@pytest.mark.django_db
def test_editing_the_length_adds_or_drops_trailing_weeks(group):
    by = group.therapist.user
    groups.update_group(group_id=group.pk, by=by, weeks=10)
    assert group.meetings.count() == 10
    groups.update_group(group_id=group.pk, by=by, weeks=6)
    assert list(group.meetings.order_by("week").values_list("week", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]


@pytest.mark.django_db
def test_an_edit_over_an_existing_session_is_refused_whole(group, therapist):
    day = next_weekday(WEDNESDAY, weeks_ahead=2)
    book(client_in(), therapist, at(day, 10), weeks=1)
    with pytest.raises(SlotConflict):
        groups.update_group(group_id=group.pk, by=therapist.user, start_time=dt.time(10))
    assert {m.start.astimezone(NY).hour for m in group.meetings.all()} == {18}


@pytest.mark.django_db
def test_another_therapist_cannot_edit_the_group(group):
    with pytest.raises(PermissionDenied):
        groups.update_group(group_id=group.pk, by=group_therapist().user, title="Mine")


@pytest.mark.django_db
def test_cancelling_one_meeting_tells_members_and_cancels_its_reminders(
    therapist, django_capture_on_commit_callbacks
):
    group = make_group(therapist, start_time=dt.time(14))  # inside the weekly hours
    members = [client_in(), client_in()]
    for member in members:
        groups.enrol(client=member, group_id=group.pk)
    meeting = group.meetings.order_by("week")[2]
    mail.outbox.clear()
    with pytest.raises(ValidationError):
        groups.cancel_meeting(by=group.therapist.user, session_id=meeting.pk, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        groups.cancel_meeting(by=group.therapist.user, session_id=meeting.pk, reason="Ill")
    meeting.refresh_from_db()
    assert meeting.status == "cancelled"
    assert sorted(m.to[0] for m in mail.outbox) == sorted(m.email for m in members)
    assert "Reason: Ill" in mail.outbox[0].body
    assert not meeting.reminders.filter(status="pending").exists()
    assert Reminder.objects.filter(recipient=members[0], status="pending").count() == 14
    # Its time is free again for a course.
    book(client_in(), group.therapist, meeting.start, weeks=1)


@pytest.mark.django_db
def test_cancelling_the_group_cancels_upcoming_meetings_and_the_waitlist(group):
    for _ in range(3):
        groups.enrol(client=client_in(), group_id=group.pk)
    groups.cancel_group(by=group.therapist.user, group_id=group.pk, reason="Moving away")
    group.refresh_from_db()
    assert group.status == "cancelled"
    assert not group.meetings.active().exists()
    assert statuses(group) == ["enrolled", "enrolled", "removed"]
    with pytest.raises(InvalidTransition):
        groups.enrol(client=client_in(), group_id=group.pk)
    assert not Group.objects.listed().exists()


@pytest.mark.django_db
def test_attendance_is_marked_per_member_after_the_meeting(group):
    present, absent = client_in(), client_in()
    groups.enrol(client=present, group_id=group.pk)
    groups.enrol(client=absent, group_id=group.pk)
    meeting = group.meetings.order_by("week").first()
    by = group.therapist.user
    with pytest.raises(InvalidTransition):
        groups.mark_attendance(by=by, session_id=meeting.pk, present={present.pk: True})
    with time_machine.travel(meeting.end + dt.timedelta(minutes=5), tick=False):
        groups.mark_attendance(
            by=by, session_id=meeting.pk, present={present.pk: True, absent.pk: False}
        )
        groups.mark_attendance(by=by, session_id=meeting.pk, present={absent.pk: True})
        with pytest.raises(ValidationError):
            groups.mark_attendance(by=by, session_id=meeting.pk, present={client_in().pk: True})
    rows = dict(Attendance.objects.filter(session=meeting).values_list("client_id", "present"))
    assert rows == {present.pk: True, absent.pk: True}
    meeting.refresh_from_db()
    assert meeting.status == "completed"


# --- Capacity under real concurrency ----------------------------------------------------------


@pytest.fixture
def patient_locks(settings):
    """Races are about changes waiting their turn, on a shared machine (30 enrolments queue
    for one group's lock: seconds under load); the bound on a wait is tested in
    test_busy.py."""
    settings.LOCK_TIMEOUT_MS = 30_000


def _race(jobs):
    """Each job in its own thread (own database connection), all released at once."""
    barrier = threading.Barrier(len(jobs))
    outcomes = [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait()
            outcomes[i] = ("ok", job())
        except GroupFull as exc:
            outcomes[i] = ("full", exc)
        except Exception as exc:  # noqa: BLE001 — any other outcome fails the test
            outcomes[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_thirty_clients_racing_for_eight_seats_without_the_waitlist_get_8_seats_and_22_409s(
    patient_locks,
):
    group = make_group(group_therapist(), capacity=8)
    clients = [client_in() for _ in range(30)]
    outcomes = _race(
        [lambda c=c: groups.enrol(client=c, group_id=group.pk, waitlist=False) for c in clients]
    )
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["full"] * 22 + ["ok"] * 8, [o for o in outcomes if o[0] == "error"]
    assert {o[1].http_status for o in outcomes if o[0] == "full"} == {409}
    assert group.enrolments.filter(status="enrolled").count() == 8
    assert group.enrolments.count() == 8


@pytest.mark.django_db(transaction=True)
def test_thirty_clients_racing_with_the_waitlist_get_8_seats_and_22_places_in_arrival_order(
    patient_locks,
):
    group = make_group(group_therapist(), capacity=8)
    clients = [client_in() for _ in range(30)]
    outcomes = _race([lambda c=c: groups.enrol(client=c, group_id=group.pk) for c in clients])
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    rows = list(group.enrolments.order_by("queue_number"))
    # The order in which the service committed them (its lock serialises them) ...
    assert [r.queue_number for r in rows] == list(range(1, 31))
    assert [r.created_at for r in rows] == sorted(r.created_at for r in rows)
    # ... is the order of the seats, then the waitlist.
    assert [r.status for r in rows] == ["enrolled"] * 8 + ["waitlisted"] * 22
    assert [groups.waitlist_position(r) for r in rows[8:]] == list(range(1, 23))
    returned = {e.pk: e.status for _, e in outcomes}
    assert returned == {r.pk: r.status for r in rows}


@pytest.mark.django_db(transaction=True)
def test_a_group_and_a_course_racing_for_one_hour_never_both_win(patient_locks):
    therapist = group_therapist()
    day = next_weekday(WEDNESDAY)
    for hour in (10, 13, 15):  # a fresh race each
        outcomes = _race(
            [
                lambda h=hour: make_group(therapist, start_time=dt.time(h), weeks=4),
                lambda h=hour: book(client_in(), therapist, at(day, h), weeks=4),
            ]
        )
        kinds = sorted("conflict" if isinstance(r, SlotConflict) else kind for kind, r in outcomes)
        assert kinds == ["conflict", "ok"], outcomes
    sessions = list(Session.objects.active().filter(therapist=therapist).order_by("start"))
    for a, b in zip(sessions, sessions[1:], strict=False):
        assert a.end <= b.start
