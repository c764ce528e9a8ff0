"""GET me/record-access/: the API side of "who looked at my record" (additive to v1)."""

from __future__ import annotations

from rest_framework import generics, serializers

from audit import selectors
from audit.models import AuditEvent


class RecordAccessSerializer(serializers.ModelSerializer):
    at = serializers.DateTimeField(source="created_at")
    who = serializers.SerializerMethodField()
    role = serializers.CharField(source="actor_role", help_text="staff")
    what = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = ["id", "at", "who", "role", "what", "target_type"]

    def get_who(self, obj: AuditEvent) -> str:
        return obj.actor.name if obj.actor_id and obj.actor.name else "A staff member"

    def get_what(self, obj: AuditEvent) -> str:
        return selectors.what_was_seen(obj)


class MyRecordAccess(generics.ListAPIView):
    """Staff reads of the caller's data, newest first (paginated)."""

    serializer_class = RecordAccessSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.record_access_of(self.request.user)
