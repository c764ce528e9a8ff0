"""What every page's navigation needs from booking: a signed-in therapist's count of
requests waiting ("Requests (3)"). Lazy: counted once, and only by a page that shows it."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from booking.home.selectors import requests_waiting


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"requests_waiting": SimpleLazyObject(lambda: requests_waiting(user))}
