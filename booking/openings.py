"""A therapist's next opening: the first start of a 12-session course, stored on the
therapist for search, marked stale by the service that changes its inputs."""

from booking.courses.services import opening_may_change as mark_stale
from booking.courses.services import refresh_openings, refresh_stale_opening, refresh_stale_openings

__all__ = ["mark_stale", "refresh_openings", "refresh_stale_opening", "refresh_stale_openings"]
