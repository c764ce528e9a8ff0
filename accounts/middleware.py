"""Show every time in the viewer's own zone (PRODUCT rule 5)."""

import datetime as dt
import time
import zoneinfo

from django.conf import settings
from django.utils import timezone

DEFAULT_VIEWER_ZONE = "America/New_York"


def viewer_zone(user) -> zoneinfo.ZoneInfo:
    """The zone a person reads times in: a signed-in user's own, else New York's."""
    name = getattr(user, "timezone", "") if user and user.is_authenticated else ""
    try:
        return zoneinfo.ZoneInfo(name or DEFAULT_VIEWER_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(DEFAULT_VIEWER_ZONE)


IDLE_TOUCHED_AT = "idle_touched_at"  # session key: when the idle limit was last slid


class ViewerTimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timezone.activate(self._zone(request))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    @staticmethod
    def _zone(request):
        if request.path.startswith("/api/"):
            # The API speaks UTC to every caller (token callers are only known later,
            # inside DRF): datetimes always carry their offset, so nothing is lost.
            return dt.UTC
        return viewer_zone(getattr(request, "user", None))


class IdleTimeoutMiddleware:
    """Therapists and staff see clients' data: their sessions end after 30 minutes
    without a request (sliding), clients' last the usual two weeks.

    Sliding means writing the session's new end; doing it on every request made every
    page a therapist or staff member read a write. It is written at most once a minute
    (``TOUCH_EVERY``): the idle limit holds to within that minute."""

    TOUCH_EVERY = 60  # seconds

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and (user.is_staff or user.is_therapist):
            session = request.session
            at = int(time.time())
            if (
                session.get_expiry_age() != settings.PRIVILEGED_SESSION_IDLE_SECONDS
                or at - session.get(IDLE_TOUCHED_AT, 0) >= self.TOUCH_EVERY
            ):
                session.set_expiry(settings.PRIVILEGED_SESSION_IDLE_SECONDS)
                session[IDLE_TOUCHED_AT] = at
        return self.get_response(request)
