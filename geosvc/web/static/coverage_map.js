/* Drawing the coverage: map layers and tables, shared by the analyst page (/analyse) and
 * the report's standalone map. No network access here: callers pass the data in.
 * No tile layer either, on purpose: the map must draw with no tile server reachable.
 *
 * Language: the page's own (<html lang>): French on /analyse ("12,4 km", "1 234", "15,8 %",
 * Intl.NumberFormat('fr-FR')), English on the report's standalone map. */
(function (global) {
  "use strict";

  // distance classes: green (near) to dark red (far); one more colour than thresholds
  var PALETTE = ["#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fc8d59", "#d73027", "#7f0000",
                 "#4d0000", "#330000", "#1a0000", "#000000"];
  var NO_DISTANCE_COLOUR = "#bdbdbd";  // a commune with no distance to measure (no own mission locale's site)
  var SITE_COLOUR = "#08306b";
  var HYPOTHETICAL_COLOUR = "#c51b8a";
  var ZONE_COLOUR = "#1d1d1d";
  var ZONE_SELECTED_COLOUR = "#0050b3";
  var MISMATCH_COLOUR = "#3f007d";
  var HATCH_ID = "geosvc-hatch";
  // time by TER: classes up to 30, 60, 90 min and beyond; no trip (nothing arrives by the cutoff) apart
  var MINUTE_BOUNDS = [30, 60, 90];
  var MINUTE_PALETTE = ["#1a9850", "#91cf60", "#fee08b", "#fc8d59"];
  var NO_TRIP_COLOUR = "#762a83";
  var NBSP = "\u00a0";  // before a unit or a percent sign, as in the report's French sheets

  var LANG = /^fr\b/i.test(document.documentElement.lang || "") ? "fr" : "en";

  // --- numbers ---------------------------------------------------------------------------

  var FORMATS = LANG === "fr" ? {
    0: new Intl.NumberFormat("fr-FR", {maximumFractionDigits: 0}),
    1: new Intl.NumberFormat("fr-FR", {minimumFractionDigits: 1, maximumFractionDigits: 1}),
    signed0: new Intl.NumberFormat("fr-FR", {maximumFractionDigits: 0, signDisplay: "exceptZero"}),
    signed1: new Intl.NumberFormat("fr-FR", {minimumFractionDigits: 1, maximumFractionDigits: 1,
                                             signDisplay: "exceptZero"})
  } : null;

  function missing(value) { return value === null || value === undefined || Number.isNaN(value); }

  function number(value, decimals, signed) {
    if (FORMATS) return FORMATS[(signed ? "signed" : "") + decimals].format(value);
    var text = decimals ? Number(value).toFixed(decimals) : Number(value).toLocaleString("en-GB");
    return (signed && value > 0 ? "+" : "") + text;
  }

  function km(metres, signed) {
    return missing(metres) ? "–" : number(metres / 1000, 1, signed) + (FORMATS ? NBSP : " ") + "km";
  }

  function pct(share, signed) {
    return missing(share) ? "–" : number(share * 100, 1, signed) + (FORMATS ? NBSP : " ") + "%";
  }

  function int(value, signed) {
    return missing(value) ? "–" : number(Number(value), 0, signed);
  }

  function area(squareKm) {
    return missing(squareKm) ? "–" : number(squareKm, 1) + NBSP + "km²";
  }

  // a threshold in a legend: "5 km", "7,5 km"
  function kmBound(value) { return number(value, value % 1 ? 1 : 0) + NBSP + "km"; }

  // --- words -------------------------------------------------------------------------------

  var TEXT = {
    en: {
      attribution: "Communes: INSEE COG 2026, IGN ADMIN EXPRESS 2018 boundaries; sites: UNML 2026 head offices, " +
        "DILA directory 2014–2017",
      population: function (p) { return "population " + p; },
      toNearest: function (d, site) { return d + " to " + site + " (nearest site)"; },
      toOwn: function (d, site, mission) { return d + " to " + site + ", of its own mission locale (" + mission + ")"; },
      noOwn: "no served site of its own mission locale",
      hypothetical: " (hypothetical)",
      nearestFor: function (communes, population) {
        return "nearest for " + communes + " communes, population " + population;
      },
      catchmentServed: function (communes, population) { return communes + " communes, population " + population; },
      catchmentDistances: function (mean, max) { return "weighted mean " + mean + ", max " + max; },
      legendNearest: "Distance to the nearest site",
      legendOwn: "Distance to one's own mission locale",
      classes: function (bounds) {
        var labels = ["0–" + bounds[0]];
        for (var i = 1; i < bounds.length; i += 1) labels.push(bounds[i - 1] + "–" + bounds[i]);
        labels.push("over " + bounds[bounds.length - 1]);
        return labels;
      },
      noDistance: "no site of its own mission locale",
      zoneOutline: "zone of a mission locale",
      mismatch: "nearer another mission locale's site",
      areaHeaders: ["Area", "Communes", "Population", "Weighted mean", "Weighted median", "Farthest"],
      beyond: function (t) { return "Pop. beyond " + t; },
      missionHeaders: ["Mission locale", "Sites", "Zone communes", "Nearest for communes", "Population",
        "Weighted mean", "Farthest"],
      method: function (method) { return "Distances: " + method + "."; },
      dataset: function (name, d) {
        return name + ": " + d.source + " — " + d.vintage + " (" + d.file + ", " + d.rows + " rows, loaded " +
          d.loaded_at + ")";
      },
      datasetNames: {},
      legendTransit: function (mode) { return "Time by TER to one's own mission locale (" + mode + ")"; },
      modes: {walk: "walking", bike: "biking"},
      minuteClasses: ["up to 30 min", "30–60 min", "60–90 min", "over 90 min"],
      noTrip: function (cutoff) { return "no trip arriving by " + cutoff; },
      noTarget: "no mission locale site",
      transitScope: function (date, start, p) {
        return "SNCF TER trains and coaches only (no city bus); timetable of " + date + ", leaving at " + start +
          "; walking up to " + number(p.walk_max_m / 1000, 0) + " km or biking up to " +
          number(p.bike_max_m / 1000, 0) + " km to and from the stops";
      },
      date: function (iso) {
        return new Date(iso + "T12:00:00Z").toLocaleDateString("en-GB", {weekday: "long", day: "numeric",
          month: "long", year: "numeric", timeZone: "UTC"});
      },
      clock: function (seconds) {
        var h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60);
        return (h < 10 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m;
      }
    },
    fr: {
      attribution: "Communes : INSEE COG 2026, contours IGN ADMIN EXPRESS 2018 ; sites : sièges UNML 2026, " +
        "annuaire DILA 2014–2017 ; zones : UNML, janvier 2026",
      population: function (p) { return p + " habitants"; },
      toNearest: function (d, site) { return d + " du site le plus proche : " + site; },
      toOwn: function (d, site, mission) { return d + " du site le plus proche de sa mission locale (" + mission +
        ") : " + site; },
      noOwn: "aucun site ouvert de sa mission locale",
      hypothetical: " (fictif)",
      nearestFor: function (communes, population) {
        return "site le plus proche pour " + communes + " communes, " + population + " habitants";
      },
      catchmentServed: function (communes, population) { return communes + " communes, " + population + " habitants"; },
      catchmentDistances: function (mean, max) { return "moyenne pondérée " + mean + ", maximum " + max; },
      legendNearest: "Distance au site le plus proche",
      legendOwn: "Distance au site de sa mission locale",
      classes: function (bounds) {
        var labels = ["jusqu'à " + bounds[0]];
        for (var i = 1; i < bounds.length; i += 1) labels.push("de " + bounds[i - 1] + " à " + bounds[i]);
        labels.push("au-delà de " + bounds[bounds.length - 1]);
        return labels;
      },
      noDistance: "aucun site de sa mission locale",
      zoneOutline: "contour de la zone d'une mission locale",
      mismatch: "commune plus proche d'un site d'une autre mission locale",
      areaHeaders: ["Territoire", "Communes", "Habitants", "Moyenne pondérée", "Médiane pondérée",
        "Commune la plus éloignée"],
      beyond: function (t) { return "Habitants à plus de " + t; },
      missionHeaders: ["Mission locale", "Sites", "Communes de sa zone", "Site le plus proche pour … communes",
        "Habitants de ces communes", "Moyenne pondérée", "Commune la plus éloignée"],
      method: function () {
        return "Distances géodésiques (ellipsoïde WGS84) du point de référence de chaque commune " +
          "(ST_PointOnSurface) au site ouvert le plus proche ; les sites remplacés ou écartés ne comptent pas.";
      },
      dataset: function (name, d) {
        var loaded = new Date(d.loaded_at);
        var when = Number.isNaN(loaded.getTime()) ? d.loaded_at : loaded.toLocaleDateString("fr-FR");
        return name + " : " + d.source + " — " + d.vintage + " (" + d.file + ", " + int(d.rows) + " lignes, chargé le " +
          when + ")";
      },
      datasetNames: {communes: "Communes", missions: "Sites", zones: "Zones des missions locales"},
      legendTransit: function (mode) { return "Temps en TER jusqu'à sa mission locale (" + mode + ")"; },
      modes: {walk: "à pied", bike: "à vélo"},
      minuteClasses: ["jusqu'à 30 min", "de 30 à 60 min", "de 60 à 90 min", "plus de 90 min"],
      noTrip: function (cutoff) { return "aucun trajet arrivant avant " + cutoff; },
      noTarget: "sans site de sa mission locale",
      transitScope: function (date, start, p) {
        return "Trains et cars TER de la SNCF seulement (pas de bus urbains) ; horaires du " + date + ", départ à " +
          start + " ; jusqu'aux arrêts à pied (" + number(p.walk_max_m / 1000, 0) + NBSP + "km au plus) ou à vélo (" +
          number(p.bike_max_m / 1000, 0) + NBSP + "km au plus)";
      },
      date: function (iso) {
        return new Date(iso + "T12:00:00Z").toLocaleDateString("fr-FR", {weekday: "long", day: "numeric",
          month: "long", year: "numeric", timeZone: "UTC"});
      },
      clock: function (seconds) {
        var h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60);
        return h + NBSP + "h" + (m ? " " + (m < 10 ? "0" : "") + m : "");
      }
    }
  }[LANG];

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  // --- styles ------------------------------------------------------------------------------

  function classIndex(distanceM, thresholdsKm) {
    var index = 0;
    while (index < thresholdsKm.length && distanceM > thresholdsKm[index] * 1000) index += 1;
    return Math.min(index, PALETTE.length - 1);
  }

  function colour(distanceM, thresholdsKm) {
    return missing(distanceM) ? NO_DISTANCE_COLOUR : PALETTE[classIndex(distanceM, thresholdsKm)];
  }

  function communeStyle(distanceM, thresholdsKm) {
    return {fillColor: colour(distanceM, thresholdsKm), fillOpacity: 0.8, color: "#555", weight: 0.3};
  }

  /* A commune's colour by its time by TER (properties[field], e.g. own_walk_minutes, from
   * GET /coverage/transit/communes?format=geojson): a class of minutes; no trip in its own colour;
   * grey when it has no such target (<target>_routed false). */
  function minuteColour(properties, field) {
    var target = field.split("_")[0];
    if (!properties[target + "_routed"]) return NO_DISTANCE_COLOUR;
    var minutes = properties[field];
    if (missing(minutes)) return NO_TRIP_COLOUR;
    var index = 0;
    while (index < MINUTE_BOUNDS.length && minutes > MINUTE_BOUNDS[index]) index += 1;
    return MINUTE_PALETTE[index];
  }

  // --- the map -----------------------------------------------------------------------------

  function hatchPattern(container) {
    // the mismatch layer's fill: a hatch that lets the choropleth's colours show through
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("width", "0");
    svg.setAttribute("height", "0");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.style.position = "absolute";
    var pattern = document.createElementNS(ns, "pattern");
    pattern.setAttribute("id", HATCH_ID);
    pattern.setAttribute("patternUnits", "userSpaceOnUse");
    pattern.setAttribute("width", "7");
    pattern.setAttribute("height", "7");
    pattern.setAttribute("patternTransform", "rotate(45)");
    var line = document.createElementNS(ns, "rect");
    line.setAttribute("width", "2.5");
    line.setAttribute("height", "7");
    line.setAttribute("fill", MISMATCH_COLOUR);
    pattern.appendChild(line);
    var defs = document.createElementNS(ns, "defs");
    defs.appendChild(pattern);
    svg.appendChild(defs);
    container.appendChild(svg);
  }

  function createMap(element) {
    var map = L.map(element, {zoomSnap: 0.25});
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution(TEXT.attribution);
    // above the communes and catchments (overlayPane, 400), below the sites (markerPane, 600)
    map.createPane("mismatch").style.zIndex = 420;
    map.createPane("zones").style.zIndex = 450;
    hatchPattern(map.getContainer());
    return map;
  }

  function communeTooltip(properties, names) {
    var p = properties;
    var box = el("div");
    box.appendChild(el("strong", p.nom + " (" + p.code + ")"));
    box.appendChild(el("div", TEXT.population(int(p.population))));
    box.appendChild(el("div", TEXT.toNearest(km(p.distance_m), p.site_name)));
    if (p.own_mission_locale !== undefined && p.own_mission_locale !== null) {
      if (missing(p.own_distance_m)) box.appendChild(el("div", TEXT.noOwn));
      else {
        var site = (names && names.sites[p.own_site_id]) || p.own_site_id;
        var mission = (names && names.missions[p.own_mission_locale]) || p.own_mission_locale;
        box.appendChild(el("div", TEXT.toOwn(km(p.own_distance_m), site, mission)));
      }
    }
    return box;
  }

  /* One polygon per commune, coloured by class of `options.field` (distance_m: to the nearest
   * site; own_distance_m: to its own mission locale's nearest site). geojson may be null: fill it
   * later with addData. layer.geosvcByCode: each commune's polygon; layer.geosvcField. */
  function choropleth(geojson, thresholdsKm, options) {
    var field = (options && options.field) || "distance_m";
    var names = options && options.names;
    var byCode = {};
    var layer = L.geoJSON(geojson, {
      style: function (feature) { return communeStyle(feature.properties[field], thresholdsKm); },
      onEachFeature: function (feature, featureLayer) {
        byCode[feature.properties.code] = featureLayer;
        featureLayer.bindTooltip(function () { return communeTooltip(feature.properties, names); }, {sticky: true});
      }
    });
    layer.geosvcByCode = byCode;
    layer.geosvcField = field;
    return layer;
  }

  /* The communes coloured by their time by TER (`field`, e.g. own_walk_minutes); empty: fill it with
   * addData. Tooltips: describe(feature). */
  function transitLayer(field, describe) {
    return L.geoJSON(null, {
      style: function (feature) {
        return {fillColor: minuteColour(feature.properties, field), fillOpacity: 0.8, color: "#555", weight: 0.3};
      },
      onEachFeature: function (feature, featureLayer) {
        featureLayer.bindTooltip(function () { return describe(feature); }, {sticky: true});
      }
    });
  }

  function hue(text) {
    var hash = 0;
    for (var i = 0; i < text.length; i += 1) hash = (hash * 31 + text.charCodeAt(i)) % 360;
    return hash;
  }

  function catchmentLayer(geojson) {
    return L.geoJSON(geojson, {
      style: function (feature) {
        // one colour per mission locale (a site's catchment takes its mission locale's), else per site
        var key = feature.properties.mission_locale || feature.properties.code || feature.properties.id;
        return {color: "#222", weight: 1.2, fillColor: "hsl(" + hue(key) + ",60%,55%)", fillOpacity: 0.35};
      },
      onEachFeature: function (feature, featureLayer) {
        var p = feature.properties;
        featureLayer.bindTooltip(function () {
          var box = el("div");
          box.appendChild(el("strong", p.name));
          if (p.communes !== undefined) {
            box.appendChild(el("div", TEXT.catchmentServed(int(p.communes), int(p.population))));
            box.appendChild(el("div", TEXT.catchmentDistances(km(p.weighted_mean_distance_m), km(p.max_distance_m))));
          }
          if (p.area_km2 !== undefined) box.appendChild(el("div", int(Math.round(p.area_km2)) + NBSP + "km²"));
          return box;
        }, {sticky: true});
      }
    });
  }

  /* The outlines of the missions locales' zones (GET /missions-locales/{code}/zone features, added
   * with addData as they come), in their own pane above the communes. Unfilled: the communes
   * under them keep their tooltips; an outline's own tooltip is `describe(feature)`; `onEach(feature,
   * featureLayer)`, if given, is called for each zone before it is drawn. */
  function zonesLayer(describe, onEach) {
    return L.geoJSON(null, {
      pane: "zones",
      style: function () { return {color: ZONE_COLOUR, weight: 2, opacity: 0.9, fill: false}; },
      onEachFeature: function (feature, featureLayer) {
        featureLayer.bindTooltip(function () { return describe(feature); }, {sticky: true});
        if (onEach) onEach(feature, featureLayer);
      }
    });
  }

  function zoneStyle(selected) {
    return selected ? {color: ZONE_SELECTED_COLOUR, weight: 4, opacity: 1} : {color: ZONE_COLOUR, weight: 2, opacity: 0.9};
  }

  /* The communes whose nearest site belongs to another mission locale than their own
   * (GET /coverage/assignment?format=geojson): hatched, over the choropleth. */
  function mismatchLayer(geojson, describe) {
    return L.geoJSON(geojson, {
      pane: "mismatch",
      style: function () {
        return {color: MISMATCH_COLOUR, weight: 1, opacity: 0.9, fillColor: "url(#" + HATCH_ID + ")", fillOpacity: 0.9};
      },
      onEachFeature: function (feature, featureLayer) {
        featureLayer.bindTooltip(function () { return describe(feature); }, {sticky: true});
      }
    });
  }

  function sitesLayer(sites) {
    var group = L.layerGroup();
    sites.forEach(function (site) {
      var marker = L.circleMarker([site.lat, site.lon], {
        pane: "markerPane",  // above the commune and catchment polygons, whatever the order they are added
        radius: site.hypothetical ? 7 : 5, weight: 2, color: "#fff",
        fillColor: site.hypothetical ? HYPOTHETICAL_COLOUR : SITE_COLOUR, fillOpacity: 1
      });
      marker.bindTooltip(function () {
        var box = el("div");
        box.appendChild(el("strong", site.name));
        box.appendChild(el("div", site.id + (site.hypothetical ? TEXT.hypothetical : "")));
        if (site.mission_locale) box.appendChild(el("div", site.mission_locale_name + " (" + site.mission_locale + ")"));
        if (site.communes !== undefined) {
          box.appendChild(el("div", TEXT.nearestFor(int(site.communes), int(site.population))));
        }
        return box;
      });
      group.addLayer(marker);
    });
    return group;
  }

  function swatch(className, background) {
    var node = el("span", null, "swatch" + (className ? " " + className : ""));
    if (background) node.style.background = background;
    return node;
  }

  /* The legend: the classes of the distance shown (options.own: to one's own mission locale),
   * then the outlines and hatches shown (options.zones, options.mismatch). control.update(options)
   * redraws it. */
  function legend(map, thresholdsKm, options) {
    var control = L.control({position: "bottomright"});
    var current = options || {};
    var box = el("div", null, "geosvc-legend");

    function draw() {
      box.textContent = "";
      if (current.transit) { drawTransit(box, current.transit); return; }
      box.appendChild(el("strong", current.own ? TEXT.legendOwn : TEXT.legendNearest));
      var labels = TEXT.classes(thresholdsKm.map(kmBound));
      labels.forEach(function (label, index) {
        var row = el("div");
        row.appendChild(swatch(null, PALETTE[Math.min(index, PALETTE.length - 1)]));
        row.appendChild(el("span", label));
        box.appendChild(row);
      });
      if (current.own) {
        var none = el("div");
        none.appendChild(swatch(null, NO_DISTANCE_COLOUR));
        none.appendChild(el("span", TEXT.noDistance));
        box.appendChild(none);
      }
      if (current.zones) {
        var zone = el("div");
        zone.appendChild(swatch("outline"));
        zone.appendChild(el("span", TEXT.zoneOutline));
        box.appendChild(zone);
      }
      if (current.mismatch) {
        var hatch = el("div");
        hatch.appendChild(swatch("hatch"));
        hatch.appendChild(el("span", TEXT.mismatch));
        box.appendChild(hatch);
      }
    }

    control.onAdd = function () { draw(); return box; };
    control.update = function (changes) {
      Object.keys(changes).forEach(function (key) { current[key] = changes[key]; });
      draw();
      return control;
    };
    control.addTo(map);
    return control;
  }

  function legendRow(box, colour, label) {
    var row = el("div");
    row.appendChild(swatch(null, colour));
    row.appendChild(el("span", label));
    box.appendChild(row);
  }

  /* The TER legend: its classes, then what the times include and the timetable's date and
   * attribution (required by its licence), from the layer's `timetable` member. */
  function drawTransit(box, transit) {
    box.appendChild(el("strong", TEXT.legendTransit(TEXT.modes[transit.mode])));
    TEXT.minuteClasses.forEach(function (label, index) { legendRow(box, MINUTE_PALETTE[index], label); });
    var timetable = transit.timetable;
    var p = timetable ? timetable.parameters : null;
    legendRow(box, NO_TRIP_COLOUR, TEXT.noTrip(p ? TEXT.clock(p.cutoff_s) : "–"));
    legendRow(box, NO_DISTANCE_COLOUR, TEXT.noTarget);
    if (!timetable) return;
    [TEXT.transitScope(TEXT.date(timetable.service_date), TEXT.clock(p.start_s), p), timetable.attribution]
      .forEach(function (text) {
        var note = el("p", text, "legend-note");
        note.style.maxWidth = "17rem";  // CSSOM, which the Content-Security-Policy allows
        note.style.fontSize = "0.85em";
        note.style.margin = "0.3rem 0 0";
        box.appendChild(note);
      });
  }

  // --- tables ------------------------------------------------------------------------------

  function table(element, headers, rows) {
    element.textContent = "";
    var head = el("thead");
    var headRow = el("tr");
    headers.forEach(function (header) { headRow.appendChild(el("th", header)); });
    head.appendChild(headRow);
    element.appendChild(head);
    var body = el("tbody");
    rows.forEach(function (cells) {
      var row = el("tr");
      cells.forEach(function (cell, index) { row.appendChild(el(index === 0 ? "th" : "td", cell)); });
      body.appendChild(row);
    });
    element.appendChild(body);
  }

  function areaRows(areas) {
    return areas.map(function (area) {
      var cells = [area.nom + (area.level === "region" ? "" : " (" + area.code + ")"), int(area.communes),
        int(area.population), km(area.weighted_mean_distance_m), km(area.weighted_median_distance_m),
        km(area.max_distance_m)];
      area.beyond.forEach(function (beyond) { cells.push(pct(beyond.population_share)); });
      return cells;
    });
  }

  function areasTable(element, indicators, areas) {
    var headers = TEXT.areaHeaders.slice();
    indicators.thresholds_km.forEach(function (t) { headers.push(TEXT.beyond(kmBound(t))); });
    table(element, headers, areaRows(areas));
  }

  function missionsLocalesTable(element, missionsLocales) {
    var rows = missionsLocales.map(function (m) {
      return [m.name + " (" + m.code + ")", int(m.sites.length), int(m.zone_communes), int(m.communes),
        int(m.population), km(m.weighted_mean_distance_m), km(m.max_distance_m)];
    });
    table(element, TEXT.missionHeaders, rows);
  }

  function provenance(element, data, method) {
    element.textContent = "";
    element.appendChild(el("p", TEXT.method(method)));
    Object.keys(data).forEach(function (name) {
      element.appendChild(el("p", TEXT.dataset(TEXT.datasetNames[name] || name, data[name])));
    });
  }

  global.GeosvcMap = {
    lang: LANG,
    createMap: createMap, choropleth: choropleth, catchmentLayer: catchmentLayer, sitesLayer: sitesLayer,
    zonesLayer: zonesLayer, zoneStyle: zoneStyle, mismatchLayer: mismatchLayer, transitLayer: transitLayer,
    minuteColour: minuteColour, transitClock: TEXT.clock, transitDate: TEXT.date,
    legend: legend, communeStyle: communeStyle, colour: colour, areasTable: areasTable,
    missionsLocalesTable: missionsLocalesTable,
    table: table, provenance: provenance, km: km, pct: pct, int: int, area: area, kmBound: kmBound,
    number: number, el: el
  };
})(window);
