/* The campaign page: a young person's own mission locale, from a commune name
   (autocomplete), a department -> commune choice, or the device's position.

   Served as a file (the Content-Security-Policy allows no inline script), with hours.js
   (opening hours, window.GeosvcHours), transit.js (the TER journey's sentences,
   window.GeosvcTransit) and Leaflet. Everything it needs to know comes from data-* attributes
   of the root element ([data-geosvc-campaign], the page's <body>, filled by the server with
   url_for): the API paths (CODE stands for a code), resolved against
   data-api-base (empty: this page's own origin; a page on another host names the API's
   origin there), the national directory's URL, and an optional tile layer (data-tile-url,
   data-tile-attribution). Without tiles the map draws the commune outline and the sites on a
   plain background and contacts no other host.

   All the data comes through `data` (below): the API by default; in a static build
   (data-static="1", `geosvc export --site`), static_data.js (window.GeosvcStatic) answers the
   autocomplete, the point query and the own mission locale from files. */
(function () {
  "use strict";

  var root = document.querySelector("[data-geosvc-campaign]") || document.body;
  var urls = root.dataset;
  var hoursOf = window.GeosvcHours;
  var transitOf = window.GeosvcTransit;
  var AUTOCOMPLETE_DELAY_MS = 120;
  var AUTOCOMPLETE_LIMIT = 10;
  var NEAREST_K = 3;
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

  /** An API address: the data-*-url template, CODE replaced, against data-api-base. */
  function url(template, code) {
    var path = code === undefined ? template : template.replace("CODE", encodeURIComponent(code));
    return urls.apiBase ? new URL(path, urls.apiBase).href : path;
  }

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

  /** Where the page's answers come from: the API; in a static build, files (static_data.js). */
  var data = {
    departements: function () { return getJSON(url(urls.departementsUrl)); },
    communes: function (code) { return getJSON(url(urls.feedUrl, code)); },
    missionLocale: function (code) {
      return getJSON(url(urls.missionLocaleUrl, code) + "?" + new URLSearchParams({ k: NEAREST_K }));
    },
    outline: function (code) { return getJSON(url(urls.outlineUrl, code)); },
    autocomplete: function (query, limit, signal) {
      return getJSON(url(urls.autocompleteUrl) + "?" + new URLSearchParams({ q: query, limit: limit }), signal);
    },
    point: function (lon, lat) {
      return getJSON(url(urls.pointUrl) + "?" + new URLSearchParams({ lon: lon, lat: lat, k: 1 }));
    },
  };
  if (urls.static && window.GeosvcStatic) {
    data = window.GeosvcStatic.source(data, { urls: urls, getJSON: getJSON, url: url });
  }

  function clear(element) { while (element.firstChild) element.removeChild(element.firstChild); }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

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
    data.autocomplete(query, AUTOCOMPLETE_LIMIT, pending.signal).then(function (body) {
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
  // a static build fetches its search index here, not with the page
  if (data.warm) input.addEventListener("focus", data.warm);

  // --- department -> commune ------------------------------------------------------------

  function loadDepartements() {
    data.departements().then(function (body) {
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
    data.communes(code).then(function (feed) {
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

  // --- the answer: the commune's own mission locale -------------------------------------

  var sequence = 0;  // only the latest request may draw the card

  function showCommune(code) {
    var ticket = ++sequence;
    say("Recherche de ta mission locale…");
    Promise.all([data.missionLocale(code), data.outline(code)])
      .then(function (answers) {
        if (ticket !== sequence) return;
        var commune = answers[0].commune;
        render(answers[0], answers[1], null, "Depuis " + commune.nom + " (" + commune.departement + ")");
      })
      .catch(function (error) { if (ticket === sequence) say("La recherche n’a pas abouti : " + error.message); });
  }

  // "Use my location": the point query names the commune, then the same card as for that commune.
  function showPoint(lon, lat) {
    var ticket = ++sequence;
    say("Recherche de ta mission locale…");
    data.point(lon, lat).then(function (point) {
      var code = point.commune.code;
      return Promise.all([data.missionLocale(code), data.outline(code)]).then(function (answers) {
        if (ticket !== sequence) return;
        var commune = answers[0].commune;
        render(answers[0], answers[1], [lat, lon], "Depuis ta position, à " + commune.nom + " (" +
          commune.departement + ") ; distances mesurées depuis la commune");
      });
    }).catch(function (error) {
      if (ticket !== sequence) return;
      say(error.code === "outside_region"
        ? "Ta position semble hors des Hauts-de-France : tape le nom de ta commune."
        : "La recherche n’a pas abouti : " + error.message);
    });
  }

  /** The card of an answer of GET /communes/{code}/mission-locale. */
  function render(answer, outline, here, origin) {
    var own = answer.mission_locale;
    var site = own && own.sites.length ? own.sites[0] : null;
    var shown = site || answer.nearest[0];  // no own mission locale in the data: the nearest site, said so
    if (!shown) { say("Aucune mission locale n’est disponible pour le moment."); return; }
    var from = here ? { lat: here[0], lon: here[1] } : answer.commune.point;

    $("origine").textContent = origin;
    renderZoneNote(answer);
    $("mission").dataset.missionLocale = own ? own.code : "";
    $("mission").dataset.missionId = shown.id;
    $("mission-nom").textContent = own ? own.name : shown.mission_locale_name || shown.name;
    $("mission-site").textContent = "Site : " + shown.name;
    $("mission-site").hidden = shown.name === $("mission-nom").textContent;
    $("mission-distance").textContent = distanceText(shown.distance_m);
    $("mission-approx").hidden = shown.location_precision !== "commune";
    renderAddress($("mission-adresse"), shown);
    renderRecordDate($("mission-date"), shown, answer.zone);
    renderContact($("mission-contact"), shown);
    renderHours(shown, answer.zone);
    $("mission-acces").textContent = accessibilityText(shown);
    renderTransit($("ter"), answer);
    renderDirections($("itineraire"), from, shown, here ? "ta position" : answer.commune.nom);
    renderNearestOther(answer);
    renderOthers(otherSites(answer, shown), answer.zone);
    result.hidden = false;
    drawMap(outline, mapSites(answer, site, shown), here);
    say(own
      ? "Ta mission locale : " + own.name + ", son site le plus proche " + distanceText(shown.distance_m) + "."
      : "Aucune mission locale n’est rattachée à ta commune dans nos données : voici le site le plus proche.");
  }

  // What the zones say when it is not simply one mission locale: several, or none.
  function renderZoneNote(answer) {
    var note = $("zone-note");
    var month = zoneMonthText(answer.zone);
    var source = "la table des zones de l’Union nationale des missions locales" + (month ? " (" + month + ")" : "");
    note.hidden = true;
    $("resultat-titre").textContent = "Ta mission locale";
    if (!answer.mission_locale) {
      $("resultat-titre").textContent = "Le site le plus proche";
      note.textContent = answer.zone
        ? "D’après " + source + ", aucune mission locale n’est rattachée à " + answer.commune.nom + ". Voici le " +
          "site le plus proche ; appelle-le pour savoir qui t’accompagne."
        : "Nos données ne disent pas à quelle mission locale " + answer.commune.nom + " est rattachée. Voici le " +
          "site le plus proche ; appelle-le pour savoir qui t’accompagne.";
      note.hidden = false;
    } else if (answer.also.length) {
      var names = [answer.mission_locale].concat(answer.also).map(function (mission) { return mission.name; });
      note.textContent = "D’après " + source + ", " + answer.commune.nom + " est rattachée à plusieurs missions " +
        "locales : " + names.join(", ") + ". Voici celle dont un site est le plus proche ; les autres sont listées " +
        "plus bas.";
      note.hidden = false;
    }
  }

  // The nearest site of any mission locale, when it is another one's: said in one plain sentence.
  function renderNearestOther(answer) {
    var note = $("plus-proche");
    var nearest = answer.nearest[0];
    note.hidden = true;
    if (!answer.mission_locale || answer.nearest_is_own !== false || !nearest) return;
    var whose = nearest.mission_locale_name || nearest.name;
    whose = /^mission locale /i.test(whose) ? "la mission locale " + whose.slice("mission locale ".length) : "« " + whose + " »";
    var where = nearest.city && whose.indexOf(nearest.city) < 0 ? " (à " + nearest.city + ")" : "";
    note.textContent = "Le site le plus proche, " + distanceText(nearest.distance_m) + ", est celui de " + whose +
      where + " ; c’est ta mission locale qui t’accompagne.";
    note.dataset.missionId = nearest.id;
    note.hidden = false;
  }

  function distanceText(metres) {
    return metres < 100 ? "à moins de 100 m" : "à " + km.format(metres / 1000) + " km";
  }

  function renderAddress(target, site) {
    clear(target);
    if (site.address) { target.appendChild(document.createTextNode(site.address)); target.appendChild(element("br")); }
    target.appendChild(document.createTextNode([site.postcode, site.city].filter(Boolean).join(" ")));
  }

  // The zones' month ("2026-01") in French: "janvier 2026".
  function zoneMonthText(zone) {
    if (!zone || !zone.month) return "";
    var parts = zone.month.split("-");
    return new Intl.DateTimeFormat("fr-FR", { month: "long", year: "numeric", timeZone: "UTC" })
      .format(new Date(Date.UTC(Number(parts[0]), Number(parts[1]) - 1, 1)));
  }

  /** Whether a site's record predates the zones (its address, hours and contacts may have changed). */
  function recordedBefore(site, zone) {
    if (!site.record_date) return false;
    if (!zone || !zone.month) return true;  // nothing to compare with: say the date
    return site.record_date.slice(0, 7) < zone.month;
  }

  // "adresse relevée en 2016, appelle avant de te déplacer": an address the union's table of the
  // zones' month does not confirm, from an older record. A confirmed one (the union's own head-office
  // address) needs no warning; its hours and phone, if any, are dated where they are shown.
  function recordDateText(site, zone) {
    if (site.confirmed || !recordedBefore(site, zone)) return "";
    return "Adresse relevée en " + site.record_date.slice(0, 4) + ", " +
      (site.phone ? "appelle avant de te déplacer." : "vérifie-la avant de te déplacer.");
  }

  function renderRecordDate(target, site, zone) {
    target.textContent = recordDateText(site, zone);
    target.hidden = !target.textContent;
  }

  /** "03 44 24 22 07" -> "tel:+33344242207"; other forms keep their digits and a leading +. */
  function phoneHref(phone) {
    var digits = String(phone).replace(/[^\d+]/g, "");
    if (/^0\d{9}$/.test(digits)) digits = "+33" + digits.slice(1);
    return "tel:" + digits;
  }

  function renderContact(target, site) {
    clear(target);
    function line(label, link) {
      var item = element("li");
      item.appendChild(document.createTextNode(label + " : "));
      item.appendChild(link);
      target.appendChild(item);
    }
    if (site.phone) {
      var phone = element("a", null, site.phone);
      phone.href = phoneHref(site.phone);
      line("Téléphone", phone);
    }
    if (site.email && /^[^\s@<>]+@[^\s@<>]+$/.test(site.email)) {
      var mail = element("a", null, site.email);
      mail.href = "mailto:" + site.email;
      line("E-mail", mail);
    }
    if (site.website && /^https?:\/\//.test(site.website)) {
      line("Site web", externalLink(site.website.replace(/^https?:\/\/(www\.)?/, "").replace(/\/$/, ""), site.website));
    }
    if (!target.firstChild) {
      var none = element("li", null, "Pas de téléphone ni d’e-mail dans nos données.");
      target.appendChild(none);
    }
  }

  /** A link that opens in a new tab, and says so to screen readers. */
  function externalLink(text, href) {
    var link = element("a", null, text);
    link.href = href;
    link.target = "_blank";
    link.rel = "noopener";
    link.appendChild(element("span", "visually-hidden", " (nouvel onglet)"));
    return link;
  }

  // --- opening hours (the rules are in hours.js) ---------------------------------------------

  function hoursState(site) {
    return hoursOf ? hoursOf.describe(hoursOf.openingState(site.hours, new Date())) : "Horaires non connus";
  }

  function renderHours(site, zone) {
    var state = $("mission-ouvert");
    var list = $("mission-horaires");
    var notes = $("mission-horaires-notes");
    clear(list);
    clear(notes);
    var known = hoursOf && hoursOf.week(site.hours).length > 0;
    state.textContent = known ? hoursState(site) : "Horaires non connus" + (site.phone ? " : appelle avant de te déplacer." : ".");
    state.className = "open-state " + (known ? hoursOf.openingState(site.hours, new Date()).status : "unknown");
    if (known) {
      hoursOf.week(site.hours).forEach(function (line) {
        var item = element("li");
        item.appendChild(element("span", "days", line.days + " : "));
        item.appendChild(document.createTextNode(line.times));
        list.appendChild(item);
      });
    }
    ((site.hours && site.hours.notes) || []).forEach(function (text) { notes.appendChild(element("li", null, text)); });
    if ((known || notes.firstChild) && site.record_date && recordedBefore(site, zone)) {
      notes.appendChild(element("li", null, "Horaires relevés en " + site.record_date.slice(0, 4) +
        " : ils ont pu changer."));
    }
    list.hidden = !list.firstChild;
    notes.hidden = !notes.firstChild;
  }

  // The directory's accessibility code, as the record gives it (ACC, NAC): never guessed.
  function accessibilityText(site) {
    var year = site.record_date ? " (fiche de l’annuaire, " + site.record_date.slice(0, 4) + ")" : "";
    if (site.accessibility === "ACC") return "Accès : le lieu est indiqué accessible aux personnes à mobilité réduite" + year + ".";
    if (site.accessibility === "NAC") {
      return "Accès : le lieu est indiqué non accessible aux personnes à mobilité réduite" + year +
        " ; appelle pour convenir d’un autre lieu de rendez-vous.";
    }
    if (site.accessibility) return "Accès : code « " + site.accessibility + " » de la fiche de l’annuaire" + year + ".";
    return "Accessibilité non connue.";
  }

  // --- TER access (the sentences are in transit.js) ------------------------------------------

  /** The answer's `transit` block in French, under "Comment y aller": the journey, the method with
      the timetable's date, SNCF's attribution. Nothing at all when the answer has no block. */
  function renderTransit(target, answer) {
    clear(target);
    var own = answer.mission_locale;
    var sites = own ? own.sites : [];
    answer.also.forEach(function (mission) { sites = sites.concat(mission.sites); });
    var said = transitOf && answer.transit ? transitOf.describe(answer.transit, { sites: sites }) : null;
    target.hidden = !said;
    if (!said) return;
    target.dataset.kind = said.kind;
    said.lines.forEach(function (line) {
      var item = element("p", "access ter-line");
      var cut = line.indexOf(" : ");  // "En TER :", "À pied :", "À vélo, c’est plus rapide :" in bold
      if (cut > 0 && cut <= 30) {
        item.appendChild(element("strong", null, line.slice(0, cut + 2)));
        item.appendChild(document.createTextNode(line.slice(cut + 2)));
      } else {
        item.textContent = line;
      }
      target.appendChild(item);
    });
    target.appendChild(element("p", "hint ter-note", said.note));
    var source = element("p", "hint ter-source");
    var at = said.licenceUrl ? said.attribution.lastIndexOf(said.licence) : -1;
    if (at < 0) {
      source.textContent = said.attribution;
      if (said.licenceUrl) {
        source.appendChild(document.createTextNode(" ("));
        source.appendChild(externalLink("licence " + said.licence, said.licenceUrl));
        source.appendChild(document.createTextNode(")"));
      }
    } else {  // "… licence ODbL": the licence's name links to its text
      source.appendChild(document.createTextNode(said.attribution.slice(0, at)));
      source.appendChild(externalLink(said.licence, said.licenceUrl));
      source.appendChild(document.createTextNode(said.attribution.slice(at + said.licence.length)));
    }
    target.appendChild(source);
  }

  // --- directions: plain links, no key, no tracking ------------------------------------------

  function coordinates(point) { return point.lat + "," + point.lon; }

  /** The "Comment y aller" links from `from` ({lat, lon}) to a site: OpenStreetMap's routing
      (FOSSGIS's OSRM, on foot, by bike, by car), Google Maps' public transport (a plain Maps URL:
      destination only, the device says where it is), and a geo: URI for a phone's map app. */
  function directions(from, site) {
    // numbers only: no escaping needed, and the links read as OpenStreetMap documents them
    var route = coordinates(from) + ";" + coordinates(site);
    function osm(engine) { return "https://www.openstreetmap.org/directions?engine=" + engine + "&route=" + route; }
    return [
      { text: "À pied", by: "OpenStreetMap", href: osm("fossgis_osrm_foot") },
      { text: "À vélo", by: "OpenStreetMap", href: osm("fossgis_osrm_bike") },
      { text: "En voiture", by: "OpenStreetMap", href: osm("fossgis_osrm_car") },
      {
        text: "En transports en commun", by: "Google Maps",
        href: "https://www.google.com/maps/dir/?api=1&destination=" + coordinates(site) + "&travelmode=transit",
      },
      { text: "Dans l’appli de cartes de ton téléphone", by: null, href: "geo:" + coordinates(site) },
    ];
  }

  function renderDirections(target, from, site, fromName) {
    clear(target);
    directions(from, site).forEach(function (entry) {
      var item = element("li");
      var link = entry.by ? externalLink(entry.text, entry.href) : element("a", null, entry.text);
      if (!entry.by) link.href = entry.href;
      item.appendChild(link);
      if (entry.by) item.appendChild(element("span", "by", " (" + entry.by + ")"));
      target.appendChild(item);
    });
    $("itineraire-aide").textContent = "Itinéraires depuis " + fromName + " vers le site" +
      (site.location_precision === "commune" ? " (position approximative : le centre de sa commune)" : "") +
      ", calculés par ces services.";
  }

  // --- the other sites -------------------------------------------------------------------------

  /** The sites listed under the card: the own mission locale's others, then those of the other
      missions locales the zones name for the commune; without any, the next nearest sites. */
  function otherSites(answer, shown) {
    var own = answer.mission_locale;
    if (!own) {
      $("autres-titre").textContent = "Les sites suivants";
      return answer.nearest.slice(1);
    }
    $("autres-titre").textContent = answer.also.length ? "Les autres sites de ces missions locales" : "Ses autres sites";
    return answer.also.reduce(function (sites, mission) { return sites.concat(mission.sites); },
      own.sites.filter(function (site) { return site.id !== shown.id; }));
  }

  function renderOthers(others, zone) {
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
      var dated = recordDateText(site, zone);
      if (dated) item.appendChild(element("span", "dated", dated));
      if (site.phone) {
        var phone = element("a", null, site.phone);
        phone.href = phoneHref(site.phone);
        var line = element("span", "where");
        line.appendChild(document.createTextNode("Téléphone : "));
        line.appendChild(phone);
        item.appendChild(line);
      }
      item.appendChild(element("span", "where", hoursState(site)));
      list.appendChild(item);
    });
    list.hidden = $("autres-titre").hidden = !others.length;
  }

  // --- the map: the outline and the sites, on tiles only when configured ----------------------

  /** What the map shows: the own site shown on the card first, the mission locale's other sites,
      and the nearest site of another mission locale when it is nearer. */
  function mapSites(answer, ownSite, shown) {
    var own = answer.mission_locale ? answer.mission_locale.sites : [shown];
    answer.also.forEach(function (mission) { own = own.concat(mission.sites); });
    var sites = own.map(function (site, position) { return { site: site, role: position === 0 ? "own" : "own-other" }; });
    var nearest = answer.nearest[0];
    if (ownSite && answer.nearest_is_own === false && nearest) sites.push({ site: nearest, role: "other" });
    return sites;
  }

  var MARKERS = {
    own: { radius: 9, fillColor: "#e07000" },
    "own-other": { radius: 7, fillColor: "#f5b26b" },
    other: { radius: 7, fillColor: "#8a8a8a" },
  };

  var map = null;
  var layers = null;

  /** Only <a href="http(s)://..."> and text of the configured attribution: it goes into
      Leaflet's attribution control, which takes HTML. */
  function safeAttribution(text) {
    var parsed = new DOMParser().parseFromString("<body>" + text, "text/html").body;
    var out = document.createElement("span");
    (function copy(from, to) {
      Array.prototype.forEach.call(from.childNodes, function (node) {
        if (node.nodeType === 3) { to.appendChild(document.createTextNode(node.textContent)); return; }
        if (node.nodeType !== 1) return;
        var href = node.tagName === "A" ? node.getAttribute("href") || "" : "";
        if (/^https?:\/\//.test(href)) {
          var link = document.createElement("a");
          link.href = href;
          link.target = "_blank";
          link.rel = "noopener";
          copy(node, link);
          to.appendChild(link);
        } else {
          copy(node, to);
        }
      });
    }(parsed, out));
    return out.innerHTML;
  }

  function tileLayer() {
    // A tile sends the page's origin as its Referer (a tile server's usage policy may ask for it),
    // although the page's own Referrer-Policy is no-referrer: Leaflet 1.9 has no option for that.
    var Tiles = L.TileLayer.extend({
      createTile: function (coords, done) {
        var tile = document.createElement("img");
        L.DomEvent.on(tile, "load", L.Util.bind(this._tileOnLoad, this, done, tile));
        L.DomEvent.on(tile, "error", L.Util.bind(this._tileOnError, this, done, tile));
        tile.alt = "";
        tile.referrerPolicy = "strict-origin";
        tile.src = this.getTileUrl(coords);
        return tile;
      },
    });
    return new Tiles(urls.tileUrl, { attribution: safeAttribution(urls.tileAttribution || ""), maxZoom: 19 });
  }

  function drawMap(outline, sites, here) {
    if (typeof L === "undefined") return;  // Leaflet missing: the card says it all
    if (!map) {
      map = L.map("carte", { scrollWheelZoom: false, dragging: !L.Browser.mobile, tap: false, zoomSnap: 0.25 });
      if (urls.tileUrl) {
        tileLayer().addTo(map);
        $("carte").classList.add("tiled");
      }
      layers = L.layerGroup().addTo(map);
    }
    layers.clearLayers();
    var bounds = L.latLngBounds([]);
    var polygon = L.geoJSON(outline, { style: { color: "#1d4f91", weight: 2, fillColor: "#1d4f91", fillOpacity: 0.12 } });
    polygon.addTo(layers);
    bounds.extend(polygon.getBounds());
    sites.forEach(function (entry) {
      var site = entry.site;
      var style = MARKERS[entry.role];
      var marker = L.circleMarker([site.lat, site.lon], {
        radius: style.radius, color: "#222", weight: 1.5, fillColor: style.fillColor, fillOpacity: 0.95,
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
    map.fitBounds(bounds, { paddingTopLeft: [48, 24], paddingBottomRight: [24, 32], maxZoom: 16 });
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
