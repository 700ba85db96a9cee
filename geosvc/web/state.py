"""Per-worker state of the running app, and typed accessors to it (as flaskr's `get_db`).

One `WorkerState` per app, hence per gunicorn worker (the app is built after the fork):
the read pool and the answers held in memory, each in a RefreshingStore rebuilt when an
ingestion changes the data. Views ask for what they need through the functions below;
nothing else knows where the state is kept.
"""

from __future__ import annotations

import atexit
import dataclasses
import datetime as dt
import logging
import time

from flask import Flask, current_app

from geosvc.campaign.feeds import Locator, build_locator
from geosvc.campaign.store import FeedCache
from geosvc.config import Settings
from geosvc.core.errors import ServiceUnavailable
from geosvc.core.search_index import Index
from geosvc.coverage.cache import AnswerCache
from geosvc.db.pool import ReadDatabase
from geosvc.db.snapshot import RefreshingStore
from geosvc.mission_locale import MissionLocaleTable, build_mission_locale_table
from geosvc.search import build_index

log = logging.getLogger(__name__)

KEY = "geosvc"


@dataclasses.dataclass
class WorkerState:
    database: ReadDatabase
    # nearest sites and own mission locale: one table, built once per data version
    nearest: RefreshingStore[MissionLocaleTable]
    search: RefreshingStore[Index]
    feeds: RefreshingStore[FeedCache]
    locator: RefreshingStore[Locator]
    catchments: AnswerCache
    assignment: AnswerCache

    def stores(self) -> list[RefreshingStore]:
        return [self.nearest, self.search, self.feeds, self.locator]


def init_app(app: Flask, settings: Settings) -> None:
    database = ReadDatabase(settings)
    interval = settings.refresh_interval_s
    app.extensions[KEY] = WorkerState(
        database=database,
        nearest=RefreshingStore(database, build_mission_locale_table, "nearest-site table", interval),
        search=RefreshingStore(database, build_index, "search index", interval),
        feeds=RefreshingStore(database, lambda cursor: FeedCache.built(database, cursor), "campaign feeds", interval),
        locator=RefreshingStore(database, build_locator, "point locator", interval),
        catchments=AnswerCache(),
        assignment=AnswerCache(size=6),  # per data version: the report, its JSON, its CSV
    )
    atexit.register(database.close)


def state_of(app: Flask | None = None) -> WorkerState:
    return (app or current_app).extensions[KEY]


def read_db() -> ReadDatabase:
    return state_of().database


def nearest_table() -> MissionLocaleTable:
    return state_of().nearest.get()


def mission_locale_table() -> MissionLocaleTable:
    return state_of().nearest.get()


def point_locator() -> Locator:
    return state_of().locator.get()


def search_index() -> Index:
    return state_of().search.get()


def campaign_feeds() -> FeedCache:
    return state_of().feeds.get()


def catchment_cache() -> AnswerCache:
    return state_of().catchments


def assignment_cache() -> AnswerCache:
    """The /coverage/assignment answer, per data version (it recomputed the region per request)."""
    return state_of().assignment


def close_app(app: Flask) -> None:
    """Close the app's read pool (tests, and any process that builds several apps)."""
    state_of(app).database.close()


def warm_up(app: Flask) -> None:
    """Build every store of the app now; a database that is down only postpones it."""
    for store in state_of(app).stores():
        try:
            store.get()
        except ServiceUnavailable:
            log.warning("%s not built at start: database unavailable; built on first use", store.name)


def readiness(app: Flask | None = None) -> dict:
    """Whether this worker can answer: every in-memory store built, with data in it.

    Read from memory only (no query, nothing built): a worker whose answers are built stays
    ready while the database is down, since those answers keep coming from memory.
    """
    worker = state_of(app)
    stores = {
        store.name: {"built": store.is_built(), "builds": store.builds, "built_at": store.built_at}
        for store in worker.stores()
    }
    table = worker.nearest.peek()
    data = table.data if table is not None else None
    communes = (data or {}).get("communes") or {}
    loaded_at = communes.get("loaded_at")
    age = None if loaded_at is None else round(time.time() - dt.datetime.fromisoformat(loaded_at).timestamp(), 1)
    return {
        "ready": all(store["built"] for store in stores.values()) and bool(communes.get("rows")),
        "stores": stores,
        "data_loaded_at": loaded_at,
        "data_age_s": age,
    }
