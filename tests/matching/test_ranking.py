"""The guided match's ranking (matching/ranking.py): pure, so each reason, each weight and
the order are tested on plain data; then random candidates and requests (Hypothesis):
the answer is sorted by score and never breaks a hard constraint."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from matching import ranking
from matching.ranking import GROUP, THERAPIST, Candidate, MatchRequest, rank, score

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
# Tuesday, Jan 5, 2027, 6:00 PM in New York.
TUESDAY_EVENING = dt.datetime(2027, 1, 5, 18, tzinfo=NY).astimezone(dt.UTC)


def therapist(**facts) -> Candidate:
    base = {
        "kind": THERAPIST,
        "id": 1,
        "name": "Ann Lee",
        "licensed_in": frozenset({"NY"}),
        "accepting": True,
    }
    return Candidate(**{**base, **facts})


def group(**facts) -> Candidate:
    return therapist(**{"kind": GROUP, "name": "After a loss", "seats_left": 4, **facts})


def ask(**answers) -> MatchRequest:
    return MatchRequest(**{"state": "NY", **answers})


# --- Each reason and its weight ------------------------------------------------------------


def test_every_match_says_first_where_the_therapist_is_licensed():
    match = score(therapist(), ask())
    assert match.reasons == ("Licensed in New York",)
    assert match.score == 0


def test_ipt_for_grief_is_the_concern_s_therapy():
    match = score(therapist(modalities=frozenset({"ipt"})), ask(concern="grief"))
    assert "Practises IPT, which focuses on grief" in match.reasons
    assert match.score == ranking.CONCERN_THERAPY
    assert match.modality == "ipt"


def test_a_focus_area_of_the_concern_counts_once_with_its_words():
    match = score(
        therapist(specialties=frozenset({"loneliness", "interpersonal-deficits", "trauma"})),
        ask(concern="loneliness"),
    )
    assert "Lists loneliness and isolation as focus areas" in match.reasons
    assert match.score == ranking.CONCERN_SPECIALTY


def test_one_focus_area_is_named_in_the_singular():
    match = score(therapist(specialties=frozenset({"grief"})), ask(concern="grief"))
    assert "Lists grief and loss as a focus area" in match.reasons


def test_a_conflict_points_to_ipt_role_disputes():
    match = score(
        therapist(modalities=frozenset({"ipt"}), specialties=frozenset({"role-disputes"})),
        ask(concern="conflict"),
    )
    assert match.reasons[1:] == (
        "Practises IPT, which focuses on conflicts with people close to you",
        "Lists role disputes as a focus area",
    )
    assert match.score == ranking.CONCERN_THERAPY + ranking.CONCERN_SPECIALTY


def test_a_life_change_points_to_ipt_role_transitions():
    match = score(
        therapist(modalities=frozenset({"ipt"}), specialties=frozenset({"role-transitions"})),
        ask(concern="life_change"),
    )
    assert "Practises IPT, which focuses on life changes" in match.reasons
    assert "Lists role transitions as a focus area" in match.reasons


def test_low_mood_counts_ipt_or_cbt_once():
    both = score(therapist(modalities=frozenset({"ipt", "cbt"})), ask(concern="low_mood"))
    cbt = score(therapist(modalities=frozenset({"cbt"})), ask(concern="low_mood"))
    assert both.score == cbt.score == ranking.CONCERN_THERAPY
    assert both.reasons[1:] == ("Practises IPT, a proven therapy for low mood",)
    assert cbt.reasons[1:] == ("Practises CBT, a proven therapy for low mood",)
    assert (both.modality, cbt.modality) == ("ipt", "cbt")


def test_worry_prefers_cbt_and_counts_ipt_less():
    cbt = score(therapist(modalities=frozenset({"cbt", "ipt"})), ask(concern="anxiety"))
    ipt = score(therapist(modalities=frozenset({"ipt"})), ask(concern="anxiety"))
    assert cbt.reasons[1] == "Practises CBT, a proven therapy for worry and anxiety"
    assert cbt.modality == "cbt"
    assert ipt.score == ranking.CONCERN_THERAPY_ALSO < cbt.score
    assert ipt.reasons[1] == "Practises IPT, which can ease worry tied to relationships"


def test_a_therapy_unrelated_to_the_concern_earns_nothing():
    match = score(therapist(modalities=frozenset({"group"})), ask(concern="grief"))
    assert match.score == 0
    assert match.modality == ""


def test_a_course_start_in_the_chosen_times_is_said_in_the_client_s_zone():
    candidate = therapist(first_start=TUESDAY_EVENING)
    match = score(candidate, ask(times=frozenset({"tue-evening"})))
    assert "Free Tuesdays at 6:00 PM ET for 12 weeks from Jan 5" in match.reasons
    assert match.score == ranking.TIME_FITS
    in_la = score(candidate, ask(times=frozenset({"tue-afternoon"}), zone=LA, weeks=16))
    assert "Free Tuesdays at 3:00 PM PT for 16 weeks from Jan 5" in in_la.reasons


def test_one_session_is_said_as_a_date():
    match = score(therapist(first_start=TUESDAY_EVENING), ask(weeks=1))
    assert "Free Tue, Jan 5 at 6:00 PM ET" in match.reasons


def test_with_no_times_chosen_an_opening_soon_counts_less():
    match = score(therapist(first_start=TUESDAY_EVENING), ask())
    assert match.score == ranking.OPENING_SOON < ranking.TIME_FITS


def test_the_format_asked_for():
    video = score(therapist(formats=frozenset({"telehealth"})), ask(format="telehealth"))
    office = score(therapist(formats=frozenset({"in_person"})), ask(format="in_person"))
    other = score(therapist(formats=frozenset({"in_person"})), ask(format="telehealth"))
    assert video.reasons[1:] == ("By video",) and video.score == ranking.FORMAT_MATCH
    assert office.reasons[1:] == ("In person",)
    assert other.score == 0


def test_in_network_with_the_client_s_plan():
    match = score(
        therapist(insurance=frozenset({"aetna"}), superbill=True),
        ask(insurance="aetna", insurance_name="Aetna"),
    )
    assert match.reasons[1:] == ("In network with Aetna",)
    assert match.score == ranking.IN_NETWORK


def test_out_of_network_with_a_superbill_counts_less():
    match = score(
        therapist(insurance=frozenset({"cigna"}), superbill=True),
        ask(insurance="aetna", insurance_name="Aetna"),
    )
    assert match.reasons[1:] == ("Out of network with Aetna, with a superbill you can claim",)
    assert match.score == ranking.SUPERBILL


def test_a_fee_within_the_budget():
    match = score(therapist(fee=120), ask(fee_max=150))
    assert match.reasons[1:] == ("$120 a session, within your budget of $150",)
    assert match.score == ranking.WITHIN_BUDGET


def test_over_the_budget_a_sliding_scale_counts_less_and_a_fixed_fee_nothing():
    sliding = score(therapist(fee=200, sliding_scale=True), ask(fee_max=100))
    fixed = score(therapist(fee=200), ask(fee_max=100))
    assert sliding.reasons[1:] == ("Offers a sliding scale: ask about a fee within your budget",)
    assert sliding.score == ranking.SLIDING_SCALE
    assert fixed.score == 0 and fixed.reasons == ("Licensed in New York",)


def test_distance_counts_for_an_office_by_tiers():
    office = therapist(formats=frozenset({"in_person"}))
    assert score(replace(office, distance_miles=3.2), ask()).reasons[1:] == (
        "Office 3 miles from you",
    )
    assert score(replace(office, distance_miles=3.2), ask()).score == 15
    assert score(replace(office, distance_miles=0.3), ask()).reasons[1:] == (
        "Office less than a mile from you",
    )
    assert score(replace(office, distance_miles=8), ask()).score == 10
    assert score(replace(office, distance_miles=20), ask()).score == 5
    assert score(replace(office, distance_miles=40), ask()).score == 0
    # Not when the client wants video, nor for a therapist with no office.
    assert score(replace(office, distance_miles=1), ask(format="telehealth")).score == 0
    assert score(therapist(distance_miles=1), ask()).score == 0


def test_a_group_of_the_concern_s_kind_with_its_meeting_and_places():
    match = score(
        group(group_kind="grief", first_start=TUESDAY_EVENING),
        ask(concern="grief", include_groups=True, times=frozenset({"tue-evening"})),
    )
    assert match.reasons == (
        "For clients in New York; its therapist is licensed there",
        "A grief group",
        "Meets Tuesdays at 6:00 PM ET; next meeting Jan 5",
        "4 places left",
    )
    assert match.score == ranking.CONCERN_GROUP + ranking.TIME_FITS


def test_a_full_group_offers_its_waitlist():
    match = score(group(seats_left=0), ask(include_groups=True))
    assert "Full: you can join the waitlist" in match.reasons


def test_every_weight_is_in_the_module_s_table():
    for name in (
        "CONCERN_THERAPY", "CONCERN_THERAPY_ALSO", "CONCERN_SPECIALTY", "CONCERN_GROUP",
        "TIME_FITS", "OPENING_SOON", "FORMAT_MATCH", "IN_NETWORK", "SUPERBILL",
        "WITHIN_BUDGET", "SLIDING_SCALE", "DISTANCE_POINTS",
    ):  # fmt: skip
        assert f"``{name}``" in ranking.__doc__


# --- Times ---------------------------------------------------------------------------------------


def test_parts_of_the_day_in_the_client_s_zone():
    def word(hour, minute=0):
        return ranking.time_word(dt.datetime(2027, 1, 5, hour, minute, tzinfo=NY), NY)

    assert word(11, 59) == "tue-morning"
    assert word(12) == "tue-afternoon"
    assert word(16, 59) == "tue-afternoon"
    assert word(17) == "tue-evening"
    assert word(0) == "tue-morning"
    # 6:00 PM in New York is 3:00 PM in Los Angeles.
    assert ranking.time_word(TUESDAY_EVENING, LA) == "tue-afternoon"


# --- The order -----------------------------------------------------------------------------------


def test_the_order_follows_the_score_then_the_start_then_the_name():
    request = ask(concern="grief", times=frozenset({"tue-evening"}))
    later = TUESDAY_EVENING + dt.timedelta(days=7)
    best = therapist(id=1, name="Zoe", modalities=frozenset({"ipt"}), first_start=later)
    soon = therapist(id=2, name="Yan", modalities=frozenset({"ipt"}), first_start=TUESDAY_EVENING)
    alpha = therapist(id=3, name="Abe")
    beta = therapist(id=4, name="bo")
    ranked = rank([beta, alpha, best, soon], request)
    assert [m.candidate.name for m in ranked] == ["Yan", "Zoe", "Abe", "bo"]


def test_the_stored_opening_breaks_a_tie_when_no_start_was_worked_out():
    early = therapist(id=1, name="Zed", next_opening=TUESDAY_EVENING)
    none = therapist(id=2, name="Abe")
    assert [m.candidate.id for m in rank([none, early], ask())] == [1, 2]


def test_the_limit_keeps_the_best():
    candidates = [therapist(id=i, name=f"T{i}", fee=i) for i in range(10)]
    ranked = rank(candidates, ask(fee_max=2), limit=3)
    assert [m.candidate.id for m in ranked] == [0, 1, 2]


# --- Hard constraints --------------------------------------------------------------------------


def test_not_licensed_in_the_state_or_not_accepting_is_never_listed():
    elsewhere = therapist(id=1, licensed_in=frozenset({"NJ"}), modalities=frozenset({"ipt"}))
    full = therapist(id=2, accepting=False, modalities=frozenset({"ipt"}))
    fine = therapist(id=3)
    assert [m.candidate.id for m in rank([elsewhere, full, fine], ask(concern="grief"))] == [3]


def test_groups_only_when_asked_for():
    assert rank([group()], ask()) == []
    assert len(rank([group()], ask(include_groups=True))) == 1


STATES = ["NY", "NJ", "CA"]
# Hypothesis takes naive bounds and makes the moments aware itself.
MOMENTS = st.datetimes(
    min_value=dt.datetime(2027, 1, 1),  # noqa: DTZ001
    max_value=dt.datetime(2027, 3, 1),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
)
candidates = st.builds(
    Candidate,
    kind=st.sampled_from([THERAPIST, GROUP]),
    id=st.integers(1, 10_000),
    name=st.text(min_size=1, max_size=12),
    licensed_in=st.frozensets(st.sampled_from(STATES)),
    accepting=st.booleans(),
    modalities=st.frozensets(st.sampled_from(["ipt", "cbt", "group"])),
    specialties=st.frozensets(
        st.sampled_from(["grief", "role-disputes", "loneliness", "depression", "anxiety"])
    ),
    formats=st.frozensets(st.sampled_from(["telehealth", "in_person"])),
    insurance=st.frozensets(st.sampled_from(["aetna", "cigna"])),
    superbill=st.booleans(),
    fee=st.none() | st.integers(0, 400),
    sliding_scale=st.booleans(),
    first_start=st.none() | MOMENTS,
    distance_miles=st.none() | st.floats(0, 200),
    group_kind=st.sampled_from(["", "grief", "ipt_group", "supportive"]),
    seats_left=st.none() | st.integers(0, 12),
    next_opening=st.none() | MOMENTS,
)
requests = st.builds(
    MatchRequest,
    state=st.sampled_from(STATES),
    concern=st.sampled_from(["", *ranking.CONCERNS]),
    format=st.sampled_from(["", "telehealth", "in_person"]),
    insurance=st.sampled_from(["", "aetna", "cigna"]),
    fee_max=st.none() | st.integers(0, 300),
    weeks=st.integers(1, 16),
    times=st.frozensets(st.sampled_from(ranking.TIME_WORDS), max_size=4),
    include_groups=st.booleans(),
    zone=st.sampled_from([NY, LA]),
)


@settings(max_examples=200, deadline=None)
@given(candidates=st.lists(candidates, max_size=25), request=requests)
def test_random_answers_are_sorted_by_score_and_keep_the_hard_constraints(candidates, request):
    ranked = rank(candidates, request)
    scores = [m.score for m in ranked]
    assert scores == sorted(scores, reverse=True)
    for match in ranked:
        candidate = match.candidate
        assert request.state in candidate.licensed_in
        assert candidate.accepting
        assert candidate.kind == THERAPIST or request.include_groups
        assert match.score == score(candidate, request).score
        assert match.reasons and match.reasons[0].endswith(
            ("Licensed in " + ranking.STATE_NAMES[request.state], "licensed there")
        )
    admissible = [c for c in candidates if ranking.admissible(c, request)]
    assert len(ranked) == len(admissible)
