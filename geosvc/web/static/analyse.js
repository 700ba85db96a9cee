/* The analyst page, in French: fetches the coverage from the API, draws it (coverage_map.js):
 * the distance to the nearest site or to one's own mission locale, the zones' outlines, the
 * communes nearer another mission locale's site, the zones' table; and runs what-if scenarios
 * through POST /coverage/scenarios. The API's field names are the API's; only the page speaks French. */
(function () {
  "use strict";
  var G = window.GeosvcMap;
  var urls = document.body.dataset;
  var NBSP = "\u00a0";
  var LISTED = 30;  // communes listed in a scenario's tables
  var BEYOND_KM = 20;  // the zones' table: share of the inhabitants beyond this (or the last threshold)

  var LABELS = {
    nearest: "Distance au site le plus proche",
    own: "Distance au site de sa mission locale",
    zones: "Zones des missions locales (contours)",
    mismatch: "Communes plus proches d'une autre mission locale",
    sites: "Sites",
    bySite: "Bassins par site (site le plus proche)",
    byMission: "Bassins par mission locale (site le plus proche)",
    voronoi: "Cellules de Voronoï des sites",
    transitWalk: "Temps en TER jusqu'à sa mission locale, à pied",
    transitBike: "Temps en TER jusqu'à sa mission locale, à vélo"
  };
  var WORST_LISTED = 15;  // the worst-served communes listed under the TER table

  // the API's error codes, said in French (the API's own message is English)
  var ERRORS = {
    outside_region: "ce point n'est dans aucune commune des Hauts-de-France",
    unknown_mission_locale: "aucune mission locale n'a ce code",
    unknown_mission: "aucun site n'a cet identifiant",
    mission_not_served: "ce site n'est pas ouvert (remplacé ou écarté)",
    conflicting_changes: "un même site est fermé et déplacé, ou modifié deux fois",
    empty_network: "un scénario doit laisser au moins un site ouvert",
    invalid_parameter: "une valeur est invalide (la longitude et la latitude sont des nombres, le nom a de 1 à " +
      "100 caractères)",
    invalid_json: "la demande est mal formée",
    too_many_requests: "trop de calculs demandés en peu de temps : réessayez dans une minute",
    payload_too_large: "la demande est trop volumineuse",
    database_unavailable: "la base de données est indisponible : réessayez dans un instant",
    mission_locale_not_found: "aucune mission locale n'a ce code"
  };

  var state = {
    indicators: null, names: null, communes: null, map: null, legend: null,
    nearestLayer: null, ownLayer: null, ownFilled: false, ownAvailable: false,
    zonesLayer: null, zoneLayers: {}, zonesByCode: {}, zoneOrder: [], zoneFocus: null, selectedZone: null,
    zoneSort: {column: null, descending: false},
    changes: [], sent: null, scenarioSites: null, lastScenario: null,
    transitLayers: {}, transitLoading: null, transitTimetable: null
  };

  function status(text) { document.getElementById("status").textContent = text; }

  function byId(id) { return document.getElementById(id); }

  // --- requests -------------------------------------------------------------------------

  function apiError(response, body) {
    var code = body && body.code;
    var error = new Error(ERRORS[code] || ("le serveur a répondu HTTP " + response.status));
    error.code = code;
    error.details = (body && body.details) || {};
    return error;
  }

  // what went wrong, in French: the page's own messages, else the network's (the browser's, in English)
  function reason(error) {
    return error.french || error.details ? error.message
      : "le serveur est injoignable, ou sa réponse n'a pu être lue (" + error.message + ")";
  }

  function answer(response) {
    return response.json().catch(function () {
      var error = new Error("réponse illisible du serveur (HTTP " + response.status + ")");
      error.french = true;
      throw error;
    }).then(function (body) {
      if (!response.ok) throw apiError(response, body);
      return body;
    });
  }

  // A 503 (the database busy, or a statement over its time limit) is tried once more, after the
  // Retry-After the API gives (at most 10 s).
  function getJSON(url, retried) {
    return fetch(url, {headers: {Accept: "application/json"}}).then(function (response) {
      if (response.status !== 503 || retried) return answer(response);
      var seconds = Math.min(Number(response.headers.get("Retry-After")) || 2, 10);
      status("Le serveur est occupé : nouvel essai dans " + seconds + " s…");
      return new Promise(function (resolve) { setTimeout(resolve, seconds * 1000); }).then(function () {
        return getJSON(url, true);
      });
    });
  }

  // --- formats ----------------------------------------------------------------------------

  function points(shareDelta) {  // a change of a share: percentage points
    return shareDelta === null || shareDelta === undefined ? "–" : G.number(shareDelta * 100, 1, true) + NBSP + "pt";
  }

  function kmDelta(metres) { return G.km(metres, true); }

  function intDelta(value) { return G.int(value, true); }

  function coordinate(value) { return String(value).replace(".", ","); }

  function thresholdIndex(thresholds) {
    var index = thresholds.indexOf(BEYOND_KM);
    return index >= 0 ? index : thresholds.length - 1;
  }

  // --- map --------------------------------------------------------------------------------

  function lazyOverlay(label, url, build) {
    var group = L.layerGroup();
    var loading = null;
    group.geosvcLoad = function () {
      if (loading) return loading;
      status("Chargement de la couche « " + label + " »…");
      loading = getJSON(url).then(function (geojson) {
        group.addLayer(build(geojson));
        status("Couche « " + label + " » chargée : " + G.int(geojson.features.length) + " polygones.");
      }).catch(function (error) {
        loading = null;  // ticking it again tries again
        status("Impossible de charger la couche « " + label + " » : " + reason(error) + ".");
      });
      return loading;
    };
    return group;
  }

  function siteName(id) { return (id && state.names.sites[id]) || id || "–"; }

  function missionName(code) { return (code && state.names.missions[code]) || code || "–"; }

  function describeMismatch(feature) {
    var p = feature.properties;
    var box = G.el("div");
    box.appendChild(G.el("strong", p.nom + " (" + p.code + ")"));
    box.appendChild(G.el("div", G.int(p.population) + " habitants"));
    if (p.own_distance_m === null || p.own_distance_m === undefined) {
      box.appendChild(G.el("div", "Sa mission locale, " + p.mission_locale_name + ", n'a pas de site ouvert"));
    } else {
      box.appendChild(G.el("div", "Sa mission locale : " + p.mission_locale_name + ", à " + G.km(p.own_distance_m) +
        " (" + siteName(p.own_site_id) + ")"));
    }
    box.appendChild(G.el("div", "Site le plus proche : " + siteName(p.nearest_site_id) + " (" +
      (p.nearest_mission_locale_name || "sans mission locale") + "), à " + G.km(p.nearest_distance_m)));
    if (p.extra_distance_m !== null && p.extra_distance_m !== undefined) {
      box.appendChild(G.el("div", "Soit " + G.km(p.extra_distance_m) + " de plus jusqu'à sa mission locale"));
    }
    return box;
  }

  function describeZone(feature) {
    var code = feature.properties.code;
    var zone = state.zonesByCode[code];
    var box = G.el("div");
    box.appendChild(G.el("strong", feature.properties.name));
    if (!zone) return box;
    box.appendChild(G.el("div", G.int(zone.communes) + " communes, " + G.int(zone.population) + " habitants, " +
      G.area(zone.area_km2)));
    box.appendChild(G.el("div", "Distance à sa mission locale : moyenne pondérée " +
      G.km(zone.weighted_mean_distance_m) + ", maximum " + G.km(zone.max_distance_m)));
    box.appendChild(G.el("div", G.int(zone.communes_nearest_other) +
      " communes plus proches d'une autre mission locale"));
    return box;
  }

  function drawMap(indicators, communes) {
    var map = G.createMap("map");
    state.map = map;
    var thresholds = indicators.thresholds_km;
    state.nearestLayer = G.choropleth(communes, thresholds, {field: "distance_m", names: state.names}).addTo(map);
    map.fitBounds(state.nearestLayer.getBounds());
    var sites = G.sitesLayer(indicators.sites).addTo(map);
    var base = {};
    base[LABELS.nearest] = state.nearestLayer;
    var overlays = {};
    if (state.ownAvailable) {
      // filled when first shown: one polygon per commune, coloured by the distance to its own mission locale
      state.ownLayer = G.choropleth(null, thresholds, {field: "own_distance_m", names: state.names});
      base[LABELS.own] = state.ownLayer;
      state.zonesLayer = G.zonesLayer(describeZone, registerZone).addTo(map);
      overlays[LABELS.zones] = state.zonesLayer;
      state.mismatchLayer = lazyOverlay(LABELS.mismatch, urls.assignmentUrl + "?format=geojson", function (geojson) {
        return G.mismatchLayer(geojson, describeMismatch);
      });
      overlays[LABELS.mismatch] = state.mismatchLayer;
    }
    // the time by TER: two more choropleths, filled from one request when first shown
    state.transitLayers.walk = G.transitLayer("own_walk_minutes", function (f) { return describeTransit(f, "walk"); });
    state.transitLayers.bike = G.transitLayer("own_bike_minutes", function (f) { return describeTransit(f, "bike"); });
    base[LABELS.transitWalk] = state.transitLayers.walk;
    base[LABELS.transitBike] = state.transitLayers.bike;
    overlays[LABELS.sites] = sites;
    overlays[LABELS.bySite] = lazyOverlay(LABELS.bySite, urls.catchmentsUrl + "?by=site", G.catchmentLayer);
    overlays[LABELS.byMission] = lazyOverlay(LABELS.byMission, urls.catchmentsUrl + "?by=mission_locale",
      G.catchmentLayer);
    overlays[LABELS.voronoi] = lazyOverlay(LABELS.voronoi, urls.catchmentsUrl + "?by=voronoi", G.catchmentLayer);
    L.control.layers(base, overlays, {collapsed: false}).addTo(map);
    state.legend = G.legend(map, thresholds, {own: false, zones: state.ownAvailable, mismatch: false});
    map.on("overlayadd", function (event) {
      if (event.layer.geosvcLoad) event.layer.geosvcLoad();
      legendExtras(event.layer, true);
    });
    map.on("overlayremove", function (event) { legendExtras(event.layer, false); });
    map.on("baselayerchange", function (event) {
      var mode = transitMode(event.layer);
      if (mode) showTransit(mode);
      else showDistance(event.layer === state.ownLayer);
    });
    map.on("click", function (event) {
      document.querySelectorAll("input.lon").forEach(function (input) { input.value = event.latlng.lng.toFixed(5); });
      document.querySelectorAll("input.lat").forEach(function (input) { input.value = event.latlng.lat.toFixed(5); });
    });
  }

  function legendExtras(layer, shown) {
    if (layer === state.zonesLayer) state.legend.update({zones: shown});
    if (layer === state.mismatchLayer) state.legend.update({mismatch: shown});
  }

  // --- the time by TER (GET /coverage/transit/communes?format=geojson) ---------------------------

  function transitMode(layer) {
    if (layer === state.transitLayers.walk) return "walk";
    if (layer === state.transitLayers.bike) return "bike";
    return null;
  }

  function loadTransit() {
    if (state.transitLoading) return state.transitLoading;
    status("Chargement des temps en TER…");
    state.transitLoading = getJSON(urls.transitCommunesUrl + "?format=geojson").then(function (layer) {
      state.transitTimetable = layer.timetable;
      state.transitLayers.walk.addData(layer);
      state.transitLayers.bike.addData(layer);
      return layer;
    }).catch(function (error) {
      state.transitLoading = null;  // choosing the layer again tries again
      throw error;
    });
    return state.transitLoading;
  }

  function showTransit(mode) {
    document.body.dataset.distance = "transit-" + mode;
    loadTransit().then(function (layer) {
      state.legend.update({transit: {mode: mode, timetable: state.transitTimetable}});
      status("Carte : temps en TER " + (mode === "walk" ? "à pied" : "à vélo") + " jusqu'au premier site atteint de " +
        "sa mission locale, pour " + G.int(layer.features.length) + " communes (" +
        (layer.timetable ? layer.timetable.attribution : "aucun horaire chargé") + ").");
      document.body.classList.add("transit-ready");
    }).catch(function (error) { status("Impossible de charger les temps en TER : " + reason(error) + "."); });
  }

  function tripText(p, mode) {
    var minutes = p["own_" + mode + "_minutes"];
    var how = mode === "walk" ? "À pied" : "À vélo";
    if (!p.own_routed) return how + " : sans site de sa mission locale";
    if (minutes === null || minutes === undefined) {
      var cutoff = state.transitTimetable ? G.transitClock(state.transitTimetable.parameters.cutoff_s) : "–";
      return how + " : aucun trajet arrivant avant " + cutoff;
    }
    var lines = p["own_" + mode + "_lines"];
    return how + " : " + G.int(minutes) + NBSP + "min (arrivée à " + p["own_" + mode + "_arrival"] + ", " +
      siteName(p["own_" + mode + "_site_id"]) + (lines ? ", lignes " + lines : ", sans train ni car") + ")";
  }

  function describeTransit(feature, mode) {
    var p = feature.properties;
    var box = G.el("div");
    box.appendChild(G.el("strong", p.nom + " (" + p.code + ")"));
    box.appendChild(G.el("div", G.int(p.population) + " habitants"));
    box.appendChild(G.el("div", tripText(p, mode)));
    box.appendChild(G.el("div", tripText(p, mode === "walk" ? "bike" : "walk")));
    return box;
  }

  function showDistance(own) {
    state.legend.update({transit: null});
    if (own && !state.ownFilled) {
      state.ownLayer.addData(state.communes);
      state.ownFilled = true;
      if (state.lastScenario) paintScenario(state.lastScenario);
    }
    state.legend.update({own: own});
    document.body.dataset.distance = own ? "own" : "nearest";
    status(own ? "Carte : distance de chaque commune au site le plus proche de sa propre mission locale."
      : "Carte : distance de chaque commune au site le plus proche, de toute mission locale.");
  }

  // --- zones: outlines on the map -----------------------------------------------------------

  function zoneLabel(code) {
    var zone = state.zonesByCode[code];
    return "Zone : " + (zone ? zone.name : code) + " (Entrée : centrer la carte sur la zone ; flèches : autre zone)";
  }

  function registerZone(feature, featureLayer) {
    var code = feature.properties.code;
    state.zoneLayers[code] = featureLayer;
    // Leaflet draws a new <path> each time the layer is added: make every one reachable by keyboard
    featureLayer.on("add", function () { decorateZone(code, featureLayer); });
  }

  function decorateZone(code, featureLayer) {
    var path = featureLayer.getElement();
    if (!path) return;
    path.setAttribute("tabindex", code === state.zoneFocus ? "0" : "-1");
    path.setAttribute("role", "button");
    path.setAttribute("aria-label", zoneLabel(code));
    path.addEventListener("keydown", function (event) { zoneKey(event, code); });
    path.addEventListener("focus", function () { highlightZone(code, true); });
    path.addEventListener("blur", function () { highlightZone(code, false); });
  }

  function zonePath(code) {
    var layer = state.zoneLayers[code];
    return layer && layer.getElement ? layer.getElement() : null;
  }

  // one tab stop for all the outlines (a roving tabindex); the arrows move between zones
  function setZoneFocus(code, focus) {
    var previous = zonePath(state.zoneFocus);
    if (previous) previous.setAttribute("tabindex", "-1");
    state.zoneFocus = code;
    var path = zonePath(code);
    if (path) {
      path.setAttribute("tabindex", "0");
      if (focus) {
        state.zoneLayers[code].bringToFront();
        path.focus();
      }
    }
  }

  function zoneKey(event, code) {
    var order = state.zoneOrder;
    var index = order.indexOf(code);
    var next = null;
    if (event.key === "ArrowRight" || event.key === "ArrowDown") next = order[(index + 1) % order.length];
    else if (event.key === "ArrowLeft" || event.key === "ArrowUp") next = order[(index - 1 + order.length) % order.length];
    else if (event.key === "Home") next = order[0];
    else if (event.key === "End") next = order[order.length - 1];
    else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      event.stopPropagation();
      zoomToZone(code);
      return;
    }
    if (next === null) return;
    event.preventDefault();
    event.stopPropagation();
    setZoneFocus(next, true);
  }

  // raise: draw it above the other outlines (not while it has the focus: moving it would blur it)
  function highlightZone(code, on, raise) {
    var layer = state.zoneLayers[code];
    if (!layer || !layer._map) return;
    layer.setStyle(G.zoneStyle(on || state.selectedZone === code));
    if (on && raise) layer.bringToFront();
  }

  function zoneBounds(code) {
    var layer = state.zoneLayers[code];
    if (layer) return layer.getBounds();
    // no outline (not loaded, or refused): the communes whose own mission locale it is
    var bounds = null;
    state.communes.features.forEach(function (feature) {
      if (feature.properties.own_mission_locale !== code) return;
      var commune = state.nearestLayer.geosvcByCode[feature.properties.code];
      if (!commune) return;
      if (bounds) bounds.extend(commune.getBounds());
      else bounds = L.latLngBounds(commune.getBounds().getSouthWest(), commune.getBounds().getNorthEast());
    });
    return bounds;
  }

  function zoomToZone(code) {
    var zone = state.zonesByCode[code];
    var name = zone ? zone.name : code;
    var bounds = zoneBounds(code);
    if (!bounds || !bounds.isValid()) {
      status("Pas de contour à montrer pour la zone : " + name + ".");
      return;
    }
    var previous = state.selectedZone;
    state.selectedZone = code;
    if (previous && previous !== code) highlightZone(previous, false);
    highlightZone(code, true, document.activeElement !== zonePath(code));
    document.querySelectorAll("#zones-table tbody tr").forEach(function (row) {
      row.classList.toggle("selected", row.dataset.code === code);
    });
    byId("map").scrollIntoView({block: "nearest"});
    state.map.fitBounds(bounds, {padding: [16, 16]});
    status("Carte centrée sur la zone : " + name + ".");
  }

  // One layer of the zones' outlines (GET /coverage/catchments?by=zone: dissolved at ingestion),
  // retried once after the API's Retry-After on a 503.
  function loadZoneOutlines(zones) {
    status("Chargement des contours des " + G.int(zones.length) + " zones…");
    var address = urls.catchmentsUrl + "?" + new URLSearchParams({by: "zone"});
    return getJSON(address).then(function (layer) {
      state.zonesLayer.addData(layer);
    }, function () { return null; }).then(function () {
      state.zoneOrder = zones.map(function (zone) { return zone.code; })
        .filter(function (code) { return state.zoneLayers[code]; });
      if (state.zoneOrder.length) setZoneFocus(state.zoneOrder[0], false);
      document.body.classList.add("zones-ready");
      var missing = zones.length - state.zoneOrder.length;
      if (!missing) status("Prêt : " + G.int(state.communes.features.length) + " communes, " +
        G.int(zones.length) + " zones de missions locales.");
      else status("Contours indisponibles pour " + G.int(missing) + " zone(s) sur " + G.int(zones.length) +
        " : la carte se centre alors sur leurs communes.");
    });
  }

  // --- zones: the table ----------------------------------------------------------------------

  function zoneColumns(thresholds) {
    var beyond = thresholdIndex(thresholds);
    return [
      {label: "Mission locale", value: function (z) { return z.name; }},
      {label: "Communes", value: function (z) { return z.communes; }, text: G.int},
      {label: "Habitants", value: function (z) { return z.population; }, text: G.int},
      {label: "Superficie", value: function (z) { return z.area_km2; }, text: G.area},
      {label: "Distance moyenne pondérée", value: function (z) { return z.weighted_mean_distance_m; }, text: G.km},
      {label: "Distance maximale", value: function (z) { return z.max_distance_m; }, text: G.km},
      {label: "Part des habitants à plus de " + G.kmBound(thresholds[beyond]),
        value: function (z) { return z.beyond[beyond] ? z.beyond[beyond].population_share : null; }, text: G.pct},
      {label: "Communes plus proches d'une autre mission locale",
        value: function (z) { return z.communes_nearest_other; }, text: G.int}
    ];
  }

  function compareZones(column, descending) {
    return function (a, b) {
      var x = column.value(a);
      var y = column.value(b);
      if (x === null || x === undefined) return (y === null || y === undefined) ? 0 : 1;  // unknown last
      if (y === null || y === undefined) return -1;
      var order = typeof x === "string" ? x.localeCompare(y, "fr") : x - y;
      return descending ? -order : order;
    };
  }

  function drawZonesTable(indicators) {
    var element = byId("zones-table");
    var columns = zoneColumns(indicators.thresholds_km);
    element.textContent = "";
    element.appendChild(G.el("caption", "Distance de chaque commune au site le plus proche de sa propre mission " +
      "locale, par zone (" + G.int(indicators.zones.length) + " missions locales)"));
    var head = G.el("thead");
    var headRow = G.el("tr");
    columns.forEach(function (column, index) {
      var th = G.el("th");
      th.scope = "col";
      var button = G.el("button", column.label + " ", "sort");
      button.type = "button";
      button.appendChild(G.el("span", "", "sort-mark"));
      button.lastChild.setAttribute("aria-hidden", "true");
      button.addEventListener("click", function () { sortZones(index); });
      th.appendChild(button);
      headRow.appendChild(th);
    });
    head.appendChild(headRow);
    element.appendChild(head);
    element.appendChild(G.el("tbody"));
    state.zoneColumns = columns;
    fillZonesBody();
  }

  function sortZones(index) {
    var sort = state.zoneSort;
    if (sort.column === index) sort.descending = !sort.descending;
    else {
      sort.column = index;
      sort.descending = index !== 0;  // figures: largest first; names: A to Z
    }
    fillZonesBody();
    var column = state.zoneColumns[index];
    status("Zones triées par « " + column.label + " », " + (sort.descending ? "ordre décroissant" : "ordre croissant") +
      ".");
  }

  function fillZonesBody() {
    var columns = state.zoneColumns;
    var sort = state.zoneSort;
    var zones = state.indicators.zones.slice();
    if (sort.column !== null) zones.sort(compareZones(columns[sort.column], sort.descending));
    byId("zones-table").querySelectorAll("thead th").forEach(function (th, index) {
      var mark = th.querySelector(".sort-mark");
      if (index === sort.column) {
        th.setAttribute("aria-sort", sort.descending ? "descending" : "ascending");
        mark.textContent = sort.descending ? "▼" : "▲";
      } else {
        th.removeAttribute("aria-sort");
        mark.textContent = "";
      }
    });
    var body = byId("zones-table").querySelector("tbody");
    body.textContent = "";
    zones.forEach(function (zone) {
      var row = G.el("tr");
      row.dataset.code = zone.code;
      if (zone.code === state.selectedZone) row.classList.add("selected");
      var name = G.el("th");
      name.scope = "row";
      var button = G.el("button", zone.name, "zone-link");
      button.type = "button";
      button.title = "Centrer la carte sur la zone";
      button.addEventListener("click", function () { zoomToZone(zone.code); });
      ["focus", "mouseenter"].forEach(function (type) {
        button.addEventListener(type, function () { showZoneLabel(zone.code, true); });
      });
      ["blur", "mouseleave"].forEach(function (type) {
        button.addEventListener(type, function () { showZoneLabel(zone.code, false); });
      });
      name.appendChild(button);
      row.appendChild(name);
      columns.slice(1).forEach(function (column) { row.appendChild(G.el("td", column.text(column.value(zone)))); });
      body.appendChild(row);
    });
  }

  // the zone of the row focused or hovered in the table: outlined and labelled on the map
  function showZoneLabel(code, on) {
    highlightZone(code, on, true);
    var layer = state.zoneLayers[code];
    if (!layer || !layer._map) return;
    if (on) layer.openTooltip();
    else layer.closeTooltip();
  }

  // --- indicators' tables -----------------------------------------------------------------

  function ownAreaRows(areas, thresholds) {
    return areas.filter(function (area) { return area.own; }).map(function (area) {
      var own = area.own;
      var cells = [area.nom + (area.level === "region" ? "" : " (" + area.code + ")"), G.int(own.communes),
        G.int(own.population), G.km(own.weighted_mean_distance_m), G.km(own.weighted_median_distance_m),
        G.km(own.max_distance_m)];
      thresholds.forEach(function (t, index) {
        cells.push(G.pct(own.beyond[index] ? own.beyond[index].population_share : null));
      });
      cells.push(G.int(own.communes_nearest_other), G.pct(own.population_nearest_other_share));
      return cells;
    });
  }

  function drawTables(indicators) {
    var thresholds = indicators.thresholds_km;
    var areas = [indicators.region].concat(indicators.departements);
    G.areasTable(byId("areas-table"), indicators, areas);
    G.areasTable(byId("epci-table"), indicators, indicators.epci);
    G.missionsLocalesTable(byId("missions-locales-table"), indicators.missions_locales);
    G.provenance(byId("provenance"), indicators.data, indicators.method);
    if (state.ownAvailable) {
      var headers = ["Territoire", "Communes mesurées", "Habitants", "Moyenne pondérée", "Médiane pondérée",
        "Commune la plus éloignée"];
      thresholds.forEach(function (t) { headers.push("Habitants à plus de " + G.kmBound(t)); });
      headers.push("Communes plus proches d'une autre mission locale", "Part de leurs habitants");
      G.table(byId("own-areas-table"), headers, ownAreaRows(areas, thresholds));
      drawZonesTable(indicators);
    } else {
      byId("own-areas").hidden = true;
      byId("zones-intro").hidden = true;
      var reason = indicators.own_mission_locale && indicators.own_mission_locale.reason;
      var notice = byId("zones-unavailable");
      notice.textContent = "Les zones officielles des missions locales ne sont pas chargées : ni distance à sa " +
        "propre mission locale, ni zones, ni communes plus proches d'une autre mission locale." +
        (reason ? " Motif donné par l'API : " + reason : "");
      notice.hidden = false;
    }
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
    var select = byId("mission-locale-select");
    missionsLocales.forEach(function (mission) {
      var option = G.el("option", mission.name + " (" + mission.code + ")");
      option.value = mission.code;
      select.appendChild(option);
    });
  }

  // --- scenario ----------------------------------------------------------------------

  function describe(change) {
    if (change.action === "add") {
      return "ouvrir « " + change.name + " » (lon. " + coordinate(change.lon) + " ; lat. " + coordinate(change.lat) +
        ")" + (change.mission_locale ? " pour la " + missionName(change.mission_locale) + " (" +
          change.mission_locale + ")" : ", sans mission locale");
    }
    if (change.action === "close") return "fermer " + siteName(change.id) + " (" + change.id + ")";
    return "déplacer " + siteName(change.id) + " (" + change.id + ") en lon. " + coordinate(change.lon) + " ; lat. " +
      coordinate(change.lat);
  }

  function renderChanges() {
    var list = byId("changes");
    list.textContent = "";
    if (!state.changes.length) list.appendChild(G.el("li", "aucun pour l'instant", "empty"));
    state.changes.forEach(function (change, index) {
      var text = describe(change);
      var item = G.el("li", text + " ");
      var remove = G.el("button", "retirer");
      remove.type = "button";
      remove.setAttribute("aria-label", "retirer : " + text);
      remove.addEventListener("click", function () { state.changes.splice(index, 1); renderChanges(); });
      item.appendChild(remove);
      list.appendChild(item);
    });
    byId("run-scenario").disabled = state.changes.length === 0;
  }

  function number(form, name) { return Number(String(form.elements[name].value).trim().replace(",", ".")); }

  function bindForms() {
    byId("add-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var form = event.target;
      state.changes.push({action: "add", name: form.elements.name.value.trim(),
        lon: number(form, "lon"), lat: number(form, "lat"), mission_locale: form.elements.mission_locale.value});
      renderChanges();
    });
    byId("close-form").addEventListener("submit", function (event) {
      event.preventDefault();
      state.changes.push({action: "close", id: event.target.elements.id.value});
      renderChanges();
    });
    byId("move-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var form = event.target;
      state.changes.push({action: "move", id: form.elements.id.value, lon: number(form, "lon"),
        lat: number(form, "lat")});
      renderChanges();
    });
    byId("run-scenario").addEventListener("click", runScenario);
    byId("reset-scenario").addEventListener("click", resetScenario);
  }

  function body() {
    var out = {add: [], close: [], move: [], thresholds_km: state.indicators.thresholds_km};
    // which change each item of the body is, to name it in an error ("add[0]" is the first opening)
    state.sent = {add: [], close: [], move: []};
    state.changes.forEach(function (change) {
      if (change.action === "add") {
        var site = {name: change.name, lon: change.lon, lat: change.lat};
        if (change.mission_locale) site.mission_locale = change.mission_locale;
        out.add.push(site);
      }
      else if (change.action === "close") out.close.push(change.id);
      else out.move.push({id: change.id, lon: change.lon, lat: change.lat});
      state.sent[change.action].push(change);
    });
    return out;
  }

  function refusal(error) {
    var fields = [];
    if (error.details.field) fields.push(error.details.field);
    if (error.details.json) fields = fields.concat(Object.keys(error.details.json));
    if (fields.indexOf("changes") >= 0) return "un scénario compte de 1 à 20 changements";
    var named = [];
    fields.forEach(function (field) {
      var match = /^(add|close|move)\[(\d+)\]/.exec(field);
      var change = match && state.sent && state.sent[match[1]][Number(match[2])];
      if (change && named.indexOf(change) < 0) named.push(change);
    });
    return error.message + (named.length ? " (" + named.map(describe).join(" ; ") + ")" : "");
  }

  function runScenario() {
    var error = byId("scenario-error");
    error.hidden = true;
    status("Calcul du scénario…");
    fetch(urls.scenariosUrl, {
      method: "POST", headers: {"Content-Type": "application/json", Accept: "application/json"},
      body: JSON.stringify(body())
    }).then(answer).then(showScenario).catch(function (failure) {
      error.textContent = failure.details ? "Scénario refusé : " + refusal(failure) + "."
        : "Scénario non calculé : " + reason(failure) + ".";
      error.hidden = false;
      status(failure.details ? "Le scénario a été refusé." : "Le scénario n'a pas pu être calculé.");
    });
  }

  function changeCell(change, format, deltaFormat) {
    if (!change) return "–";
    var delta = change.delta === null || change.delta === undefined ? "" : " (" + deltaFormat(change.delta) + ")";
    return format(change.current) + " → " + format(change.scenario) + delta;
  }

  function beyondHeaders(thresholds) {
    return thresholds.map(function (t) { return "Habitants à plus de " + G.kmBound(t); });
  }

  function areaLabel(area) { return area.nom + (area.level === "region" ? "" : " (" + area.code + ")"); }

  function nearestDeltaRows(areas) {
    return areas.map(function (area) {
      var cells = [areaLabel(area), changeCell(area.weighted_mean_distance_m, G.km, kmDelta),
        changeCell(area.weighted_median_distance_m, G.km, kmDelta), changeCell(area.max_distance_m, G.km, kmDelta)];
      area.beyond.forEach(function (beyond) { cells.push(changeCell(beyond.population_share, G.pct, points)); });
      return cells;
    });
  }

  function ownDeltaRows(areas) {
    return areas.filter(function (area) { return area.own; }).map(function (area) {
      var own = area.own;
      var cells = [areaLabel(area), changeCell(own.weighted_mean_distance_m, G.km, kmDelta),
        changeCell(own.weighted_median_distance_m, G.km, kmDelta), changeCell(own.max_distance_m, G.km, kmDelta)];
      own.beyond.forEach(function (beyond) { cells.push(changeCell(beyond.population_share, G.pct, points)); });
      cells.push(changeCell(own.communes_nearest_other, G.int, intDelta),
        changeCell(own.communes_own_without_site, G.int, intDelta));
      return cells;
    });
  }

  function zoneDeltaRows(zones, thresholds) {
    var beyond = thresholdIndex(thresholds);
    return zones.map(function (zone) {
      var sites = zone.sites || {};
      return [zone.name, G.int((sites.current || []).length) + " → " + G.int((sites.scenario || []).length),
        changeCell(zone.weighted_mean_distance_m, G.km, kmDelta), changeCell(zone.max_distance_m, G.km, kmDelta),
        changeCell(zone.beyond[beyond] && zone.beyond[beyond].population_share, G.pct, points),
        changeCell(zone.communes_nearest_other, G.int, intDelta)];
    });
  }

  function nearestText(nearest) {
    return nearest ? nearest.site_name + ", " + G.km(nearest.distance_m) : "aucun site";
  }

  function listed(count, noteId) {
    var note = byId(noteId);
    note.hidden = count <= LISTED;
    note.textContent = "Les " + LISTED + " premières sont listées (les plus grands changements d'abord).";
  }

  function showScenario(result) {
    restoreColours();
    var thresholds = result.thresholds_km;
    var deltas = result.deltas;
    var areas = [deltas.region].concat(deltas.departements);
    G.table(byId("delta-table"), ["Territoire", "Moyenne pondérée", "Médiane pondérée", "Commune la plus éloignée"]
      .concat(beyondHeaders(thresholds)), nearestDeltaRows(areas));

    var ownShown = Boolean(deltas.region.own);
    byId("own-deltas").hidden = !ownShown;
    var ownChanged = result.communes_own_changed || [];
    if (ownShown) {
      G.table(byId("own-delta-table"), ["Territoire", "Moyenne pondérée", "Médiane pondérée",
        "Commune la plus éloignée"].concat(beyondHeaders(thresholds),
        ["Communes plus proches d'une autre mission locale", "Communes sans site de leur mission locale"]),
      ownDeltaRows(areas));
      var zones = deltas.zones || [];
      byId("zones-changed-count").textContent = G.int(zones.length);
      G.table(byId("zones-delta-table"), ["Mission locale", "Sites", "Moyenne pondérée", "Commune la plus éloignée",
        "Part des habitants à plus de " + G.kmBound(thresholds[thresholdIndex(thresholds)]),
        "Communes plus proches d'une autre mission locale"], zoneDeltaRows(zones, thresholds));
      byId("own-changed-count").textContent = G.int(ownChanged.length);
      listed(ownChanged.length, "own-changed-note");
      G.table(byId("own-changed-table"), ["Commune", "Mission locale", "Actuellement", "Scénario", "Écart"],
        ownChanged.slice(0, LISTED).map(function (c) {
          return [c.nom + " (" + c.code + ")", missionName(c.mission_locale), nearestText(c.current),
            nearestText(c.scenario), kmDelta(c.delta_m)];
        }));
    }

    byId("changed-count").textContent = G.int(result.communes_changed.length);
    listed(result.communes_changed.length, "changed-note");
    G.table(byId("changed-table"), ["Commune", "Actuellement", "Scénario", "Écart"],
      result.communes_changed.slice(0, LISTED).map(function (c) {
        return [c.nom + " (" + c.code + ")", nearestText(c.current), nearestText(c.scenario), kmDelta(c.delta_m)];
      }));

    showTerScenario(result.ter);

    state.lastScenario = result;
    paintScenario(result);
    state.scenarioSites = G.sitesLayer(result.scenario.sites.filter(function (s) { return s.hypothetical; }))
      .addTo(state.map);
    byId("scenario-result").hidden = false;
    status("Scénario calculé : " + G.int(result.communes_changed.length) + " communes changent de site le plus proche" +
      (ownShown ? ", " + G.int(ownChanged.length) + " de distance à leur mission locale." : "."));
  }

  // --- the scenario's TER part: the region's change and the communes re-routed to their own mission locale --

  var TER_MINUTES = 60;  // the region's table: the share of the inhabitants within this many minutes
  var MODES = {walk: "à pied", bike: "à vélo"};

  // the API's reasons are English: the known one said in French, any other quoted as the server gave it
  function terUnavailable(reasonText) {
    var text = /^no TER timetable was loaded/.test(reasonText || "")
      ? "aucun horaire TER n'a été chargé avec les données, pas de temps de trajet à comparer"
      : "le serveur répond « " + (reasonText || "raison inconnue") + " »";
    return "Accès en TER non comparé : " + text + ".";
  }

  function terMinutes(journey) {  // null: no site of one's own mission locale to reach
    if (!journey) return "sans site";
    return journey.minutes === null ? "pas de trajet" : G.int(journey.minutes) + NBSP + "min";
  }

  function terDelta(row) {
    if (row.delta_minutes !== null && row.delta_minutes !== undefined) {
      return G.int(row.delta_minutes, true) + NBSP + "min";
    }
    var before = row.current && row.current.minutes !== null, after = row.scenario && row.scenario.minutes !== null;
    if (after && !before) return "trajet gagné";
    if (before && !after) return "trajet perdu";
    return "–";
  }

  function terRegionRows(region) {
    return ["walk", "bike"].map(function (mode) {
      var figures = region.filter(function (f) { return f.target === "own" && f.mode === mode; })[0];
      if (!figures) return [MODES[mode], "–", "–"];
      var within = figures.within.filter(function (w) { return w.minutes === TER_MINUTES; })[0];
      return [MODES[mode], changeCell(within && within.population_share, G.pct, points),
        changeCell(figures.no_trip.population_share, G.pct, points)];
    });
  }

  function showTerScenario(ter) {
    var available = Boolean(ter && ter.available);
    byId("ter-deltas").hidden = !available;
    byId("ter-unavailable").hidden = available;
    if (!available) {
      byId("ter-unavailable").textContent = terUnavailable(ter && ter.reason);
      return;
    }
    G.table(byId("ter-region-table"), ["Région, jusqu'à sa mission locale",
      "Habitants à " + TER_MINUTES + NBSP + "min au plus", "Habitants sans trajet"], terRegionRows(ter.region));
    var rerouted = ter.rerouted || {};
    byId("ter-rerouted").textContent = "Trajets recalculés : " + G.int(rerouted.own || 0) + " communes jusqu'à leur " +
      "mission locale, " + G.int(rerouted.nearest || 0) + " jusqu'au site le plus proche.";
    var own = ter.communes_changed.filter(function (c) { return c.target === "own"; });
    var codes = {};
    own.forEach(function (c) { codes[c.code] = true; });
    var capped = ter.communes_changed_total > ter.communes_changed.length;  // the API lists at most 200 rows
    byId("ter-changed-count").textContent = (capped ? "au moins " : "") + G.int(Object.keys(codes).length);
    listed(own.length, "ter-changed-note");
    G.table(byId("ter-changed-table"), ["Commune", "Accès aux arrêts", "Actuellement", "Scénario", "Écart"],
      own.slice(0, LISTED).map(function (c) {
        return [c.nom + " (" + c.code + ")", MODES[c.mode] || c.mode, terMinutes(c.current), terMinutes(c.scenario),
          terDelta(c)];
      }));
    var timetable = ter.timetable;
    byId("ter-source").textContent = "Horaires du " + G.transitDate(timetable.service_date) + ", départ de la " +
      "commune à " + G.transitClock(timetable.parameters.start_s) + ". " + timetable.attribution + ".";
  }

  // the communes that change, in their scenario colour and outlined, on both distance maps
  function paintScenario(result) {
    var thresholds = result.thresholds_km;

    function paint(layer, code, distance) {
      var commune = layer.geosvcByCode[code];
      if (commune) commune.setStyle(Object.assign(G.communeStyle(distance, thresholds), {color: "#000", weight: 1.2}));
    }

    result.communes_changed.forEach(function (c) { paint(state.nearestLayer, c.code, c.scenario.distance_m); });
    if (state.ownLayer && state.ownFilled) {
      (result.communes_own_changed || []).forEach(function (c) {
        paint(state.ownLayer, c.code, c.scenario ? c.scenario.distance_m : null);
      });
    }
  }

  function restoreColours() {
    state.nearestLayer.resetStyle();
    if (state.ownLayer && state.ownFilled) state.ownLayer.resetStyle();
    state.lastScenario = null;
    if (state.scenarioSites) { state.map.removeLayer(state.scenarioSites); state.scenarioSites = null; }
  }

  function resetScenario() {
    state.changes = [];
    renderChanges();
    restoreColours();
    byId("scenario-result").hidden = true;
    byId("scenario-error").hidden = true;
    status("Scénario effacé : la carte montre le réseau actuel.");
  }

  // --- the TER tables: region and departments, the worst served -------------------------------

  function shareCell(count) { return G.pct(count.population_share) + " (" + G.int(count.population) + ")"; }

  function transitRows(areas) {
    var rows = [];
    areas.filter(function (a) { return a.level === "region" || a.level === "departement"; }).forEach(function (a) {
      ["walk", "bike"].forEach(function (mode) {
        var figures = a.access.own[mode];
        var cells = [a.nom + (a.level === "region" ? "" : " (" + a.code + ")"), mode === "walk" ? "à pied" : "à vélo"];
        figures.within.forEach(function (w) { cells.push(shareCell(w)); });
        cells.push(shareCell(figures.no_trip));
        cells.push(G.pct(a.access.nearest[mode].no_trip.population_share));
        rows.push(cells);
      });
    });
    return rows;
  }

  function drawTransitTables(indicators, worst) {
    var timetable = indicators.timetable;
    if (!indicators.available) {
      byId("transit-unavailable").textContent = "Aucun horaire TER n'a été chargé avec les données : pas de temps " +
        "de trajet.";
      byId("transit-unavailable").hidden = false;
      return;
    }
    var p = timetable.parameters;
    byId("transit-scope").textContent = "Trains et cars TER de la SNCF seulement (pas de bus urbains ni " +
      "départementaux) ; horaires du " + G.transitDate(timetable.service_date) + ", départ de la commune à " +
      G.transitClock(p.start_s) + ", aucun trajet si rien n'arrive avant " + G.transitClock(p.cutoff_s) +
      " ; jusqu'aux arrêts et depuis eux à pied (" + G.number(p.walk_kmh, 1) + NBSP + "km/h, " +
      G.number(p.walk_max_m / 1000, 0) + NBSP + "km au plus) ou à vélo (" + G.number(p.bike_kmh, 0) + NBSP +
      "km/h, " + G.number(p.bike_max_m / 1000, 0) + NBSP + "km au plus), en ligne droite. " + timetable.attribution + ".";
    var headers = ["Territoire", "Accès aux arrêts"];
    indicators.thresholds_min.forEach(function (m) { headers.push("Habitants à " + m + NBSP + "min au plus"); });
    headers.push("Habitants sans trajet", "Sans trajet vers le site le plus proche");
    G.table(byId("transit-table"), headers, transitRows(indicators.areas));
    byId("worst-caption").textContent = "Les " + G.int(worst.communes.length) + " communes les moins bien desservies " +
      "à pied : sans trajet (les plus peuplées d'abord), puis les temps les plus longs";
    G.table(byId("worst-table"), ["Commune", "Habitants", "Mission locale", "À pied", "À vélo",
      "Site le plus proche, à pied", "Site le plus proche, à vélo"], worst.communes.map(function (c) {
      return [c.nom + " (" + c.code + ")", G.int(c.population),
        c.own_missions_locales.map(function (m) { return m.name || m.code; }).join(", "),
        minutesText(c.own.walk), minutesText(c.own.bike), minutesText(c.nearest.walk), minutesText(c.nearest.bike)];
    }));
  }

  function minutesText(result) {
    if (!result) return "sans site";
    return result.minutes === null ? "aucun trajet" : G.int(result.minutes) + NBSP + "min";
  }

  function loadTransitTables() {
    return Promise.all([getJSON(urls.transitUrl), getJSON(urls.transitWorstUrl + "?limit=" + WORST_LISTED)])
      .then(function (answers) { drawTransitTables(answers[0], answers[1]); })
      .catch(function (error) {
        byId("transit-unavailable").textContent = "Impossible de charger l'accès en TER : " + reason(error) + ".";
        byId("transit-unavailable").hidden = false;
      });
  }

  function whenVisible(element, callback) {
    if (!("IntersectionObserver" in window)) { callback(); return; }
    var observer = new IntersectionObserver(function (entries) {
      if (!entries.some(function (entry) { return entry.isIntersecting; })) return;
      observer.disconnect();
      callback();
    });
    observer.observe(element);
  }

  // --- start -------------------------------------------------------------------------

  function names(indicators) {
    var out = {sites: {}, missions: {}};
    indicators.sites.forEach(function (site) { out.sites[site.id] = site.name; });
    indicators.missions_locales.forEach(function (mission) { out.missions[mission.code] = mission.name; });
    (indicators.zones || []).forEach(function (zone) { out.missions[zone.code] = zone.name; });
    return out;
  }

  Promise.all([getJSON(urls.coverageUrl), getJSON(urls.communesUrl + "?format=geojson")])
    .then(function (answers) {
      var indicators = answers[0];
      state.indicators = indicators;
      state.communes = answers[1];
      state.names = names(indicators);
      state.ownAvailable = Boolean(indicators.own_mission_locale && indicators.own_mission_locale.available &&
        indicators.zones && indicators.zones.length);
      (indicators.zones || []).forEach(function (zone) { state.zonesByCode[zone.code] = zone; });
      drawMap(indicators, answers[1]);
      drawTables(indicators);
      fillSiteSelects(indicators.sites);
      fillMissionLocaleSelect(indicators.missions_locales);
      bindForms();
      document.body.dataset.distance = "nearest";
      document.body.classList.add("ready");
      status("Prêt : " + G.int(answers[1].features.length) + " communes.");
      // the TER tables when their section is first seen: not alongside the first answers, which already
      // keep the database busy (the zones' outlines, a catchment dissolve within the time limit)
      whenVisible(byId("transit-panel"), function () {
        loadTransitTables().then(function () { document.body.classList.add("transit-tables-ready"); });
      });
      if (state.ownAvailable) return loadZoneOutlines(indicators.zones);
      document.body.classList.add("zones-ready");
      return null;
    })
    .catch(function (error) { status("Impossible de charger la couverture : " + reason(error) + "."); });
})();
