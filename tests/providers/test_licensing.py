import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.timezone import localdate

from providers import licensing
from providers.models import License, LicenseDecision, Therapist
from tests.factories import LicenseFactory, TherapistFactory, UserFactory, verified_license

pytestmark = pytest.mark.django_db


def test_verifying_a_pending_license_records_who_when_and_the_source(staff_verifier):
    license = LicenseFactory()
    licensing.verify_license(license_id=license.pk, by=staff_verifier, source="NY OP look-up")
    license.refresh_from_db()
    assert license.status == License.Status.VERIFIED
    assert license.verified_on == localdate()
    decision = license.decisions.get()
    assert decision.action == "verified"
    assert decision.decided_by == staff_verifier
    assert decision.source == "NY OP look-up"
    assert decision.decided_at is not None


def test_verifying_makes_the_therapist_findable_in_that_state_only(staff_verifier):
    license = LicenseFactory(state="NY")
    assert not Therapist.objects.findable_in("NY").exists()
    licensing.verify_license(license_id=license.pk, by=staff_verifier, source="board")
    assert list(Therapist.objects.findable_in("NY")) == [license.therapist]
    assert not Therapist.objects.findable_in("NJ").exists()


def test_rejecting_requires_a_reason_and_records_it(staff_verifier):
    license = LicenseFactory()
    with pytest.raises(ValidationError):
        licensing.reject_license(license_id=license.pk, by=staff_verifier, reason="  ")
    license.refresh_from_db()
    assert license.status == License.Status.PENDING
    licensing.reject_license(license_id=license.pk, by=staff_verifier, reason="No such number")
    license.refresh_from_db()
    assert license.status == License.Status.REJECTED
    assert license.decisions.get().reason == "No such number"


def test_verifying_requires_a_source(staff_verifier):
    license = LicenseFactory()
    with pytest.raises(ValidationError):
        licensing.verify_license(license_id=license.pk, by=staff_verifier, source="")
    assert not LicenseDecision.objects.exists()


@pytest.mark.parametrize("status", ["verified", "rejected", "expired"])
def test_a_decided_license_cannot_be_decided_again(staff_verifier, status):
    license = LicenseFactory(status=status, verified_on=localdate())
    with pytest.raises(licensing.InvalidTransition):
        licensing.verify_license(license_id=license.pk, by=staff_verifier, source="board")
    with pytest.raises(licensing.InvalidTransition):
        licensing.reject_license(license_id=license.pk, by=staff_verifier, reason="no")
    license.refresh_from_db()
    assert license.status == status
    assert not LicenseDecision.objects.exists()


def test_verifying_an_already_expired_license_is_refused(staff_verifier):
    license = LicenseFactory(expires_on=localdate() - dt.timedelta(days=1))
    with pytest.raises(licensing.InvalidTransition, match="expired"):
        licensing.verify_license(license_id=license.pk, by=staff_verifier, source="board")
    license.refresh_from_db()
    assert license.status == License.Status.PENDING


def test_only_staff_with_the_verify_permission_may_decide(db):
    license = LicenseFactory()
    plain_staff = UserFactory(role="staff", is_staff=True)
    for person in (plain_staff, license.therapist.user, UserFactory()):
        with pytest.raises(PermissionDenied):
            licensing.verify_license(license_id=license.pk, by=person, source="board")
        with pytest.raises(PermissionDenied):
            licensing.reject_license(license_id=license.pk, by=person, reason="no")
    license.refresh_from_db()
    assert license.status == License.Status.PENDING


def test_the_daily_task_expires_licenses_past_their_date_and_only_those():
    today = localdate()
    lapsed = verified_license(expires_on=today - dt.timedelta(days=1))
    last_day = verified_license(expires_on=today)
    assert licensing.expire_licenses(today=today) == 1
    lapsed.refresh_from_db()
    last_day.refresh_from_db()
    assert lapsed.status == License.Status.EXPIRED
    assert last_day.status == License.Status.VERIFIED
    decision = lapsed.decisions.filter(action="expired").get()
    assert decision.decided_by is None


def test_expiring_twice_changes_nothing_the_second_time():
    verified_license(expires_on=localdate() - dt.timedelta(days=3))
    assert licensing.expire_licenses() == 1
    assert licensing.expire_licenses() == 0
    assert LicenseDecision.objects.filter(action="expired").count() == 1


def test_a_license_past_its_date_stops_counting_even_before_the_task_runs():
    license = verified_license(expires_on=localdate() - dt.timedelta(days=1))
    assert not Therapist.objects.findable_in(license.state).exists()


def test_submitting_a_license_with_a_past_expiry_is_refused(therapist_user):
    with pytest.raises(ValidationError) as exc:
        licensing.submit_license(
            therapist=therapist_user.therapist,
            state="NY",
            license_type="LCSW",
            number="123",
            expires_on=localdate() - dt.timedelta(days=1),
        )
    assert "expires_on" in exc.value.message_dict
    assert not License.objects.exists()


def test_a_second_pending_license_for_the_same_state_and_type_is_refused(therapist_user):
    kwargs = dict(
        therapist=therapist_user.therapist,
        state="NY",
        license_type="LCSW",
        number="123",
        expires_on=localdate() + dt.timedelta(days=300),
    )
    licensing.submit_license(**kwargs)
    with pytest.raises(ValidationError):
        licensing.submit_license(**kwargs)
    assert License.objects.count() == 1


def test_a_rejected_license_can_be_resubmitted_as_a_new_one(therapist_user, staff_verifier):
    kwargs = dict(
        therapist=therapist_user.therapist,
        state="NY",
        license_type="LCSW",
        number="123",
        expires_on=localdate() + dt.timedelta(days=300),
    )
    first = licensing.submit_license(**kwargs)
    licensing.reject_license(license_id=first.pk, by=staff_verifier, reason="typo")
    second = licensing.submit_license(**kwargs)
    assert second.pk != first.pk
    assert second.status == License.Status.PENDING


def test_therapists_are_emailed_once_thirty_days_before_expiry(
    django_capture_on_commit_callbacks,
):
    today = localdate()
    soon = verified_license(expires_on=today + dt.timedelta(days=30))
    verified_license(expires_on=today + dt.timedelta(days=45))
    with django_capture_on_commit_callbacks(execute=True):
        assert licensing.send_license_expiry_notices(today=today) == 1
        assert licensing.send_license_expiry_notices(today=today) == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [soon.therapist.user.email]
    expires = soon.expires_on
    assert mail.outbox[0].subject.endswith(f"expires on {expires:%b} {expires.day}, {expires.year}")


def test_the_expiry_notice_window_is_a_setting(settings, django_capture_on_commit_callbacks):
    settings.LICENSE_EXPIRY_NOTICE_DAYS = 10
    today = localdate()
    verified_license(expires_on=today + dt.timedelta(days=20))
    soon = verified_license(expires_on=today + dt.timedelta(days=10))
    with django_capture_on_commit_callbacks(execute=True):
        assert licensing.send_license_expiry_notices(today=today) == 1
    assert [m.to for m in mail.outbox] == [[soon.therapist.user.email]]


def test_a_decision_emails_the_therapist_after_commit(
    staff_verifier, django_capture_on_commit_callbacks
):
    license = LicenseFactory(therapist=TherapistFactory())
    with django_capture_on_commit_callbacks(execute=True):
        licensing.reject_license(license_id=license.pk, by=staff_verifier, reason="Not found")
    assert len(mail.outbox) == 1
    assert "Not found" in mail.outbox[0].body
