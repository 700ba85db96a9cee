"""Test databases on the real PostGIS server named by GEOSVC_DATABASE_URL (or the default).

Isolation by database cloning (CREATE DATABASE ... TEMPLATE, via pytest-postgresql's
DatabaseJanitor), which is cheap and lets the ingestion's own transactions run for real:

* `loaded_template`: once per session, the project's data/ ingested by the real pipeline;
* `api_url`: a clone the web app reads (its connections are read-only: no test can
  change it);
* `fresh_db`: a new clone for every test that writes (ingestion, failures), dropped after.

A missing server fails the run: the spatial tests are never silently skipped.

Apps: `make_app(settings)` (one test) or `running_app(settings)` (a wider fixture) build
them with `create_app` and close their read pool afterwards. Data from outside the
repository, the France set: the `france_dir` fixture (see tests/README.md).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_postgresql.janitor import DatabaseJanitor
from sqlalchemy import make_url, text

from geosvc.config import PROJECT_ROOT, Settings
from geosvc.db.pool import make_engine
from geosvc.ingest.pipeline import ingest
from geosvc.ops.dbsetup import TEMPLATE_DATABASE
from geosvc.web import create_app
from geosvc.web.state import close_app

DATA_DIR = PROJECT_ROOT / "data"
SERVER_URL = make_url(Settings.from_env().database_url)
READER_URL = make_url(Settings.from_env().read_database_url)
_clone_numbers = itertools.count()


def database_url(name: str) -> str:
    return SERVER_URL.set(database=name).render_as_string(hide_password=False)


def settings_for(url: str, **overrides) -> Settings:
    """Settings of a service on the database of `url`, reading as the read-only role."""
    name = make_url(url).database
    reader = READER_URL.set(database=name).render_as_string(hide_password=False)
    # Tests share apps and the process-wide limiter: only the rate-limit test sets a real limit.
    overrides.setdefault("expensive_rate_limit", "100000 per minute")
    return Settings(database_url=url, read_database_url=reader, **overrides)


class _Janitor(DatabaseJanitor):
    """Terminates only our own role's sessions before a drop or a clone: autovacuum runs as
    a superuser (which we may not terminate) and DROP DATABASE stops it by itself."""

    @staticmethod
    def _terminate_connection(cur, dbname: str) -> None:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND usename = current_user",
            (dbname,),
        )


def _janitor(name: str, template: str, as_template: bool = False) -> DatabaseJanitor:
    return _Janitor(
        user=SERVER_URL.username, password=SERVER_URL.password, host=SERVER_URL.host,
        port=SERVER_URL.port or 5432, dbname=name, template_dbname=template, as_template=as_template,
        connection_timeout=5,
    )


def _unique(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{next(_clone_numbers)}"


def ingest_into(url: str, data_dir: Path = DATA_DIR, **options):
    engine = make_engine(url)
    try:
        # the TER journeys are cached by the feed's hash (geosvc/transit/cache.py): routed once per suite
        options.setdefault("cache_dir", Settings.from_env().cache_dir)
        return ingest(engine, data_dir, max_offset_km=Settings().max_site_offset_km, **options)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def loaded_template():
    """Name of a template database holding the project's data, ingested once."""
    name = _unique("geosvc_test_loaded")
    janitor = _janitor(name, TEMPLATE_DATABASE, as_template=True)
    janitor.drop()
    janitor.init()
    ingest_into(database_url(name))
    yield name
    janitor.drop()


@pytest.fixture(scope="session")
def api_url(loaded_template):
    name = _unique("geosvc_test_api")
    with _janitor(name, loaded_template):
        yield database_url(name)


@pytest.fixture
def fresh_db(loaded_template):
    """URL of a private copy of the loaded data, for a test that writes."""
    name = _unique("geosvc_test_rw")
    with _janitor(name, loaded_template):
        yield database_url(name)


@pytest.fixture
def empty_db():
    """URL of a database with PostGIS and no geosvc tables."""
    name = _unique("geosvc_test_empty")
    with _janitor(name, TEMPLATE_DATABASE):
        yield database_url(name)


# --- apps ----------------------------------------------------------------------------------

@contextlib.contextmanager
def running_app(settings: Settings) -> Iterator:
    """An app built by create_app(settings), its read pool closed on the way out."""
    app = create_app(settings)
    try:
        yield app
    finally:
        close_app(app)


@pytest.fixture
def make_app():
    """make_app(settings) -> an app built by create_app; every read pool is closed after the test."""
    with contextlib.ExitStack() as apps:
        yield lambda settings: apps.enter_context(running_app(settings))


@pytest.fixture(scope="session")
def app(api_url):
    with running_app(settings_for(api_url)) as application:
        yield application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def sql(api_url):
    """Run a read-only SQL query on the API's database: sql("SELECT ...", **params)."""
    engine = make_engine(api_url)

    def run(statement: str, **params):
        with engine.connect() as connection:
            return connection.execute(text(statement), params).mappings().all()

    yield run
    engine.dispose()


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A writable copy of data/, for tests that break one file."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    for path in target.iterdir():
        path.chmod(0o644)
    return target


# --- coverage analysis (issue 5): a tiny synthetic data set, a browser, a live server ----

SYNTHETIC_DIR = PROJECT_ROOT / "tests" / "data" / "coverage_synthetic"


@pytest.fixture(scope="session")
def synthetic_url():
    """A database holding tests/data/coverage_synthetic (6 square communes, SYNTHETIC), ingested once."""
    name = _unique("geosvc_test_synthetic")
    with _janitor(name, TEMPLATE_DATABASE):
        url = database_url(name)
        ingest_into(url, SYNTHETIC_DIR)
        yield url


@pytest.fixture(scope="session")
def synthetic_app(synthetic_url):
    with running_app(settings_for(synthetic_url)) as application:
        yield application


@pytest.fixture
def synthetic_client(synthetic_app):
    return synthetic_app.test_client()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium through Playwright (tests/browser_support.py)."""
    from tests.browser_support import chromium

    with chromium() as session_browser:
        yield session_browser


@pytest.fixture(scope="session")
def live_url(app):
    """Base URL of the real-data app served on 127.0.0.1 for the browser."""
    from geosvc.web.state import warm_up
    from tests.browser_support import live_server

    warm_up(app)  # as gunicorn's workers do at start: no page waits for an index to be built
    with live_server(app) as url:
        yield url


# --- data from outside the repository --------------------------------------------------------

REQUIRE_FRANCE = "GEOSVC_REQUIRE_FRANCE"  # set to 1 by .ci/run: there, the France tests must run
FRANCE_DIR_VARIABLE = "GEOSVC_TEST_FRANCE_DIR"  # tests only: where the France set is, if elsewhere


@pytest.fixture(scope="session")
def france_dir() -> Path:
    """The France data set, read in place: ../shared/data/france next to the repository, or
    $GEOSVC_TEST_FRANCE_DIR. When it is absent the test is skipped with the reason, unless
    GEOSVC_REQUIRE_FRANCE=1 (CI), where it fails: it can never be skipped silently there."""
    directory = Path(os.environ.get(FRANCE_DIR_VARIABLE) or PROJECT_ROOT.parent / "shared" / "data" / "france")
    required = os.environ.get(REQUIRE_FRANCE, "")
    if required not in ("", "0", "1"):
        pytest.fail(f"{REQUIRE_FRANCE}={required!r}: expected 1 (require the France data) or 0", pytrace=False)
    if (directory / "communes.geojson").is_file():
        return directory
    reason = f"the France data set is absent: no {directory / 'communes.geojson'}"
    if required == "1":
        pytest.fail(f"{reason}, and {REQUIRE_FRANCE}=1 requires it", pytrace=False)
    pytest.skip(f"{reason} (set {FRANCE_DIR_VARIABLE} if it is elsewhere)")
