"""`geosvc export --out DIR`: the static files are what the API serves."""

from __future__ import annotations

import json
import time

from click.testing import CliRunner

from geosvc.cli import main
from tests.conftest import settings_for


def test_export_equals_what_the_api_serves(api_url, client, tmp_path):
    out = tmp_path / "site"
    env = {"GEOSVC_DATABASE_URL": api_url, "GEOSVC_READ_DATABASE_URL": settings_for(api_url).read_database_url}
    started = time.perf_counter()
    result = CliRunner().invoke(main, ["export", "--out", str(out)], env=env)
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    assert "7 files written" in result.output
    assert elapsed < 30

    index = json.loads((out / "index.json").read_text(encoding="utf-8"))
    paths = [entry["path"] for entry in index["files"]]
    assert paths == ["departements.json"] + [f"departements/{code}/communes.json" for code in
                                            ("02", "59", "60", "62", "80")] + ["missions.json"]
    assert index["data"] == client.get("/departements").get_json()["data"]
    for entry in index["files"]:
        exported = (out / entry["path"]).read_bytes()
        served = client.get(entry["api"])
        assert served.status_code == 200, entry["api"]
        assert json.loads(exported) == served.get_json(), entry["path"]
        assert entry["bytes"] == len(exported)
        if "ETag" in served.headers:  # the feeds: the very bytes, hence the very ETag
            assert exported == served.data
            assert entry["etag"] == served.headers["ETag"]
    assert not list(out.rglob("*.partial"))


def test_export_into_an_existing_folder_replaces_the_files(api_url, tmp_path):
    out = tmp_path / "site"
    (out / "departements" / "59").mkdir(parents=True)
    (out / "departements" / "59" / "communes.json").write_text("stale", encoding="utf-8")
    result = CliRunner().invoke(main, ["export", "--out", str(out)], env={"GEOSVC_DATABASE_URL": api_url})
    assert result.exit_code == 0, result.output
    assert json.loads((out / "departements" / "59" / "communes.json").read_bytes())["count"] == 647


def test_export_without_a_database_is_a_clear_error(tmp_path):
    url = "postgresql+psycopg://geosvc:geosvc@127.0.0.1:1/geosvc"  # nothing listens on port 1
    result = CliRunner().invoke(main, ["export", "--out", str(tmp_path / "x")],
                                env={"GEOSVC_DATABASE_URL": url, "GEOSVC_POOL_TIMEOUT_S": "1"})
    assert result.exit_code == 1
    assert "not reachable" in result.output
    assert not (tmp_path / "x" / "index.json").exists()


def test_export_takes_either_out_or_site(tmp_path):
    runner = CliRunner()
    neither = runner.invoke(main, ["export"])
    both = runner.invoke(main, ["export", "--out", str(tmp_path / "a"), "--site", str(tmp_path / "b")])
    for result in (neither, both):
        assert result.exit_code == 2
        assert "either --out (the feeds) or --site (the whole page)" in result.output
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
