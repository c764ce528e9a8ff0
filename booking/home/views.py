"""The therapist's home: the page a therapist lands on after logging in. Read-only: what
needs their attention, each item a link to the page where they act on it."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone

from accounts.places import US_TIMEZONES
from booking import video
from booking.home.selectors import therapist_home
from booking.pages import dashboard, therapist_only
from providers.models import Therapist

ZONE_NAMES = dict(US_TIMEZONES)
# Requests shown on the home; the rest are a link away (the requests page lists all).
REQUESTS_SHOWN = 5


@therapist_only
def home(request, therapist: Therapist):
    current = timezone.now()
    home = therapist_home(therapist, at=current)
    # The join button, from 24 h before each session until it ends (booking.video).
    access = video.VideoAccess(request.user, at=current, therapist=therapist)
    for sessions in [home.sessions_today, *(day.sessions for day in home.later)]:
        access.attach(sessions)
    return render(
        request,
        "booking/home.html",
        dashboard(
            therapist,
            "home",
            home=home,
            requests_shown=home.requests[:REQUESTS_SHOWN],
            now=current,
            zone_name=ZONE_NAMES.get(therapist.timezone, therapist.timezone),
            # The navigation's count (booking.context_processors), already known here.
            requests_waiting=len(home.requests),
        ),
    )
