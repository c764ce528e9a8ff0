"""Reads that span relations. Each returns a queryset that runs a fixed number of
queries however many therapists it yields (no N+1)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from providers.filters import TherapistFilter
from providers.models import License, Therapist
from therapy_directory import clock


def _valid_licenses() -> Prefetch:
    return Prefetch(
        "licenses",
        queryset=License.objects.valid(clock.today()).order_by("state", "-expires_on"),
        to_attr="valid_licenses",
    )


def result_cards() -> QuerySet[Therapist]:
    """What a search result card (HTML or API) shows, for any therapists: narrow it with
    ``TherapistFilter`` (which keeps only the findable ones) or use :func:`directory`."""
    return (
        Therapist.objects.only(
            "id", "slug", "display_name", "credentials", "formats", "fee", "sliding_scale",
            "accepting_new_clients", "next_opening", "timezone", "office_city", "office_state",
        )
        .prefetch_related("modalities", "languages", _valid_licenses())
    )  # fmt: skip


def directory() -> QuerySet[Therapist]:
    """The public directory: therapists with at least one verified, unexpired license,
    with what a result card shows."""
    return result_cards().findable()


def search_therapists(params, *, request=None) -> TherapistFilter:
    """Bind the search filters to ``params``; ``.qs`` is the page-able result, and
    ``.is_valid()`` / ``.errors`` say what was wrong with the query."""
    return TherapistFilter(params, queryset=result_cards(), request=request)


def therapist_profile(queryset: QuerySet[Therapist] | None = None) -> QuerySet[Therapist]:
    """Everything a profile page shows, licenses limited to verified, unexpired ones."""
    queryset = queryset if queryset is not None else Therapist.objects.findable()
    return queryset.prefetch_related("modalities", "languages", "specialties", _valid_licenses())


def verified_states(therapist: Therapist) -> list[str]:
    """USPS codes the therapist may treat clients in (from the prefetched licenses)."""
    return sorted({lic.state for lic in therapist.valid_licenses})
