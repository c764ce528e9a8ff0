"""Uploaded files (therapists' photos) served by the app itself, in development and
`make run` only (``RAPPORT_SERVE_MEDIA``). In production the reverse proxy serves
``MEDIA_ROOT`` at ``MEDIA_URL``, or a django-storages backend serves the files from its
own address (README, "Therapists' photos"); this view then answers 404."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from django.views.static import serve


@require_safe
def media(request: HttpRequest, path: str) -> HttpResponse:
    if not settings.RAPPORT_SERVE_MEDIA:
        raise Http404
    # Read at request time: tests point MEDIA_ROOT at a temporary folder. Django's
    # static view refuses paths outside it (``..``, absolute paths).
    return serve(request, path, document_root=settings.MEDIA_ROOT)
