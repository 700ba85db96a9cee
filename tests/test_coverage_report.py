"""`geosvc coverage report`: every file, the same figures as the API, and a map that opens offline."""

from __future__ import annotations

import csv
import json
import struct

import pytest
from click.testing import CliRunner

from geosvc.cli import main
from tests.browser_support import svg_paths, watch

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report_dir(api_url, tmp_path_factory):
    out = tmp_path_factory.mktemp("coverage_report")
    result = CliRunner().invoke(main, ["coverage", "report", "--out", str(out)],
                                env={"GEOSVC_DATABASE_URL": api_url})
    assert result.exit_code == 0, result.output
    assert "population-weighted mean distance" in result.output
    return out


def _rows(path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def test_report_writes_every_file(report_dir):
    names = {path.name for path in report_dir.iterdir()}
    assert names == {
        "communes.csv", "areas.csv", "sites.csv", "missions_locales.csv", "indicators.json", "quality.json",
        "assignment.json", "assignment_mismatches.csv", "communes.geojson", "catchments_site.geojson",
        "catchments_mission_locale.geojson", "catchments_voronoi.geojson", "distance_distribution.png",
        "population_by_distance.png", "map.html",
    }
    assert len(_rows(report_dir / "communes.csv")) == 3782
    assert len(_rows(report_dir / "areas.csv")) == 1 + 5 + 92
    assert len(_rows(report_dir / "sites.csv")) == 53
    assert len(_rows(report_dir / "missions_locales.csv")) == 42
    # unml-2026-59383 shares its point with ml-59606-x1-valenciennes, which wins the tie (lower id): 52 catchments
    for name, count in (("communes", 3782), ("catchments_site", 52), ("catchments_mission_locale", 42),
                        ("catchments_voronoi", 53)):
        collection = json.loads((report_dir / f"{name}.geojson").read_text(encoding="utf-8"))
        assert len(collection["features"]) == count
        assert "COG 2026" in collection["data"]["communes"]["vintage"]
    assert json.loads((report_dir / "quality.json").read_text(encoding="utf-8"))["counts"]["approximate_sites"] == 21


def test_report_assignment_is_the_api_assignment(report_dir, client):
    from_file = json.loads((report_dir / "assignment.json").read_text(encoding="utf-8"))
    assert from_file == client.get("/coverage/assignment").get_json()
    assert from_file["available"] is True and from_file["communes_nearest_other"] == 932
    rows = _rows(report_dir / "assignment_mismatches.csv")
    assert [r["code"] for r in rows] == [m["code"] for m in from_file["mismatches"]]


def test_report_figures_are_the_api_figures(report_dir, client):
    from_file = json.loads((report_dir / "indicators.json").read_text(encoding="utf-8"))
    assert from_file == client.get("/coverage").get_json()
    region = _rows(report_dir / "areas.csv")[0]
    assert float(region["weighted_median_distance_m"]) == from_file["region"]["weighted_median_distance_m"]


@pytest.mark.parametrize("name", ["distance_distribution.png", "population_by_distance.png"])
def test_charts_are_png_images(report_dir, name):
    data = (report_dir / name).read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert width >= 800 and height >= 500
    assert len(data) > 20_000  # bars and curves, not a blank canvas


def test_standalone_map_draws_offline(report_dir, browser):
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        seen = watch(page)
        page.goto((report_dir / "map.html").as_uri())
        page.wait_for_selector("body.ready", timeout=30_000)
        assert svg_paths(page) == 3782  # one polygon per commune
        assert svg_paths(page, "marker") == 53  # the served sites
        assert page.locator("#areas-table tbody tr").count() == 6  # the region and 5 departments
        assert "COG 2026" in page.locator("#provenance").inner_text()
        page.locator(".leaflet-control-layers-overlays label", has_text="Catchments by site").locator("input").check()
        assert svg_paths(page) == 3782 + 52  # one catchment per site that is the nearest for some commune
        page.locator(".leaflet-control-layers-overlays label", has_text="Catchments by mission locale") \
            .locator("input").check()
        assert svg_paths(page) == 3782 + 52 + 42
        assert page.locator("#missions-locales-table tbody tr").count() == 42
        assert seen.page_errors == [] and seen.console_errors == []
        assert seen.external_requests() == []
    finally:
        context.close()
