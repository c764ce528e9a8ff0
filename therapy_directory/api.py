"""What every part of the JSON API shares: pagination and the error shape."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import InvalidPage
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


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


def exception_handler(exc, context):
    """DRF's handler, plus domain conflicts: 409 with a machine-readable body."""
    from therapy_directory.errors import DomainError

    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.http_status)
    if isinstance(exc, DjangoValidationError):
        # A service refused its input: the same 400 shape as a serializer error.
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


def conflict(detail: str, **extra) -> Response:
    return Response({"detail": detail, **extra}, status=status.HTTP_409_CONFLICT)
