"""Faults for real: the database stopped and restarted under a running service, and an
ingestion killed with SIGKILL in the middle of its transaction."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import make_url

from geosvc.config import PROJECT_ROOT, Settings
from geosvc.db.load import INGEST_LOCK_KEY
from geosvc.ops.dbsetup import provision
from geosvc.ops.pginstance import PgInstance
from tests.conftest import READER_URL, SERVER_URL, ingest_into
from tests.test_ingest import digest, query, rewrite_csv


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
    yield instance, Settings(database_url=owner_url, read_database_url=reader_url, pool_timeout_s=1.0)
    instance.destroy()


def timed_get(client, url):
    started = time.monotonic()
    response = client.get(url)
    return response, time.monotonic() - started


def test_database_stopped_gives_503_then_recovers_without_restart(private_server, make_app):
    instance, settings = private_server
    client = make_app(settings).test_client()
    assert client.get("/communes/62765").status_code == 200
    assert client.get("/communes/62765/nearest").status_code == 200  # builds the in-memory table

    instance.stop()
    for _ in range(3):  # every request, not only the first, fails fast and cleanly
        response, elapsed = timed_get(client, "/communes/62765")
        assert response.status_code == 503
        assert response.get_json()["code"] == "database_unavailable"
        assert elapsed < 2.0, f"503 took {elapsed:.2f} s"
    # answers held in memory keep being served from the last data
    assert client.get("/communes/62765/nearest").status_code == 200

    instance.start()
    response, _ = timed_get(client, "/communes/62765")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["nom"] == "Saint-Omer"


def test_ingestion_killed_mid_transaction_leaves_previous_data(fresh_db, data_copy):
    rewrite_csv(data_copy / "missions.csv", lambda rows: [r for r in rows if r["insee"] != "02168"])
    before = digest(fresh_db)
    env = dict(os.environ, GEOSVC_DATABASE_URL=fresh_db)
    process = subprocess.Popen(
        [Path(sys.executable).parent / "geosvc", "ingest", "--data-dir", str(data_copy)],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_loading(fresh_db, process)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    _wait_for_backend_to_end(fresh_db)
    assert digest(fresh_db) == before, "a killed ingestion must not change the data"

    ingest_into(fresh_db, data_copy)
    assert query(fresh_db, "SELECT count(*) AS n FROM mission_sites")[0]["n"] == 52


def _wait_until_loading(url: str, process, timeout_s: float = 30) -> None:
    """Until the ingestion holds its transaction's advisory lock, i.e. is writing."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "the ingestion ended before it could be killed"
        held = query(url, "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = :key",
                     key=INGEST_LOCK_KEY)
        if held[0]["n"]:
            return
        time.sleep(0.01)
    raise AssertionError("the ingestion never started loading")


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
    """A table locked by someone else makes the query wait; statement_timeout ends the wait."""
    from sqlalchemy import text

    from geosvc.db.pool import make_engine
    from tests.conftest import settings_for

    app = make_app(settings_for(fresh_db, statement_timeout_ms=300))
    engine = make_engine(fresh_db)
    try:
        with engine.connect() as locker:
            locker.execute(text("LOCK TABLE communes IN ACCESS EXCLUSIVE MODE"))
            response, elapsed = timed_get(app.test_client(), "/communes/62765")
            locker.rollback()
        assert response.status_code == 503
        assert response.get_json()["message"] == "the database took too long to answer"
        assert elapsed < 2.0
        assert app.test_client().get("/communes/62765").status_code == 200
    finally:
        engine.dispose()
