import contextlib
import datetime as dt
import threading
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.test import TestCase
from django.utils.timezone import localdate

from booking import availability
from booking.courses import services
from tests.factories import TherapistFactory, UserFactory, verified_license

NY = ZoneInfo("America/New_York")


def next_weekday(weekday: int, *, after: dt.date | None = None, weeks_ahead: int = 1) -> dt.date:
    """A date on ``weekday`` at least ``weeks_ahead`` weeks after ``after`` (today)."""
    day = (after or localdate()) + dt.timedelta(weeks=weeks_ahead)
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def at(day: dt.date, hour: int, minute: int = 0, tz=NY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)


def bookable_therapist(*, state="NY", tz="America/New_York", hours=None, **kwargs):
    """A verified therapist in ``state`` with weekday hours 9–17 (by default), and the
    next opening stored as after the hours' commit."""
    therapist = TherapistFactory(timezone=tz, notice_hours=24, **kwargs)
    verified_license(therapist=therapist, state=state)
    with committed():
        availability.set_weekly_hours(
            therapist=therapist,
            ranges=hours if hours is not None else [(d, dt.time(9), dt.time(17)) for d in range(5)],
        )
    therapist.refresh_from_db()
    return therapist


def committed():
    """Run the on-commit callbacks of the writes inside, as their commit would (a test's
    own transaction never commits): ``with committed(): availability.add_time_off(...)``."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def client_in(state="NY", tz="America/New_York", **kwargs):
    return UserFactory(role="client", state=state, timezone=tz, **kwargs)


def book(client, therapist, start, weeks=12, **kwargs):
    return services.book_course(
        client=client,
        therapist_id=therapist.pk,
        start=start,
        weeks=weeks,
        modality=kwargs.pop("modality", "ipt"),
        format=kwargs.pop("format", "telehealth"),
        **kwargs,
    )


@contextlib.contextmanager
def row_locked(model, pk: int):
    """Another connection (a thread of its own) holds ``model``'s row ``pk`` locked
    (SELECT … FOR UPDATE) until the block ends. Needs ``django_db(transaction=True)``:
    the row must be committed for the other connection to see it."""
    holding, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                model.objects.select_for_update().get(pk=pk)
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    try:
        yield
    finally:
        release.set()
        holder.join(30)
