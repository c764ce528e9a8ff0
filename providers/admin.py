from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from providers import profiles, search_cache
from providers.models import (
    BoardLookup,
    Faith,
    Insurance,
    Language,
    License,
    LicenseDecision,
    Modality,
    Specialty,
    Therapist,
)


class ReferenceListAdmin(admin.ModelAdmin):
    """A list the search filters offer and the result cards name: an edit here changes
    search answers (the admin runs each change in one transaction)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        search_cache.directory_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        search_cache.directory_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        search_cache.directory_changed()


@admin.register(Modality)
class ModalityAdmin(ReferenceListAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Specialty)
class SpecialtyAdmin(ReferenceListAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Language)
class LanguageAdmin(ReferenceListAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")


@admin.register(Insurance)
class InsuranceAdmin(ReferenceListAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Faith)
class FaithAdmin(ReferenceListAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


class LicenseDecisionInline(admin.TabularInline):
    """The audit trail: written only by ``providers.licensing``."""

    model = LicenseDecision
    extra = 0
    can_delete = False
    fields = ("decided_at", "action", "decided_by", "source", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class LicenseInline(admin.TabularInline):
    model = License
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("state", "license_type", "number", "expires_on", "status", "verified_on")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Therapist)
class TherapistAdmin(admin.ModelAdmin):
    list_display = ("display_name", "user", "credentials", "accepting_new_clients", "fee")
    list_filter = ("accepting_new_clients", "sliding_scale", "modalities")
    search_fields = ("display_name", "user__email", "npi", "slug")
    autocomplete_fields = ("user",)
    filter_horizontal = ("modalities", "specialties", "languages", "insurance")
    readonly_fields = ("next_opening", "created_at", "updated_at")
    list_select_related = ("user",)
    inlines = [LicenseInline]

    def get_readonly_fields(self, request, obj=None):
        # A profile belongs to its user for good.
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "user") if obj is not None else fields

    def save_model(self, request, obj, form, change):
        """Through the one writer of a profile (its rules, the next opening, the search
        cache), links included: ``save_related`` leaves them alone."""
        data = form.cleaned_data
        changes = {name: data[name] for name in form.fields if name in profiles.EDITABLE}
        if change:
            saved = profiles.update_profile(therapist=obj, by=request.user, **changes)
        else:
            saved = profiles.create_profile(user=data["user"], **changes)
        # The admin goes on with ``obj`` (its log entry, its redirect).
        obj.pk, obj._state.adding = saved.pk, False

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # ModelAdmin runs the whole form in one atomic() block; the profile writer runs in
        # a transaction of its own (durable, bounded locks) and may not be nested in it.
        # The license inline is read-only, so the writer's transaction is all there is.
        return self._changeform_view(request, object_id, form_url, extra_context)


@admin.register(License)
class LicenseAdmin(admin.ModelAdmin):
    """Read-only: licenses are submitted by therapists and decided on the staff page, so
    every status change has its recorded decision."""

    list_display = ("therapist", "state", "license_type", "number", "status", "expires_on")
    list_filter = ("status", "state", "license_type")
    search_fields = ("number", "therapist__display_name", "therapist__user__email")
    list_select_related = ("therapist",)
    date_hierarchy = "expires_on"
    fields = (
        "therapist",
        "state",
        "license_type",
        "number",
        "expires_on",
        "status",
        "submitted_at",
        "verified_on",
        "expiry_notice_sent_on",
        "decide_link",
    )
    readonly_fields = fields
    inlines = [LicenseDecisionInline]

    @admin.display(description="Decide")
    def decide_link(self, obj):
        return format_html(
            '<a href="{}">Verify or reject on the staff license queue</a>',
            reverse("providers:staff_licenses"),
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Viewing stays allowed (view permission); nothing here can change a license.
        return False


@admin.register(BoardLookup)
class BoardLookupAdmin(admin.ModelAdmin):
    """The state boards' public license look-ups the staff queue links each license to:
    one per state and license type. A missing one shows "no look-up on file"."""

    list_display = ("state", "license_type", "name", "url")
    list_filter = ("license_type", "state")
    search_fields = ("name", "url", "state")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "url":
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)
