/* The analyst page: fetches the coverage from the API, draws it (coverage_map.js), and
 * runs what-if scenarios through POST /coverage/scenarios. */
(function () {
  "use strict";
  var G = window.GeosvcMap;
  var urls = document.body.dataset;
  var state = {indicators: null, choropleth: null, changes: [], scenarioSites: null, map: null};

  function status(text) { document.getElementById("status").textContent = text; }

  function getJSON(url) {
    return fetch(url, {headers: {Accept: "application/json"}}).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.message || response.statusText);
        return body;
      });
    });
  }

  function lazyOverlay(map, url) {
    var group = L.layerGroup();
    group.geosvcLoad = function () {
      if (group.getLayers().length) return;
      status("Loading " + url + "…");
      getJSON(url).then(function (geojson) {
        group.addLayer(G.catchmentLayer(geojson));
        status("Ready.");
      }).catch(function (error) { status("Could not load the layer: " + error.message); });
    };
    return group;
  }

  function drawMap(indicators, communes) {
    var map = G.createMap("map");
    state.map = map;
    state.choropleth = G.choropleth(communes, indicators.thresholds_km).addTo(map);
    map.fitBounds(state.choropleth.getBounds());
    var sites = G.sitesLayer(indicators.sites).addTo(map);
    var overlays = {
      "Distance by commune": state.choropleth,
      "Sites": sites,
      "Catchments by site": lazyOverlay(map, urls.catchmentsUrl + "?by=site"),
      "Catchments by mission locale": lazyOverlay(map, urls.catchmentsUrl + "?by=mission_locale"),
      "Voronoi cells of the sites": lazyOverlay(map, urls.catchmentsUrl + "?by=voronoi")
    };
    L.control.layers(null, overlays, {collapsed: false}).addTo(map);
    map.on("overlayadd", function (event) { if (event.layer.geosvcLoad) event.layer.geosvcLoad(); });
    G.legend(map, indicators.thresholds_km);
    map.on("click", function (event) {
      document.querySelectorAll("input.lon").forEach(function (input) { input.value = event.latlng.lng.toFixed(5); });
      document.querySelectorAll("input.lat").forEach(function (input) { input.value = event.latlng.lat.toFixed(5); });
    });
  }

  function drawTables(indicators) {
    G.areasTable(document.getElementById("areas-table"), indicators,
      [indicators.region].concat(indicators.departements));
    G.areasTable(document.getElementById("epci-table"), indicators, indicators.epci);
    G.missionsLocalesTable(document.getElementById("missions-locales-table"), indicators.missions_locales);
    G.provenance(document.getElementById("provenance"), indicators.data, indicators.method);
  }

  function fillSiteSelects(sites) {
    document.querySelectorAll("select.site-select").forEach(function (select) {
      sites.forEach(function (site) {
        var option = G.el("option", site.name + " — " + site.commune + " (" + site.id + ")");
        option.value = site.id;
        select.appendChild(option);
      });
    });
  }

  function fillMissionLocaleSelect(missionsLocales) {
    var select = document.getElementById("mission-locale-select");
    missionsLocales.forEach(function (mission) {
      var option = G.el("option", mission.name + " (" + mission.code + ")");
      option.value = mission.code;
      select.appendChild(option);
    });
  }

  // --- scenario ----------------------------------------------------------------------

  function describe(change) {
    if (change.action === "add") {
      return "open “" + change.name + "” at " + change.lon + ", " + change.lat +
        (change.mission_locale ? " for mission locale " + change.mission_locale : "");
    }
    if (change.action === "close") return "close " + change.id;
    return "move " + change.id + " to " + change.lon + ", " + change.lat;
  }

  function renderChanges() {
    var list = document.getElementById("changes");
    list.textContent = "";
    if (!state.changes.length) list.appendChild(G.el("li", "none yet", "empty"));
    state.changes.forEach(function (change, index) {
      var item = G.el("li", describe(change) + " ");
      var remove = G.el("button", "remove");
      remove.type = "button";
      remove.addEventListener("click", function () { state.changes.splice(index, 1); renderChanges(); });
      item.appendChild(remove);
      list.appendChild(item);
    });
    document.getElementById("run-scenario").disabled = state.changes.length === 0;
  }

  function number(form, name) { return Number(String(form.elements[name].value).replace(",", ".")); }

  function bindForms() {
    document.getElementById("add-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var form = event.target;
      state.changes.push({action: "add", name: form.elements.name.value.trim(),
        lon: number(form, "lon"), lat: number(form, "lat"), mission_locale: form.elements.mission_locale.value});
      renderChanges();
    });
    document.getElementById("close-form").addEventListener("submit", function (event) {
      event.preventDefault();
      state.changes.push({action: "close", id: event.target.elements.id.value});
      renderChanges();
    });
    document.getElementById("move-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var form = event.target;
      state.changes.push({action: "move", id: form.elements.id.value, lon: number(form, "lon"),
        lat: number(form, "lat")});
      renderChanges();
    });
    document.getElementById("run-scenario").addEventListener("click", runScenario);
    document.getElementById("reset-scenario").addEventListener("click", resetScenario);
  }

  function body() {
    var out = {add: [], close: [], move: [], thresholds_km: state.indicators.thresholds_km};
    state.changes.forEach(function (change) {
      if (change.action === "add") {
        var site = {name: change.name, lon: change.lon, lat: change.lat};
        if (change.mission_locale) site.mission_locale = change.mission_locale;
        out.add.push(site);
      }
      else if (change.action === "close") out.close.push(change.id);
      else out.move.push({id: change.id, lon: change.lon, lat: change.lat});
    });
    return out;
  }

  function runScenario() {
    var error = document.getElementById("scenario-error");
    error.hidden = true;
    status("Computing the scenario…");
    fetch(urls.scenariosUrl, {
      method: "POST", headers: {"Content-Type": "application/json", Accept: "application/json"},
      body: JSON.stringify(body())
    }).then(function (response) {
      return response.json().then(function (result) {
        if (!response.ok) throw new Error(result.message || response.statusText);
        return result;
      });
    }).then(showScenario).catch(function (failure) {
      error.textContent = failure.message;
      error.hidden = false;
      status("The scenario was refused.");
    });
  }

  function changeCell(change, format) {
    var delta = change.delta === null ? "" : " (" + (change.delta > 0 ? "+" : "") + format(change.delta) + ")";
    return format(change.current) + " → " + format(change.scenario) + delta;
  }

  function showScenario(result) {
    restoreColours();
    var thresholds = result.thresholds_km;
    var headers = ["Area", "Weighted mean", "Weighted median", "Farthest"];
    thresholds.forEach(function (t) { headers.push("Pop. beyond " + t + " km"); });
    var rows = [result.deltas.region].concat(result.deltas.departements).map(function (area) {
      var cells = [area.nom, changeCell(area.weighted_mean_distance_m, G.km),
        changeCell(area.weighted_median_distance_m, G.km), changeCell(area.max_distance_m, G.km)];
      area.beyond.forEach(function (beyond) { cells.push(changeCell(beyond.population_share, G.pct)); });
      return cells;
    });
    G.table(document.getElementById("delta-table"), headers, rows);
    document.getElementById("changed-count").textContent = G.int(result.communes_changed.length);
    var changedRows = result.communes_changed.slice(0, 30).map(function (c) {
      return [c.nom + " (" + c.code + ")", c.current.site_name + ", " + G.km(c.current.distance_m),
        c.scenario.site_name + ", " + G.km(c.scenario.distance_m), G.km(c.delta_m)];
    });
    G.table(document.getElementById("changed-table"), ["Commune", "Now", "Scenario", "Change"], changedRows);
    result.communes_changed.forEach(function (c) {
      var layer = state.choropleth.geosvcByCode[c.code];
      if (layer) layer.setStyle(Object.assign(G.communeStyle(c.scenario.distance_m, thresholds),
        {color: "#000", weight: 1.2}));
    });
    if (state.scenarioSites) state.map.removeLayer(state.scenarioSites);
    state.scenarioSites = G.sitesLayer(result.scenario.sites.filter(function (s) { return s.hypothetical; }))
      .addTo(state.map);
    document.getElementById("scenario-result").hidden = false;
    status("Scenario computed: " + result.communes_changed.length + " communes change their nearest site.");
  }

  function restoreColours() {
    state.choropleth.resetStyle();
    if (state.scenarioSites) { state.map.removeLayer(state.scenarioSites); state.scenarioSites = null; }
  }

  function resetScenario() {
    state.changes = [];
    renderChanges();
    restoreColours();
    document.getElementById("scenario-result").hidden = true;
    document.getElementById("scenario-error").hidden = true;
  }

  // --- start -------------------------------------------------------------------------

  Promise.all([getJSON(urls.coverageUrl), getJSON(urls.communesUrl + "?format=geojson")])
    .then(function (answers) {
      state.indicators = answers[0];
      drawMap(answers[0], answers[1]);
      drawTables(answers[0]);
      fillSiteSelects(answers[0].sites);
      fillMissionLocaleSelect(answers[0].missions_locales);
      bindForms();
      document.body.classList.add("ready");
      status("Ready: " + answers[1].features.length + " communes.");
    })
    .catch(function (error) { status("Could not load the coverage: " + error.message); });
})();
