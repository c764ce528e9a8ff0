"""The audit log's license decisions (issue 16, item 5): whose license it was and the
source checked or the reason given, instead of "—"; date filters that are date inputs."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.timezone import localdate

from accounts.templatetags.us_time import us_datetime
from audit.models import AuditEvent
from providers import licensing
from providers.models import License
from tests.factories import LicenseFactory, TherapistFactory, UserFactory, make_verifier

pytestmark = pytest.mark.django_db

STAFF_LOG = reverse("audit:audit_log")


@pytest.fixture
def staff():
    return make_verifier(name="Sol Staffer")


def row_of(html: str, text: str) -> str:
    """The table row holding ``text``."""
    at = html.index(text, html.index("<tbody>"))
    return html[html.rindex("<tr>", 0, at) : html.index("</tr>", at)]


def test_a_verify_row_shows_the_therapist_and_the_source(client, staff):
    therapist = TherapistFactory(display_name="Maya Lindqvist")
    license = LicenseFactory(therapist=therapist, state="TX", license_type="LPC", number="LPC-77")
    licensing.verify_license(license_id=license.pk, by=staff, source="Texas BHEC look-up")
    client.force_login(staff)
    html = client.get(STAFF_LOG).content.decode()
    row = row_of(html, "License verified")
    assert "Maya Lindqvist" in row and therapist.user.email in row
    assert "Source: Texas BHEC look-up" in row
    assert "LPC license, Texas" in row and "No. LPC-77" in row
    assert "—" not in row


def test_a_reject_row_shows_the_therapist_and_the_reason(client, staff):
    therapist = TherapistFactory(display_name="Ann Lee")
    license = LicenseFactory(therapist=therapist, state="NY")
    licensing.reject_license(license_id=license.pk, by=staff, reason="No such number.")
    client.force_login(staff)
    row = row_of(client.get(STAFF_LOG).content.decode(), "License rejected")
    assert "Ann Lee" in row and "Reason: No such number." in row
    assert "—" not in row


def test_license_decisions_name_the_therapist_as_whose_data_it_is(client, staff):
    verified = LicenseFactory(state="NJ")
    rejected = LicenseFactory(state="CA")
    licensing.verify_license(license_id=verified.pk, by=staff, source="NJ look-up")
    licensing.reject_license(license_id=rejected.pk, by=staff, reason="Expired.")
    events = AuditEvent.objects.filter(target_type="license").order_by("id")
    assert [(e.action, e.subject_id) for e in events] == [
        ("license_verified", verified.therapist.user_id),
        ("license_rejected", rejected.therapist.user_id),
    ]
    # The audit row itself still keeps ids only: the reason stays with the decision.
    assert all(e.details == {} for e in events)
    # "Whose data" finds a therapist's license decisions.
    client.force_login(staff)
    found = client.get(STAFF_LOG, {"subject": verified.therapist.user.email})
    assert [e.action for e in found.context["page"]] == ["license_verified"]


def test_an_expiry_row_shows_the_therapist(client, staff):
    license = LicenseFactory(state="NY", status=License.Status.VERIFIED, verified_on=localdate())
    License.objects.filter(pk=license.pk).update(expires_on=localdate() - dt.timedelta(days=1))
    assert licensing.expire_licenses() == 1
    event = AuditEvent.objects.get(action="license_expired")
    assert event.subject_id == license.therapist.user_id
    client.force_login(staff)
    row = row_of(client.get(STAFF_LOG).content.decode(), "License expired")
    assert license.therapist.display_name in row and "Reason: The expiry date passed." in row


def test_rows_written_before_still_show_the_therapist_from_the_decision(client, staff):
    """A decision's audit row written without a subject (before this change) still reads
    whose license it was, from the decision it records."""
    license = LicenseFactory(state="NY")
    licensing.verify_license(license_id=license.pk, by=staff, source="NY look-up")
    AuditEvent.objects.create(
        action="license_verified", actor=staff, actor_role="staff", target_type="license",
        target_id=license.pk,
    )  # fmt: skip
    client.force_login(staff)
    html = client.get(STAFF_LOG).content.decode()
    assert html.count(license.therapist.display_name) == 2
    assert html.count("Source: NY look-up") == 2


def test_the_log_runs_the_same_queries_for_one_license_decision_or_many(client, staff):
    client.force_login(staff)
    client.get(STAFF_LOG)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(STAFF_LOG).status_code == 200
        return len(queries)

    first = LicenseFactory()
    licensing.verify_license(license_id=first.pk, by=staff, source="board")
    one = count()
    for i in range(15):
        license = LicenseFactory(state=["TX", "CA", "FL"][i % 3])
        if i % 2:
            licensing.verify_license(license_id=license.pk, by=staff, source=f"board {i}")
        else:
            licensing.reject_license(license_id=license.pk, by=staff, reason=f"reason {i}")
    assert count() == one


def test_dates_in_the_log_read_the_american_way_on_one_line(client, staff):
    license = LicenseFactory()
    licensing.verify_license(license_id=license.pk, by=staff, source="board")
    client.force_login(staff)
    html = client.get(STAFF_LOG).content.decode()
    event = AuditEvent.objects.get()
    with timezone.override(staff.timezone):
        shown = us_datetime(event.created_at)
    assert '<td data-label="When" class="nobr"><time datetime="' in html
    assert f">{shown}</time>" in html
    assert not re.search(r">\s*\w{3} \d{4}-\d{2}-\d{2}", html)


# --- Date inputs ----------------------------------------------------------------------------


def input_tag(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, name
    return match.group(0)


def test_the_audit_logs_date_filters_are_date_inputs(client, staff):
    client.force_login(staff)
    html = client.get(STAFF_LOG, {"since": "2026-03-01"}).content.decode()
    assert 'type="date"' in input_tag(html, "since")
    assert 'value="2026-03-01"' in input_tag(html, "since")
    assert 'type="date"' in input_tag(html, "until")


def test_the_groups_date_filter_is_a_date_input(client):
    client.force_login(UserFactory())
    html = client.get(reverse("booking:groups"), {"starts_after": "2027-01-04"}).content.decode()
    assert 'type="date"' in input_tag(html, "starts_after")
    assert 'value="2027-01-04"' in input_tag(html, "starts_after")


def test_no_staff_filter_form_has_a_text_box_for_a_date(client, staff):
    client.force_login(staff)
    for url in (STAFF_LOG, reverse("providers:staff_licenses")):
        html = client.get(url).content.decode()
        for tag in re.findall(r"<input[^>]*>", html):
            if re.search(r'name="(since|until|starts_after|\w*date\w*|\w*_on)"', tag):
                assert 'type="date"' in tag, (url, tag)
