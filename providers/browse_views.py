"""Browse by state: ``/therapists/in/`` and each state's (and state-and-therapy's) page.

Like the search, a page's content is rendered without the request and kept in the search
cache (providers/search_cache.py) under the directory version, so a change to a therapist
or a license shows at once; the page around it (navigation, who is signed in) is rendered
for each visitor."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_safe

from accounts.places import STATE_NAMES
from booking.courses import picker
from providers import browse, search_cache
from providers.views import SEARCH_PAGE_SIZE, _viewer_timezone


@require_safe
def states(request):
    key, page = search_cache.lookup("browse", [("page", "index")])
    if page is None:
        page = _index_page()
        search_cache.store(key, page)
    return render(request, "providers/browse.html", page)


def _index_page() -> dict:
    rows = browse.therapists_per_state()
    content = render_to_string("providers/_browse_states.html", {"states": rows})
    return {
        "content": content,
        "title": "Therapists by state",
        "description": (
            "Therapists on Rapport by the U.S. state they are licensed in, each license "
            "checked with the state board: IPT, CBT and group therapy, by video or in person."
        ),
        "canonical": reverse("providers:browse_states"),
    }


@require_safe
def state(request, state: str, modality: str | None = None):
    code = browse.state_code(state)
    if code is None:
        raise Http404
    viewer_tz = _viewer_timezone(request)
    number = request.GET.get("page", "")
    # Anything but a page number is the first page (Paginator.get_page): one cache entry.
    number = number if re.fullmatch(r"[0-9]{1,6}", number) else ""
    key, page = search_cache.lookup(
        "browse",
        [("page", "state"), ("state", code), ("modality", modality or ""), ("p", number),
         ("tz", viewer_tz)],
    )  # fmt: skip
    if page is None:
        page = _state_page(code, modality, number, viewer_tz)
        search_cache.store(key, page)
    return render(request, "providers/browse.html", page)


def _state_page(code: str, slug: str | None, number: str, viewer_tz: str) -> dict:
    """The content and the head of a state's (or a state-and-therapy's) page; a 404 for a
    therapy that is not on the list."""
    counts = browse.therapists_per_modality(code)
    modality = None
    if slug is not None:
        modality = next((m for m in counts if m.slug == slug), None)
        if modality is None:
            raise Http404
    filterset = browse.search_in(code, slug)
    if not filterset.is_valid():  # cannot happen: a known state and a known therapy
        raise Http404
    page = Paginator(filterset.qs, SEARCH_PAGE_SIZE).get_page(number)
    state_name = STATE_NAMES[code]
    state_slug = browse.STATE_SLUGS[code]
    path = (
        reverse("providers:browse_modality", kwargs={"state": state_slug, "modality": slug})
        if modality
        else reverse("providers:browse_state", kwargs={"state": state_slug})
    )
    heading = browse.heading(code, modality)
    params = list(browse.search_params(code, slug).items())
    count = page.paginator.count
    content = render_to_string(
        "providers/_browse_state.html",
        {
            "heading": heading,
            "state_name": state_name,
            "state_slug": state_slug,
            "modality": modality,
            "modalities": counts,
            "page": page,
            "page_range": page.paginator.get_elided_page_range(
                page.number, on_each_side=1, on_ends=1
            ),
            "path": path,
            "search_url": picker.search_url(params),
            "profile_suffix": f"?{urlencode(params)}",
            "viewer_tz": viewer_tz,
        },
    )
    if count:
        description = (
            f"{heading}: {count} on Rapport, each license checked with the state's "
            "licensing board. See their fees and next openings, and book a weekly course."
        )
    else:
        description = f"{heading}: none on Rapport yet. See the therapists of other states."
    return {
        "content": content,
        "title": heading + (f" · page {page.number}" if page.number > 1 else ""),
        "description": description,
        "canonical": path + (f"?page={page.number}" if page.number > 1 else ""),
    }
