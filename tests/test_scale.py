"""All of metropolitan France, real data (../shared/data/france/, read in place, not copied):
the same ingestion and the same answers at ×9 the region's size.

Without that folder these tests are skipped, with the reason; with GEOSVC_REQUIRE_FRANCE=1
(CI) they fail instead (conftest.france_dir, tests/README.md)."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys

import pytest

from geosvc.config import PROJECT_ROOT
from tests.conftest import FRANCE_DIR_VARIABLE, REQUIRE_FRANCE, ingest_into, settings_for
from tests.test_correctness import brute_force_nearest
from tests.test_ingest import query

SAMPLE = 400
FRANCE_TESTS = ["test_france_loads_and_its_bad_points_are_caught",
                "test_france_nearest_matches_brute_force_on_a_sample"]


@pytest.fixture(scope="module")
def france_db(france_dir, empty_db_module):
    summary = ingest_into(empty_db_module, france_dir)
    return empty_db_module, summary


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


def test_france_nearest_matches_brute_force_on_a_sample(france_db, make_app):
    url, _ = france_db
    client = make_app(settings_for(url)).test_client()
    sites = client.get("/missions").get_json()["missions"]
    assert len(sites) == 714
    codes = [r["code"] for r in query(url, "SELECT code FROM communes ORDER BY code")]
    for code in random.Random(2026).sample(codes, SAMPLE):
        body = client.get(f"/communes/{code}/nearest?k=1").get_json()
        point = body["commune"]["point"]
        distance, site_id = brute_force_nearest(point["lon"], point["lat"], sites)[0]
        assert body["missions"][0]["id"] == site_id, code
        assert abs(body["missions"][0]["distance_m"] - distance) < 1.0, code


def _run_france_tests(france_dir, require: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in (REQUIRE_FRANCE, FRANCE_DIR_VARIABLE)}
    env |= {FRANCE_DIR_VARIABLE: str(france_dir), REQUIRE_FRANCE: require}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs", "--no-header",
         *(f"tests/test_scale.py::{name}" for name in FRANCE_TESTS)],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def _outcome(run: subprocess.CompletedProcess) -> str:
    """The summary line of a pytest run without its duration, e.g. '2 skipped'."""
    return re.sub(r" in [\d.]+s.*$", "", run.stdout.strip().splitlines()[-1].strip("= "))


def test_without_the_france_data_they_skip_saying_why_or_fail_when_required(tmp_path):
    missing = tmp_path / "nothing-here"
    absent = f"the France data set is absent: no {missing / 'communes.geojson'}"
    skipped = _run_france_tests(missing, "")
    assert (skipped.returncode, _outcome(skipped)) == (0, "2 skipped"), skipped.stdout + skipped.stderr
    assert absent in skipped.stdout

    required = _run_france_tests(missing, "1")  # CI: a failure, never a skip
    assert (required.returncode, _outcome(required)) == (1, "2 errors"), required.stdout + required.stderr
    assert f"{absent}, and {REQUIRE_FRANCE}=1 requires it" in required.stdout

    misspelt = _run_france_tests(missing, "yes")  # a value it does not know is not taken for 0
    assert (misspelt.returncode, _outcome(misspelt)) == (1, "2 errors"), misspelt.stdout + misspelt.stderr
