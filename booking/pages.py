"""What the booking pages share, courses and groups alike: the therapist-only gate and
their dashboard's context, times in messages, and domain errors turned into form errors
and messages."""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.templatetags.us_time import us_datetime
from booking.exceptions import REASONS, SlotConflict
from providers.models import Therapist


def when(value: dt.datetime) -> str:
    """A time in the viewer's zone as a person in the USA reads it, for messages:
    "Tue, Dec 8 · 10:00 AM ET"."""
    return us_datetime(timezone.localtime(value))


def conflict_rows(exc: SlotConflict) -> list[dict]:
    return [{"start": start, "reason": REASONS.get(reason, reason)} for start, reason in exc.weeks]


def add_service_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return getattr(exc, "detail", "") or str(exc) or "That is not allowed."


def therapist_only(view):
    """Therapists only, with their profile as the second argument; to anyone else
    these pages do not exist."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not getattr(request.user, "is_therapist", False):
            raise Http404
        therapist = get_object_or_404(Therapist, user=request.user)
        return view(request, therapist, *args, **kwargs)

    return login_required(wrapped)


def dashboard(therapist: Therapist, section: str, **context) -> dict:
    return {
        "therapist": therapist,
        "section": section,
        "has_valid_license": therapist.licenses.valid().exists(),
        **context,
    }


def ics_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
