"""TER travel times at ingestion (issue 16): stored for every commune, cached by the feed's hash, served in
the own-mission-locale answer; a missing feed is said, a bad one writes nothing."""

from __future__ import annotations

import shutil

import pytest
from psycopg.rows import dict_row

from geosvc.db import transit as transit_sql
from geosvc.db.pool import make_engine
from geosvc.ingest.pipeline import prepare
from geosvc.ingest.problems import IngestError, Report
from geosvc.transit.ingest import FEED_GLOB
from tests.conftest import ingest_into, settings_for

MODES = ("walk", "bike")


def test_every_commune_has_a_row_per_target_and_mode(sql):
    counts = sql("SELECT target, mode, count(*) AS n FROM commune_transit GROUP BY target, mode")
    communes = sql("SELECT count(*) AS n FROM communes")[0]["n"]
    zoned = sql("SELECT count(DISTINCT code) AS n FROM commune_own_sites WHERE cardinality(site_ids) > 0")[0]["n"]
    assert {(r["target"], r["mode"]): r["n"] for r in counts} == {
        ("own", "walk"): zoned, ("own", "bike"): zoned, ("nearest", "walk"): communes, ("nearest", "bike"): communes,
    }
    run = sql("SELECT file, feed_version, service_date::text AS day, attribution, method FROM transit_run")
    assert len(run) == 1
    assert run[0]["file"].startswith("sources/gtfs/") and run[0]["day"] == "2025-02-04"
    assert "SNCF" in run[0]["attribution"] and run[0]["method"]["cutoff_s"] == 14 * 3600


def test_stored_rows_are_consistent(sql):
    """Minutes, times and legs agree with each other; the site reached is one of the target's sites."""
    rows = sql("""
        SELECT t.*, coalesce(o.site_ids, ARRAY[n.site_ids[1]]) AS allowed
        FROM commune_transit t
        JOIN commune_nearest n ON n.code = t.code
        LEFT JOIN (SELECT code, array_agg(s) AS site_ids FROM commune_own_sites, unnest(site_ids) s GROUP BY code) o
               ON t.target = 'own' AND o.code = t.code
        WHERE t.minutes IS NOT NULL""")
    assert len(rows) > 4000
    kinds = {"direct": 0, "transit": 0}
    for row in rows:
        kinds[row["kind"]] += 1
        assert row["site_id"] in row["allowed"], row
        hours, minutes = map(int, row["arrival"].split(":"))
        assert hours * 60 + minutes - 8 * 60 == row["minutes"], row
        assert row["leave"] <= row["departure"] <= row["arrival"], row
        if row["kind"] == "direct":
            assert row["legs"] == [] and row["access_minutes"] == row["minutes"]
        else:
            legs = row["legs"]
            assert legs and legs[0]["departure"] == row["departure"], row
            assert all(a["arrival"] <= b["departure"] for a, b in zip(legs, legs[1:], strict=False)), row
            assert legs[-1]["arrival"] <= row["arrival"]
    assert kinds["direct"] > 100 and kinds["transit"] > 100


def test_the_own_answer_carries_the_transit_block(client, sql):
    row = sql("""SELECT code, minutes, departure, arrival, legs, site_id FROM commune_transit
                 WHERE target = 'own' AND mode = 'walk' AND kind = 'transit' ORDER BY code LIMIT 1""")[0]
    body = client.get(f"/communes/{row['code']}/mission-locale").get_json()
    walk = body["transit"]["walk"]
    assert (walk["minutes"], walk["departure"], walk["arrival"]) == (row["minutes"], row["departure"], row["arrival"])
    assert [leg["line"] for leg in walk["legs"]] == [leg["line"] for leg in row["legs"]]
    assert walk["site"]["id"] == row["site_id"]
    assert walk["site"]["id"] in {site["id"] for site in body["mission_locale"]["sites"]}
    timetable = body["transit"]["timetable"]
    assert timetable["service_date"] == "2025-02-04" and "SNCF" in timetable["attribution"]
    assert body["transit"]["method"]["leave"] == "08:00" and "bus" in body["transit"]["method"]["excludes"]
    assert "timetable" in body["data"]  # the feed is one of the answer's data sets, with its vintage


def test_no_trip_is_null_and_not_invented(client, sql):
    row = sql("""SELECT code FROM commune_transit WHERE target = 'own' AND mode = 'walk' AND minutes IS NULL
                 ORDER BY code LIMIT 1""")[0]
    body = client.get(f"/communes/{row['code']}/mission-locale").get_json()
    assert body["transit"]["walk"] is None
    assert body["transit"]["timetable"]["feed_version"] == "2025-01-22"


def test_without_a_feed_the_ingestion_says_so_and_answers_carry_none(fresh_db, data_copy, make_app):
    shutil.rmtree(data_copy / "sources" / "gtfs")
    summary = ingest_into(fresh_db, data_copy)
    assert any(w.file == FEED_GLOB and "absent" in w.message for w in summary.warnings)
    assert summary.transit is None
    client = make_app(settings_for(fresh_db)).test_client()
    assert client.get("/communes/62498/mission-locale").get_json()["transit"] is None
    assert _stored_rows(fresh_db) == []


def test_a_bad_feed_is_refused_before_anything_is_written(fresh_db, data_copy):
    url = fresh_db
    before = _stored_rows(url)
    assert before
    feed = next(data_copy.glob(FEED_GLOB))
    feed.write_bytes(b"not a zip")
    with pytest.raises(IngestError, match=feed.name):
        ingest_into(url, data_copy, cache_dir=None)
    assert _stored_rows(url) == before


def test_two_feeds_are_refused(data_copy):
    feed = next(data_copy.glob(FEED_GLOB))
    shutil.copy(feed, feed.with_name("another.zip"))
    report = Report()
    prepare(data_copy, report, max_offset_km=5, geocode=False)
    assert any("several timetables" in e.message for e in report.errors)


def test_the_cache_routes_each_journey_once(fresh_db, data_copy, tmp_path):
    """The first ingestion with an empty cache routes every journey; the second reads them all and stores the
    same rows (the suite's many ingestions do not recompute them)."""
    url = fresh_db
    first = ingest_into(url, data_copy, cache_dir=tmp_path)
    # own and nearest often name the same single site: routed once, then read (same key)
    assert first.transit.routed + first.transit.cached == first.transit.rows and first.transit.routed > 5000
    assert list((tmp_path / "transit").glob("journeys-*.pickle"))
    before = _stored_rows(url)
    second = ingest_into(url, data_copy, cache_dir=tmp_path)
    assert second.transit.routed == 0 and second.transit.cached == second.transit.rows == first.transit.rows
    assert _stored_rows(url) == before


def _stored_rows(url: str):
    engine = make_engine(url)
    try:
        with engine.connect() as connection, connection.connection.driver_connection.cursor(
            row_factory=dict_row
        ) as cursor:
            return transit_sql.rows(cursor, "own") + transit_sql.rows(cursor, "nearest")
    finally:
        engine.dispose()
