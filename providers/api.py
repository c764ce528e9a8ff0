"""Directory, therapist self-service and license review endpoints (PRODUCT.md, JSON API)."""

from __future__ import annotations

import django_filters
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.places import US_STATES
from providers import licensing, profiles, search_cache, selectors
from providers.filters import TherapistFilter
from providers.models import (
    AgeGroup,
    Faith,
    Format,
    Gender,
    Insurance,
    Language,
    License,
    LicenseDecision,
    Modality,
    Specialty,
    Therapist,
    field_message,
)
from therapy_directory.validators import REASON_MAX, validate_single_line

# --- Directory ---------------------------------------------------------------------


class ModalitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Modality
        fields = ["slug", "name"]


class ModalityList(generics.ListAPIView):
    permission_classes = [permissions.AllowAny]
    serializer_class = ModalitySerializer
    queryset = Modality.objects.order_by("name")
    pagination_class = None
    filter_backends: list = []


class InsuranceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Insurance
        fields = ["slug", "name"]


class InsuranceList(generics.ListAPIView):
    """The plans therapists can be in network with (the ``insurance`` filter's slugs)."""

    permission_classes = [permissions.AllowAny]
    serializer_class = InsuranceSerializer
    queryset = Insurance.objects.order_by("name")
    pagination_class = None
    filter_backends: list = []


class TherapistSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")
    modalities = serializers.SerializerMethodField()
    states = serializers.SerializerMethodField()
    languages = serializers.SerializerMethodField()
    formats = serializers.ListField(child=serializers.ChoiceField(choices=Format.choices))
    url = serializers.SerializerMethodField()
    insurance = serializers.SerializerMethodField()
    photo_url = serializers.SerializerMethodField()
    distance_miles = serializers.SerializerMethodField()

    class Meta:
        model = Therapist
        fields = [
            "id", "slug", "name", "credentials", "modalities", "states", "formats",
            "languages", "accepting_new_clients", "next_opening", "insurance", "photo_url",
            "distance_miles", "url",
        ]  # fmt: skip

    # Everything below reads the page query's arrays (selectors.result_cards) or, for one
    # therapist, prefetched rows (selectors.therapist_profile): no query per result.
    @extend_schema_field(serializers.ListField(child=serializers.SlugField()))
    def get_modalities(self, obj: Therapist) -> list[str]:
        return [m.slug for m in selectors.card_modalities(obj)]

    @extend_schema_field(serializers.ListField(child=serializers.CharField(max_length=2)))
    def get_states(self, obj: Therapist) -> list[str]:
        return selectors.verified_states(obj)

    @extend_schema_field(serializers.ListField(child=serializers.SlugField()))
    def get_languages(self, obj: Therapist) -> list[str]:
        return [language.code for language in selectors.card_languages(obj)]

    @extend_schema_field(serializers.ListField(child=serializers.SlugField()))
    def get_insurance(self, obj: Therapist) -> list[str]:
        """The slugs of the plans the therapist is in network with."""
        return [plan.slug for plan in selectors.card_insurance(obj)]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj: Therapist) -> str:
        request = self.context.get("request")
        path = obj.get_absolute_url()
        return request.build_absolute_uri(path) if request else path

    # The photo (providers.photos), read-only: it is uploaded on the dashboard page only.
    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_photo_url(self, obj: Therapist) -> str | None:
        """The photo's absolute address (the storage's own, for a storage elsewhere), or
        null when the therapist has none."""
        if not obj.photo:
            return None
        request = self.context.get("request")
        url = obj.photo.url
        return request.build_absolute_uri(url) if request else url

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_distance_miles(self, obj: Therapist) -> float | None:
        """Miles from the ``near`` ZIP code to the office, to a tenth; null without
        ``near`` or without an office."""
        distance = getattr(obj, "distance_miles", None)
        return None if distance is None else round(distance, 1)


class PublicLicenseSerializer(serializers.ModelSerializer):
    class Meta:
        model = License
        fields = ["state", "license_type", "expires_on", "verified_on"]


class TherapistDetailSerializer(TherapistSerializer):
    specialties = serializers.SerializerMethodField()
    licenses = serializers.SerializerMethodField()

    class Meta(TherapistSerializer.Meta):
        fields = [
            *TherapistSerializer.Meta.fields,
            "bio", "specialties", "fee", "sliding_scale", "timezone", "session_minutes",
            "licenses",
        ]  # fmt: skip

    @extend_schema_field(serializers.ListField(child=serializers.SlugField()))
    def get_specialties(self, obj: Therapist) -> list[str]:
        return [s.slug for s in obj.specialties.all()]

    @extend_schema_field(PublicLicenseSerializer(many=True))
    def get_licenses(self, obj: Therapist) -> list[dict]:
        return PublicLicenseSerializer(obj.valid_licenses, many=True).data


class TherapistViewSet(viewsets.ReadOnlyModelViewSet):
    """The public directory: only therapists with a verified, unexpired license."""

    permission_classes = [permissions.AllowAny]
    filterset_class = TherapistFilter
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.therapist_profile()
        # The list always goes through TherapistFilter, which keeps the findable only.
        return selectors.result_cards()

    def get_serializer_class(self):
        return TherapistDetailSerializer if self.action == "retrieve" else TherapistSerializer

    def filter_queryset(self, queryset):
        if self.action == "retrieve":
            return queryset  # search filters apply to the list only
        return super().filter_queryset(queryset)

    def list(self, request, *args, **kwargs):
        """The list's data comes from the search cache when an identical query was
        answered since the directory last changed. It does not depend on the caller, only
        on the host it was asked on (``url``, ``next`` and ``previous`` are absolute).
        The JSON as rendered is cached (by media type, which may ask for an indent).
        Errors (400) are raised before anything is stored."""
        renderer = request.accepted_renderer
        key, body = search_cache.lookup(
            "api",
            [
                ("host", request.build_absolute_uri("/")),
                ("media", request.accepted_media_type),
                *search_cache.query_parts(request.GET),
            ],
        )
        if body is None:
            data = super().list(request, *args, **kwargs).data
            body = renderer.render(data, request.accepted_media_type, self.get_renderer_context())
            search_cache.store(key, body)
        return HttpResponse(body, content_type=renderer.media_type)


# --- A therapist's own profile and licenses -----------------------------------------


class IsTherapist(permissions.BasePermission):
    message = "Only therapists have a profile and licenses."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and hasattr(user, "therapist"))


class ProfileSerializer(serializers.ModelSerializer):
    """Parses ``me/profile/``; the bounds come from the model's fields, and
    ``providers.profiles.update_profile`` checks the rest and writes."""

    modalities = serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=Modality.objects.all()
    )
    specialties = serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=Specialty.objects.all()
    )
    languages = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=Language.objects.all()
    )
    formats = serializers.ListField(
        child=serializers.ChoiceField(choices=Format.choices),
        allow_empty=False,
        error_messages={"empty": field_message("formats", "blank")},
    )
    # Finding the right fit (PRODUCT rule 13): insurance and identity, all optional.
    insurance = serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=Insurance.objects.all(), required=False
    )
    gender = serializers.ChoiceField(
        choices=Gender.choices,
        allow_blank=True,
        required=False,
        error_messages={"invalid_choice": field_message("gender", "invalid_choice")},
    )
    age_groups = serializers.ListField(
        child=serializers.ChoiceField(choices=AgeGroup.choices), required=False
    )
    faith = serializers.SlugRelatedField(
        slug_field="slug", queryset=Faith.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Therapist
        fields = [
            "id", "slug", "display_name", "credentials", "npi", "bio", "modalities",
            "specialties", "formats", "languages", "fee", "sliding_scale",
            "accepting_new_clients", "timezone", "session_minutes", "slot_step_minutes",
            "auto_confirm", "notice_hours", "office_address", "office_zip", "office_city",
            "office_state", "video_url",
            "insurance", "superbill", "gender", "age_groups", "lgbtq_affirming", "faith",
        ]  # fmt: skip
        read_only_fields = ["id", "slug"]
        extra_kwargs = {
            "slot_step_minutes": {
                "error_messages": {
                    "invalid_choice": field_message("slot_step_minutes", "invalid_choice")
                }
            },
        }


class MyProfileView(generics.RetrieveUpdateAPIView):
    permission_classes = [IsTherapist]
    serializer_class = ProfileSerializer

    def get_object(self):
        return (
            Therapist.objects.select_related("faith")
            .prefetch_related("modalities", "specialties", "languages", "insurance")
            .get(user=self.request.user)
        )

    def perform_update(self, serializer) -> None:
        # The service writes (a refusal is a 400 naming the fields, through the
        # project's exception handler, in the model's words).
        serializer.instance = profiles.update_profile(
            therapist=serializer.instance, by=self.request.user, **serializer.validated_data
        )


class MyLicenseSerializer(serializers.ModelSerializer):
    state = serializers.ChoiceField(choices=US_STATES)
    license_type = serializers.ChoiceField(choices=License.LICENSE_TYPES)

    class Meta:
        model = License
        fields = ["id", "state", "license_type", "number", "expires_on", "status"]
        read_only_fields = ["id", "status"]

    def validate_expires_on(self, value):
        licensing.validate_expiry(value)
        return value


class MyLicenseList(generics.ListCreateAPIView):
    """A therapist's own licenses (a short list: not paginated) and new submissions."""

    permission_classes = [IsTherapist]
    serializer_class = MyLicenseSerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return License.objects.filter(therapist__user=self.request.user).order_by(
            "-submitted_at", "-id"
        )

    def perform_create(self, serializer):
        serializer.instance = licensing.submit_license(
            therapist=self.request.user.therapist, **serializer.validated_data
        )


# --- Staff: license review ----------------------------------------------------------


class CanVerifyLicenses(permissions.BasePermission):
    message = "Only staff with the verify permission review licenses."

    def has_permission(self, request, view) -> bool:
        return bool(getattr(request.user, "can_verify_licenses", False))


class LicenseDecisionSerializer(serializers.ModelSerializer):
    # Empty when the system decided (expiry).
    decided_by = serializers.SlugRelatedField(slug_field="email", read_only=True, allow_null=True)

    class Meta:
        model = LicenseDecision
        fields = ["action", "decided_by", "decided_at", "reason", "source"]


class StaffLicenseSerializer(serializers.ModelSerializer):
    decisions = LicenseDecisionSerializer(many=True, read_only=True)

    class Meta:
        model = License
        fields = [
            "id", "therapist", "state", "license_type", "number", "expires_on", "status",
            "submitted_at", "decisions",
        ]  # fmt: skip


class LicenseReviewFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=License.Status.choices)
    expiring_within = django_filters.NumberFilter(
        method="filter_expiring_within", min_value=0, max_value=3650
    )

    class Meta:
        model = License
        fields: list[str] = []

    def filter_expiring_within(self, queryset, name, value):
        if value is None:
            return queryset
        expiring = License.objects.expiring_within(int(value))
        return queryset.filter(pk__in=expiring.values("pk")).order_by("expires_on", "id")


class VerifySerializer(serializers.Serializer):
    source = serializers.CharField(max_length=300, validators=[validate_single_line])


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_MAX)


class LicenseReviewViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Pending licenses oldest first; verify with a source or reject with a reason."""

    permission_classes = [permissions.IsAuthenticated, CanVerifyLicenses]
    serializer_class = StaffLicenseSerializer
    filterset_class = LicenseReviewFilter
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return License.objects.order_by("submitted_at", "id").prefetch_related(
            "decisions__decided_by"
        )

    def _decide(self, request, pk, serializer_class, decide):
        body = serializer_class(data=request.data)
        body.is_valid(raise_exception=True)
        if not License.objects.filter(pk=pk).exists():
            raise Http404
        decide(license_id=pk, by=request.user, **body.validated_data)
        return Response(StaffLicenseSerializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(request=VerifySerializer, responses={200: StaffLicenseSerializer})
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        return self._decide(request, pk, VerifySerializer, licensing.verify_license)

    @extend_schema(request=RejectSerializer, responses={200: StaffLicenseSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, pk, RejectSerializer, licensing.reject_license)
