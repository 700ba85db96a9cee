"""The corpus of broken inputs under tests/data/bad/: each one is rejected (or repaired, where
the ingestion says it repairs) with a message naming the file, the line or feature, and the field,
and a rejected one leaves the previously loaded data intact.

Each case is a folder holding one broken file, which replaces its namesake in the small, real
data set tests/data/mini/ (4 communes around Saint-Omer and their mission site), and
expected.txt: `error: <message prefix>` or `warning: <message prefix>`.

The small set is loaded over a copy of the whole region's data, so each load passes
allow_shrink (it drops far more than a tenth of the communes, zones and sites): what rejects
a broken input is then its validation, never the shrink guard, which
test_the_small_data_set_loads checks on its own.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from geosvc.db.load import ShrinkRefused
from geosvc.ingest.problems import IngestError
from tests.conftest import ingest_into
from tests.test_ingest import digest, query

DATA = Path(__file__).parent / "data"
CASES = sorted(path.name for path in (DATA / "bad").iterdir() if path.is_dir())


def test_the_corpus_has_at_least_12_cases():
    assert len(CASES) >= 12


def test_the_small_data_set_loads(fresh_db):
    before = digest(fresh_db)
    # over the region's 3,782 communes, 3,782 zones and 116 sites, 4 communes are refused ...
    with pytest.raises(ShrinkRefused, match=r"communes: the new data has 4 rows where 3782 are loaded"):
        ingest_into(fresh_db, DATA / "mini")
    assert digest(fresh_db) == before, "a refused load must leave the previous data intact"
    # ... and loaded when asked
    summary = ingest_into(fresh_db, DATA / "mini", allow_shrink=True)
    assert summary.communes_per_departement == {"62": 4}
    assert summary.sites_per_status == {"served": 1}
    # the small set is in the older format (missions.csv, no union table, no timetable): only that is said
    assert [str(warning) for warning in summary.warnings] == [
        "sources/unml/zones_de_couverture_*.csv: absent: no mission locale zones; answers give the nearest sites only",
        "sources/gtfs/*.zip: absent: no TER timetable, answers carry no travel time",
    ]
    counts = query(fresh_db, "SELECT (SELECT count(*) FROM communes) AS communes, "
                   "(SELECT count(*) FROM zones) AS zones, (SELECT count(*) FROM mission_sites) AS sites")[0]
    assert dict(counts) == {"communes": 4, "zones": 0, "sites": 1}


@pytest.mark.parametrize("case", CASES)
def test_broken_input(case, fresh_db, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(DATA / "mini", data_dir)
    case_dir = DATA / "bad" / case
    for broken in case_dir.iterdir():
        if broken.name != "expected.txt":
            shutil.copyfile(broken, data_dir / broken.name)
    kind, expected = (case_dir / "expected.txt").read_text(encoding="utf-8").strip().split(": ", 1)
    before = digest(fresh_db)
    if kind == "error":
        with pytest.raises(IngestError) as caught:
            ingest_into(fresh_db, data_dir, allow_shrink=True)
        messages = [str(problem) for problem in caught.value.errors]
        assert digest(fresh_db) == before, "a rejected ingestion must leave the previous data intact"
    else:
        messages = [str(problem) for problem in ingest_into(fresh_db, data_dir, allow_shrink=True).warnings]
    assert any(message.startswith(expected) for message in messages), messages
