from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts.email_addresses import EmailAddressField
from accounts.forms import RapportAdminPasswordChangeForm
from accounts.models import User
from audit.services import record_staff_view


class EmailUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name", "role")
        field_classes = {"email": EmailAddressField}  # normalised as everywhere else


class EmailUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes = {"email": EmailAddressField}


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Users sign in with their e-mail; there is no username."""

    form = EmailUserChangeForm
    add_form = EmailUserCreationForm
    change_password_form = RapportAdminPasswordChangeForm  # revokes tokens and feed
    ordering = ("email",)
    list_display = ("email", "name", "role", "state", "is_staff", "is_active")
    list_filter = ("role", "is_staff", "is_superuser", "is_active", "state")
    search_fields = ("email", "name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "role", "state", "timezone")}),
        (
            "Permissions",
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ),
                "description": "Staff who verify licenses need the permission "
                "“providers | license | Can verify or reject therapists' licenses”; staff "
                "who read clients' bookings, sessions and group rosters need "
                "“accounts | user | Can view client records” (every read is audited).",
            },
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "name", "role", "usable_password", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            # One event per client listed on the page, in one INSERT.
            seen = [(u.pk, u.pk) for u in changelist.result_list if u.is_client]
            record_staff_view(request, target_type="user", seen=seen)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        user = self.get_object(request, object_id)
        if response.status_code == 200 and user is not None and user.is_client:
            record_staff_view(request, target_type="user", seen=[(user.pk, user.pk)])
        return response
