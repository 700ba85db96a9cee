"""The API docs page: Swagger UI served by the app itself, so it works without internet.

APIFlask's own page loads Swagger UI from a CDN and initialises it with an inline
script, which the Content-Security-Policy (geosvc/security.py) forbids; this page
uses only files from the app: the swagger-ui-bundle package and init.js below.

Only the files the page loads are served: the package's folder also holds Swagger UI's
stock index.html (the petstore demo, which loads any spec named in its URL) and
oauth2-redirect.html, which have no business on this service.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, send_from_directory
from swagger_ui_bundle import swagger_ui_path

bp = Blueprint("docs", __name__)

# what PAGE links to, nothing else of swagger_ui_path
ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"})

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>geosvc API</title>
  <link rel="stylesheet" href="/docs/static/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/static/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/static/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
"""

INIT_JS = """window.ui = SwaggerUIBundle({
  url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null
});
"""


@bp.get("/docs")
def page() -> Response:
    return Response(PAGE, mimetype="text/html")


@bp.get("/docs/static/<name>")
def asset(name: str) -> Response:
    if name not in ASSETS:
        abort(404)
    return send_from_directory(swagger_ui_path, name, max_age=3600)


@bp.get("/docs/init.js")
def init_script() -> Response:
    return Response(INIT_JS, mimetype="text/javascript")
