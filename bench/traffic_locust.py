"""The traffic benchmark's load (locust): visitors, signed-in clients and therapists on
the site, at a fixed offered rate. HTTP only: no module of the app is imported; what it
needs to know (ids, slugs, states, personas' cookies) comes from files that
``bench/traffic.py`` writes before the run.

Open loop: every simulated user follows its own timetable of arrivals (exponential
gaps: all users together make a Poisson stream of ``TRAFFIC_RATE`` actions a second). A
user that falls behind (its request took longer than the gap) starts its next action at
once instead of pushing the whole timetable back, and there are many more users than
rate × latency, so a slow server does not lower the offered rate the way a closed loop
(each user waiting for its answer, then thinking) would. Each request carries an
``X-Request-ID`` that starts with its class: the app's own request log line (its
server-side duration) is matched to the class by it.
"""

from __future__ import annotations

import bisect
import collections
import itertools
import json
import math
import os
import random
import time
import uuid

from locust import FastHttpUser, events, task
from traffic_mix import MIX

CATALOGUE = json.loads(open(os.environ["TRAFFIC_CATALOGUE"]).read())  # noqa: SIM115
PERSONAS = json.loads(open(os.environ["TRAFFIC_PERSONAS"]).read())  # noqa: SIM115
RATE = float(os.environ["TRAFFIC_RATE"])  # actions per second, all users together
USERS = int(os.environ["TRAFFIC_USERS"])
COURSE_WEEKS = 12


class Zipf:
    """Item k (0-based) drawn with weight 1 / (k + 1) ** s."""

    def __init__(self, items, s: float):
        self.items = list(items)
        self.cum = list(itertools.accumulate(1 / (k + 1) ** s for k in range(len(self.items))))

    def __call__(self, rng: random.Random):
        return self.items[bisect.bisect(self.cum, rng.random() * self.cum[-1])]


_order = random.Random(1)
THERAPISTS = CATALOGUE["therapists"]  # [id, slug, [states], [modalities], telehealth]
_popular = THERAPISTS[:]
_order.shuffle(_popular)
PROFILE = Zipf(_popular, 1.0)  # a few therapists are looked at a lot, most rarely
STATE = Zipf(CATALOGUE["states"], 1.0)  # by the number of licensed therapists
MODALITY = Zipf([None, *CATALOGUE["modalities"]], 1.2)  # "any" first
PAGE = Zipf(range(1, 11), 1.5)
BY_STATE: dict[str, list] = collections.defaultdict(list)
RESULTS: collections.Counter = collections.Counter()
for row in _popular:
    for state in row[2]:
        if row[4]:
            BY_STATE[state].append(row)
        RESULTS[(state, None)] += 1
        for modality in row[3]:
            RESULTS[(state, modality)] += 1
GROUPS = Zipf(CATALOGUE["groups"], 1.0) if CATALOGUE["groups"] else None
CLIENTS = PERSONAS["clients"]  # [{cookie, csrf, state, booking}]
THERAPIST_PERSONAS = PERSONAS["therapists"]  # [{cookie, csrf}]
BOOKED: collections.deque = collections.deque(maxlen=10_000)  # made in this run: cancelled later
CLASSES = list(MIX)
CUM = list(itertools.accumulate(MIX.values()))


def request_id(kind: str) -> str:
    return f"{kind.replace(' ', '_')}.{uuid.uuid4().hex[:20]}"


class Visitor(FastHttpUser):
    """One person at a time: an anonymous visitor, or (for the signed-in classes) one of
    the personas signed in before the run."""

    def wait_time(self) -> float:
        self.next_at += self.rng.expovariate(RATE / USERS)
        return max(0.0, self.next_at - time.monotonic())

    def on_start(self) -> None:
        # No cookie jar: a persona's cookies go in explicitly, anonymous requests carry none.
        self.client.client.cookiejar = None
        self.rng = random.Random()
        # A random phase: users spawned together must not arrive together.
        self.next_at = time.monotonic() + self.rng.uniform(0, USERS / RATE)
        time.sleep(max(0.0, self.next_at - time.monotonic()))

    def get(self, kind: str, path: str, persona: dict | None = None, **kwargs):
        headers = {"X-Request-ID": request_id(kind)}
        if persona:
            headers["Cookie"] = persona["cookie"]
        return self.client.get(path, name=kind, headers=headers, **kwargs)

    def post(self, kind: str, path: str, persona: dict, body: dict, **kwargs):
        headers = {
            "X-Request-ID": request_id(kind),
            "Cookie": persona["cookie"],
            "X-CSRFToken": persona["csrf"],
            "Content-Type": "application/json",
        }
        return self.client.post(path, name=kind, headers=headers, data=json.dumps(body), **kwargs)

    @task
    def act(self) -> None:
        kind = CLASSES[bisect.bisect(CUM, self.rng.random() * CUM[-1])]
        getattr(self, "do_" + kind.replace(" ", "_"))(kind)

    # --- anonymous -------------------------------------------------------------------

    def _search_query(self) -> str:
        state, modality = STATE(self.rng), MODALITY(self.rng)
        pages = max(1, math.ceil(RESULTS[(state, modality)] / 20))
        query = f"state={state}" + (f"&modality={modality}" if modality else "")
        page = PAGE(self.rng)
        return query + (f"&page={page}" if 1 < page <= pages else "")

    def do_search_page(self, kind):
        self.get(kind, f"/therapists/?{self._search_query()}")

    def do_search_API(self, kind):
        self.get(kind, f"/api/v1/therapists/?{self._search_query()}")

    def do_profile(self, kind):
        self.get(kind, f"/therapists/{PROFILE(self.rng)[1]}/")

    def do_course_picker(self, kind):
        self.get(kind, f"/therapists/{PROFILE(self.rng)[1]}/book/?weeks={COURSE_WEEKS}")

    def do_slots_API(self, kind, therapist=None):
        therapist = therapist or PROFILE(self.rng)
        return self.get(
            "slots API", f"/api/v1/therapists/{therapist[0]}/slots/?weeks={COURSE_WEEKS}&days=28"
        )

    def do_groups(self, kind):
        self.get(kind, f"/groups/?state={STATE(self.rng)}")

    def do_group(self, kind):
        if GROUPS:
            self.get(kind, f"/groups/{GROUPS(self.rng)}/")

    # --- signed in ----------------------------------------------------------------------

    def do_my_sessions(self, kind):
        self.get(kind, "/my/sessions/", self.rng.choice(CLIENTS))

    def do_my_booking(self, kind):
        client = self.rng.choice(CLIENTS)
        self.get(kind, f"/my/bookings/{client['booking']}/", client)

    def do_therapist_requests(self, kind):
        self.get(kind, "/dashboard/requests/", self.rng.choice(THERAPIST_PERSONAS))

    def do_therapist_calendar(self, kind):
        self.get(kind, "/dashboard/calendar/", self.rng.choice(THERAPIST_PERSONAS))

    def do_therapist_hours(self, kind):
        self.get(kind, "/dashboard/hours/", self.rng.choice(THERAPIST_PERSONAS))

    def do_book(self, kind):
        """A client picks a therapist licensed in their state, reads the free starts and
        books one. Losing a start to another client meanwhile (409) is not an error."""
        client = self.rng.choice(CLIENTS)
        candidates = BY_STATE.get(client["state"])
        if not candidates:
            return
        therapist = self.rng.choice(candidates)
        answer = self.do_slots_API(kind, therapist)
        if answer.status_code != 200 or not answer.json():
            return
        start = self.rng.choice(answer.json())["start"]
        body = {
            "therapist": therapist[0],
            "start": start,
            "weeks": COURSE_WEEKS,
            "modality": self.rng.choice(therapist[3]),
            "format": "telehealth",
        }
        with self.client.post(
            "/api/v1/bookings/",
            name=kind,
            headers={
                "X-Request-ID": request_id(kind),
                "Cookie": client["cookie"],
                "X-CSRFToken": client["csrf"],
                "Content-Type": "application/json",
            },
            data=json.dumps(body),
            catch_response=True,
        ) as response:
            if response.status_code == 201:
                BOOKED.append((client, response.json()["id"]))
                response.success()
            elif response.status_code == 409:
                response.success()  # a race for the same start, answered as designed
                events.request.fire(
                    request_type="POST", name="book: conflict (409)", response_time=0,
                    response_length=0, exception=None, context={},
                )  # fmt: skip
            else:
                response.failure(f"{response.status_code}: {response.text[:200]}")

    def do_cancel(self, kind):
        """The client cancels the rest of a course booked earlier in this run."""
        if not BOOKED:
            return self.do_book("book")
        client, booking = BOOKED.popleft()
        self.post(kind, f"/api/v1/bookings/{booking}/cancel/", client, {})
