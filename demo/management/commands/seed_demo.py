"""``manage.py seed_demo``: realistic, deterministic demo data in every state.

Therapists with names, credentials, NPIs, bios, modalities, specialties, languages,
formats, fees and state licenses (mostly verified, some pending, expired, rejected,
some expiring soon), plus demo client, therapist and staff accounts.

Fast enough for 100 000 therapists (BENCHMARKS.md): rows are generated as plain tuples
from one seeded random generator and written in batches with PostgreSQL's COPY, in one
transaction, by a second thread while the next batch is generated. Not bulk_create: at
100 000 therapists, building model instances and compiling INSERTs took ~125 s on the
2-core reference machine, COPY about a third of that. Names come from Faker pools built
once per run, not one Faker call per therapist, and every bulk account shares one
password hash (Argon2 is slow by design).
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import io
import itertools
import json
import queue
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import NOT_PROVIDED
from django.utils.text import slugify
from django.utils.timezone import localdate, now
from faker import Faker
from PIL import Image, ImageDraw, ImageFont

from accounts.models import User
from accounts.places import STATE_NAMES, STATE_TIMEZONES, US_STATES
from booking import slots
from booking.courses import services as courses
from booking.exceptions import NotAcceptingClients, SlotConflict
from booking.groups import services as groups
from booking.models import AvailabilityRule
from providers import photos, search_cache
from providers.models import (
    AgeGroup,
    Faith,
    Format,
    Gender,
    Insurance,
    Language,
    License,
    LicenseDecision,
    Modality,
    Specialty,
    Therapist,
    ZipCentroid,
)
from therapy_directory.errors import DomainError

BATCH_SIZE = 5000  # therapists per batch (with their users, licenses, decisions...)
COPY_CHUNK = 1 << 20  # bytes handed to the server at a time
TELEHEALTH, IN_PERSON = Format.TELEHEALTH.value, Format.IN_PERSON.value
DECIDED_VERIFIED = LicenseDecision.Action.VERIFIED.value
DECIDED_REJECTED = LicenseDecision.Action.REJECTED.value
DECIDED_EXPIRED = LicenseDecision.Action.EXPIRED.value
# The columns the demo fills (in its row order); every other column gets its default.
USER_COLUMNS = ["id", "email", "name", "role", "state", "timezone", "password", "date_joined"]
THERAPIST_COLUMNS = [
    "id", "user_id", "slug", "display_name", "credentials", "npi", "bio", "formats",
    "office_city", "office_state", "fee", "sliding_scale", "accepting_new_clients", "timezone",
    "session_minutes", "slot_step_minutes", "auto_confirm", "notice_hours", "next_opening",
    "next_opening_stale_at",
]  # fmt: skip
THERAPIST_COLUMNS += ["office_address", "office_zip", "office_lat", "office_lon"]  # distance
# Finding the right fit (PRODUCT rule 13): insurance and identity, self-described.
THERAPIST_COLUMNS += ["superbill", "gender", "age_groups", "lgbtq_affirming", "faith_id"]
# Photos: a share of the first therapists get one (generated, stored through
# providers.photos one by one, so each is checked and stripped like an upload); beyond
# PHOTO_THERAPISTS_AT_MOST the bench's sizes would spend their time on files.
PHOTO_SHARE = 0.4
PHOTO_THERAPISTS_AT_MOST = 300
PHOTO_COLOURS = ["#1e5f74", "#7a4e8c", "#2f7d4f", "#a3522b", "#3b5b9a", "#8c6b1f"]
LICENSE_COLUMNS = [
    "id", "therapist_id", "state", "license_type", "number", "expires_on", "status",
    "submitted_at", "verified_on", "expiry_notice_sent_on",
]  # fmt: skip
DECISION_COLUMNS = ["license_id", "action", "decided_by_id", "decided_at", "reason", "source"]
DEMO_DOMAIN = "demo.rapport.example"
DEMO_PASSWORD = "rapport-demo-2026"  # noqa: S105  (printed for the local demo; never production)
DEMO_THERAPIST_EMAIL = f"therapist@{DEMO_DOMAIN}"
STAFF_EMAIL = f"staff@{DEMO_DOMAIN}"
# (e-mail, name, state): NY first, the demo therapist is licensed there.
DEMO_CLIENTS = [
    (f"client@{DEMO_DOMAIN}", "Casey Client", "NY"),
    (f"client.ca@{DEMO_DOMAIN}", "Riley Client", "CA"),
    (f"client.tx@{DEMO_DOMAIN}", "Jordan Client", "TX"),
]

STATES = [code for code, _ in US_STATES]
# The first therapists of a run go round the states (NY first, for the demo therapist)
# so that every state and DC has someone findable even in a small demo.
ROUND_ROBIN = ["NY"] + [s for s in STATES if s != "NY"]

# 2020 census populations (millions): where the remaining therapists practise.
POPULATION = {
    "AL": 5.0, "AK": 0.73, "AZ": 7.2, "AR": 3.0, "CA": 39.5, "CO": 5.8, "CT": 3.6,
    "DE": 1.0, "DC": 0.69, "FL": 21.5, "GA": 10.7, "HI": 1.46, "ID": 1.8, "IL": 12.8,
    "IN": 6.8, "IA": 3.2, "KS": 2.9, "KY": 4.5, "LA": 4.7, "ME": 1.36, "MD": 6.2,
    "MA": 7.0, "MI": 10.1, "MN": 5.7, "MS": 2.96, "MO": 6.15, "MT": 1.08, "NE": 1.96,
    "NV": 3.1, "NH": 1.38, "NJ": 9.3, "NM": 2.1, "NY": 20.2, "NC": 10.4, "ND": 0.78,
    "OH": 11.8, "OK": 4.0, "OR": 4.2, "PA": 13.0, "RI": 1.1, "SC": 5.1, "SD": 0.89,
    "TN": 6.9, "TX": 29.1, "UT": 3.3, "VT": 0.64, "VA": 8.6, "WA": 7.7, "WV": 1.8,
    "WI": 5.9, "WY": 0.58,
}  # fmt: skip

# Therapists near a border often hold a license next door too.
NEIGHBOURS = {
    "AL": "FL GA MS TN", "AK": "WA", "AZ": "CA NV UT NM CO", "AR": "LA MS MO OK TN TX",
    "CA": "AZ NV OR", "CO": "AZ KS NE NM OK UT WY", "CT": "MA NY RI", "DE": "MD NJ PA",
    "DC": "MD VA", "FL": "AL GA", "GA": "AL FL NC SC TN", "HI": "CA",
    "ID": "MT NV OR UT WA WY", "IL": "IN IA KY MO WI", "IN": "IL KY MI OH",
    "IA": "IL MN MO NE SD WI", "KS": "CO MO NE OK", "KY": "IL IN MO OH TN VA WV",
    "LA": "AR MS TX", "ME": "NH", "MD": "DE PA VA WV DC", "MA": "CT NH NY RI VT",
    "MI": "IN OH WI", "MN": "IA ND SD WI", "MS": "AL AR LA TN",
    "MO": "AR IL IA KS KY NE OK TN", "MT": "ID ND SD WY", "NE": "CO IA KS MO SD WY",
    "NV": "AZ CA ID OR UT", "NH": "ME MA VT", "NJ": "DE NY PA", "NM": "AZ CO OK TX UT",
    "NY": "CT MA NJ PA VT", "NC": "GA SC TN VA", "ND": "MN MT SD", "OH": "IN KY MI PA WV",
    "OK": "AR CO KS MO NM TX", "OR": "CA ID NV WA", "PA": "DE MD NJ NY OH WV",
    "RI": "CT MA", "SC": "GA NC", "SD": "IA MN MT NE ND WY",
    "TN": "AL AR GA KY MS MO NC VA", "TX": "AR LA NM OK", "UT": "AZ CO ID NV NM WY",
    "VT": "MA NH NY", "VA": "KY MD NC TN WV DC", "WA": "ID OR", "WV": "KY MD OH PA VA",
    "WI": "IL IA MI MN", "WY": "CO ID MT NE SD UT",
}  # fmt: skip

CITIES = {
    "AL": "Birmingham|Huntsville|Montgomery|Mobile", "AK": "Anchorage|Fairbanks|Juneau",
    "AZ": "Phoenix|Tucson|Mesa|Flagstaff", "AR": "Little Rock|Fayetteville|Fort Smith",
    "CA": "Los Angeles|San Francisco|San Diego|Oakland|Sacramento|San Jose|Berkeley",
    "CO": "Denver|Boulder|Colorado Springs|Fort Collins", "CT": "Hartford|New Haven|Stamford",
    "DE": "Wilmington|Dover|Newark", "DC": "Washington",
    "FL": "Miami|Orlando|Tampa|Jacksonville|Gainesville", "GA": "Atlanta|Savannah|Athens|Decatur",
    "HI": "Honolulu|Hilo|Kailua", "ID": "Boise|Idaho Falls|Coeur d'Alene",
    "IL": "Chicago|Evanston|Springfield|Naperville", "IN": "Indianapolis|Bloomington|Fort Wayne",
    "IA": "Des Moines|Iowa City|Cedar Rapids", "KS": "Wichita|Lawrence|Overland Park",
    "KY": "Louisville|Lexington|Bowling Green", "LA": "New Orleans|Baton Rouge|Lafayette",
    "ME": "Portland|Bangor|Lewiston", "MD": "Baltimore|Bethesda|Silver Spring|Annapolis",
    "MA": "Boston|Cambridge|Worcester|Northampton", "MI": "Detroit|Ann Arbor|Grand Rapids|Lansing",
    "MN": "Minneapolis|Saint Paul|Duluth", "MS": "Jackson|Oxford|Hattiesburg",
    "MO": "St. Louis|Kansas City|Columbia", "MT": "Missoula|Bozeman|Billings",
    "NE": "Omaha|Lincoln", "NV": "Las Vegas|Reno|Henderson", "NH": "Manchester|Portsmouth|Concord",
    "NJ": "Newark|Jersey City|Princeton|Montclair|Hoboken", "NM": "Albuquerque|Santa Fe|Las Cruces",
    "NY": "New York|Brooklyn|Buffalo|Rochester|Albany|Ithaca",
    "NC": "Charlotte|Raleigh|Durham|Asheville", "ND": "Fargo|Bismarck|Grand Forks",
    "OH": "Columbus|Cleveland|Cincinnati|Dayton", "OK": "Oklahoma City|Tulsa|Norman",
    "OR": "Portland|Eugene|Salem|Bend", "PA": "Philadelphia|Pittsburgh|Harrisburg|State College",
    "RI": "Providence|Newport|Warwick", "SC": "Charleston|Columbia|Greenville",
    "SD": "Sioux Falls|Rapid City", "TN": "Nashville|Memphis|Knoxville|Chattanooga",
    "TX": "Houston|Austin|Dallas|San Antonio|El Paso", "UT": "Salt Lake City|Provo|Ogden",
    "VT": "Burlington|Montpelier|Brattleboro", "VA": "Richmond|Arlington|Charlottesville|Norfolk",
    "WA": "Seattle|Spokane|Tacoma|Olympia", "WV": "Charleston|Morgantown|Huntington",
    "WI": "Milwaukee|Madison|Green Bay", "WY": "Cheyenne|Casper|Laramie",
}  # fmt: skip

# What a state calls its clinical social workers and counselors.
LICSW_STATES = {"MA", "WA", "MN", "VT", "NH", "RI", "DC", "WV"}
LMHC_STATES = {"NY", "MA", "FL", "WA", "RI", "IN", "IA"}
LPCC_STATES = {"CA", "OH", "NM", "KY", "MN"}

# (credentials as shown, profession, weight). "{sw}" and "{counselor}" take the office
# state's title; the profession decides the license type in each state.
CREDENTIALS = [
    ("{sw}", "social_work", 20), ("MSW, {sw}", "social_work", 8), ("PhD, {sw}", "social_work", 2),
    ("LMFT", "mft", 10), ("MA, LMFT", "mft", 4), ("PhD, LMFT", "mft", 2),
    ("{counselor}", "counselor", 10), ("MA, {counselor}", "counselor", 5),
    ("MS, {counselor}, NCC", "counselor", 3),
    ("PhD, Licensed Psychologist", "psychologist", 10), ("PsyD", "psychologist", 6),
    ("PsyD, Licensed Psychologist", "psychologist", 3),
    ("MD, Psychiatrist", "psychiatrist", 4), ("DO, Psychiatrist", "psychiatrist", 1),
    ("PMHNP-BC", "nurse", 2),
]  # fmt: skip
PROFESSION_NOUN = {
    "social_work": "licensed clinical social worker",
    "mft": "marriage and family therapist",
    "counselor": "licensed mental health counselor",
    "psychologist": "clinical psychologist",
    "psychiatrist": "psychiatrist",
    "nurse": "psychiatric nurse practitioner",
}
BOARD = {
    "social_work": "Board of Social Work",
    "mft": "Board of Marriage and Family Therapy",
    "counselor": "Board of Professional Counselors",
    "psychologist": "Board of Psychology",
    "psychiatrist": "Medical Board",
    "nurse": "Board of Nursing",
}
NUMBER_PREFIX = {
    "LCSW": "CSW", "LICSW": "ICSW", "LPC": "PC", "LPCC": "PCC", "LMHC": "MHC",
    "LMFT": "MFT", "Psychologist": "PSY", "MD": "MD", "PMHNP": "APRN",
}  # fmt: skip
REJECTION_REASONS = [
    "The license number was not found on the state board's look-up.",
    "The name on the board's record does not match the profile name.",
    "The board lists a different license type for this number.",
    "The board lists this license as inactive; please submit the renewed license.",
    "The number belongs to a license in another state; submit it under that state.",
]

# (slug, weight, how a bio names it)
SPECIALTIES = [
    ("depression", 70, "depression"),
    ("anxiety", 55, "anxiety"),
    ("grief", 40, "grief after a death or another loss"),
    ("role-transitions", 40, "life changes such as a new job, a move, retirement or parenthood"),
    ("role-disputes", 35, "conflict with a partner, a relative or a colleague"),
    ("loneliness", 35, "loneliness"),
    ("interpersonal-deficits", 25, "isolation and difficulty making close relationships"),
    ("relationships", 25, "relationship difficulties"),
    ("perinatal", 10, "pregnancy and the months after birth"),
    ("trauma", 15, "the after-effects of trauma"),
]
# (code, chance in most states, chance where many speak it)
OTHER_LANGUAGES = [
    ("es", 0.10, 0.28), ("zh", 0.015, 0.04), ("vi", 0.008, 0.02), ("tl", 0.008, 0.02),
    ("ar", 0.008, 0.02), ("fr", 0.015, 0.02), ("ko", 0.008, 0.02), ("ru", 0.008, 0.02),
    ("pt", 0.008, 0.03), ("ht", 0.003, 0.03), ("de", 0.01, 0.01), ("hi", 0.01, 0.02),
    ("asl", 0.005, 0.005),
]  # fmt: skip
LANGUAGE_STATES = {
    "es": {"CA", "TX", "FL", "NM", "AZ", "NV", "NY", "NJ", "IL", "CO"},
    "zh": {"CA", "NY", "WA", "MA"}, "vi": {"CA", "TX", "WA"}, "tl": {"CA", "HI", "NV"},
    "ar": {"MI", "NY", "NJ"}, "fr": {"LA", "ME"}, "ko": {"CA", "NY", "NJ"},
    "ru": {"NY", "NJ", "WA"}, "pt": {"MA", "RI", "NJ"}, "ht": {"FL", "NY", "MA"},
    "hi": {"NJ", "CA", "TX"},
}  # fmt: skip
LANGUAGE_NAMES = {"es": "Spanish", "zh": "Mandarin", "vi": "Vietnamese", "tl": "Tagalog",
                  "ar": "Arabic", "fr": "French", "ko": "Korean", "ru": "Russian",
                  "pt": "Portuguese", "ht": "Haitian Creole", "de": "German", "hi": "Hindi",
                  "asl": "American Sign Language"}  # fmt: skip

BIO_OPENINGS = [
    "I am a {noun} who helps adults whose mood is tangled up with what is happening "
    "in their relationships.",
    "As a {noun}, I work with adults and older teens who feel stuck, low or alone.",
    "I'm a {noun} and have spent {years} years helping people through hard seasons of life.",
    "I am a {noun}. People usually come to me when something in their life has shifted "
    "and they no longer feel like themselves.",
]
BIO_FOCUS = [
    "Much of my work is with {focus}.",
    "I especially enjoy working with {focus}.",
    "Clients often come to me for help with {focus}.",
]
BIO_IPT = [
    "In interpersonal therapy (IPT) we spend 12–16 weekly sessions on one focus — grief, "
    "a role dispute, a role transition or isolation — and on how your relationships and "
    "your mood affect each other.",
    "I practise interpersonal therapy (IPT): a structured, time-limited course of weekly "
    "sessions that links how you feel to what is going on with the people around you.",
    "IPT is at the heart of my practice. Together we pick one interpersonal focus and work "
    "on it week by week, usually over 12 to 16 sessions.",
]
BIO_CBT = [
    "I also draw on CBT to practise new ways of handling the thoughts and habits that keep "
    "low mood going.",
    "Where it helps, I bring in CBT skills for worry and rumination.",
]
BIO_GROUP = [
    "I run small IPT groups where members practise new ways of relating in a supportive setting.",
    "I also lead a weekly therapy group for people who feel isolated.",
]


def _npi(rng: random.Random) -> str:
    """A 10-digit NPI starting with 1 whose last digit is the Luhn check over 80840 + 9."""
    body = f"1{rng.randint(0, 99_999_999):08d}"
    total = 0
    for i, ch in enumerate(reversed("80840" + body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


def _license_type(profession: str, state: str) -> str:
    if profession == "social_work":
        return "LICSW" if state in LICSW_STATES else "LCSW"
    if profession == "counselor":
        if state in LMHC_STATES:
            return "LMHC"
        return "LPCC" if state in LPCC_STATES else "LPC"
    return {"mft": "LMFT", "psychologist": "Psychologist", "psychiatrist": "MD"}.get(
        profession, "PMHNP"
    )


def _verification_source(state: str, license_type: str, profession: str) -> str:
    if state == "NY":
        return "NY Office of the Professions online verification"
    if state == "CA" and license_type in {"LCSW", "LMFT", "LPCC"}:
        return "California Board of Behavioral Sciences license look-up"
    if state == "TX" and profession not in {"psychiatrist", "nurse"}:
        return "Texas Behavioral Health Executive Council license search"
    if state == "FL":
        return "Florida Department of Health license verification (MQA)"
    return f"{STATE_NAMES[state]} {BOARD[profession]} online license verification"


class _FastRandom(random.Random):
    """``random.Random`` whose integer draws cost one float each (the stock ones loop over
    getrandbits): plenty for demo data, still the same sequence for the same seed."""

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq):
        return seq[int(self.random() * len(seq))]


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "{" + ",".join(f'"{v}"' for v in value) + "}"
    if isinstance(value, dict):
        return json.dumps(value).translate(_COPY_ESCAPES)
    return str(value)


class _CopyTable:
    """How rows of one table become COPY input: the columns the demo sets, in its row
    order, then every other column with what ``Model()`` would give it."""

    def __init__(self, model, columns: Sequence[str], *, at: dt.datetime):
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = set(columns) - fields.keys()
        if unknown:
            raise CommandError(f"{model.__name__} has no field(s) {sorted(unknown)}.")
        self.table = model._meta.db_table
        names = [fields[name].column for name in columns]
        rest = []
        for name, field in fields.items():
            if name in columns or field.primary_key or field.db_default is not NOT_PROVIDED:
                continue  # the identity column or the database fills it in
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                rest.append(at)
            else:
                rest.append(field.get_db_prep_save(field.get_default(), connection))
            names.append(field.column)
        quote = connection.ops.quote_name
        self.sql = f"COPY {quote(self.table)} ({', '.join(map(quote, names))}) FROM STDIN"
        self.line_end = "".join("\t" + _copy_value(value) for value in rest) + "\n"

    def data(self, rows: Sequence[tuple]) -> str:
        end = self.line_end
        return "".join(["\t".join(map(_copy_value, row)) + end for row in rows])


@dataclasses.dataclass
class _Batch:
    """Up to BATCH_SIZE therapists and everything that hangs off them. Licenses get their
    ids when written; until then a decision names its license by its index here."""

    users: list[tuple] = dataclasses.field(default_factory=list)
    therapists: list[tuple] = dataclasses.field(default_factory=list)
    modalities: list[tuple] = dataclasses.field(default_factory=list)
    specialties: list[tuple] = dataclasses.field(default_factory=list)
    languages: list[tuple] = dataclasses.field(default_factory=list)
    insurance: list[tuple] = dataclasses.field(default_factory=list)
    licenses: list[tuple] = dataclasses.field(default_factory=list)
    decisions: list[tuple] = dataclasses.field(default_factory=list)
    hours: list[tuple] = dataclasses.field(default_factory=list)


def _reserve_ids(cursor, table: str, count: int) -> list[int]:
    """Take ids from the table's sequence before inserting, so rows can name each other and
    e-mails and slugs can carry the therapist's id: unique on every run, and safe next to
    other writers."""
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        [table, count],
    )
    return sorted(row[0] for row in cursor.fetchall())


def _deferred_foreign_keys(cursor, tables: Sequence[str]) -> list[str]:
    cursor.execute(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.conname) "
        "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
        "WHERE c.contype = 'f' AND c.condeferred AND c.conrelid = ANY(%s::regclass[])",
        [list(tables)],
    )
    return sorted(row[0] for row in cursor.fetchall())


class _CopyWriter:
    """Writes batches with COPY from a second thread, on the command's own connection and so
    inside its transaction: PostgreSQL stores and checks one batch while Python generates
    the next. While it runs, nothing else may use the connection: the generator needs no
    database, and license ids and collision checks are done here."""

    def __init__(self, tables: dict[str, _CopyTable], *, check_collisions: bool):
        connection.ensure_connection()
        self.raw = connection.connection
        self.tables = tables
        self.check_collisions = check_collisions
        self.queue: queue.Queue[_Batch | None] = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="seed_demo-copy", daemon=True)

    def __enter__(self) -> _CopyWriter:
        self.thread.start()
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        self.queue.put(None)
        self.thread.join()
        if exc_type is None:
            self._raise_error()

    def put(self, batch: _Batch) -> None:
        self._raise_error()
        self.queue.put(batch)

    def _raise_error(self) -> None:
        if self.error is not None:
            with connection.wrap_database_errors:  # as Django's own IntegrityError etc.
                raise self.error

    def _run(self) -> None:
        cursor = self.raw.cursor()
        try:
            while (batch := self.queue.get()) is not None:
                if self.error is None:  # after an error, only drain the queue
                    try:
                        self._write(cursor, batch)
                    except BaseException as exc:
                        self.error = exc
        finally:
            cursor.close()

    def _write(self, cursor, batch: _Batch) -> None:
        if self.check_collisions:
            self._avoid_collisions(cursor, batch)
        ids = _reserve_ids(cursor, self.tables["licenses"].table, len(batch.licenses))
        rows = vars(batch) | {
            "licenses": [(ids[k], *row) for k, row in enumerate(batch.licenses)],
            "decisions": [(ids[row[0]], *row[1:]) for row in batch.decisions],
        }
        for key, table in self.tables.items():
            if not rows[key]:
                continue
            data = table.data(rows[key])
            if hasattr(cursor, "copy_expert"):  # psycopg2
                cursor.copy_expert(table.sql, io.StringIO(data), size=COPY_CHUNK)
            else:  # psycopg 3
                with cursor.copy(table.sql) as copy:
                    copy.write(data)

    def _avoid_collisions(self, cursor, batch: _Batch) -> None:
        """Ids make generated e-mails and slugs unique among demo rows; someone who signed
        up could still hold one (registration adds a random suffix to a clashing slug)."""
        for rows, index, table, column, fix in (
            (batch.users, 1, self.tables["users"].table, "lower(email)", _demo_email),
            (batch.therapists, 2, self.tables["therapists"].table, "slug", _demo_slug),
        ):
            # Table and column come from the tuple above (our code); values are parameters.
            cursor.execute(
                f"SELECT {column} FROM {connection.ops.quote_name(table)} "  # noqa: S608  # nosec B608
                f"WHERE {column} = ANY(%s)",
                [[row[index] for row in rows]],
            )
            taken = {found for (found,) in cursor.fetchall()}
            for k, row in enumerate(rows):
                if row[index] in taken:
                    rows[k] = (*row[:index], fix(row[index]), *row[index + 1 :])


def _demo_email(email: str) -> str:
    return email.replace("@", ".demo@", 1)


def _demo_slug(slug: str) -> str:
    return f"{slug}-demo"


class _Picker:
    """Weighted choice with precomputed cumulative weights (random.choices re-sums them)."""

    def __init__(self, items: Sequence, weights: Sequence[float]):
        self.items = list(items)
        self.cumulative = list(itertools.accumulate(weights))
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random):
        return self.items[bisect.bisect(self.cumulative, rng.random() * self.total)]


EXTRA_LICENSES = _Picker((0, 1, 2), (55, 32, 13))  # states beyond the home state
SESSION_MINUTES = _Picker((50, 45, 60, 55), (80, 8, 10, 2))
SLOT_STEP_MINUTES = _Picker((60, 30, 15), (80, 17, 3))
NOTICE_HOURS = _Picker((24, 48, 12), (80, 15, 5))
# Weekly hours, wall-clock in the therapist's zone: (weekday, start hour, end hour).
HOURS_TEMPLATES = _Picker(
    (
        tuple((d, 9, 17) for d in range(5)),  # Mon–Fri 9–17
        tuple((d, h0, h1) for d in range(5) for h0, h1 in ((8, 12), (13, 17))),  # lunch break
        tuple((d, 12, 20) for d in range(4)),  # Mon–Thu afternoons and evenings
        tuple((d, 9, 15) for d in range(1, 6)),  # Tue–Sat mornings
        tuple((d, 16, 21) for d in range(5)),  # evenings only (a day job)
        tuple((d, 10, 18) for d in (0, 2, 4)),  # Mon, Wed, Fri
    ),
    (40, 15, 15, 10, 12, 8),
)


def _name_pools(seed: int) -> dict[str, list[str]]:
    """Names drawn once per run from Faker (seeded): repeats are kept, so common names stay
    common when therapists pick from the pools."""
    en, es = Faker("en_US"), Faker("es_MX")
    en.seed_instance(seed)
    es.seed_instance(seed)
    return {
        "en_first": [en.first_name_female() for _ in range(500)]
        + [en.first_name_male() for _ in range(500)],
        "en_last": [en.last_name() for _ in range(1000)],
        "es_first": [es.first_name() for _ in range(500)],
        "es_last": [es.last_name() for _ in range(500)],
    }


def _city_key(name: str) -> str:
    """A city's name as the ZIP data and CITIES both spell it ("St. Louis" is the data's
    "Saint Louis", "Coeur d'Alene" its "Coeur D Alene")."""
    name = name.lower().replace("st. ", "saint ")
    return "".join(c for c in name if c.isalnum())


def _office_zips(cities: dict[str, list[str]]) -> dict[tuple[str, str], list[tuple]]:
    """Every demo city's real ZIP codes with their centroids: (zip, lat, lon) by (state,
    city), for in-person offices. A city the data does not know gets its state's."""
    rows = ZipCentroid.objects.filter(state__in=cities).values_list(
        "state", "city", "zip", "lat", "lon"
    )
    by_city: dict[tuple[str, str], list[tuple]] = {}
    by_state: dict[str, list[tuple]] = {}
    for state, city, zip_code, lat, lon in rows.order_by("zip"):
        by_city.setdefault((state, _city_key(city)), []).append((zip_code, lat, lon))
        by_state.setdefault(state, []).append((zip_code, lat, lon))
    if not by_state:
        raise CommandError("The ZIP code centroids are missing: run `migrate` first.")
    return {
        (state, city): by_city.get((state, _city_key(city))) or by_state[state]
        for state, names in cities.items()
        for city in names
    }


class DemoBuilder:
    """Generates one run's rows from the seed, in batches for :class:`_CopyWriter`; the
    same seed gives the same therapists."""

    def __init__(self, *, seed: int, staff_id: int, password_hash: str, demo_therapist: bool):
        self.rng = _FastRandom(seed)
        self.pools = _name_pools(seed)
        self.staff_id = staff_id
        self.unusable_hash = make_password(None)  # one value for every bulk account
        self.password_hash = password_hash
        self.demo_therapist = demo_therapist
        self.today = localdate()
        self.now = now()
        self.modality_ids = dict(Modality.objects.values_list("slug", "id"))
        missing = {"ipt", "cbt", "group"} - self.modality_ids.keys()
        if missing:
            raise CommandError(f"Modalities {sorted(missing)} are missing: run `migrate` first.")
        self.specialty_ids = dict(Specialty.objects.values_list("slug", "id"))
        self.language_ids = dict(Language.objects.values_list("code", "id"))
        self.state_picker = _Picker(list(POPULATION), list(POPULATION.values()))
        self.credential_picker = _Picker(
            [(c, p) for c, p, _ in CREDENTIALS], [w for _, _, w in CREDENTIALS]
        )
        specialties = [s for s in SPECIALTIES if s[0] in self.specialty_ids]
        self.specialty_picker = _Picker(specialties, [w for _, w, _ in specialties])
        self.neighbours = {state: names.split() for state, names in NEIGHBOURS.items()}
        self.cities = {state: names.split("|") for state, names in CITIES.items()}
        # Distance: in-person offices at real ZIP codes of their city, street addresses
        # from Faker; drawn from generators of their own, so the rest of a seed's data
        # stays as it was.
        self.office_zips = _office_zips(self.cities)
        self.place_rng = random.Random(seed + 7919)
        streets = Faker("en_US")
        streets.seed_instance(seed)
        self.streets = [streets.street_address() for _ in range(500)]
        self.slugs: dict[str, str] = {}
        # Insurance and identity: drawn from a generator of their own too.
        self.fit_rng = random.Random(seed + 104729)
        self.insurance_ids = list(Insurance.objects.order_by("slug").values_list("id", flat=True))
        self.faith_ids = list(Faith.objects.order_by("slug").values_list("id", flat=True))

        at = self.now
        through = Therapist.modalities.through, Therapist.specialties.through
        self.tables = {  # in the order the foreign keys need
            "users": _CopyTable(User, USER_COLUMNS, at=at),
            "therapists": _CopyTable(Therapist, THERAPIST_COLUMNS, at=at),
            "modalities": _CopyTable(through[0], ["therapist_id", "modality_id"], at=at),
            "specialties": _CopyTable(through[1], ["therapist_id", "specialty_id"], at=at),
            "languages": _CopyTable(
                Therapist.languages.through, ["therapist_id", "language_id"], at=at
            ),
            "insurance": _CopyTable(
                Therapist.insurance.through, ["therapist_id", "insurance_id"], at=at
            ),
            "licenses": _CopyTable(License, LICENSE_COLUMNS, at=at),
            "decisions": _CopyTable(LicenseDecision, DECISION_COLUMNS, at=at),
            "hours": _CopyTable(
                AvailabilityRule, ["therapist_id", "weekday", "start", "end"], at=at
            ),
        }
        self.openings: dict[tuple, tuple[dt.datetime | None, dt.datetime]] = {}
        self.batch = _Batch()
        self.therapist_count = 0
        self.license_statuses: Counter[str] = Counter()

    # --- therapists ------------------------------------------------------------------
    def batches(self, *, user_ids: Sequence[int], therapist_ids: Sequence[int]) -> Iterator[_Batch]:
        """One therapist per reserved id pair, BATCH_SIZE at a time."""
        for start in range(0, len(therapist_ids), BATCH_SIZE):
            self.batch = _Batch()
            for i in range(start, min(start + BATCH_SIZE, len(therapist_ids))):
                self._therapist(i, user_ids[i], therapist_ids[i])
            self.therapist_count += len(self.batch.therapists)
            yield self.batch

    def _therapist(self, i: int, user_id: int, therapist_id: int) -> None:
        rng = self.rng
        is_demo = i == 0 and self.demo_therapist
        if i < 2 * len(ROUND_ROBIN):
            home = ROUND_ROBIN[i % len(ROUND_ROBIN)]
        else:
            home = self.state_picker(rng)

        languages = ["en"]
        for code, usual, local in OTHER_LANGUAGES:
            chance = local if home in LANGUAGE_STATES.get(code, ()) else usual
            if rng.random() < chance:
                languages.append(code)
        if "es" in languages and rng.random() < 0.6:
            first = rng.choice(self.pools["es_first"])
            last = rng.choice(self.pools["es_last"])
        else:
            first = rng.choice(self.pools["en_first"])
            last = rng.choice(self.pools["en_last"])
        if rng.random() < 0.08:
            last = f"{last}-{rng.choice(self.pools['en_last'])}"
        name = f"{first} {last}"

        template, profession = self.credential_picker(rng)
        credentials = template.format(
            sw=_license_type("social_work", home), counselor=_license_type("counselor", home)
        )

        # Licensed states: home first, often a neighbour, sometimes somewhere else.
        states = [home]
        extra = EXTRA_LICENSES(rng)
        while len(states) < 1 + extra:
            candidates = self.neighbours[home]
            state = rng.choice(candidates) if rng.random() < 0.7 else self.state_picker(rng)
            if state not in states:
                states.append(state)
        roll = rng.random()
        if roll < 0.92:
            office_state = home
        elif roll < 0.97:
            office_state = states[-1]
        else:
            office_state = self.state_picker(rng)  # moved away; sees clients by video

        modalities = [
            m for m, p in (("ipt", 0.85), ("cbt", 0.55), ("group", 0.22)) if rng.random() < p
        ]
        if not modalities or (is_demo and "ipt" not in modalities):
            modalities.insert(0, "ipt")
        specialties: list[tuple[str, int, str]] = []
        for _ in range(rng.randint(2, 5)):
            choice = self.specialty_picker(rng)
            if choice not in specialties:
                specialties.append(choice)
        roll = rng.random()
        if roll < 0.55 and not is_demo:
            formats = [TELEHEALTH]
        elif roll < 0.9 or is_demo:
            formats = [TELEHEALTH, IN_PERSON]
        else:
            formats = [IN_PERSON]
        sliding_scale = rng.random() < 0.3
        if is_demo:  # after the draws, so the demo therapist leaves the sequence as it is
            office_state = home
        city = rng.choice(self.cities[office_state])
        bio = self._bio(
            profession=profession,
            specialties=specialties,
            modalities=modalities,
            formats=formats,
            city=city,
            languages=languages,
            sliding_scale=sliding_scale,
        )
        timezone = STATE_TIMEZONES[office_state]
        hours = HOURS_TEMPLATES(rng)
        session_minutes = SESSION_MINUTES(rng)
        slot_step = SLOT_STEP_MINUTES(rng)
        notice_hours = NOTICE_HOURS(rng)
        email = (
            DEMO_THERAPIST_EMAIL
            if is_demo
            else f"{self._email_part(first)}.{self._email_part(last)}.{therapist_id}@{DEMO_DOMAIN}"
        )
        self.batch.users.append(
            (
                user_id,
                email,
                name,
                User.Role.THERAPIST.value,
                office_state,
                timezone,
                self.password_hash if is_demo else self.unusable_hash,
                self.now,
            )
        )
        self.batch.therapists.append(
            (
                therapist_id,
                user_id,
                f"{self._slug(first)}-{self._slug(last)}"[:60] + f"-{therapist_id}",
                name,
                credentials,
                _npi(rng) if rng.random() < 0.6 else "",
                bio,
                formats,
                city,
                office_state,
                80 + 5 * rng.randint(0, 34),  # fee: $80–250
                sliding_scale,
                (accepting := rng.random() < 0.85 or is_demo),  # accepting new clients
                timezone,
                session_minutes,
                slot_step,
                rng.random() < 0.2 and not is_demo,  # auto-confirm
                notice_hours,
                # Not accepting new clients: no opening (booking.openings).
                *(
                    self._next_opening(hours, timezone, session_minutes, slot_step, notice_hours)
                    if accepting
                    else (None, None)
                ),
                *self._office(formats, office_state, city),
                *self._fit(i, therapist_id),
            )
        )
        self.batch.hours += [
            (therapist_id, day, dt.time(start), dt.time(end)) for day, start, end in hours
        ]
        self.batch.modalities += [(therapist_id, self.modality_ids[m]) for m in modalities]
        self.batch.specialties += [(therapist_id, self.specialty_ids[s[0]]) for s in specialties]
        self.batch.languages += [
            (therapist_id, self.language_ids[code])
            for code in languages
            if code in self.language_ids
        ]
        for n, state in enumerate(states):
            # The first lap of the round robin is what makes every state findable.
            sure = n == 0 and (i < len(ROUND_ROBIN) or is_demo)
            self._license(therapist_id, state, profession, sure=sure)

    def _fit(self, i: int, therapist_id: int) -> tuple:
        """(superbill, gender, age groups, LGBTQ+ affirming, faith id), and the therapist's
        plans into the batch. Most therapists take several plans; the first ones (licensed
        for sure, one per state) go round every plan, faith, gender and age group, so each
        filter finds someone in any demo."""
        rng = self.fit_rng
        plans = set()
        if rng.random() < 0.7 and self.insurance_ids:
            plans.update(
                rng.sample(self.insurance_ids, min(len(self.insurance_ids), rng.randint(2, 5)))
            )
        if i < len(self.insurance_ids):
            plans.add(self.insurance_ids[i])
        self.batch.insurance += [(therapist_id, plan) for plan in sorted(plans)]
        superbill = rng.random() < 0.35 or i == 1
        roll = rng.random()
        genders = [Gender.WOMAN.value, Gender.MAN.value, Gender.NONBINARY.value]
        if i < len(genders):
            gender = genders[i]
        else:
            gender = (
                genders[0] if roll < 0.62 else genders[1] if roll < 0.9
                else genders[2] if roll < 0.94 else ""
            )  # fmt: skip
        ages = [
            group
            for group, chance in (
                (AgeGroup.CHILDREN.value, 0.1),
                (AgeGroup.TEENS.value, 0.25),
                (AgeGroup.ADULTS.value, 0.95),
                (AgeGroup.OLDER_ADULTS.value, 0.4),
            )
            if rng.random() < chance
        ]
        every_age = [choice.value for choice in AgeGroup]
        if i < len(every_age) and every_age[i] not in ages:
            ages.append(every_age[i])
        ages = [group for group in every_age if group in ages] or [AgeGroup.ADULTS.value]
        lgbtq = rng.random() < 0.45 or i == 0
        faith = None
        if i < len(self.faith_ids):
            faith = self.faith_ids[i]
        elif rng.random() < 0.12 and self.faith_ids:
            faith = rng.choice(self.faith_ids)
        return (superbill, gender, ages, lgbtq, faith)

    def _office(self, formats, state: str, city: str) -> tuple:
        """(street address, ZIP code, latitude, longitude) of an in-person office."""
        if IN_PERSON not in formats:
            return ("", "", None, None)
        zip_code, lat, lon = self.place_rng.choice(self.office_zips[(state, city)])
        return (self.place_rng.choice(self.streets), zip_code, lat, lon)

    def _next_opening(self, hours, timezone, session_minutes, step, notice_hours):
        """What booking.openings.refresh_openings would store for a therapist with no
        sessions and no time off yet: the slot finder's first free start, and when it goes
        stale. Therapists share a handful of patterns, so each is computed once."""
        key = (hours, timezone, session_minutes, step, notice_hours)
        if key not in self.openings:
            tz = ZoneInfo(timezone)
            schedule = slots.Schedule(
                tz=tz,
                hours=[slots.WeeklyRange(d, dt.time(a), dt.time(b)) for d, a, b in hours],
                session_minutes=session_minutes,
                step_minutes=step,
            )
            found = slots.free_course_starts(
                schedule,
                first_day=self.now.astimezone(tz).date(),
                days=slots.MAX_DAYS,
                earliest=self.now + dt.timedelta(hours=notice_hours),
                limit=1,
            )
            if found:
                stale_at = found[0] - dt.timedelta(hours=notice_hours)
            else:  # as booking.openings.next_opening_and_stale_at: the next local midnight
                tomorrow = self.now.astimezone(tz).date() + dt.timedelta(days=1)
                stale_at = dt.datetime.combine(tomorrow, dt.time()).replace(tzinfo=tz)
            self.openings[key] = (found[0] if found else None, stale_at)
        return self.openings[key]

    def _slug(self, part: str) -> str:
        slug = self.slugs.get(part)
        if slug is None:
            slug = self.slugs[part] = slugify(part) or "x"
        return slug

    def _email_part(self, part: str) -> str:
        return self._slug(part).replace("-", "")

    def _bio(self, *, profession, specialties, modalities, formats, city, languages, sliding_scale):
        rng = self.rng
        parts = [
            rng.choice(BIO_OPENINGS).format(
                noun=PROFESSION_NOUN[profession], years=rng.randint(4, 30)
            )
        ]
        focus = [phrase for _, _, phrase in specialties]
        focus_text = focus[0] if len(focus) == 1 else ", ".join(focus[:-1]) + " and " + focus[-1]
        parts.append(rng.choice(BIO_FOCUS).format(focus=focus_text))
        if "ipt" in modalities:
            parts.append(rng.choice(BIO_IPT))
        if "cbt" in modalities:
            parts.append(rng.choice(BIO_CBT))
        if "group" in modalities:
            parts.append(rng.choice(BIO_GROUP))
        if formats == [TELEHEALTH]:
            parts.append("All sessions are by secure video.")
        elif TELEHEALTH in formats:
            parts.append(f"I see clients in my {city} office and by secure video.")
        else:
            parts.append(f"I see clients in person at my office in {city}.")
        spoken = [LANGUAGE_NAMES[code] for code in languages[1:]]
        if spoken:
            parts.append(f"Sessions are also available in {' and '.join(spoken)}.")
        if sliding_scale:
            parts.append("I keep some sliding-scale places for people on lower incomes.")
        return " ".join(parts)

    # --- licenses ----------------------------------------------------------------------
    def _license(self, therapist_id: int, state: str, profession: str, *, sure: bool) -> None:
        rng = self.rng
        today, days = self.today, dt.timedelta
        license_id = len(self.batch.licenses)  # an index until the writer gives it an id
        license_type = _license_type(profession, state)
        number = f"{NUMBER_PREFIX[license_type]}{rng.randint(1000, 999999):06d}"
        verified_on = notice_sent_on = None
        roll = 0.0 if sure else rng.random()
        if roll < 0.80:
            status = License.Status.VERIFIED
            # A few expire within 60 days so staff's "expiring" list has content.
            verified_on = today - days(rng.randint(5, 700))
            soon = not sure and rng.random() < 0.06
            expires_on = today + days(rng.randint(1, 60) if soon else rng.randint(61, 800))
            submitted_at = self._at(verified_on - days(rng.randint(1, 14)))
            if expires_on - today <= days(30):  # the daily task has sent the notice already
                notice_sent_on = max(expires_on - days(30), verified_on)
            source = _verification_source(state, license_type, profession)
            self._decision(license_id, DECIDED_VERIFIED, self._at(verified_on), source=source)
        elif roll < 0.90:
            status = License.Status.PENDING
            expires_on = today + days(rng.randint(90, 800))
            submitted_at = self.now - dt.timedelta(minutes=rng.randint(30, 21 * 24 * 60))
        elif roll < 0.96:
            status = License.Status.EXPIRED
            expires_on = today - days(rng.randint(2, 365))
            verified_on = expires_on - days(rng.randint(300, 730))
            submitted_at = self._at(verified_on - days(rng.randint(1, 14)))
            notice_sent_on = expires_on - days(30)
            source = _verification_source(state, license_type, profession)
            self._decision(license_id, DECIDED_VERIFIED, self._at(verified_on), source=source)
            expired_at = dt.datetime.combine(expires_on + days(1), dt.time(6), tzinfo=dt.UTC)
            self._decision(
                license_id, DECIDED_EXPIRED, expired_at, reason="The expiry date passed.", by=None
            )
        else:
            status = License.Status.REJECTED
            submitted = today - days(rng.randint(3, 200))
            expires_on = today + days(rng.randint(-30, 700))
            submitted_at = self._at(submitted)
            decided_at = self._at(min(submitted + days(rng.randint(1, 10)), today - days(1)))
            reason = rng.choice(REJECTION_REASONS)
            self._decision(license_id, DECIDED_REJECTED, decided_at, reason=reason)
        self.license_statuses[status] += 1
        self.batch.licenses.append(
            (
                therapist_id,
                state,
                license_type,
                number,
                expires_on,
                status.value,
                submitted_at,
                verified_on,
                notice_sent_on,
            )
        )

    def _decision(self, license_id, action, at, *, source="", reason="", by=0) -> None:
        decided_by = self.staff_id if by == 0 else by
        self.batch.decisions.append((license_id, action, decided_by, at, reason, source))

    def _at(self, day: dt.date) -> dt.datetime:
        """A time on ``day`` during US office hours (14:00–22:59 UTC), never in the future."""
        moment = dt.datetime.combine(
            day, dt.time(self.rng.randint(14, 22), self.rng.randint(0, 59)), tzinfo=dt.UTC
        )
        return min(moment, self.now)


def _photo_bytes(initials: str, colour: str) -> bytes:
    """A generated portrait: a coloured square with initials, made into a stored photo by
    ``providers.photos.prepare`` (decoded, squared, re-encoded without metadata)."""
    image = Image.new("RGB", (400, 400), colour)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=150)
    draw.text((200, 200), initials, fill="white", font=font, anchor="mm")
    raw = io.BytesIO()
    image.save(raw, "PNG")
    raw.seek(0)
    return photos.prepare(raw)


def _demo_photos(therapist_ids: Sequence[int], *, staff: User, seed: int) -> int:
    """PHOTO_SHARE of this run's first PHOTO_THERAPISTS_AT_MOST therapists get a
    generated photo, through ``providers.photos.set_photo``. A handful of images is made
    once and their bytes reused."""
    rng = random.Random(seed + 15485863)
    chosen = [pk for pk in therapist_ids[:PHOTO_THERAPISTS_AT_MOST] if rng.random() < PHOTO_SHARE]
    if not chosen:
        return 0
    made: dict[tuple[str, str], bytes] = {}
    for therapist in Therapist.objects.filter(pk__in=chosen).only("id", "display_name", "photo"):
        initials = "".join(part[0] for part in therapist.display_name.split()[:2]).upper()
        colour = PHOTO_COLOURS[therapist.pk % len(PHOTO_COLOURS)]
        key = (initials[:1], colour)  # a handful of images, not one per therapist
        if key not in made:
            made[key] = _photo_bytes(initials[:1], colour)
        photos.set_photo(therapist=therapist, by=staff, content=made[key])
    return len(chosen)


def _ensure_account(
    email: str, *, name: str, role: str, state: str, password_hash: str, **extra
) -> User:
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create(
            email=email,
            name=name,
            role=role,
            state=state,
            timezone=STATE_TIMEZONES[state],
            password=password_hash,
            **extra,
        )
    return user


def _ensure_staff(password_hash: str) -> User:
    staff = _ensure_account(
        STAFF_EMAIL,
        name="Sam Staff",
        role=User.Role.STAFF,
        state="NY",
        password_hash=password_hash,
        is_staff=True,
    )
    permissions = Permission.objects.filter(
        content_type__app_label="providers",
        codename__in=["verify_license", "view_license", "view_licensedecision", "view_therapist"],
    )
    staff.user_permissions.add(*permissions)
    return staff


def _book_demo_courses() -> list[str]:
    """Real bookings through the booking service (so the demo database exercises the
    no-double-booking constraint): the NY demo client holds a confirmed 12-week IPT
    course with the demo therapist, the CA demo client a pending consultation."""
    done = []
    therapist = Therapist.objects.get(user__email__iexact=DEMO_THERAPIST_EMAIL)
    ny_client = User.objects.get(email__iexact=DEMO_CLIENTS[0][0])
    ca_client = User.objects.get(email__iexact=DEMO_CLIENTS[1][0])
    ca_therapist = (
        Therapist.objects.findable_in("CA")
        .filter(
            next_opening__isnull=False,
            formats__contains=[TELEHEALTH],
            accepting_new_clients=True,
        )
        .exclude(pk=therapist.pk)
        .order_by("id")
        .first()
    )
    plans = [(ny_client, therapist, 12, True)]
    if ca_therapist is not None:
        plans.append((ca_client, ca_therapist, 1, False))
    for client, who, weeks, confirm in plans:
        who.refresh_from_db()
        if who.next_opening is None:
            continue
        modality = "ipt" if who.modalities.filter(slug="ipt").exists() else who.modalities.first()
        try:
            booking = courses.book_course(
                client=client,
                therapist_id=who.pk,
                start=who.next_opening,
                weeks=weeks,
                modality=getattr(modality, "slug", modality),
                format=TELEHEALTH if TELEHEALTH in who.formats else who.formats[0],
            )
        except (SlotConflict, NotAcceptingClients):
            continue
        if confirm and booking.status == "pending":
            courses.confirm_booking(booking_id=booking.pk, by=who.user)
        done.append(f"{client.email}: {weeks} week(s) with {who.display_name}")
    return done


@dataclasses.dataclass(frozen=True)
class DemoGroup:
    """One demo group: who runs it (the demo therapist, or someone licensed in ``state``),
    its schedule in their zone, and how far it has filled."""

    title: str
    description: str
    kind: str
    state: str
    weekdays: tuple[int, ...]
    start_time: dt.time
    weeks: int
    capacity: int
    fee: int | None
    members: int = 0
    waiting: int = 0
    weeks_ahead: int = 1
    by_demo_therapist: bool = False
    cancelled: str = ""  # the reason, for a group the therapist called off
    meeting_minutes: int = 90
    individual: str = "none"  # a weekly individual course offered alongside (programs)


# Every kind of group, in several states, open, full with a waitlist, starting later and
# cancelled. The demo therapist's grief group is the NY demo client's.
DEMO_GROUPS = [
    DemoGroup(
        "Grief and loss: an interpersonal support group",
        "Eight weekly evening meetings for adults after the death of a loved one.",
        "grief", "NY", (2,), dt.time(19), 8, 8, 40, members=2, by_demo_therapist=True,
    ),
    DemoGroup(
        "IPT group: finding your feet after a life change",
        "Twelve weeks of interpersonal psychotherapy in a small group: a move, a new job, "
        "retirement or a break-up, and the relationships that change with it.",
        "ipt_group", "NY", (0,), dt.time(18), 12, 6, 55, members=6, waiting=2,
        by_demo_therapist=True,
    ),
    DemoGroup(
        "Supportive group for new parents",
        "A calm hour each week for parents of babies under one: sleep, identity, couples.",
        "supportive", "CA", (1,), dt.time(19), 10, 10, 35, members=3,
    ),
    DemoGroup(
        "Interpersonal process group: how we relate",
        "A standing group where members notice and try out new ways of relating, with "
        "each other as the practice ground.",
        "interpersonal_process", "TX", (3,), dt.time(18, 30), 12, 8, 45, members=4,
    ),
    DemoGroup(
        "Loneliness and connection circle",
        "Six Saturday mornings for adults who feel isolated; free of charge.",
        "other", "FL", (5,), dt.time(10), 6, 12, 0, members=2,
    ),
    DemoGroup(
        "IPT group for low mood",
        "Interpersonal psychotherapy for depression, twelve evening meetings.",
        "ipt_group", "WA", (2,), dt.time(17, 30), 12, 8, 50, weeks_ahead=5,
    ),
    DemoGroup(
        "Grief through the holidays",
        "Four meetings for people facing the first holidays after a loss.",
        "grief", "IL", (3,), dt.time(19), 4, 8, 30, members=1,
        cancelled="Too few people signed up; I will offer it again in the spring.",
    ),
    # Intensive outpatient programs: a morning and an evening track of one program, and
    # evening programs in other states, some nearly full.
    DemoGroup(
        "Evening IOP: depression and loneliness",
        "An intensive outpatient program by video: three evenings a week of group therapy "
        "for adults with depression, loneliness or anxiety, while you keep working.",
        "intensive", "NY", (0, 2, 3), dt.time(18), 8, 8, 45, members=7, meeting_minutes=180,
        individual="offered",
    ),
    DemoGroup(
        "Morning IOP: depression and loneliness",
        "The morning track of the same program: three mornings a week by video, for adults "
        "who work evenings or care for children after school.",
        "intensive", "NY", (0, 2, 3), dt.time(9), 8, 8, 45, members=3, meeting_minutes=180,
    ),
    DemoGroup(
        "Evening IOP for anxiety and depression",
        "Four evenings a week of skills and process groups by video, for eight weeks.",
        "intensive", "CA", (0, 1, 2, 3), dt.time(18), 8, 10, 40, members=9, meeting_minutes=180,
        individual="offered",
    ),
    DemoGroup(
        "Morning IOP: back on your feet",
        "Three mornings a week by video for adults stepping down from a hospital stay or "
        "getting ready to go back to work.",
        "intensive", "TX", (0, 2, 4), dt.time(9, 30), 6, 10, 50, members=4, meeting_minutes=180,
    ),
    DemoGroup(
        "Evening IOP: connection after isolation",
        "Three evenings a week by video for adults who feel cut off from others.",
        "intensive", "FL", (1, 3, 4), dt.time(18, 30), 8, 8, 45, members=8, waiting=1,
        meeting_minutes=180,
    ),
]  # fmt: skip
MEMBER_NAMES = [
    "Alex Morgan", "Jamie Chen", "Taylor Brooks", "Sam Patel", "Robin Diaz", "Kai Johnson",
    "Morgan Lee", "Avery Kim", "Drew Garcia", "Quinn Walker",
]  # fmt: skip


def _demo_groups(client: User) -> list[str]:
    """The demo groups (``DEMO_GROUPS``), created, filled and cancelled through the group
    services like any other; the NY demo client is a member of the first. Members are
    demo accounts that cannot sign in. A group that cannot be made (no one licensed in
    its state in a small demo) is left out."""
    demo = Therapist.objects.get(user__email__iexact=DEMO_THERAPIST_EMAIL)
    member_hash = make_password(None)
    done = []
    for plan in DEMO_GROUPS:
        therapist = demo if plan.by_demo_therapist else _group_leader(plan.state, exclude=demo)
        if therapist is None:
            continue
        try:
            group = _demo_group(therapist, plan)
            members = [client] if plan is DEMO_GROUPS[0] else []
            members += [
                _ensure_account(
                    f"member.{plan.state.lower()}.{n}@{DEMO_DOMAIN}",
                    name=MEMBER_NAMES[n % len(MEMBER_NAMES)],
                    role=User.Role.CLIENT,
                    state=plan.state,
                    password_hash=member_hash,
                )
                for n in range(plan.members + plan.waiting - len(members))
            ]
            for member in members:
                groups.enrol(client=member, group_id=group.pk)
            if plan.cancelled:
                groups.cancel_group(by=therapist.user, group_id=group.pk, reason=plan.cancelled)
        except (ValidationError, DomainError):
            continue
        state = "cancelled" if plan.cancelled else f"{plan.members} of {plan.capacity} seats"
        waiting = f", {plan.waiting} waiting" if plan.waiting and not plan.cancelled else ""
        done.append(f"“{group.title}” ({plan.state}, {therapist.display_name}): {state}{waiting}")
    return done


def _group_leader(state: str, *, exclude: Therapist) -> Therapist | None:
    return (
        Therapist.objects.findable_in(state)
        .exclude(pk=exclude.pk)
        .select_related("user")
        .order_by("id")
        .first()
    )


def _demo_group(therapist: Therapist, plan: DemoGroup):
    """The group on its weekdays, or a day later when the therapist holds a session then
    (the demo course, or a consultation)."""
    tz = ZoneInfo(therapist.timezone)
    first_week = now().astimezone(tz).date() + dt.timedelta(weeks=plan.weeks_ahead)
    for shift in range(3):
        weekdays = sorted((day + shift) % 7 for day in plan.weekdays)
        first_day = min(weekdays)  # the week starts on the first day it meets
        try:
            return groups.create_group(
                therapist=therapist,
                title=plan.title,
                description=plan.description,
                modality="group",
                kind=plan.kind,
                format=TELEHEALTH if TELEHEALTH in therapist.formats else therapist.formats[0],
                weekdays=weekdays,
                start_time=plan.start_time,
                meeting_minutes=plan.meeting_minutes,
                individual=plan.individual,
                start_date=first_week + dt.timedelta(days=(first_day - first_week.weekday()) % 7),
                weeks=plan.weeks,
                capacity=plan.capacity,
                fee=plan.fee,
                states=[plan.state],
            )
        except SlotConflict:
            continue
    raise SlotConflict([])


class Command(BaseCommand):
    help = (
        "Load realistic demo data: therapists licensed across all 50 states and DC, "
        "plus demo client, therapist and staff accounts. Deterministic for a given --seed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--therapists", type=int, default=300, help="how many therapists (default 300)"
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="random seed: same seed, same data (default 1)"
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when any therapist exists (what `make run` uses)",
        )

    def handle(self, *args, therapists: int, seed: int, if_empty: bool, **options):
        if therapists < 0:
            raise CommandError("--therapists must be 0 or more.")
        if if_empty and Therapist.objects.exists():
            self.stdout.write("Demo data not loaded: therapists already exist (--if-empty).")
            return
        started = time.perf_counter()
        password_hash = make_password(DEMO_PASSWORD)  # once: Argon2 takes ~50 ms a hash
        with transaction.atomic():
            had_data = Therapist.objects.exists() or User.objects.exists()
            staff = _ensure_staff(password_hash)
            for email, name, state in DEMO_CLIENTS:
                _ensure_account(
                    email,
                    name=name,
                    role=User.Role.CLIENT,
                    state=state,
                    password_hash=password_hash,
                )
            builder = DemoBuilder(
                seed=seed,
                staff_id=staff.pk,
                password_hash=password_hash,
                demo_therapist=not User.objects.filter(email__iexact=DEMO_THERAPIST_EMAIL).exists(),
            )
            tables = [table.table for table in builder.tables.values()]
            with connection.cursor() as cursor:
                user_ids = _reserve_ids(cursor, User._meta.db_table, therapists)
                therapist_ids = _reserve_ids(cursor, Therapist._meta.db_table, therapists)
                # Checked as the rows arrive, in PostgreSQL's process while Python works on
                # the next batch, rather than all at commit (~10 s at 100 000 therapists).
                foreign_keys = ", ".join(_deferred_foreign_keys(cursor, tables))
                if foreign_keys:
                    cursor.execute(f"SET CONSTRAINTS {foreign_keys} IMMEDIATE")
            with _CopyWriter(builder.tables, check_collisions=had_data) as writer:
                for batch in builder.batches(user_ids=user_ids, therapist_ids=therapist_ids):
                    writer.put(batch)
            if foreign_keys:
                with connection.cursor() as cursor:
                    cursor.execute(f"SET CONSTRAINTS {foreign_keys} DEFERRED")
            search_cache.directory_changed()  # the bulk rows above went in by COPY
        # After the commit: the booking services run each in a transaction of its own.
        photographed = _demo_photos(therapist_ids, staff=staff, seed=seed)
        booked = _book_demo_courses() if builder.demo_therapist else []
        demo_groups = (
            _demo_groups(User.objects.get(email__iexact=DEMO_CLIENTS[0][0]))
            if builder.demo_therapist
            else []
        )
        with connection.cursor() as cursor:
            # Fresh planner statistics, so the directory's searches are fast right away.
            for table in tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
        elapsed = time.perf_counter() - started

        statuses = ", ".join(f"{n} {s}" for s, n in sorted(builder.license_statuses.items()))
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {builder.therapist_count} therapists with "
                f"{builder.license_statuses.total()} licenses ({statuses or 'none'}) "
                f"in {elapsed:.1f} s (seed {seed}); {photographed} with a photo."
            )
        )
        self.stdout.write(f"Demo accounts — password “{DEMO_PASSWORD}”, for the local demo only:")
        for email, _, state in DEMO_CLIENTS:
            self.stdout.write(f"  client     {email} (lives in {state})")
        if User.objects.filter(email__iexact=DEMO_THERAPIST_EMAIL).exists():
            self.stdout.write(f"  therapist  {DEMO_THERAPIST_EMAIL}")
        for line in booked:
            self.stdout.write(f"  booked     {line}")
        for line in demo_groups:
            self.stdout.write(f"  group      {line}")
        self.stdout.write(f"  staff      {STAFF_EMAIL} (verifies licenses)")
