"""Travel time by regional train and coach (SNCF TER GTFS) to the missions locales' sites (issue 16).

    feed.py      one service day of the TER feed, restricted to what serves the region: stops, connections
    routing.py   earliest arrival from a point to a set of sites (Connection Scan), walk or bike to the stops
    compute.py   a commune's requests (own mission locale's sites, nearest site) routed into table rows
    cache.py     the day's timetable and the journeys already routed, on disk, keyed by the feed's hash
    ingest.py    the ingestion's part: find and read the feed, then route every commune inside the load

The method and its figures: docs/TRANSIT.md.
"""
