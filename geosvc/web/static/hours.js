/* Opening hours of a mission locale site, as the API gives them (geosvc/network/hours.py):

     {"days": {"lundi": [["08:30", "12:00"], ["13:30", "17:30"]], ...}, "notes": [...]}   or   null

   local times of Europe/Paris; a day that is not a key is closed (as far as the record says);
   null (or no day at all) means the hours are not known, never "closed".

   Pure functions, no DOM and no network: `openingState(hours, date)` says whether the site is
   open at that instant in Europe/Paris time, whatever the device's time zone (Intl does the
   conversion, summer time included), and `describe(state)` says it in French:
   "Ouvert maintenant (jusqu'à 17 h 30)", "Fermé — ouvre lundi à 9 h", "Horaires non connus".
   French public holidays (metropolitan France) are not days like the others: the record does not
   say the site closes then, so the page says it is probably closed and to call first.

   Loaded by the campaign page as a file (the CSP forbids inline code); a widget or a static
   build can load it the same way. In a page it is `window.GeosvcHours`; under node,
   `require("./hours.js")`. Tested in Chromium: tests/test_hours_js.py. */
(function (root, factory) {
  "use strict";
  var api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.GeosvcHours = api;
}(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var TIME_ZONE = "Europe/Paris";
  var DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"];
  var WEEKDAYS = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };
  var MINUTES_PER_DAY = 24 * 60;
  var clockFormat = null;

  // --- Europe/Paris wall-clock time -----------------------------------------------------------

  /** The instant `date` on a Paris wall clock: {day: 0 (lundi) .. 6, minutes: since midnight,
      year, month, dayOfMonth}. */
  function parisClock(date) {
    if (!clockFormat) {
      clockFormat = new Intl.DateTimeFormat("en-US", {
        timeZone: TIME_ZONE, weekday: "short", year: "numeric", month: "numeric", day: "numeric",
        hour: "numeric", minute: "numeric", hourCycle: "h23",
      });
    }
    var parts = {};
    clockFormat.formatToParts(date).forEach(function (part) { parts[part.type] = part.value; });
    var hour = Number(parts.hour) % 24;  // some engines say 24 for midnight
    return {
      day: WEEKDAYS[parts.weekday],
      minutes: hour * 60 + Number(parts.minute),
      year: Number(parts.year), month: Number(parts.month), dayOfMonth: Number(parts.day),
    };
  }

  /** "08:30" -> 510, "17:30:30" -> 1050.5, "24:00" -> 1440; NaN for anything else. */
  function toMinutes(text) {
    var match = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(String(text));
    if (!match) return NaN;
    return Number(match[1]) * 60 + Number(match[2]) + (match[3] ? Number(match[3]) / 60 : 0);
  }

  /** A day's intervals in minutes, sorted, overlapping or touching ones merged
      (08:30-12:00 + 12:00-17:00 is open until 17:00). */
  function intervalsOf(hours, dayIndex) {
    var given = (hours.days && hours.days[DAYS[dayIndex]]) || [];
    var intervals = given.map(function (pair) { return [toMinutes(pair[0]), toMinutes(pair[1])]; })
      .filter(function (pair) { return pair[0] < pair[1]; })  // NaN compares false: dropped
      .sort(function (a, b) { return a[0] - b[0]; });
    var merged = [];
    intervals.forEach(function (pair) {
      var last = merged[merged.length - 1];
      if (last && pair[0] <= last[1]) last[1] = Math.max(last[1], pair[1]);
      else merged.push(pair.slice());
    });
    return merged;
  }

  function known(hours) {
    if (!hours || !hours.days) return false;
    for (var day = 0; day < 7; day++) if (intervalsOf(hours, day).length) return true;
    return false;
  }

  // --- French public holidays (metropolitan France) --------------------------------------------

  /** Easter Sunday of a Gregorian year, as [month, day] (the anonymous Gregorian algorithm). */
  function easter(year) {
    var a = year % 19, b = Math.floor(year / 100), c = year % 100;
    var d = Math.floor(b / 4), e = b % 4, f = Math.floor((b + 8) / 25), g = Math.floor((b - f + 1) / 3);
    var h = (19 * a + b - d - g + 15) % 30, i = Math.floor(c / 4), k = c % 4;
    var l = (32 + 2 * e + 2 * i - h - k) % 7, m = Math.floor((a + 11 * h + 22 * l) / 451);
    var month = Math.floor((h + l - 7 * m + 114) / 31);
    return [month, ((h + l - 7 * m + 114) % 31) + 1];
  }

  function civil(year, month, dayOfMonth) {  // a calendar date, free of any time zone
    var date = new Date(Date.UTC(year, month - 1, dayOfMonth));
    return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, dayOfMonth: date.getUTCDate() };
  }

  /** The name of the public holiday on that calendar date, or null. */
  function publicHoliday(year, month, dayOfMonth) {
    var fixed = {
      "1-1": "jour de l’an", "5-1": "fête du Travail", "5-8": "8 mai 1945", "7-14": "fête nationale",
      "8-15": "Assomption", "11-1": "Toussaint", "11-11": "11 novembre 1918", "12-25": "Noël",
    };
    var key = month + "-" + dayOfMonth;
    if (fixed[key]) return fixed[key];
    var sunday = easter(year);
    var movable = [[1, "lundi de Pâques"], [39, "Ascension"], [50, "lundi de Pentecôte"]];
    for (var index = 0; index < movable.length; index++) {
      var date = civil(year, sunday[0], sunday[1] + movable[index][0]);
      if (date.month === month && date.dayOfMonth === dayOfMonth) return movable[index][1];
    }
    return null;
  }

  // --- the state at an instant -----------------------------------------------------------------

  function clockText(minutes) {
    var whole = Math.floor(minutes);
    var h = Math.floor(whole / 60) % 24, m = whole % 60;
    return (h < 10 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m;
  }

  /** Whether a site with these hours is open at `date` (a Date; now by default), Paris time:
      {status: "unknown"}  no hours known (null, or notes without any day);
      {status: "open", until: "17:30"};
      {status: "closed", next: {day: "lundi", at: "09:00", inDays: 0..7, skipped: [holiday names]}};
      {status: "holiday", holiday: "Noël", next: {...}}  today is a public holiday and the usual
        hours would have the site open later today or now: it is probably closed. */
  function openingState(hours, date) {
    if (!known(hours)) return { status: "unknown" };
    var clock = parisClock(date || new Date());
    var holiday = publicHoliday(clock.year, clock.month, clock.dayOfMonth);
    var today = intervalsOf(hours, clock.day);
    if (!holiday) {
      for (var index = 0; index < today.length; index++) {
        if (today[index][0] <= clock.minutes && clock.minutes < today[index][1]) {
          return { status: "open", until: clockText(today[index][1]) };
        }
      }
    }
    var next = nextOpening(hours, clock, Boolean(holiday));
    var laterToday = today.some(function (pair) { return pair[1] > clock.minutes; });
    if (holiday && laterToday) return { status: "holiday", holiday: holiday, next: next };
    return { status: "closed", next: next };
  }

  function nextOpening(hours, clock, skipToday) {
    var skipped = [];
    for (var inDays = 0; inDays <= 14; inDays++) {
      var day = (clock.day + inDays) % 7;
      var intervals = intervalsOf(hours, day);
      if (!intervals.length || (inDays === 0 && skipToday)) continue;
      var date = civil(clock.year, clock.month, clock.dayOfMonth + inDays);
      var holiday = inDays > 0 ? publicHoliday(date.year, date.month, date.dayOfMonth) : null;
      if (holiday) { skipped.push({ day: DAYS[day], holiday: holiday }); continue; }
      for (var index = 0; index < intervals.length; index++) {
        if (inDays > 0 || intervals[index][0] > clock.minutes) {
          return { day: DAYS[day], at: clockText(intervals[index][0]), inDays: inDays, skipped: skipped };
        }
      }
    }
    return null;  // only public holidays in the next two weeks: cannot happen in France
  }

  // --- in French -----------------------------------------------------------------------------

  /** "08:30" -> "8 h 30", "17:00" -> "17 h", "24:00" -> "minuit". */
  function timeText(text) {
    var minutes = toMinutes(text);
    if (isNaN(minutes)) return String(text);
    if (minutes % MINUTES_PER_DAY === 0) return "minuit";
    var h = Math.floor(minutes / 60), m = Math.floor(minutes % 60);
    return h + " h" + (m ? " " + (m < 10 ? "0" : "") + m : "");
  }

  function nextText(next) {
    if (!next) return "";
    var when = next.inDays === 0 ? "aujourd’hui" : next.inDays === 7 ? next.day + " prochain" : next.day;
    var text = "ouvre " + when + " à " + timeText(next.at);
    if (next.skipped.length) {
      text += " (" + next.skipped.map(function (s) { return s.day + " est férié"; }).join(", ") + ")";
    }
    return text;
  }

  /** The state in one French sentence. */
  function describe(state) {
    if (state.status === "open") return "Ouvert maintenant (jusqu’à " + timeText(state.until) + ")";
    if (state.status === "closed") return "Fermé" + (state.next ? " — " + nextText(state.next) : "");
    if (state.status === "holiday") {
      return "Jour férié (" + state.holiday + ") : sans doute fermé" + (state.next ? " — " + nextText(state.next) : "");
    }
    return "Horaires non connus";
  }

  function daysText(first, last) {
    if (first === last) return DAYS[first];
    if (last === first + 1) return DAYS[first] + " et " + DAYS[last];
    return "du " + DAYS[first] + " au " + DAYS[last];
  }

  /** The week, consecutive days with the same hours together:
      [{days: "du lundi au jeudi", times: "8 h 45 – 12 h et 13 h 30 – 17 h 30"}, ...]; [] when unknown. */
  function week(hours) {
    if (!known(hours)) return [];
    var lines = [];
    var previous = null;
    for (var day = 0; day < 7; day++) {
      var intervals = intervalsOf(hours, day);
      var times = intervals.map(function (pair) {
        return timeText(clockText(pair[0])) + " – " + timeText(clockText(pair[1]));
      }).join(" et ");
      if (!times) { previous = null; continue; }
      if (previous && previous.times === times && previous.last === day - 1) previous.last = day;
      else { previous = { first: day, last: day, times: times }; lines.push(previous); }
    }
    return lines.map(function (line) { return { days: daysText(line.first, line.last), times: line.times }; });
  }

  return {
    TIME_ZONE: TIME_ZONE, DAYS: DAYS,
    parisClock: parisClock, publicHoliday: publicHoliday, easter: easter,
    openingState: openingState, describe: describe, week: week, timeText: timeText,
  };
}));
