"""Own mission locale (the union's zones) vs nearest site: GET /coverage/assignment on the real data.

The reference below shares no code with geosvc: it measures every commune's reference point to
every served site with pyproj.Geod (GeographicLib), takes the nearest (ties to the lower id), and
compares the nearest site's mission locale with the commune's own from the `zones` table.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from pyproj import Geod

ROUNDING_M = 0.06  # the API gives decimetres


@pytest.fixture(scope="module")
def reference(api_url):
    """Brute force: {code: {population, own: set, nearest: (metres, id, ml), own_nearest: (metres, id) | None}}."""
    from sqlalchemy import text

    from geosvc.db.pool import make_engine

    engine = make_engine(api_url)
    with engine.connect() as connection:
        communes = connection.execute(text(
            "SELECT code, population, ST_X(point::geometry) AS lon, ST_Y(point::geometry) AS lat "
            "FROM communes ORDER BY code"
        )).mappings().all()
        sites = connection.execute(text(
            "SELECT id, mission_locale, ST_X(geog::geometry) AS lon, ST_Y(geog::geometry) AS lat "
            "FROM mission_sites WHERE status = 'served' ORDER BY id"
        )).mappings().all()
        zones = connection.execute(text("SELECT insee, mission_locale FROM zones")).mappings().all()
    engine.dispose()
    own: dict[str, set[str]] = {}
    for zone in zones:
        own.setdefault(zone["insee"], set()).add(zone["mission_locale"])
    geod = Geod(ellps="WGS84")
    count = len(sites)
    _, _, metres = geod.inv(
        np.repeat([c["lon"] for c in communes], count), np.repeat([c["lat"] for c in communes], count),
        np.tile([s["lon"] for s in sites], len(communes)), np.tile([s["lat"] for s in sites], len(communes)),
    )
    metres = metres.reshape(len(communes), count)
    out = {}
    for row, commune in zip(metres, communes, strict=True):
        ranked = sorted(zip(row.tolist(), (s["id"] for s in sites), (s["mission_locale"] for s in sites),
                            strict=True))
        mine = own.get(commune["code"], set())
        own_ranked = [(m, site_id) for m, site_id, ml in ranked if ml in mine]
        out[commune["code"]] = {
            "population": commune["population"], "own": mine, "nearest": ranked[0],
            "own_nearest": own_ranked[0] if own_ranked else None,
        }
    return out


@pytest.fixture(scope="module")
def body(app):
    response = app.test_client().get("/coverage/assignment")
    assert response.status_code == 200
    return response.get_json()


def _mismatched(reference: dict) -> dict:
    return {code: r for code, r in reference.items() if r["nearest"][2] not in r["own"]}


def test_every_commune_has_a_zone_and_every_site_a_mission_locale(body, sql):
    assert body["available"] is True and body["reason"] is None
    assert body["dataset"]["file"] == "sources/unml/zones_de_couverture_janvier_2026_hdf.csv"
    assert "January 2026" in body["dataset"]["vintage"]
    assert (body["communes_zoned"], body["communes_without_zone"]) == (3782, 0)
    without = sql("SELECT count(*) AS n FROM mission_sites WHERE status = 'served' AND mission_locale IS NULL")
    assert without[0]["n"] == 0
    assert len(body["missions_locales"]) == sql("SELECT count(*) AS n FROM missions_locales")[0]["n"] == 42


def test_mismatch_count_and_population_match_pyproj(body, reference):
    expected = _mismatched(reference)
    population = sum(r["population"] or 0 for r in reference.values())
    expected_population = sum(r["population"] or 0 for r in expected.values())
    assert body["communes_nearest_other"] == len(expected) == 932
    assert body["communes_nearest_own"] == 3782 - 932
    assert body["population_zoned"] == population
    assert body["population_nearest_other"] == expected_population == 945_289
    assert body["population_nearest_other_share"] == pytest.approx(expected_population / population, abs=1e-6)
    assert body["communes_nearest_other_share"] == pytest.approx(932 / 3782, abs=1e-6)
    assert {m["code"] for m in body["mismatches"]} == set(expected)
    assert body["communes_own_without_site"] == 0


def test_each_mismatch_has_the_brute_force_distances(body, reference):
    for mismatch in body["mismatches"]:
        expected = reference[mismatch["code"]]
        nearest_m, nearest_id, nearest_ml = expected["nearest"]
        own_m, own_id = expected["own_nearest"]
        assert (mismatch["nearest_site_id"], mismatch["nearest_mission_locale"]) == (nearest_id, nearest_ml)
        assert mismatch["mission_locale"] in expected["own"]
        assert mismatch["own_site_id"] == own_id, mismatch["code"]
        assert mismatch["nearest_distance_m"] == pytest.approx(nearest_m, abs=ROUNDING_M)
        assert mismatch["own_distance_m"] == pytest.approx(own_m, abs=ROUNDING_M)
        assert mismatch["extra_distance_m"] == pytest.approx(own_m - nearest_m, abs=2 * ROUNDING_M)
        assert mismatch["extra_distance_m"] >= 0
    extras = [m["extra_distance_m"] for m in body["mismatches"]]
    assert extras == sorted(extras, reverse=True)  # the largest extra distance first


def test_per_mission_locale_figures_match_pyproj(body, reference):
    expected = _mismatched(reference)
    for mission in body["missions_locales"]:
        lost = [r for r in expected.values() if mission["code"] in r["own"]]
        attracted = [r for r in expected.values() if r["nearest"][2] == mission["code"]]
        zone = [r for r in reference.values() if mission["code"] in r["own"]]
        assert mission["zone_communes"] == len(zone), mission["code"]
        assert mission["zone_population"] == sum(r["population"] or 0 for r in zone)
        assert mission["communes_nearest_other"] == len(lost)
        assert mission["population_nearest_other"] == sum(r["population"] or 0 for r in lost)
        assert mission["communes_attracted"] == len(attracted)
        assert mission["population_attracted"] == sum(r["population"] or 0 for r in attracted)
    top = sorted(body["missions_locales"], key=lambda m: (-m["population_nearest_other"], m["code"]))[:5]
    # Métropole Sud (Lille's south), Arras, MNO (Marcq-en-Barœul), Péronne, Artois (Béthune)
    assert [m["code"] for m in top] == ["59220", "62041", "59386", "80620", "62119"]


def test_the_commune_answer_agrees(client, body):
    rogy = body["mismatches"][0]  # the largest extra distance: Rogy (80), Péronne's zone, 21 km from Amiens
    assert (rogy["code"], rogy["mission_locale"], rogy["nearest_mission_locale"]) == ("80675", "80620", "80021")
    answer = client.get(f"/communes/{rogy['code']}/mission-locale").get_json()
    assert answer["mission_locale"]["code"] == rogy["mission_locale"]
    assert answer["nearest_is_own"] is False
    assert answer["nearest"][0]["id"] == rogy["nearest_site_id"]


def test_mismatches_as_csv(client, body):
    response = client.get("/coverage/assignment?format=csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["code"] for r in rows] == [m["code"] for m in body["mismatches"]]
    assert float(rows[0]["extra_distance_m"]) == body["mismatches"][0]["extra_distance_m"]
    assert rows[0]["nearest_mission_locale"] == "80021"


def test_without_zones_it_says_why(synthetic_client):
    body = synthetic_client.get("/coverage/assignment").get_json()
    assert body["available"] is False
    assert "no mission locale zones are loaded" in body["reason"]
    assert (body["communes_zoned"], body["communes_without_zone"]) == (0, 6)
    assert body["mismatches"] == [] and body["missions_locales"] == []
    assert body["dataset"] is None


def test_report_without_zones(synthetic_url, tmp_path):
    import json

    from click.testing import CliRunner

    from geosvc.cli import main

    result = CliRunner().invoke(main, ["coverage", "report", "--out", str(tmp_path), "--thresholds", "5,10"],
                                env={"GEOSVC_DATABASE_URL": synthetic_url})
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "assignment.json").read_text(encoding="utf-8"))["available"] is False
    assert not (tmp_path / "assignment_mismatches.csv").exists()
    with (tmp_path / "missions_locales.csv").open(encoding="utf-8", newline="") as file:
        assert list(csv.DictReader(file)) == []  # no mission locale without zones
    with (tmp_path / "areas.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    header = list(rows[0])
    assert header[10:14] == ["communes_beyond_5km_share", "population_beyond_5km_share",
                             "communes_beyond_10km_share", "population_beyond_10km_share"]
    assert header[-2:] == ["own_communes_beyond_10km_share", "own_population_beyond_10km_share"]
    assert all(row[column] == "" for row in rows for column in header if column.startswith("own_"))  # no zones
    with (tmp_path / "zones.csv").open(encoding="utf-8", newline="") as file:
        assert list(csv.DictReader(file)) == []
    for name in ("zone_catchment.csv", "assignment_mismatches.geojson", "missions_locales.html"):
        assert not (tmp_path / name).exists(), name  # nothing to show without zones
    indicators = json.loads((tmp_path / "indicators.json").read_text(encoding="utf-8"))
    assert indicators["own_mission_locale"]["available"] is False and indicators["zones"] == []
    assert (tmp_path / "map.html").stat().st_size > 100_000  # Leaflet inlined


def test_report_refuses_bad_thresholds(synthetic_url, tmp_path):
    from click.testing import CliRunner

    from geosvc.cli import main

    result = CliRunner().invoke(main, ["coverage", "report", "--out", str(tmp_path), "--thresholds", "5,x"],
                                env={"GEOSVC_DATABASE_URL": synthetic_url})
    assert result.exit_code == 2
    assert "expected km values" in result.output
