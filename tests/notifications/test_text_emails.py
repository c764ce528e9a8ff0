"""E-mails are plain text, rendered without HTML escaping in one place
(``notifications.plain_text``): a name like ``O'Brien & Co`` arrives as typed, never as
``O&#x27;Brien &amp; Co`` (issue 14, item 9). Each test reads the message as sent, from
``django.core.mail.outbox``. The pages stay escaped."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from booking.courses import services as courses
from booking.groups import services as groups
from notifications import dispatch
from notifications.plain_text import render_text
from providers import licensing
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import at, book, bookable_therapist, client_in, committed, next_weekday
from tests.factories import LicenseFactory, UserFactory, make_verifier

pytestmark = pytest.mark.django_db

NAME = "O'Brien & Co <Care>"
ESCAPED = ("&#x27;", "&amp;", "&lt;", "&gt;", "&quot;")


def assert_plain(message, *texts: str) -> None:
    for text in texts:
        assert text in message.body, message.body
    for entity in ESCAPED:
        assert entity not in message.body, message.body
        assert entity not in message.subject, message.subject


def to(address: str):
    return [m for m in mail.outbox if m.to == [address]]


def test_the_reminder_arrives_unescaped():
    therapist = bookable_therapist(display_name=NAME, video_url="https://video.example/a?b=1&c=2")
    client = client_in(name="Siobhán O'Neil")
    booking = book(client, therapist, at(next_weekday(1, weeks_ahead=2), 10), weeks=1)
    courses.confirm_booking(booking_id=booking.pk, by=therapist.user)
    first = booking.sessions.get()
    mail.outbox.clear()
    with time_machine.travel(first.start - dt.timedelta(hours=24), tick=False):
        assert dispatch.dispatch()["sent"] == 2
    (message,) = to(client.email)
    assert_plain(message, NAME, "Siobhán O'Neil", "https://video.example/a?b=1&c=2")


def test_the_booking_e_mails_arrive_unescaped():
    therapist = bookable_therapist(display_name=NAME)
    client = client_in(name="Dana D'Souza")
    mail.outbox.clear()
    with committed():
        booking = book(client, therapist, at(next_weekday(1, weeks_ahead=2), 10), weeks=2)
    with committed():
        courses.decline_booking(
            booking_id=booking.pk, by=therapist.user, reason='I\'m away: try "Smith & Jones".'
        )
    requested, declined = to(client.email)
    assert_plain(requested, NAME, "Dana D'Souza")
    assert_plain(declined, NAME, 'I\'m away: try "Smith & Jones".')


def test_the_group_e_mails_arrive_unescaped():
    therapist = group_therapist(display_name=NAME)
    group = make_group(therapist, title='Grief & loss: "after"')
    member = client_in(name="Ann O'Hara")
    mail.outbox.clear()
    with committed():
        groups.enrol(client=member, group_id=group.pk)
    with committed():
        groups.cancel_group(group_id=group.pk, by=therapist.user, reason="Not enough <members>.")
    enrolled, cancelled = to(member.email)
    assert_plain(enrolled, NAME, 'Grief & loss: "after"', "Ann O'Hara")
    assert_plain(cancelled, "Not enough <members>.")


def test_the_license_e_mails_arrive_unescaped():
    license = LicenseFactory(therapist__display_name=NAME, number="A&B'1")
    mail.outbox.clear()
    with committed():
        licensing.reject_license(
            license_id=license.pk, by=make_verifier(), reason="Number <> board's"
        )
    (message,) = mail.outbox
    assert_plain(message, NAME, "A&B'1", "Number <> board's")


def test_the_sign_up_e_mail_arrives_unescaped(client):
    mail.outbox.clear()
    with committed():
        client.post(
            reverse("accounts:signup"),
            {
                "role": "client",
                "name": NAME,
                "email": "obrien@example.com",
                "state": "NY",
                "timezone": "America/New_York",
            },
        )
    (message,) = mail.outbox
    assert_plain(message, f"Hello {NAME},")


def test_the_password_reset_e_mail_arrives_unescaped(client):
    user = UserFactory(email="o'brien&co@example.com")
    mail.outbox.clear()
    with committed():
        client.post(reverse("accounts:password_reset"), {"email": user.email})
    (message,) = mail.outbox
    assert_plain(message, "o'brien&co@example.com", "/accounts/reset/")


def test_only_text_templates_are_rendered_as_e_mail():
    with pytest.raises(ValueError, match="plain text"):
        render_text("base.html", {})


def test_pages_stay_escaped(client):
    therapist = group_therapist(display_name=NAME)
    html = client.get(therapist.get_absolute_url()).content.decode()
    assert "O&#x27;Brien &amp; Co &lt;Care&gt;" in html
    assert NAME not in html
