/* The report's standalone map: the same drawing as /analyse (coverage_map.js), from data
 * inlined in the page instead of fetched, so it works offline. */
(function () {
  "use strict";
  var G = window.GeosvcMap;
  var LAYER_NAMES = {site: "Catchments by site", mission_locale: "Catchments by mission locale",
                     voronoi: "Voronoi cells of the sites"};

  function inlined(id) { return JSON.parse(document.getElementById(id).textContent); }

  var indicators = inlined("geosvc-indicators");
  var map = G.createMap("map");
  var communes = G.choropleth(inlined("geosvc-communes"), indicators.thresholds_km).addTo(map);
  map.fitBounds(communes.getBounds());
  var overlays = {"Distance by commune": communes, "Sites": G.sitesLayer(indicators.sites).addTo(map)};
  Object.keys(LAYER_NAMES).forEach(function (name) {
    var element = document.getElementById("geosvc-layer-" + name);
    if (element) overlays[LAYER_NAMES[name]] = G.catchmentLayer(JSON.parse(element.textContent));
  });
  L.control.layers(null, overlays, {collapsed: false}).addTo(map);
  G.legend(map, indicators.thresholds_km);
  G.areasTable(document.getElementById("areas-table"), indicators,
    [indicators.region].concat(indicators.departements));
  G.missionsLocalesTable(document.getElementById("missions-locales-table"), indicators.missions_locales);
  G.provenance(document.getElementById("provenance"), indicators.data, indicators.method);
  document.body.classList.add("ready");
})();
