"""Every endpoint of the Foundation API, against the real data in a real PostGIS."""

from __future__ import annotations

import pytest

SAINT_OMER = "62765"


def test_commune_by_code(client, sql):
    response = client.get(f"/communes/{SAINT_OMER}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["code"] == SAINT_OMER
    assert body["nom"] == "Saint-Omer"
    assert body["departement"] == "62"
    assert body["codesPostaux"] == ["62500"]
    assert body["population"] > 10_000
    inside = sql(
        "SELECT ST_Contains(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) AS inside "
        "FROM communes WHERE code = :code",
        lon=body["point"]["lon"], lat=body["point"]["lat"], code=SAINT_OMER,
    )
    assert inside[0]["inside"], "the reference point must lie inside the commune"


def test_every_answer_states_its_data_and_vintage(client):
    data = client.get(f"/communes/{SAINT_OMER}").get_json()["data"]
    assert "COG 2026" in data["communes"]["vintage"]
    assert "January 2026" in data["missions"]["vintage"] and "2014-2017" in data["missions"]["vintage"]
    # the served sites' records: the oldest of 2016, the union's head offices of January 2026
    assert data["missions"]["records_dated"] == {"from": "2016-09-08", "to": "2026-01"}
    assert data["missions"]["rows"] == 116
    assert data["zones"]["vintage"] == "January 2026" and data["zones"]["rows"] == 3782


def test_corsican_code_is_well_formed_but_unknown_here(client):
    response = client.get("/communes/2a004")
    assert response.status_code == 404
    assert response.get_json()["code"] == "commune_not_found"


@pytest.mark.parametrize("code", ["abc", "6276", "627655", "62 76", "0X001"])
def test_malformed_code_is_400(client, code):
    response = client.get(f"/communes/{code}")
    assert response.status_code == 400
    assert response.get_json()["code"] == "invalid_commune_code"


def test_unknown_code_is_404(client):
    response = client.get("/communes/59999")
    assert response.status_code == 404
    assert response.get_json()["code"] == "commune_not_found"


def test_former_code_names_its_current_commune(client):
    # 62461 Huby-Saint-Leu was merged into 62447 Hesdin-la-Forêt
    response = client.get("/communes/62461/nearest")
    assert response.status_code == 404
    body = response.get_json()
    assert body["details"]["replaced_by"] == {"code": "62447", "nom": "Hesdin-la-Forêt"}
    assert "62447 Hesdin-la-Forêt" in body["message"]


def test_nearest_sites_in_ascending_geodesic_distance(client):
    response = client.get(f"/communes/{SAINT_OMER}/nearest?k=5")
    assert response.status_code == 200
    body = response.get_json()
    assert body["commune"]["code"] == SAINT_OMER
    missions = body["missions"]
    assert len(missions) == 5
    assert missions[0]["id"] == "mission_locale-62765-01"
    distances = [m["distance_m"] for m in missions]
    assert distances == sorted(distances)
    assert set(missions[0]) >= {
        "id", "mission_locale", "name", "address", "postcode", "city", "lon", "lat", "location_precision",
        "distance_m", "record_date", "hours", "confirmed",
    }
    assert "WGS84 ellipsoid" in body["method"]
    assert "communes" in body["data"] and "missions" in body["data"]


def test_nearest_default_k_is_3(client):
    assert len(client.get(f"/communes/{SAINT_OMER}/nearest").get_json()["missions"]) == 3


def test_nearest_never_serves_superseded_sites(client, sql):
    # Roubaix's 2015 address (rue de Fontenoy) and the 2016 press row were superseded by the
    # directory record of 2017 at the address the union confirms in January 2026
    missions = client.get("/communes/59512/nearest?k=20").get_json()["missions"]
    ids = [m["id"] for m in missions]
    superseded = {r["id"] for r in sql("SELECT id FROM mission_sites WHERE status <> 'served'")}
    assert {"ml-59512-01-roubaix", "ml-59512-x1-roubaix"} <= superseded
    assert not superseded & set(ids)
    assert ids[0] == "mission_locale-59512-01"
    assert (missions[0]["location_precision"], missions[0]["confirmed"]) == ("address", True)


@pytest.mark.parametrize("k", ["0", "21", "-1", "abc", "2.5"])
def test_k_out_of_range_is_400(client, k):
    response = client.get(f"/communes/{SAINT_OMER}/nearest?k={k}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "invalid_parameter"
    assert "k" in body["message"]


def test_search_exact_name_first(client):
    communes = client.get("/communes?q=Saint-Omer").get_json()["communes"]
    assert communes[0]["code"] == SAINT_OMER
    assert {c["code"] for c in communes} >= {"60590", "62766"}  # the prefix matches follow


@pytest.mark.parametrize("query", ["saint omer", "ST-OMER", "st omer", "Saint–Omer", " saint  omer "])
def test_search_ignores_case_accents_and_saint_abbreviation(client, query):
    assert client.get("/communes", query_string={"q": query}).get_json()["communes"][0]["code"] == SAINT_OMER


def test_search_accents(client):
    assert client.get("/communes?q=bethune").get_json()["communes"][0]["code"] == "62119"


def test_search_by_postcode_returns_every_commune_with_it(client, sql):
    expected = {r["code"] for r in sql("SELECT code FROM communes WHERE '80140' = ANY(codes_postaux)")}
    assert len(expected) == 40
    communes = client.get("/communes?q=80140&limit=100").get_json()["communes"]
    assert {c["code"] for c in communes} == expected


def test_search_departement_filter_separates_homonyms(client):
    everywhere = client.get("/communes?q=brie").get_json()["communes"]
    assert {c["departement"] for c in everywhere if c["nom"] == "Brie"} == {"02", "80"}
    in_somme = client.get("/communes?q=brie&departement=80").get_json()["communes"]
    assert in_somme and all(c["departement"] == "80" for c in in_somme)


def test_search_limit(client):
    assert len(client.get("/communes?q=saint&limit=7").get_json()["communes"]) == 7


@pytest.mark.parametrize("query", ["%", "_", "'; DROP TABLE communes; --", "🙂 omer", "Москва"])
def test_search_odd_input_is_an_empty_list_or_400_never_500(client, query):
    response = client.get("/communes", query_string={"q": query})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.get_json()["communes"] == []


@pytest.mark.parametrize("query", ["", "x" * 101, "!!!"])
def test_search_bad_query_is_400(client, query):
    response = client.get("/communes", query_string={"q": query})
    assert response.status_code == 400
    assert response.get_json()["code"] in {"invalid_parameter", "invalid_query"}


def test_missions_lists_served_sites_only(client):
    missions = client.get("/missions").get_json()["missions"]
    assert len(missions) == 53
    assert "ml-59512-01-roubaix" not in {m["id"] for m in missions}
    approximate = [m for m in missions if m["location_precision"] == "commune"]
    assert len(approximate) == 20  # 15 head offices known only from the union, 5 press rows
    assert all("distance_m" not in m for m in missions)


def test_mission_by_id(client):
    body = client.get("/missions/mission_locale-62765-01").get_json()
    # the head office at the address the union states (as it spells it), the directory's point
    assert (body["address"], body["postcode"], body["city"]) == ("r du quartier de cavalerie", "62500", "Saint-Omer")
    assert body["location_precision"] == "address"
    assert body["mission_locale"] == "62765" and body["kind"] == "siege" and body["confirmed"] is True
    assert body["hours"]["days"]["mardi"] == [["08:30", "12:15"], ["13:30", "17:15"]]


def test_site_without_address_says_so(client):
    body = client.get("/missions/ml-59606-x1-valenciennes").get_json()
    assert body["address"] is None
    assert body["location_precision"] == "commune"


def test_superseded_mission_is_404_with_its_replacement(client):
    response = client.get("/missions/ml-59512-01-roubaix")
    assert response.status_code == 404
    body = response.get_json()
    assert body["code"] == "mission_not_served"
    assert body["details"]["superseded_by"] == "mission_locale-59512-01"


def test_unknown_mission_is_404(client):
    response = client.get("/missions/nope")
    assert response.status_code == 404
    assert response.get_json()["code"] == "mission_not_found"


def test_health(client):
    body = client.get("/health").get_json()
    assert body["status"] == "ok"
    assert body["database"] == "reachable"
    assert "postgis_version" not in body and "postgresql_version" not in body  # no help to an attacker
    assert body["counts"] == {"communes": 3782, "sites": 116, "served_sites": 53, "former_communes": 193}
    assert body["data_loaded_at"] and body["data_age_s"] >= 0
    assert "COG 2026" in body["data"]["communes"]["vintage"]


def test_the_service_role_can_only_read(app):
    """The role the service connects with is the security boundary: no write can succeed."""
    import psycopg

    from geosvc.db.pool import libpq_url

    settings = app.config["GEOSVC_SETTINGS"]
    with psycopg.connect(libpq_url(settings.read_database_url), autocommit=True) as connection:
        assert connection.execute("SELECT count(*) FROM communes").fetchone()[0] == 3782
        for statement in ("DELETE FROM communes", "UPDATE mission_sites SET name = 'x'", "CREATE TABLE t (i int)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute(statement)
