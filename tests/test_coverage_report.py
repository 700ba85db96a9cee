"""`geosvc coverage report`: every file, the same figures as the API, and a map that opens offline."""

from __future__ import annotations

import csv
import io
import json
import re
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
        # the official zones: per zone, zone x catchment, the mismatches' layer, the sheets
        "zones.csv", "zone_catchment.csv", "assignment_mismatches.geojson", "missions_locales.html",
        "coverage.gpkg",  # for QGIS (tests/test_geopackage.py reads it with GDAL)
        # access by TER (tests/test_transit_indicators.py checks the figures)
        "transit.json", "transit_areas.csv", "transit_communes.csv",
    }
    assert len(_rows(report_dir / "transit_areas.csv")) == 4 * (1 + 5 + 92 + 42)
    assert len(_rows(report_dir / "transit_communes.csv")) == 3782
    assert len(_rows(report_dir / "communes.csv")) == 3782
    assert len(_rows(report_dir / "areas.csv")) == 1 + 5 + 92
    assert len(_rows(report_dir / "sites.csv")) == 53
    assert len(_rows(report_dir / "missions_locales.csv")) == 42
    assert len(_rows(report_dir / "zones.csv")) == 42
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


def test_report_ter_access_is_the_api_answer(report_dir, client):
    from_file = json.loads((report_dir / "transit.json").read_text(encoding="utf-8"))
    assert from_file == client.get("/coverage/transit").get_json()
    assert _rows(report_dir / "transit_areas.csv") == list(
        csv.DictReader(io.StringIO(client.get("/coverage/transit?format=csv").get_data(as_text=True))))


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


# --- the official zones: tables, the mismatches' layer, the printable sheets ------------------

def test_report_zone_files_are_the_api_answers(report_dir, client):
    from_file = json.loads((report_dir / "indicators.json").read_text(encoding="utf-8"))
    api_zones = client.get("/coverage?format=csv&table=zones").get_data(as_text=True)
    assert (report_dir / "zones.csv").read_bytes().decode("utf-8") == api_zones  # CRLF kept: bytes
    assert [r["code"] for r in _rows(report_dir / "zones.csv")] == [z["code"] for z in from_file["zones"]]
    cross = client.get("/coverage/assignment?format=csv&table=cross").get_data(as_text=True)
    assert (report_dir / "zone_catchment.csv").read_bytes().decode("utf-8") == cross
    layer = json.loads((report_dir / "assignment_mismatches.geojson").read_text(encoding="utf-8"))
    api_layer = json.loads(client.get("/coverage/assignment?format=geojson").get_data(as_text=True))
    assert layer["features"] == api_layer["features"] and len(layer["features"]) == 932
    region = _rows(report_dir / "areas.csv")[0]
    own = from_file["region"]["own"]
    assert float(region["own_weighted_mean_distance_m"]) == own["weighted_mean_distance_m"]
    assert float(region["own_population_beyond_20km_share"]) == own["beyond"][-1]["population_share"]
    communes = {r["code"]: r for r in _rows(report_dir / "communes.csv")}
    rogy = next(c for c in own["farthest"] if c["code"] == "80675")
    assert float(communes["80675"]["own_distance_m"]) == rogy["distance_m"]
    assert communes["80675"]["own_mission_locale"] == "80620"


def _french(value: float, decimals: int = 0) -> str:
    """An independent French number format: narrow no-break space between thousands, decimal comma."""
    whole, _, fraction = f"{value:.{decimals}f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return "\u202f".join(groups) + ("," + fraction if fraction else "")


def test_sheets_are_french_printable_and_offline(report_dir, browser):
    html = (report_dir / "missions_locales.html").read_text(encoding="utf-8")
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert '<html lang="fr">' in html
    zones = {z["code"]: z for z in json.loads((report_dir / "indicators.json").read_text(encoding="utf-8"))["zones"]}
    assignment = json.loads((report_dir / "assignment.json").read_text(encoding="utf-8"))
    context = browser.new_context(offline=True, viewport={"width": 900, "height": 1270})
    try:
        page = context.new_page()
        seen = watch(page)
        page.goto((report_dir / "missions_locales.html").as_uri())
        assert page.locator("section.sheet").count() == 42
        for code in ("60471", "60176", "59350", "59383"):
            sheet = page.locator(f"#ml-{code}")
            zone = zones[code]
            assert sheet.locator("svg g.zone > path").count() == zone["communes"], code
            assert sheet.locator("svg g.nearer-other > path").count() == zone["communes_nearest_other"], code
            assert sheet.locator("svg g.own").count() == len(zone["sites"]), code
            text = sheet.inner_text()
            assert f"{_french(zone['population'])}\u00a0habitants" in text, code
            assert f"{_french(zone['weighted_mean_distance_m'] / 1000, 1)}\u00a0km" in text, code
            assert f"{_french(zone['area_km2'], 1)}\u00a0km²" in text, code
            mismatched = [m for m in assignment["mismatches"] if m["mission_locale"] == code]
            if mismatched:  # the sheet's last table lists them
                assert sheet.locator("table").last.locator("tbody tr").count() == len(mismatched), code
            else:
                assert "Aucune : pour chaque commune de la zone" in text, code
        noyon = page.locator("#ml-60471").inner_text()
        assert "Mission locale de Noyon" in noyon and "Villers-Tournelle" in noyon  # its farthest commune
        page.emulate_media(media="print")
        breaks = page.evaluate("[...document.querySelectorAll('section.sheet')]"
                               ".map(s => getComputedStyle(s).breakBefore)")
        assert set(breaks) == {"page"}
        pdf = page.pdf(format="A4", print_background=True)
        pages = re.findall(rb"/Type\s*/Page\b(?!s)", pdf)
        assert pdf.startswith(b"%PDF") and len(pages) >= 1 + 42  # the index, then a page (or more) per sheet
        assert seen.page_errors == [] and seen.console_errors == [] and seen.external_requests() == []
    finally:
        context.close()
