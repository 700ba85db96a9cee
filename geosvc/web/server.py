"""Runs the app under gunicorn (a production WSGI server) from `geosvc serve`."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


class _GunicornApp(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # Built in each worker after the fork, so every worker has its own pool.
        from geosvc.web import create_app
        from geosvc.web.state import warm_up

        app = create_app()
        warm_up(app)  # build the in-memory answers now, not on a user's first request
        return app


def serve(host: str, port: int, workers: int) -> None:
    _GunicornApp({"bind": f"{host}:{port}", "workers": workers, "accesslog": "-"}).run()
