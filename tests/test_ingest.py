"""Ingestion: the happy path, each validation error, and atomicity, on real PostGIS."""

from __future__ import annotations

import csv
import dataclasses
import json
import time

import pytest
from sqlalchemy import text

from geosvc.db import load as loader
from geosvc.db.load import ShrinkRefused
from geosvc.db.pool import make_engine
from geosvc.ingest.geocode import geocode_missing
from geosvc.ingest.pipeline import prepare
from geosvc.ingest.problems import IngestError, Report
from geosvc.web.state import state_of
from tests.conftest import ingest_into, settings_for

# A digest of everything the service serves, independent of row order and load time.
STATE_DIGEST = """
    SELECT md5(string_agg(row_text, '|' ORDER BY row_text)) AS digest FROM (
        SELECT format('c %s %s %s %s %s %s', code, nom, departement, codes_postaux, population,
                      ST_AsEWKB(geom)) AS row_text FROM communes
        UNION ALL
        SELECT format('s %s %s %s %s %s', id, status, location_precision, superseded_by,
                      ST_AsEWKB(geog::geometry)) FROM mission_sites
        UNION ALL SELECT format('f %s %s %s', code, nom, code_actuel) FROM former_communes
        UNION ALL SELECT format('e %s %s', siren, nom) FROM epci
        UNION ALL SELECT format('d %s %s %s', name, sha256, rows) FROM datasets
    ) AS everything
"""


def query(url: str, statement: str, **params):
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(statement), params).mappings().all()
    finally:
        engine.dispose()


def digest(url: str) -> str:
    return query(url, STATE_DIGEST)[0]["digest"]


def rewrite_csv(path, change):
    """Apply change(rows) to a CSV file's list of dicts and write it back."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames, list(reader)
    rows = change(rows) or rows
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def rewrite_communes(path, change):
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document["features"])
    path.write_text(json.dumps(document), encoding="utf-8")


def site(rows, site_id):
    return next(row for row in rows if row["id"] == site_id)


# The project's sites are data/sites.csv (116 rows, 53 served); missions.csv is only one of its
# sources now. Château-Thierry's mission locale (02168) has three rows there: its 2026 head office
# `unml-2026-02168` (served, placed at its town Étampes-sur-Marne 02292), and the 2017 and 2015
# records of its former office, each superseded by the next.
SITES = "sites.csv"
CHATEAU_THIERRY_SITES = {"unml-2026-02168", "mission_locale-02168-01", "ml-02168-01-chateau-thierry"}


def without_chateau_thierry(rows):
    """Removes the three sites of mission locale 02168 (no other site refers to them)."""
    assert {row["id"] for row in rows if row["mission_locale"] == "02168"} == CHATEAU_THIERRY_SITES
    return [row for row in rows if row["mission_locale"] != "02168"]


# --- happy path ------------------------------------------------------------------------

def test_loaded_counts(fresh_db):
    counts = query(fresh_db, """
        SELECT (SELECT count(*) FROM communes) AS communes,
               (SELECT count(*) FROM mission_sites WHERE status = 'served') AS served,
               (SELECT count(*) FROM mission_sites WHERE status = 'superseded') AS superseded,
               (SELECT count(*) FROM mission_sites WHERE location_precision = 'commune') AS approximate,
               (SELECT count(*) FROM mission_sites WHERE geog IS NULL) AS without_point,
               (SELECT count(*) FROM former_communes) AS former,
               (SELECT count(DISTINCT epci) FROM communes) AS epci,
               (SELECT count(*) FROM departements) AS departements
    """)[0]
    # sites.csv: 116 rows, 53 served and 63 superseded; 21 without coordinates (20 served head
    # offices known only from the union's table, 1 superseded record): each at commune precision
    assert dict(counts) == {
        "communes": 3782, "served": 53, "superseded": 63, "approximate": 21, "without_point": 0,
        "former": 193, "epci": 92, "departements": 5,
    }


def test_loaded_zones_and_missions_locales(fresh_db):
    """The union's table: 3,782 rows, one per commune, over 42 missions locales, each of which
    has a served site (a head office at least)."""
    counts = query(fresh_db, """
        SELECT (SELECT count(*) FROM zones) AS zones,
               (SELECT count(DISTINCT insee) FROM zones) AS communes_with_zone,
               (SELECT count(*) FROM missions_locales) AS missions_locales,
               (SELECT count(DISTINCT mission_locale) FROM mission_sites WHERE status = 'served') AS served_ml,
               (SELECT count(*) FROM mission_sites WHERE status = 'served' AND kind = 'siege') AS head_offices
    """)[0]
    assert dict(counts) == {
        "zones": 3782, "communes_with_zone": 3782, "missions_locales": 42, "served_ml": 42, "head_offices": 42,
    }


def test_sites_without_coordinates_sit_on_their_commune_point(fresh_db):
    rows = query(fresh_db, """
        SELECT s.id, ST_Equals(s.geog::geometry, c.point::geometry) AS on_point
        FROM mission_sites s JOIN communes c ON c.code = s.insee
        WHERE s.location_precision = 'commune'
    """)
    assert len(rows) == 21 and all(row["on_point"] for row in rows)


def test_reference_points_are_inside_their_commune(fresh_db):
    outside = query(fresh_db, "SELECT count(*) AS n FROM communes WHERE NOT ST_Intersects(geom, point::geometry)")
    assert outside[0]["n"] == 0


def test_rerun_with_same_files_gives_same_state(fresh_db):
    before = digest(fresh_db)
    summary = ingest_into(fresh_db)
    assert digest(fresh_db) == before
    assert summary.communes_per_departement == {"02": 797, "59": 647, "60": 680, "62": 887, "80": 771}
    assert summary.sites_per_precision == {"address": 95, "commune": 21}
    assert summary.sites_per_status == {"served": 53, "superseded": 63}


def test_ingest_creates_schema_in_an_empty_database(empty_db):
    ingest_into(empty_db)
    assert query(empty_db, "SELECT count(*) AS n FROM communes")[0]["n"] == 3782


def test_changed_files_replace_the_data(fresh_db, data_copy):
    rewrite_csv(data_copy / SITES, without_chateau_thierry)
    ingest_into(fresh_db, data_copy)
    assert query(fresh_db, "SELECT count(*) AS n FROM mission_sites")[0]["n"] == 113
    left = query(fresh_db, "SELECT count(*) AS n FROM mission_sites WHERE mission_locale = '02168'")
    assert left[0]["n"] == 0


def test_a_load_that_drops_more_than_a_tenth_is_refused_unless_allowed(fresh_db, data_copy):
    """Dropping 12 of the 116 sites (10.3 %) is refused, writing nothing; --allow-shrink loads it."""
    before = digest(fresh_db)
    rewrite_csv(data_copy / SITES, lambda rows: rows[:-12])
    with pytest.raises(ShrinkRefused, match=r"mission_sites: the new data has 104 rows where 116 are loaded"):
        ingest_into(fresh_db, data_copy)
    assert digest(fresh_db) == before
    ingest_into(fresh_db, data_copy, allow_shrink=True)
    assert query(fresh_db, "SELECT count(*) AS n FROM mission_sites")[0]["n"] == 104


# --- validation: each error names file, place and field, and changes nothing -----------

# Laon's served head office, line 5 of sites.csv; Saint-Omer's is line 108
LAON = "mission_locale-02408-01"


def break_code(data):
    rewrite_communes(data / "communes.geojson", lambda f: f[0]["properties"].update(code="2001"))


def duplicate_code(data):
    rewrite_communes(data / "communes.geojson", lambda f: f[1]["properties"].update(code="02001"))


def swap_coordinates(data):
    def swap(rows):
        row = site(rows, "mission_locale-62765-01")
        row["lat"], row["lon"] = row["lon"], row["lat"]
    rewrite_csv(data / SITES, swap)


def unknown_commune(data):
    rewrite_csv(data / SITES, lambda rows: site(rows, LAON).update(insee="02999"))


def missing_column(data):
    def drop_lat(rows):
        return [{k: v for k, v in row.items() if k != "lat"} for row in rows]
    path = data / SITES
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    fields = [f for f in rows[0] if f != "lat"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(drop_lat(rows))


def not_utf8(data):
    path = data / SITES
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1", errors="replace"))


def invalid_json(data):
    path = data / "communes.geojson"
    path.write_text(path.read_text(encoding="utf-8")[:5000], encoding="utf-8")


def wrong_geometry_type(data):
    def to_point(features):
        features[2]["geometry"] = {"type": "Point", "coordinates": [3.0, 49.5]}
    rewrite_communes(data / "communes.geojson", to_point)


def empty_sites(data):
    (data / SITES).write_text("", encoding="utf-8")


def dangling_superseded(data):
    rewrite_csv(data / SITES, lambda rows: site(rows, LAON).update(superseded_by="ml-nope"))


def one_coordinate(data):
    rewrite_csv(data / SITES, lambda rows: site(rows, LAON).update(lon=""))


def unknown_mission_locale(data):
    rewrite_csv(data / SITES, lambda rows: site(rows, LAON).update(mission_locale="02999"))


@pytest.mark.parametrize(("breaker", "expected"), [
    (break_code, "communes.geojson: feature 1: field 'code': '2001' is not an INSEE commune code"),
    (duplicate_code, "communes.geojson: feature 2 (code 02001): field 'code': duplicate code"),
    (swap_coordinates, "sites.csv: line 108: field 'lat/lon'"),
    (unknown_commune, "sites.csv: line 5: field 'insee': 02999 is not a commune"),
    (missing_column, "sites.csv: line 1: field 'lat': required column(s) missing"),
    (not_utf8, "sites.csv: line 2: not UTF-8"),
    (invalid_json, "communes.geojson: line 1 column 5001: invalid JSON"),
    (wrong_geometry_type, "communes.geojson: feature 3 (code 02003): field 'geometry': expected a Polygon"),
    (empty_sites, "sites.csv: the file is empty"),
    (dangling_superseded, "sites.csv: line 5: field 'superseded_by'"),
    (one_coordinate, "sites.csv: line 5: field 'lon': one coordinate given without the other"),
    (unknown_mission_locale, "sites.csv: line 5: field 'mission_locale': 02999 is not a mission locale"),
])
def test_bad_input_is_rejected_and_changes_nothing(fresh_db, data_copy, breaker, expected):
    before = digest(fresh_db)
    breaker(data_copy)
    with pytest.raises(IngestError) as caught:
        ingest_into(fresh_db, data_copy)
    messages = [str(problem) for problem in caught.value.errors]
    assert any(message.startswith(expected) for message in messages), messages
    assert digest(fresh_db) == before


def test_swapped_coordinates_are_diagnosed(data_copy):
    swap_coordinates(data_copy)
    report = Report()
    prepare(data_copy, report, max_offset_km=5, geocode=False)
    assert "latitude and longitude look swapped" in str(report.errors[0])


def test_invalid_polygon_is_repaired_and_reported(fresh_db, data_copy):
    def bowtie(features):
        features[0]["geometry"] = {"type": "Polygon", "coordinates": [[
            [3.16, 49.59], [3.20, 49.61], [3.20, 49.59], [3.16, 49.61], [3.16, 49.59],
        ]]}
    rewrite_communes(data_copy / "communes.geojson", bowtie)
    summary = ingest_into(fresh_db, data_copy)
    assert any("repaired with make_valid" in str(w) and "code 02001" in str(w) for w in summary.warnings)
    row = query(fresh_db, "SELECT geom_repaired, ST_IsValid(geom) AS valid FROM communes WHERE code = '02001'")[0]
    assert row["geom_repaired"] and row["valid"]


def test_byte_order_mark_is_removed_with_a_warning(fresh_db, data_copy):
    path = data_copy / SITES
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    summary = ingest_into(fresh_db, data_copy)
    assert any(str(w).startswith("sites.csv") and "byte-order mark" in str(w) for w in summary.warnings)
    assert query(fresh_db, "SELECT count(*) AS n FROM mission_sites")[0]["n"] == 116
    assert query(fresh_db, "SELECT count(*) AS n FROM mission_sites WHERE id = 'unml-2026-02168'")[0]["n"] == 1


def test_site_far_from_its_commune_is_kept_but_not_served(fresh_db, data_copy):
    # Laon's office moved (in the file) to Saint-Quentin's coordinates, 45 km away.
    def move(rows):
        site(rows, LAON).update(lat="49.844700", lon="3.289050")
    rewrite_csv(data_copy / SITES, move)
    summary = ingest_into(fresh_db, data_copy)
    assert any(str(w).startswith("sites.csv: line 5") and "outside its commune 02408: not served" in str(w)
               for w in summary.warnings)
    row = query(fresh_db, f"SELECT status, status_reason FROM mission_sites WHERE id = '{LAON}'")[0]
    assert row["status"] == "rejected" and "km outside its commune" in row["status_reason"]


def test_missing_population_and_postcode_are_warnings_and_stored_as_unknown(fresh_db, data_copy):
    def strip(features):
        features[0]["properties"]["population"] = None
        features[0]["properties"]["codesPostaux"] = []
    rewrite_communes(data_copy / "communes.geojson", strip)
    summary = ingest_into(fresh_db, data_copy)
    assert sum("code 02001" in str(w) for w in summary.warnings) == 2
    row = query(fresh_db, "SELECT population, codes_postaux FROM communes WHERE code = '02001'")[0]
    assert row["population"] is None and row["codes_postaux"] == []


# --- atomicity -------------------------------------------------------------------------

def test_failure_inside_the_load_transaction_leaves_previous_data(fresh_db, data_copy):
    """A database error after the old rows were deleted and the new ones copied rolls back."""
    rewrite_csv(data_copy / SITES, without_chateau_thierry)
    before = digest(fresh_db)
    data, _ = prepare(data_copy, Report(), max_offset_km=5, geocode=False)
    # the last statement of the load fails: sha256 is varchar(64)
    data.datasets[-1] = dataclasses.replace(data.datasets[-1], sha256="x" * 65)
    engine = make_engine(fresh_db)
    try:
        with pytest.raises(Exception, match="too long"):
            loader.load(engine, data)
    finally:
        engine.dispose()
    assert digest(fresh_db) == before


# --- geocoding -------------------------------------------------------------------------

def test_geocoding_failure_falls_back_to_the_commune(data_copy):
    """With no geocoder reachable (a closed local port), sites stay at commune precision."""
    from geopy.geocoders import BANFrance

    from geosvc.ingest.readers import read_csv
    from geosvc.ingest.sites import SITE_COLUMNS

    report = Report()
    rows = read_csv(data_copy / SITES, SITE_COLUMNS, report)
    unreachable = BANFrance(domain="127.0.0.1:9", scheme="http", timeout=2)
    assert geocode_missing(SITES, rows, report, geocoder=unreachable) == 0
    # Château-Thierry's 2026 head office, line 2: an address, no coordinates
    head_office = next(row for _, row in rows if row["id"] == "unml-2026-02168")
    assert head_office["lat"] == "" and head_office["lon"] == ""
    failed = [str(w) for w in report.warnings if "geocoding failed" in str(w)]
    assert any(w.startswith("sites.csv: line 2:") for w in failed), failed
    # every site without coordinates and with an address (16 of the 21 without coordinates) was
    # tried, and each one fell back
    without_point = [row for _, row in rows if not row["lat"] and row["address"]]
    assert len(failed) == len(without_point) == 16


def test_readers_see_old_or_new_data_never_a_mix(fresh_db, data_copy):
    """While an ingestion runs, a reader counting rows only ever sees a committed state."""
    import threading

    rewrite_csv(data_copy / SITES, without_chateau_thierry)
    seen = set()
    done = threading.Event()
    engine = make_engine(fresh_db)

    def read_until_done():
        with engine.connect() as connection:
            while not done.is_set():
                seen.add(connection.execute(text(
                    "SELECT (SELECT count(*) FROM communes), (SELECT count(*) FROM mission_sites)"
                )).one())
                connection.rollback()

    reader = threading.Thread(target=read_until_done)
    reader.start()
    try:
        ingest_into(fresh_db, data_copy)
    finally:
        done.set()
        reader.join()
        engine.dispose()
    assert seen <= {(3782, 116), (3782, 113)}
    assert (3782, 116) in seen


def test_a_new_ingestion_is_served_without_restarting_the_service(fresh_db, data_copy, make_app):
    app = make_app(settings_for(fresh_db, refresh_interval_s=0.001))
    client = app.test_client()
    assert client.get("/communes/02168/nearest?k=1").get_json()["missions"][0]["id"] == "unml-2026-02168"
    rewrite_csv(data_copy / SITES, without_chateau_thierry)
    ingest_into(fresh_db, data_copy)
    time.sleep(0.01)  # the refresh interval has passed
    # the next request is answered at once from memory and starts the check in the background
    client.get("/communes/02168/nearest?k=1")
    state_of(app).nearest.wait_for_check()
    nearest = client.get("/communes/02168/nearest?k=1").get_json()["missions"][0]["id"]
    assert nearest != "unml-2026-02168"
