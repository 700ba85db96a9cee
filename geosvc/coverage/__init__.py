"""Coverage-gap analysis: how far each commune is from its nearest served mission site.

* network.py    the (current or hypothetical) network, its sites' missions locales, and the
                ONE per-commune statement (SQL in geosvc/db/coverage.py)
* indicators.py region / department / EPCI / site / mission locale figures
* scenarios.py  what-if: add, close, move sites; deltas against the current network
* catchments.py catchment and Voronoi polygons, the commune choropleth (GeoJSON)
* quality.py    the data-quality report
* zones.py      own mission locale (the union's zones) vs the nearest site's
* tables.py     per-commune records and CSV
* provenance.py what every answer says about its method and data
* cache.py      catchment answers kept per data version
* charts.py     the report's PNG charts (the report itself: geosvc/cli/report.py)
"""
