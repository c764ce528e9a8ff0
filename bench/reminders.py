"""Reminder dispatch throughput: reminders/s for one worker's dispatcher run (claim under
row locks, render, hand to the in-memory e-mail backend, mark each sent).

Runs on a scratch database (``rapport_bench_reminders``) and writes the ``reminders``
section of BENCHMARKS.md.

    .venv/bin/python bench/reminders.py [--reminders 20000] [--runs 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
import scratch  # noqa: E402  (bench/scratch.py, beside this script)

SCRATCH_DB = "rapport_bench_reminders"
TARGET = 2000  # reminders/s per worker


def setup_django() -> None:
    os.environ["EMAIL_URL"] = "memorymail://"
    scratch.setup_django(SCRATCH_DB)


def make_due(count: int) -> None:
    from django.db import connection
    from django.utils.timezone import now

    from accounts.models import User
    from booking.models import Booking, Session
    from notifications.models import Reminder
    from providers.models import Modality, Therapist

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE notifications_reminder, booking_session, booking_booking, "
            "providers_therapist, accounts_user CASCADE"
        )
    user = User.objects.create_user(email="t@bench.example", name="Dr Bench", role="therapist")
    therapist = Therapist.objects.create(
        user=user, slug="bench", display_name="Dr Bench", formats=["telehealth"],
        video_url="https://video.example/bench",
    )  # fmt: skip
    clients = [
        User.objects.create_user(email=f"c{i}@bench.example", name=f"Client {i}", role="client")
        for i in range(10)
    ]
    booking = Booking.objects.create(
        client=clients[0], therapist=therapist, modality=Modality.objects.get(slug="ipt"),
        format="telehealth", weeks=16, status="confirmed",
    )  # fmt: skip
    first = now() + dt.timedelta(days=3)
    per_session = len(clients) * 2
    sessions = Session.objects.bulk_create(
        [
            Session(
                booking=booking,
                therapist=therapist,
                client=clients[0],
                week=k + 1,
                start=first + dt.timedelta(hours=k),
                end=first + dt.timedelta(hours=k, minutes=50),
                status="confirmed",
            )  # fmt: skip
            for k in range(-(-count // per_session))
        ]
    )
    due = now() - dt.timedelta(minutes=1)
    rows = [
        Reminder(session=s, recipient=c, minutes_before=m, due_at=due, next_attempt_at=due)
        for s in sessions
        for c in clients
        for m in (1440, 60)
    ][:count]
    Reminder.objects.bulk_create(rows, batch_size=5000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reminders", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    setup_django()
    sys.path.insert(0, str(Path(__file__).parent))
    import report
    from django.core import mail

    from notifications import dispatch

    rates = []
    for _ in range(args.runs):
        make_due(args.reminders)
        mail.outbox = []
        t0 = time.perf_counter()
        result = dispatch.dispatch(time_budget=600)
        elapsed = time.perf_counter() - t0
        if result["sent"] != args.reminders or len(mail.outbox) != args.reminders:
            raise SystemExit(f"sent {result} / outbox {len(mail.outbox)} of {args.reminders}")
        rates.append(args.reminders / elapsed)
    verdict = "met" if min(rates) >= TARGET else "MISSED"
    body = f"""
## Reminder dispatch

One dispatcher run (`notifications.dispatch.dispatch`, as one Celery worker runs it) sending
{args.reminders} due reminders to Django's in-memory e-mail backend: claim batches of
{dispatch.BATCH_SIZE} with `SELECT … FOR UPDATE SKIP LOCKED`, render each message in the
recipient's zone, mark each row sent right after it is handed over. Target ≥ {TARGET}/s per
worker ({verdict}).

| reminders/s (min / median / max over {args.runs} runs) |
| --- |
| {report.spread(rates, "/s", 0)} |

Where the time goes (cProfile of 3 000 reminders, ~0.74 ms each on a quiet machine): the
per-row conditional `UPDATE … SET status = 'sent'` is ~0.34 ms (one round trip and commit,
with `synchronous_commit = off`); it stays per row on purpose, because marking a batch at
once would let one killed worker repeat the whole batch instead of at most one message.
Building the MIME message (`EmailMessage.message()`) is ~0.2 ms, ORM row loading and the
text ~0.2 ms. A fill factor of 70 (HOT updates) did not measurably change the mark. Reaching
2 000/s per worker needs overlap (two sending threads per dispatcher run, or one dispatcher
task per prefork child), left for the performance issue.

{report.machine("reminders.py")}
"""
    report.write_section("reminders", body)
    print(body)


if __name__ == "__main__":
    main()
