"""What searches share in a process - the cards' base queryset, the filters as declared
and the form class built from them - is only read: never evaluated, never changed, and
searches run at once in threads (as in a threaded server or worker) each get their own
answer."""

import random
import threading

import pytest
from django.db import connection
from django.http import QueryDict
from django.urls import reverse

from providers import selectors, views
from providers.filters import TherapistFilter
from providers.models import Language
from providers.selectors import search_therapists
from tests.factories import TherapistFactory, verified_license
from therapy_directory import clock

SEARCH = reverse("providers:search")
API = "/api/v1/therapists/"
SEARCHES = [
    "",
    "state=CA",
    "state=CA&modality=ipt&language=es",
    "modality=cbt&ordering=-fee",
    "state=NY&accepting=true&fee_max=120",
    "fee_max=abc&state=XX&modality=nope",  # errors
    "q=Hopper&available_within=400",  # an error
    "language=fr&format=in_person",
]


def directory() -> None:
    spanish, french = Language.objects.filter(code__in=["es", "fr"]).order_by("code")
    for i in range(12):
        therapist = TherapistFactory(
            display_name=f"Grace Hopper {i}" if i % 3 else f"Ada Byron {i}",
            modalities=["ipt"] if i % 2 else ["cbt", "group"],
            fee=60 + 20 * i,
            accepting_new_clients=bool(i % 4),
            formats=["in_person", "telehealth"] if i % 5 == 0 else ["telehealth"],
        )
        therapist.languages.add(spanish if i % 2 else french)
        verified_license(therapist=therapist, state="CA" if i % 3 else "NY")


def answer(query: str) -> tuple:
    """Everything a search decides: validity and errors, the matching names in order,
    and the filter panel and cards as rendered."""
    filterset = search_therapists(QueryDict(query))
    valid = filterset.is_valid()
    names = [t.display_name for t in filterset.qs] if valid else []
    errors = {name: list(errors) for name, errors in filterset.errors.items()}
    content, state_name, _ = views._search_results(QueryDict(query), "America/Chicago")
    return valid, errors, names, str(content), state_name


def shared_state() -> dict:
    form_class = TherapistFilter.shared_form_class()
    return {
        "widgets": {
            name: (type(field.widget), dict(field.widget.attrs))
            for name, field in form_class.base_fields.items()
        },
        "filters": {name: dict(vars(f)) for name, f in TherapistFilter.base_filters.items()},
    }


@pytest.mark.django_db
def test_searches_leave_the_shared_objects_unevaluated_and_unchanged(client):
    directory()
    before = shared_state()
    for query in SEARCHES:
        answer(query)
        client.get(f"{SEARCH}?{query}")
        client.get(f"{API}?{query}")
    assert shared_state() == before
    assert before["widgets"]["fee_max"][1] == {"min": 0, "max": 100000, "step": "any"}
    for f in TherapistFilter.base_filters.values():  # no FilterSet attached
        assert not hasattr(f, "parent")
    assert selectors._result_cards(clock.today())._result_cache is None
    form_class = TherapistFilter.shared_form_class()
    for name in ("modality", "specialty", "language"):
        assert form_class.base_fields[name].queryset._result_cache is None
    # Each search has its own FilterSet filters when it asks for them, as django-filter.
    filterset = search_therapists(QueryDict("state=CA"))
    assert all(f.parent is filterset for f in filterset.filters.values())


@pytest.mark.django_db
def test_one_searchs_errors_do_not_follow_the_next_search(client):
    directory()
    html = client.get(SEARCH, {"fee_max": "abc"}).content.decode()
    assert 'aria-describedby="id_fee_max_error id_fee_max_helptext" aria-invalid="true"' in html
    assert 'class="field field--number field--invalid"' in html
    html = client.get(SEARCH, {"fee_max": "100"}).content.decode()
    assert "id_fee_max_error" not in html and "aria-invalid" not in html
    assert 'value="100"' in html


@pytest.mark.django_db(transaction=True)
def test_searches_in_parallel_threads_each_get_their_own_answer():
    directory()
    expected = {query: answer(query) for query in SEARCHES}
    assert expected["state=CA&modality=ipt&language=es"][2]  # some results
    assert not expected["fee_max=abc&state=XX&modality=nope"][0]  # and errors
    # The shared objects are built by the racing threads themselves.
    selectors._result_cards.cache_clear()
    if "_shared_form_class" in vars(TherapistFilter):
        del TherapistFilter._shared_form_class

    threads_count, rounds = 8, 6
    barrier = threading.Barrier(threads_count)
    mismatches, failures = [], []

    def run(seed: int) -> None:
        order = SEARCHES * rounds
        random.Random(seed).shuffle(order)
        try:
            barrier.wait()
            mismatches.extend(query for query in order if answer(query) != expected[query])
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures and not mismatches, (failures, mismatches[:5])
