"""Browse by state (PRODUCT.md, "Pages"): the reads behind ``/therapists/in/`` (every
state with its count), ``/therapists/in/<state>/`` and ``/therapists/in/<state>/<modality>/``
(the search's own results for that state and therapy, with a count per therapy), and the
sitemap's list of them.

Who is listed in a state is the search's answer, never a second definition: a state page
runs ``search_therapists`` with ``state`` (and ``modality``), and its counts per therapy
count that queryset. The index's counts per state group the same licenses the search's
``findable_in`` asks for (``License.objects.valid``), in one query; a test holds them equal
to the search's count for each state."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Count, Q
from django.http import QueryDict
from django.utils.text import slugify

from accounts.places import STATE_NAMES, US_STATES
from providers.filters import TherapistFilter
from providers.models import License, Modality, Therapist
from providers.selectors import search_therapists

# "new-york" -> "NY": a state's page is under its name, slugified, and under nothing else.
STATE_CODES: dict[str, str] = {slugify(name): code for code, name in US_STATES}
STATE_SLUGS: dict[str, str] = {code: slug for slug, code in STATE_CODES.items()}


def state_code(slug: str) -> str | None:
    """The USPS code of the state whose page is at ``slug``; None for anything else."""
    return STATE_CODES.get(slug)


def search_params(state: str, modality: str | None = None) -> QueryDict:
    """The search's query for a state (and a therapy): what the page lists, and what its
    link to the full search carries."""
    params = QueryDict(mutable=True)
    params["state"] = state
    if modality:
        params["modality"] = modality
    return params


def search_in(state: str, modality: str | None = None) -> TherapistFilter:
    """The search, filtered to the therapists licensed (and verified) in ``state``."""
    return search_therapists(search_params(state, modality))


# --- Counts --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StateCount:
    code: str
    name: str
    slug: str
    therapists: int


def therapists_per_state(today: dt.date | None = None) -> list[StateCount]:
    """Every state, in name order, with how many therapists a search in it finds: those
    with a verified, unexpired license there. One query, grouped by state."""
    rows = (
        License.objects.valid(today)
        .order_by()
        .values("state")
        .annotate(therapists=Count("therapist", distinct=True))
    )
    counts = {row["state"]: row["therapists"] for row in rows}
    return [
        StateCount(code, name, STATE_SLUGS[code], counts.get(code, 0))
        for code, name in sorted(US_STATES, key=lambda state: state[1])
    ]


def therapists_per_modality(state: str) -> list[Modality]:
    """Every therapy, in name order, each with ``therapist_count``: how many of the
    state's search results offer it. One query."""
    found = search_in(state).qs.values("pk")
    return list(
        Modality.objects.annotate(
            therapist_count=Count("therapists", filter=Q(therapists__in=found))
        ).order_by("name", "id")
    )


# --- Words ---------------------------------------------------------------------------

_ABBREVIATION = re.compile(r"\(([A-Z][A-Za-z0-9-]*)\)\s*$")


def modality_short_name(name: str) -> str | None:
    """The abbreviation a therapy is known by, from its name ("Interpersonal Therapy
    (IPT)" -> "IPT"); None when its name has none ("Group therapy")."""
    match = _ABBREVIATION.search(name)
    return match.group(1) if match else None


def heading(state: str, modality: Modality | None = None) -> str:
    """A page's heading: "Therapists licensed in New York", "IPT therapists licensed in
    New York", "Therapists licensed in New York offering group therapy"."""
    where = f"licensed in {STATE_NAMES[state]}"
    if modality is None:
        return f"Therapists {where}"
    short = modality_short_name(modality.name)
    if short:
        return f"{short} therapists {where}"
    name = modality.name
    if name[1:2].islower():  # "Group therapy" -> "group therapy", "EMDR" stays
        name = name[0].lower() + name[1:]
    return f"Therapists {where} offering {name}"


# --- The sitemap's lists ----------------------------------------------------------------


def state_modality_pairs(today: dt.date | None = None) -> list[tuple[str, str]]:
    """(state code, therapy slug) of every state-and-therapy page that lists someone:
    a therapist with a verified, unexpired license in the state offers the therapy.
    One query."""
    return list(
        License.objects.valid(today)
        .filter(therapist__modalities__isnull=False)
        .order_by("state", "therapist__modalities__slug")
        .values_list("state", "therapist__modalities__slug")
        .distinct()
    )


def public_profile_slugs():
    """The slugs of every therapist the directory shows (a verified, unexpired license
    anywhere), in a stable order for the sitemap's pages."""
    return Therapist.objects.findable().order_by("slug").values_list("slug", flat=True)
