"""A scratch database for a benchmark: the app's settings, pointed at a database of its
own on the same server (embedded or ``DATABASE_URL``), migrated."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def setup_django(database: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "therapy_directory.settings")
    if os.environ.get("DATABASE_URL"):
        parts = urlsplit(os.environ["DATABASE_URL"])
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{database}"))
    else:
        os.environ["RAPPORT_DB_NAME"] = database  # the embedded server creates it
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- One database seeded with 100 000 therapists, shared by the benchmarks that read it ---

SEEDED_DB = "rapport_bench_100k"
_STAMP_TABLE = "bench_seed_stamp"


def database_env(database: str) -> dict[str, str]:
    """The environment that points a ``manage.py`` (or gunicorn) process at ``database``."""
    env = dict(os.environ)
    if env.get("DATABASE_URL"):
        parts = urlsplit(env["DATABASE_URL"])
        env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{database}"))
    else:
        env["RAPPORT_DB_NAME"] = database  # the embedded server creates it
    return env


def _manage(database: str, *args: str) -> str:
    import subprocess

    out = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=database_env(database),
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout


def _connect(dbname: str):
    """A psycopg2 connection to ``dbname`` on the benchmarks' server (``DATABASE_URL``'s
    server, or the embedded one, started or attached to through the settings)."""
    import psycopg2

    if os.environ.get("DATABASE_URL"):
        parts = urlsplit(os.environ["DATABASE_URL"])
        from urllib.parse import unquote

        params = {
            "host": unquote(parts.hostname or "") or None,
            "port": parts.port,
            "user": unquote(parts.username or "") or None,
            "password": unquote(parts.password or "") or None,
        }
    else:
        sys.path.insert(0, str(ROOT))
        from therapy_directory.embedded_db import embedded_database

        data_dir = Path(os.environ.get("RAPPORT_DATA_DIR") or ROOT / ".data")
        db = embedded_database(data_dir, "postgres")
        params = {"host": db["HOST"], "port": db["PORT"], "user": db["USER"]}
    conn = psycopg2.connect(dbname=dbname, **params)
    conn.autocommit = True
    return conn


def _seed_stamp(therapists: int, seed: int) -> str:
    import hashlib

    source = (ROOT / "demo/management/commands/seed_demo.py").read_bytes()
    return hashlib.sha256(source + f"|{therapists}|{seed}".encode()).hexdigest()[:16]


def seeded_database(therapists: int = 100_000, seed: int = 1, database: str = SEEDED_DB) -> str:
    """``database``, migrated and seeded by ``seed_demo --therapists N --seed S``: seeded
    once (~50 s at 100 000, then VACUUM ANALYZE) and reused while ``seed_demo.py`` and the
    arguments stay the same (a stamp table remembers them); re-created otherwise.
    Benchmarks that use it must only read. Returns the database name."""
    stamp = _seed_stamp(therapists, seed)
    server = _connect("postgres")
    try:
        with server.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
            exists = cursor.fetchone() is not None
        current = None
        if exists:
            conn = _connect(database)
            try:
                with conn.cursor() as cursor:
                    cursor.execute("SELECT to_regclass(%s)", [_STAMP_TABLE])
                    if cursor.fetchone()[0]:
                        cursor.execute(f"SELECT stamp FROM {_STAMP_TABLE}")  # noqa: S608
                        row = cursor.fetchone()
                        current = row[0] if row else None
            finally:
                conn.close()
        if current == stamp:
            _manage(database, "migrate", "--noinput")  # new indexes or columns only
            return database
        with server.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{database}"')
    finally:
        server.close()
    print(f"seeding {database}: seed_demo --therapists {therapists} --seed {seed}", flush=True)
    _manage(database, "migrate", "--noinput")
    _manage(database, "seed_demo", "--therapists", str(therapists), "--seed", str(seed))
    conn = _connect(database)
    try:
        with conn.cursor() as cursor:
            # As autovacuum leaves a settled database: visibility map set (index-only
            # scans skip the heap), statistics fresh.
            cursor.execute("VACUUM ANALYZE")
            cursor.execute(f"CREATE TABLE {_STAMP_TABLE} (stamp text NOT NULL)")
            cursor.execute(f"INSERT INTO {_STAMP_TABLE} VALUES (%s)", [stamp])  # noqa: S608
    finally:
        conn.close()
    return database
