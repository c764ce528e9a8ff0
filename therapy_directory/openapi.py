"""The OpenAPI schema documents the errors every operation can answer (PRODUCT.md,
JSON API: 400 field errors, 401/403 for auth, 404 for what the caller may not see,
409 for conflicts, 413/415 for a body too large or not JSON, 503 when a lock was not
granted in time), so that clients, and schemathesis, can check them. Request bodies are
JSON only (the one parser, therapy_directory.parsers.StrictJSONParser)."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from rest_framework import permissions, serializers

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Writes that touch no booking, group or license state never answer 409.
NO_CONFLICT_PATHS = ("/api/v1/auth/", "/api/v1/me/availability/", "/api/v1/me/time-off/")
NO_CONFLICT_EXACT = {"/api/v1/me/", "/api/v1/me/profile/", "/api/v1/me/licenses/"}
# Writes that take no row lock never answer 503 ("busy, try again").
LOCK_FREE_PATHS = ("/api/v1/auth/",)
# Signed in is all these permissions ask; anything else can answer 403.
OPEN_PERMISSIONS = (permissions.AllowAny, permissions.IsAuthenticated)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ConflictSerializer(serializers.Serializer):
    """A domain conflict: the reason, and what the caller needs to act on it."""

    detail = serializers.CharField()
    conflicts = serializers.ListField(
        child=serializers.DateTimeField(), required=False, help_text="starts that are taken"
    )
    reasons = serializers.ListField(child=serializers.CharField(), required=False)
    status = serializers.CharField(required=False, help_text="the current state")
    waitlisted = serializers.IntegerField(required=False)


# Field name -> messages (or nested errors); a list body gives one such object per item.
VALIDATION_ERROR = {
    "oneOf": [
        {"type": "object", "additionalProperties": {}},
        {"type": "array", "items": {}},
    ],
    "description": "Field errors: each field names its messages.",
}


class RapportAutoSchema(AutoSchema):
    def _error_codes(self) -> dict[str, object]:
        view = self.view
        method = self.method.upper()
        codes: dict[str, object] = {}
        has_query = any(p.get("in") == "query" for p in self._get_parameters())
        has_body = method in UNSAFE and self.get_request_serializer() is not None
        if has_body or has_query:
            codes["400"] = VALIDATION_ERROR
        if has_body:
            codes["413"] = ErrorSerializer  # a body over DATA_UPLOAD_MAX_MEMORY_SIZE
            codes["415"] = ErrorSerializer  # a body in a media type the API does not read
        if view.get_authenticators():
            codes["401"] = ErrorSerializer  # a missing, wrong or expired token
        perms = view.get_permissions()
        open_to_anyone = all(isinstance(p, permissions.AllowAny) for p in perms)
        if any(not isinstance(p, OPEN_PERMISSIONS) for p in perms) or (
            method in UNSAFE and not open_to_anyone
        ):
            # A role the operation is not for, or a party the object refuses (services).
            codes["403"] = ErrorSerializer
        if "{" in self.path:
            codes["404"] = ErrorSerializer
        if (
            method in UNSAFE
            and not self.path.startswith(NO_CONFLICT_PATHS)
            and self.path not in NO_CONFLICT_EXACT
        ):
            codes["409"] = ConflictSerializer
        if method in UNSAFE and not self.path.startswith(LOCK_FREE_PATHS):
            # Busy: a row the change needs stayed locked by another change
            # (therapy_directory/transactions.py); nothing was written, retry shortly.
            codes["503"] = ErrorSerializer
        return codes

    def get_auth(self):
        """An operation open to anyone and reading no credentials (``auth/register/``,
        ``auth/token/``) states no security: ``[{}]`` means the same in OpenAPI, but
        generated clients read any security list as "needs a token"."""
        auth = super().get_auth()
        return [] if auth == [{}] else auth

    def _resolve_path_parameters(self, variables):
        """A router's ``lookup_value_regex = r"\\d+"`` is an id: an integer, as the paths
        typed ``<int:pk>`` say, not a string with a pattern (a generated client would
        otherwise take ``bookings/{id}/`` ids as strings and ``sessions/{id}/`` as ints)."""
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if parameter["schema"] == {"type": "string", "pattern": r"^\d+$"}:
                parameter["schema"] = {"type": "integer"}
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, body in self._error_codes().items():
            if code not in responses:
                responses[code] = self._get_response_for_code(body, code, direction=direction)
        return responses
