"""Reminder dispatch throughput: reminders/s for one worker's dispatcher run (claim under
row locks, re-check, render, hand to the in-memory e-mail backend, mark each sent).

Runs on a scratch database (``rapport_bench_reminders``) and writes the ``reminders``
section of BENCHMARKS.md.

    .venv/bin/python bench/reminders.py [--reminders 5000] [--runs 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
import scratch  # noqa: E402  (bench/scratch.py, beside this script)

SCRATCH_DB = "rapport_bench_reminders"


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


# The previous dispatcher (psycopg2 in asynchronous mode on extra connections, a prepared
# mark, prefetched claims, ``synchronous_commit off``), 2026-11-25 07:42 UTC, 20 000
# reminders, 3 runs, CPU per reminder 0.105 ms. Replaced by the plain one (issue 13): a real
# mail server is the ceiling long before either figure.
BEFORE = "7111 /s / 7340 /s / 7556 /s"

PHASES = [
    # (label, what it is)
    ("claim", "claiming a batch (`claim`: `select_for_update(skip_locked=True)`, commit), per row"),
    ("recheck", "re-check just before the hand-off (session confirmed, recipient opted in)"),
    ("message", "building the message (`reminder_message`: template, `EmailMessage`)"),
    ("handoff", "hand-off to the in-memory backend (`send_messages`)"),
]


def profiled_run(count: int) -> tuple[float, dict[str, float]]:
    """One more run with wall-clock timers around each phase: ms per reminder. What no
    timer covers is loading each batch and the per-row marks (an UPDATE and its commit)."""
    from django.core.mail.backends import locmem

    from notifications import dispatch

    spent = dict.fromkeys([p[0] for p in PHASES], 0.0)
    patched = []

    def timed(owner, name, label):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - t0

        patched.append((owner, name, original))
        setattr(owner, name, wrapper)

    timed(dispatch, "claim", "claim")
    timed(dispatch, "_still_wanted", "recheck")
    timed(dispatch, "reminder_message", "message")
    timed(locmem.EmailBackend, "send_messages", "handoff")
    try:
        make_due(count)
        t0 = time.perf_counter()
        dispatch.dispatch(time_budget=600)
        total = time.perf_counter() - t0
    finally:
        for owner, name, original in patched:
            setattr(owner, name, original)
    per_row = {k: v / count * 1000 for k, v in spent.items()}
    per_row["rest"] = total / count * 1000 - sum(per_row.values())
    return total / count * 1000, per_row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reminders", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    setup_django()
    sys.path.insert(0, str(Path(__file__).parent))
    import report
    from django.core import mail

    from notifications import dispatch

    load_before = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    rates, cpu = [], []
    for _ in range(args.runs):
        make_due(args.reminders)
        mail.outbox = []
        t0, c0 = time.perf_counter(), time.process_time()
        result = dispatch.dispatch(time_budget=600)
        elapsed, cpu_s = time.perf_counter() - t0, time.process_time() - c0
        if result["sent"] != args.reminders or len(mail.outbox) != args.reminders:
            raise SystemExit(f"sent {result} / outbox {len(mail.outbox)} of {args.reminders}")
        rates.append(args.reminders / elapsed)
        cpu.append(cpu_s / args.reminders * 1000)
    mail.outbox = []
    profile_count = min(args.reminders, 2000)
    total_ms, phases = profiled_run(profile_count)
    mail.outbox = []
    rows = "\n".join(f"| {what} | {phases[label]:.3f} |" for label, what in PHASES)
    body = f"""
## Reminder dispatch

**Per worker** here means one dispatcher run (`notifications.dispatch.dispatch`, what one
Celery prefork child runs for the `dispatch_reminders` task) in one process, sending
{args.reminders} due reminders to Django's in-memory e-mail backend, against the same
PostgreSQL: claim batches of {dispatch.BATCH_SIZE} with `select_for_update(skip_locked=True)`
in a short transaction, then for each row re-check its session and recipient, build the
message in the recipient's zone, hand it over, and mark the row with a conditional UPDATE
(committed) before the next hand-off. A worker with prefork concurrency 2 does not run
two of these at once (beat sends one task a minute), so this is also the figure for one
worker with its default concurrency. No target: with a real mail server each message
also costs a network round trip to it and counts against the provider's sending rate,
which set the pace of reminders before this figure does.

| | reminders/s (min / median / max over {args.runs} runs) | dispatcher CPU per reminder (median) |
| --- | --- | --- |
| before: asynchronous marks and prefetched claims (2026-11-25 07:42 UTC) | {BEFORE} | 0.105 ms |
| now: the plain dispatcher | {report.spread(rates, "/s", 0)} | {statistics.median(cpu):.3f} ms |

The mark of each row before the next hand-off is what keeps a SIGKILL to at most one
repeated message (`tests/notifications/test_dispatch_marks.py` checks it at every hand-off;
`tests/notifications/test_dispatch_workers.py` kills a real worker). The earlier dispatcher
hid that round trip behind the next message's work on extra connections; the gain was not
one a person could notice, since the mail server is the ceiling.

Where the time goes (one extra run of {profile_count} reminders with timers around each
phase; {total_ms:.3f} ms per reminder in that run, timers included):

| phase | ms per reminder |
| --- | ---: |
{rows}
| the rest: loading each batch, the per-row mark (UPDATE and commit) | {phases["rest"]:.3f} |

Load average {load_before} before the runs (the machine is shared with other jobs).

{report.machine("reminders.py")}
"""
    report.write_section("reminders", body)
    print(body)


if __name__ == "__main__":
    main()
