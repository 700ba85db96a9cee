"""Relevance of the commune search: run tests/relevance/queries.csv through the real search.

Per category and overall: top-1 accuracy (the first commune is an expected one) and
recall@10 (the share of the expected communes in the first 10). A full postcode counts
as a top-1 hit only when the answer holds every commune that has the postcode, and its
recall is over the whole answer (which may exceed 10: a postcode ignores the limit).

`scripts/relevance.py` runs it in-process against GEOSVC_DATABASE_URL, or over HTTP
against a running service; tests/test_relevance.py asserts the targets on the test
database.
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

RELEVANCE_SET = PROJECT_ROOT / "tests" / "relevance" / "queries.csv"
TOP_K = 10
OVERALL = "overall"
TOP1_TARGET_OVERALL = 0.98
# categories whose every query must come first (README of the relevance set)
TOP1_PERFECT = ("exact", "folded", "saint", "postcode")
# every commune sharing a homonym's name must be in the first 10
RECALL_PERFECT = ("homonym",)

Search = Callable[[str], list[str]]  # query -> INSEE codes, best first


@dataclasses.dataclass(frozen=True)
class Case:
    category: str
    query: str
    expected: tuple[str, ...]
    note: str


@dataclasses.dataclass(frozen=True)
class Outcome:
    case: Case
    codes: list[str]
    top1: bool
    recall: float


@dataclasses.dataclass(frozen=True)
class Score:
    category: str
    queries: int
    top1: float
    recall: float


def load_cases(path: Path = RELEVANCE_SET) -> list[Case]:
    with path.open(encoding="utf-8", newline="") as file:
        return [
            Case(row["category"], row["query"], tuple(row["expected"].split("|")), row["note"])
            for row in csv.DictReader(file)
        ]


def judge(case: Case, codes: list[str]) -> Outcome:
    expected = set(case.expected)
    if case.category == "postcode":
        recall = len(expected & set(codes)) / len(expected)
        return Outcome(case, codes, recall == 1.0, recall)
    top1 = bool(codes) and codes[0] in expected
    return Outcome(case, codes, top1, len(expected & set(codes[:TOP_K])) / len(expected))


def evaluate(cases: Iterable[Case], search: Search) -> list[Outcome]:
    return [judge(case, search(case.query)) for case in cases]


def summarise(outcomes: list[Outcome]) -> list[Score]:
    """One score per category (in the file's order), then the overall one."""
    categories = list(dict.fromkeys(outcome.case.category for outcome in outcomes))
    scores = [_score(c, [o for o in outcomes if o.case.category == c]) for c in categories]
    return [*scores, _score(OVERALL, outcomes)]


def _score(category: str, outcomes: list[Outcome]) -> Score:
    n = len(outcomes)
    return Score(category, n, sum(o.top1 for o in outcomes) / n, sum(o.recall for o in outcomes) / n)


def missed_targets(scores: list[Score]) -> list[str]:
    by_category = {score.category: score for score in scores}
    missed = []
    if by_category[OVERALL].top1 < TOP1_TARGET_OVERALL:
        missed.append(f"overall top-1 {by_category[OVERALL].top1:.1%} < {TOP1_TARGET_OVERALL:.0%}")
    for category in TOP1_PERFECT:
        if category in by_category and by_category[category].top1 < 1.0:
            missed.append(f"{category} top-1 {by_category[category].top1:.1%} < 100%")
    for category in RECALL_PERFECT:
        if category in by_category and by_category[category].recall < 1.0:
            missed.append(f"{category} recall@{TOP_K} {by_category[category].recall:.1%} < 100%")
    return missed


def report(scores: list[Score]) -> list[str]:
    lines = [f"{'category':<12} {'queries':>7} {'top-1':>7} {'recall@10':>10}"]
    for score in scores:
        lines.append(f"{score.category:<12} {score.queries:>7} {score.top1:>7.1%} {score.recall:>10.1%}")
    return lines


def misses(outcomes: list[Outcome]) -> list[str]:
    return [
        f"  {o.case.category}: {o.case.query!r} expected {'|'.join(o.case.expected)}, got {o.codes[:3]}"
        for o in outcomes if not o.top1
    ]


def client_search(client, path: str = "/communes") -> Search:
    """Search through a Flask test client: the whole request path, in-process."""

    def search(query: str) -> list[str]:
        response = client.get(path, query_string={"q": query, "limit": TOP_K})
        if response.status_code != 200:
            return []
        return [commune["code"] for commune in response.get_json()["communes"]]

    return search


def http_search(base_url: str, path: str = "/communes", timeout_s: float = 10) -> Search:
    def search(query: str) -> list[str]:
        url = f"{base_url.rstrip('/')}{path}?" + urllib.parse.urlencode({"q": query, "limit": TOP_K})
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310 - URL given by the user
                return [commune["code"] for commune in json.load(response)["communes"]]
        except urllib.error.HTTPError:
            return []

    return search


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Top-1 and recall@10 of the commune search, per category.")
    parser.add_argument("--url", help="a running service (e.g. http://127.0.0.1:8000); default: in-process "
                        "against GEOSVC_DATABASE_URL")
    parser.add_argument("--cases", type=Path, default=RELEVANCE_SET, help="relevance set (CSV)")
    parser.add_argument("--show-misses", action="store_true", help="list every query whose top-1 is wrong")
    args = parser.parse_args(argv)
    cases = load_cases(args.cases)
    if args.url:
        outcomes = evaluate(cases, http_search(args.url))
    else:
        from geosvc.web import create_app

        app = create_app()
        try:
            outcomes = evaluate(cases, client_search(app.test_client()))
        finally:
            app.extensions["geosvc.read_db"].close()
    scores = summarise(outcomes)
    print("\n".join(report(scores)))
    if args.show_misses:
        print("\n".join(misses(outcomes)) or "no miss")
    missed = missed_targets(scores)
    for line in missed:
        print(f"target missed: {line}", file=sys.stderr)
    if not missed:
        print("targets met: top-1 >= 98% overall, 100% for exact, folded, saint and postcode; "
              "every homonym in the top 10")
    return 1 if missed else 0
