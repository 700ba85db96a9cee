/* The campaign page: find the nearest mission locale from a commune name (autocomplete),
   a department -> commune choice, or the device's position.

   Served as a file (the Content-Security-Policy allows no inline script). The API URLs
   come from data-* attributes of <body>, filled by the server (url_for). The map uses
   Leaflet served by the app, with no tile layer: no tile server is needed or contacted,
   the commune outline and the sites are drawn on a plain background. */
(function () {
  "use strict";

  var urls = document.body.dataset;
  var AUTOCOMPLETE_DELAY_MS = 120;
  var AUTOCOMPLETE_LIMIT = 10;
  // 3 decimals of a degree: about 100 m, plenty to find the nearest office, and less
  // precise than the device's position, which never leaves the page at full precision.
  var POSITION_DECIMALS = 3;

  var km = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 1, minimumFractionDigits: 1 });
  var $ = function (id) { return document.getElementById(id); };

  var input = $("commune-input");
  var listbox = $("commune-suggestions");
  var departementSelect = $("departement-select");
  var communeSelect = $("commune-select");
  var statusLine = $("status");
  var outsideNote = $("hors-region");
  var result = $("resultat");

  function url(template, code) { return template.replace("CODE", encodeURIComponent(code)); }

  function say(message) { statusLine.textContent = message; }

  function getJSON(address, signal) {
    return fetch(address, { headers: { Accept: "application/json" }, signal: signal }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) {
          var error = new Error(body.message || response.statusText);
          error.code = body.code;
          throw error;
        }
        return body;
      });
    });
  }

  function clear(element) { while (element.firstChild) element.removeChild(element.firstChild); }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function distanceText(metres) { return "à " + km.format(metres / 1000) + " km"; }

  // --- autocomplete: the ARIA 1.2 combobox pattern (list autocomplete, manual selection) ----

  var suggestions = [];
  var active = -1;
  var pending = null;
  var timer = null;

  function openList() {
    listbox.hidden = suggestions.length === 0;
    input.setAttribute("aria-expanded", String(suggestions.length > 0));
  }

  function closeList() {
    suggestions = [];
    active = -1;
    clear(listbox);
    listbox.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function optionText(entry) {
    var text = entry.label;
    if (entry.codesPostaux && entry.codesPostaux.length) text += " – " + entry.codesPostaux.join(", ");
    return text;
  }

  function renderSuggestions(entries) {
    clear(listbox);
    suggestions = entries;
    active = -1;
    input.removeAttribute("aria-activedescendant");
    entries.forEach(function (entry, position) {
      var option = element("li", "option", optionText(entry));
      option.id = "suggestion-" + position;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.dataset.code = entry.code;
      if (entry.matched === "former" && entry.former && entry.former.nom) {
        option.appendChild(element("span", "former", " (anciennement " + entry.former.nom + ")"));
      }
      // mousedown, not click: the input keeps the focus
      option.addEventListener("mousedown", function (event) {
        event.preventDefault();
        choose(position);
      });
      listbox.appendChild(option);
    });
    openList();
    if (!entries.length) say("Aucune commune des Hauts-de-France ne correspond à « " + input.value.trim() + " ».");
    else say("");
  }

  function highlight(position) {
    var options = listbox.querySelectorAll("[role=option]");
    if (!options.length) return;
    active = (position + options.length) % options.length;
    options.forEach(function (option, index) {
      option.setAttribute("aria-selected", String(index === active));
    });
    input.setAttribute("aria-activedescendant", options[active].id);
    options[active].scrollIntoView({ block: "nearest" });
  }

  function choose(position) {
    var entry = suggestions[position];
    if (!entry) return;
    input.value = entry.label;
    closeList();
    showCommune(entry.code);
  }

  function suggest() {
    var query = input.value.trim();
    if (pending) pending.abort();
    if (!query) { closeList(); showOutside(null); return; }
    pending = new AbortController();
    var address = urls.autocompleteUrl + "?" + new URLSearchParams({ q: query, limit: AUTOCOMPLETE_LIMIT });
    getJSON(address, pending.signal).then(function (body) {
      renderSuggestions(body.communes);
      showOutside(body.hint && body.hint.outside_region, query, body.communes.length);
    }).catch(function (error) {
      if (error.name === "AbortError") return;
      closeList();
      showOutside(null);
      say(error.code === "invalid_query" ? "Tape des lettres ou un code postal." : "La recherche n’a pas abouti : " + error.message);
    });
  }

  // A commune elsewhere in France (hint.outside_region): say so, and where to look instead.
  // Nothing found at all: say that too, rather than an empty list that looks broken.
  function showOutside(outside, query, found) {
    clear(outsideNote);
    outsideNote.hidden = !outside && (found !== 0 || !query);
    if (outside) {
      outsideNote.appendChild(document.createTextNode(outside.nom + " (" + outside.departement + ") n’est pas dans " +
        "les Hauts-de-France : cette page ne connaît que les missions locales de la région. Pour trouver la tienne, " +
        "cherche « mission locale » et ta commune dans "));
      var link = element("a", null, "l’annuaire national des services publics");
      link.href = urls.nationalDirectoryUrl;
      outsideNote.appendChild(link);
      outsideNote.appendChild(document.createTextNode("."));
    } else if (found === 0 && query) {
      outsideNote.textContent = "Aucune commune des Hauts-de-France ne correspond à « " + query + " ». " +
        "Vérifie l’orthographe, ou tape le code postal.";
    }
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(suggest, AUTOCOMPLETE_DELAY_MS);
  });

  input.addEventListener("keydown", function (event) {
    var open = !listbox.hidden;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (open) highlight(active + 1); else suggest();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (open) highlight(active - 1);
    } else if (event.key === "Enter") {
      if (open) {
        event.preventDefault();
        choose(active >= 0 ? active : 0);  // Enter without arrows takes the best match
      }
    } else if (event.key === "Escape") {
      if (open) closeList(); else input.value = "";
    } else if (event.key === "Tab") {
      closeList();
    }
  });

  input.addEventListener("blur", function () { setTimeout(closeList, 0); });

  // --- department -> commune ------------------------------------------------------------

  function loadDepartements() {
    getJSON(urls.departementsUrl).then(function (body) {
      body.departements.forEach(function (departement) {
        var option = element("option", null, departement.nom + " (" + departement.code + ")");
        option.value = departement.code;
        departementSelect.appendChild(option);
      });
      showVintage(body.data);
    }).catch(function (error) {
      say("Les départements n’ont pas pu être chargés : " + error.message);
    }).then(function () { document.body.classList.add("ready"); });  // for the browser tests
  }

  function resetCommuneSelect(text) {
    clear(communeSelect);
    var placeholder = element("option", null, text);
    placeholder.value = "";
    communeSelect.appendChild(placeholder);
  }

  departementSelect.addEventListener("change", function () {
    var code = departementSelect.value;
    communeSelect.disabled = true;
    if (!code) { resetCommuneSelect("Choisis d’abord ton département"); return; }
    resetCommuneSelect("Chargement…");
    getJSON(url(urls.feedUrl, code)).then(function (feed) {
      resetCommuneSelect("Choisis ta commune (" + feed.count + ")");
      var fragment = document.createDocumentFragment();
      feed.communes.forEach(function (commune) {
        var option = element("option", null, optionText(commune));
        option.value = commune.code;
        fragment.appendChild(option);
      });
      communeSelect.appendChild(fragment);
      communeSelect.disabled = false;
    }).catch(function (error) {
      resetCommuneSelect("Indisponible");
      say("Les communes n’ont pas pu être chargées : " + error.message);
    });
  });

  communeSelect.addEventListener("change", function () {
    if (communeSelect.value) showCommune(communeSelect.value);
  });

  // --- use my location ------------------------------------------------------------------

  $("locate").addEventListener("click", function () {
    if (!("geolocation" in navigator)) { say("Ton navigateur ne donne pas ta position : tape le nom de ta commune."); return; }
    say("Recherche de ta position…");
    navigator.geolocation.getCurrentPosition(function (position) {
      var factor = Math.pow(10, POSITION_DECIMALS);
      var lon = Math.round(position.coords.longitude * factor) / factor;
      var lat = Math.round(position.coords.latitude * factor) / factor;
      showPoint(lon, lat);
    }, function (error) {
      say(error.code === error.PERMISSION_DENIED
        ? "Tu n’as pas autorisé l’accès à ta position : tape le nom de ta commune."
        : "Ta position n’a pas pu être trouvée : tape le nom de ta commune.");
    }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 });
  });

  // --- the answer -----------------------------------------------------------------------

  var sequence = 0;  // only the latest request may draw the card

  function showCommune(code) {
    var ticket = ++sequence;
    say("Recherche de la mission locale la plus proche…");
    Promise.all([getJSON(url(urls.nearestUrl, code) + "?k=3"), getJSON(url(urls.outlineUrl, code))])
      .then(function (answers) {
        if (ticket !== sequence) return;
        var commune = answers[0].commune;
        render("Depuis " + commune.nom + " (" + commune.departement + ")", answers[0].missions, answers[1], null);
      })
      .catch(function (error) { if (ticket === sequence) say("La recherche n’a pas abouti : " + error.message); });
  }

  function showPoint(lon, lat) {
    var ticket = ++sequence;
    var address = urls.pointUrl + "?" + new URLSearchParams({ lon: lon, lat: lat, k: 3 });
    getJSON(address).then(function (answer) {
      return getJSON(url(urls.outlineUrl, answer.commune.code)).then(function (outline) {
        if (ticket !== sequence) return;
        render("Depuis ta position, à " + answer.commune.nom + " (" + answer.commune.departement + ")",
          answer.missions, outline, [lat, lon]);
      });
    }).catch(function (error) {
      if (ticket !== sequence) return;
      say(error.code === "outside_region"
        ? "Ta position semble hors des Hauts-de-France : tape le nom de ta commune."
        : "La recherche n’a pas abouti : " + error.message);
    });
  }

  function render(origin, missions, outline, here) {
    if (!missions.length) { say("Aucune mission locale n’est disponible pour le moment."); return; }
    var first = missions[0];
    $("origine").textContent = origin;
    $("mission-nom").textContent = first.name;
    $("mission").dataset.missionId = first.id;
    $("mission-distance").textContent = distanceText(first.distance_m);
    $("mission-approx").hidden = first.location_precision !== "commune";
    renderAddress($("mission-adresse"), first);
    renderContact($("mission-contact"), first);
    renderOthers(missions.slice(1, 3));
    result.hidden = false;
    drawMap(outline, missions, here);
    say("Mission locale la plus proche : " + first.name + ", " + distanceText(first.distance_m) + ".");
  }

  function renderAddress(target, site) {
    clear(target);
    if (site.address) { target.appendChild(document.createTextNode(site.address)); target.appendChild(element("br")); }
    target.appendChild(document.createTextNode([site.postcode, site.city].filter(Boolean).join(" ")));
  }

  function renderContact(target, site) {
    clear(target);
    if (site.phone) {
      var phone = element("a", null, site.phone);
      phone.href = "tel:" + site.phone.replace(/\s+/g, "");
      target.appendChild(document.createTextNode("Téléphone : "));
      target.appendChild(phone);
    }
    if (site.website && /^https?:\/\//.test(site.website)) {
      if (site.phone) target.appendChild(element("br"));
      var link = element("a", null, "Site web");
      link.href = site.website;
      link.rel = "noopener";
      target.appendChild(link);
    }
  }

  function renderOthers(others) {
    var list = $("autres");
    clear(list);
    others.forEach(function (site) {
      var item = element("li", "other");
      item.dataset.missionId = site.id;
      item.appendChild(element("strong", null, site.name));
      item.appendChild(element("span", "distance", " " + distanceText(site.distance_m)));
      var where = [site.address, [site.postcode, site.city].filter(Boolean).join(" ")].filter(Boolean).join(", ");
      item.appendChild(element("span", "where", where));
      if (site.location_precision === "commune") {
        item.appendChild(element("span", "approx", "adresse approximative : position de la commune"));
      }
      list.appendChild(item);
    });
  }

  // --- the map: no tiles, the outline and the sites on a plain background ----------------

  var map = null;
  var layers = null;

  function drawMap(outline, missions, here) {
    if (typeof L === "undefined") return;  // Leaflet missing: the card says it all
    if (!map) {
      map = L.map("carte", { scrollWheelZoom: false, dragging: !L.Browser.mobile, tap: false, zoomSnap: 0.25 });
      layers = L.layerGroup().addTo(map);
    }
    layers.clearLayers();
    var bounds = L.latLngBounds([]);
    var polygon = L.geoJSON(outline, { style: { color: "#1d4f91", weight: 2, fillColor: "#1d4f91", fillOpacity: 0.12 } });
    polygon.addTo(layers);
    bounds.extend(polygon.getBounds());
    missions.forEach(function (site, position) {
      var nearest = position === 0;
      var marker = L.circleMarker([site.lat, site.lon], {
        radius: nearest ? 9 : 7, color: "#222", weight: 1.5,
        fillColor: nearest ? "#e07000" : "#8a8a8a", fillOpacity: 0.95,
      });
      // a node with textContent: Leaflet puts a string tooltip in as HTML, and names are data
      marker.bindTooltip(element("span", null, site.name + " (" + distanceText(site.distance_m) + ")"));
      marker.addTo(layers);
      bounds.extend(marker.getLatLng());
    });
    if (here) {
      L.circleMarker(here, { radius: 5, color: "#1d4f91", fillColor: "#fff", fillOpacity: 1, weight: 3 })
        .bindTooltip(element("span", null, "Ta position")).addTo(layers);
      bounds.extend(here);
    }
    map.invalidateSize();
    // room for the zoom buttons (top left) and the attribution (bottom right)
    map.fitBounds(bounds, { paddingTopLeft: [48, 24], paddingBottomRight: [24, 32] });
  }

  // --- data vintage -----------------------------------------------------------------------

  function showVintage(data) {
    var parts = [];
    if (data.communes) parts.push("communes : " + data.communes.vintage.split(" (")[0]);
    if (data.missions && data.missions.records_dated) {
      var dated = data.missions.records_dated;
      parts.push("adresses des missions locales : annuaire de l’État, fiches datées de " +
        String(dated.from).slice(0, 4) + " à " + String(dated.to).slice(0, 4) + " ; vérifie l’adresse avant de te déplacer");
    }
    if (parts.length) $("donnees").textContent = "Données — " + parts.join(" ; ") + ".";
  }

  loadDepartements();
}());
