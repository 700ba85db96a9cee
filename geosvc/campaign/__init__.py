"""The campaign site's backend: department -> commune -> nearest mission feeds, their static
export, and the point search behind "use my location".

    sql.py      every statement, as named constants (bind parameters only)
    feeds.py    cursor -> JSON documents; their exact bytes (shared by the API and the export)
    store.py    per-worker memo of the encoded department feeds, keyed by the data fingerprint
    export.py   `geosvc export --out DIR`: the feeds as static files, with an index
    cors.py     GEOSVC_CORS_ORIGINS -> flask-cors

The HTTP side (views, ETag/304, Cache-Control) is geosvc/web/api/campaign.py and geosvc/web/httpcache.py.
"""
