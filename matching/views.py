"""The front door (``/``): the guided match's questions, what IPT, CBT and group therapy
are, and the states to browse; and its answer (``/match/``), the ranked matches with
the reasons for each. Both are plain GET pages: they work without JavaScript."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from accounts.places import STATE_NAMES, US_STATES
from matching.forms import MatchForm
from matching.selectors import find_matches
from providers.browse import STATE_SLUGS


def _initial(request) -> dict:
    """A signed-in client is asked about the state they told us they live in."""
    user = request.user
    if getattr(user, "is_client", False) and user.state in STATE_NAMES:
        return {"state": user.state}
    return {}


def front_door(request):
    form = MatchForm(initial=_initial(request))
    states = [
        (name, reverse("providers:browse_state", kwargs={"state": STATE_SLUGS[code]}))
        for code, name in US_STATES
    ]
    return render(
        request,
        "matching/front_door.html",
        {"form": form, "states": states, "browse_index": reverse("providers:browse_states")},
    )


def match(request):
    """The matches for the answers in the query string; the questions again above them,
    with an error beside any answer that could not be used."""
    if not request.GET:
        form, found, state_name = MatchForm(initial=_initial(request)), None, ""
    else:
        form = MatchForm(request.GET)
        found, state_name = None, ""
        if form.is_valid():
            answers = form.match_request(timezone.get_current_timezone())
            found = find_matches(answers)
            state_name = STATE_NAMES[answers.state]
    return render(
        request,
        "matching/match.html",
        {"form": form, "found": found, "state_name": state_name},
    )
