"""The relevance set (tests/relevance/*.csv) through the real search and autocomplete, with its targets."""

from __future__ import annotations

import pytest

from geosvc_tools.relevance import (
    AUTOCOMPLETE,
    NEW_CATEGORIES,
    NEW_OVERALL,
    OLD_CATEGORIES,
    OVERALL,
    RELEVANCE_FILES,
    RELEVANCE_SET,
    SEARCH,
    Answer,
    Case,
    client_search,
    evaluate,
    judge,
    load_cases,
    missed_targets,
    misses,
    report,
    summarise,
)


@pytest.fixture(scope="module")
def outcomes(app):
    client = app.test_client()
    return evaluate(load_cases(), client_search(client), client_search(client, AUTOCOMPLETE))


def test_the_set_is_what_its_readme_says():
    old = load_cases(RELEVANCE_SET)
    assert len(old) == 392 and {case.category for case in old} == set(OLD_CATEGORIES)
    cases = load_cases(*RELEVANCE_FILES)
    new = [case for case in cases if case.category in NEW_CATEGORIES]
    assert len(new) >= 300
    assert {case.category for case in cases} == set(OLD_CATEGORIES) | set(NEW_CATEGORIES)
    for case in cases:
        if case.category == "nothing":
            assert case.expected == ()
        else:
            assert case.expected and all(len(code) == 5 for code in case.expected), case


def test_search_meets_the_relevance_targets(outcomes):
    scores = summarise(outcomes)
    print("\n".join(report(scores)))  # shown with pytest -s, or on failure
    assert missed_targets(scores) == [], "\n".join(misses(outcomes))


def test_every_category_is_scored(outcomes):
    scores = {score.category: score for score in summarise(outcomes)}
    expected = set(OLD_CATEGORIES) | set(NEW_CATEGORIES) | {"outside@ac", "nothing@ac", OVERALL, NEW_OVERALL}
    assert set(scores) == expected
    assert scores[OVERALL].queries == 392


# --- the scoring itself must be able to say no -------------------------------------------------

def test_top1_needs_the_first_result():
    case = Case("typo", "amien", ("80021",), "")
    assert judge(case, ["80021", "x"]).top1
    assert not judge(case, ["x", "80021"]).top1
    assert judge(case, ["x", "80021"]).recall == 1.0
    assert judge(case, []).recall == 0.0


def test_homonym_counts_any_first_and_recall_wants_them_all():
    case = Case("homonym", "brie", ("02122", "80141"), "")
    outcome = judge(case, ["80141", "x"])
    assert outcome.top1 and outcome.recall == 0.5


def test_postcode_counts_only_when_every_commune_is_returned():
    case = Case("postcode", "80140", tuple(f"80{n:03}" for n in range(40)), "")
    assert not judge(case, list(case.expected[:39])).top1
    # a postcode answer may exceed 10 communes: all of it counts
    assert judge(case, list(reversed(case.expected))).top1


def test_autocomplete_counts_the_first_five():
    case = Case("ac_by_ear", "abevi", ("80001",), "")
    assert judge(case, ["a", "b", "c", "d", "80001"], AUTOCOMPLETE).top1
    assert not judge(case, ["a", "b", "c", "d", "e", "80001"], AUTOCOMPLETE).top1


def test_outside_wants_the_hint_and_on_search_no_commune():
    case = Case("outside", "paris", ("75056",), "")
    assert judge(case, Answer([], "75056")).top1
    assert not judge(case, Answer(["02626"], "75056")).top1  # a commune of the region beside it
    assert judge(case, Answer(["02626"], "75056"), AUTOCOMPLETE).top1  # beginnings stay while typing
    assert not judge(case, Answer([], None)).top1
    assert not judge(case, Answer([], "13055")).top1


def test_nothing_counts_any_commune_as_a_false_positive():
    case = Case("nothing", "bonjour", (), "")
    assert judge(case, Answer([], None)).top1
    assert judge(case, Answer([], "70084")).top1  # a hint alone is fine
    assert not judge(case, Answer(["02097"])).top1
    scores = {s.category: s for s in summarise([judge(case, Answer(["02097"])), judge(case, Answer([]))])}
    assert scores["nothing"].top1 == 0.5 and scores["nothing"].measure == "false positives"


def test_targets_are_enforced():
    def outcomes(category: str, right: int, wrong: int, endpoint: str = SEARCH) -> list:
        case = Case(category, "q", ("00001",), "")
        return [judge(case, ["00001"], endpoint)] * right + [judge(case, ["00002"], endpoint)] * wrong

    perfect = [o for c in OLD_CATEGORIES for o in outcomes(c, 50, 0)]
    perfect += [o for c in NEW_CATEGORIES[:-2] for o in outcomes(c, 50, 0)]
    assert missed_targets(summarise(perfect)) == []
    assert missed_targets(summarise([*perfect, *outcomes("exact", 0, 1)])) == [
        "exact top-1 98.0% < 100%", "overall top-1 99.8% < 100%"]
    assert missed_targets(summarise([*perfect, *outcomes("by_ear", 0, 6)])) == ["by_ear top-1 89.3% < 90%"]
    nothing = Case("nothing", "q", (), "")
    false_positives = [judge(nothing, [])] * 97 + [judge(nothing, ["00001"])] * 3
    assert missed_targets(summarise([*perfect, *false_positives])) == ["nothing false positives 3.0% > 2%"]
    typing = [judge(nothing, [], AUTOCOMPLETE)] * 97 + [judge(nothing, ["00001"], AUTOCOMPLETE)] * 3
    assert missed_targets(summarise([*perfect, *typing])) == ["nothing@ac false positives 3.0% > 2%"]
    homonym_partly = [*perfect, judge(Case("homonym", "q", ("00001", "00002"), ""), ["00001"])]
    assert any("homonym recall" in line for line in missed_targets(summarise(homonym_partly)))
