"""The staff license queue (issue 16, item 4): 20 a page, oldest first, filtered by state
and license type with counts per state, each license linked to its state board's public
look-up, and a refused decision that leaves the reviewer on the queue with the error
beside the license."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.timezone import localdate, now

from accounts.places import US_STATES
from accounts.templatetags.us_time import us_date, us_datetime
from providers import board_lookups, licensing
from providers.models import BoardLookup, License
from tests.factories import LicenseFactory, UserFactory, verified_license

pytestmark = pytest.mark.django_db

QUEUE = reverse("providers:staff_licenses")
TX_BOARD = "https://vo.licensing.hpc.texas.gov/datamart/selSearchType.do"
NY_BOARD = "https://www.op.nysed.gov/verification-search"


def pending(n: int, *, days_ago: int = 0, **kwargs) -> list[License]:
    """``n`` pending licenses submitted ``days_ago`` days ago, a minute apart (the first
    is the oldest)."""
    made = []
    for i in range(n):
        license = LicenseFactory(**kwargs)
        submitted = now() - dt.timedelta(days=days_ago, minutes=n - i)
        License.objects.filter(pk=license.pk).update(submitted_at=submitted)
        license.refresh_from_db()
        made.append(license)
    return made


def card(html: str, license: License) -> str:
    """The queue's card of one license."""
    at = html.index(f'id="license-{license.pk}"')
    start = html.rindex("<li", 0, at)
    ends = [
        i for i in (html.find('<li class="card queue-item', at), html.find("</ol>", at)) if i > 0
    ]
    return html[start : min(ends)]


def queue_ids(response) -> list[int]:
    return [item["license"].pk for item in response.context["items"]]


@pytest.fixture
def staff(client, staff_verifier):
    client.force_login(staff_verifier)
    return staff_verifier


# --- Pages, order, filters, counts -------------------------------------------------------


def test_the_queue_shows_twenty_a_page_oldest_first(client, staff):
    licenses = pending(25)
    first = client.get(QUEUE)
    assert queue_ids(first) == [lic.pk for lic in licenses[:20]]
    html = first.content.decode()
    assert "1–20, page 1 of 2" in html
    assert 'href="?page=2" rel="next"' in html
    second = client.get(QUEUE, {"page": 2})
    assert queue_ids(second) == [lic.pk for lic in licenses[20:]]


def test_decided_licenses_are_not_in_the_queue(client, staff):
    waiting = pending(1)[0]
    verified_license(state="TX")
    assert queue_ids(client.get(QUEUE)) == [waiting.pk]


def test_the_queue_filters_by_state_and_license_type(client, staff):
    tx_lcsw = pending(2, state="TX", license_type="LCSW")
    tx_lpc = pending(1, state="TX", license_type="LPC")
    ny_lcsw = pending(1, state="NY", license_type="LCSW")
    assert queue_ids(client.get(QUEUE, {"state": "TX"})) == [
        lic.pk for lic in sorted(tx_lcsw + tx_lpc, key=lambda lic: lic.submitted_at)
    ]
    assert set(queue_ids(client.get(QUEUE, {"license_type": "LCSW"}))) == {
        lic.pk for lic in tx_lcsw + ny_lcsw
    }
    both = client.get(QUEUE, {"state": "TX", "license_type": "LPC"})
    assert queue_ids(both) == [tx_lpc[0].pk]
    assert "1 pending LPC — Licensed Professional Counselor license in Texas" in both.text


def test_the_pages_of_a_filtered_queue_keep_the_filters(client, staff):
    pending(21, state="TX", license_type="LMFT")
    pending(3, state="NY")
    html = client.get(QUEUE, {"state": "TX", "license_type": "LMFT"}).content.decode()
    assert 'href="?state=TX&amp;license_type=LMFT&amp;page=2" rel="next"' in html
    second = client.get(QUEUE, {"state": "TX", "license_type": "LMFT", "page": 2})
    assert len(queue_ids(second)) == 1


def test_blank_filters_leave_the_address(client, staff):
    """A GET form sends every field; the address keeps only the filters in use."""
    response = client.get(QUEUE, {"state": "", "license_type": "LPC", "page": ""})
    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?license_type=LPC"
    response = client.get(QUEUE, {"state": "", "license_type": ""})
    assert response["Location"] == QUEUE


def test_an_unknown_filter_is_a_400_naming_the_field(client, staff):
    pending(1)
    response = client.get(QUEUE, {"state": "ZZ"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_state_error"' in html
    assert "Some filters could not be used." in html
    assert response.context["items"] == []


def test_the_filter_form_offers_states_and_license_types(client, staff):
    html = client.get(QUEUE, {"state": "TX"}).content.decode()
    assert '<select name="state"' in html and '<select name="license_type"' in html
    assert '<option value="TX" selected>Texas</option>' in html
    assert '<option value="" selected>Any type</option>' in html


def test_the_queue_counts_pending_licenses_per_state_with_links_that_filter(client, staff):
    pending(4, state="TX")
    pending(3, state="NY", license_type="LPC")
    pending(1, state="CA")
    verified_license(state="TX")
    response = client.get(QUEUE)
    links = response.context["state_links"]
    assert [(link["state"], link["count"]) for link in links] == [("TX", 4), ("NY", 3), ("CA", 1)]
    html = response.content.decode()
    assert (
        f'href="{QUEUE}?state=TX">TX&nbsp;4<span class="visually-hidden"> pending in Texas' in html
    )
    assert "All states&nbsp;8" in html
    # Counts for one license type, and their links keep it.
    by_type = client.get(QUEUE, {"license_type": "LPC"})
    assert [(link["state"], link["count"]) for link in by_type.context["state_links"]] == [
        ("NY", 3)
    ]
    assert f'href="{QUEUE}?state=NY&amp;license_type=LPC" aria-current' not in by_type.text
    assert f'href="{QUEUE}?state=NY&amp;license_type=LPC"' in by_type.text
    # The state shown is marked.
    assert f'href="{QUEUE}?state=NY" aria-current="page"' in client.get(QUEUE, {"state": "NY"}).text


def test_dates_read_the_american_way(client, staff):
    license = pending(1, days_ago=2)[0]
    html = client.get(QUEUE).content.decode()
    assert us_date(license.expires_on) in html
    with timezone.override(staff.timezone):
        assert us_datetime(license.submitted_at) in html
    assert license.expires_on.isoformat() not in html


# --- The state board's look-up -------------------------------------------------------------


def test_each_license_links_to_its_state_boards_look_up(client, staff):
    tx = pending(1, state="TX", license_type="LPC")[0]
    ny = pending(1, state="NY", license_type="Psychologist")[0]
    html = client.get(QUEUE).content.decode()
    assert f'href="{TX_BOARD}" target="_blank" rel="noopener noreferrer"' in card(html, tx)
    assert "Texas Behavioral Health Executive Council" in card(html, tx)
    assert f'href="{NY_BOARD}"' in card(html, ny)


def test_a_license_with_no_look_up_on_file_says_so(client, staff):
    physician = pending(1, state="TX", license_type="MD")[0]
    in_dc = pending(1, state="DC", license_type="LCSW")[0]
    html = client.get(QUEUE).content.decode()
    for license in (physician, in_dc):
        assert "no look-up on file" in card(html, license)
        assert "data-board-lookup" not in card(html, license)
    # Only those who may add one are offered the admin's form, for that state and type.
    assert "add one in the admin" not in html


def test_an_admin_is_offered_to_add_a_missing_look_up(client):
    admin = UserFactory(role="staff", is_staff=True, is_superuser=True)
    client.force_login(admin)
    license = pending(1, state="DC", license_type="LCSW")[0]
    html = card(client.get(QUEUE).content.decode(), license)
    add = reverse("admin:providers_boardlookup_add")
    assert f'href="{add}?state=DC&amp;license_type=LCSW"' in html


def test_a_look_up_an_admin_changes_is_the_one_linked(client, staff):
    license = pending(1, state="NY", license_type="LMHC")[0]
    BoardLookup.objects.filter(state="NY", license_type="LMHC").update(
        name="NY mental health counselors", url="https://example.org/ny-lmhc"
    )
    html = card(client.get(QUEUE).content.decode(), license)
    assert 'href="https://example.org/ny-lmhc"' in html and "NY mental health counselors" in html


def test_the_seeded_look_ups_cover_the_states_and_the_therapy_licenses():
    rows = board_lookups.rows()
    assert BoardLookup.objects.count() == len(rows) == len({(s, t) for s, t, _, _ in rows})
    states = {code for code, _ in US_STATES}
    types = {code for code, _ in License.LICENSE_TYPES}
    assert {state for state, *_ in rows} <= states
    assert len({state for state, *_ in rows}) >= 45  # of the 50 states and DC
    assert {license_type for _, license_type, _, _ in rows} == types - {"MD", "PMHNP"}
    for state, _, name, url in rows:
        parts = urlsplit(url)
        assert parts.scheme in ("https", "http") and "." in parts.netloc, (state, url)
        assert name and "\n" not in name and len(name) <= 200
    # Psychologists, social workers, counselors and family therapists of the big states.
    for state in ("CA", "TX", "FL", "NY", "PA", "IL", "OH", "GA", "NC", "MI"):
        for license_type in ("Psychologist", "LCSW", "LPC", "LMHC", "LMFT"):
            assert BoardLookup.objects.filter(state=state, license_type=license_type).exists()


def test_the_admin_keeps_the_look_ups(client):
    client.force_login(UserFactory(role="staff", is_staff=True, is_superuser=True))
    changelist = client.get(reverse("admin:providers_boardlookup_changelist"), {"state": "TX"})
    assert changelist.status_code == 200
    assert "Texas Behavioral Health Executive Council" in changelist.text
    response = client.post(
        reverse("admin:providers_boardlookup_add"),
        {"state": "DC", "license_type": "LCSW", "name": "DC Board of Social Work", "url": "x"},
    )
    assert response.status_code == 200  # refused: not an address
    assert not BoardLookup.objects.filter(state="DC").exists()
    response = client.post(
        reverse("admin:providers_boardlookup_add"),
        {
            "state": "DC",
            "license_type": "LCSW",
            "name": "DC Board of Social Work",
            "url": "https://example.org/dc",
        },
    )
    assert response.status_code == 302
    duplicate = client.post(
        reverse("admin:providers_boardlookup_add"),
        {"state": "DC", "license_type": "LCSW", "name": "Again", "url": "https://example.org/2"},
    )
    assert duplicate.status_code == 200  # one look-up per state and license type
    assert BoardLookup.objects.filter(state="DC").count() == 1


# --- Deciding from the queue ---------------------------------------------------------------


def test_a_decision_sends_the_reviewer_back_to_the_same_page_and_filters(client, staff):
    licenses = pending(22, state="TX")
    last = licenses[-1]
    response = client.post(
        reverse("providers:staff_license_verify", args=[last.pk]) + "?state=TX&page=2",
        {"source": "Texas BHEC look-up"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?state=TX&page=2"
    last.refresh_from_db()
    assert last.status == License.Status.VERIFIED


def test_the_decision_forms_carry_the_queues_filters_and_page(client, staff):
    licenses = pending(21, state="TX")
    html = client.get(QUEUE, {"state": "TX", "page": 2}).content.decode()
    verify = reverse("providers:staff_license_verify", args=[licenses[-1].pk])
    reject = reverse("providers:staff_license_reject", args=[licenses[-1].pk])
    assert f'action="{verify}?state=TX&amp;page=2"' in html
    assert f'action="{reject}?state=TX&amp;page=2"' in html


def test_a_refused_verify_stays_on_the_queue_with_the_error_beside_the_license(client, staff):
    licenses = pending(22, state="TX", license_type="LPC")
    expired = licenses[-1]
    License.objects.filter(pk=expired.pk).update(expires_on=localdate() - dt.timedelta(days=1))
    response = client.post(
        reverse("providers:staff_license_verify", args=[expired.pk])
        + "?state=TX&license_type=LPC&page=2",
        {"source": "Texas BHEC look-up"},
    )
    assert response.status_code == 302
    assert response["Location"] == (
        f"{QUEUE}?state=TX&license_type=LPC&page=2#license-{expired.pk}"
    )
    queue = client.get(response["Location"])
    assert queue.status_code == 200
    assert queue_ids(queue) == [licenses[20].pk, expired.pk]  # the same page of the queue
    html = card(queue.content.decode(), expired)
    assert "queue-item--refused" in html
    assert "it cannot be verified" in html and 'role="alert"' in html
    assert 'value="Texas BHEC look-up"' in html  # what was typed, kept
    # The other license's card has no error, and the error is not shown twice.
    assert "errorlist" not in card(queue.content.decode(), licenses[20])
    assert "queue-item--refused" not in client.get(response["Location"]).text
    expired.refresh_from_db()
    assert expired.status == License.Status.PENDING


def test_a_verify_without_a_source_is_refused_beside_its_field(client, staff):
    license = pending(1, state="NY")[0]
    response = client.post(
        reverse("providers:staff_license_verify", args=[license.pk]) + "?state=NY",
        {"source": "NY board\nClick here"},
        follow=True,
    )
    assert response.redirect_chain == [(f"{QUEUE}?state=NY#license-{license.pk}", 302)]
    html = card(response.content.decode(), license)
    assert f'id="id_verify_{license.pk}_source_error"' in html
    assert "line" in html.split(f'id="id_verify_{license.pk}_source_error"')[1][:200].lower()
    assert f'aria-describedby="id_verify_{license.pk}_source_error' in html
    license.refresh_from_db()
    assert license.status == License.Status.PENDING


def test_a_refused_reject_keeps_its_reason_beside_the_license(client, staff):
    license = pending(1)[0]
    too_long = "r" * 2_001
    response = client.post(
        reverse("providers:staff_license_reject", args=[license.pk]), {"reason": too_long}
    )
    html = card(client.get(response["Location"]).content.decode(), license)
    assert f'id="id_reject_{license.pk}_reason_error"' in html
    assert "at most 2000 characters (it has 2001)" in html
    assert too_long in html
    license.refresh_from_db()
    assert license.status == License.Status.PENDING


def test_deciding_a_license_someone_else_decided_says_so_on_the_queue(client, staff):
    license = pending(1)[0]
    licensing.reject_license(license_id=license.pk, by=staff, reason="No such number.")
    response = client.post(
        reverse("providers:staff_license_verify", args=[license.pk]),
        {"source": "board"},
        follow=True,
    )
    assert response.request["PATH_INFO"] == QUEUE
    assert "already rejected; only pending licenses can be verified" in response.text


# --- Queries --------------------------------------------------------------------------------


def test_the_queue_runs_the_same_queries_for_two_licenses_or_a_full_page(client, staff):
    client.get(QUEUE)  # warm the session and the permission caches

    def count(params=None) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(QUEUE, params or {}).status_code == 200
        return len(queries)

    pending(1, state="TX", license_type="LPC")
    pending(1, state="NY", license_type="MD")
    few, few_filtered = count(), count({"state": "TX"})
    kinds = [("TX", "LCSW"), ("NY", "LMFT"), ("CA", "Psychologist"), ("DC", "LPC"), ("FL", "MD")]
    for i in range(40):
        state, license_type = kinds[i % len(kinds)]
        pending(1, state=state, license_type=license_type)
    assert count() == few
    assert count({"state": "TX"}) == few_filtered


# --- Other staff pages' dates ---------------------------------------------------------------


def test_the_expiring_page_reads_dates_the_american_way(client, staff):
    license = verified_license(expires_on=localdate() + dt.timedelta(days=20))
    html = client.get(reverse("providers:staff_licenses_expiring")).content.decode()
    assert us_date(license.expires_on) in html
    with timezone.override(staff.timezone):
        assert us_datetime(license.decisions.get().decided_at) in html
    assert not re.search(r">\s*\d{4}-\d{2}-\d{2}", html)
