"""The `geosvc` command: database setup, ingestion, serving."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from geosvc.config import ConfigError, Settings


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc


@click.group()
def main() -> None:
    """geosvc: nearest mission locale for the communes of Hauts-de-France."""


@main.group()
def db() -> None:
    """Database commands."""


@db.command("setup")
def db_setup() -> None:
    """Install (if needed) and start PostgreSQL + PostGIS, create the role and the database."""
    from geosvc.ops.dbsetup import SetupError, setup

    try:
        settings = _settings()
        setup(settings.database_url, settings.read_database_url, say=lambda line: click.echo(line, err=True))
    except SetupError as exc:
        raise click.ClickException(str(exc)) from exc


@db.command("upgrade")
def db_upgrade() -> None:
    """Bring the schema to the newest migration, in one transaction (a database from before migrations too)."""
    from sqlalchemy.exc import OperationalError

    from geosvc.db import migrate
    from geosvc.db.pool import safe_url

    settings = _settings()
    try:
        outcome = migrate.upgrade_url(settings.database_url)
    except RuntimeError as exc:  # migrate.MigrationError, or a revision's own check (PostGIS missing)
        raise click.ClickException(str(exc)) from exc
    except OperationalError as exc:
        raise click.ClickException(f"cannot reach the database: {exc.orig.__class__.__name__}") from exc
    click.echo(f"{safe_url(settings.database_url)}: {outcome.describe()}", err=True)


@db.command("standby")
@click.option("--port", default=5433, show_default=True, type=int, help="port of the new standby")
@click.option("--password", envvar="GEOSVC_REPLICATION_PASSWORD", default="geosvc_replicator", show_default=True,
              help="password of the replication role (or GEOSVC_REPLICATION_PASSWORD)")
def db_standby(port: int, password: str) -> None:
    """Create and start a hot standby of the local server (streaming replication)."""
    from geosvc.ops.dbsetup import SetupError
    from geosvc.ops.replica import create_standby

    settings = _settings()
    try:
        create_standby(settings.database_url, port, password, parent=Path("/var/lib/postgresql"),
                       say=lambda line: click.echo(line, err=True))
    except SetupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"read from it with GEOSVC_READ_DATABASE_URL=postgresql+psycopg://geosvc_reader:geosvc_reader"
               f"@127.0.0.1:{port}/geosvc", err=True)


@main.command()
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder with communes.geojson, missions.csv, ... (default: GEOSVC_DATA_DIR or data/).")
@click.option("--geocode", is_flag=True,
              help="Geocode sites without coordinates with the national address base (needs network).")
@click.option("--allow-shrink", is_flag=True,
              help="Load even if the new data drops more than 10 % of the communes, zones or sites loaded now.")
def ingest(data_dir: Path | None, geocode: bool, allow_shrink: bool) -> None:
    """Validate the data files and load them into PostGIS in one transaction."""
    from sqlalchemy.exc import OperationalError

    from geosvc.db.load import ShrinkRefused
    from geosvc.db.pool import make_engine, safe_url
    from geosvc.ingest.pipeline import ingest as run_ingest
    from geosvc.ingest.problems import IngestError

    settings = _settings()
    data_dir = data_dir or settings.data_dir
    if not data_dir.is_dir():
        raise click.ClickException(f"{data_dir}: no such folder")
    click.echo(f"ingesting {data_dir} into {safe_url(settings.database_url)}", err=True)
    engine = make_engine(settings.database_url)
    try:
        summary = run_ingest(engine, data_dir, max_offset_km=settings.max_site_offset_km, geocode=geocode,
                             allow_shrink=allow_shrink, cache_dir=settings.cache_dir)
    except (IngestError, ShrinkRefused) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except OperationalError as exc:
        raise click.ClickException(f"cannot reach the database: {exc.orig.__class__.__name__}") from exc
    finally:
        engine.dispose()
    for line in summary.lines():
        click.echo(line)


@main.group()
def sites() -> None:
    """The curated list of mission locale sites (data/sites.csv)."""


@sites.command("build")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder with sources/, missions.csv, communes.geojson (default: GEOSVC_DATA_DIR or data/).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write sites.csv and sites_report.md (default: the data folder).")
def sites_build(data_dir: Path | None, out_dir: Path | None) -> None:
    """Rebuild sites.csv and its report from the sources as published (data/sources/)."""
    from geosvc.network import SourceError
    from geosvc.network.build import BuildError, build_from_paths, write_outputs

    data_dir = data_dir or _settings().data_dir
    try:
        result = build_from_paths(data_dir / "sources", data_dir)
    except (SourceError, BuildError) as exc:
        raise click.ClickException(str(exc)) from exc
    for path in write_outputs(result, out_dir or data_dir):
        click.echo(f"wrote {path}", err=True)
    served = sum(1 for site in result.sites if site.status == "served")
    click.echo(f"{len(result.sites)} sites, {served} served, {len(result.decisions)} missions locales, "
               f"{len(result.conflicts)} conflicts (see the report); then run `geosvc ingest`")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn worker processes")
def serve(host: str, port: int, workers: int) -> None:
    """Serve the HTTP API with gunicorn."""
    from geosvc.web.server import serve as run_server

    _settings()  # fail fast on a bad configuration, before forking workers
    click.echo(f"geosvc listening on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)", err=True)
    run_server(host, port, workers)


@main.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the JSON files (created if missing; files of a previous export are replaced).")
@click.option("--site", "site_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the whole campaign page as static files (new, empty, or a previous build, "
                   "which is replaced whole).")
def export(out_dir: Path | None, site_dir: Path | None) -> None:
    """Write the campaign feeds as static JSON files, with an index (--out), or the whole campaign
    page with its data (--site): host them with no running service."""
    from geosvc.core.errors import ApiError

    if (out_dir is None) == (site_dir is None):
        raise click.UsageError("give either --out (the feeds) or --site (the whole page)")
    try:
        if site_dir is not None:
            from geosvc.campaign.site_export import SiteExportError, export_site

            try:
                lines = export_site(_settings(), site_dir)
            except SiteExportError as exc:
                raise click.ClickException(str(exc)) from exc
        else:
            from geosvc.campaign.export import export as run_export

            lines = run_export(_settings(), out_dir)
    except ApiError as exc:
        raise click.ClickException(exc.message) from exc
    for line in lines:
        click.echo(line)


@main.group()
def coverage() -> None:
    """Coverage-gap analysis: report files, what-if scenarios (logic in geosvc/coverage/)."""


@coverage.command("report")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the CSV, GeoJSON, JSON, PNG and HTML files (created if missing).")
@click.option("--thresholds", default="5,10,15,20", show_default=True, help="Distance thresholds in km.")
@click.option("--farthest", default=5, show_default=True, type=click.IntRange(0, 50),
              help="Farthest communes listed per area.")
def coverage_report(out_dir: Path, thresholds: str, farthest: int) -> None:
    """Write every coverage output (tables, catchments, charts, a standalone HTML map) into a folder."""
    from geosvc.cli import coverage_commands as commands
    from geosvc.core.errors import ApiError
    from geosvc.web.api.assets import AssetsMissing

    try:
        lines = commands.report(_settings(), out_dir, commands.parse_thresholds(thresholds), farthest)
    except commands.CommandInputError as exc:
        raise click.UsageError(str(exc)) from exc
    except ApiError as exc:
        raise click.ClickException(exc.message) from exc
    except AssetsMissing as exc:
        raise click.ClickException(str(exc)) from exc
    for line in lines:
        click.echo(line)


@coverage.command("scenario")
@click.option("--add", "adds", multiple=True, metavar="LON,LAT,NAME", help="Open a hypothetical site (repeatable).")
@click.option("--close", "closes", multiple=True, metavar="ID", help="Close a served site (repeatable).")
@click.option("--move", "moves", multiple=True, metavar="ID,LON,LAT", help="Move a served site (repeatable).")
@click.option("--file", "file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="A JSON file with the body of POST /coverage/scenarios (options add to it).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole answer as JSON, as the API gives it.")
def coverage_scenario(adds, closes, moves, file: Path | None, as_json: bool) -> None:
    """What if sites opened, closed or moved? Indicators and deltas; nothing is stored."""
    import json

    from marshmallow import ValidationError

    from geosvc.cli import coverage_commands as commands
    from geosvc.core.errors import ApiError

    try:
        result = commands.scenario(_settings(), commands.scenario_body(file, adds, closes, moves))
    except commands.CommandInputError as exc:
        raise click.UsageError(str(exc)) from exc
    except ValidationError as exc:
        problems = "; ".join(f"{field}: {' '.join(map(str, why))}" for field, why in exc.messages.items())
        raise click.UsageError(problems) from exc
    except ApiError as exc:
        raise click.ClickException(exc.message) from exc
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        for line in commands.scenario_lines(result):
            click.echo(line)
