"""The optional official assignment (mission_communes.csv): ingestion and the mismatch report.

No real assignment exists in open data, so the only one here is SYNTHETIC
(tests/data/coverage_synthetic/mission_communes.csv, every line says so).
"""

from __future__ import annotations

import csv
import io
import shutil

import pytest
from pyproj import Geod

from geosvc.ingest.assignment import ASSIGNMENT_FILE, validate_assignment
from geosvc.ingest.pipeline import ingest
from geosvc.ingest.problems import IngestError, Report
from geosvc.ingest.sites import SiteRecord
from tests.conftest import SYNTHETIC_DIR

GEOD = Geod(ellps="WGS84")


def squares(count: int) -> float:
    return GEOD.inv(2.05, 50.05, 2.05 + 0.1 * count, 50.05)[2]


def _site(site_id: str, status: str = "served") -> SiteRecord:
    return SiteRecord(
        id=site_id, name=site_id, address=None, postcode=None, city=None, insee="80001", kind=None, phone=None,
        website=None, source=None, source_date=None, coord_source=None, note=None, superseded_by=None, lon=2.05,
        lat=50.05, location_precision="address", status=status, status_reason=f"{status} for the test", line=2,
    )


SITES = {"syn-a": _site("syn-a"), "syn-old": _site("syn-old", "superseded")}
COMMUNES = {"80001", "80002"}


@pytest.mark.parametrize(("row", "field", "message"), [
    ({"insee": "8001", "mission_id": "syn-a"}, "insee", "is not an INSEE commune code"),
    ({"insee": "80009", "mission_id": "syn-a"}, "insee", "is not a commune of communes.geojson"),
    ({"insee": "80001", "mission_id": "nope"}, "mission_id", "is not a site id of missions.csv"),
    ({"insee": "80001", "mission_id": ""}, "mission_id", "required value is empty"),
])
def test_bad_rows_name_file_line_and_field(row, field, message):
    report = Report()
    assert validate_assignment(ASSIGNMENT_FILE, [(7, row)], COMMUNES, SITES, report) == []
    [problem] = report.errors
    assert (problem.file, problem.where, problem.field) == (ASSIGNMENT_FILE, "line 7", field)
    assert message in problem.message
    assert str(problem).startswith(f"mission_communes.csv: line 7: field '{field}': ")


def test_a_commune_is_assigned_once():
    report = Report()
    rows = [(2, {"insee": "80001", "mission_id": "syn-a"}), (3, {"insee": "80001", "mission_id": "syn-old"})]
    records = validate_assignment(ASSIGNMENT_FILE, rows, COMMUNES, SITES, report)
    assert [r.line for r in records] == [2]
    assert "already assigned (line 2)" in report.errors[0].message


def test_a_site_not_served_is_a_warning():
    report = Report()
    rows = [(2, {"insee": "80002", "mission_id": "syn-old"})]
    assert len(validate_assignment(ASSIGNMENT_FILE, rows, COMMUNES, SITES, report)) == 1
    assert not report.errors
    assert "syn-old is not served" in report.warnings[0].message


def test_a_bad_file_stops_the_whole_ingestion(tmp_path, empty_db):
    from geosvc.db.pool import make_engine

    data = tmp_path / "grid"
    shutil.copytree(SYNTHETIC_DIR, data)
    (data / ASSIGNMENT_FILE).write_text("insee,mission_id\n80001,syn-a\n80002,ml-nowhere\n", encoding="utf-8")
    engine = make_engine(empty_db)
    try:
        with pytest.raises(IngestError) as failure:
            ingest(engine, data, max_offset_km=5.0)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT to_regclass('communes')").scalar() is None  # nothing written
    finally:
        engine.dispose()
    assert "mission_communes.csv: line 3: field 'mission_id': 'ml-nowhere' is not a site id" in str(failure.value)


def test_a_missing_column_is_an_error(tmp_path, empty_db):
    from geosvc.db.pool import make_engine

    data = tmp_path / "grid"
    shutil.copytree(SYNTHETIC_DIR, data)
    (data / ASSIGNMENT_FILE).write_text("insee,site\n80001,syn-a\n", encoding="utf-8")
    engine = make_engine(empty_db)
    try:
        with pytest.raises(IngestError, match=r"mission_communes.csv: line 1: field 'mission_id'"):
            ingest(engine, data, max_offset_km=5.0)
    finally:
        engine.dispose()


def test_absent_file_leaves_the_table_empty(sql):
    assert sql("SELECT count(*) AS n FROM mission_assignments")[0]["n"] == 0
    assert sql("SELECT count(*) AS n FROM datasets WHERE name = 'mission_communes'")[0]["n"] == 0


def test_mismatches_on_the_synthetic_assignment(synthetic_client):
    body = synthetic_client.get("/coverage/assignment").get_json()
    assert body["available"] is True
    assert body["dataset"]["rows"] == 5 and "SYNTHETIC" in body["dataset"]["source"]
    assert (body["communes_assigned"], body["communes_unassigned"]) == (5, 1)
    assert (body["assigned_to_nearest"], body["assigned_elsewhere"]) == (3, 2)
    echo, charlie = body["mismatches"]  # the larger extra distance first
    # Echo is assigned to the superseded syn-old (placed at Alpha's centre, 4 squares away)
    assert (echo["code"], echo["assigned_site_id"], echo["assigned_site_status"]) == ("80005", "syn-old", "superseded")
    assert echo["assigned_distance_m"] == pytest.approx(squares(4), abs=0.06)
    assert echo["nearest_site_id"] == "syn-b"
    assert echo["extra_distance_m"] == pytest.approx(squares(4) - squares(1), abs=0.1)
    # Charlie is assigned to syn-a, 2 squares away, while syn-b is 1 square away
    assert (charlie["code"], charlie["assigned_site_id"], charlie["nearest_site_id"]) == ("80003", "syn-a", "syn-b")
    assert charlie["assigned_distance_m"] == pytest.approx(squares(2), abs=0.06)
    assert charlie["nearest_distance_m"] == pytest.approx(squares(1), abs=0.06)
    assert charlie["same_structure"] is False


def test_mismatches_as_csv(synthetic_client):
    response = synthetic_client.get("/coverage/assignment?format=csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["code"] for r in rows] == ["80005", "80003"]
    assert rows[1]["same_structure"] == "False"


def test_report_lists_the_mismatches_when_an_assignment_is_loaded(synthetic_url, tmp_path):
    from click.testing import CliRunner

    from geosvc.cli import main

    result = CliRunner().invoke(main, ["coverage", "report", "--out", str(tmp_path), "--thresholds", "5,10"],
                                env={"GEOSVC_DATABASE_URL": synthetic_url})
    assert result.exit_code == 0, result.output
    with (tmp_path / "assignment_mismatches.csv").open(encoding="utf-8", newline="") as file:
        assert [row["code"] for row in csv.DictReader(file)] == ["80005", "80003"]
    with (tmp_path / "areas.csv").open(encoding="utf-8", newline="") as file:
        header = next(csv.reader(file))
    assert header[-2:] == ["communes_beyond_10km_share", "population_beyond_10km_share"]
    assert (tmp_path / "map.html").stat().st_size > 100_000  # Leaflet inlined


def test_report_refuses_bad_thresholds(synthetic_url, tmp_path):
    from click.testing import CliRunner

    from geosvc.cli import main

    result = CliRunner().invoke(main, ["coverage", "report", "--out", str(tmp_path), "--thresholds", "5,x"],
                                env={"GEOSVC_DATABASE_URL": synthetic_url})
    assert result.exit_code == 2
    assert "expected km values" in result.output
