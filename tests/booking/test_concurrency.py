"""Double booking and lock order under real concurrency: parallel connections, one per
thread."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction

from booking.exceptions import SlotConflict
from booking.groups import services as groups
from booking.models import Group, Session
from providers.models import Therapist
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import (
    at,
    book,
    bookable_therapist,
    client_in,
    next_weekday,
    row_locked,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _patient_locks(settings):
    """These tests are about changes waiting their turn, on a shared machine; the bound
    on a wait is tested in test_busy.py."""
    settings.LOCK_TIMEOUT_MS = 30_000


def _race(jobs):
    """Run each job in its own thread (own database connection), all released at once."""
    barrier = threading.Barrier(len(jobs))
    outcomes = [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait()
            outcomes[i] = ("ok", job())
        except SlotConflict as exc:
            outcomes[i] = ("conflict", exc)
        except Exception as exc:  # noqa: BLE001 — any other outcome fails the test below
            outcomes[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def test_fifty_clients_racing_for_one_weekly_time_get_one_course_and_49_clean_conflicts():
    therapist = bookable_therapist()
    clients = [client_in() for _ in range(50)]
    start = at(next_weekday(1), 10)
    outcomes = _race([lambda c=c: book(c, therapist, start, weeks=12) for c in clients])
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["conflict"] * 49 + ["ok"], [o for o in outcomes if o[0] == "error"]
    assert Session.objects.active().filter(therapist=therapist).count() == 12


def test_two_overlapping_courses_at_different_start_times_never_both_succeed():
    therapist = bookable_therapist(slot_step_minutes=30)  # 10:00 and 10:30 both on the grid
    for day in (next_weekday(1), next_weekday(2), next_weekday(3)):  # a fresh race each
        outcomes = _race(
            [
                lambda day=day: book(client_in(), therapist, at(day, 10), weeks=6),
                lambda day=day: book(client_in(), therapist, at(day, 10, 30), weeks=6),
            ]
        )
        assert sorted(kind for kind, _ in outcomes) == ["conflict", "ok"], outcomes


def test_overlapping_courses_at_different_times_never_overlap_in_the_calendar():
    therapist = bookable_therapist()
    day = next_weekday(2)
    # 10:00, 10:30 (off-grid: refused), 11:00 and a course starting a week later at 10:00.
    starts = [at(day, 10), at(day, 11), at(day + dt.timedelta(weeks=1), 10), at(day, 10)]
    outcomes = _race([lambda s=s: book(client_in(), therapist, s, weeks=4) for s in starts])
    assert all(kind in ("ok", "conflict") for kind, _ in outcomes), outcomes
    sessions = list(Session.objects.active().filter(therapist=therapist).order_by("start"))
    for a, b in zip(sessions, sessions[1:], strict=False):
        assert a.end <= b.start


def _someone_waits_for_a_lock(timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.05)
    return False


def _therapist_locked(therapist):
    """Another connection holds the therapist's row lock until the block ends."""
    return row_locked(Therapist, therapist.pk)


def _start(action, outcome: dict) -> threading.Thread:
    """``action`` on its own connection in a thread; ``outcome`` gets done or its error."""

    def run():
        try:
            action()
            outcome["done"] = True
        except Exception as exc:  # noqa: BLE001 — reported by the caller's assertion
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.parametrize("cancel", ["meeting", "group"])
def test_a_group_cancellation_waiting_for_the_therapist_holds_no_group_lock(cancel):
    """Lock order: therapist, then group (an edit of the group takes them so). A
    cancellation marks the therapist's opening: it takes the therapist first, so while
    it waits for the therapist it holds nothing an edit could be waiting for."""
    therapist = group_therapist()
    group = make_group(therapist)
    meeting = group.meetings.first()
    by = therapist.user
    cancellations = {
        "meeting": lambda: groups.cancel_meeting(by=by, session_id=meeting.pk, reason="Ill"),
        "group": lambda: groups.cancel_group(by=by, group_id=group.pk, reason="Ill"),
    }
    outcome = {}
    with _therapist_locked(therapist):
        canceller = _start(cancellations[cancel], outcome)
        assert _someone_waits_for_a_lock()
        with transaction.atomic():
            # Refused at once (DatabaseError) if the waiting cancellation held the group.
            Group.objects.select_for_update(nowait=True).get(pk=group.pk)
    canceller.join(30)
    assert outcome == {"done": True}


@pytest.mark.parametrize("change", ["cancel meeting", "cancel group", "update group"])
def test_someone_elses_group_change_is_refused_without_waiting_for_the_therapist(change):
    """Who may change the group is checked before the therapist's lock is taken: another
    therapist's attempt is refused at once, never queued behind the real therapist."""
    from django.core.exceptions import PermissionDenied

    therapist, intruder = group_therapist(), group_therapist()
    group = make_group(therapist)
    meeting = group.meetings.first()
    by = intruder.user
    changes = {
        "cancel meeting": lambda: groups.cancel_meeting(by=by, session_id=meeting.pk, reason="Ill"),
        "cancel group": lambda: groups.cancel_group(by=by, group_id=group.pk, reason="Ill"),
        "update group": lambda: groups.update_group(group_id=group.pk, by=by, title="Taken over"),
    }
    outcome = {}
    with _therapist_locked(therapist):
        attempter = _start(changes[change], outcome)
        attempter.join(10)  # the therapist's lock is still held meanwhile
        waited = attempter.is_alive()
    attempter.join(30)
    assert not waited, "waited for the therapist's lock"
    assert isinstance(outcome.get("error"), PermissionDenied)
