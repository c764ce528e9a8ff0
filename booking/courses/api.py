"""Booking endpoints (PRODUCT.md, JSON API): slots, courses, hours, time off, calendars."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.timezone import now
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import record_staff_view
from booking import calendar, slots
from booking.courses import selectors, services
from booking.exceptions import InvalidTransition
from booking.groups import services as groups
from booking.models import AvailabilityRule, Booking, Session, TimeOff
from providers.api import IsTherapist
from providers.models import Format, Therapist
from therapy_directory.api import AwareDateTimeField, ICalendarRenderer, WallClockTimeField

# --- Slots ------------------------------------------------------------------------------


class SlotQuerySerializer(serializers.Serializer):
    # `from` is a Python keyword: declared below under its real name.
    days = serializers.IntegerField(min_value=1, max_value=slots.MAX_DAYS, default=28)
    weeks = serializers.IntegerField(min_value=1, max_value=slots.MAX_WEEKS, default=1)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False)
        return fields


class SlotSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class TherapistSlots(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="first local date"),
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
        return Response(SlotSerializer([{"start": s, "end": e} for s, e in found], many=True).data)


# --- Bookings --------------------------------------------------------------------------


class SessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Session
        fields = ["id", "start", "end", "status", "late_cancellation"]


class BookingSerializer(serializers.ModelSerializer):
    sessions = serializers.SerializerMethodField()
    modality = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Booking
        fields = [
            "id", "status", "sessions", "therapist", "client", "weeks", "modality", "format",
            "created_at", "hold_until",
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


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class MoveSerializer(serializers.Serializer):
    start = AwareDateTimeField()


class IsClient(permissions.BasePermission):
    message = "Only clients book courses."

    def has_permission(self, request, view) -> bool:
        return bool(request.user.is_authenticated and request.user.is_client)


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


class SessionCancel(APIView):
    @extend_schema(request=ReasonSerializer, responses={200: SessionSerializer})
    def post(self, request, pk: int):
        session = get_object_or_404(selectors.sessions_visible_to(request.user), pk=pk)
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if session.group_id is not None:
            # A group meeting: its therapist cancels it for everyone; a member leaves
            # the group instead (POST groups/{id}/leave/).
            if session.therapist.user_id != request.user.pk:
                raise InvalidTransition(
                    "This is a group meeting: leave the group to stop attending it.",
                    status=session.status,
                )
            session = groups.cancel_meeting(
                session_id=session.pk, by=request.user, **body.validated_data
            )
            return Response(SessionSerializer(session).data)
        session = services.cancel_session(
            session_id=session.pk, by=request.user, **body.validated_data
        )
        return Response(SessionSerializer(session).data)


class MySessionSerializer(serializers.ModelSerializer):
    therapist = serializers.IntegerField(source="therapist_id")
    therapist_name = serializers.CharField(source="therapist.display_name")
    client_name = serializers.SerializerMethodField()
    group_title = serializers.SerializerMethodField()

    class Meta:
        model = Session
        fields = [
            "id", "booking", "group", "start", "end", "status", "late_cancellation",
            "therapist", "therapist_name", "client_name", "group_title",
        ]  # fmt: skip

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_client_name(self, obj: Session) -> str | None:
        # A group meeting has members, not one client.
        return obj.client.name if obj.client_id else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_group_title(self, obj: Session) -> str | None:
        return obj.group.title if obj.group_id else None


class SessionRangeSerializer(serializers.Serializer):
    def get_fields(self):
        return {
            "from": serializers.DateField(required=False),
            "to": serializers.DateField(required=False),
        }

    def validate(self, attrs):
        if attrs.get("from") and attrs.get("to") and attrs["to"] < attrs["from"]:
            raise serializers.ValidationError({"to": ["`to` must not be before `from`."]})
        return attrs


class MySessions(generics.ListAPIView):
    serializer_class = MySessionSerializer
    filter_backends: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE),
            OpenApiParameter("to", OpenApiTypes.DATE),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = SessionRangeSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        qs = selectors.own_sessions(self.request.user).order_by("start", "id")
        tz = ZoneInfo(self.request.user.timezone)
        if query.validated_data.get("from"):
            qs = qs.filter(
                start__gte=dt.datetime.combine(query.validated_data["from"], dt.time(), tz)
            )
        if query.validated_data.get("to"):
            end = query.validated_data["to"] + dt.timedelta(days=1)
            qs = qs.filter(start__lt=dt.datetime.combine(end, dt.time(), tz))
        return qs


# --- Hours and time off -------------------------------------------------------------


class HoursSerializer(serializers.ModelSerializer):
    start = WallClockTimeField()
    end = WallClockTimeField()
    weekday = serializers.IntegerField(min_value=0, max_value=6)

    class Meta:
        model = AvailabilityRule
        fields = ["weekday", "start", "end"]

    def validate(self, attrs):
        if attrs["start"] >= attrs["end"]:
            raise serializers.ValidationError({"end": ["The end must be after the start."]})
        return attrs


class MyAvailability(APIView):
    permission_classes = [IsTherapist]

    @extend_schema(responses={200: HoursSerializer(many=True)})
    def get(self, request):
        rules = AvailabilityRule.objects.filter(therapist=request.user.therapist)
        return Response(HoursSerializer(rules, many=True).data)

    @extend_schema(request=HoursSerializer(many=True), responses={200: HoursSerializer(many=True)})
    def put(self, request):
        body = HoursSerializer(data=request.data, many=True)
        body.is_valid(raise_exception=True)
        rules = services.set_weekly_hours(
            therapist=request.user.therapist,
            ranges=[(r["weekday"], r["start"], r["end"]) for r in body.validated_data],
        )
        return Response(HoursSerializer(rules, many=True).data)


class TimeOffSerializer(serializers.ModelSerializer):
    class Meta:
        model = TimeOff
        fields = ["id", "start_date", "end_date"]

    def validate(self, attrs):
        if attrs["end_date"] < attrs["start_date"]:
            raise serializers.ValidationError(
                {"end_date": ["The last day off cannot be before the first."]}
            )
        return attrs


class MyTimeOff(generics.ListCreateAPIView):
    permission_classes = [IsTherapist]
    serializer_class = TimeOffSerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return TimeOff.objects.filter(therapist=self.request.user.therapist).order_by("start_date")

    def perform_create(self, serializer):
        serializer.instance = services.add_time_off(
            therapist=self.request.user.therapist, **serializer.validated_data
        )


class MyTimeOffItem(APIView):
    permission_classes = [IsTherapist]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk: int):
        try:
            services.remove_time_off(therapist=request.user.therapist, time_off_id=pk)
        except TimeOff.DoesNotExist:
            return Response({"detail": "No such time off."}, status=status.HTTP_404_NOT_FOUND)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Calendar ---------------------------------------------------------------------------


class MyCalendar(APIView):
    renderer_classes = [JSONRenderer, ICalendarRenderer]

    @extend_schema(responses={(200, "text/calendar"): OpenApiTypes.STR})
    def get(self, request):
        return HttpResponse(
            calendar.feed_for(request.user), content_type="text/calendar; charset=utf-8"
        )
