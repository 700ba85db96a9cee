/* Drawing the coverage: map layers and tables, shared by the analyst page (/analyse) and
 * the report's standalone map. No network access here: callers pass the data in.
 * No tile layer either, on purpose: the map must draw with no tile server reachable. */
(function (global) {
  "use strict";

  // distance classes: green (near) to dark red (far); one more colour than thresholds
  var PALETTE = ["#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fc8d59", "#d73027", "#7f0000",
                 "#4d0000", "#330000", "#1a0000", "#000000"];
  var SITE_COLOUR = "#08306b";
  var HYPOTHETICAL_COLOUR = "#c51b8a";

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function km(metres) {
    return metres === null || metres === undefined ? "–" : (metres / 1000).toFixed(1) + " km";
  }

  function pct(share) {
    return share === null || share === undefined ? "–" : (share * 100).toFixed(1) + " %";
  }

  function int(value) {
    return value === null || value === undefined ? "–" : Number(value).toLocaleString("en-GB");
  }

  function colour(distanceM, thresholdsKm) {
    var index = 0;
    while (index < thresholdsKm.length && distanceM > thresholdsKm[index] * 1000) index += 1;
    return PALETTE[Math.min(index, PALETTE.length - 1)];
  }

  function communeStyle(distanceM, thresholdsKm) {
    return {fillColor: colour(distanceM, thresholdsKm), fillOpacity: 0.8, color: "#555", weight: 0.3};
  }

  function createMap(element) {
    var map = L.map(element, {zoomSnap: 0.25});
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution(
      "Communes: INSEE COG 2026, IGN ADMIN EXPRESS 2018 boundaries; sites: DILA directory 2014–2015");
    return map;
  }

  function communeTooltip(properties) {
    var box = el("div");
    box.appendChild(el("strong", properties.nom + " (" + properties.code + ")"));
    box.appendChild(el("div", "population " + int(properties.population)));
    box.appendChild(el("div", km(properties.distance_m) + " to " + properties.site_name));
    return box;
  }

  function choropleth(geojson, thresholdsKm) {
    var byCode = {};
    var layer = L.geoJSON(geojson, {
      style: function (feature) { return communeStyle(feature.properties.distance_m, thresholdsKm); },
      onEachFeature: function (feature, featureLayer) {
        byCode[feature.properties.code] = featureLayer;
        featureLayer.bindTooltip(function () { return communeTooltip(feature.properties); }, {sticky: true});
      }
    });
    layer.geosvcByCode = byCode;
    return layer;
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
            box.appendChild(el("div", int(p.communes) + " communes, population " + int(p.population)));
            box.appendChild(el("div", "weighted mean " + km(p.weighted_mean_distance_m) + ", max " +
              km(p.max_distance_m)));
          }
          if (p.area_km2 !== undefined) box.appendChild(el("div", int(Math.round(p.area_km2)) + " km²"));
          return box;
        }, {sticky: true});
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
        box.appendChild(el("div", site.id + (site.hypothetical ? " (hypothetical)" : "")));
        if (site.mission_locale) box.appendChild(el("div", site.mission_locale_name + " (" + site.mission_locale + ")"));
        if (site.communes !== undefined) {
          box.appendChild(el("div", "nearest for " + int(site.communes) + " communes, population " +
            int(site.population)));
        }
        return box;
      });
      group.addLayer(marker);
    });
    return group;
  }

  function legend(map, thresholdsKm) {
    var control = L.control({position: "bottomright"});
    control.onAdd = function () {
      var box = el("div", null, "geosvc-legend");
      box.appendChild(el("strong", "Distance to the nearest site"));
      var bounds = [0].concat(thresholdsKm);
      bounds.forEach(function (lower, index) {
        var row = el("div");
        var swatch = el("span", null, "swatch");
        swatch.style.background = PALETTE[Math.min(index, PALETTE.length - 1)];
        row.appendChild(swatch);
        var upper = thresholdsKm[index];
        row.appendChild(el("span", upper === undefined ? "over " + lower + " km" : lower + "–" + upper + " km"));
        box.appendChild(row);
      });
      return box;
    };
    control.addTo(map);
    return control;
  }

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
    var headers = ["Area", "Communes", "Population", "Weighted mean", "Weighted median", "Farthest"];
    indicators.thresholds_km.forEach(function (t) { headers.push("Pop. beyond " + t + " km"); });
    table(element, headers, areaRows(areas));
  }

  function missionsLocalesTable(element, missionsLocales) {
    var rows = missionsLocales.map(function (m) {
      return [m.name + " (" + m.code + ")", int(m.sites.length), int(m.zone_communes), int(m.communes),
        int(m.population), km(m.weighted_mean_distance_m), km(m.max_distance_m)];
    });
    table(element, ["Mission locale", "Sites", "Zone communes", "Nearest for communes", "Population",
      "Weighted mean", "Farthest"], rows);
  }

  function provenance(element, data, method) {
    element.textContent = "";
    element.appendChild(el("p", "Distances: " + method + "."));
    Object.keys(data).forEach(function (name) {
      var d = data[name];
      element.appendChild(el("p", name + ": " + d.source + " — " + d.vintage + " (" + d.file + ", " + d.rows +
        " rows, loaded " + d.loaded_at + ")"));
    });
  }

  global.GeosvcMap = {
    createMap: createMap, choropleth: choropleth, catchmentLayer: catchmentLayer, sitesLayer: sitesLayer,
    legend: legend, communeStyle: communeStyle, areasTable: areasTable,
    missionsLocalesTable: missionsLocalesTable,
    table: table, provenance: provenance, km: km, pct: pct, int: int, el: el
  };
})(window);
