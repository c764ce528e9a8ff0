from django.contrib import admin

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is written by the services alone and never changed."""

    list_display = ("created_at", "action", "actor", "actor_role", "target_type", "target_id")
    list_filter = ("action", "actor_role", "target_type")
    list_select_related = ("actor", "subject")
    search_fields = ("actor__email", "subject__email")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
