"""Travel time by regional train and coach (SNCF TER GTFS) to the missions locales' sites (issue 16).

    feed.py      one service day of the TER feed, restricted to what serves the region: stops, connections
    routing.py   earliest arrival from a point to a set of sites (Connection Scan), walk or bike to the stops

The routing core only: not yet wired into ingestion, the API or the page (docs/TRANSIT.md).
"""
