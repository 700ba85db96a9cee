/* TER access to one's own mission locale, in French, from the `transit` block of
   GET /communes/{code}/mission-locale (geosvc/transit/answer.py):

     {"walk": {"kind": "transit", "departure": "08:35", "arrival": "09:10", "access_minutes": 28,
               "egress_minutes": 31, "legs": [{"line": "P54", "from": "Lens", "to": "Liévin", ...}],
               "site": {"id": ..., "name": "Mission locale de Lens-Liévin"}, ...} | null,
      "bike": {...} | null,
      "timetable": {"service_date": "2025-02-04", "attribution": "Horaires TER © SNCF (...)", ...},
      "method": {"leave": "08:00", "no_trip_after": "14:00", "detour": 1.3, ...}}   or   null

   Pure functions, no DOM and no network. `describe(transit)` gives the lines the card shows:
   the walking journey first ("En TER : départ 8 h 35 de la gare de Lens (28 min à pied jusqu’à la
   gare), arrivée 9 h 10 à la mission locale de Lens-Liévin (ligne P54, descente à Liévin puis 31 min
   à pied) — horaires de début 2025, à vérifier."), the bike one when walking gives nothing or takes
   at least BIKE_MENTION_MINUTES longer; a direct trip ("À pied : environ 14 min jusqu’à …, sans
   train."); or "Pas de liaison TER pratique (départ 8 h, arrivée avant 14 h) — horaires de début
   2025.". A clock time is never said without the timetable's date: every line holding one says
   "début 2025" (from timetable.service_date), and the block ends with the method and SNCF's
   attribution (ODbL).

   Loaded by the campaign page and the widget as a file (the CSP forbids inline code), like
   hours.js. In a page it is `window.GeosvcTransit`; under node, `require("./transit.js")`. Tested in
   Chromium: tests/test_page_transit.py. */
(function (root, factory) {
  "use strict";
  var api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.GeosvcTransit = api;
}(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var BIKE_MENTION_MINUTES = 15;  // the bike is mentioned beside a walk that is this much longer
  var MODES = { walk: { by: "à pied", label: "À pied" }, bike: { by: "à vélo", label: "À vélo" } };
  var ODBL_URL = "https://opendatacommons.org/licenses/odbl/";

  /** "08:35" -> "8 h 35", "09:00" -> "9 h"; anything else as given. */
  function clock(text) {
    var match = /^(\d{1,2}):(\d{2})$/.exec(String(text));
    if (!match) return String(text);
    var minutes = Number(match[2]);
    return Number(match[1]) + " h" + (minutes ? " " + match[2] : "");
  }

  /** 28 -> "28 min", 70 -> "1 h 10", 0 -> "moins d’une minute". */
  function duration(minutes) {
    if (!(minutes >= 1)) return "moins d’une minute";
    if (minutes < 60) return minutes + " min";
    var rest = minutes % 60;
    return Math.floor(minutes / 60) + " h" + (rest ? " " + (rest < 10 ? "0" : "") + rest : "");
  }

  /** The timetable's period from its service date: "début 2025" (January–April), "mi-2025"
      (May–August), "fin 2025" (September–December); "" when the date is not one. */
  function period(serviceDate) {
    var match = /^(\d{4})-(\d{2})-\d{2}$/.exec(String(serviceDate || ""));
    if (!match) return "";
    var month = Number(match[2]);
    return (month <= 4 ? "début " : month <= 8 ? "mi-" : "fin ") + match[1];
  }

  /** "mardi 4 février 2025" from "2025-02-04" (a calendar date, whatever the device's zone). */
  function dayText(serviceDate) {
    var match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(serviceDate || ""));
    if (!match) return "";
    var date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
    return new Intl.DateTimeFormat("fr-FR", {
      weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC",
    }).format(date);
  }

  /** "de" + a place name, elided or contracted: "de Lens", "d’Amiens", "du Cateau", "des Fontinettes". */
  function of(name) {
    var text = String(name);
    if (/^le /i.test(text)) return "du " + text.slice(3);
    if (/^les /i.test(text)) return "des " + text.slice(4);
    if (/^[aeiouyàâäéèêëîïôöùûüœæ]/i.test(text)) return "d’" + text;
    return "de " + text;
  }

  /** "à" + a place name: "à Liévin", "au Tréport", "aux Aubrais". */
  function at(name) {
    var text = String(name);
    if (/^le /i.test(text)) return "au " + text.slice(3);
    if (/^les /i.test(text)) return "aux " + text.slice(4);
    return "à " + text;
  }

  /** "la gare de Lens", "la gare d’Amiens"; a stop named as a station already ("Paris Gare du
      Nord") keeps its name. */
  function station(name) {
    return /\bgare\b/i.test(String(name)) ? String(name) : "la gare " + of(name);
  }

  /** The site reached, as a destination: "la mission locale de Lens-Liévin", "« Espace jeunes »". */
  function siteText(site) {
    var name = site && site.name ? String(site.name) : "";
    if (!name) return "ta mission locale";
    var match = /^mission locale\b\s*/i.exec(name);
    if (match) return "la mission locale" + (name.length > match[0].length ? " " + name.slice(match[0].length) : "");
    return "« " + name + " »";
  }

  /** "ligne P54", "lignes K52 puis P72" (a line taken twice in a row is said once). */
  function linesText(legs) {
    var lines = [];
    legs.forEach(function (leg) { if (lines[lines.length - 1] !== leg.line) lines.push(leg.line); });
    return (lines.length > 1 ? "lignes " : "ligne ") + lines.join(" puis ");
  }

  /** Where one changes: the stops between the legs, each once. */
  function changes(legs) {
    var stops = [];
    for (var index = 0; index + 1 < legs.length; index++) {
      if (stops.indexOf(legs[index].to) < 0) stops.push(legs[index].to);
    }
    return stops;
  }

  function dated(when) { return " — horaires de " + when + ", à vérifier."; }

  /** A train or coach journey, without its label: "départ 8 h 35 de la gare de Lens (28 min à pied
      jusqu’à la gare), arrivée 9 h 10 à … (ligne P54, descente à Liévin puis 31 min à pied) — …". */
  function transitText(journey, mode, when) {
    var legs = journey.legs || [];
    var first = legs[0], last = legs[legs.length - 1];
    var by = MODES[mode].by;
    var route = [linesText(legs)];
    var stops = changes(legs);
    if (stops.length) route.push((stops.length > 1 ? "changements " : "changement ") + stops.map(at).join(", "));
    var egress = journey.egress_minutes >= 1 ? " puis " + duration(journey.egress_minutes) + " " + by : "";
    route.push("descente " + at(last.to) + egress);
    return "départ " + clock(journey.departure) + " de " + station(first.from) +
      " (" + duration(journey.access_minutes) + " " + by + " jusqu’à la gare), arrivée " + clock(journey.arrival) +
      " à " + siteText(journey.site) + " (" + route.join(", ") + ")" + dated(when);
  }

  /** Straight to the site, no train: "environ 14 min jusqu’à la mission locale de …, sans train." */
  function directText(journey) {
    return (journey.minutes >= 1 ? "environ " : "") + duration(journey.minutes) + " jusqu’à " +
      siteText(journey.site) + ", sans train.";
  }

  function isTransit(journey) { return journey.kind === "transit" && journey.legs && journey.legs.length > 0; }

  /** The walk's line: "En TER : départ …" or "À pied : environ 14 min …". */
  function mainLine(journey, mode, when) {
    if (isTransit(journey)) return "En TER : " + transitText(journey, mode, when);
    return MODES[mode].label + " : " + directText(journey);
  }

  /** The bike's line, beside a walk (`faster`) or instead of it. */
  function bikeLine(journey, faster, when) {
    var label = faster ? "À vélo, c’est plus rapide : " : "À vélo : ";
    return label + (isTransit(journey) ? "en TER, " + transitText(journey, "bike", when) : directText(journey));
  }

  /** The method, dated: "Calcul pour le mardi 4 février 2025 (horaires de début 2025), départ de ta
      commune à 8 h : trains et cars TER seulement, pas les bus de ville ; trajets à pied ou à vélo à
      vol d’oiseau, allongés de 30 %." */
  function noteText(transit, when) {
    var method = transit.method || {};
    var timetable = transit.timetable || {};
    var day = dayText(timetable.service_date);
    var detour = typeof method.detour === "number" ? Math.round((method.detour - 1) * 100) : null;
    return "Calcul pour " + (day ? "le " + day + " " : "un jour de semaine ") + "(horaires de " + when + ")" +
      (method.leave ? ", départ de ta commune à " + clock(method.leave) : "") +
      " : trains et cars TER seulement, pas les bus de ville ; trajets à pied ou à vélo à vol d’oiseau" +
      (detour > 0 ? ", allongés de " + detour + " %" : "") + ".";
  }

  /** The card's TER block, or null (no timetable, or no own mission locale: nothing is said).
      options.sites: the answer's sites ({id, location_precision}), to say when the site reached is
      only placed at its commune's centre.
      -> {kind: "transit" | "direct" | "none", lines: [...], note, attribution, licence, licenceUrl, period} */
  function describe(transit, options) {
    if (!transit || !transit.timetable) return null;
    var when = period(transit.timetable.service_date) || "la date du fichier";
    var walk = transit.walk, bike = transit.bike;
    var method = transit.method || {};
    var lines = [];
    var noTrip = "pas de liaison TER pratique (départ " + clock(method.leave || "08:00") + ", arrivée avant " +
      clock(method.no_trip_after || "14:00") + ") — horaires de " + when + ".";
    var kind = "none";
    if (walk) {
      lines.push(mainLine(walk, "walk", when));
      kind = isTransit(walk) ? "transit" : "direct";
      if (bike && walk.minutes - bike.minutes >= BIKE_MENTION_MINUTES) lines.push(bikeLine(bike, true, when));
    } else if (bike) {
      lines.push("À pied : " + noTrip);
      lines.push(bikeLine(bike, false, when));
      kind = isTransit(bike) ? "transit" : "direct";
    } else {
      lines.push("P" + noTrip.slice(1));
    }
    var reached = [walk, bike].filter(Boolean).map(function (journey) { return journey.site && journey.site.id; });
    var approximate = ((options && options.sites) || []).some(function (site) {
      return reached.indexOf(site.id) >= 0 && site.location_precision === "commune";
    });
    if (approximate) {
      lines.push("La position de la mission locale est approximative (centre de sa commune) : ces temps le sont aussi.");
    }
    return {
      kind: kind,
      lines: lines,
      note: noteText(transit, when),
      attribution: transit.timetable.attribution || "",
      licence: transit.timetable.licence || "",
      licenceUrl: transit.timetable.licence === "ODbL" ? ODBL_URL : null,
      period: when,
    };
  }

  return {
    BIKE_MENTION_MINUTES: BIKE_MENTION_MINUTES,
    clock: clock, duration: duration, period: period, dayText: dayText, station: station, siteText: siteText,
    describe: describe,
  };
}));
