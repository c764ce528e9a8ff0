"""Issue 18, item 3: a program's weekly individual course (``Group.individual``). Taking a
seat books it with the therapist in the same transaction as the enrolment, or a 409 names
every week that fails and nothing is written; the waitlist books none until the seat is
offered; the therapist sets it on the group form and in ``me/groups/``; the group page
shows the weekly times free for the whole program and says what failed beside its form."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.templatetags.us_time import us_datetime
from booking import availability
from booking.courses import services as courses
from booking.exceptions import IndividualCourseConflict
from booking.groups import services as groups
from booking.models import Booking, Enrolment, Group, Session
from providers.models import Modality, Therapist
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import at, book, client_in, next_weekday, row_locked
from therapy_directory.transactions import Busy, service_transaction

NY = ZoneInfo("America/New_York")
GROUPS = "/api/v1/groups/"
MY_GROUPS = "/api/v1/me/groups/"


@pytest.fixture
def therapist(db):
    return group_therapist()  # group and IPT; weekdays 9–17 New York


@pytest.fixture
def as_user():
    """An API client signed in with the user's token (as tests/api/conftest.py's)."""

    def make(user) -> APIClient:
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0]}")
        return api

    return make


def program(therapist, individual="offered", **fields) -> Group:
    """A Wednesday 6 PM intensive program of 8 weeks (make_group's), with an individual
    course ``individual``."""
    return make_group(
        therapist, title="Evening IOP", kind="intensive", individual=individual, **fields
    )


def thursday(group: Group, hour: int = 10) -> dt.datetime:
    """The Thursday after the program's first meeting, at ``hour`` New York time."""
    first = group.meetings.order_by("start").first().start.astimezone(NY).date()
    return at(first + dt.timedelta(days=1), hour)


def counts() -> tuple[int, int, int]:
    return Enrolment.objects.count(), Booking.objects.count(), Session.objects.count()


def inserted_by(model, pk: int) -> str:
    """The id of the transaction that wrote the row (PostgreSQL's ``xmin``)."""
    return model.objects.filter(pk=pk).annotate(xid=RawSQL("xmin::text", [])).get().xid


# --- The service --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_enrolling_books_the_weekly_individual_course_in_the_same_transaction():
    therapist = group_therapist()
    group = program(therapist)
    client = client_in()
    start = thursday(group)
    enrolment = groups.enrol(client=client, group_id=group.pk, individual_start=start)
    booking = enrolment.individual_booking
    assert enrolment.status == "enrolled" and booking is not None
    assert (booking.client, booking.therapist_id, booking.weeks) == (client, therapist.pk, 8)
    assert (booking.modality.slug, booking.format) == ("ipt", "telehealth")
    sessions = list(booking.sessions.order_by("start"))
    assert [s.start for s in sessions] == [start + dt.timedelta(weeks=k) for k in range(8)]
    assert {(s.start.astimezone(NY).weekday(), s.start.astimezone(NY).hour) for s in sessions} == {
        (3, 10)
    }
    # One transaction wrote both: the enrolment row and the course's row.
    assert inserted_by(Enrolment, enrolment.pk) == inserted_by(Booking, booking.pk)


@pytest.mark.django_db(transaction=True)
def test_the_therapist_is_locked_before_the_group_and_a_busy_one_writes_nothing(settings):
    settings.LOCK_TIMEOUT_MS = 200
    therapist = group_therapist()
    group = program(therapist)
    with row_locked(Therapist, therapist.pk):
        with pytest.raises(Busy):
            groups.enrol(client=client_in(), group_id=group.pk, individual_start=thursday(group))
        assert not Enrolment.objects.exists() and not Booking.objects.exists()
        # Without an individual course, the enrolment takes no therapist lock.
        assert groups.enrol(client=client_in(), group_id=group.pk).status == "enrolled"


def test_the_writing_half_of_a_course_never_opens_a_transaction_of_its_own(therapist):
    kwargs = {
        "client": client_in(),
        "therapist": therapist,
        "start": at(next_weekday(3), 10),
        "weeks": 2,
        "modality": Modality.objects.get(slug="ipt"),
        "format": "telehealth",
    }
    with service_transaction():
        # A durable transaction cannot nest in another: hence the writing half.
        with pytest.raises(RuntimeError), service_transaction():
            pass
        courses.book_course_locked(**kwargs)
    assert Booking.objects.filter(client=kwargs["client"]).count() == 1


def test_a_week_that_fails_is_a_409_naming_it_and_nothing_is_written(therapist):
    group = program(therapist)
    start = thursday(group)
    taken = start + dt.timedelta(weeks=2)
    book(client_in(), therapist, taken, weeks=1)
    before = counts()
    with pytest.raises(IndividualCourseConflict) as refused:
        groups.enrol(client=client_in(), group_id=group.pk, individual_start=start)
    assert refused.value.http_status == 409
    assert refused.value.as_dict()["conflicts"] == [
        {"start": taken.astimezone(dt.UTC).isoformat(), "reason": "taken"}
    ]
    assert counts() == before


def test_weeks_outside_the_hours_are_each_named(therapist):
    group = program(therapist, weeks=3)
    evening = thursday(group, hour=20)  # hours end at 5 PM
    with pytest.raises(IndividualCourseConflict) as refused:
        groups.enrol(client=client_in(), group_id=group.pk, individual_start=evening)
    assert [reason for _, reason in refused.value.weeks] == ["outside_hours"] * 3
    assert not Enrolment.objects.exists()


def test_a_week_away_is_skipped_and_the_course_runs_a_week_longer(therapist):
    group = program(therapist, weeks=4)
    start = thursday(group)
    away = (start + dt.timedelta(weeks=1)).astimezone(NY).date()
    availability.add_time_off(therapist=therapist, start_date=away, end_date=away)
    booking = groups.enrol(
        client=client_in(), group_id=group.pk, individual_start=start
    ).individual_booking
    assert booking.skipped == [away]
    assert booking.sessions.count() == 4
    assert booking.sessions.order_by("start").last().start == start + dt.timedelta(weeks=4)


def test_required_without_a_start_is_refused_naming_the_field(therapist):
    group = program(therapist, individual="required")
    with pytest.raises(ValidationError) as refused:
        groups.enrol(client=client_in(), group_id=group.pk)
    assert "individual_start" in refused.value.message_dict
    assert counts()[0] == 0


def test_a_start_for_a_group_without_an_individual_course_is_refused(therapist):
    group = program(therapist, individual="none")
    with pytest.raises(ValidationError) as refused:
        groups.enrol(client=client_in(), group_id=group.pk, individual_start=thursday(group))
    assert "individual_start" in refused.value.message_dict
    assert counts()[:2] == (0, 0)


def test_offered_and_not_chosen_is_the_enrolment_only(therapist):
    group = program(therapist)
    enrolment = groups.enrol(client=client_in(), group_id=group.pk)
    assert enrolment.status == "enrolled" and enrolment.individual_booking is None
    assert not Booking.objects.exists()


def test_a_start_outside_the_program_is_refused(therapist):
    group = program(therapist, weeks=2)
    late = thursday(group) + dt.timedelta(weeks=3)  # after the last meeting
    with pytest.raises(ValidationError) as refused:
        groups.enrol(client=client_in(), group_id=group.pk, individual_start=late)
    assert "during the program" in refused.value.message_dict["individual_start"][0]


def test_the_therapy_is_the_groups_when_offered_else_ipt_and_never_group(db):
    therapist = group_therapist(modalities=["group", "cbt", "ipt"])
    cbt = program(therapist, modality="cbt")
    booking = groups.enrol(
        client=client_in(), group_id=cbt.pk, individual_start=thursday(cbt)
    ).individual_booking
    assert booking.modality.slug == "cbt"
    other = program(therapist, start_time=dt.time(19, 45))
    assert other.modality.slug == "group"
    assert groups.default_individual_modality(other, therapist).slug == "ipt"
    with pytest.raises(ValidationError) as refused:
        groups.enrol(
            client=client_in(),
            group_id=other.pk,
            individual_start=thursday(other, hour=11),
            modality="group",
        )
    assert "modality" in refused.value.message_dict


def test_a_therapist_not_accepting_new_clients_still_books_their_members_course(therapist):
    group = program(therapist)
    Therapist.objects.filter(pk=therapist.pk).update(accepting_new_clients=False)
    enrolment = groups.enrol(
        client=client_in(), group_id=group.pk, individual_start=thursday(group)
    )
    assert enrolment.individual_booking is not None


def test_a_waitlisted_enrolment_books_no_course(therapist):
    group = program(therapist, individual="required", capacity=1)
    groups.enrol(client=client_in(), group_id=group.pk, individual_start=thursday(group))
    waiting = client_in()
    # Required, yet no time is asked of someone who joins the waitlist; one given is not used.
    enrolment = groups.enrol(
        client=waiting, group_id=group.pk, individual_start=thursday(group, hour=11)
    )
    assert enrolment.status == "waitlisted" and enrolment.individual_booking is None
    assert not Booking.objects.filter(client=waiting).exists()
    assert groups.enrol(client=client_in(), group_id=group.pk).status == "waitlisted"


def test_accepting_the_offer_books_the_course_and_requires_its_start(therapist):
    group = program(therapist, individual="required", capacity=1)
    member, waiting = client_in(), client_in()
    groups.enrol(client=member, group_id=group.pk, individual_start=thursday(group))
    groups.enrol(client=waiting, group_id=group.pk)
    groups.leave(client=member, group_id=group.pk)
    # Leaving the group leaves the member's individual course as it is.
    assert Booking.objects.get(client=member).status == "pending"
    assert Enrolment.objects.get(client=waiting).status == "offered"
    with pytest.raises(ValidationError) as refused:
        groups.accept_offer(client=waiting, group_id=group.pk)
    assert "individual_start" in refused.value.message_dict
    with pytest.raises(IndividualCourseConflict):  # the member kept Thursdays at 10
        groups.accept_offer(client=waiting, group_id=group.pk, individual_start=thursday(group))
    assert Enrolment.objects.get(client=waiting).status == "offered"
    assert not Booking.objects.filter(client=waiting).exists()
    friday = thursday(group) + dt.timedelta(days=1)
    enrolment = groups.accept_offer(client=waiting, group_id=group.pk, individual_start=friday)
    assert enrolment.status == "enrolled"
    assert enrolment.individual_booking.sessions.order_by("start").first().start == friday


# --- The therapist's setting -----------------------------------------------------------------


def test_offering_needs_a_program_a_course_can_cover_and_an_individual_therapy(db):
    therapist = group_therapist()
    with pytest.raises(ValidationError) as refused:
        program(therapist, weeks=20)
    assert "16 weeks" in refused.value.message_dict["individual"][0]
    only_groups = group_therapist(modalities=["group"])
    with pytest.raises(ValidationError) as refused:
        program(only_groups)
    assert "individual" in refused.value.message_dict
    assert program(only_groups, individual="none").individual == "none"
    assert make_group(therapist).individual == "none"  # the default


def test_the_therapist_sets_it_in_me_groups_and_everyone_reads_it(as_user, therapist):
    body = {
        "title": "Evening IOP",
        "modality": "group",
        "kind": "intensive",
        "format": "telehealth",
        "weekday": 2,
        "start_time": "18:00",
        "start_date": next_weekday(2).isoformat(),
        "weeks": 8,
        "capacity": 8,
        "states": ["NY"],
        "individual": "required",
    }
    created = as_user(therapist.user).post(MY_GROUPS, body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["individual"] == "required"
    pk = created.json()["id"]
    changed = as_user(therapist.user).patch(
        f"{MY_GROUPS}{pk}/", {"individual": "offered"}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["individual"] == "offered"
    wrong = as_user(therapist.user).patch(f"{MY_GROUPS}{pk}/", {"individual": "x"}, format="json")
    assert wrong.status_code == 400 and "individual" in wrong.json()
    too_long = as_user(therapist.user).patch(f"{MY_GROUPS}{pk}/", {"weeks": 20}, format="json")
    assert too_long.status_code == 400 and "individual" in too_long.json()
    assert as_user(client_in()).get(f"{GROUPS}{pk}/").json()["individual"] == "offered"
    listed = as_user(client_in()).get(GROUPS).json()["results"]
    assert [g["individual"] for g in listed if g["id"] == pk] == ["offered"]


def test_the_therapist_sets_it_on_the_group_form(client, therapist):
    client.force_login(therapist.user)
    response = client.post(
        reverse("booking:create_group"),
        {
            "title": "Morning IOP",
            "kind": "intensive",
            "modality": "group",
            "format": "telehealth",
            "weekdays": "1",
            "start_time": "08:00",
            "meeting_minutes": "180",
            "start_date": next_weekday(1).isoformat(),
            "weeks": "6",
            "capacity": "8",
            "states": ["NY"],
            "individual": "required",
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert Group.objects.get(title="Morning IOP").individual == "required"
    form = client.get(reverse("booking:create_group")).content.decode()
    assert 'name="individual"' in form and "Individual sessions" in form


# --- The API ---------------------------------------------------------------------------------


def test_enrol_answers_201_with_the_booking(as_user, therapist):
    group = program(therapist)
    response = as_user(client_in()).post(
        f"{GROUPS}{group.pk}/enrol/",
        {"individual_start": thursday(group).isoformat(), "modality": "ipt"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "enrolled"
    assert Booking.objects.get(pk=data["booking"]).weeks == 8
    plain = as_user(client_in()).post(f"{GROUPS}{group.pk}/enrol/", {}, format="json")
    assert plain.status_code == 201 and plain.json()["booking"] is None


def test_enrol_answers_409_naming_the_weeks_and_writes_nothing(as_user, therapist):
    group = program(therapist)
    start = thursday(group)
    taken = [start + dt.timedelta(weeks=1), start + dt.timedelta(weeks=5)]
    for week in taken:
        book(client_in(), therapist, week, weeks=1)
    before = counts()
    response = as_user(client_in()).post(
        f"{GROUPS}{group.pk}/enrol/", {"individual_start": start.isoformat()}, format="json"
    )
    assert response.status_code == 409
    data = response.json()
    assert data["conflicts"] == [
        {"start": week.astimezone(dt.UTC).isoformat(), "reason": "taken"} for week in taken
    ]
    assert "2 of its 8 weeks" in data["detail"]
    # Said as people read dates (the ISO times are in ``conflicts``, for programs).
    assert re.search(
        r"[A-Z][a-z]{2}, [A-Z][a-z]{2} \d{1,2} · \d{1,2}:\d\d [AP]M ET", data["detail"]
    )
    assert not re.search(r"\d{4}-\d\d-\d\d", data["detail"])
    assert counts() == before


@pytest.mark.parametrize(
    ("individual", "body"),
    [("required", {}), ("none", {"individual_start": "START"})],
    ids=["required-without", "none-with"],
)
def test_enrol_answers_400_naming_individual_start(as_user, therapist, individual, body):
    group = program(therapist, individual=individual)
    body = {k: thursday(group).isoformat() if v == "START" else v for k, v in body.items()}
    response = as_user(client_in()).post(f"{GROUPS}{group.pk}/enrol/", body, format="json")
    assert response.status_code == 400
    assert "individual_start" in response.json()
    assert counts()[:2] == (0, 0)


def test_accept_takes_individual_start(as_user, therapist):
    group = program(therapist, individual="required", capacity=1)
    member, waiting = client_in(), client_in()
    groups.enrol(client=member, group_id=group.pk, individual_start=thursday(group))
    groups.enrol(client=waiting, group_id=group.pk)
    groups.leave(client=member, group_id=group.pk)
    url = f"{GROUPS}{group.pk}/accept/"
    assert "individual_start" in as_user(waiting).post(url).json()
    friday = (thursday(group) + dt.timedelta(days=1)).isoformat()
    response = as_user(waiting).post(url, {"individual_start": friday}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "enrolled"
    assert Booking.objects.get(pk=response.json()["booking"]).client == waiting


def test_the_schema_documents_the_new_fields_and_the_409(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    enrol = schema["paths"]["/api/v1/groups/{id}/enrol/"]["post"]
    body = enrol["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/")[-1]
    assert {"waitlist", "individual_start", "modality"} <= set(components[body]["properties"])
    conflict = enrol["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
    week = components[conflict.rsplit("/")[-1]]["properties"]["conflicts"]["items"]["$ref"]
    assert set(components[week.rsplit("/")[-1]]["properties"]) == {"start", "reason"}
    assert "booking" in components["Enrolment"]["properties"]
    accept = schema["paths"]["/api/v1/groups/{id}/accept/"]["post"]
    assert "requestBody" in accept and "409" in accept["responses"]
    assert "individual" in components["Group"]["properties"]


# --- The group page --------------------------------------------------------------------------


def test_the_page_shows_the_weekly_times_free_for_the_whole_program(client, therapist):
    group = program(therapist)
    client.force_login(client_in(tz="America/Los_Angeles"))
    page = client.get(group.get_absolute_url()).content.decode()
    assert 'id="individual"' in page and "Weekly times free for all 8 weeks" in page
    # Thursday 10 AM in New York is 7 AM for a viewer in Los Angeles.
    chosen = client.get(group.get_absolute_url(), {"time": "thu-0700"}).content.decode()
    summary = re.search(r'<p class="summary" id="summary">(.*?)</p>', chosen, re.S).group(1)
    assert "8 sessions · Thursdays 7:00 AM PT" in summary
    start = thursday(group).astimezone(dt.UTC).isoformat()
    assert f'name="individual_start" value="{start}"' in chosen
    assert "Join without individual sessions" in chosen


def test_the_page_joins_and_books_the_chosen_time(client, therapist):
    group = program(therapist)
    member = client_in()
    client.force_login(member)
    response = client.post(
        reverse("booking:group_enrol", args=[group.pk]),
        {"individual_start": thursday(group).isoformat(), "time": "thu-1000"},
        follow=True,
    )
    assert response.status_code == 200
    assert "weekly individual session is requested: 8 sessions" in response.content.decode()
    assert Enrolment.objects.get(client=member).status == "enrolled"
    assert Booking.objects.get(client=member).weeks == 8


def test_a_refused_week_is_said_in_plain_words_beside_the_form(client, therapist):
    group = program(therapist)
    start = thursday(group)
    taken = start + dt.timedelta(weeks=3)
    book(client_in(), therapist, taken, weeks=1)
    before = counts()
    client.force_login(client_in())
    response = client.post(
        reverse("booking:group_enrol", args=[group.pk]),
        {"individual_start": start.isoformat(), "time": "thu-1000"},
    )
    assert response.status_code == 409
    page = response.content.decode()
    section = page[page.index('id="individual"') :]
    assert section.index('id="conflicts"') < section.index('id="times"')
    with timezone.override(NY):
        assert f"{us_datetime(taken)}</time> — already booked" in section
    assert "1 of the 8 weeks of your individual sessions can’t be booked" in section
    assert "you have not joined" in section
    # Shown at the address it was sent to, its links go back to the program's page.
    assert f'href="{group.get_absolute_url()}?from=' in section
    assert counts() == before


def test_required_without_a_time_is_said_beside_the_form(client, therapist):
    group = program(therapist, individual="required")
    client.force_login(client_in())
    response = client.post(reverse("booking:group_enrol", args=[group.pk]), {})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="enrol-errors"' in page[page.index('id="individual"') :]
    assert "choose its weekly time" in page
    assert not Enrolment.objects.exists()


def test_a_full_program_says_the_time_is_chosen_when_a_seat_is_offered(client, therapist):
    group = program(therapist, capacity=1)
    groups.enrol(client=client_in(), group_id=group.pk)
    client.force_login(client_in())
    page = client.get(group.get_absolute_url()).content.decode()
    assert 'id="individual"' not in page
    assert "when a seat is offered to you" in page


def test_the_leave_page_says_the_individual_course_stays(client, therapist):
    group = program(therapist)
    member = client_in()
    enrolment = groups.enrol(client=member, group_id=group.pk, individual_start=thursday(group))
    client.force_login(member)
    page = client.get(reverse("booking:group_leave", args=[group.pk])).content.decode()
    assert "leaving the group leaves them as they are" in page
    booking_url = reverse("booking:booking_detail", args=[enrolment.individual_booking.pk])
    assert booking_url in page
    client.post(reverse("booking:group_leave", args=[group.pk]), {"confirm": "yes"})
    assert Enrolment.objects.get(client=member).status == "left"
    assert Booking.objects.get(client=member).status == "pending"


def test_the_offered_seat_is_taken_on_the_page_with_the_chosen_time(client, therapist):
    group = program(therapist, individual="required", capacity=1)
    member, waiting = client_in(), client_in()
    groups.enrol(client=member, group_id=group.pk, individual_start=thursday(group))
    groups.enrol(client=waiting, group_id=group.pk)
    groups.leave(client=member, group_id=group.pk)
    client.force_login(waiting)
    page = client.get(group.get_absolute_url(), {"time": "fri-1000"}).content.decode()
    accept = reverse("booking:group_accept", args=[group.pk])
    assert f'action="{accept}"' in page and "Accept the seat and request" in page
    assert "Accept the seat only" not in page  # required: the seat comes with its time
    refused = client.post(accept, {})
    assert refused.status_code == 400 and "choose its weekly time" in refused.content.decode()
    friday = thursday(group) + dt.timedelta(days=1)
    response = client.post(accept, {"individual_start": friday.isoformat()}, follow=True)
    assert "The seat is yours: you joined" in response.content.decode()
    assert Enrolment.objects.get(client=waiting).status == "enrolled"
    assert Booking.objects.get(client=waiting).sessions.order_by("start").first().start == friday
