"""Relevance of the commune search: run the relevance set through the real endpoints.

The set is tests/relevance/queries.csv (the original 392 queries, eight categories), generated.csv
(made from the data by scripts/build_relevance.py, which does not import geosvc) and
handwritten.csv. Each category is measured on its own endpoint with its own measure:

- search categories (`/communes`): top-1, the first commune is an expected one (a full postcode
  counts only when the answer holds every commune that has it), and recall@10;
- autocomplete categories (`ac_…`, `/communes/autocomplete`): recall@5, an expected commune among
  the first five suggestions;
- `outside`: right when its `hint.outside_region.code` is an expected code and, on `/communes`, the
  answer has no commune (the autocomplete keeps the names of the region that begin with what is
  typed beside the hint: "marseille" still offers Marseille-en-Beauvaisis); on both endpoints;
- `nothing`: a false positive when the answer holds any commune (an `outside_region` hint alone is
  fine); measured on both endpoints, reported as a false-positive rate.

`scripts/relevance.py` runs it in-process against GEOSVC_DATABASE_URL, or over HTTP against a
running service; tests/test_relevance.py asserts the targets on the test database.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path

from geosvc.config import PROJECT_ROOT

RELEVANCE_DIR = PROJECT_ROOT / "tests" / "relevance"
RELEVANCE_SET = RELEVANCE_DIR / "queries.csv"
RELEVANCE_FILES = (RELEVANCE_SET, RELEVANCE_DIR / "generated.csv", RELEVANCE_DIR / "handwritten.csv")
TOP_K = 10
AUTOCOMPLETE_K = 5
OVERALL = "overall"
NEW_OVERALL = "overall (new kinds)"
SEARCH, AUTOCOMPLETE = "/communes", "/communes/autocomplete"

OLD_CATEGORIES = ("exact", "folded", "saint", "apostrophe", "typo", "postcode", "former", "homonym")
SEARCH_CATEGORIES = ("by_ear", "postcode_name", "homonym_dep", "sur", "joined", "typo2")
AUTOCOMPLETE_CATEGORIES = ("ac_by_ear", "ac_slip")
OUTSIDE, NOTHING = "outside", "nothing"
BOTH_ENDPOINTS = (OUTSIDE, NOTHING)
NEW_CATEGORIES = (*SEARCH_CATEGORIES, *AUTOCOMPLETE_CATEGORIES, OUTSIDE, NOTHING)

# Targets (docs/SEARCH.md, "Relevance"): the old categories stay perfect (top-1, and every homonym
# in the first 10); the new kinds >= 95 % together and >= 90 % each; false positives <= 2 %.
NEW_TARGET_OVERALL = 0.95
NEW_TARGET_EACH = 0.90
FALSE_POSITIVE_TARGET = 0.02  # on both endpoints
RECALL_PERFECT = ("homonym",)


@dataclasses.dataclass(frozen=True)
class Answer:
    codes: list[str]
    outside: str | None = None  # hint.outside_region.code


Search = Callable[[str], Answer]  # query -> the answer of one endpoint


@dataclasses.dataclass(frozen=True)
class Case:
    category: str
    query: str
    expected: tuple[str, ...]
    note: str


@dataclasses.dataclass(frozen=True)
class Outcome:
    case: Case
    endpoint: str
    codes: list[str]
    top1: bool  # right: top-1, recall@5, the outside hint, or no commune for `nothing`
    recall: float
    outside: str | None = None

    @property
    def category(self) -> str:
        """The category as reported: `outside` and `nothing` are scored once per endpoint."""
        if self.case.category in BOTH_ENDPOINTS and self.endpoint == AUTOCOMPLETE:
            return f"{self.case.category}@ac"
        return self.case.category


@dataclasses.dataclass(frozen=True)
class Score:
    category: str
    endpoint: str
    measure: str
    queries: int
    top1: float  # the measure's value
    recall: float


def load_cases(*paths: Path) -> list[Case]:
    cases = []
    for path in paths or RELEVANCE_FILES:
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as file:
            cases += [
                Case(row["category"], row["query"], tuple(c for c in row["expected"].split("|") if c), row["note"])
                for row in csv.DictReader(file)
            ]
    return cases


def endpoints_of(case: Case) -> tuple[str, ...]:
    if case.category in BOTH_ENDPOINTS:
        return (SEARCH, AUTOCOMPLETE)
    return (AUTOCOMPLETE,) if case.category in AUTOCOMPLETE_CATEGORIES else (SEARCH,)


def judge(case: Case, answer: Answer | list[str], endpoint: str = SEARCH) -> Outcome:
    if not isinstance(answer, Answer):
        answer = Answer(list(answer))
    codes, expected = answer.codes, set(case.expected)
    if case.category == NOTHING:
        right = not codes
        return Outcome(case, endpoint, codes, right, float(right), answer.outside)
    if case.category == OUTSIDE:
        right = answer.outside in expected and (endpoint == AUTOCOMPLETE or not codes)
        return Outcome(case, endpoint, codes, right, float(right), answer.outside)
    if case.category == "postcode":
        recall = len(expected & set(codes)) / len(expected)
        return Outcome(case, endpoint, codes, recall == 1.0, recall, answer.outside)
    if case.category in AUTOCOMPLETE_CATEGORIES:
        right = bool(expected & set(codes[:AUTOCOMPLETE_K]))
        return Outcome(case, endpoint, codes, right, float(right), answer.outside)
    top1 = bool(codes) and codes[0] in expected
    return Outcome(case, endpoint, codes, top1, len(expected & set(codes[:TOP_K])) / len(expected), answer.outside)


def evaluate(cases: Iterable[Case], search: Search, complete: Search | None = None) -> list[Outcome]:
    outcomes = []
    for case in cases:
        for endpoint in endpoints_of(case):
            if endpoint == AUTOCOMPLETE and complete is None:
                continue
            outcomes.append(judge(case, (complete if endpoint == AUTOCOMPLETE else search)(case.query), endpoint))
    return outcomes


def _measure(category: str) -> str:
    base = category.split("@")[0]
    if base == NOTHING:
        return "false positives"
    if base == OUTSIDE:
        return "hint"
    return f"recall@{AUTOCOMPLETE_K}" if base in AUTOCOMPLETE_CATEGORIES else "top-1"


def summarise(outcomes: list[Outcome]) -> list[Score]:
    """One score per category (old ones first, in the files' order), the old overall, the new kinds'."""
    categories = list(dict.fromkeys(o.category for o in outcomes))
    scores = [_score(c, [o for o in outcomes if o.category == c]) for c in categories]
    old = [o for o in outcomes if o.case.category not in NEW_CATEGORIES]
    new = [o for o in outcomes if o.case.category in NEW_CATEGORIES and o.case.category != NOTHING]
    if old:
        scores.append(_score(OVERALL, old))
    if new:
        scores.append(_score(NEW_OVERALL, new))
    return scores


def _score(category: str, outcomes: list[Outcome]) -> Score:
    n = len(outcomes)
    right = sum(o.top1 for o in outcomes) / n
    measure = _measure(category)
    value = 1 - right if measure == "false positives" else right
    return Score(category, outcomes[0].endpoint if category not in (OVERALL, NEW_OVERALL) else "",
                 measure, n, value, sum(o.recall for o in outcomes) / n)


def missed_targets(scores: list[Score]) -> list[str]:
    missed = []
    for score in scores:
        base = score.category.split("@")[0]
        if base in OLD_CATEGORIES or score.category == OVERALL:
            if score.top1 < 1.0:
                missed.append(f"{score.category} top-1 {score.top1:.1%} < 100%")
            if base in RECALL_PERFECT and score.recall < 1.0:
                missed.append(f"{score.category} recall@{TOP_K} {score.recall:.1%} < 100%")
        elif base == NOTHING:
            if score.top1 > FALSE_POSITIVE_TARGET:
                missed.append(f"{score.category} false positives {score.top1:.1%} > {FALSE_POSITIVE_TARGET:.0%}")
        elif score.category == NEW_OVERALL:
            if score.top1 < NEW_TARGET_OVERALL:
                missed.append(f"{score.category} {score.top1:.1%} < {NEW_TARGET_OVERALL:.0%}")
        elif score.top1 < NEW_TARGET_EACH:
            missed.append(f"{score.category} {score.measure} {score.top1:.1%} < {NEW_TARGET_EACH:.0%}")
    return missed


def report(scores: list[Score]) -> list[str]:
    lines = [f"{'category':<20} {'endpoint':<22} {'queries':>7}  {'measure':<16} {'value':>7} {'recall@10':>10}"]
    for s in scores:
        lines.append(f"{s.category:<20} {s.endpoint:<22} {s.queries:>7}  {s.measure:<16} {s.top1:>7.1%} "
                     f"{s.recall:>10.1%}")
    return lines


def misses(outcomes: list[Outcome]) -> list[str]:
    return [
        f"  {o.category}: {o.case.query!r} expected {'|'.join(o.case.expected) or 'nothing'}, "
        f"got {o.codes[:3]}{f' outside {o.outside}' if o.outside else ''}"
        for o in outcomes if not o.top1
    ]


def _answer(body: dict) -> Answer:
    hint = (body.get("hint") or {}).get("outside_region") or {}
    return Answer([commune["code"] for commune in body["communes"]], hint.get("code"))


def client_search(client, path: str = SEARCH) -> Search:
    """Search through a Flask test client: the whole request path, in-process."""

    def search(query: str) -> Answer:
        response = client.get(path, query_string={"q": query, "limit": TOP_K})
        if response.status_code != 200:
            return Answer([])
        return _answer(response.get_json())

    return search


def http_search(base_url: str, path: str = SEARCH, timeout_s: float = 10) -> Search:
    def search(query: str) -> Answer:
        url = f"{base_url.rstrip('/')}{path}?" + urllib.parse.urlencode({"q": query, "limit": TOP_K})
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310 - URL given by the user
                return _answer(json.load(response))
        except urllib.error.HTTPError:
            return Answer([])

    return search


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Relevance of the commune search and autocomplete, per category.")
    parser.add_argument("--url", help="a running service (e.g. http://127.0.0.1:8000); default: in-process "
                        "against GEOSVC_DATABASE_URL")
    parser.add_argument("--cases", type=Path, nargs="*", help="relevance files (CSV); default: all of tests/relevance")
    parser.add_argument("--show-misses", action="store_true", help="list every query answered wrong")
    args = parser.parse_args(argv)
    cases = load_cases(*(args.cases or RELEVANCE_FILES))
    if args.url:
        outcomes = evaluate(cases, http_search(args.url), http_search(args.url, AUTOCOMPLETE))
    else:
        import logging

        from geosvc.web import create_app
        from geosvc.web.state import close_app

        logging.disable(logging.INFO)  # one request log line per query otherwise
        app = create_app()
        try:
            client = app.test_client()
            outcomes = evaluate(cases, client_search(client), client_search(client, AUTOCOMPLETE))
        finally:
            close_app(app)
    scores = summarise(outcomes)
    print("\n".join(report(scores)))
    if args.show_misses:
        print("\n".join(misses(outcomes)) or "no miss")
    missed = missed_targets(scores)
    for line in missed:
        print(f"target missed: {line}", file=sys.stderr)
    if not missed:
        print("targets met: old categories 100 %; new kinds >= 95 % overall and >= 90 % each; "
              "false positives <= 2 % (search and autocomplete)")
    return 1 if missed else 0
