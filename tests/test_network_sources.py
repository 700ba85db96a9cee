"""The mission-locale network's sources (geosvc.network): readers, hours, address matching, the site list build.

Pure Python, no database: real values of `data/sources/` and `data/`, and small fixtures in
`tests/data/network/` (see its README).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from geosvc.network import SourceError, fold
from geosvc.network.annuaire import read_dataset, read_directory, read_donnees_locales, read_v1
from geosvc.network.build import (
    BuildError,
    address_match,
    build_from_paths,
    normalise_street,
    write_outputs,
)
from geosvc.network.hours import build_hours, day_range, describe, parse_time
from geosvc.network.unml import display_name, read_zones

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SOURCES = DATA / "sources"
ZONES = SOURCES / "unml" / "zones_de_couverture_janvier_2026_hdf.csv"
V1_02 = SOURCES / "annuaire" / "2016-2017" / "mission_locale_02.json"
FIXTURES = Path(__file__).resolve().parent / "data" / "network"
HEADER = ZONES.read_text(encoding="utf-8").split("\n", 1)[0]
ROYE_ROW = "80685;Roye;Somme(80);Hauts-de-France(32);32;60471;60-ML NOYON;Hauts-de-France;32;Non;" \
           "324 r du moulin saint-blaise;60400;Noyon"


@pytest.fixture(scope="module")
def zones():
    return read_zones(ZONES)


@pytest.fixture(scope="module")
def built():
    return build_from_paths(SOURCES, DATA)


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


# ------------------------------------------------------------------------------------------------------ zones


def test_zones_real_file(zones):
    assert len(zones.rows) == 3782
    assert len(zones.missions) == 42
    assert zones.warnings == []
    per_department = {d: sum(1 for r in zones.rows if r.departement == d) for d in ("02", "59", "60", "62", "80")}
    assert per_department == {"02": 797, "59": 647, "60": 680, "62": 887, "80": 771}
    assert zones.missions_of("80685") == ["60471"]  # Roye -> Noyon, across the department line
    assert zones.communes_of("59350") == ["59350"]  # Lille
    assert zones.communes_of("59512") == ["59512"]  # Roubaix
    names = {fold(r.commune_name): r.insee for r in zones.rows if r.departement == "59"}
    for name in ("Boursies", "Doignies", "Mœuvres"):
        assert zones.missions_of(names[fold(name)]) == ["59122"], name
    assert all(not r.multiple for r in zones.rows)


def test_head_offices_and_names(zones):
    tergnier = zones.missions["02738"]
    assert (tergnier.official_name, tergnier.display_name) == ("02-ML TERGNIER", "Mission locale de Tergnier")
    ct = zones.missions["02168"]
    assert (ct.address, ct.postcode, ct.city, ct.seat_insee) == ("2 av ernest couvrecelle", "02400",
                                                                 "Étampes-sur-Marne", "02292")
    assert zones.missions["59383"].seat_insee == "59606"  # MARLY: head office in Valenciennes
    assert zones.missions["60157"].seat_insee == "60007"  # CLERMONT: Agnetz
    assert zones.missions["59220"].seat_insee == "59507"  # METROPOLE SUD: Ronchin
    assert zones.missions["59386"].seat_insee == "59328"  # MNO-SIEGE: Lambersart
    assert zones.missions["60176"].seat_insee == "60612"  # Senlis of the Oise, not Senlis (62790)
    assert zones.missions["59299"].address == "prv marcellin berthelot"  # leading space stripped
    assert zones.missions["59386"].address == "48 avenue du parc"  # trailing space stripped
    assert zones.missions["02691"].display_name == "Mission locale de Saint-Quentin"
    assert zones.missions["59178"].display_name == "Mission locale du Douaisis"
    assert zones.missions["62119"].display_name == "Mission locale de l'Artois"
    assert zones.missions["62510"].display_name == "Mission locale de Lens-Liévin"
    assert zones.missions["59386"].display_name == "Mission locale de MNO"
    assert display_name("59-ML VILLENEUVE D ASCQ", "Villeneuve-d'Ascq") == "Mission locale de Villeneuve-d'Ascq"


def test_bom_and_no_bom_load_the_same(tmp_path, zones):
    with_bom = _write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + ZONES.read_bytes())
    other = read_zones(with_bom)
    assert other.rows == zones.rows
    assert other.missions == zones.missions


def test_national_file_is_filtered_to_the_region():
    sample = FIXTURES / "zones_national_sample.csv"
    everything = read_zones(sample, departments=None)
    assert {r.departement for r in everything.rows} == {"02", "2A", "75", "80"}
    assert everything.missions["2A004"].seat_insee == "2A004"  # Corsica: postcode 20000, department 2A
    region = read_zones(sample)
    assert {r.departement for r in region.rows} == {"02", "80"}
    assert set(region.missions) == {"02408", "02738", "60471"}
    assert region.missions_of("02001") == ["02408", "02738"]  # a commune on two missions locales: both pairs
    assert all(r.multiple for r in region.rows if r.insee == "02001")
    assert region.missions_of("80685") == ["60471"]


@pytest.mark.parametrize(
    ("content", "line", "field"),
    [
        (HEADER.replace(";Code ML;", ";Code Mission;") + "\n" + ROYE_ROW + "\n", 1, "Code ML"),
        (HEADER + "\n" + ROYE_ROW.replace("80685;", "8068;", 1) + "\n", 2, "Code INSEE"),
        (HEADER + "\n" + ROYE_ROW + "\n" + ROYE_ROW.replace(";60471;", ";ML471;") + "\n", 3, "Code ML"),
        (HEADER + "\n" + ROYE_ROW.replace("Somme(80)", "Somme") + "\n", 2, "Département Commune"),
        (HEADER + "\n" + ROYE_ROW.replace(";Non;", ";Peut-être;") + "\n", 2, "Commune présente sur plusieurs ML"),
        (HEADER + "\n" + ROYE_ROW + ";extra\n", 2, "columns"),
    ],
)
def test_zone_errors_name_file_line_and_field(tmp_path, content, line, field):
    path = _write(tmp_path, "zones.csv", content)
    with pytest.raises(SourceError) as caught:
        read_zones(path)
    assert (caught.value.file, caught.value.line, caught.value.field) == (str(path), line, field)
    assert str(path) in str(caught.value) and f":{line}:" in str(caught.value)


def test_zone_errors_empty_and_not_utf8(tmp_path):
    for content in ("", HEADER + "\n"):
        with pytest.raises(SourceError, match="empty"):
            read_zones(_write(tmp_path, "empty.csv", content))
    latin1 = (HEADER + "\n" + ROYE_ROW + "\n").encode() + ROYE_ROW.replace("Roye", "Roy\u00e9").encode("latin-1")
    with pytest.raises(SourceError) as caught:
        read_zones(_write(tmp_path, "latin1.csv", latin1))
    assert (caught.value.line, caught.value.field) == (3, "encoding") and "UTF-8" in caught.value.message


def test_one_code_with_two_addresses_is_a_warning(tmp_path):
    second = ROYE_ROW.replace("80685;Roye", "80001;Abbeville").replace("324 r du moulin", "325 r du moulin")
    path = _write(tmp_path, "zones.csv", f"{HEADER}\n{ROYE_ROW}\n{second}\n")
    zones = read_zones(path)
    assert len(zones.rows) == 2
    assert any(w.startswith(f"{path}:2:") and "60471" in w and "325 r du moulin" in w for w in zones.warnings)


# --------------------------------------------------------------------------------------------------- directory


def test_v1_records_of_the_region():
    records = []
    for path in sorted((SOURCES / "annuaire" / "2016-2017").glob("*.json")):
        load = read_v1(path)
        assert load.warnings == []
        records += load.records
    assert len(records) == 48
    assert sum(1 for r in records if r.hours) == 47
    roye = next(r for r in records if r.id == "mission_locale-80685-01")
    assert roye.hours is None  # no hours given: none guessed
    dunkerque = next(r for r in records if r.id == "mission_locale-59183-01")
    assert dunkerque.address_lines == ("Entreprendre ensemble", "66 rue des Chantiers-de-France")  # Ligne list
    soissons = next(r for r in records if r.id == "mission_locale-02722-01")
    assert soissons.address_lines == ("18 rue Richebourg",)  # Ligne string
    cambrai = next(r for r in records if r.id == "mission_locale-59122-01")
    assert cambrai.street_lines == ("Bâtiment Espace Cambrésis", "14 rue Neuve")  # BP line dropped
    croix = next(r for r in records if r.id == "mission_locale-59163-01")
    assert croix.hours["notes"] == ["Antenne réservée aux habitants de Croix et de Wasquehal."]


def test_three_directory_formats_agree():
    v1 = next(r for r in read_v1(V1_02).records if r.id == "mission_locale-02408-01")
    v4_load = read_donnees_locales(FIXTURES / "laon_donnees_locales_v4.json")
    assert v4_load.skipped == 1  # the format sample's town hall (type mairie, in the Eure)
    (v4,) = v4_load.records
    (dataset,) = read_dataset(FIXTURES / "laon_api_lannuaire.json").records
    assert (read_directory(FIXTURES / "laon_api_lannuaire.json").records[0]) == dataset
    assert read_directory(FIXTURES / "laon_donnees_locales_v4.json").records[0] == v4
    assert v1.coord_precision == "8" and v4.coord_precision is None  # only v1 gives a precision code

    def comparable(record):
        return dataclasses.replace(record, source="", coord_precision=None)

    assert comparable(v4) == comparable(v1)
    assert comparable(dataset) == comparable(v1)
    assert v1.hours["days"]["mercredi"] == [["08:30", "12:30"], ["13:30", "17:30"]]
    assert v1.record_date == "2017-02-21"


def test_v4_format_sample_reads_with_its_own_type():
    path = SOURCES / "annuaire" / "formats" / "donnees_locales_v4_record.json"
    assert read_donnees_locales(path).records == []
    (mairie,) = read_donnees_locales(path, departments=None, service_type="mairie").records
    assert (mairie.insee, mairie.record_date, mairie.phone) == ("27115", "2021-12-03", "02 32 32 50 76")
    assert mairie.hours == {"days": {"lundi": [["16:30", "18:30"]], "jeudi": [["16:30", "18:30"]]}, "notes": []}


def test_directory_errors_name_file_line_and_field(tmp_path):
    data = json.loads(V1_02.read_text(encoding="utf-8"))
    data["features"][1]["properties"]["codeInsee"] = "2722"
    path = _write(tmp_path, "bad_insee.json", json.dumps(data, indent=2))
    with pytest.raises(SourceError) as caught:
        read_v1(path)
    text = path.read_text(encoding="utf-8")
    id_line = text[: text.index("mission_locale-02722-01")].count("\n") + 1
    assert (caught.value.file, caught.value.line, caught.value.field) == (str(path), id_line, "codeInsee")

    data = json.loads(V1_02.read_text(encoding="utf-8"))
    data["features"][0]["properties"]["Ouverture"]["PlageJ"][0]["début"] = "lundy"
    with pytest.raises(SourceError) as caught:
        read_v1(_write(tmp_path, "bad_day.json", json.dumps(data)))
    assert caught.value.field == "Ouverture" and "lundy" in caught.value.message

    v4 = json.loads((FIXTURES / "laon_donnees_locales_v4.json").read_text(encoding="utf-8"))
    v4["service"][1]["date_modification"] = "le 21 février"
    with pytest.raises(SourceError) as caught:
        read_donnees_locales(_write(tmp_path, "bad_date.json", json.dumps(v4, indent=1)))
    assert caught.value.field == "date_modification" and caught.value.line > 1

    dataset = json.loads((FIXTURES / "laon_api_lannuaire.json").read_text(encoding="utf-8"))
    dataset["results"][0]["plage_ouverture"] = "[{not json"
    with pytest.raises(SourceError) as caught:
        read_dataset(_write(tmp_path, "bad_encoded.json", json.dumps(dataset, indent=1)))
    assert caught.value.field == "plage_ouverture"

    with pytest.raises(SourceError) as caught:
        read_v1(_write(tmp_path, "broken.json", '{\n "type": "FeatureCollection",\n "features": [\n'))
    assert caught.value.line is not None and "not JSON" in caught.value.message
    with pytest.raises(SourceError, match="empty"):
        read_v1(_write(tmp_path, "empty.json", ""))


# ------------------------------------------------------------------------------------------------------- hours


def test_hours_shape():
    assert day_range("samedi", "lundi") == ["samedi", "dimanche", "lundi"]
    assert day_range(1, 5) == ["lundi", "mardi", "mercredi", "jeudi", "vendredi"]
    assert parse_time("08:30:00") == "08:30"
    with pytest.raises(ValueError):
        parse_time("8h30")
    hours = build_hours([("Lundi", "Mardi", [("13:30:00", "17:00:00"), ("08:30:00", "12:00:00")]),
                         ("mardi", "mardi", [("18:00", "19:00")])], notes=["Sur rendez-vous.", ""])
    assert hours == {"days": {"lundi": [["08:30", "12:00"], ["13:30", "17:00"]],
                              "mardi": [["08:30", "12:00"], ["13:30", "17:00"], ["18:00", "19:00"]]},
                     "notes": ["Sur rendez-vous."]}
    assert json.loads(json.dumps(hours)) == hours
    assert build_hours([]) is None
    assert describe(None) == "no hours"
    with pytest.raises(ValueError):
        build_hours([("lundi", None, [("12:00", "09:00")])])


# ------------------------------------------------------------------------------------------ address matching

REAL_PAIRS = [  # (2026 head office as the union types it, the directory's line, expected match)
    ("4A av carnot", "4 A avenue Carnot", "same number and street"),
    ("6F r de la bonneterie", "6 F rue de la Bonneterie", "same number and street"),
    ("202B r louis braille", "202 bis rue Louis-Braille", "same number and street"),
    ("12/14 r saint-germain", "12-14 rue Saint Germain", "same number and street"),
    ("3, square de la libération", "3 square de la Libération", "same number and street"),
    ("5 bd du marechal vaillant", "5 boulevard du Maréchal-Vaillant", "same number and street"),
    ("92 av jean baptiste lebas", "92 avenue Jean-Baptiste-Lebas", "same number and street"),
    ("20 av alphonse de lamartine", "20 avenue Alphonse-de-Lamartine", "same number and street"),
    ("222 pl du barlet", "222 place du Barlet", "same number and street"),
    ("r du quartier de cavalerie", "Rue du Quartier-de-Cavalerie", "same street (neither gives a number)"),
    ("prv marcellin berthelot", "4 parvis Berthelot",
     "same street, one name spelled shorter (no number in the 2026 address)"),
    ("13 r jean monet", "13 rue Jean-Monnet", "same number, street name one letter apart"),
    ("r de l'echaud", "Rue de l'Échaut", "same number, street name one letter apart"),
    ("2 av ernest couvrecelle", "7 avenue de l'Europe", None),  # Château-Thierry moved
    ("85 rue des ursulines", "21 rue des Ursulines", None),  # Tourcoing: same street, another number
    ("58 bd victor hugo", "8 boulevard Cordier", None),
    ("10 r gresset", "10 rue Dresset", "same number, street name one letter apart"),  # 2015 typo, for the record
]


@pytest.mark.parametrize(("union", "directory", "expected"), REAL_PAIRS)
def test_address_match_real_pairs(union, directory, expected):
    assert address_match(union, [directory]) == expected


def test_normalise_street():
    assert normalise_street("6F r de la bonneterie") == normalise_street("6 F rue de la Bonneterie")
    assert normalise_street("14 r neuve").number == "14" and normalise_street("14 r neuve").kind == "rue"
    assert normalise_street("13T bd robert schuman").number == "13t"
    assert normalise_street("8 imp de l'abbaye").kind == "impasse"
    assert normalise_street("10 all estienne mehul").kind == "allee"
    assert normalise_street("27 rte d'hirson").kind == "route"
    assert normalise_street("12 ch du noir mouton") == normalise_street("12 chemin du noir mouton")
    assert normalise_street("1 fg st martin") == normalise_street("1 faubourg Saint-Martin")
    assert normalise_street("Mairie") is None


# ------------------------------------------------------------------------------------------------------ build


def test_every_mission_locale_has_a_served_head_office(built, zones):
    served = [s for s in built.sites if s.status == "served"]
    assert {s.mission_locale for s in served} == set(zones.missions)
    heads = [s for s in served if s.kind == "siege"]
    assert sorted(s.mission_locale for s in heads) == sorted(zones.missions)
    for site in heads:
        ml = zones.missions[site.mission_locale]
        assert (site.address, site.postcode, site.city) == (ml.address, ml.postcode, ml.city)  # 2026 wins
        assert site.confirmed_in_2026
    assert len({s.id for s in built.sites}) == len(built.sites)


def test_chateau_thierry_head_office_is_not_the_2016_record(built):
    head = built.site("unml-2026-02168")
    assert (head.address, head.city, head.insee) == ("2 av ernest couvrecelle", "Étampes-sur-Marne", "02292")
    assert head.lon is None and head.lat is None and head.location_precision == "commune"
    assert head.hours is None  # never guessed
    old = built.site("mission_locale-02168-01")
    assert old.address == "7 avenue de l'Europe"
    assert (old.status, old.superseded_by, old.record_date) == ("superseded", "unml-2026-02168", "2017-02-21")
    assert old.lon is not None  # kept with its point, not served
    older = built.site("ml-02168-01-chateau-thierry")
    assert (older.status, older.superseded_by) == ("superseded", "mission_locale-02168-01")


def test_matched_head_offices_keep_the_record(built):
    laon = built.site("mission_locale-02408-01")
    assert (laon.kind, laon.status, laon.link, laon.location_precision) == ("siege", "served", "address", "address")
    assert (laon.lon, laon.lat) == (3.63891, 49.5697)
    south = built.site("mission_locale-59507-01")  # Ronchin record = METROPOLE SUD's head office
    assert south.mission_locale == "59220" and south.kind == "siege"
    faches = built.site("mission_locale-59220-01")
    assert faches.status == "superseded" and faches.superseded_by == "mission_locale-59507-01"
    lille2 = built.site("mission_locale-59350-02")
    assert (lille2.kind, lille2.status, lille2.mission_locale) == ("antenne", "served", "59350")


def test_antennes_follow_the_zones(built):
    roye = built.site("mission_locale-80685-01")
    assert (roye.mission_locale, roye.kind, roye.link, roye.status) == ("60471", "antenne", "zone", "served")
    assert "not confirmed since 2017-11-29" in roye.status_reason
    press = built.site("ml-59606-x1-valenciennes")
    assert (press.mission_locale, press.location_precision, press.lon) == ("59383", "commune", None)
    roubaix_old = built.site("ml-59512-01-roubaix")
    assert roubaix_old.status == "superseded" and roubaix_old.superseded_by == "mission_locale-59512-01"


def test_no_invented_coordinates(built):
    points = set()
    for path in sorted((SOURCES / "annuaire" / "2016-2017").glob("*.json")):
        points |= {(f"{r.lon:.6f}", f"{r.lat:.6f}") for r in read_v1(path).records}
    with (DATA / "missions.csv").open(encoding="utf-8") as handle:
        points |= {(f"{float(r['lon']):.6f}", f"{float(r['lat']):.6f}") for r in csv.DictReader(handle) if r["lon"]}
    for site in built.sites:
        if site.lon is not None:
            assert (f"{site.lon:.6f}", f"{site.lat:.6f}") in points, site.id
        assert (site.lon is None) == (site.location_precision == "commune"), site.id
    creil = built.site("mission_locale-60175-01")  # the directory's point lies in Montataire
    assert creil.coord_source.startswith("BAN geocode") and creil.location_precision == "address"


def test_overrides_are_applied_and_checked(tmp_path):
    overrides = _write(tmp_path, "overrides.csv",
                       "record_id,mission_locale,reason\nmission_locale-80685-01,80620,test override\n")
    result = build_from_paths(SOURCES, DATA, overrides)
    roye = result.site("mission_locale-80685-01")
    assert (roye.mission_locale, roye.link) == ("80620", "override")
    assert "test override" in roye.status_reason and "test override" in result.report
    bad = _write(tmp_path, "bad.csv", "record_id,mission_locale,reason\nno-such-record,80620,x\n")
    with pytest.raises(BuildError, match="no-such-record"):
        build_from_paths(SOURCES, DATA, bad)
    no_reason = _write(tmp_path, "no_reason.csv", "record_id,mission_locale,reason\nmission_locale-80685-01,80620,\n")
    with pytest.raises(SourceError) as caught:
        build_from_paths(SOURCES, DATA, no_reason)
    assert (caught.value.line, caught.value.field) == (2, "reason")


def test_committed_outputs_are_reproduced_byte_for_byte(built, tmp_path):
    write_outputs(built, tmp_path / "a")
    for name in ("sites.csv", "sites_report.md"):
        assert (tmp_path / "a" / name).read_bytes() == (DATA / name).read_bytes(), name
    # the command a person runs, as a separate process
    geosvc = Path(sys.executable).with_name("geosvc")
    run = subprocess.run([str(geosvc), "sites", "build", "--data-dir", str(DATA), "--out", str(tmp_path / "b")],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    for name in ("sites.csv", "sites_report.md"):
        assert (tmp_path / "b" / name).read_bytes() == (DATA / name).read_bytes(), name


def test_sites_csv_columns_and_report(built):
    rows = list(csv.DictReader(io.StringIO((DATA / "sites.csv").read_text(encoding="utf-8"))))
    needed = {"id", "mission_locale", "kind", "name", "address", "postcode", "city", "insee", "lon", "lat",
              "location_precision", "phone", "email", "website", "hours", "accessibility", "source", "record_date",
              "status", "status_reason", "superseded_by", "confirmed_in_2026"}
    assert needed <= set(rows[0])
    assert {r["kind"] for r in rows} == {"siege", "antenne"}
    assert {r["status"] for r in rows} == {"served", "superseded"}
    for row in rows:
        if row["hours"]:
            assert set(json.loads(row["hours"])) == {"days", "notes"}
    report = (DATA / "sites_report.md").read_text(encoding="utf-8")
    assert "### 02168 02-ML CHATEAU THIERRY" in report
    assert "missions locales whose head office moved" in report
    assert report == built.report
