"""The database away is not the service away: with PostgreSQL stopped under a running app
(production settings), every public read answers 200 from the last loaded data, at once."""

from __future__ import annotations

import time

import pytest

from geosvc.config import Settings
from geosvc.ops.dbsetup import provision
from geosvc.ops.pginstance import PgInstance
from geosvc.web.state import state_of, warm_up
from tests.conftest import READER_URL, SERVER_URL, ingest_into, running_app
from tests.test_outages import free_port

# What a person or the campaign site reads; coverage (analysts) may answer 503.
PUBLIC_READS = [
    "/communes/62765",
    "/communes/62765/nearest?k=3",
    "/communes/62765/mission-locale?k=3",
    "/communes?q=saint%20omer",
    "/communes/autocomplete?q=hazeb",
    "/missions",
    "/missions/mission_locale-62765-01",
    "/departements",
    "/departements/62/communes",
    "/nearest?lon=2.2610&lat=50.7500&k=3",
]
# Generous: an answer from memory takes a few milliseconds; waiting for the pool takes 1.5 s.
BOUND_S = 0.5


@pytest.fixture(scope="module")
def app_without_database():
    """An app with production settings over a PostgreSQL of our own, loaded, then stopped."""
    instance = PgInstance.create(free_port())
    instance.start()
    owner = SERVER_URL.set(host="127.0.0.1", port=instance.port, database="geosvc")
    reader = READER_URL.set(host="127.0.0.1", port=instance.port, database="geosvc")
    owner_url, reader_url = (url.render_as_string(hide_password=False) for url in (owner, reader))
    provision(owner_url, reader_url, say=lambda _: None)
    ingest_into(owner_url)
    try:
        with running_app(Settings(database_url=owner_url, read_database_url=reader_url)) as app:
            warm_up(app)
            for store in state_of(app).stores():
                store.refresh_interval_s = 0.0  # every request would look for a new ingestion
            instance.stop()
            yield app
    finally:
        instance.destroy()


@pytest.mark.parametrize("path", PUBLIC_READS)
def test_public_reads_answer_from_memory_at_once(app_without_database, path):
    client = app_without_database.test_client()
    for _ in range(3):  # the first and the next: none waits for the database
        started = time.monotonic()
        response = client.get(path)
        elapsed = time.monotonic() - started
        assert response.status_code == 200, (path, response.get_json())
        assert elapsed < BOUND_S, f"{path} took {elapsed:.2f} s"
    for store in state_of(app_without_database).stores():
        store.wait_for_check()


def test_health_and_readiness_say_how_old_the_data_is(app_without_database):
    client = app_without_database.test_client()
    health = client.get("/health")
    assert health.status_code == 503
    body = health.get_json()
    assert (body["status"], body["database"]) == ("degraded", "unreachable")
    assert body["data_loaded_at"] and 0 <= body["data_age_s"] < 3600
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["data_age_s"] >= 0
    assert client.get("/livez").status_code == 200
