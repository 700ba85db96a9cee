"""Read scaling with streaming replication: the service reads from a hot standby while the
ingestion writes to the primary, a new ingestion becomes visible through the standby, and a
reader of the standby never sees it half applied."""

from __future__ import annotations

import collections
import threading
import time

import psycopg
import pytest

from geosvc.config import Settings
from geosvc.db.pool import libpq_url
from geosvc.ops.dbsetup import provision
from geosvc.ops.pginstance import PgInstance
from geosvc.ops.replica import create_standby
from geosvc.web.state import state_of
from tests.conftest import DATA_DIR, READER_URL, SERVER_URL, ingest_into
from tests.test_outages import free_port

MINI = DATA_DIR.parent / "tests" / "data" / "mini"


@pytest.fixture
def primary_and_standby():
    primary = PgInstance.create(free_port())
    primary.start()
    standby = None
    try:
        owner = SERVER_URL.set(host="127.0.0.1", port=primary.port, database="geosvc")
        owner_url = owner.render_as_string(hide_password=False)
        provision(owner_url, READER_URL.set(port=primary.port).render_as_string(hide_password=False), say=print)
        ingest_into(owner_url, MINI)
        standby = create_standby(owner_url, free_port(), password="replica-test", say=print)
        reader = READER_URL.set(host="127.0.0.1", port=standby.port, database="geosvc")
        yield owner_url, reader.render_as_string(hide_password=False)
    finally:
        if standby is not None:
            standby.destroy()
        primary.destroy()


# One fingerprint of the data a reader sees: the row count of every table an ingestion rewrites,
# all read in one repeatable-read transaction (one snapshot).
FINGERPRINT = """
    SELECT (SELECT count(*) FROM communes), (SELECT count(*) FROM zones),
           (SELECT count(*) FROM mission_sites), (SELECT count(*) FROM commune_nearest),
           (SELECT count(*) FROM datasets)
"""


def fingerprint(connection: psycopg.Connection) -> tuple[int, ...]:
    with connection.transaction():
        connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return connection.execute(FINGERPRINT).fetchone()


def test_ingestion_on_primary_is_served_from_standby(primary_and_standby, make_app):
    owner_url, standby_url = primary_and_standby
    with psycopg.connect(libpq_url(standby_url)) as standby:
        assert standby.execute("SELECT pg_is_in_recovery()").fetchone()[0], "must be a standby"
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            standby.execute("CREATE TEMP TABLE t (i int)")

    app = make_app(Settings(database_url=owner_url, read_database_url=standby_url))
    client = app.test_client()
    assert client.get("/health").get_json()["counts"]["communes"] == 4  # the small data set
    ingest_into(owner_url)  # the whole region, written to the primary only
    started = time.monotonic()
    while client.get("/health").get_json()["counts"]["communes"] != 3782:
        assert time.monotonic() - started < 15, "the standby never caught up"
        time.sleep(0.05)
    lag_s = time.monotonic() - started
    print(f"ingestion visible through the standby {lag_s * 1000:.0f} ms after its commit")
    state_of(app).nearest.expire()  # look for the new ingestion now, not within the interval
    nearest = client.get("/communes/02168/nearest?k=1").get_json()["missions"][0]
    assert nearest["id"] == "unml-2026-02168"  # Château-Thierry's head office of January 2026


def test_a_reader_of_the_standby_never_sees_a_half_applied_ingestion(primary_and_standby):
    """While the whole region is ingested on the primary over the small set, a reader polls the
    standby: every snapshot it sees is the old data or the new, never a mix."""
    owner_url, standby_url = primary_and_standby
    with psycopg.connect(libpq_url(owner_url), autocommit=True) as primary:
        old = fingerprint(primary)
    assert old[:3] == (4, 0, 1)  # tests/data/mini: 4 communes, no zones, 1 site

    seen: collections.Counter = collections.Counter()
    conflicts = []
    done = threading.Event()

    def poll_the_standby():
        with psycopg.connect(libpq_url(standby_url), autocommit=True) as standby:
            while not done.is_set():
                try:
                    seen[fingerprint(standby)] += 1
                except psycopg.errors.SerializationFailure as conflict:  # a conflict with recovery
                    conflicts.append(str(conflict))
                time.sleep(0.01)  # ~100 snapshots a second, leaving the cores to the ingestion
            seen[fingerprint(standby)] += 1  # once more after the ingestion ended

    reader = threading.Thread(target=poll_the_standby)
    reader.start()
    try:
        time.sleep(0.2)  # the reader sees the old data first
        ingest_into(owner_url)
        with psycopg.connect(libpq_url(owner_url), autocommit=True) as primary:
            new = fingerprint(primary)
        # until the standby has replayed the commit
        deadline = time.monotonic() + 15
        while new not in seen and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        done.set()
        reader.join()
    assert new[:3] == (3782, 3782, 116)  # the region: its communes, the union's zones, sites.csv
    print(f"standby snapshots seen: {dict(seen)}; recovery conflicts: {len(conflicts)}")
    assert set(seen) <= {old, new}, f"a mixed state was seen: {set(seen) - {old, new}}"
    assert seen[old] and seen[new]
    assert sum(seen.values()) >= 20, "too few snapshots to say anything"
