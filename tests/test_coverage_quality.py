"""The data-quality report on the SYNTHETIC grid (tests/data/coverage_synthetic), where every
problem was put on purpose, and a duplicate office added to a copy of it."""

from __future__ import annotations

import shutil

import psycopg
import pytest
from psycopg.rows import dict_row

from geosvc.coverage import quality
from geosvc.db.pool import libpq_url
from tests.conftest import SYNTHETIC_DIR, ingest_into


@pytest.fixture(scope="module")
def report(synthetic_app):
    body = synthetic_app.test_client().get("/coverage/quality").get_json()
    assert body["data"]["missions"]["source"] == "SYNTHETIC test fixture"
    return body


def test_incomplete_communes(report):
    assert [c["code"] for c in report["communes_without_population"]] == ["80002"]
    assert report["communes_without_population"][0]["population"] is None
    assert [c["code"] for c in report["communes_without_postcode"]] == ["80003"]
    assert report["communes_without_postcode"][0]["codesPostaux"] == []


def test_approximate_superseded_and_rejected_sites(report):
    assert [(s["id"], s["status"]) for s in report["approximate_sites"]] == [("syn-old", "superseded")]
    assert {(s["id"], s["status"]) for s in report["not_served_sites"]} == {
        ("syn-far", "rejected"), ("syn-old", "superseded"),
    }
    assert next(s for s in report["not_served_sites"] if s["id"] == "syn-old")["superseded_by"] == "syn-a"


def test_site_far_from_its_commune(report):
    [far] = report["sites_outside_commune"]
    assert (far["id"], far["insee"], far["found_in"]) == ("syn-far", "80006", "80002")
    # from 2.15 to Foxtrot's west edge at 2.5: 0.35 degrees of longitude at latitude 50.05
    assert far["distance_m"] == pytest.approx(25_000, rel=0.01)
    assert report["counts"]["sites_outside_commune"] == 1


def test_no_duplicates_in_the_grid(report):
    assert report["duplicate_sites"] == [] and report["duplicate_radius_m"] == 100


def test_duplicate_sites_are_reported(tmp_path, empty_db):
    data = tmp_path / "grid"
    shutil.copytree(SYNTHETIC_DIR, data)
    with (data / "missions.csv").open("a", encoding="utf-8") as missions:
        # the same office as syn-b listed again, 40 m away; and one at syn-a's street address
        missions.write("syn-b-again,Mission locale Delta,1 rue D bis,80200,Delta,80004,50.05,2.3505,,source,,,,,,,\n")
        missions.write("syn-a-again,ML Alpha,1 RUE A,80100,Alpha,80001,50.06,2.06,,source,,,,,,,\n")
    ingest_into(empty_db, data)
    with psycopg.connect(libpq_url(empty_db)) as connection, connection.cursor(row_factory=dict_row) as cursor:
        body = quality.report(cursor)
    pairs = {(d["id"], d["other_id"]): d for d in body["duplicate_sites"]}
    assert set(pairs) == {("syn-b", "syn-b-again"), ("syn-a", "syn-a-again")}
    assert pairs[("syn-b", "syn-b-again")]["distance_m"] == pytest.approx(35.8, abs=1)
    assert pairs[("syn-b", "syn-b-again")]["same_address"] is False
    assert pairs[("syn-a", "syn-a-again")]["same_address"] is True
