"""Double booking under real concurrency: parallel connections, one per thread."""

import datetime as dt
import threading

import pytest
from django.db import connection

from booking.exceptions import SlotConflict
from booking.models import Session
from tests.booking.helpers import at, book, bookable_therapist, client_in, next_weekday

pytestmark = pytest.mark.django_db(transaction=True)


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
