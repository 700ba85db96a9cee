"""Coverage-gap analysis: how far each commune is from its nearest served mission site.

* network.py    the (current or hypothetical) network, its sites' missions locales, and the
                ONE per-commune statement (SQL in geosvc/db/coverage.py)
* figures.py    the distance figures of a group (weighted mean and median, beyond), written once
* indicators.py region / department / EPCI / site / mission locale figures
* own.py        each commune's distance to its OWN mission locale (the union's zones), any network
* zone_indicators.py the same figures on the official zones: `own` per area, `zones` per mission locale
* scenarios.py  what-if: add, close, move sites; deltas against the current network
* catchments.py catchment and Voronoi polygons, the commune choropleth (GeoJSON)
* quality.py    the data-quality report
* zones.py      own mission locale (the union's zones) vs the nearest site's: mismatches, cross-table
* tables.py     per-commune records and CSV
* provenance.py what every answer says about its method and data
* cache.py      answers kept per data version (catchments, the current coverage)
* charts.py     the report's PNG charts (the report itself: geosvc/cli/report.py)
* zone_svg.py   a zone's map as inline SVG, for the report's printable sheets (geosvc/cli/sheets.py)
"""
