"""``GET /api/v1/match/`` (PRODUCT.md, JSON API): the guided match, best first."""

from __future__ import annotations

import zoneinfo

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.middleware import viewer_zone
from accounts.places import US_STATES
from booking import slots
from matching.forms import DEFAULT_WEEKS, MatchForm
from matching.ranking import CONCERNS, KINDS
from matching.selectors import RESULTS, find_matches
from providers.models import FEE_MAX, Format


class MatchSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KINDS)
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.URLField(
        help_text="A therapist's profile with the course picker preselected, or the group."
    )
    score = serializers.IntegerField(help_text="Points of the documented ranking: higher fits")
    reasons = serializers.ListField(child=serializers.CharField())
    first_start = serializers.DateTimeField(
        allow_null=True,
        help_text="The first course start (a group: its next meeting) in the chosen times.",
    )


def caller_zone(request) -> zoneinfo.ZoneInfo:
    """The zone ``times`` are read in: a signed-in caller's own, else New York's."""
    return viewer_zone(request.user)


class MatchView(APIView):
    """Therapists licensed (verified, unexpired) in ``state`` and accepting new clients,
    and open groups there when ``group`` is true, ranked by fit with the reasons for
    each: at most 20, best first."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="match_list",
        parameters=[
            OpenApiParameter(
                "state",
                str,
                required=True,
                enum=[c for c, _ in US_STATES],
                description="USPS code of the state the client lives in",
            ),
            OpenApiParameter("concern", str, enum=list(CONCERNS), description="what brings you"),
            OpenApiParameter("format", str, enum=[f.value for f in Format]),
            OpenApiParameter("insurance", str, description="a plan's slug (GET insurances/)"),
            OpenApiParameter(
                "fee_max", OpenApiTypes.INT, description=f"budget per session, USD (0–{FEE_MAX})"
            ),
            OpenApiParameter(
                "weeks",
                OpenApiTypes.INT,
                description=f"course length, 1–{slots.MAX_WEEKS} (default {DEFAULT_WEEKS})",
            ),
            OpenApiParameter(
                "times",
                str,
                description=(
                    "weekly times that suit, comma-separated, in the caller's zone (New York's "
                    "when signed out): mon…sun × morning (before 12), afternoon (12–17), "
                    "evening (after 17), e.g. tue-evening,thu-evening"
                ),
            ),
            OpenApiParameter("group", OpenApiTypes.BOOL, description="true to include groups"),
        ],  # fmt: skip
        responses={200: MatchSerializer(many=True)},
    )
    def get(self, request):
        form = MatchForm(request.query_params)
        if not form.is_valid():
            raise ValidationError(_messages(form))
        found = find_matches(form.match_request(caller_zone(request)))[:RESULTS]
        data = [
            {
                "kind": f.kind,
                "id": f.id,
                "name": f.name,
                "url": request.build_absolute_uri(f.url),
                "score": f.score,
                "reasons": list(f.reasons),
                "first_start": f.first_start,
            }
            for f in found
        ]
        return Response(MatchSerializer(data, many=True).data)


def _messages(form: MatchForm) -> dict[str, list[str]]:
    return {name: [str(m) for m in errors] for name, errors in form.errors.items()}
