"""Faults for real: the database stopped and restarted under a running service, and an
ingestion killed with SIGKILL in the middle of its transaction."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import make_url, text

from geosvc.config import PROJECT_ROOT, Settings
from geosvc.db.load import INGEST_LOCK_KEY
from geosvc.db.pool import make_engine
from geosvc.ops.dbsetup import provision
from geosvc.ops.pginstance import PgInstance
from geosvc.web.state import state_of, warm_up
from tests.conftest import READER_URL, SERVER_URL, ingest_into, settings_for
from tests.test_ingest import digest, query, rewrite_csv, without_chateau_thierry


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# The production defaults, which docs/OPERATIONS.md's "503 within 2 s" is stated for: a request
# waits at most 1.5 s for a pooled connection, a statement runs at most 1.5 s.
PRODUCTION = Settings()
DOCUMENTED_BOUND_S = 2.0  # docs/OPERATIONS.md, "Time limits"


def test_the_outage_tests_run_with_the_production_time_limits():
    assert (PRODUCTION.pool_timeout_s, PRODUCTION.statement_timeout_ms) == (1.5, 1500)


@pytest.fixture
def private_server():
    """A PostgreSQL of our own (so stopping it disturbs no one), provisioned and loaded."""
    instance = PgInstance.create(free_port())
    instance.start()
    owner = SERVER_URL.set(host="127.0.0.1", port=instance.port, database="geosvc")
    reader = READER_URL.set(host="127.0.0.1", port=instance.port, database="geosvc")
    owner_url = owner.render_as_string(hide_password=False)
    reader_url = reader.render_as_string(hide_password=False)
    provision(owner_url, reader_url, say=lambda _: None)
    ingest_into(owner_url)
    # the pool and statement time limits are left at their production defaults
    settings = Settings(database_url=owner_url, read_database_url=reader_url)
    assert (settings.pool_timeout_s, settings.statement_timeout_ms) == (
        PRODUCTION.pool_timeout_s, PRODUCTION.statement_timeout_ms)
    yield instance, settings
    instance.destroy()


def timed_get(client, url):
    started = time.monotonic()
    response = client.get(url)
    return response, time.monotonic() - started


# Reads that need the database: a former commune code (the 404 that names its current commune
# is looked up), and a commune's outline (not held in memory).
FORMER_CODE = "/communes/62461"  # Huby-Saint-Leu, now part of 62447 Hesdin-la-Forêt
NEEDS_DATABASE = [FORMER_CODE, "/communes/62765/outline"]
# Reads answered from the memory of the worker, from the last data, while the database is down.
FROM_MEMORY = [
    "/communes/62765", "/communes/62765/nearest", "/communes/62765/mission-locale",
    "/communes?q=saint-omer", "/communes/autocomplete?q=saint-o", "/missions/mission_locale-62765-01",
]


def assert_answers_normally(client) -> None:
    former, elapsed = timed_get(client, FORMER_CODE)
    print(f"{FORMER_CODE}: {former.status_code} in {elapsed:.2f} s")
    assert former.status_code == 404, former.get_json()
    assert former.get_json()["details"]["replaced_by"]["code"] == "62447"
    assert elapsed < DOCUMENTED_BOUND_S, f"took {elapsed:.2f} s"
    assert client.get("/communes/62765/outline").status_code == 200
    assert client.get("/health").get_json()["status"] == "ok"


def fill_the_pool(database, size: int) -> None:
    """Opens `size` connections at once, then gives them back to the pool, idle."""
    with contextlib.ExitStack() as held:
        for _ in range(size):
            held.enter_context(database.cursor()).execute("SELECT 1")
    assert database.pool.get_stats()["pool_available"] == size


def test_database_stopped_gives_503_then_recovers_without_restart(private_server, make_app):
    instance, settings = private_server
    # No freshness check in the background during the test: each one asks the pool for a
    # connection too, and so could reconnect it in place of the request under test (with the
    # 5 s default, whether one was due when the database came back decided the old outcome).
    app = make_app(dataclasses.replace(settings, refresh_interval_s=3600.0))
    warm_up(app)  # as gunicorn's workers, before they are sent traffic (/readyz)
    client = app.test_client()
    assert_answers_normally(client)
    for path in FROM_MEMORY:
        assert client.get(path).status_code == 200, path

    # 1. stopped, with requests during the outage (the pool tries to reconnect meanwhile)
    instance.stop()
    for _ in range(3):  # every request, not only the first, fails fast and cleanly
        for path in NEEDS_DATABASE:
            response, elapsed = timed_get(client, path)
            assert response.status_code == 503, (path, response.get_json())
            assert response.get_json()["code"] == "database_unavailable"
            assert response.headers.get("Retry-After")
            assert elapsed < DOCUMENTED_BOUND_S, f"503 of {path} took {elapsed:.2f} s"
    # the answers held in memory keep being served from the last data, at once
    for path in FROM_MEMORY:
        response, elapsed = timed_get(client, path)
        assert response.status_code == 200, (path, response.get_json())
        assert elapsed < DOCUMENTED_BOUND_S, f"{path} took {elapsed:.2f} s"
    assert client.get("/communes/62765").get_json()["nom"] == "Saint-Omer"
    health = client.get("/health")
    assert health.status_code == 503 and health.get_json()["status"] == "degraded"

    instance.start()
    assert_answers_normally(client)  # the first request after the restart, not a later one

    # 2. stopped and restarted with no request in between: every pooled connection is broken
    #    when the next request comes (the pool is full first: GEOSVC_POOL_SIZE of them)
    fill_the_pool(state_of(app).database, settings.pool_size)
    instance.stop()
    instance.start()
    assert_answers_normally(client)
    for store in state_of(app).stores():
        store.wait_for_check()


def test_ingestion_killed_mid_transaction_leaves_previous_data(fresh_db, data_copy):
    """SIGKILL once the loader has deleted every old row and is copying the new ones, in its
    transaction: the previous data stays, and the next ingestion succeeds."""
    rewrite_csv(data_copy / "sites.csv", without_chateau_thierry)
    before = digest(fresh_db)
    env = dict(os.environ, GEOSVC_DATABASE_URL=fresh_db)
    process = subprocess.Popen(
        [Path(sys.executable).parent / "geosvc", "ingest", "--data-dir", str(data_copy)],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        seen = _wait_until_writing(fresh_db, process)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    print(f"killed the loader at: {seen}")
    assert process.returncode == -signal.SIGKILL
    # the kill point: inside the transaction, after the deletes, during a COPY
    assert seen["query"].startswith("COPY "), seen
    assert seen["communes_deleted"] == 3782 and seen["sites_deleted"] == 116, seen
    _wait_for_backend_to_end(fresh_db)
    assert digest(fresh_db) == before, "a killed ingestion must not change the data"
    assert query(fresh_db, "SELECT count(*) AS n FROM mission_sites")[0]["n"] == 116

    ingest_into(fresh_db, data_copy)
    assert query(fresh_db, "SELECT count(*) AS n FROM mission_sites")[0]["n"] == 113


# The loading backend (it holds the ingestion's advisory lock), its current statement, its
# transaction id, and whether it holds the lock a DELETE or a COPY takes on communes.
LOADER = """
    SELECT a.pid, a.backend_xid::text AS xid, a.query,
           EXISTS (SELECT 1 FROM pg_locks w WHERE w.pid = a.pid AND w.granted AND w.mode = 'RowExclusiveLock'
                   AND w.relation = 'communes'::regclass) AS writes_communes
    FROM pg_stat_activity a
    WHERE a.pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = :key AND granted)
"""
# Rows that a transaction not yet committed has deleted are still visible to the others, with
# that transaction's id as xmax: counted, they show that the loader's DELETEs have run.
DELETED_BY = """
    SELECT (SELECT count(*) FROM communes WHERE xmax::text = :xid) AS communes_deleted,
           (SELECT count(*) FROM mission_sites WHERE xmax::text = :xid) AS sites_deleted
"""


def _wait_until_writing(url: str, process, timeout_s: float = 60) -> dict:
    """Until the loader, in its transaction, has deleted the old rows and runs a COPY: polled
    from another connection (pg_stat_activity, pg_locks, xmax of the old rows)."""
    deadline = time.monotonic() + timeout_s
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            while time.monotonic() < deadline:
                assert process.poll() is None, "the ingestion ended before it could be killed"
                loader_row = connection.execute(text(LOADER), {"key": INGEST_LOCK_KEY}).mappings().first()
                connection.rollback()
                if loader_row and loader_row["writes_communes"] and loader_row["query"].startswith("COPY "):
                    deleted = connection.execute(text(DELETED_BY), {"xid": loader_row["xid"]}).mappings().one()
                    connection.rollback()
                    return {"query": loader_row["query"][:60], "xid": loader_row["xid"], **deleted}
                time.sleep(0.005)
    finally:
        engine.dispose()
    raise AssertionError("the ingestion never reached its writes")


def _wait_for_backend_to_end(url: str, timeout_s: float = 10) -> None:
    name = make_url(url).database
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        others = query(url, "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = :db AND pid <> "
                       "pg_backend_pid() AND application_name <> 'geosvc'", db=name)
        if not others[0]["n"]:
            return
        time.sleep(0.05)


def test_slow_database_gives_503_not_a_hung_worker(fresh_db, make_app):
    """A table locked by someone else makes the query wait; statement_timeout (its production
    default) ends the wait within the documented bound."""
    settings = settings_for(fresh_db)
    assert settings.statement_timeout_ms == PRODUCTION.statement_timeout_ms
    app = make_app(settings)
    warm_up(app)
    client = app.test_client()
    engine = make_engine(fresh_db)
    try:
        with engine.connect() as locker:
            locker.execute(text("LOCK TABLE former_communes, communes IN ACCESS EXCLUSIVE MODE"))
            response, elapsed = timed_get(client, FORMER_CODE)
            from_memory, memory_elapsed = timed_get(client, "/communes/62765/nearest")
            locker.rollback()
        assert response.status_code == 503
        assert response.get_json()["message"] == "the database took too long to answer"
        assert PRODUCTION.statement_timeout_ms / 1000 <= elapsed < DOCUMENTED_BOUND_S, f"took {elapsed:.2f} s"
        # what the worker holds in memory does not wait for the locked table
        assert from_memory.status_code == 200 and memory_elapsed < 0.5
        assert client.get(FORMER_CODE).status_code == 404
    finally:
        engine.dispose()
        for store in state_of(app).stores():
            store.wait_for_check()
