import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils.timezone import localdate, now

from providers.models import Language, License, LicenseDecision, Therapist
from tests.accounts.test_pages import assert_crisis_banner
from tests.factories import (
    LicenseFactory,
    TherapistFactory,
    UserFactory,
    make_verifier,
    verified_license,
)

pytestmark = pytest.mark.django_db

SEARCH = reverse("providers:search")
VALID_NPI = "1234567893"


def findable_therapist(**kwargs) -> Therapist:
    therapist = TherapistFactory(**kwargs)
    verified_license(therapist=therapist, state="NY")
    return therapist


def profile_post_data(therapist: Therapist, **overrides) -> dict:
    data = {
        "display_name": therapist.display_name,
        "credentials": "PhD",
        "npi": "",
        "bio": "I practise interpersonal therapy.",
        "modalities": [m.pk for m in therapist.modalities.all()],
        "specialties": [],
        "languages": [],
        "formats": ["telehealth"],
        "office_city": "",
        "office_state": "",
        "fee": "120",
        "accepting_new_clients": "on",
        "timezone": "America/Chicago",
        "session_minutes": "50",
        "slot_step_minutes": "60",
        "notice_hours": "24",
    }
    data.update(overrides)
    return data


# --- Crisis banner on the app's pages ---------------------------------------------------


def test_the_profile_page_shows_the_988_crisis_banner(client):
    therapist = findable_therapist()
    assert_crisis_banner(client.get(therapist.get_absolute_url()))


@pytest.mark.parametrize("url_name", ["dashboard_profile", "dashboard_licenses"])
def test_the_dashboard_pages_show_the_988_crisis_banner(client, therapist_user, url_name):
    client.force_login(therapist_user)
    assert_crisis_banner(client.get(reverse(f"providers:{url_name}")))


@pytest.mark.parametrize("url_name", ["staff_licenses", "staff_licenses_expiring"])
def test_the_staff_pages_show_the_988_crisis_banner(client, staff_verifier, url_name):
    client.force_login(staff_verifier)
    assert_crisis_banner(client.get(reverse(f"providers:{url_name}")))


# --- Search --------------------------------------------------------------------------


def test_new_york_search_finds_a_therapist_with_a_nj_office_and_a_verified_ny_license(client):
    therapist = TherapistFactory(
        office_city="Newark", office_state="NJ", formats=["telehealth", "in_person"]
    )
    verified_license(therapist=therapist, state="NY")
    response = client.get(SEARCH, {"state": "NY"})
    assert list(response.context["page"].object_list) == [therapist]


@pytest.mark.parametrize("status", ["pending", "rejected", "expired"])
def test_new_york_search_skips_a_therapist_whose_ny_license_is_not_verified(client, status):
    LicenseFactory(state="NY", status=status, verified_on=localdate())
    nj_only = TherapistFactory()
    verified_license(therapist=nj_only, state="NJ")
    response = client.get(SEARCH, {"state": "NY"})
    assert list(response.context["page"].object_list) == []


def test_new_york_search_skips_a_verified_license_past_its_expiry_date(client):
    verified_license(state="NY", expires_on=localdate() - dt.timedelta(days=1))
    response = client.get(SEARCH, {"state": "NY"})
    assert list(response.context["page"].object_list) == []


def test_the_state_filter_names_the_state_in_words(client):
    findable_therapist()
    response = client.get(SEARCH, {"state": "NY"})
    assert "Showing therapists licensed in New York" in response.content.decode()


def test_a_result_card_shows_what_a_client_needs_to_choose(client):
    therapist = findable_therapist(
        display_name="Ana Ruiz", credentials="LCSW", fee=140, sliding_scale=True
    )
    therapist.languages.set(Language.objects.filter(code__in=["en", "es"]))
    html = client.get(SEARCH).content.decode()
    assert "AR" in html  # initials avatar
    assert "Ana Ruiz" in html and "LCSW" in html
    assert "Interpersonal Therapy (IPT)" in html
    today = localdate()
    assert f"Licensed in NY · verified {today:%b} {today.day}, {today.year}" in html
    assert "Telehealth (video)" in html
    assert "$140 per session" in html and "sliding scale" in html
    assert "Spanish" in html
    assert "Accepting new clients" in html
    assert f'href="{therapist.get_absolute_url()}#book"' in html


def test_the_next_opening_shows_in_new_york_time_for_a_visitor(client):
    findable_therapist(next_opening=dt.datetime(2026, 1, 6, 15, 0, tzinfo=dt.UTC))
    html = client.get(SEARCH).content.decode()
    assert re.search(r"Tue, Jan 6(, 2026)? · 10:00 AM ET", html)


def test_the_next_opening_shows_in_the_signed_in_viewers_time_zone(client):
    findable_therapist(next_opening=dt.datetime(2026, 1, 6, 15, 0, tzinfo=dt.UTC))
    client.force_login(UserFactory(timezone="America/Los_Angeles"))
    html = client.get(SEARCH).content.decode()
    assert re.search(r"Tue, Jan 6(, 2026)? · 7:00 AM PT", html)


@pytest.mark.parametrize(
    ("params", "field"),
    [({"state": "ZZ"}, "state"), ({"modality": "nope"}, "modality")],
)
def test_an_unknown_filter_value_shows_the_error_beside_the_field_and_no_results(
    client, params, field
):
    findable_therapist()
    response = client.get(SEARCH, params)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert response.context["page"] is None
    assert f'id="id_{field}_error"' in response.content.decode()


@pytest.mark.parametrize("page", ["abc", "999", "-1", "0"])
def test_a_bad_page_number_shows_a_page_instead_of_an_error(client, page):
    findable_therapist()
    response = client.get(SEARCH, {"page": page})
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 1


def test_no_results_suggest_widening_the_search(client):
    findable_therapist()
    response = client.get(SEARCH, {"state": "WY", "specialty": "grief"})
    html = response.content.decode()
    assert "No therapists match all of these filters" in html
    assert "Telehealth" in html
    assert "remove the focus area" in html


def test_results_are_paginated_twenty_a_page_and_page_links_keep_the_filters(client):
    for _ in range(21):
        findable_therapist()
    response = client.get(SEARCH, {"state": "NY", "modality": "ipt", "q": ""})
    assert len(response.context["page"].object_list) == 20
    html = response.content.decode()
    assert 'href="?state=NY&amp;modality=ipt&amp;page=2"' in html
    second = client.get(SEARCH, {"state": "NY", "modality": "ipt", "page": "2"})
    assert len(second.context["page"].object_list) == 1


@pytest.mark.parametrize(("value", "expected"), [("true", ["open"]), ("", ["full", "open"])])
def test_the_accepting_filter_is_yes_or_either(client, value, expected):
    findable_therapist(display_name="open", accepting_new_clients=True)
    findable_therapist(display_name="full", accepting_new_clients=False)
    response = client.get(SEARCH, {"accepting": value})
    assert [t.display_name for t in response.context["page"].object_list] == expected


def test_the_filter_panel_starts_with_the_state(client):
    names = [field.name for field in client.get(SEARCH).context["fields"]]
    assert names[:2] == ["state", "modality"]
    assert names[-1] == "ordering"


@pytest.mark.parametrize("count", [5, 50])
def test_the_search_page_runs_a_constant_number_of_queries(
    client, django_assert_max_num_queries, count
):
    spanish = Language.objects.get(code="es")
    for _ in range(count):
        therapist = findable_therapist(modalities=["ipt", "cbt"])
        therapist.languages.add(spanish)
        verified_license(therapist=therapist, state="NJ")
    with django_assert_max_num_queries(8):
        response = client.get(SEARCH, {"state": "NY", "ordering": "fee"})
    assert response.context["page"].paginator.count == count


# --- Profile -------------------------------------------------------------------------


def test_the_profile_lists_verified_licenses_only(client):
    therapist = findable_therapist()
    LicenseFactory(therapist=therapist, state="CA", status=License.Status.PENDING)
    LicenseFactory(therapist=therapist, state="TX", status=License.Status.REJECTED)
    verified_license(therapist=therapist, state="FL", expires_on=localdate() - dt.timedelta(1))
    html = client.get(therapist.get_absolute_url()).content.decode()
    assert "New York — LCSW, verified on" in html
    for state in ["California", "Texas", "Florida"]:
        assert state not in html


def test_the_profile_names_the_therapists_zone_as_people_say_it(client):
    therapist = findable_therapist(timezone="America/Chicago")
    html = client.get(therapist.get_absolute_url()).content.decode()
    assert "<dt>Therapist’s time zone</dt><dd>Central Time</dd>" in html
    assert "America/Chicago" not in html


def test_the_profile_has_an_honest_booking_section(client):
    therapist = findable_therapist()
    html = client.get(therapist.get_absolute_url()).content.decode()
    assert 'id="book"' in html
    assert "Course length" in html and "16 sessions" in html


def test_an_unfindable_therapist_is_a_404_for_the_public(client):
    therapist = TherapistFactory()
    LicenseFactory(therapist=therapist, state="NY")
    assert client.get(therapist.get_absolute_url()).status_code == 404


def test_an_unfindable_therapist_is_a_404_for_other_signed_in_people(client, client_user):
    therapist = TherapistFactory()
    client.force_login(client_user)
    assert client.get(therapist.get_absolute_url()).status_code == 404


def test_a_therapist_may_preview_their_own_unfindable_profile(client, therapist_user):
    client.force_login(therapist_user)
    response = client.get(therapist_user.therapist.get_absolute_url())
    assert response.status_code == 200
    assert "not visible to clients until a license is verified" in response.content.decode()


def test_staff_may_preview_an_unfindable_profile(client, staff_verifier):
    therapist = TherapistFactory()
    client.force_login(staff_verifier)
    response = client.get(therapist.get_absolute_url())
    assert response.status_code == 200
    assert response.context["preview"] is True


# --- Therapist dashboard -------------------------------------------------------------


def test_the_dashboard_profile_form_saves_the_profile(client, therapist_user):
    therapist = therapist_user.therapist
    client.force_login(therapist_user)
    data = profile_post_data(
        therapist,
        npi=VALID_NPI,
        formats=["telehealth", "in_person"],
        office_address="1 Washington Ave",
        office_zip="12207",
        office_city="Albany",
        office_state="NY",
        languages=[Language.objects.get(code="es").pk],
    )
    response = client.post(reverse("providers:dashboard_profile"), data)
    assert response.status_code == 302
    therapist.refresh_from_db()
    assert therapist.npi == VALID_NPI
    assert therapist.formats == ["telehealth", "in_person"]
    assert therapist.timezone == "America/Chicago"
    assert [lang.code for lang in therapist.languages.all()] == ["es"]


def test_the_dashboard_profile_form_rejects_a_bad_npi_and_saves_nothing(client, therapist_user):
    therapist = therapist_user.therapist
    client.force_login(therapist_user)
    response = client.post(
        reverse("providers:dashboard_profile"),
        profile_post_data(therapist, npi="1234567890", fee="999"),
    )
    assert response.status_code == 200
    assert "npi" in response.context["form"].errors
    assert 'id="id_npi_error"' in response.content.decode()
    therapist.refresh_from_db()
    assert therapist.npi == ""
    assert therapist.fee == 150


def test_in_person_needs_an_office(client, therapist_user):
    client.force_login(therapist_user)
    response = client.post(
        reverse("providers:dashboard_profile"),
        profile_post_data(therapist_user.therapist, formats=["in_person"]),
    )
    errors = response.context["form"].errors
    assert "office_zip" in errors and "office_address" in errors


def test_clients_get_a_404_on_the_therapist_dashboard(client, client_user):
    client.force_login(client_user)
    assert client.get(reverse("providers:dashboard_profile")).status_code == 404
    assert client.get(reverse("providers:dashboard_licenses")).status_code == 404


def test_a_therapist_without_a_verified_license_is_told_clients_cannot_find_them(
    client, therapist_user
):
    client.force_login(therapist_user)
    html = client.get(reverse("providers:dashboard_licenses")).content.decode()
    assert "Clients can’t find you until staff verify a license" in html


def test_submitting_a_license_creates_a_pending_license(client, therapist_user):
    client.force_login(therapist_user)
    expires = localdate() + dt.timedelta(days=400)
    response = client.post(
        reverse("providers:dashboard_licenses"),
        {"state": "NY", "license_type": "LCSW", "number": " 012345 ", "expires_on": expires},
    )
    assert response.status_code == 302
    license = therapist_user.therapist.licenses.get()
    assert (license.state, license.number, license.status) == ("NY", "012345", "pending")
    page = client.get(reverse("providers:dashboard_licenses")).content.decode()
    assert "Pending verification" in page


def test_submitting_a_license_with_a_past_expiry_shows_the_error_beside_the_date(
    client, therapist_user
):
    client.force_login(therapist_user)
    response = client.post(
        reverse("providers:dashboard_licenses"),
        {
            "state": "NY",
            "license_type": "LCSW",
            "number": "1",
            "expires_on": localdate() - dt.timedelta(days=1),
        },
    )
    assert response.status_code == 200
    assert "already expired" in response.context["form"].errors["expires_on"][0]
    assert 'id="id_expires_on_error"' in response.content.decode()
    assert not License.objects.exists()


def test_a_rejected_license_shows_the_reason_to_its_therapist(
    client, therapist_user, staff_verifier
):
    from providers import licensing

    license = LicenseFactory(therapist=therapist_user.therapist)
    licensing.reject_license(license_id=license.pk, by=staff_verifier, reason="Number not found")
    client.force_login(therapist_user)
    html = client.get(reverse("providers:dashboard_licenses")).content.decode()
    assert "Rejected" in html and "Number not found" in html


# --- Staff license queue -------------------------------------------------------------


def test_the_queue_lists_pending_licenses_oldest_first(client, staff_verifier):
    newer = LicenseFactory(state="NY")
    older = LicenseFactory(state="CA")
    License.objects.filter(pk=older.pk).update(submitted_at=now() - dt.timedelta(days=3))
    verified_license(state="TX")
    client.force_login(staff_verifier)
    response = client.get(reverse("providers:staff_licenses"))
    assert [item["license"] for item in response.context["items"]] == [older, newer]


def test_verifying_from_the_queue_records_the_decision(client, staff_verifier):
    license = LicenseFactory()
    client.force_login(staff_verifier)
    response = client.post(
        reverse("providers:staff_license_verify", args=[license.pk]),
        {"source": "NY Office of the Professions look-up"},
    )
    assert response.status_code == 302
    license.refresh_from_db()
    assert license.status == License.Status.VERIFIED
    decision = license.decisions.get()
    assert decision.decided_by == staff_verifier
    assert decision.source == "NY Office of the Professions look-up"


def test_rejecting_from_the_queue_records_the_reason(client, staff_verifier):
    license = LicenseFactory()
    client.force_login(staff_verifier)
    response = client.post(
        reverse("providers:staff_license_reject", args=[license.pk]), {"reason": "No such number"}
    )
    assert response.status_code == 302
    license.refresh_from_db()
    assert license.status == License.Status.REJECTED
    assert license.decisions.get().reason == "No such number"


def test_rejecting_without_a_reason_shows_an_error_and_changes_nothing(client, staff_verifier):
    license = LicenseFactory()
    client.force_login(staff_verifier)
    response = client.post(
        reverse("providers:staff_license_reject", args=[license.pk]), {"reason": "  "}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('providers:staff_licenses')}#license-{license.pk}"
    html = client.get(response["Location"]).content.decode()
    assert "Give the therapist a reason for the rejection." in html
    assert f'id="id_reject_{license.pk}_reason_error"' in html
    license.refresh_from_db()
    assert license.status == License.Status.PENDING
    assert not LicenseDecision.objects.exists()


def test_verifying_an_expired_license_shows_an_error_not_a_server_error(client, staff_verifier):
    license = LicenseFactory(expires_on=localdate() - dt.timedelta(days=2))
    client.force_login(staff_verifier)
    response = client.post(
        reverse("providers:staff_license_verify", args=[license.pk]),
        {"source": "board"},
        follow=True,
    )
    assert response.redirect_chain[-1][0].endswith(f"#license-{license.pk}")
    assert "it cannot be verified" in response.content.decode()
    license.refresh_from_db()
    assert license.status == License.Status.PENDING


def test_deciding_an_already_decided_license_shows_an_error(client, staff_verifier):
    license = verified_license()
    client.force_login(staff_verifier)
    response = client.post(
        reverse("providers:staff_license_reject", args=[license.pk]),
        {"reason": "oops"},
        follow=True,
    )
    assert response.request["PATH_INFO"] == reverse("providers:staff_licenses")
    assert "only pending licenses can be rejected" in response.content.decode()


def test_deciding_a_license_that_does_not_exist_is_a_404(client, staff_verifier):
    client.force_login(staff_verifier)
    response = client.post(
        reverse("providers:staff_license_verify", args=[987654]), {"source": "board"}
    )
    assert response.status_code == 404


def test_the_expiring_page_lists_licenses_expiring_within_sixty_days_soonest_first(
    client, staff_verifier
):
    later = verified_license(expires_on=localdate() + dt.timedelta(days=50))
    sooner = verified_license(expires_on=localdate() + dt.timedelta(days=10))
    verified_license(expires_on=localdate() + dt.timedelta(days=90))
    client.force_login(staff_verifier)
    response = client.get(reverse("providers:staff_licenses_expiring"))
    assert list(response.context["expiring"]) == [sooner, later]
    assert "test: state board look-up" in response.content.decode()


STAFF_URLS = [
    ("get", "staff_licenses"),
    ("get", "staff_licenses_expiring"),
    ("post", "staff_license_verify"),
    ("post", "staff_license_reject"),
]


@pytest.mark.parametrize(("method", "url_name"), STAFF_URLS)
@pytest.mark.parametrize("who", ["client", "therapist", "staff_without_permission"])
def test_the_staff_pages_are_a_404_for_anyone_without_the_verify_permission(
    client, method, url_name, who
):
    license = LicenseFactory()
    user = {
        "client": lambda: UserFactory(),
        "therapist": lambda: license.therapist.user,
        "staff_without_permission": lambda: UserFactory(role="staff", is_staff=True),
    }[who]()
    client.force_login(user)
    args = [license.pk] if "decide" in url_name or url_name.endswith(("verify", "reject")) else []
    url = reverse(f"providers:{url_name}", args=args)
    response = getattr(client, method)(url, {"source": "x", "reason": "x"})
    assert response.status_code == 404
    license.refresh_from_db()
    assert license.status == License.Status.PENDING


def test_staff_with_the_permission_see_the_queue(client):
    client.force_login(make_verifier())
    assert client.get(reverse("providers:staff_licenses")).status_code == 200


def test_the_admin_shows_a_license_read_only_with_its_decisions(client):
    license = verified_license()
    client.force_login(UserFactory(role="staff", is_staff=True, is_superuser=True))
    response = client.get(reverse("admin:providers_license_change", args=[license.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "test: state board look-up" in html
    assert 'name="status"' not in html
    assert client.get(reverse("admin:providers_license_add")).status_code == 403


@pytest.mark.parametrize("model", ["modality", "specialty", "language", "therapist"])
def test_admins_can_manage_the_directory_vocabulary(client, model):
    TherapistFactory()
    client.force_login(UserFactory(role="staff", is_staff=True, is_superuser=True))
    assert client.get(reverse(f"admin:providers_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:providers_{model}_add")).status_code == 200


def test_search_offers_booking_only_for_therapists_accepting_new_clients(client):
    from tests.factories import TherapistFactory, verified_license

    open_one = TherapistFactory(display_name="Open Ona", accepting_new_clients=True)
    full_one = TherapistFactory(display_name="Full Fred", accepting_new_clients=False)
    for therapist in (open_one, full_one):
        verified_license(therapist=therapist, state="NY")
    html = client.get("/therapists/?state=NY").content.decode()
    assert f"{open_one.get_absolute_url()}?state=NY#book" in html
    assert f"{full_one.get_absolute_url()}?state=NY#book" not in html


def test_the_keyword_box_is_a_search_input_with_one_type(client):
    page = client.get(reverse("providers:search")).content.decode()
    (tag,) = re.findall(r'<input[^>]*name="q"[^>]*>', page)
    assert re.findall(r'\btype="([^"]*)"', tag) == ["search"]
