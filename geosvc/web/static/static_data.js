/* The campaign page's data in a static build (`geosvc export --site DIR`, docs/CAMPAIGN.md,
   "Static build"): files instead of the API, for a host that runs no Python.

   campaign.js reads its data through a small "source" (departements, communes of a department,
   a commune's own mission locale, its outline, the autocomplete, the point query). When the page's
   root element says data-static="1", campaign.js hands its server source to
   `GeosvcStatic.source(base, tools)`, which answers three of them differently:

   - the autocomplete: search_client.js (window.GeosvcSearch, the server's matcher ported) over
     the region's index (data-autocomplete-url, search/index.json); both are fetched on the first
     focus of the field (`warm`), not with the page. The names of the rest of France
     (data-search-outside-url, search/outside.json) are fetched only when the region's answer is
     empty or only approximate (a typo, a sound) and the matcher says those names could change it
     ("paris": no commune of the region, the outside-region note); a name of the region typed as
     written, or its beginning, never loads them;
   - the point query ("use my location"): the grid's index (data-point-url, grid/index.json) says
     which cells of 1/10 degree hold communes; the cell of the position (data-grid-url,
     grid/CODE.json, CODE being "x_y") lists every commune whose polygon comes within 2 km of it,
     as GeoJSON (coordinates to 5 decimals, about 1 m); the commune containing the point, else
     the nearest within 2 km measured in Lambert-93 (the service's rule and projection), else
     "outside the region";
   - a commune's own mission locale: the file holds the API's answer for k=3, without a query.

   The geometry is plain functions (cellKey, contains, lambert93, metresTo, communeAt), also
   exported under node: tests/test_static_site.py checks them against the service's GET /nearest. */
(function (root, factory) {
  "use strict";
  var api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.GeosvcStatic = api;
}(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  // --- geometry ---------------------------------------------------------------------------------

  /** The grid cell of a position: "x_y", the floors of lon and lat times the cells per degree
      (the same double arithmetic as Python's math.floor in geosvc/campaign/site_export.py). */
  function cellKey(lon, lat, perDegree) {
    return Math.floor(lon * perDegree) + "_" + Math.floor(lat * perDegree);
  }

  function polygonsOf(geometry) {
    return geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  }

  /** Even-odd ray casting; a ring is [[lon, lat], ...], closed. */
  function inRing(x, y, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }

  /** Whether a GeoJSON Polygon or MultiPolygon contains the point (holes excluded). */
  function contains(geometry, lon, lat) {
    return polygonsOf(geometry).some(function (rings) {
      if (!inRing(lon, lat, rings[0])) return false;
      for (var h = 1; h < rings.length; h++) if (inRing(lon, lat, rings[h])) return false;
      return true;
    });
  }

  // Lambert-93 (EPSG:2154: Lambert conformal conic on GRS80, standard parallels 44 and 49 degrees
  // north, origin 46.5 N 3 E, false easting 700,000 m and northing 6,600,000 m), as the service
  // measures a position's distance to a polygon (geosvc/core/point_index.py, with pyproj)
  var L93 = (function () {
    var a = 6378137, f = 1 / 298.257222101, e = Math.sqrt(2 * f - f * f);
    var radians = Math.PI / 180;
    function m(phi) { return Math.cos(phi) / Math.sqrt(1 - e * e * Math.sin(phi) * Math.sin(phi)); }
    function t(phi) {
      return Math.tan(Math.PI / 4 - phi / 2) / Math.pow((1 - e * Math.sin(phi)) / (1 + e * Math.sin(phi)), e / 2);
    }
    var phi1 = 49 * radians, phi2 = 44 * radians, phi0 = 46.5 * radians;
    var n = (Math.log(m(phi1)) - Math.log(m(phi2))) / (Math.log(t(phi1)) - Math.log(t(phi2)));
    var aF = a * m(phi1) / (n * Math.pow(t(phi1), n));
    return { e: e, n: n, aF: aF, rho0: aF * Math.pow(t(phi0), n), lon0: 3 * radians, t: t };
  }());

  /** [x, y] in Lambert-93 metres of a WGS84 position. */
  function lambert93(lon, lat) {
    var rho = L93.aF * Math.pow(L93.t(lat * Math.PI / 180), L93.n);
    var theta = L93.n * (lon * Math.PI / 180 - L93.lon0);
    return [700000 + rho * Math.sin(theta), 6600000 + L93.rho0 - rho * Math.cos(theta)];
  }

  /** Metres from the point to the polygon: 0 inside, else to its nearest edge, in Lambert-93. */
  function metresTo(geometry, lon, lat) {
    if (contains(geometry, lon, lat)) return 0;
    var here = lambert93(lon, lat);
    var best = Infinity;
    polygonsOf(geometry).forEach(function (rings) {
      rings.forEach(function (ring) {
        var previous = lambert93(ring[0][0], ring[0][1]);
        for (var i = 1; i < ring.length; i++) {
          var next = lambert93(ring[i][0], ring[i][1]);
          var ax = previous[0] - here[0], ay = previous[1] - here[1];
          var bx = next[0] - here[0], by = next[1] - here[1];
          previous = next;
          var dx = bx - ax, dy = by - ay;
          var length2 = dx * dx + dy * dy;
          var t = length2 ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / length2)) : 0;
          var px = ax + t * dx, py = ay + t * dy;
          best = Math.min(best, Math.sqrt(px * px + py * py));
        }
      });
    });
    return best;
  }

  /** The service's rule (geosvc/core/point_index.py): the commune containing the point (the
      smallest code if two do), else the nearest within toleranceM (ties: smallest code), else
      null. `cell` is a grid cell's FeatureCollection. */
  function communeAt(cell, lon, lat, toleranceM) {
    var best = null;
    cell.features.forEach(function (feature) {
      var code = feature.properties.code;
      var metres = metresTo(feature.geometry, lon, lat);
      if (metres <= toleranceM && (best === null || metres < best.distance_m ||
          (metres === best.distance_m && code < best.code))) {
        best = { code: code, distance_m: Math.round(metres * 10) / 10 };
      }
    });
    return best;
  }

  // --- the files --------------------------------------------------------------------------------

  function failure(code, message) {
    var error = new Error(message);
    error.code = code;
    return error;
  }

  function aborted() {
    var error = new Error("aborted");
    error.name = "AbortError";
    return error;
  }

  /** A script of the build, added once (the page's CSP, where a host sets one, allows 'self'). */
  function loadScript(src, global) {
    if (window[global]) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = function () { resolve(); };
      script.onerror = function () {
        script.remove();
        reject(failure("script_unavailable", "le fichier " + src + " n’a pas pu être chargé"));
      };
      document.head.appendChild(script);
    });
  }

  /** A promise made once, and made again after it failed (the next keystroke retries). */
  function once(make) {
    var promise = null;
    return function () {
      if (!promise) {
        promise = make();
        promise.catch(function () { promise = null; });
      }
      return promise;
    };
  }

  /** Every commune of the answer is only near the query (a typo, a sound), or there is none. */
  function approximate(answer) {
    return answer.communes.every(function (commune) {
      return commune.matched === "fuzzy" || commune.matched === "sound";
    });
  }

  /** An answer of GeosvcSearch, or its error thrown as the API's would be. */
  function checked(answer) {
    if (answer.error) throw failure(answer.error.code, answer.error.message);
    return answer;
  }

  /** The static build's source: `base` (campaign.js's server source) with the autocomplete, the
      point query and the own-mission-locale answer read from files. tools: {urls (the root's
      dataset), getJSON(address), url(template, code)}. */
  function source(base, tools) {
    var urls = tools.urls;
    var getJSON = tools.getJSON;
    var url = tools.url;

    var searchIndex = once(function () {
      return Promise.all([
        loadScript(url(urls.searchScriptUrl), "GeosvcSearch"), getJSON(url(urls.autocompleteUrl)),
      ]).then(function (loaded) { return window.GeosvcSearch.load(loaded[1]); });
    });
    var withOutside = once(function () {
      return Promise.all([searchIndex(), getJSON(url(urls.searchOutsideUrl))]).then(function (loaded) {
        window.GeosvcSearch.addOutside(loaded[0], loaded[1]);
        return loaded[0];
      });
    });
    var grid = once(function () { return getJSON(url(urls.pointUrl)); });
    var cells = {};

    function autocomplete(query, limit, signal) {
      return searchIndex().then(function (index) {
        var answer = checked(window.GeosvcSearch.autocomplete(index, query, { limit: limit }));
        if (!answer.needs_outside || !approximate(answer)) return answer;
        return withOutside().then(function () {
          return checked(window.GeosvcSearch.autocomplete(index, query, { limit: limit }));
        });
      }).then(function (answer) {
        if (signal && signal.aborted) throw aborted();
        delete answer.needs_outside;
        return answer;
      });
    }

    function cell(key) {
      if (!cells[key]) {
        cells[key] = getJSON(url(urls.gridUrl, key));
        cells[key].catch(function () { delete cells[key]; });
      }
      return cells[key];
    }

    /** As GET /nearest?lon=&lat= for the page: {point, commune: {code, distance_m}}. */
    function point(lon, lat) {
      return grid().then(function (index) {
        var key = cellKey(lon, lat, index.cells_per_degree);
        if (index.cells.indexOf(key) < 0) return null;
        return cell(key).then(function (features) { return communeAt(features, lon, lat, index.tolerance_m); });
      }).then(function (commune) {
        if (!commune) throw failure("outside_region", "the point is outside Hauts-de-France");
        return { point: { lon: lon, lat: lat }, commune: commune };
      });
    }

    var out = {};
    Object.keys(base).forEach(function (name) { out[name] = base[name]; });
    out.warm = function () { searchIndex().catch(function () { /* said when a search needs it */ }); };
    out.autocomplete = autocomplete;
    out.point = point;
    out.missionLocale = function (code) { return getJSON(url(urls.missionLocaleUrl, code)); };
    return out;
  }

  return {
    source: source, cellKey: cellKey, contains: contains, lambert93: lambert93, metresTo: metresTo, communeAt: communeAt,
  };
}));
