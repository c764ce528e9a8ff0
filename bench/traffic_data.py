"""A year of sessions for the traffic benchmark, added by SQL to a database that
``seed_demo`` filled, and the catalogue the load generator reads (ids, slugs, states,
signed-in personas): the load generator then needs nothing but HTTP.

Rows are cloned from the rows seed_demo made through the app's own services (its demo
booking, session, client and group): every column this code does not set is copied from
them, so a column added later with a NOT NULL and a Python default still gets a value.

The year: a weekly course per client (one new client per course), 12 weeks, starting on a
Monday-based week spread over the last 40 weeks and the next 4, at a time inside the
therapist's weekly hours. Two courses of one therapist never share an hour of the week,
and every course starts on an even hour after its hours' opening, every group on an odd
one, each ≤ 60 minutes: the sessions' exclusion constraint holds by construction.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from pathlib import Path

COURSE_WEEKS = 12
PERSONA_PASSWORD = "bench-traffic-2026"  # noqa: S105  (scratch database only)
PERSONA_DOMAIN = "bench.rapport.example"


def pbkdf2_hash(password: str, iterations: int = 1000) -> str:
    """Django's ``pbkdf2_sha256`` format (few iterations: a persona signs in once, and
    Django re-hashes it with its current hasher then)."""
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode()}"


def columns(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
        "AND table_schema = current_schema() ORDER BY ordinal_position",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


def clone(cursor, table: str, template: str, source: str, overrides: dict[str, str]) -> int:
    """INSERT one ``table`` row per row of ``source`` (SQL, aliased ``s``): ``overrides``
    (column → SQL expression) where given, the ``template`` row's value (``t``) otherwise;
    ``id`` from the table's identity."""
    cols = [c for c in columns(cursor, table) if c != "id"]
    values = ", ".join(overrides.get(c, f't."{c}"') for c in cols)
    quoted = ", ".join(f'"{c}"' for c in cols)
    cursor.execute(
        f"INSERT INTO {table} ({quoted}) SELECT {values} FROM ({source}) s "  # noqa: S608
        f"CROSS JOIN (SELECT * FROM {table} WHERE {template} LIMIT 1) t"
    )
    return cursor.rowcount


SLOTS_SQL = """
CREATE TEMP TABLE bench_slot AS
WITH findable AS (
    SELECT t.id, t.user_id, t.timezone, t.session_minutes,
           (SELECT l.state FROM providers_license l
             WHERE l.therapist_id = t.id AND l.status = 'verified'
               AND l.expires_on >= current_date ORDER BY l.id LIMIT 1) AS state,
           (SELECT m.modality_id FROM providers_therapist_modalities m
             WHERE m.therapist_id = t.id ORDER BY m.modality_id LIMIT 1) AS modality_id
      FROM providers_therapist t
     WHERE t.accepting_new_clients AND 'telehealth' = ANY(t.formats)
), hour AS (
    SELECT f.*, r.weekday, (r.start + make_interval(hours => h)) AS at, h
      FROM findable f
      JOIN booking_availabilityrule r ON r.therapist_id = f.id
     CROSS JOIN generate_series(0, 12) h
     WHERE r.start + make_interval(hours => h + 1) <= r."end"
       AND f.state IS NOT NULL AND f.modality_id IS NOT NULL
), ranked AS (
    SELECT hour.*, row_number() OVER (PARTITION BY id ORDER BY random()) AS n
      FROM hour WHERE h %% 2 = 0 AND session_minutes <= 60
)
-- The course's week from a hash, not random(): PostgreSQL would reuse the ORDER BY's
-- random() for it (the same volatile call), and keep only the weeks that sorted first.
SELECT row_number() OVER (ORDER BY random()) AS k, ranked.*,
       (date_trunc('week', current_date)::date - 40 * 7
        + (abs(hashtext(id || '/' || weekday || '/' || h)) %% 44) * 7 + weekday) AS first_day
  FROM ranked WHERE n <= %(per_therapist)s
 ORDER BY k LIMIT %(bookings)s
"""


def add_year(conn, *, bookings: int, personas: int, therapist_personas: int, groups: int) -> dict:
    """Adds ``bookings`` courses (clients, bookings, sessions) and ``groups`` groups;
    gives ``personas`` clients and ``therapist_personas`` therapists a known password.
    Returns counts."""
    with conn.cursor() as cur:
        cur.execute("SELECT setseed(0.42)")
        cur.execute(SLOTS_SQL, {"per_therapist": 4, "bookings": bookings})
        cur.execute("SELECT count(*) FROM bench_slot")
        made = cur.fetchone()[0]
        password = pbkdf2_hash(PERSONA_PASSWORD)
        # One client per course, in the therapist's license state and zone.
        clone(
            cur,
            "accounts_user",
            "role = 'client'",
            "SELECT * FROM bench_slot",
            {
                "email": f"'bench-client-' || s.k || '@{PERSONA_DOMAIN}'",
                "name": "'Client ' || s.k",
                "state": "s.state",
                "timezone": "s.timezone",
                "password": f"CASE WHEN s.k <= {personas} THEN '{password}' ELSE '!' END",
                "date_joined": "now() - interval '1 year'",
                "last_login": "NULL",
                "is_staff": "false",
                "is_superuser": "false",
            },
        )
        cur.execute(
            "ALTER TABLE bench_slot ADD COLUMN client_id bigint; "
            "UPDATE bench_slot b SET client_id = u.id FROM accounts_user u "
            f"WHERE u.email = 'bench-client-' || b.k || '@{PERSONA_DOMAIN}'"
        )
        # Past courses completed, current ones confirmed (a few still pending).
        last = f"s.first_day + {(COURSE_WEEKS - 1) * 7}"
        clone(
            cur,
            "booking_booking",
            "client_id IS NOT NULL",
            "SELECT * FROM bench_slot",
            {
                "client_id": "s.client_id",
                "therapist_id": "s.id",
                "modality_id": "s.modality_id",
                "format": "'telehealth'",
                "weeks": str(COURSE_WEEKS),
                "status": f"CASE WHEN {last} < current_date THEN 'completed' "
                "WHEN s.k % 40 = 0 AND s.first_day > current_date THEN 'pending' "
                "ELSE 'confirmed' END",
                "created_at": "(s.first_day - 7)::timestamptz",
                "hold_until": "CASE WHEN s.k % 40 = 0 AND s.first_day > current_date "
                "THEN now() + interval '2 days' END",
                "decided_at": "(s.first_day - 6)::timestamptz",
                "decline_reason": "''",
            },
        )
        cur.execute(
            "ALTER TABLE bench_slot ADD COLUMN booking_id bigint; "
            "UPDATE bench_slot b SET booking_id = k.id FROM booking_booking k "
            "WHERE k.client_id = b.client_id"
        )
        start = "((s.first_day + (s.w - 1) * 7) + s.at) AT TIME ZONE s.timezone"
        clone(
            cur,
            "booking_session",
            "booking_id IS NOT NULL",
            "SELECT bench_slot.*, w FROM bench_slot "
            f"CROSS JOIN generate_series(1, {COURSE_WEEKS}) w",
            {
                "booking_id": "s.booking_id",
                "client_id": "s.client_id",
                "therapist_id": "s.id",
                "group_id": "NULL",
                "week": "s.w",
                "start": start,
                "end": f"{start} + make_interval(mins => s.session_minutes)",
                "status": f"CASE WHEN {start} < now() THEN 'completed' "
                "WHEN s.k % 40 = 0 AND s.first_day > current_date THEN 'pending' "
                "ELSE 'confirmed' END",
                "cancelled_at": "NULL",
                "cancelled_by_id": "NULL",
                "cancel_reason": "''",
                "late_cancellation": "false",
            },
        )
        sessions = cur.rowcount
        # Therapist personas: therapists with current courses, signed in by a known password.
        cur.execute(
            "UPDATE accounts_user SET password = %s WHERE id IN (SELECT DISTINCT user_id "
            "FROM bench_slot WHERE first_day > current_date - 70 ORDER BY user_id LIMIT %s)",
            [password, therapist_personas],
        )
        made_groups = _add_groups(cur, groups)
    return {"bookings": made, "sessions": sessions, "groups": made_groups}


def _add_groups(cur, count: int) -> int:
    """``count`` weekly groups (60-minute meetings on an odd hour after the hours' opening,
    12 weeks from next week) run by therapists who offer group therapy, their meetings
    cloned from the demo group's."""
    cur.execute(
        """
        CREATE TEMP TABLE bench_group AS
        SELECT DISTINCT ON (t.id) t.id, t.timezone, r.weekday,
               r.start + interval '1 hour' AS at, m.modality_id,
               (SELECT array_agg(l.state) FROM providers_license l WHERE l.therapist_id = t.id
                  AND l.status = 'verified' AND l.expires_on >= current_date) AS states,
               date_trunc('week', current_date)::date + 7 + r.weekday AS first_day
          FROM providers_therapist t
          JOIN providers_therapist_modalities m ON m.therapist_id = t.id
          JOIN providers_modality mo ON mo.id = m.modality_id AND mo.slug = 'group'
          JOIN booking_availabilityrule r ON r.therapist_id = t.id
         WHERE r.start + interval '2 hours' <= r."end" AND 'telehealth' = ANY(t.formats)
         ORDER BY t.id, r.weekday
        """
    )
    cur.execute(
        "DELETE FROM bench_group WHERE states IS NULL OR id NOT IN "
        "(SELECT id FROM bench_group WHERE states IS NOT NULL ORDER BY random() LIMIT %s)",
        [count],
    )
    clone(
        cur,
        "booking_group",
        "status = 'active'",
        "SELECT * FROM bench_group",
        {
            "therapist_id": "s.id",
            "modality_id": "s.modality_id",
            "title": "'Weekly support group ' || s.id",
            "format": "'telehealth'",
            "weekday": "s.weekday",
            "start_time": "s.at",
            "meeting_minutes": "60",
            "start_date": "s.first_day",
            "weeks": str(COURSE_WEEKS),
            "capacity": "8",
            "states": "s.states",
            "status": "'active'",
            "created_at": "now()",
            "cancelled_at": "NULL",
        },
    )
    made = cur.rowcount
    start = "((s.start_date + (s.w - 1) * 7) + s.start_time) AT TIME ZONE s.timezone"
    clone(
        cur,
        "booking_session",
        "group_id IS NOT NULL",
        "SELECT g.*, s.timezone, w FROM booking_group g JOIN bench_group s ON s.id = "
        f"g.therapist_id CROSS JOIN generate_series(1, {COURSE_WEEKS}) w "
        "WHERE g.title LIKE 'Weekly support group %'",
        {
            "booking_id": "NULL",
            "client_id": "NULL",
            "group_id": "s.id",
            "therapist_id": "s.therapist_id",
            "week": "s.w",
            "start": start,
            "end": f"{start} + interval '60 minutes'",
            "status": "'confirmed'",
            "cancelled_at": "NULL",
            "cancelled_by_id": "NULL",
            "cancel_reason": "''",
            "late_cancellation": "false",
        },
    )
    return made


def catalogue(conn, path: Path, *, personas: int, therapist_personas: int) -> dict:
    """What the load generator needs to know, as JSON at ``path``."""
    with conn.cursor() as cur:
        cur.execute(
            """
            SELECT t.id, t.slug, array_agg(DISTINCT l.state),
                   (SELECT array_agg(mo.slug ORDER BY mo.slug)
                      FROM providers_therapist_modalities m
                      JOIN providers_modality mo ON mo.id = m.modality_id
                     WHERE m.therapist_id = t.id),
                   'telehealth' = ANY(t.formats)
              FROM providers_therapist t
              JOIN providers_license l ON l.therapist_id = t.id AND l.status = 'verified'
                   AND l.expires_on >= current_date
             WHERE t.accepting_new_clients
             GROUP BY t.id ORDER BY t.id
            """
        )
        therapists = [list(row) for row in cur.fetchall()]
        cur.execute(
            "SELECT l.state, count(*) FROM providers_license l WHERE l.status = 'verified' "
            "GROUP BY l.state ORDER BY count(*) DESC, l.state"
        )
        states = [row[0] for row in cur.fetchall()]
        cur.execute("SELECT slug FROM providers_modality ORDER BY slug")
        modalities = [row[0] for row in cur.fetchall()]
        cur.execute("SELECT id FROM booking_group WHERE status = 'active' ORDER BY id")
        groups = [row[0] for row in cur.fetchall()]
        cur.execute(
            "SELECT u.email, u.state, b.id FROM accounts_user u JOIN booking_booking b "
            f"ON b.client_id = u.id WHERE u.email LIKE 'bench-client-%%@{PERSONA_DOMAIN}' "
            "AND u.password LIKE 'pbkdf2%%' ORDER BY u.id LIMIT %s",
            [personas],
        )
        clients = [list(row) for row in cur.fetchall()]
        cur.execute(
            "SELECT u.email FROM accounts_user u WHERE u.role = 'therapist' "
            "AND u.password LIKE 'pbkdf2%%' ORDER BY u.id LIMIT %s",
            [therapist_personas],
        )
        therapist_logins = [row[0] for row in cur.fetchall()]
    data = {
        "password": PERSONA_PASSWORD,
        "therapists": therapists,
        "states": states,
        "modalities": modalities,
        "groups": groups,
        "clients": clients,
        "therapist_logins": therapist_logins,
    }
    path.write_text(json.dumps(data))
    return data
