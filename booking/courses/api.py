"""Course endpoints (PRODUCT.md, JSON API): a therapist's free weekly starts, and booking,
confirming, declining, cancelling and moving a course."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.shortcuts import get_object_or_404
from django.utils.timezone import now
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import record_staff_view
from booking import slots
from booking.api import IsClient, ReasonSerializer, SessionSerializer
from booking.courses import selectors, services
from booking.models import Booking
from providers.models import Format, Therapist
from therapy_directory.api import AwareDateTimeField
from therapy_directory.validators import validate_within_booking_window

# --- Slots ------------------------------------------------------------------------------


class SlotQuerySerializer(serializers.Serializer):
    # `from` is a Python keyword: declared below under its real name.
    days = serializers.IntegerField(min_value=1, max_value=slots.MAX_DAYS, default=28)
    weeks = serializers.IntegerField(min_value=1, max_value=slots.MAX_WEEKS, default=1)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            required=False, validators=[validate_within_booking_window]
        )
        return fields


class SlotSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="The first session's start.")
    end = serializers.DateTimeField(help_text="The first session's end.")
    last = serializers.DateTimeField(help_text="The start of the course's last session.")
    skipped = serializers.ListField(
        child=serializers.DateField(),
        help_text="Local dates of the weeks skipped for the therapist's time off.",
    )


class TherapistSlots(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "from", OpenApiTypes.DATE, description="first local date, within two years of today"
            ),
            OpenApiParameter("days", int, description="how many days to search (≤ 62)"),
            OpenApiParameter("weeks", int, description="course length: free for all N weeks"),
        ],
        responses={200: SlotSerializer(many=True)},
    )
    def get(self, request, pk: int):
        therapist = get_object_or_404(Therapist.objects.findable(), pk=pk)
        query = SlotQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        first_day = (
            query.validated_data.get("from")
            or now().astimezone(ZoneInfo(therapist.timezone)).date()
        )
        found = selectors.free_slots(
            therapist,
            first_day=first_day,
            days=query.validated_data["days"],
            weeks=query.validated_data["weeks"],
        )
        return Response(SlotSerializer(found, many=True).data)


# --- Bookings --------------------------------------------------------------------------


class BookingSerializer(serializers.ModelSerializer):
    sessions = serializers.SerializerMethodField()
    modality = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Booking
        fields = [
            "id", "status", "skipped", "sessions", "therapist", "client", "weeks", "modality",
            "format", "created_at", "hold_until",
        ]  # fmt: skip

    @extend_schema_field(SessionSerializer(many=True))
    def get_sessions(self, obj: Booking) -> list[dict]:
        sessions = sorted(obj.sessions.all(), key=lambda s: s.start)
        return SessionSerializer(sessions, many=True).data


class BookingRequestSerializer(serializers.Serializer):
    therapist = serializers.IntegerField(min_value=1)
    start = AwareDateTimeField()
    weeks = serializers.IntegerField(min_value=1, max_value=slots.MAX_WEEKS)
    modality = serializers.SlugField()
    format = serializers.ChoiceField(choices=Format.choices)


class MoveSerializer(serializers.Serializer):
    start = AwareDateTimeField()


class BookingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = BookingSerializer
    lookup_value_regex = r"\d+"
    filter_backends: list = []

    def get_permissions(self):
        if self.action == "create":
            return [permissions.IsAuthenticated(), IsClient()]
        return [permissions.IsAuthenticated()]

    def get_queryset(self):
        return selectors.bookings_visible_to(self.request.user).prefetch_related("sessions")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        seen = [(b["client"], b["id"]) for b in response.data["results"]]
        record_staff_view(request, target_type="booking", seen=seen)
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        seen = [(response.data["client"], response.data["id"])]
        record_staff_view(request, target_type="booking", seen=seen)
        return response

    def _respond(self, booking_id: int, code=status.HTTP_200_OK) -> Response:
        booking = self.get_queryset().get(pk=booking_id)
        return Response(BookingSerializer(booking).data, status=code)

    @extend_schema(request=BookingRequestSerializer, responses={201: BookingSerializer})
    def create(self, request):
        body = BookingRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            booking = services.book_course(
                client=request.user,
                therapist_id=data["therapist"],
                start=data["start"],
                weeks=data["weeks"],
                modality=data["modality"],
                format=data["format"],
            )
        except Therapist.DoesNotExist:
            raise serializers.ValidationError(
                {"therapist": ["No therapist with this id is listed."]}
            ) from None
        return self._respond(booking.pk, status.HTTP_201_CREATED)

    def _visible(self, pk) -> Booking:
        return get_object_or_404(self.get_queryset(), pk=pk)

    @extend_schema(request=ReasonSerializer, responses={200: BookingSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        booking = self._visible(pk)
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.cancel_booking(booking_id=booking.pk, by=request.user, **body.validated_data)
        return self._respond(booking.pk)

    @extend_schema(request=None, responses={200: BookingSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        booking = self._visible(pk)
        services.confirm_booking(booking_id=booking.pk, by=request.user)
        return self._respond(booking.pk)

    @extend_schema(request=ReasonSerializer, responses={200: BookingSerializer})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        booking = self._visible(pk)
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.decline_booking(booking_id=booking.pk, by=request.user, **body.validated_data)
        return self._respond(booking.pk)

    @extend_schema(request=MoveSerializer, responses={200: BookingSerializer})
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        booking = self._visible(pk)
        body = MoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.move_booking(booking_id=booking.pk, by=request.user, **body.validated_data)
        return self._respond(booking.pk)
