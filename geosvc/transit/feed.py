"""One service day of SNCF's TER timetable (GTFS), restricted to what serves Hauts-de-France.

The feed is read as SNCF publishes it (`export-ter-gtfs-last.zip`, kept as
`../shared/data/sources/gtfs/sncf_ter_gtfs_2025-01-22.zip`; ODbL, attribute SNCF: see
`../shared/data/sources/PROVENANCE.md`) with partridge, which filters the whole feed down to one service date:
the feed has no `calendar.txt`, so the trips running on a date are those whose `service_id` has a
`calendar_dates.txt` row of that date with `exception_type` 1 (partridge prunes trips, stop times, stops and
routes from that row set).

What "serves the region" means here (see docs/TRANSIT.md):
- a trip is kept when it calls at least once at a stop inside the region's bounding box (the extent of the
  region's 3,782 commune polygons, `REGION_BBOX`);
- of a kept trip, the hops (connections) are kept while both ends lie inside that box widened by
  `margin_km` (20 km by default), so a line that runs a few kilometres outside the region (the Bresle valley,
  Belgium's border stations, the Oise valley into Île-de-France) stays in one piece, but the long tails of a
  trip towards Paris or Rouen are dropped.
A bounding box, not the commune polygons: the box is cheap and its margin errs on the side of keeping stops;
the stops that matter are those within walking or cycling reach of a commune of the region, all of which lie
inside the widened box.

The result is plain Python: a list of `Stop` and a list of `Connection` sorted by departure time, ready for
`geosvc.transit.routing`. `Timetable.sha256` is the zip's hash, `Timetable.cache_key` adds the date and the
region's parameters: a caller caches what it derives from a timetable under that key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from geosvc.config import PROJECT_ROOT

# the project's copy of SNCF's zip as published (../shared/data/sources/gtfs/, data/sources/PROVENANCE.md)
DEFAULT_FEED = PROJECT_ROOT / "data" / "sources" / "gtfs" / "sncf_ter_gtfs_2025-01-22.zip"
DEFAULT_SERVICE_DATE = dt.date(2025, 2, 4)  # a Tuesday of school term, inside the feed (2025-01-22 .. 2025-04-22)
# The extent of the region's commune polygons (data/communes.geojson), lon/lat WGS84.
REGION_BBOX = (1.38065, 48.83743, 4.25573, 51.08854)
DEFAULT_MARGIN_KM = 20.0
ATTRIBUTION = "Horaires TER © SNCF (GTFS du {version}), licence ODbL"  # the licence asks to attribute SNCF


def attribution(feed_version: str) -> str:
    """What every page or file showing a time derived from the feed must say (ODbL: attribute SNCF)."""
    return ATTRIBUTION.format(version=feed_version or "version non indiquée")


class Stop(NamedTuple):
    id: str
    name: str
    lon: float
    lat: float
    parent_station: str | None


class Connection(NamedTuple):
    """One hop of one trip between two consecutive calls; times in seconds after midnight of the service day."""

    dep_stop: str
    arr_stop: str
    dep_time_s: int
    arr_time_s: int
    trip_id: str
    route: str  # the route's short name (e.g. "K12", "P31"), else its long name
    pickup: bool = True  # may one board at dep_stop (pickup_type != 1)
    drop_off: bool = True  # may one alight at arr_stop (drop_off_type != 1)


@dataclass(frozen=True)
class Timetable:
    stops: list[Stop]
    connections: list[Connection]
    service_date: dt.date
    sha256: str
    feed_version: str
    bbox: tuple[float, float, float, float]
    margin_km: float
    route_names: dict[str, str] = field(default_factory=dict)  # trip_id -> route short name

    @property
    def cache_key(self) -> str:
        b = ",".join(f"{v:.5f}" for v in self.bbox)
        return f"{self.sha256}:{self.service_date.isoformat()}:{b}:{self.margin_km:g}"


def feed_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def widen(bbox: tuple[float, float, float, float], margin_km: float) -> tuple[float, float, float, float]:
    """The box widened by margin_km on every side (degrees of latitude 111.2 km; of longitude at the box's
    southern edge, where they are widest)."""
    west, south, east, north = bbox
    dlat = margin_km / 111.2
    dlon = margin_km / (111.2 * math.cos(math.radians(south)))
    return (west - dlon, south - dlat, east + dlon, north + dlat)


def _inside(lon: float, lat: float, box: tuple[float, float, float, float]) -> bool:
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def _read_day(path: Path, service_date: dt.date):
    """partridge's view of the feed on one date. partridge 1.1 calls pandas APIs that pandas 3 deprecates
    (DataFrame.rename(inplace=True)): those warnings, attributed to partridge's modules, are silenced here
    and only here."""
    import partridge as ptg

    view = {"calendar_dates.txt": {"date": service_date.strftime("%Y%m%d"), "exception_type": "1"}}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"partridge(\.|$)")
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"partridge(\.|$)")
        feed = ptg.load_feed(str(path), view)
        frames = {
            "stops": feed.stops,
            "stop_times": feed.stop_times,
            "trips": feed.trips,
            "routes": feed.routes,
            "feed_info": feed.feed_info,
        }
    return frames


def load_timetable(
    path: str | Path = DEFAULT_FEED,
    service_date: dt.date = DEFAULT_SERVICE_DATE,
    bbox: tuple[float, float, float, float] = REGION_BBOX,
    margin_km: float = DEFAULT_MARGIN_KM,
) -> Timetable:
    path = Path(path)
    f = _read_day(path, service_date)
    stops_df, st, trips, routes = f["stops"], f["stop_times"], f["trips"], f["routes"]
    version = str(f["feed_info"]["feed_version"].iloc[0]) if len(f["feed_info"]) else ""

    def text(v) -> str | None:
        return None if v is None or (isinstance(v, float) and math.isnan(v)) or v == "" else str(v)

    all_stops = {
        sid: Stop(sid, str(name), float(lon), float(lat), text(parent))
        for sid, name, lon, lat, parent in zip(
            stops_df["stop_id"],
            stops_df["stop_name"],
            stops_df["stop_lon"],
            stops_df["stop_lat"],
            stops_df["parent_station"],
            strict=True,
        )
    }
    route_name = {
        rid: text(short) or text(long) or rid
        for rid, short, long in zip(
            routes["route_id"], routes["route_short_name"], routes["route_long_name"], strict=True
        )
    }
    trip_route = {tid: route_name.get(rid, rid) for tid, rid in zip(trips["trip_id"], trips["route_id"], strict=True)}

    in_region = {sid for sid, s in all_stops.items() if _inside(s.lon, s.lat, bbox)}
    wide = widen(bbox, margin_km)
    in_wide = {sid for sid, s in all_stops.items() if _inside(s.lon, s.lat, wide)}

    st = st.sort_values(["trip_id", "stop_sequence"], kind="stable")
    rows = zip(
        st["trip_id"].tolist(),
        st["stop_id"].tolist(),
        st["arrival_time"].tolist(),
        st["departure_time"].tolist(),
        st["pickup_type"].astype(str).tolist(),
        st["drop_off_type"].astype(str).tolist(),
        strict=True,
    )
    calls_by_trip: dict[str, list[tuple]] = {}
    for trip_id, stop_id, arr, dep, pickup, drop in rows:
        calls_by_trip.setdefault(trip_id, []).append((stop_id, arr, dep, pickup.strip() != "1", drop.strip() != "1"))

    connections: list[Connection] = []
    for trip_id, calls in calls_by_trip.items():
        if not any(c[0] in in_region for c in calls):
            continue
        route = trip_route.get(trip_id, "")
        for a, b in zip(calls, calls[1:], strict=False):
            if a[0] not in in_wide or b[0] not in in_wide:
                continue
            dep, arr = a[2], b[1]
            if dep is None or arr is None or math.isnan(dep) or math.isnan(arr):
                continue  # a call without times (none in the 2025-01-22 feed)
            connections.append(Connection(a[0], b[0], int(dep), int(arr), trip_id, route, a[3], b[4]))
    connections.sort(key=lambda c: (c.dep_time_s, c.arr_time_s, c.trip_id))

    used = {c.dep_stop for c in connections} | {c.arr_stop for c in connections}
    stops = sorted((all_stops[s] for s in used), key=lambda s: s.id)
    return Timetable(
        stops=stops,
        connections=connections,
        service_date=service_date,
        sha256=feed_sha256(path),
        feed_version=version,
        bbox=bbox,
        margin_km=margin_km,
        route_names={c.trip_id: c.route for c in connections},
    )
