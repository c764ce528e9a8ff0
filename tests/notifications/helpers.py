"""Due reminders made in bulk, for the dispatcher tests."""

import datetime as dt

from django.utils.timezone import now

from booking.models import Booking, Session
from notifications.models import Reminder
from tests.booking.helpers import bookable_therapist, client_in


def make_due_reminders(count: int) -> list[int]:
    """``count`` reminders due a minute ago, on confirmed sessions, made in bulk."""
    therapist = bookable_therapist()
    recipients = [client_in() for _ in range(5)]
    booking = Booking.objects.create(
        client=recipients[0], therapist=therapist, modality=therapist.modalities.get(),
        format="telehealth", weeks=16, status="confirmed",
    )  # fmt: skip
    sessions_needed = -(-count // (len(recipients) * 2))
    first = now() + dt.timedelta(days=2)
    sessions = Session.objects.bulk_create(
        Session(
            booking=booking,
            therapist=therapist,
            client=recipients[0],
            week=k + 1,
            start=first + dt.timedelta(hours=k),
            end=first + dt.timedelta(hours=k, minutes=50),
            status="confirmed",
        )  # fmt: skip
        for k in range(sessions_needed)
    )
    due = now() - dt.timedelta(minutes=1)
    rows = [
        Reminder(session=s, recipient=r, minutes_before=m, due_at=due, next_attempt_at=due)
        for s in sessions
        for r in recipients
        for m in (1440, 60)
    ][:count]
    return [r.pk for r in Reminder.objects.bulk_create(rows)]
