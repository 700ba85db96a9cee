"""For EVERY commune of the region, the API's nearest sites equal a brute-force geodesic answer.

The brute force is independent of PostGIS: pyproj.Geod (WGS84 ellipsoid) from each
commune's reference point to every served site, sorted.
"""

from __future__ import annotations

import numpy as np
from pyproj import Geod

WGS84 = Geod(ellps="WGS84")
K = 3


def brute_force_nearest(lon: float, lat: float, sites: list[dict]) -> list[tuple[float, str]]:
    site_lons = np.array([s["lon"] for s in sites])
    site_lats = np.array([s["lat"] for s in sites])
    _, _, distances = WGS84.inv(np.full(len(sites), lon), np.full(len(sites), lat), site_lons, site_lats)
    return sorted(zip(distances.tolist(), (s["id"] for s in sites), strict=True))


def test_nearest_sites_of_every_commune_match_brute_force(client, sql):
    sites = client.get("/missions").get_json()["missions"]
    assert len(sites) == 53
    codes = [row["code"] for row in sql("SELECT code FROM communes ORDER BY code")]
    assert len(codes) == 3782
    mismatches = []
    worst_error_m = 0.0
    for code in codes:
        body = client.get(f"/communes/{code}/nearest?k={K}").get_json()
        point = body["commune"]["point"]
        expected = brute_force_nearest(point["lon"], point["lat"], sites)[:K]
        got = [(m["distance_m"], m["id"]) for m in body["missions"]]
        if got[0][1] != expected[0][1]:
            mismatches.append((code, got[0], expected[0]))
        for (got_m, _), (expected_m, _) in zip(got, expected, strict=True):
            worst_error_m = max(worst_error_m, abs(got_m - expected_m))
    assert mismatches == []
    assert worst_error_m < 1.0, f"largest distance difference {worst_error_m:.3f} m"
