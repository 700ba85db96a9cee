"""All of metropolitan France, real data (../shared/data/france/, read in place, not copied):
the same ingestion and the same answers at ×9 the region's size."""

from __future__ import annotations

import random

import pytest

from geosvc.config import PROJECT_ROOT
from geosvc.web import create_app
from tests.conftest import ingest_into, settings_for
from tests.test_correctness import brute_force_nearest
from tests.test_ingest import query

FRANCE = PROJECT_ROOT.parent / "shared" / "data" / "france"
SAMPLE = 400


@pytest.fixture(scope="module")
def france_db(request):
    assert (FRANCE / "communes.geojson").exists(), f"the France data set is expected in {FRANCE}"
    empty_db = request.getfixturevalue("empty_db_module")
    summary = ingest_into(empty_db, FRANCE)
    return empty_db, summary


@pytest.fixture(scope="module")
def empty_db_module():
    from geosvc.ops.dbsetup import TEMPLATE_DATABASE
    from tests.conftest import _janitor, _unique, database_url

    name = _unique("geosvc_test_france")
    with _janitor(name, TEMPLATE_DATABASE):
        yield database_url(name)


def test_france_loads_and_its_bad_points_are_caught(france_db):
    url, summary = france_db
    assert sum(summary.communes_per_departement.values()) == 34_739
    assert len(summary.communes_per_departement) == 96
    # PROVENANCE.md flags points far from their stated commune: they are kept, not served
    assert summary.sites_per_status == {"served": 714, "rejected": 7, "superseded": 1}
    rejected = query(url, "SELECT id FROM mission_sites WHERE status = 'rejected' ORDER BY id")
    assert {"ml-38509-01-la-tour-du-pin", "ml-46251-01-saint-cere"} <= {r["id"] for r in rejected}
    # no departements.csv: names unknown (NULL), never invented
    assert query(url, "SELECT count(*) AS n FROM departements WHERE nom IS NULL")[0]["n"] == 96


def test_france_nearest_matches_brute_force_on_a_sample(france_db):
    url, _ = france_db
    app = create_app(settings_for(url))
    try:
        client = app.test_client()
        sites = client.get("/missions").get_json()["missions"]
        assert len(sites) == 714
        codes = [r["code"] for r in query(url, "SELECT code FROM communes ORDER BY code")]
        for code in random.Random(2026).sample(codes, SAMPLE):
            body = client.get(f"/communes/{code}/nearest?k=1").get_json()
            point = body["commune"]["point"]
            distance, site_id = brute_force_nearest(point["lon"], point["lat"], sites)[0]
            assert body["missions"][0]["id"] == site_id, code
            assert abs(body["missions"][0]["distance_m"] - distance) < 1.0, code
    finally:
        app.extensions["geosvc.read_db"].close()
