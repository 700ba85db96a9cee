"""Coverage-gap analysis: how far each commune is from its nearest served mission site.

* network.py    the (current or hypothetical) network and the ONE per-commune statement
* sql.py        every SQL statement, named
* indicators.py region / department / EPCI / site / structure figures
* structures.py which structure a site belongs to (from its name)
* scenarios.py  what-if: add, close, move sites; deltas against the current network
* catchments.py catchment and Voronoi polygons, the commune choropleth (GeoJSON)
* quality.py    the data-quality report
* official.py   official assignment vs nearest site (optional input)
* tables.py     per-commune records and CSV
* provenance.py what every answer says about its method and data
* cache.py      catchment answers kept per data version
* charts.py, html_map.py, report.py   `geosvc coverage report`
* commands.py   what the `geosvc coverage` commands do
* bench.py      timing, and the brute-force comparison with pyproj.Geod
"""
