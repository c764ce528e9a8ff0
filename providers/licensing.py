"""License lifecycle: the only code that changes a license's status.

pending → verified | rejected (staff, with the verify permission);
verified → expired (the daily task, once the expiry date has passed).
Each change writes its ``LicenseDecision`` in the same transaction.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.timezone import now

from audit import services as audit
from notifications.email import queue_email
from providers import search_cache
from providers.models import License, LicenseDecision, Therapist
from therapy_directory import clock
from therapy_directory.errors import DomainError
from therapy_directory.transactions import service_transaction
from therapy_directory.validators import limited_text, us_date, validate_fields


class InvalidTransition(DomainError):
    """The license is not in a state that allows this decision."""

    def __init__(self, detail: str, *, status: str):
        super().__init__(detail, status=status)


def _require_verifier(by) -> None:
    if not getattr(by, "can_verify_licenses", False):
        raise PermissionDenied("Only staff with the verify permission decide on licenses.")


# State licenses are renewed every one to three years (a few states allow four or five);
# an expiry date further ahead than this is a typo.
FURTHEST_EXPIRY = dt.timedelta(days=10 * 365)


def validate_expiry(expires_on: dt.date) -> None:
    """A license submitted today expires between today and ten years from now. The page's
    form and the API's serializer run this too, so the error sits beside the field."""
    today = clock.today()
    if expires_on < today:
        raise ValidationError(
            "This license has already expired; submit a current license.", code="expired"
        )
    if expires_on > today + FURTHEST_EXPIRY:
        raise ValidationError(
            "Give the expiry date shown by the state board: licenses expire within ten years "
            f"(by {us_date(today + FURTHEST_EXPIRY)}).",
            code="too_far",
        )


def submit_license(
    *, therapist: Therapist, state: str, license_type: str, number: str, expires_on: dt.date
) -> License:
    """A therapist submits a license; it counts for nothing until staff verify it."""
    errors = {}
    try:
        validate_expiry(expires_on)
    except ValidationError as exc:
        errors["expires_on"] = exc.messages
    number = number.strip()
    if not number:
        errors["number"] = "Enter the license number as the state board shows it."
    else:
        try:  # one line, 40 characters at most, a known state and type: the model's rules
            validate_fields(License, state=state, license_type=license_type, number=number)
        except ValidationError as exc:
            errors |= exc.message_dict
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            license = License.objects.create(
                therapist=therapist,
                state=state,
                license_type=license_type,
                number=number,
                expires_on=expires_on,
            )
            search_cache.directory_changed()
            return license
    except IntegrityError as exc:
        if "license_one_pending_per_state_type" not in str(exc):
            raise
        raise ValidationError(
            {
                "state": f"A {license_type} license in {state} is already waiting for "
                "verification; you can resubmit once it has been decided."
            }
        ) from exc


def verify_license(*, license_id: int, by, source: str) -> License:
    """Mark a pending, unexpired license verified, recording who checked which source."""
    _require_verifier(by)
    source = (source or "").strip()
    if not source:
        raise ValidationError({"source": "Say which source you checked (e.g. the state board)."})
    validate_fields(LicenseDecision, source=source)  # one line, 300 characters at most
    with service_transaction():
        license = License.objects.select_for_update().get(pk=license_id)
        today = clock.today()
        if license.status != License.Status.PENDING:
            raise InvalidTransition(
                f"This license is already {license.status}; only pending licenses can be verified.",
                status=license.status,
            )
        if license.expires_on < today:
            raise InvalidTransition(
                f"This license expired on {us_date(license.expires_on)}; it cannot be verified. "
                "Ask the therapist to submit their renewed license.",
                status=license.status,
            )
        license.status = License.Status.VERIFIED
        license.verified_on = today
        license.save(update_fields=["status", "verified_on"])
        search_cache.directory_changed()
        LicenseDecision.objects.create(
            license=license,
            action=LicenseDecision.Action.VERIFIED,
            decided_by=by,
            decided_at=now(),
            source=source,
        )
        audit.record(
            action=audit.Action.LICENSE_VERIFIED,
            actor=by,
            target=license,
            subject_id=license.therapist.user_id,  # whose data: the therapist's license
        )
        queue_email(
            to=[license.therapist.user.email],
            subject=f"Your {license.state} license is verified",
            template="notifications/email/license_verified.txt",
            context={"license": license},
        )
    return license


def reject_license(*, license_id: int, by, reason: str) -> License:
    """Reject a pending license with a reason the therapist will read."""
    _require_verifier(by)
    reason = limited_text(reason, field="reason")
    if not reason:
        raise ValidationError({"reason": "Give the therapist a reason for the rejection."})
    with service_transaction():
        license = License.objects.select_for_update().get(pk=license_id)
        if license.status != License.Status.PENDING:
            raise InvalidTransition(
                f"This license is already {license.status}; only pending licenses can be rejected.",
                status=license.status,
            )
        license.status = License.Status.REJECTED
        license.save(update_fields=["status"])
        search_cache.directory_changed()
        LicenseDecision.objects.create(
            license=license,
            action=LicenseDecision.Action.REJECTED,
            decided_by=by,
            decided_at=now(),
            reason=reason,
        )
        audit.record(
            action=audit.Action.LICENSE_REJECTED,
            actor=by,
            target=license,
            subject_id=license.therapist.user_id,
        )
        queue_email(
            to=[license.therapist.user.email],
            subject=f"Your {license.state} license could not be verified",
            template="notifications/email/license_rejected.txt",
            context={"license": license, "reason": reason},
        )
    return license


def expire_licenses(*, today: dt.date | None = None) -> int:
    """Move every verified license whose expiry date has passed to expired.
    Idempotent: a second run finds nothing to do. Returns how many expired."""
    today = today or clock.today()
    with service_transaction():
        expiring = list(
            # The licenses' rows only (not their therapists'), with whose they are.
            License.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=License.Status.VERIFIED, expires_on__lt=today)
            .values_list("id", "therapist__user_id")
        )
        ids = [license_id for license_id, _ in expiring]
        if not ids:
            return 0
        License.objects.filter(id__in=ids).update(status=License.Status.EXPIRED)
        search_cache.directory_changed()
        at = now()
        LicenseDecision.objects.bulk_create(
            [
                LicenseDecision(
                    license_id=license_id,
                    action=LicenseDecision.Action.EXPIRED,
                    decided_at=at,
                    reason="The expiry date passed.",
                )
                for license_id in ids
            ]
        )
        audit.record_many(
            action=audit.Action.LICENSE_EXPIRED,
            actor=None,
            target_type="license",
            rows=[(license_id, user_id, {}) for license_id, user_id in expiring],
        )
    return len(ids)


def send_license_expiry_notices(*, today: dt.date | None = None, days: int | None = None) -> int:
    """E-mail each therapist once when a verified license is within ``days`` of expiry
    (``LICENSE_EXPIRY_NOTICE_DAYS``, 30, unless given)."""
    today = today or clock.today()
    days = settings.LICENSE_EXPIRY_NOTICE_DAYS if days is None else days
    due = (
        License.objects.valid(today)
        .filter(expires_on__lte=today + dt.timedelta(days=days), expiry_notice_sent_on=None)
        .select_related("therapist__user")
    )
    sent = 0
    for license in due:
        with transaction.atomic():
            # Claim the row: only one worker may send this notice.
            claimed = License.objects.filter(pk=license.pk, expiry_notice_sent_on=None).update(
                expiry_notice_sent_on=today
            )
            if claimed != 1:
                continue
            queue_email(
                to=[license.therapist.user.email],
                subject=f"Your {license.state} license expires on {us_date(license.expires_on)}",
                template="notifications/email/license_expiring.txt",
                context={"license": license},
            )
            sent += 1
    return sent
