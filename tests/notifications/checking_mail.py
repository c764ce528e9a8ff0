"""In-memory e-mail backends that look at the database at each hand-off, for the
dispatcher's ordering tests. They read through the dispatcher's own connection, so each
also checks that no transaction is open at the hand-off: what they read is committed."""

from django.core.mail.backends.locmem import EmailBackend
from django.db import connection

from notifications.models import Reminder

HEADER = "X-Rapport-Reminder"


class UnmarkedCountingBackend(EmailBackend):
    """Records, at each hand-off, how many earlier handed-over rows were still unmarked
    (``sending``): what a SIGKILL at that moment would send again."""

    handed: list[int] = []
    unmarked_at_handoff: list[int] = []
    in_transaction_at_handoff: list[bool] = []

    def send_messages(self, messages):
        for message in messages:
            cls = type(self)
            cls.in_transaction_at_handoff.append(connection.in_atomic_block)
            cls.unmarked_at_handoff.append(
                Reminder.objects.filter(pk__in=cls.handed, status="sending").count()
            )
            cls.handed.append(int(message.extra_headers[HEADER]))
        return super().send_messages(messages)


class LeaseLostBackend(EmailBackend):
    """While a message is being handed over, its row's lease runs out and another worker
    claims it (what a very slow mail server could cause)."""

    def send_messages(self, messages):
        for message in messages:
            Reminder.objects.filter(pk=int(message.extra_headers[HEADER])).update(
                claimed_by="another-worker"
            )
        return super().send_messages(messages)


class CancelsLaterSessionBackend(EmailBackend):
    """At the first hand-off, the session of a later row in the same batch is cancelled
    (its reminder is already claimed, so only the re-check can stop it)."""

    session_to_cancel: int | None = None

    def send_messages(self, messages):
        cls = type(self)
        if cls.session_to_cancel is not None:
            from booking.models import Session

            Session.objects.filter(pk=cls.session_to_cancel).update(status="cancelled")
            cls.session_to_cancel = None
        return super().send_messages(messages)
