"""Reads of the audit log: the staff log with its filters, and a client's own
"who looked at my record". Both are one page query plus its count, whatever the size."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.email_addresses import normalise_email
from audit.models import AuditEvent
from providers.models import LicenseDecision

# What a client reads in "who looked at my record", by what the staff member opened.
WHAT_WAS_SEEN = {
    "booking": "A course you booked",
    "group": "The member list of a group you are in",
    "user": "Your account details",
    "reminder": "A reminder we could not deliver to you",
}


def _person(queryset, field: str, value: str):
    value = value.strip()
    if value.isdigit() and len(value) <= 18:  # an id (a longer number overflows bigint)
        return queryset.filter(**{f"{field}_id": int(value)})
    return queryset.filter(
        Q(**{f"{field}__email": normalise_email(value)}) | Q(**{f"{field}__name__icontains": value})
    )


class AuditEventFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(
        label="Who did it", method="filter_actor", help_text="E-mail, name or user id."
    )
    subject = django_filters.CharFilter(
        label="Whose data",
        method="filter_subject",
        help_text="E-mail, name or user id: the client's, or the therapist's for a license.",
    )
    action = django_filters.ChoiceFilter(
        label="Action", choices=AuditEvent.Action.choices, empty_label="Any action"
    )
    since = django_filters.DateFilter(
        label="From (day)",
        method="filter_since",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="In your time zone.",
    )
    until = django_filters.DateFilter(
        label="To (day)",
        method="filter_until",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="That day included.",
    )

    class Meta:
        model = AuditEvent
        fields: list[str] = []

    def filter_actor(self, queryset, name, value):
        return _person(queryset, "actor", value) if value.strip() else queryset

    def filter_subject(self, queryset, name, value):
        return _person(queryset, "subject", value) if value.strip() else queryset

    @staticmethod
    def _start_of(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())

    # Days outside these years would overflow once shifted to UTC; they filter nothing.
    EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(9000, 1, 1)

    def filter_since(self, queryset, name, value):
        if value < self.EARLIEST:
            return queryset
        return queryset.filter(created_at__gte=self._start_of(min(value, self.LATEST)))

    def filter_until(self, queryset, name, value):
        if value >= self.LATEST:
            return queryset
        day = max(value, self.EARLIEST)
        return queryset.filter(created_at__lt=self._start_of(day + dt.timedelta(days=1)))


def staff_log(params) -> tuple[AuditEventFilter, QuerySet[AuditEvent]]:
    search = AuditEventFilter(
        params or {}, queryset=AuditEvent.objects.select_related("actor", "subject")
    )
    qs = search.qs if search.is_valid() else AuditEvent.objects.none()
    return search, qs.order_by("-created_at", "-id")


def record_access_of(client) -> QuerySet[AuditEvent]:
    """Staff reads of this person's data, newest first."""
    return (
        AuditEvent.objects.staff_views_of(client)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )


def what_was_seen(event: AuditEvent) -> str:
    return WHAT_WAS_SEEN.get(event.target_type, "Your data")


# The audit action of each license decision, and the decision's own action.
LICENSE_DECISIONS = {
    AuditEvent.Action.LICENSE_VERIFIED: LicenseDecision.Action.VERIFIED,
    AuditEvent.Action.LICENSE_REJECTED: LicenseDecision.Action.REJECTED,
    AuditEvent.Action.LICENSE_EXPIRED: LicenseDecision.Action.EXPIRED,
}


def license_decisions_of(events) -> dict[int, LicenseDecision]:
    """For a page of events, the license decision each license event records (event id →
    decision, with its license and therapist): whose license it was, and the source checked
    or the reason given, which the decision keeps (the audit row keeps ids only). One
    query, none when the page has no license event."""
    keys = {
        event.pk: (event.target_id, LICENSE_DECISIONS[event.action])
        for event in events
        if event.target_type == "license" and event.action in LICENSE_DECISIONS
    }
    if not keys:
        return {}
    decisions = LicenseDecision.objects.filter(
        license_id__in={license_id for license_id, _ in keys.values()},
        action__in={action for _, action in keys.values()},
    ).select_related("license__therapist__user")
    # A license is decided at most once per action (pending → verified → expired, or
    # pending → rejected; a resubmission is a new license).
    by_key = {(d.license_id, d.action): d for d in decisions}
    return {pk: by_key[key] for pk, key in keys.items() if key in by_key}
