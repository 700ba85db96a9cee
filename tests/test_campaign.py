"""The campaign feeds against the real data in a real PostGIS: content, French order, labels,
nearest sites (checked by brute force), caching (ETag, 304, Cache-Control, compression),
CORS, the point search and the commune outlines."""

from __future__ import annotations

import gzip
import json
import time
from collections import Counter

import pytest
from pyproj import Geod
from shapely.geometry import Point, shape

from geosvc.config import ConfigError
from geosvc.core.search_index import label
from geosvc.core.textnorm import compact, sort_key
from geosvc.web.api.campaign_schemas import DepartementCommunes, DepartementList, OutlineOut, PointNearestAnswer
from geosvc.web.cors import parse_origins
from geosvc.web.httpcache import FEED_CACHE_CONTROL
from tests.conftest import ingest_into, running_app, settings_for
from tests.test_ingest import rewrite_csv

DEPARTEMENTS = {"02": 797, "59": 647, "60": 680, "62": 887, "80": 771}
ABBEVILLE, ABBEVILLE_SITE = "80001", "mission_locale-80001-01"
GEOD = Geod(ellps="WGS84")

# Brute force, independent of the KNN index: every served site against every commune.
ALL_PAIRS_NEAREST = """
    SELECT DISTINCT ON (c.code) c.code, s.id, ST_Distance(s.geog, c.point) AS distance_m
    FROM communes c CROSS JOIN mission_sites s
    WHERE s.status = 'served'
    ORDER BY c.code, distance_m, s.id
"""


def feed(client, code: str) -> dict:
    response = client.get(f"/departements/{code}/communes")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def schema_errors(schema, body: dict) -> dict:
    return schema().validate(body)


# --- content ------------------------------------------------------------------------------

def test_departements_with_their_number_of_communes(client):
    response = client.get("/departements")
    assert response.status_code == 200
    body = response.get_json()
    assert schema_errors(DepartementList, body) == {}
    assert {d["code"]: d["communes_count"] for d in body["departements"]} == DEPARTEMENTS
    assert body["departements"][1] == {"code": "59", "nom": "Nord", "communes_count": 647}
    assert "2014" in body["data"]["missions"]["vintage"]


@pytest.mark.parametrize("code", sorted(DEPARTEMENTS))
def test_feed_lists_every_commune_in_french_order(client, sql, code):
    body = feed(client, code)
    assert schema_errors(DepartementCommunes, body) == {}
    assert body["count"] == DEPARTEMENTS[code] == len(body["communes"])
    names = {row["code"]: row["nom"] for row in sql("SELECT code, nom FROM communes WHERE departement = :d", d=code)}
    # ICU's French collation (the feed) and geosvc.textnorm.sort_key agree on every department
    expected = sorted(names, key=lambda c: (sort_key(names[c]), c))
    assert [commune["code"] for commune in body["communes"]] == expected
    assert "geodesic" in body["method"] and "metres" in body["method"]
    assert body["data"]["communes"]["rows"] == 3782


def test_accents_case_and_articles_sort_as_a_french_reader_expects(client):
    labels = [commune["label"] for commune in feed(client, "59")["communes"]]

    def run(*names):
        start = labels.index(names[0])
        return labels[start:start + len(names)] == list(names)

    assert run("Ebblinghem", "Écaillon", "Eccles", "Éclaibes", "Écuélin")  # É among the E
    assert run("Le Quesnoy", "Lecelles", "Lécluse")  # article kept, under L, before longer words
    assert run("Les Rues-des-Vignes", "Lesdain", "Lesquin")
    aisne = [commune["label"] for commune in feed(client, "02")["communes"]]
    o_names = [name for name in aisne if sort_key(name).startswith("o")]
    assert "Œuilly" in o_names  # the ligature sorts as "oe", among the O


def test_labels_disambiguate_homonyms_across_the_region(client, sql):
    rows = sql("SELECT code, nom, departement FROM communes")
    keys = Counter(compact(row["nom"]) for row in rows)
    expected = {row["code"]: label(row["nom"], row["departement"], keys[compact(row["nom"])] > 1) for row in rows}
    served = {c["code"]: c["label"] for code in DEPARTEMENTS for c in feed(client, code)["communes"]}
    assert served == expected
    assert len(set(served.values())) == 3782  # every label names one commune
    shared = Counter(row["nom"] for row in rows)
    same_name = [row for row in rows if shared[row["nom"]] > 1]
    assert len(same_name) == 113  # 54 names shared by 113 communes: each shows its department
    assert all(served[row["code"]] == f"{row['nom']} ({row['departement']})" for row in same_name)
    assert served["02122"] == "Brie (02)" and served["80141"] == "Brie (80)"


def test_labels_are_the_autocomplete_labels(client):
    entries = client.get("/communes/autocomplete?q=Brie&limit=5").get_json()["communes"]
    served = {c["code"]: c["label"] for code in ("02", "80") for c in feed(client, code)["communes"]}
    assert entries and all(served[entry["code"]] == entry["label"] for entry in entries if entry["code"] in served)


def test_each_communes_mission_is_its_nearest_served_site_by_brute_force(client, sql):
    truth = {row["code"]: row for row in sql(ALL_PAIRS_NEAREST)}
    checked = 0
    for code in DEPARTEMENTS:
        for commune in feed(client, code)["communes"]:
            expected = truth[commune["code"]]
            assert commune["mission"]["id"] == expected["id"], commune
            assert commune["mission"]["distance_m"] == round(expected["distance_m"], 1)
            checked += 1
    assert checked == 3782


def test_feed_mission_fields_and_approximate_locations(client):
    communes = {c["code"]: c for c in feed(client, "59")["communes"]}
    valenciennes = communes["59606"]["mission"]
    assert set(valenciennes) == {"id", "name", "city", "distance_m", "location_precision", "mission_locale"}
    assert valenciennes["location_precision"] == "commune"  # placed at the commune's point
    own = communes["59606"]["mission_locale"]
    assert (own["code"], set(own["site"])) == ("59383", set(valenciennes))
    assert communes["59350"]["codesPostaux"] == ["59000", "59160", "59260", "59777", "59800"]


@pytest.mark.parametrize(("code", "status", "error"), [
    ("75", 404, "departement_not_found"), ("2A", 404, "departement_not_found"),
    ("x", 400, "invalid_departement_code"), ("590", 400, "invalid_departement_code"),
])
def test_unknown_or_malformed_department(client, code, status, error):
    response = client.get(f"/departements/{code}/communes")
    assert response.status_code == status
    assert response.get_json()["code"] == error
    assert "ETag" not in response.headers


# --- caching --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/departements", "/departements/62/communes", "/communes/59350/outline"])
def test_etag_and_304_not_modified(client, path):
    first = client.get(path)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag.startswith('"') and not etag.startswith("W/")
    assert first.headers["Cache-Control"] == FEED_CACHE_CONTROL
    assert "public" in FEED_CACHE_CONTROL and "max-age=" in FEED_CACHE_CONTROL
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == FEED_CACHE_CONTROL
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304  # from the store too
    assert client.get(path, headers={"If-None-Match": f"W/{etag}"}).status_code == 304  # weak comparison
    assert client.get(path, headers={"If-None-Match": f'"other", {etag}'}).status_code == 304
    assert client.get(path, headers={"If-None-Match": "*"}).status_code == 304
    assert client.head(path, headers={"If-None-Match": etag}).status_code == 304
    for other in ('"not-the-tag"', 'W/""', '""', f'"{etag[1:-1]}:unknown"', "garbage"):
        assert client.get(path, headers={"If-None-Match": other}).status_code == 200, other


def test_etag_is_a_hash_of_the_body(client):
    first, second = client.get("/departements/80/communes"), client.get("/departements/80/communes")
    assert first.data == second.data and first.headers["ETag"] == second.headers["ETag"]
    assert client.get("/departements/02/communes").headers["ETag"] != first.headers["ETag"]


def test_compressed_when_accepted_and_revalidated_in_either_coding(client):
    plain = client.get("/departements/59/communes")
    assert "Content-Encoding" not in plain.headers
    zipped = client.get("/departements/59/communes", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    body = gzip.decompress(zipped.data)
    assert body == plain.data and len(zipped.data) < len(plain.data) / 5
    # a strong tag differs per coding (RFC 9110): "<tag>:gzip"
    assert zipped.headers["ETag"] == plain.headers["ETag"][:-1] + ':gzip"'
    for held in (zipped.headers["ETag"], plain.headers["ETag"]):
        again = client.get("/departements/59/communes", headers={"Accept-Encoding": "gzip", "If-None-Match": held})
        assert again.status_code == 304 and again.headers["ETag"] == held


@pytest.mark.parametrize("path", ["/static/campaign.js", "/vendor/leaflet/leaflet.js"])
def test_static_files_are_compressed_and_revalidated(client, path):
    # read into memory before compression: a streamed file would be left open (filterwarnings=error)
    with client.get(path, headers={"Accept-Encoding": "gzip"}) as zipped:
        assert zipped.status_code == 200 and zipped.headers["Content-Encoding"] == "gzip"
        with client.get(path) as plain:
            assert gzip.decompress(zipped.data) == plain.data
        etag = zipped.headers["ETag"]
    assert etag.endswith(':gzip"')
    with client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": etag}) as again:
        assert again.status_code == 304


def test_etag_changes_when_an_ingestion_changes_the_answer(fresh_db, data_copy, make_app):
    client = make_app(settings_for(fresh_db, refresh_interval_s=0.001)).test_client()
    before = client.get("/departements/80/communes")
    etag = before.headers["ETag"]
    assert _mission_of(before.get_json(), ABBEVILLE) == ABBEVILLE_SITE
    assert client.get("/departements/80/communes", headers={"If-None-Match": etag}).status_code == 304

    # the Abbeville office closes: a new ingestion without its row
    def without_abbeville(rows):  # with the older records it superseded
        return [r for r in rows if ABBEVILLE_SITE not in (r["id"], r["superseded_by"])]

    rewrite_csv(data_copy / "sites.csv", without_abbeville)
    ingest_into(fresh_db, data_copy)

    # the worker looks for the new data in the background: a client sees it within moments
    deadline = time.monotonic() + 10
    while (after := client.get("/departements/80/communes", headers={"If-None-Match": etag})).status_code == 304:
        assert time.monotonic() < deadline, "the new ingestion never reached the worker"
        time.sleep(0.05)
    assert after.status_code == 200
    assert after.headers["ETag"] != etag
    assert _mission_of(after.get_json(), ABBEVILLE) != ABBEVILLE_SITE
    revalidated = client.get("/departements/80/communes", headers={"If-None-Match": after.headers["ETag"]})
    assert revalidated.status_code == 304


def _mission_of(body: dict, code: str) -> str:
    return next(c["mission"]["id"] for c in body["communes"] if c["code"] == code)


# --- CORS ---------------------------------------------------------------------------------

CAMPAIGN_ORIGIN = "https://campagne.example.fr"


@pytest.fixture(scope="module")
def cors_client(api_url):
    with running_app(settings_for(api_url, cors_origins=f"{CAMPAIGN_ORIGIN}, http://localhost:8080")) as app:
        yield app.test_client()


def test_cors_for_the_listed_origins_only(cors_client):
    allowed = cors_client.get("/departements", headers={"Origin": CAMPAIGN_ORIGIN})
    assert allowed.headers["Access-Control-Allow-Origin"] == CAMPAIGN_ORIGIN
    assert "Origin" in allowed.headers["Vary"]
    assert "ETag" in allowed.headers["Access-Control-Expose-Headers"]
    other = cors_client.get("/departements", headers={"Origin": "https://elsewhere.example.com"})
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = cors_client.options("/departements/59/communes", headers={
        "Origin": "http://localhost:8080", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "If-None-Match",
    })
    assert preflight.headers["Access-Control-Allow-Origin"] == "http://localhost:8080"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]


def test_no_cors_header_by_default(client):
    response = client.get("/departements", headers={"Origin": CAMPAIGN_ORIGIN})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_origins_setting_is_checked():
    assert parse_origins(" https://a.fr ,http://localhost:8080/,") == ["https://a.fr", "http://localhost:8080"]
    assert parse_origins("") == [] and parse_origins("*") == ["*"]
    for bad in ("campagne.fr", "https://a.fr/page", "ftp://a.fr", "https://*.a.fr"):
        with pytest.raises(ConfigError, match="GEOSVC_CORS_ORIGINS"):
            parse_origins(bad)


# --- use my location ----------------------------------------------------------------------

def test_nearest_sites_to_a_point(client, sql):
    lon, lat = 3.0635, 50.6365  # central Lille
    response = client.get(f"/nearest?lon={lon}&lat={lat}&k=4")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert schema_errors(PointNearestAnswer, body) == {}
    assert body["commune"]["code"] == "59350" and body["commune"]["distance_m"] == 0
    assert "from the given point" in body["method"] and "metres" in body["method"]
    missions = body["missions"]
    assert len(missions) == 4
    sites = sql("SELECT id, ST_X(geog::geometry) AS lon, ST_Y(geog::geometry) AS lat FROM mission_sites "
                "WHERE status = 'served'")
    geodesic = sorted((GEOD.inv(lon, lat, s["lon"], s["lat"])[2], s["id"]) for s in sites)[:4]
    assert [m["id"] for m in missions] == [site_id for _, site_id in geodesic]
    for mission, (metres, _) in zip(missions, geodesic, strict=True):
        assert abs(mission["distance_m"] - metres) < 0.1


def test_a_point_just_off_the_coast_is_in_the_region(client):
    # on the beach/sea in front of Berck (62), outside every simplified polygon but within 2 km
    body = client.get("/nearest?lon=1.555&lat=50.405").get_json()
    assert body["commune"]["departement"] == "62"
    assert 0 < body["commune"]["distance_m"] <= 2000


@pytest.mark.parametrize(("lon", "lat"), [(2.3522, 48.8566), (4.35, 50.85), (1.2, 50.4), (0, 0)])
def test_a_point_outside_the_region_is_refused(client, lon, lat):
    response = client.get(f"/nearest?lon={lon}&lat={lat}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "outside_region"
    assert "outside Hauts-de-France" in body["message"]


@pytest.mark.parametrize("query", ["lon=200&lat=50", "lon=3&lat=-91", "lon=3", "lon=abc&lat=50", "lon=3&lat=50&k=0",
                                   "lon=nan&lat=50"])
def test_point_parameters_are_validated(client, query):
    response = client.get(f"/nearest?{query}")
    assert response.status_code == 400
    assert response.get_json()["code"] == "invalid_parameter"


# --- outlines -------------------------------------------------------------------------------

def test_commune_outline_is_geojson_containing_its_reference_point(client):
    response = client.get("/communes/62765/outline")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    feature = json.loads(response.data)
    assert schema_errors(OutlineOut, feature) == {}
    assert feature["properties"] == {"code": "62765", "nom": "Saint-Omer", "departement": "62", "label": "Saint-Omer"}
    point = client.get("/communes/62765").get_json()["point"]
    assert shape(feature["geometry"]).contains(Point(point["lon"], point["lat"]))
    assert feature["data"]["communes"]["rows"] == 3782


@pytest.mark.parametrize(("code", "status", "error"), [
    ("59999", 404, "commune_not_found"), ("62461", 404, "commune_not_found"), ("abc", 400, "invalid_commune_code"),
])
def test_outline_errors(client, code, status, error):
    response = client.get(f"/communes/{code}/outline")
    assert response.status_code == status
    assert response.get_json()["code"] == error


# --- documentation --------------------------------------------------------------------------

def test_openapi_documents_statuses_headers_and_content_types(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    for path in ("/departements", "/departements/{code}/communes", "/communes/{code}/outline"):
        responses = paths[path]["get"]["responses"]
        assert {"200", "304", "503"} <= set(responses), path
        assert {"ETag", "Cache-Control"} <= set(responses["200"]["headers"])
        assert {"ETag", "Cache-Control"} <= set(responses["304"]["headers"])
        assert any(p["name"] == "If-None-Match" and p["in"] == "header" for p in paths[path]["get"]["parameters"])
    assert "application/geo+json" in paths["/communes/{code}/outline"]["get"]["responses"]["200"]["content"]
    nearest = paths["/nearest"]["get"]
    assert {"200", "400", "503"} <= set(nearest["responses"])
    assert {p["name"] for p in nearest["parameters"]} == {"lon", "lat", "k"}
