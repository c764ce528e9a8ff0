"""Booking endpoints that span courses and group meetings (PRODUCT.md, JSON API): a
person's sessions and calendar, cancelling or deferring one session, a therapist's hours
and time off (with the sessions booked in it)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, permissions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from booking import availability, calendar
from booking.courses import services as courses
from booking.exceptions import InvalidTransition
from booking.groups import services as groups
from booking.models import AvailabilityRule, Booking, Session, TimeOff
from booking.sessions import own_sessions, sessions_visible_to
from booking.video import VideoAccess
from providers.api import IsTherapist
from therapy_directory.api import ICalendarRenderer, WallClockTimeField
from therapy_directory.validators import REASON_MAX, validate_within_booking_window

# --- Sessions ---------------------------------------------------------------------------


class SessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Session
        fields = ["id", "start", "end", "status", "late_cancellation"]


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=REASON_MAX, required=False, allow_blank=True, default=""
    )


class IsClient(permissions.BasePermission):
    message = "Only clients book courses."

    def has_permission(self, request, view) -> bool:
        return bool(request.user.is_authenticated and request.user.is_client)


class SessionCancel(APIView):
    @extend_schema(request=ReasonSerializer, responses={200: SessionSerializer})
    def post(self, request, pk: int):
        session = get_object_or_404(sessions_visible_to(request.user), pk=pk)
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
        session = courses.cancel_session(
            session_id=session.pk, by=request.user, **body.validated_data
        )
        return Response(SessionSerializer(session).data)


class SessionDefer(generics.GenericAPIView):
    """Moves one upcoming session of a course to one week after the course's last
    session, at the same local weekday and time (the therapist's weeks off skipped) and
    answers the booking; 409 `{detail, conflicts, reasons}` when that week is not free
    (or the session is a group meeting, or over). Its therapist only: to anyone else the
    session does not exist (404)."""

    filter_backends: list = []

    def get_serializer_class(self):
        # The booking as ``bookings/{id}/move/`` answers it (imported here: the course
        # API imports this module).
        from booking.courses.api import BookingSerializer

        return BookingSerializer

    def get_queryset(self):
        return Session.objects.filter(therapist_id=getattr(self.request.user, "therapist_pk", None))

    @extend_schema(request=None)  # answers 200 with the booking (get_serializer_class)
    def post(self, request, pk: int):
        session = get_object_or_404(self.get_queryset(), pk=pk)
        booking = courses.defer_session(session_id=session.pk, by=request.user)
        booking = Booking.objects.prefetch_related("sessions").get(pk=booking.pk)
        return Response(self.get_serializer(booking).data)


class MySessionSerializer(serializers.ModelSerializer):
    therapist = serializers.IntegerField(source="therapist_id")
    therapist_name = serializers.CharField(source="therapist.display_name")
    client_name = serializers.SerializerMethodField()
    group_title = serializers.SerializerMethodField()
    video_url = serializers.SerializerMethodField()

    class Meta:
        model = Session
        fields = [
            "id", "booking", "group", "start", "end", "status", "late_cancellation",
            "therapist", "therapist_name", "client_name", "group_title", "video_url",
        ]  # fmt: skip

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_client_name(self, obj: Session) -> str | None:
        # A group meeting has members, not one client.
        return obj.client.name if obj.client_id else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_group_title(self, obj: Session) -> str | None:
        return obj.group.title if obj.group_id else None

    @extend_schema_field(
        serializers.CharField(
            allow_null=True,
            help_text="The link to join a telehealth session: only for its therapist, the "
            "course's client or the group's enrolled members, from 24 h before it starts "
            "until it ends; otherwise null.",
        )
    )
    def get_video_url(self, obj: Session) -> str | None:
        access = self.context.get("video")
        return access.link(obj) if access is not None else None


class SessionRangeSerializer(serializers.Serializer):
    def get_fields(self):
        # Within two years of today either side (the booking window): a far date is a
        # typo, and one like 9999-12-31 would overflow once made a local midnight.
        return {
            name: serializers.DateField(required=False, validators=[validate_within_booking_window])
            for name in ("from", "to")
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
            OpenApiParameter("from", OpenApiTypes.DATE, description="within two years of today"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="within two years of today"),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_serializer_context(self):
        # Who may join what, read once for the page (booking.video).
        return {**super().get_serializer_context(), "video": VideoAccess(self.request.user)}

    def get_queryset(self):
        query = SessionRangeSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        qs = own_sessions(self.request.user).order_by("start", "id")
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
        rules = availability.weekly_hours(request.user.therapist)
        return Response(HoursSerializer(rules, many=True).data)

    @extend_schema(request=HoursSerializer(many=True), responses={200: HoursSerializer(many=True)})
    def put(self, request):
        body = HoursSerializer(data=request.data, many=True)
        body.is_valid(raise_exception=True)
        rules = availability.set_weekly_hours(
            therapist=request.user.therapist,
            ranges=[(r["weekday"], r["start"], r["end"]) for r in body.validated_data],
        )
        return Response(HoursSerializer(rules, many=True).data)


class TimeOffSerializer(serializers.ModelSerializer):
    class Meta:
        model = TimeOff
        fields = ["id", "start_date", "end_date"]
        extra_kwargs = {
            name: {"validators": [validate_within_booking_window]}
            for name in ("start_date", "end_date")
        }

    def validate(self, attrs):
        if attrs["end_date"] < attrs["start_date"]:
            raise serializers.ValidationError(
                {"end_date": ["The last day off cannot be before the first."]}
            )
        return attrs


class AffectedSessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Session
        fields = ["id", "start"]


class TimeOffCreatedSerializer(TimeOffSerializer):
    affected = AffectedSessionSerializer(
        many=True,
        read_only=True,
        help_text="Sessions already booked on those days (course sessions and group "
        "meetings): they stay until the therapist keeps, cancels or defers each.",
    )

    class Meta(TimeOffSerializer.Meta):
        fields = [*TimeOffSerializer.Meta.fields, "affected"]


class MyTimeOff(generics.ListCreateAPIView):
    permission_classes = [IsTherapist]
    serializer_class = TimeOffSerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return TimeOff.objects.filter(therapist=self.request.user.therapist).order_by("start_date")

    @extend_schema(request=TimeOffSerializer, responses={201: TimeOffCreatedSerializer})
    def post(self, request, *args, **kwargs):
        body = TimeOffSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        therapist = request.user.therapist
        time_off = availability.add_time_off(therapist=therapist, **body.validated_data)
        time_off.affected = availability.sessions_booked_in(
            therapist,
            start_date=time_off.start_date,
            end_date=time_off.end_date,
            after=timezone.now(),
        )
        return Response(TimeOffCreatedSerializer(time_off).data, status=status.HTTP_201_CREATED)


class MyTimeOffItem(APIView):
    permission_classes = [IsTherapist]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk: int):
        try:
            availability.remove_time_off(therapist=request.user.therapist, time_off_id=pk)
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
