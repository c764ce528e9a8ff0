"""Group endpoints (PRODUCT.md, JSON API): a therapist's own groups, the public group
list, enrolment, the waitlist, the roster (its therapist and staff only), and attendance
(its therapist marks it; each member reads their own)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils.timezone import now
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, permissions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.middleware import viewer_zone
from accounts.places import STATE_NAMES
from audit.services import record_staff_view
from booking import slots, video
from booking.api import IsClient
from booking.exceptions import REASONS
from booking.groups import selectors, services
from booking.models import Enrolment, Group, Session
from providers.api import IsTherapist
from providers.models import FEE_MAX, Between, Format, Modality
from therapy_directory.api import AwareDateTimeField, WallClockTimeField
from therapy_directory.validators import (
    LONG_TEXT_MAX,
    validate_single_line,
    validate_within_booking_window,
)

# --- Serializers ----------------------------------------------------------------------------


class GroupWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120, validators=[validate_single_line])
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=LONG_TEXT_MAX
    )
    modality = serializers.SlugRelatedField(slug_field="slug", queryset=Modality.objects.all())
    kind = serializers.ChoiceField(choices=Group.Kind.choices)
    format = serializers.ChoiceField(choices=Format.choices)
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        min_length=1,
        max_length=7,
        required=False,
        help_text="The days it meets each week, 0 = Monday, e.g. [0, 2, 3] for Mon, Wed, Thu.",
    )
    weekday = serializers.IntegerField(
        min_value=0,
        max_value=6,
        required=False,
        write_only=True,
        help_text="Earlier form of one weekday: `weekday: n` is read as `weekdays: [n]`.",
    )
    start_time = WallClockTimeField(help_text="HH:MM in the therapist's zone")
    meeting_minutes = serializers.IntegerField(min_value=15, max_value=240, default=90)
    start_date = serializers.DateField(
        help_text="The first meeting is on or after this day (within two years of today).",
        validators=[validate_within_booking_window],
    )
    weeks = serializers.IntegerField(min_value=1, max_value=Group.MAX_WEEKS)
    capacity = serializers.IntegerField(min_value=1, max_value=Group.MAX_CAPACITY)
    fee = serializers.IntegerField(
        required=False,
        allow_null=True,
        validators=[Between(0, FEE_MAX, f"Give a fee between $0 and ${FEE_MAX:,}.")],
        help_text="Per meeting, in US dollars (0: free; null: members ask the therapist).",
    )
    video_url = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=video.ROOM_URL_MAX,
        help_text="The group's own video room, an https:// address (empty: the therapist's "
        "own room). Shown only to enrolled members and the therapist, from 24 h before each "
        "meeting until it ends; never in the public group answers.",
    )
    states = serializers.ListField(
        child=serializers.CharField(max_length=2),
        min_length=1,
        max_length=51,
        help_text='USPS codes of the states it serves, e.g. ["NY", "NJ"]',
    )

    def validate(self, attrs: dict) -> dict:
        weekday = attrs.pop("weekday", None)
        if "weekdays" not in attrs and weekday is not None:
            attrs["weekdays"] = [weekday]
        if "weekdays" not in attrs and not self.partial:
            raise serializers.ValidationError({"weekdays": "This field is required."})
        return attrs

    def validate_video_url(self, value: str) -> str:
        try:
            return video.clean_room_url(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    individual = serializers.ChoiceField(
        choices=Group.Individual.choices,
        required=False,
        help_text="Whether members also book a weekly individual course with you: none, "
        "offered (they may) or required (they must choose its time to enrol). Offered or "
        "required: a program of at most 16 weeks. Default (new group): none.",
    )

    def validate_states(self, value: list[str]) -> list[str]:
        # Plain strings (not an enum) so the schema keeps one name for the states.
        unknown = [s for s in value if s not in STATE_NAMES]
        if unknown:
            raise serializers.ValidationError(f"Not USPS state codes: {', '.join(unknown)}.")
        return value


class MeetingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Session
        fields = ["id", "week", "start", "end", "status"]


class GroupSerializer(serializers.ModelSerializer):
    """A group as anyone sees it; ``my_status`` and ``my_position`` are the caller's."""

    therapist = serializers.IntegerField(source="therapist_id", read_only=True)
    therapist_name = serializers.CharField(source="therapist.display_name", read_only=True)
    therapist_slug = serializers.CharField(source="therapist.slug", read_only=True)
    timezone = serializers.CharField(source="therapist.timezone", read_only=True)
    modality = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    start_time = WallClockTimeField()
    states = serializers.ListField(child=serializers.CharField(), read_only=True)
    status = serializers.CharField(read_only=True, help_text="active or cancelled")
    first_meeting = serializers.DateTimeField(read_only=True)
    next_meeting = serializers.DateTimeField(read_only=True, allow_null=True)
    last_meeting = serializers.DateTimeField(read_only=True)
    seats_left = serializers.SerializerMethodField()
    waitlisted = serializers.IntegerField(read_only=True)
    my_status = serializers.SerializerMethodField()
    my_position = serializers.SerializerMethodField()
    url = serializers.CharField(source="get_absolute_url", read_only=True)
    fee_per_week = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The fee per meeting times the days a week."
    )
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        read_only=True,
        help_text="The days it meets each week, 0 = Monday (the therapist's zone).",
    )

    class Meta:
        model = Group
        fields = [
            "id", "title", "description", "therapist", "therapist_name", "therapist_slug",
            "modality", "kind", "format", "weekdays", "start_time", "timezone",
            "meeting_minutes", "start_date", "weeks", "capacity", "fee", "fee_per_week",
            "states", "status",
            "first_meeting", "next_meeting", "last_meeting", "seats_left", "waitlisted",
            "my_status", "my_position", "url",
            "individual",
        ]  # fmt: skip
        extra_kwargs = {
            "individual": {
                "help_text": "A weekly individual course with the therapist alongside the "
                "group: none, offered or required (then chosen when enrolling)."
            }
        }

    def get_seats_left(self, obj: Group) -> int:
        return selectors.seats_left(obj)

    @extend_schema_field(
        serializers.ChoiceField(choices=["enrolled", "waitlisted", "offered"], allow_null=True)
    )
    def get_my_status(self, obj: Group) -> str | None:
        return getattr(obj, "my_status", None)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_my_position(self, obj: Group) -> int | None:
        if getattr(obj, "my_status", None) != "waitlisted":
            return None
        return obj.my_position


class GroupDetailSerializer(GroupSerializer):
    meetings = serializers.SerializerMethodField()

    class Meta(GroupSerializer.Meta):
        fields = [*GroupSerializer.Meta.fields, "meetings"]

    @extend_schema_field(MeetingSerializer(many=True))
    def get_meetings(self, obj: Group) -> list[dict]:
        return MeetingSerializer(obj.meetings.order_by("start"), many=True).data


def _own_room():
    return serializers.CharField(
        read_only=True, help_text="The group's own video room; empty: the therapist's own room."
    )


class OwnGroupSerializer(GroupSerializer):
    """A group as its therapist sees it: with its video room. Never used for anyone else
    (the public answers, ``groups/`` and ``groups/{id}/``, have no ``video_url``)."""

    video_url = _own_room()

    class Meta(GroupSerializer.Meta):
        fields = [*GroupSerializer.Meta.fields, "video_url"]


class OwnGroupDetailSerializer(GroupDetailSerializer):
    video_url = _own_room()

    class Meta(GroupDetailSerializer.Meta):
        fields = [*GroupDetailSerializer.Meta.fields, "video_url"]


class IndividualCourseRequestSerializer(serializers.Serializer):
    """The weekly individual course a program offers or requires (``individual``)."""

    individual_start = AwareDateTimeField(
        required=False,
        allow_null=True,
        help_text="The individual course's first session: one of the starts "
        "therapists/{therapist}/slots/?weeks={weeks} answers, during the program. "
        "Required by a program whose individual is 'required' (when a seat is taken); "
        "refused by one whose individual is 'none'; left out: no individual course. "
        "Ignored when the enrolment goes to the waitlist (chosen when the seat is offered).",
    )
    modality = serializers.SlugField(
        required=False,
        allow_blank=True,
        help_text="The individual course's therapy (a slug the therapist offers, not "
        "'group'); default: the group's, else the therapist's first of ipt, cbt, others.",
    )


class EnrolRequestSerializer(IndividualCourseRequestSerializer):
    waitlist = serializers.BooleanField(
        default=True, help_text="Join the waitlist when the group is full (else 409)."
    )


class IndividualWeekSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="That week's session start (UTC)")
    reason = serializers.ChoiceField(choices=sorted(REASONS), help_text="Why it is not free")


class EnrolConflictSerializer(serializers.Serializer):
    """A 409 of enrol/ and accept/: the group is full (``waitlisted``), the enrolment's
    state (``status``), or the individual course's failing weeks (``conflicts``)."""

    detail = serializers.CharField()
    conflicts = IndividualWeekSerializer(
        many=True,
        required=False,
        help_text="Each week of the individual course that cannot be booked; nothing was written.",
    )
    status = serializers.CharField(required=False, help_text="the current state")
    waitlisted = serializers.IntegerField(required=False)


ENROLMENT_STATUSES = ", ".join(Enrolment.Status.values)


class EnrolmentSerializer(serializers.ModelSerializer):
    position = serializers.SerializerMethodField()
    status = serializers.CharField(read_only=True, help_text=ENROLMENT_STATUSES)
    booking = serializers.SerializerMethodField(
        help_text="The individual course this request booked with the seat (its id in "
        "bookings/), else null."
    )

    class Meta:
        model = Enrolment
        fields = ["id", "group", "status", "position", "offered_until", "booking"]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_position(self, obj: Enrolment) -> int | None:
        return services.waitlist_position(obj)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_booking(self, obj: Enrolment) -> int | None:
        booking = getattr(obj, "individual_booking", None)
        return booking.pk if booking is not None else None


class RosterEntrySerializer(serializers.ModelSerializer):
    client = serializers.IntegerField(source="client_id")
    name = serializers.CharField(source="client.name")
    email = serializers.EmailField(source="client.email")
    state = serializers.CharField(source="client.state")
    status = serializers.CharField(read_only=True, help_text=ENROLMENT_STATUSES)

    class Meta:
        model = Enrolment
        fields = [
            "id", "client", "name", "email", "state", "status", "queue_number", "offered_until",
            "created_at", "ended_at",
        ]  # fmt: skip


# --- A therapist's own groups ---------------------------------------------------------------


def _own(request):
    return Group.objects.filter(therapist=request.user.therapist)


def _annotated(request, pk: int) -> Group:
    return selectors.with_seats(Group.objects.filter(pk=pk), request.user).get()


class MyGroups(generics.ListCreateAPIView):
    permission_classes = [IsTherapist]
    serializer_class = OwnGroupSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.with_seats(_own(self.request), self.request.user).order_by(
            "-start_date", "-id"
        )

    @extend_schema(request=GroupWriteSerializer, responses={201: OwnGroupSerializer})
    def post(self, request):
        body = GroupWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        group = services.create_group(therapist=request.user.therapist, **body.validated_data)
        return Response(
            OwnGroupSerializer(_annotated(request, group.pk)).data, status=status.HTTP_201_CREATED
        )


class MyGroupItem(APIView):
    permission_classes = [IsTherapist]

    def _get(self, request, pk: int) -> Group:
        return get_object_or_404(_own(request), pk=pk)

    @extend_schema(responses={200: OwnGroupDetailSerializer})
    def get(self, request, pk: int):
        self._get(request, pk)
        return Response(OwnGroupDetailSerializer(_annotated(request, pk)).data)

    def _update(self, request, pk: int, *, partial: bool):
        self._get(request, pk)
        body = GroupWriteSerializer(data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        services.update_group(group_id=pk, by=request.user, **body.validated_data)
        return Response(OwnGroupDetailSerializer(_annotated(request, pk)).data)

    @extend_schema(request=GroupWriteSerializer, responses={200: OwnGroupDetailSerializer})
    def put(self, request, pk: int):
        return self._update(request, pk, partial=False)

    @extend_schema(request=GroupWriteSerializer, responses={200: OwnGroupDetailSerializer})
    def patch(self, request, pk: int):
        return self._update(request, pk, partial=True)


# --- Anyone: the group list and a group -----------------------------------------------------


class Groups(generics.ListAPIView):
    permission_classes = [permissions.AllowAny]
    serializer_class = GroupSerializer
    filter_backends: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("state", OpenApiTypes.STR, description="USPS code, e.g. NY"),
            OpenApiParameter("modality", OpenApiTypes.STR, description="modality slug"),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=Group.Kind.values),
            OpenApiParameter("format", OpenApiTypes.STR, enum=Format.values),
            OpenApiParameter(
                "weekday",
                OpenApiTypes.STR,
                enum=list(slots.WEEKDAY_KEYS),
                many=True,
                description="meets on any of these days (in the caller's zone); repeat it",
            ),
            OpenApiParameter(
                "part_of_day",
                OpenApiTypes.STR,
                enum=[key for key, _, _ in slots.PARTS_OF_DAY],
                many=True,
                description="morning (before 12), afternoon (12–17), evening (after 17), "
                "in the caller's zone; repeat it",
            ),
            OpenApiParameter("starts_after", OpenApiTypes.DATE, description="on or after"),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        # Days and times of day in the caller's zone (the API itself speaks UTC).
        search, qs = selectors.listed_groups(
            self.request.user, self.request.query_params, zone=viewer_zone(self.request.user)
        )
        if not search.is_valid():
            raise ApiValidationError(search.errors)
        return qs


def _visible(request, pk: int) -> Group:
    group = selectors.groups_visible_to(request.user).filter(pk=pk).first()
    if group is None:
        raise NotFound("No such group.")
    return group


class GroupDetail(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: GroupDetailSerializer})
    def get(self, request, pk: int):
        _visible(request, pk)
        return Response(GroupDetailSerializer(_annotated(request, pk)).data)


class GroupRoster(APIView):
    """Who is in the group: its therapist and staff only; anyone else gets a 404."""

    @extend_schema(responses={200: RosterEntrySerializer(many=True)})
    def get(self, request, pk: int):
        group = Group.objects.filter(pk=pk).first()
        if group is None or not selectors.roster_visible_to(request.user, group):
            raise NotFound("No such group.")
        roster = list(selectors.roster(group))
        record_staff_view(
            request, target_type="group", seen=[(e.client_id, group.pk) for e in roster]
        )
        return Response(RosterEntrySerializer(roster, many=True).data)


# --- Clients: enrol, leave, answer an offer ---------------------------------------------------


class _ClientAction(APIView):
    permission_classes = [permissions.IsAuthenticated, IsClient]


def _individual(data: dict) -> dict:
    return {
        "individual_start": data.get("individual_start"),
        "modality": data.get("modality") or None,
    }


class GroupEnrol(_ClientAction):
    @extend_schema(
        request=EnrolRequestSerializer,
        responses={201: EnrolmentSerializer, 409: EnrolConflictSerializer},
    )
    def post(self, request, pk: int):
        group = _visible(request, pk)
        body = EnrolRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        enrolment = services.enrol(
            client=request.user,
            group_id=group.pk,
            waitlist=body.validated_data["waitlist"],
            **_individual(body.validated_data),
        )
        return Response(EnrolmentSerializer(enrolment).data, status=status.HTTP_201_CREATED)


class GroupLeave(_ClientAction):
    @extend_schema(request=None, responses={200: EnrolmentSerializer})
    def post(self, request, pk: int):
        group = _visible(request, pk)
        enrolment = services.leave(client=request.user, group_id=group.pk)
        return Response(EnrolmentSerializer(enrolment).data)


class GroupAcceptOffer(_ClientAction):
    @extend_schema(
        request=IndividualCourseRequestSerializer,
        responses={200: EnrolmentSerializer, 409: EnrolConflictSerializer},
    )
    def post(self, request, pk: int):
        group = _visible(request, pk)
        body = IndividualCourseRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        enrolment = services.accept_offer(
            client=request.user, group_id=group.pk, **_individual(body.validated_data)
        )
        return Response(EnrolmentSerializer(enrolment).data)


class GroupDeclineOffer(_ClientAction):
    @extend_schema(request=None, responses={200: EnrolmentSerializer})
    def post(self, request, pk: int):
        group = _visible(request, pk)
        enrolment = services.decline_offer(client=request.user, group_id=group.pk)
        return Response(EnrolmentSerializer(enrolment).data)


# --- Attendance: its therapist marks it, each member reads their own ------------------------

# Marks in one request: every member a group ever had, with room to spare.
MAX_MARKS = 4 * Group.MAX_CAPACITY
# A client id is a 32-bit key: a larger number names nobody (and must not reach the query).
MAX_ID = 2**31 - 1


class MarkSerializer(serializers.Serializer):
    client = serializers.IntegerField(source="client.pk", help_text="the member's user id")
    name = serializers.CharField(source="client.name")
    present = serializers.BooleanField(allow_null=True, help_text="null: not marked yet")


class MeetingMarksSerializer(serializers.Serializer):
    """One meeting and a mark per member enrolled when it started."""

    session = serializers.IntegerField(source="meeting.pk")
    start = serializers.DateTimeField(source="meeting.start")
    end = serializers.DateTimeField(source="meeting.end")
    marks = MarkSerializer(many=True)


class MyMarkSerializer(serializers.Serializer):
    """A meeting the caller was a member at, and their own mark."""

    session = serializers.IntegerField(source="meeting.pk")
    start = serializers.DateTimeField(source="meeting.start")
    end = serializers.DateTimeField(source="meeting.end")
    present = serializers.BooleanField(allow_null=True, help_text="null: not marked yet")


class MarkWriteSerializer(serializers.Serializer):
    client = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="a member's id")
    present = serializers.BooleanField()


class MarksWriteSerializer(serializers.Serializer):
    marks = MarkWriteSerializer(many=True, min_length=1, max_length=MAX_MARKS)

    def validate_marks(self, value: list[dict]) -> list[dict]:
        seen, twice = set(), set()
        for mark in value:
            (twice if mark["client"] in seen else seen).add(mark["client"])
        if twice:
            named = ", ".join(map(str, sorted(twice)))
            raise serializers.ValidationError(
                f"Mark each member once; given more than once: {named}."
            )
        return value


ATTENDANCE_ANSWER = PolymorphicProxySerializer(
    component_name="GroupAttendance",
    serializers=[MeetingMarksSerializer, MyMarkSerializer],
    resource_type_field_name=None,
    many=True,
)


def _attendance_group(request, pk: int) -> tuple[Group, str]:
    group = Group.objects.filter(pk=pk).first()
    seen = selectors.attendance_visible_to(request.user, group) if group else None
    if seen is None:
        raise NotFound("No such group.")
    return group, seen


class GroupAttendance(APIView):
    """Every meeting held so far, oldest first: its therapist gets each with a mark per
    member; a member (or former member) gets their own marks; anyone else a 404."""

    @extend_schema(
        responses={200: ATTENDANCE_ANSWER},
        description="The group's therapist: `[{session, start, end, marks: [{client, name, "
        "present}]}]`, a mark per member enrolled when the meeting started. A member or "
        "former member: `[{session, start, end, present}]`, their own. `present` is null "
        "until marked. Meetings that have started and were not cancelled, oldest first.",
    )
    def get(self, request, pk: int):
        group, seen = _attendance_group(request, pk)
        if seen == "all":
            sheet = selectors.attendance_sheet(group, at=now())
            return Response(MeetingMarksSerializer(sheet, many=True).data)
        sheet = selectors.attendance_sheet(group, at=now(), client=request.user)
        return Response(MyMarkSerializer(sheet, many=True).data)


class GroupMeetingAttendance(APIView):
    """One meeting's marks: its therapist reads and marks them; anyone else a 404."""

    def _meeting(self, request, pk: int, session_id: int) -> Session:
        group, seen = _attendance_group(request, pk)
        if seen != "all":
            raise NotFound("No such group.")
        meeting = group.meetings.filter(pk=session_id).first()
        if meeting is None:
            raise ApiValidationError({"session": [f"{session_id} is not a meeting of this group."]})
        meeting.group = group
        return meeting

    @extend_schema(responses={200: MeetingMarksSerializer})
    def get(self, request, pk: int, session_id: int):
        meeting = self._meeting(request, pk, session_id)
        return Response(MeetingMarksSerializer(selectors.meeting_marks(meeting)).data)

    @extend_schema(
        request=MarksWriteSerializer,
        responses={200: MeetingMarksSerializer},
        description="Present or absent per member; marking again updates. 400 on `marks` "
        "for a client who was not a member when the meeting started (nothing is written), "
        "on `session` for a meeting of another group; 409 for a meeting not yet started or "
        "cancelled.",
    )
    def put(self, request, pk: int, session_id: int):
        meeting = self._meeting(request, pk, session_id)
        body = MarksWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.mark_attendance(
            by=request.user,
            session_id=meeting.pk,
            present={m["client"]: m["present"] for m in body.validated_data["marks"]},
        )
        return Response(MeetingMarksSerializer(selectors.meeting_marks(meeting)).data)
