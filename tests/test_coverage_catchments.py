"""Catchment polygons and Voronoi cells (GeoJSON), on the real data and the SYNTHETIC grid."""

from __future__ import annotations

import json

import pytest
import shapely
from shapely.geometry import Point, shape


def collection(client, by: str) -> dict:
    response = client.get(f"/coverage/catchments?by={by}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/geo+json"
    return json.loads(response.get_data(as_text=True))


@pytest.fixture(scope="module")
def region_area_km2(api_url):
    from sqlalchemy import text

    from geosvc.db.pool import make_engine

    engine = make_engine(api_url)
    with engine.connect() as connection:
        area = connection.execute(text("SELECT sum(ST_Area(geom::geography)) / 1e6 FROM communes")).scalar()
    engine.dispose()
    return area


@pytest.fixture(scope="module")
def communes(app):
    return app.test_client().get("/coverage/communes").get_json()["communes"]


def test_site_catchments_tile_the_region(client, communes, region_area_km2):
    layer = collection(client, "site")
    assert layer["name"] == "catchments by site"
    assert "COG 2026" in layer["data"]["communes"]["vintage"] and "geodesic" in layer["method"]
    features = layer["features"]
    served = {c["site_id"] for c in communes}
    assert {f["properties"]["id"] for f in features} == served
    assert sum(f["properties"]["communes"] for f in features) == 3782
    assert sum(f["properties"]["area_km2"] for f in features) == pytest.approx(region_area_km2, rel=1e-3)
    polygons = {f["properties"]["id"]: shape(f["geometry"]) for f in features}
    for polygon in polygons.values():
        shapely.prepare(polygon)
    for commune in communes:
        point = Point(commune["point"]["lon"], commune["point"]["lat"])
        assert polygons[commune["site_id"]].contains(point), commune["code"]


def test_mission_locale_catchments(client, communes, region_area_km2):
    layer = collection(client, "mission_locale")
    assert layer["name"] == "catchments by mission_locale"
    by_code = {f["properties"]["code"]: f for f in layer["features"]}
    # every one of the 42 missions locales is the nearest for some commune
    assert set(by_code) == {c["mission_locale"] for c in communes} and len(by_code) == 42
    assert len(by_code["59383"]["properties"]["sites"]) == 6
    assert by_code["59383"]["properties"]["name"] == "Mission locale de Marly"
    assert sum(f["properties"]["communes"] for f in by_code.values()) == 3782
    assert sum(f["properties"]["area_km2"] for f in by_code.values()) == pytest.approx(region_area_km2, rel=1e-3)
    polygons = {code: shape(f["geometry"]) for code, f in by_code.items()}
    for polygon in polygons.values():
        shapely.prepare(polygon)
    for commune in communes:
        point = Point(commune["point"]["lon"], commune["point"]["lat"])
        assert polygons[commune["mission_locale"]].contains(point), commune["code"]


def test_the_former_structure_layer_names_the_new_one(client):
    response = client.get("/coverage/catchments?by=structure")
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "invalid_parameter"
    assert "by: 'structure' was renamed: use 'mission_locale'" in body["message"]


def test_without_zones_the_mission_locale_layer_is_empty(synthetic_client):
    assert collection(synthetic_client, "mission_locale")["features"] == []


def test_voronoi_cells_hold_their_site_and_tile_the_region(client, region_area_km2):
    layer = collection(client, "voronoi")
    assert "Lambert-93" in layer["layer_method"]
    features = layer["features"]
    sites = {s["id"]: s for s in client.get("/coverage").get_json()["sites"]}
    assert {f["properties"]["id"] for f in features} == set(sites)
    for feature in features:
        site = sites[feature["properties"]["id"]]
        assert shape(feature["geometry"]).contains(Point(site["lon"], site["lat"])), site["id"]
    # two sites at the same point share one cell (the Valenciennois antenne of 2015 and Marly's 2026 head office)
    cells = {f["properties"]["id"]: f["geometry"] for f in features}
    assert cells["ml-59606-x1-valenciennes"] == cells["unml-2026-59383"]
    distinct = {json.dumps(f["geometry"], sort_keys=True): f["properties"]["area_km2"] for f in features}
    assert len(distinct) == len(features) - 1
    assert sum(distinct.values()) == pytest.approx(region_area_km2, rel=2e-3)


def test_unknown_layer_is_400(client):
    response = client.get("/coverage/catchments?by=commune")
    assert response.status_code == 400
    assert response.get_json()["code"] == "invalid_parameter"


def test_synthetic_catchments_by_hand(synthetic_client):
    site = {f["properties"]["id"]: f for f in collection(synthetic_client, "site")["features"]}
    # syn-a: Alpha + Bravo (2.0 to 2.2); syn-b: Charlie to Foxtrot (2.2 to 2.6)
    assert shape(site["syn-a"]["geometry"]).bounds == pytest.approx((2.0, 50.0, 2.2, 50.1))
    assert shape(site["syn-b"]["geometry"]).bounds == pytest.approx((2.2, 50.0, 2.6, 50.1))
    assert (site["syn-a"]["properties"]["communes"], site["syn-b"]["properties"]["communes"]) == (2, 4)
    cells = {f["properties"]["id"]: shape(f["geometry"]) for f in collection(synthetic_client, "voronoi")["features"]}
    # the bisector of 2.05 and 2.35 is near 2.2 (planar in Lambert-93, so not exactly)
    assert cells["syn-a"].bounds[2] == pytest.approx(2.2, abs=0.005)
    assert cells["syn-b"].bounds[0] == pytest.approx(2.2, abs=0.005)
    assert cells["syn-a"].union(cells["syn-b"]).area == pytest.approx(0.6 * 0.1, rel=1e-3)


def test_a_lone_site_gets_the_whole_region(tmp_path, empty_db):
    import shutil

    import psycopg
    from psycopg.rows import dict_row

    from geosvc.coverage.catchments import voronoi_cells
    from geosvc.coverage.network import stored_network
    from geosvc.db.pool import libpq_url
    from tests.conftest import SYNTHETIC_DIR, ingest_into

    data = tmp_path / "grid"
    shutil.copytree(SYNTHETIC_DIR, data)
    lines = (data / "missions.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (data / "missions.csv").write_text("".join(line for line in lines if not line.startswith("syn-b,")))
    ingest_into(empty_db, data)
    with psycopg.connect(libpq_url(empty_db)) as connection, connection.cursor(row_factory=dict_row) as cursor:
        [(geometry, properties)] = voronoi_cells(cursor, stored_network(cursor))
    assert properties["id"] == "syn-a"
    assert shape(json.loads(geometry)).bounds == pytest.approx((2.0, 50.0, 2.6, 50.1))


def test_the_zones_layer_outlines_each_zone_once(client, communes, region_area_km2):
    layer = collection(client, "zone")
    assert "official zone" in layer["layer_method"]
    zones = {z["code"]: z for z in client.get("/coverage").get_json()["zones"]}
    features = {f["properties"]["code"]: f for f in layer["features"]}
    assert set(features) == set(zones)
    for code, feature in features.items():
        properties = feature["properties"]
        zone = zones[code]
        assert (properties["communes"], properties["population"]) == (zone["communes"], zone["population"])
        # the union of the zone's communes: the same area as their sum, within the rounding of the borders
        assert properties["area_km2"] == pytest.approx(zones[code]["area_km2"], rel=0.002), code
        outline = shape(feature["geometry"])
        members = [c for c in communes if (c.get("own") or {}).get("mission_locale") == code][:5]
        assert members, code
        for commune in members:  # a commune's reference point is inside its zone's outline
            point = Point(commune["point"]["lon"], commune["point"]["lat"])
            assert outline.buffer(1e-9).contains(point), commune["code"]
    assert sum(f["properties"]["area_km2"] for f in features.values()) == pytest.approx(region_area_km2, rel=0.01)


def test_without_zones_the_zones_layer_is_empty(synthetic_client):
    assert collection(synthetic_client, "zone")["features"] == []
