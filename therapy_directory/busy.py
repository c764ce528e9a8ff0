"""Pages that met ``Busy``: a lock another change held was not granted in time. Every
page answers the same way (503, ``Retry-After``, the message and a way back), so no
page turns a busy moment into a 500; pages with a form may catch ``Busy`` themselves
to show it beside the form with what was typed."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from therapy_directory.transactions import Busy


class BusyMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, Busy):
            return None
        referer = request.headers.get("referer", "")
        back = (
            referer
            if url_has_allowed_host_and_scheme(
                referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            )
            else request.path
        )
        response = render(
            request, "busy.html", {"detail": exception.detail, "back": back}, status=503
        )
        response["Retry-After"] = str(exception.retry_after_seconds)
        return response
