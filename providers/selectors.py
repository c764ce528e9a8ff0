"""Reads that span relations. Each returns a queryset that runs a fixed number of
queries however many therapists it yields (no N+1)."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.fields import ArrayField
from django.db.models import (
    Count,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
)
from django.db.models.query import ModelIterable

from providers.filters import TherapistFilter
from providers.models import (
    BoardLookup,
    Faith,
    Insurance,
    Language,
    License,
    Modality,
    Therapist,
)
from therapy_directory import clock


def _valid_licenses() -> Prefetch:
    return Prefetch(
        "licenses",
        queryset=License.objects.valid(clock.today()).order_by("state", "-expires_on"),
        to_attr="valid_licenses",
    )


# --- Search result cards -------------------------------------------------------------
# A card's modalities, languages and valid licenses come with the page's own query, as
# arrays (correlated subqueries PostgreSQL runs for the page's rows only, after its
# LIMIT), not as three prefetch queries: at 100 000 therapists the prefetches were a fifth
# of a search request's CPU time (BENCHMARKS.md, "Search").


@dataclass(frozen=True, slots=True)
class CardModality:
    slug: str
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class CardLanguage:
    code: str
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class CardInsurance:
    slug: str
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class CardLicense:
    state: str
    verified_on: dt.date | None


def _pairs(queryset: QuerySet, first, second) -> ArraySubquery:
    """``ARRAY(SELECT ARRAY[first, second] ...)``: one subquery, a two-column text array
    (a list of pairs in Python), where two one-column arrays took two subqueries. Each
    array subquery cost ~0.1 ms of CPU to compile for every search, and a subplan run
    for every card."""
    pair = Func(
        first,
        second,
        template="ARRAY[%(expressions)s]",
        output_field=ArrayField(TextField()),
    )
    return ArraySubquery(queryset.values(pair=pair))


def _iso_date(field: str) -> Func:
    """A date as ``YYYY-MM-DD`` text, whatever the session's DateStyle."""
    return Func(
        F(field), template="to_char(%(expressions)s, 'YYYY-MM-DD')", output_field=TextField()
    )


class _CardIterable(ModelIterable):
    """Therapists with ``card_modalities``, ``card_languages``, ``valid_licenses`` and
    ``card_insurance`` built from the arrays :func:`result_cards` selects."""

    def __iter__(self):
        for therapist in super().__iter__():
            therapist.card_modalities = [
                CardModality(slug, name) for slug, name in therapist.card_modality_pairs
            ]
            therapist.card_languages = [
                CardLanguage(code, name) for code, name in therapist.card_language_pairs
            ]
            therapist.valid_licenses = [
                CardLicense(state, verified_on and dt.date.fromisoformat(verified_on))
                for state, verified_on in therapist.card_license_pairs
            ]
            therapist.card_insurance = [
                CardInsurance(slug, name) for slug, name in therapist.card_insurance_pairs
            ]
            if not hasattr(therapist, "distance_miles"):  # a search near a ZIP sets it
                therapist.distance_miles = None
            yield therapist


def result_cards() -> QuerySet[Therapist]:
    """What a search result card (HTML or API) shows, for any therapists, in one query:
    narrow it with ``TherapistFilter`` (which keeps only the findable ones)."""
    return _result_cards(clock.today()).all()


@functools.lru_cache(maxsize=2)
def _result_cards(today: dt.date) -> QuerySet[Therapist]:
    """The cards' queryset for ``today`` (valid licenses), built once a day: with its
    array subqueries it took ~0.6 ms of CPU to build, for each search. Never evaluated
    itself: callers get a copy (``.all()``), as Django's class-level querysets in views
    are copied for each request, so no rows are cached here and nothing is shared
    between searches but the unevaluated query they each copy."""
    modalities = Modality.objects.filter(therapists=OuterRef("pk")).order_by("name", "id")
    languages = Language.objects.filter(therapists=OuterRef("pk")).order_by("name", "id")
    licenses = (
        License.objects.valid(today)
        .filter(therapist=OuterRef("pk"))
        .order_by("state", "-expires_on", "id")
    )
    insurance = Insurance.objects.filter(therapists=OuterRef("pk")).order_by("name", "id")
    queryset = Therapist.objects.only(
        "id", "slug", "display_name", "credentials", "formats", "fee", "sliding_scale",
        "accepting_new_clients", "next_opening", "timezone", "office_city", "office_state",
        # Finding the right fit (PRODUCT rule 13).
        "superbill", "gender", "age_groups", "lgbtq_affirming",
        "photo",
    ).annotate(
        card_modality_pairs=_pairs(modalities, F("slug"), F("name")),
        card_language_pairs=_pairs(languages, F("code"), F("name")),
        card_license_pairs=_pairs(licenses, F("state"), _iso_date("verified_on")),
        card_insurance_pairs=_pairs(insurance, F("slug"), F("name")),
        card_faith=Subquery(Faith.objects.filter(pk=OuterRef("faith_id")).values("name")[:1]),
    )  # fmt: skip
    queryset._iterable_class = _CardIterable
    return queryset


def card_modalities(therapist: Therapist) -> list:
    """A therapist's modalities, from a result card's arrays or the prefetched rows."""
    if hasattr(therapist, "card_modalities"):
        return therapist.card_modalities
    return list(therapist.modalities.all())


def card_languages(therapist: Therapist) -> list:
    if hasattr(therapist, "card_languages"):
        return therapist.card_languages
    return list(therapist.languages.all())


def card_insurance(therapist: Therapist) -> list:
    """The plans a therapist is in network with, by name, from a result card's arrays or
    the prefetched rows."""
    if hasattr(therapist, "card_insurance"):
        return therapist.card_insurance
    return list(therapist.insurance.all())


def search_therapists(params, *, request=None) -> TherapistFilter:
    """Bind the search filters to ``params``; ``.qs`` is the page-able result, and
    ``.is_valid()`` / ``.errors`` say what was wrong with the query."""
    return TherapistFilter(params, queryset=result_cards(), request=request)


def therapist_profile(queryset: QuerySet[Therapist] | None = None) -> QuerySet[Therapist]:
    """Everything a profile page shows, licenses limited to verified, unexpired ones."""
    queryset = queryset if queryset is not None else Therapist.objects.findable()
    return queryset.select_related("faith").prefetch_related(
        "modalities", "languages", "specialties", "insurance", _valid_licenses()
    )


def verified_states(therapist: Therapist) -> list[str]:
    """USPS codes the therapist may treat clients in (from the prefetched licenses)."""
    return sorted({lic.state for lic in therapist.valid_licenses})


# --- The staff license queue -----------------------------------------------------------


def pending_licenses(*, state: str = "", license_type: str = "") -> QuerySet[License]:
    """Pending licenses, oldest submission first, with their therapists (one query)."""
    queue = License.objects.pending_queue().select_related("therapist__user")
    if state:
        queue = queue.filter(state=state)
    if license_type:
        queue = queue.filter(license_type=license_type)
    return queue


def pending_counts_by_state(*, license_type: str = "") -> list[dict]:
    """``[{"state": "TX", "n": 4}, ...]``: pending licenses per state (of one license type
    when given), most first. One grouped query."""
    pending = License.objects.filter(status=License.Status.PENDING)
    if license_type:
        pending = pending.filter(license_type=license_type)
    return list(pending.values("state").annotate(n=Count("id")).order_by("-n", "state"))


def board_lookups_for(licenses) -> dict[tuple[str, str], BoardLookup]:
    """The state board look-up of each license's (state, license type), for a page of
    licenses: one query, none for an empty page."""
    pairs = {(license.state, license.license_type) for license in licenses}
    if not pairs:
        return {}
    wanted = Q()
    for state, license_type in pairs:
        wanted |= Q(state=state, license_type=license_type)
    return {(b.state, b.license_type): b for b in BoardLookup.objects.filter(wanted)}
