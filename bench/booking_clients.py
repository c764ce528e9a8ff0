"""The clients of the booking load benchmark (``bench/booking_load.py``) and the CPU
readings that turn a run into per-booking costs.

A client books its plan through ``services.book_course`` on its own database connection,
either as a thread of the benchmark's process (the threads share the GIL) or as a spawned
process of its own with its own Django (as a web worker would). CPU comes from the kernel's
accounting, not from wall-clock time: ``time.process_time`` for Python, ``/proc/<pid>/``
``schedstat`` or ``stat`` for PostgreSQL's processes (the server must run on this machine;
otherwise those figures are ``None``).
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
TIMEOUT = 300  # seconds a barrier or a result may take before the run is abandoned


# --- CPU of local processes, from /proc ------------------------------------------------


def _stat(pid: int) -> tuple[str, int, float, float] | None:
    """``(comm, ppid, utime + stime, cutime + cstime)`` of ``pid`` in seconds, or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # comm (field 2) is in parentheses and may hold spaces: split at its closing one.
    head, _, tail = text.rpartition(")")
    fields = tail.split()  # fields[0] is field 3 (state)
    own = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
    reaped = (int(fields[13]) + int(fields[14])) / CLOCK_TICKS  # cutime, cstime
    return head.partition("(")[2], int(fields[1]), own, reaped


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a live local process, all its threads, in clock ticks
    (10 ms), or None."""
    stat = _stat(pid)
    return stat[2] if stat else None


def task_cpu(pid: int) -> float | None:
    """CPU seconds of a live local single-threaded process (a PostgreSQL backend) to the
    nanosecond (``/proc/<pid>/schedstat``), else in clock ticks, or None."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return process_cpu(pid)


def machine_busy() -> tuple[float, float] | None:
    """``(monotonic time, CPU seconds the whole machine has been busy)``: every core's
    user, nice, system, irq and softirq time in ``/proc/stat`` (not idle, I/O wait, or
    steal), or None."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq = (int(f) for f in fields[1:8])
    return time.monotonic(), (user + nice + system + irq + softirq) / CLOCK_TICKS


def cores_busy(before: tuple[float, float] | None, after: tuple[float, float] | None):
    """Cores the whole machine kept busy on average between two ``machine_busy()``."""
    if before is None or after is None or after[0] <= before[0]:
        return None
    return (after[1] - before[1]) / (after[0] - before[0])


def postmaster_of(backend_pid: int) -> int | None:
    """The local postmaster serving ``backend_pid`` (a ``pg_backend_pid()``), or None when
    the server is not a PostgreSQL process of this machine."""
    stat = _stat(backend_pid)
    if stat is None or not stat[0].startswith("postgres"):
        return None
    parent = _stat(stat[1])
    return stat[1] if parent and parent[0].startswith("postgres") else None


def server_cpu(postmaster: int | None) -> float | None:
    """CPU seconds of a whole PostgreSQL server so far: the postmaster's own plus that of
    its reaped children (a backend that has exited is counted there) plus every live
    child's (backends, WAL writer, checkpointer, autovacuum…)."""
    if postmaster is None:
        return None
    stat = _stat(postmaster)
    if stat is None:
        return None
    total = stat[2] + stat[3]
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            child = _stat(int(entry.name))
            if child and child[1] == postmaster:
                total += (task_cpu(int(entry.name)) or child[2]) + child[3]
    return total


def quiet() -> None:
    """Celery's publisher warns on every new connection of the ``filesystem://`` broker
    that it has no host name: not news here."""
    import logging

    logging.getLogger("kombu.connection").setLevel(logging.ERROR)


def backend_pid(connection) -> int:
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


# --- One client ---------------------------------------------------------------------


def book_plan(client, plan, barrier) -> dict:
    """Book ``plan`` (``(therapist pk, start)`` pairs, 4-week courses) for ``client`` on
    this thread's connection. Waits twice on ``barrier``: once connected ("ready", the
    parent then reads the server's CPU), then to start all together ("go")."""
    from django.db import connection

    from booking.courses import services
    from booking.exceptions import SlotConflict

    statements = 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    backend = backend_pid(connection)
    backend_before = task_cpu(backend)
    barrier.wait(TIMEOUT)  # ready
    barrier.wait(TIMEOUT)  # go
    started = time.monotonic()
    cpu_before = time.process_time()
    switches_before = resource.getrusage(resource.RUSAGE_THREAD).ru_nivcsw
    booked = conflicts = 0
    with connection.execute_wrapper(count):
        for therapist_id, start in plan:
            try:
                services.book_course(
                    client=client, therapist_id=therapist_id, start=start,
                    weeks=4, modality="ipt", format="telehealth",
                )  # fmt: skip
                booked += 1
            except SlotConflict:
                conflicts += 1
    ended = time.monotonic()
    process = time.process_time() - cpu_before
    preempted = resource.getrusage(resource.RUSAGE_THREAD).ru_nivcsw - switches_before
    backend_after = task_cpu(backend)
    return {
        "booked": booked,
        "conflicts": conflicts,
        "statements": statements,
        "preempted": preempted,
        "started": started,
        "ended": ended,
        "process_cpu": process,
        "backend_cpu": (
            backend_after - backend_before
            if backend_before is not None and backend_after is not None
            else None
        ),
    }


def client_thread(client, plan, barrier, results: list, index: int) -> None:
    from django.db import connection

    try:
        results[index] = book_plan(client, plan, barrier)
    except BaseException as exc:  # noqa: BLE001 — reported by the parent
        barrier.abort()
        results[index] = {"error": repr(exc)}
    finally:
        connection.close()


def _worker(inbox, outbox, barrier) -> None:
    """A spawned client process: Django set up once, against the database named by the
    environment inherited from the parent, then one ``(client pk, plan)`` per message
    until None. Its connection stays open between plans, as a web worker's may."""
    try:
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "therapy_directory.settings")
        import django

        django.setup()
        quiet()
        from django.db import connection

        from accounts.models import User
    except BaseException as exc:  # noqa: BLE001 — reported by the parent
        barrier.abort()  # the others and the parent stop waiting for this one
        outbox.put({"error": f"setting up Django: {exc!r}"})
        return

    while (task := inbox.get()) is not None:
        client_pk, plan = task
        try:
            client = User.objects.get(pk=client_pk)
            outbox.put(book_plan(client, plan, barrier))
        except BaseException as exc:  # noqa: BLE001 — reported by the parent
            barrier.abort()
            outbox.put({"error": repr(exc)})
    connection.close()


class ClientProcesses:
    """``count`` spawned client processes, each with its own Django and connection, kept
    for all the runs (started once: a fresh interpreter importing Django is ~1 s of CPU)."""

    def __init__(self, count: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.barrier = context.Barrier(count + 1)
        self.outbox = context.Queue()
        self.inboxes = [context.Queue() for _ in range(count)]
        self.processes = [
            context.Process(target=_worker, args=(inbox, self.outbox, self.barrier), daemon=True)
            for inbox in self.inboxes
        ]
        for process in self.processes:
            process.start()

    def submit(self, tasks: list[tuple[int, list]]) -> None:
        for inbox, task in zip(self.inboxes, tasks, strict=True):
            inbox.put(task)

    def results(self) -> list[dict]:
        return [self.outbox.get(timeout=TIMEOUT) for _ in self.inboxes]

    def close(self) -> None:
        for inbox in self.inboxes:
            inbox.put(None)
        for process in self.processes:
            process.join(timeout=30)


def run_threads(clients, plans, between) -> tuple[float, list[dict], float]:
    """One run with a thread per client. ``between()`` runs once all are connected and
    before they start. Returns (release time, per-client results, process CPU of the run)."""
    barrier = threading.Barrier(len(clients) + 1)
    results: list = [None] * len(clients)
    threads = [
        threading.Thread(target=client_thread, args=(client, plan, barrier, results, i))
        for i, (client, plan) in enumerate(zip(clients, plans, strict=True))
    ]
    for thread in threads:
        thread.start()
    cpu_before = time.process_time()
    try:
        barrier.wait(TIMEOUT)
        between()
        cpu_before = time.process_time()
        barrier.wait(TIMEOUT)
    except threading.BrokenBarrierError:
        pass  # a client failed: its error is in results
    released = time.monotonic()
    for thread in threads:
        thread.join()
    return released, results, time.process_time() - cpu_before


def run_processes(pool: ClientProcesses, clients, plans, between) -> tuple[float, list[dict]]:
    """One run on the client processes, as ``run_threads``; each result carries its own
    process's CPU."""
    pool.submit([(client.pk, plan) for client, plan in zip(clients, plans, strict=True)])
    try:
        pool.barrier.wait(TIMEOUT)
        between()
        pool.barrier.wait(TIMEOUT)
    except threading.BrokenBarrierError:
        pass  # a client failed: its error is in its result
    released = time.monotonic()
    return released, pool.results()
