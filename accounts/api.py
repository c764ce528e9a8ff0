"""``auth/register/``, ``auth/token/``, ``auth/logout/`` and ``me/`` (PRODUCT.md, JSON API)."""

from django.contrib.auth import authenticate, logout, password_validation, user_logged_in
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, permissions, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.email_addresses import EmailAddressSerializerField, validate_plain_email
from accounts.models import User
from accounts.places import US_STATES, validate_timezone
from accounts.services import (
    PasswordChangedMeanwhile,
    api_token,
    register_user,
    revoke_api_tokens,
    update_account,
)
from therapy_directory.validators import validate_single_line


def iana_timezone(value: str) -> str:
    """Serializer-level check of an IANA zone name (400 naming the field)."""
    try:
        validate_timezone(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages) from None
    return value


EMAIL_TAKEN = "An account with this e-mail already exists."


class RegisterSerializer(serializers.Serializer):
    email = EmailAddressSerializerField(max_length=254, validators=[validate_plain_email])
    password = serializers.CharField(
        write_only=True, max_length=128, style={"input_type": "password"}
    )
    name = serializers.CharField(max_length=150, validators=[validate_single_line])
    role = serializers.ChoiceField(choices=[User.Role.CLIENT, User.Role.THERAPIST])
    state = serializers.ChoiceField(choices=US_STATES, required=False, allow_blank=True)
    timezone = serializers.CharField(max_length=64)

    def validate_email(self, value: str) -> str:
        if User.objects.filter(email=value).exists():  # value is normalised by the field
            raise serializers.ValidationError(EMAIL_TAKEN)
        return value

    def validate_timezone(self, value: str) -> str:
        return iana_timezone(value)

    def validate(self, attrs):
        if attrs["role"] == User.Role.CLIENT and not attrs.get("state"):
            raise serializers.ValidationError(
                {"state": ["Clients give the state they live in: licensure follows the client."]}
            )
        candidate = User(email=attrs["email"], name=attrs["name"])
        try:
            password_validation.validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": exc.messages}) from None
        return attrs


class RegisteredSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    token = serializers.CharField()


@method_decorator(never_cache, name="dispatch")  # its answer holds a new token
class RegisterView(APIView):
    """PRODUCT.md fixes ``201 {id, token}`` here: the account exists at once, so a taken
    address has to be a 400 and this endpoint does tell whether an address is registered.
    The HTML sign-up does not (it answers by e-mail, accounts.services.request_signup);
    changing this contract is the product's call."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(request=RegisterSerializer, responses={201: RegisteredSerializer})
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user = register_user(**serializer.validated_data)
        except IntegrityError:  # taken meanwhile, or by an older row stored unnormalised
            raise serializers.ValidationError({"email": [EMAIL_TAKEN]}) from None
        token = api_token(user=user, new=True)
        return Response({"id": user.pk, "token": token}, status=status.HTTP_201_CREATED)


class TokenRequestSerializer(serializers.Serializer):
    # Normalised before authenticate() sees it: the lockout and the look-up agree.
    email = EmailAddressSerializerField()
    password = serializers.CharField(style={"input_type": "password"}, max_length=128)


NO_MATCH = "That e-mail and password do not match an account."


@method_decorator(never_cache, name="dispatch")  # its answer holds the token
class TokenView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            429: inline_serializer("LockedOut", {"detail": serializers.CharField()}),
        },
        description="Five failed attempts for one e-mail from one address lock it out for "
        "15 minutes: 429 with Retry-After.",
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # Django's own request: django-axes marks a lock-out on it, and AxesMiddleware
        # then answers 429 (accounts/lockout.py) instead of this view's 400.
        user = authenticate(
            request._request,
            username=serializer.validated_data["email"],
            password=serializer.validated_data["password"],
        )
        if user is None:
            raise serializers.ValidationError({"non_field_errors": [NO_MATCH]})
        try:
            key = api_token(user=user)
        except PasswordChangedMeanwhile:  # the password changed while we checked it
            raise serializers.ValidationError({"non_field_errors": [NO_MATCH]}) from None
        # A token is a log-in: last_login is updated and the failed-attempt count reset.
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        return Response({"token": key})


class LogoutView(APIView):
    """``POST auth/logout/``: the caller's API token stops working (401 from now on;
    ``auth/token/`` issues a new key). Called with the site's session, it also ends that
    session. The calendar-feed address is left alone: a password change replaces it."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        revoke_api_tokens(user=request.user)
        if isinstance(request.successful_authenticator, SessionAuthentication):
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "name", "role", "state", "timezone"]
        read_only_fields = ["id", "email", "role"]

    def validate_timezone(self, value: str) -> str:
        return iana_timezone(value)

    def validate(self, attrs):
        role = self.instance.role if self.instance else None
        if role == User.Role.CLIENT and "state" in attrs and not attrs["state"]:
            raise serializers.ValidationError({"state": ["Clients must give their state."]})
        return attrs


class MeView(generics.RetrieveUpdateAPIView):
    serializer_class = MeSerializer

    def get_object(self):
        return self.request.user

    def perform_update(self, serializer) -> None:
        serializer.instance = update_account(user=self.request.user, **serializer.validated_data)
