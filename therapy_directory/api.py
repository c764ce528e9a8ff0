"""What every part of the JSON API shares: pagination, the error shape, strict datetimes,
and the error answers Django itself gives (400, 403, 404, 413, 500): JSON under /api/,
the site's pages elsewhere. The one parser is in therapy_directory/parsers.py."""

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import InvalidPage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from therapy_directory.errors import DomainError
from therapy_directory.transactions import Busy


class StrictPageNumberPagination(PageNumberPagination):
    """``{count, next, previous, results}``; a bad ``page`` is a 400 naming the field."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        page_size = self.get_page_size(request)
        paginator = self.django_paginator_class(queryset, page_size)
        raw = request.query_params.get(self.page_query_param) or 1
        try:
            number = int(raw)
            if number < 1:
                raise ValueError
        except (TypeError, ValueError):
            raise ValidationError(
                {"page": ["A page number must be a whole number of 1 or more."]}
            ) from None
        try:
            self.page = paginator.page(number)
        except InvalidPage:
            raise ValidationError(
                {"page": [f"There is no page {number}; the last page is {paginator.num_pages}."]}
            ) from None
        self.request = request
        return list(self.page)


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an offset (PRODUCT.md). A naive value would be read in whatever
    zone happens to be active, booking the wrong hour: refuse it instead."""

    default_error_messages = {
        "naive": "Give the date and time with its UTC offset, e.g. 2027-01-05T10:00:00-05:00."
    }

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


@extend_schema_field(
    {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$", "example": "09:00"}
)
class WallClockTimeField(serializers.TimeField):
    """A local wall-clock time as PRODUCT.md writes it ("09:00"): OpenAPI's ``time``
    format would promise seconds and an offset, which a weekly time does not have."""

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%H:%M")
        super().__init__(**kwargs)


class ICalendarRenderer(BaseRenderer):
    """Lets `Accept: text/calendar` through content negotiation for .ics views."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes | str):
            return data
        # An error body ({detail}): JSON, labelled as JSON, like every other API answer.
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return json.dumps(data).encode()


def too_large_message() -> str:
    limit_kib = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
    return f"The request body is too large: the API reads at most {limit_kib} KiB."


def exception_handler(exc, context):
    """DRF's handler, plus domain errors: their status (409 mostly) with a machine-readable
    body; ``Busy`` (a lock not granted in time) is 503 with ``Retry-After``."""
    if isinstance(exc, Busy):
        return Response(
            exc.as_dict(),
            status=exc.http_status,
            headers={"Retry-After": str(exc.retry_after_seconds)},
        )
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.http_status)
    if isinstance(exc, RequestDataTooBig):
        # Django's check, met when DRF reads a body over DATA_UPLOAD_MAX_MEMORY_SIZE.
        return Response(
            {"detail": too_large_message()}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        )
    if isinstance(exc, DjangoValidationError):
        # A service refused its input: the same 400 shape as a serializer error.
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


NOT_FOUND = "Nothing here: see /api/v1/docs/ for the addresses of the API."


@csrf_exempt  # nothing to protect: it answers 404 to every method
def not_found(request, *args, **kwargs) -> JsonResponse:
    return JsonResponse({"detail": NOT_FOUND}, status=status.HTTP_404_NOT_FOUND)


# --- Django's own error answers (handler400/403/404/500 in therapy_directory/urls.py) ----
# DRF answers its views' errors itself; these are for what happens outside them (a body
# Django refuses, an exception no handler took, an address nothing matched).

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    if not is_api(request):
        if isinstance(exception, RequestDataTooBig):
            # A form sent more than any field allows: say so, beside nothing else.
            return render(
                request,
                "413.html",
                {"limit_kib": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse(
            {"detail": too_large_message()}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        )
    return JsonResponse(
        {"detail": "The request was not understood."}, status=status.HTTP_400_BAD_REQUEST
    )


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    if not is_api(request):
        return defaults.permission_denied(request, exception)
    return JsonResponse(
        {"detail": "You do not have permission to perform this action."},
        status=status.HTTP_403_FORBIDDEN,
    )


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if not is_api(request):
        return defaults.page_not_found(request, exception)
    return JsonResponse({"detail": NOT_FOUND}, status=status.HTTP_404_NOT_FOUND)


def server_error(request: HttpRequest) -> HttpResponse:
    if not is_api(request):
        return defaults.server_error(request)
    return JsonResponse(
        {"detail": "Something went wrong on our side. Please try again in a few minutes."},
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def conflict(detail: str, **extra) -> Response:
    return Response({"detail": detail, **extra}, status=status.HTTP_409_CONFLICT)
