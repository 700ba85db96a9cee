"""Read scaling with streaming replication: the service reads from a hot standby while the
ingestion writes to the primary, and a new ingestion becomes visible through the standby."""

from __future__ import annotations

import time

import psycopg
import pytest

from geosvc.config import Settings
from geosvc.db.pool import libpq_url
from geosvc.ops.dbsetup import provision
from geosvc.ops.pginstance import PgInstance
from geosvc.ops.replica import create_standby
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


def test_ingestion_on_primary_is_served_from_standby(primary_and_standby, make_app):
    owner_url, standby_url = primary_and_standby
    with psycopg.connect(libpq_url(standby_url)) as standby:
        assert standby.execute("SELECT pg_is_in_recovery()").fetchone()[0], "must be a standby"
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            standby.execute("CREATE TEMP TABLE t (i int)")

    client = make_app(Settings(database_url=owner_url, read_database_url=standby_url)).test_client()
    assert client.get("/health").get_json()["counts"]["communes"] == 4  # the small data set
    ingest_into(owner_url)  # the whole region, written to the primary only
    started = time.monotonic()
    while client.get("/health").get_json()["counts"]["communes"] != 3782:
        assert time.monotonic() - started < 15, "the standby never caught up"
        time.sleep(0.05)
    lag_s = time.monotonic() - started
    print(f"ingestion visible through the standby {lag_s * 1000:.0f} ms after its commit")
    nearest = client.get("/communes/02168/nearest?k=1").get_json()["missions"][0]
    assert nearest["id"] == "ml-02168-01-chateau-thierry"
