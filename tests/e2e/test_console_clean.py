"""Pages load in Chromium with nothing in red: no console error, no failed request, no
404 for the icon the browser asks for (issue 14.12)."""

from __future__ import annotations

import pytest

from tests.booking.helpers import bookable_therapist, client_in
from tests.e2e.test_booking_flow import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def _watch(page) -> list[str]:
    problems: list[str] = []
    page.on(
        "console",
        lambda message: message.type == "error" and problems.append(f"console: {message.text}"),
    )
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    # A request the browser itself abandons when the next page.goto() starts (a
    # low-priority icon fetch, typically) fails with net::ERR_ABORTED; that is the
    # navigation, not the page. _icons_answer() fetches the icons to the end.
    page.on(
        "requestfailed",
        lambda request: (
            request.failure != "net::ERR_ABORTED"
            and problems.append(f"failed: {request.url} ({request.failure})")
        ),
    )
    page.on(
        "response",
        lambda response: (
            response.status >= 400 and problems.append(f"{response.status}: {response.url}")
        ),
    )
    return problems


def _icons_answer(page) -> None:
    """The icon the page links and the one programs ask the root for are both there."""
    statuses = page.evaluate(
        """async () => {
            const linked = document.querySelector('link[rel="icon"]');
            return [
                linked ? (await fetch(linked.href)).status : 'no <link rel="icon">',
                (await fetch('/favicon.ico')).status,
            ];
        }"""
    )
    assert statuses == [200, 200]


def test_public_pages_load_without_a_console_error(page):
    therapist = bookable_therapist()
    problems = _watch(page)
    for path in (
        "/",
        "/match/?state=NY&concern=grief&times=tue-morning",
        "/therapists/",
        therapist.get_absolute_url(),
        "/groups/",
        "/accounts/signup/",
    ):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        _icons_answer(page)
    assert not problems, "\n".join(problems)


def test_a_signed_in_page_loads_without_a_console_error(page):
    client = client_in(state="NY")
    log_in(page, client.email)
    problems = _watch(page)
    page.goto("/my/sessions/")
    page.wait_for_load_state("networkidle")
    _icons_answer(page)
    assert not problems, "\n".join(problems)
