"""The API docs page: Swagger UI served by the app itself, so it works without internet.

APIFlask's own page loads Swagger UI from a CDN and initialises it with an inline
script, which the Content-Security-Policy (geosvc/security.py) forbids; this page
uses only files from the app: the swagger-ui-bundle package and init.js below.
"""

from __future__ import annotations

from flask import Blueprint, Response
from swagger_ui_bundle import swagger_ui_path

bp = Blueprint("docs", __name__, static_folder=str(swagger_ui_path), static_url_path="/docs/static")

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


@bp.get("/docs/init.js")
def init_script() -> Response:
    return Response(INIT_JS, mimetype="text/javascript")
