/* geosvc client-side commune search: the server's matcher (geosvc/core/search_index.py) in the
 * browser, for the static build of the campaign page, which is served without Python.
 *
 *   var index = GeosvcSearch.load(indexDocument);          // search/index.json
 *   GeosvcSearch.addOutside(index, outsideDocument);        // search/outside.json, when needed
 *   GeosvcSearch.search(index, "st omer", {limit: 20, departement: "62"});
 *   GeosvcSearch.autocomplete(index, "abevi", {limit: 10});
 *
 * Answers are shaped like the API's: {communes: [{code, nom, label, departement, codesPostaux,
 * population, score, matched, former?}], data, hint?: {outside_region: {code, nom, departement}}}
 * (the autocomplete's entries: no population, score nor data, as the API's); bad input gives
 * {error: {status: 400, code: "invalid_parameter" | "invalid_query", message}}. Without the outside
 * document, an answer the names of France could change carries `needs_outside: true`.
 *
 * The index documents hold every key of every name, made in Python by geosvc.core.textnorm (and
 * the sound rules themselves): this file folds only the query. What is ported, what differs:
 * docs/SEARCH.md, "Client-side search (static build)". Plain ES5 with ES2015 built-ins (Map,
 * Set, String.prototype.normalize); Unicode property escapes when the browser has them. Works as
 * a <script> (window.GeosvcSearch) and in node (module.exports).
 */
(function (root, factory) {
  "use strict";
  var api = factory();
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.GeosvcSearch = api;
  }
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  // --- the server's constants (geosvc/core/search_index.py) -------------------------------------
  var EXACT_SCORES = [1.0, 0.99, 0.98, 0.97]; // literal, folded, with article, article dropped or added
  var SCORE_FORMER_EXACT = 0.95;
  var SCORE_PREFIX_WORDS = 0.85;
  var SCORE_PREFIX = 0.8;
  var BONUS_TYPED_ARTICLE = 0.02;
  var SCORE_FORMER_PREFIX = 0.75;
  var SCORE_SOUND = 0.82;
  var SCORE_SOUND_TYPING = 0.7;
  var SCORE_FUZZY = { 2: 0.6, 3: 0.55, 4: 0.5 }; // by cost * 2
  var FORMER_FUZZY_PENALTY = 0.05;
  var SCORE_FUZZY_PREFIX = 0.4;
  var SCORE_SOUND_PREFIX = 0.4;
  var POPULATION_BONUS = 0.06;
  var SOUND_COST = 0.5;
  var SCORE_POSTCODE = 1.0;
  var SCORE_POSTCODE_PREFIX = 0.8;
  var FUZZY_MIN_CHARS = 4;
  var FUZZY_TWO_EDITS_FROM = 8;
  var FUZZY_PREFIX_MIN_CHARS = 5;
  var SLIP_WORD_MIN_CHARS = 4;
  var SOUND_MIN_CHARS = 3;
  var SOUND_PREFIX_MIN_CHARS = 5;
  var SOUND_PREFIX_SHARE = 0.55;
  var UNLIKELY_SUBSTITUTION = 0.5;
  var PREFIX_MIN_CHARS = 2;
  var OUTSIDE_MARGIN = 1.0;
  // how close the closest name of the region is
  var EXACT = 0.0;
  var BEGINS = -1.0;
  var NOTHING = Infinity;
  var WHOLE_WORDS = 0;
  var PART_WORD = 1;
  var FORMER_NAME = 2;
  // the API's parameters (geosvc/web/api/schemas.py)
  var MAX_QUERY_CHARS = 100;
  var SEARCH_LIMIT = { byDefault: 20, max: 100 };
  var AUTOCOMPLETE_LIMIT = { byDefault: 10, max: 20 };
  var DEPARTEMENT_PARAMETER = /^(?:[0-9]{2}|2[AB]|97[0-9])$/;

  var FORMAT = "geosvc-search-index";
  var OUTSIDE_FORMAT = "geosvc-search-outside";
  var VERSION = 1;
  var CODE_WIDTH = 5;

  // --- regular expressions: Unicode-aware where the browser can, a close approximation if not ----

  function regex(modern, fallback, flags) {
    try {
      return new RegExp(modern, flags + "u");
    } catch (e) {
      return new RegExp(fallback, flags);
    }
  }

  // Python's str.isspace(), which re's \s also follows
  var WS = "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
  var CONTROL_CHARACTERS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/;
  // emoji and other symbols, private use, unassigned code points, lone surrogates (So Co Cn Cs)
  var SYMBOLS = regex(
    "[\\p{So}\\p{Co}\\p{Cn}\\p{Cs}]",
    "[\\u2190-\\u21ff\\u2300-\\u23ff\\u2500-\\u27bf\\u2b00-\\u2bff\\ue000-\\uf8ff\\ud800-\\udfff]",
    ""
  );
  var MARKS = regex("\\p{M}", "[\\u0300-\\u036f\\u1ab0-\\u1aff\\u1dc0-\\u1dff\\u20d0-\\u20ff\\ufe20-\\ufe2f]", "g");
  var ALNUM = regex("^[\\p{L}\\p{N}]$", "^[^\\x00-\\x2f\\x3a-\\x40\\x5b-\\x60\\x7b-\\xbf\\xd7\\xf7\\u2000-\\u206f]$", "");
  var SPACE = new RegExp("^[" + WS + "]$");
  var INVISIBLE = regex("^\\p{C}$", "^[\\x00-\\x1f\\x7f-\\x9f\\xad\\u200b-\\u200f\\u2060-\\u2064\\ufeff]$", "");
  var APOSTROPHES = /['\u2019\u2018\u02bc\u02bb\u0060\u00b4\u2032]/g;
  var ASCII = /^[\x00-\x7f]*$/;

  var DEPARTEMENT_SUFFIX = new RegExp(
    "^([^\\n]*?[^" + WS + "])[" + WS + "]*\\([" + WS + "]*([0-9]{2}|2[AaBb])[" + WS + "]*\\)[" + WS + "]*$"
  );
  // "s/" and "s/s" between words, glued or not: "Pont-s/-Sambre", "pont s/ sambre"
  // (Python's \b after the s: no letter, digit or underscore follows)
  var SOUS_ABBREVIATION = regex(
    "(?<![^" + WS + "\\-'\u2019])s[" + WS + "]*/[" + WS + "]*s(?![\\p{L}\\p{N}_])[" + WS + "]*-?",
    "(^|[" + WS + "\\-'\u2019])s[" + WS + "]*/[" + WS + "]*s(?![0-9A-Za-z_\\u00c0-\\u024f])[" + WS + "]*-?",
    "gi"
  );
  var SUR_ABBREVIATION = regex(
    "(?<![^" + WS + "\\-'\u2019])s[" + WS + "]*/[" + WS + "]*-?",
    "(^|[" + WS + "\\-'\u2019])s[" + WS + "]*/[" + WS + "]*-?",
    "gi"
  );
  // a slash between two words: "Berneuil/Aisne"
  var SUR_SLASH = regex(
    "(?<=\\p{L})[" + WS + "]*/[" + WS + "]*(?=\\p{L})",
    "([A-Za-z\\u00c0-\\u024f])[" + WS + "]*/[" + WS + "]*(?=[A-Za-z\\u00c0-\\u024f])",
    "g"
  );
  // the three fall back together: a browser may know \p{...} and not lookbehind (Safari 11.1 to 16.3)
  var LOOKBEHIND = SUR_ABBREVIATION.source.indexOf("(?<!") === 0;
  if (SOUS_ABBREVIATION.source.indexOf("(?<!") !== 0 || SUR_SLASH.source.indexOf("(?<=") !== 0) LOOKBEHIND = false;

  var SUR_WORDS = { sr: "sur", ss: "sous" };
  var DEPARTEMENT_NUMBER = /^(?:0[1-9]|[1-8][0-9]|9[0-5]|2a|2b)$/;
  var DEPARTEMENT_NAMES = [
    [["aisne"], "02"], [["nord"], "59"], [["oise"], "60"], [["somme"], "80"],
    [["pas", "de", "calais"], "62"], [["pas", "calais"], "62"], [["pdc"], "62"]
  ];
  var DEPARTEMENT_WORDS = {};
  DEPARTEMENT_NAMES.forEach(function (entry) {
    DEPARTEMENT_WORDS[entry[0][0]] = true;
    DEPARTEMENT_WORDS[entry[0][entry[0].length - 1]] = true;
  });
  var DEPARTEMENT_LINKS = [["dans", "le"], ["dans", "la"], ["dans", "l"], ["dans"], ["en"], ["du"], ["de", "la"]];

  var SAINT = { st: "saint", ste: "sainte" };
  var ARTICLES = { le: true, la: true, les: true, l: true };

  // keys next to each other on a French (AZERTY) keyboard: a slip of the finger
  var AZERTY = ["azertyuiop", "qsdfghjklm", "wxcvbn"];
  var KEYBOARD = {};
  AZERTY.forEach(function (line, row) {
    for (var col = 0; col < line.length; col++) {
      var near = KEYBOARD[line[col]] = KEYBOARD[line[col]] || {};
      for (var otherRow = row - 1; otherRow <= row + 1; otherRow++) {
        if (otherRow < 0 || otherRow >= AZERTY.length) continue;
        for (var otherCol = col - 1; otherCol <= col + 1; otherCol++) {
          if (otherCol >= 0 && otherCol < AZERTY[otherRow].length && !(otherRow === row && otherCol === col)) {
            near[AZERTY[otherRow][otherCol]] = true;
          }
        }
      }
    }
  });
  // ... and, for a whole name, letters that spell like sounds: a slip of the ear
  var NEIGHBOURS = {};
  Object.keys(KEYBOARD).forEach(function (letter) {
    NEIGHBOURS[letter] = {};
    Object.keys(KEYBOARD[letter]).forEach(function (other) { NEIGHBOURS[letter][other] = true; });
  });
  ["ck", "cs", "kq", "sz", "iy", "sx", "gj", "mn", "ao", "eo", "ie", "ou", "ui", "fv", "bp", "dt"].forEach(
    function (pair) {
      (NEIGHBOURS[pair[0]] = NEIGHBOURS[pair[0]] || {})[pair[1]] = true;
      (NEIGHBOURS[pair[1]] = NEIGHBOURS[pair[1]] || {})[pair[0]] = true;
    }
  );

  function isNeighbour(table, a, b) {
    return Boolean(table[a] && table[a][b]);
  }

  // --- text normalisation of a query (geosvc/core/textnorm.py) -----------------------------------

  // where Python's str.casefold() (full case folding) differs from lower case, for Latin letters
  var CASEFOLD = {
    "\u00df": "ss", "\u1e9e": "ss", "\u017f": "s", "\u0149": "\u02bcn", "\u01f0": "j\u030c", "\u1e96": "h\u0331",
    "\u1e97": "t\u0308", "\u1e98": "w\u030a", "\u1e99": "y\u030a", "\u1e9a": "a\u02be", "\u1e9b": "\u1e61",
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st"
  };
  var CASEFOLDED = /[\u00df\u1e9e\u017f\u0149\u01f0\u1e96-\u1e9b\ufb00-\ufb06]/g;

  function casefold(text) {
    return text.toLowerCase().replace(CASEFOLDED, function (ch) { return CASEFOLD[ch]; });
  }

  function mapCharacters(text) {
    // textnorm._char on each character: letters and digits kept, spaces a space, invisible
    // characters dropped (they rejoin the word), anything else a space
    var out = "";
    for (var i = 0; i < text.length; i++) {
      var code = text.charCodeAt(i);
      var ch = text[i];
      if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
        ch = text.slice(i, i + 2);
        i++;
      }
      if (ch.length === 1 && code < 128) {
        if ((code >= 97 && code <= 122) || (code >= 48 && code <= 57) || (code >= 65 && code <= 90)) out += ch;
        else if (SPACE.test(ch)) out += " ";
        else if (code < 32 || code === 127) out += "";
        else out += " ";
      } else if (ALNUM.test(ch)) {
        out += ch;
      } else if (SPACE.test(ch)) {
        out += " ";
      } else if (INVISIBLE.test(ch)) {
        out += "";
      } else {
        out += " ";
      }
    }
    return out;
  }

  function words(text) {
    return text.split(" ").filter(Boolean);
  }

  /** textnorm.fold: lower case, unaccented, punctuation-free; words separated by one space. */
  function fold(text) {
    var t = casefold(text.normalize("NFKD")).normalize("NFKD").replace(MARKS, "");
    t = t.replace(/\u0153/g, "oe").replace(/\u00e6/g, "ae").replace(APOSTROPHES, " ");
    return words(mapCharacters(t)).join(" ");
  }

  /** textnorm.literal: case- and punctuation-insensitive, accents and articles kept. */
  function literal(text) {
    if (ASCII.test(text)) return fold(text);
    var t = casefold(text.normalize("NFC"));
    t = t.replace(/\u0153/g, "oe").replace(/\u00e6/g, "ae").replace(APOSTROPHES, " ");
    return words(mapCharacters(t)).join(" ");
  }

  /** textnorm.name_forms of a folded text: [normalise_name, compact, compact_with_article]. */
  function nameForms(folded) {
    var tokens = words(folded).map(function (token) { return SAINT[token] || token; });
    var withArticle = tokens.join("");
    if (tokens.length > 1 && ARTICLES[tokens[0]]) tokens = tokens.slice(1);
    return [tokens.join(" "), tokens.join(""), withArticle];
  }

  function normaliseName(text) { return nameForms(fold(text))[0]; }
  function compact(text) { return nameForms(fold(text))[1]; }
  function compactWithArticle(text) { return nameForms(fold(text))[2]; }

  /** search_export.plain: the key of a name when the index writes none. */
  function plain(nom) {
    if (!ASCII.test(nom)) nom = nom.normalize("NFD").replace(/[\u0300-\u036f]/g, "");
    return nom.toLowerCase().replace(/\u0153/g, "oe").replace(/\u00e6/g, "ae").replace(/[-' ]+/g, " ");
  }

  // --- sounds (textnorm.sound), with the rule table the index was keyed with ----------------------

  function soundRules(table) {
    var byLetter = {};
    table.forEach(function (rule) {
      var letters = {};
      for (var i = 0; i < rule[2].length; i++) letters[rule[2][i]] = true;
      (byLetter[rule[0][0]] = byLetter[rule[0][0]] || []).push(
        { spelling: rule[0], context: rule[1], letters: letters, sound: rule[3] });
    });
    return byLetter;
  }

  function single(text) {
    var out = "";
    for (var i = 0; i < text.length; i++) if (text[i] !== text[i - 1]) out += text[i];
    return out;
  }

  function spellingsToSounds(rules, text) {
    var out = "";
    var i = 0;
    var n = text.length;
    while (i < n) {
      var candidates = rules[text[i]] || [];
      var applied = false;
      for (var r = 0; r < candidates.length; r++) {
        var rule = candidates[r];
        var end = i + rule.spelling.length;
        if (text.substr(i, rule.spelling.length) !== rule.spelling) continue;
        var next = end < n ? text[end] : null;
        if (rule.context === "" || (rule.context === "=" && next !== null && rule.letters[next]) ||
            (rule.context === "!" && (next === null || !rule.letters[next]))) {
          out += rule.sound;
          i = end;
          applied = true;
          break;
        }
      }
      if (!applied) {
        out += text[i];
        i++;
      }
    }
    return out;
  }

  function isLetter(ch) { return ch !== undefined && /[a-zA-Z]/.test(ch); }

  function silentEndings(text) {
    // at the end of a word (before no letter: upper-case letters are sounds already written):
    // consonants s x t d p z g
    // after a letter are silent, -er after a letter is "e", then an e after two letters is mute
    var out = "";
    var i = 0;
    while (i < text.length) {
      if ("sxtdpzg".indexOf(text[i]) >= 0 && isLetter(text[i - 1])) {
        var j = i;
        while (j < text.length && "sxtdpzg".indexOf(text[j]) >= 0) j++;
        if (!isLetter(text[j])) {
          i = j;
          continue;
        }
      }
      out += text[i];
      i++;
    }
    text = out;
    out = "";
    for (i = 0; i < text.length; i++) {
      if (text[i] === "e" && text[i + 1] === "r" && isLetter(text[i - 1]) && !isLetter(text[i + 2])) {
        out += "e";
        i++;
      } else {
        out += text[i];
      }
    }
    text = out;
    out = "";
    for (i = 0; i < text.length; i++) {
      if (!(text[i] === "e" && isLetter(text[i - 1]) && isLetter(text[i - 2]) && !isLetter(text[i + 1]))) {
        out += text[i];
      }
    }
    return out;
  }

  function wordSound(rules, word, final) {
    var text = spellingsToSounds(rules, single(word));
    return final ? silentEndings(text) : text;
  }

  /** textnorm.sound of a normalise_name() form; complete=false keeps the last word's ending. */
  function sound(rules, name, complete) {
    var parts = name.split(" ");
    var last = parts.pop();
    var out = parts.map(function (word) { return wordSound(rules, word, true); }).join("");
    return single(out + wordSound(rules, last, complete !== false));
  }

  /** textnorm.sound_of_beginning: what the beginning typed so far surely sounds like. */
  function soundOfBeginning(rules, typed) {
    return sound(rules, typed.slice(0, -1), false).slice(0, -1);
  }

  // --- edit distances ---------------------------------------------------------------------------

  // three rows of the distance matrix, reused: osa() runs on thousands of names per query
  var ROWS = [new Int32Array(128), new Int32Array(128), new Int32Array(128)];

  /** Optimal string alignment (restricted Damerau-Levenshtein) distance, or max + 1 beyond `max`. */
  function osa(a, b, max) {
    var n = a.length;
    var m = b.length;
    if (n - m > max || m - n > max) return max + 1;
    if (m + 1 > ROWS[0].length) ROWS = [new Int32Array(m + 1), new Int32Array(m + 1), new Int32Array(m + 1)];
    var before = ROWS[0];
    var previous = ROWS[1];
    var current = ROWS[2];
    var i, j;
    for (j = 0; j <= m; j++) previous[j] = j;
    for (i = 1; i <= n; i++) {
      var ai = a.charCodeAt(i - 1);
      var aBefore = i > 1 ? a.charCodeAt(i - 2) : -1;
      var best = current[0] = i;
      for (j = 1; j <= m; j++) {
        var bj = b.charCodeAt(j - 1);
        var d = previous[j - 1] + (ai === bj ? 0 : 1);
        if (previous[j] + 1 < d) d = previous[j] + 1;
        if (current[j - 1] + 1 < d) d = current[j - 1] + 1;
        // two neighbouring letters exchanged
        if (j > 1 && ai === b.charCodeAt(j - 2) && aBefore === bj && before[j - 2] + 1 < d) d = before[j - 2] + 1;
        current[j] = d;
        if (d < best) best = d;
      }
      if (best > max) return max + 1;
      var spare = before;
      before = previous;
      previous = current;
      current = spare;
    }
    return previous[m] > max ? max + 1 : previous[m];
  }

  /** The letters present in `text`, as bits (a-z; the other characters share the six left). */
  function letterMask(text) {
    var mask = 0;
    for (var i = 0; i < text.length; i++) {
      var code = text.charCodeAt(i);
      mask |= 1 << (code >= 97 && code <= 122 ? code - 97 : 26 + (code % 6));
    }
    return mask;
  }

  function bitCount(x) {
    x = x - ((x >>> 1) & 0x55555555);
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
    return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
  }

  /** RapidFuzz's Levenshtein.editops(a, b), the same alignment among equally short ones: the
   * common beginning and end left aside, then back from the end of the matrix, a deletion first,
   * then an insertion, then a substitution. Each op: [tag, position in a, position in b]. */
  function editops(a, b) {
    var prefix = 0;
    while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
    var suffix = 0;
    while (suffix < a.length - prefix && suffix < b.length - prefix &&
           a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;
    var s1 = a.slice(prefix, a.length - suffix);
    var s2 = b.slice(prefix, b.length - suffix);
    var rows = [];
    var i, j;
    for (i = 0; i <= s1.length; i++) {
      rows.push([i]);
      for (j = 1; j <= s2.length; j++) {
        rows[i].push(i === 0 ? j : Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1,
                                            rows[i - 1][j - 1] + (s1[i - 1] === s2[j - 1] ? 0 : 1)));
      }
    }
    var ops = [];
    var col = s1.length;
    var row = s2.length;
    while (row !== 0 && col !== 0) {
      if (rows[col][row] - rows[col - 1][row] === 1) {
        col--;
        ops.push(["delete", col + prefix, row + prefix]);
      } else {
        row--;
        if (row && rows[col][row] - rows[col - 1][row] === -1) {
          ops.push(["insert", col + prefix, row + prefix]);
        } else {
          col--;
          if (s1[col] !== s2[row]) ops.push(["replace", col + prefix, row + prefix]);
        }
      }
    }
    while (col !== 0) {
      col--;
      ops.push(["delete", col + prefix, row + prefix]);
    }
    while (row !== 0) {
      row--;
      ops.push(["insert", col + prefix, row + prefix]);
    }
    return ops.reverse();
  }

  function swapped(typed, name, i, j) {
    var a = typed[i];
    var b = name[j];
    return (i + 1 < typed.length && j + 1 < name.length && typed[i + 1] === b && name[j + 1] === a) ||
      (i > 0 && j > 0 && typed[i - 1] === b && name[j - 1] === a);
  }

  /** How many letters of `name` were replaced in `typed` by one neither near on the keyboard nor
   * of a like sound (two letters typed in the wrong order are not counted). */
  function unlikelySubstitutions(typed, name) {
    var count = 0;
    editops(typed, name).forEach(function (op) {
      if (op[0] !== "replace") return;
      if (!isNeighbour(NEIGHBOURS, typed[op[1]], name[op[2]]) && !swapped(typed, name, op[1], op[2])) count++;
    });
    return count;
  }

  function speltByEar(typed, beginning) {
    return editops(typed, beginning).some(function (op) {
      return op[0] === "replace" && !isNeighbour(KEYBOARD, beginning[op[2]], typed[op[1]]);
    });
  }

  function wrongLastLetter(typed, nameKey) {
    return nameKey.indexOf(typed.slice(0, -1)) === 0 &&
      !isNeighbour(NEIGHBOURS, typed[typed.length - 1], nameKey[typed.length - 1]);
  }

  // --- the index ---------------------------------------------------------------------------------

  function lowerBound(keys, key) {
    var lo = 0;
    var hi = keys.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (keys[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** [start, end) of the sorted `keys` that begin with `prefix`. */
  function prefixRange(keys, prefix) {
    var start = lowerBound(keys, prefix);
    var end = start;
    while (end < keys.length && keys[end].lastIndexOf(prefix, 0) === 0) end++;
    return [start, end];
  }

  function byKeyThenOrdinal(a, b) {
    return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1].ordinal - b[1].ordinal;
  }

  /** Names under one kind of key (search_index._Keys): exact lookup, sorted for prefixes, by length. */
  function Keys(entries, options) {
    options = options || {};
    if (options.ranked !== false) entries = entries.slice().sort(byKeyThenOrdinal);
    this.withArticle = Boolean(options.withArticle);
    this.keys = entries.map(function (entry) { return entry[0]; });
    this.names = entries.map(function (entry) { return entry[1]; });
    this.exact = new Map();
    this.byLength = new Map();
    for (var i = 0; i < entries.length; i++) {
      var key = entries[i][0];
      if (options.exact !== false) {
        if (!this.exact.has(key)) this.exact.set(key, []);
        this.exact.get(key).push(entries[i][1]);
      }
      if (!this.byLength.has(key.length)) this.byLength.set(key.length, [[], []]);
      this.byLength.get(key.length)[0].push(key);
      this.byLength.get(key.length)[1].push(entries[i][1]);
    }
    this.beginnings = new Map();
  }

  Keys.prototype.wordEnds = function (name) {
    return this.withArticle ? name.wordEndsWithArticle : name.wordEnds;
  };

  /** [class, name] of every name that begins with `prefix`, best first. */
  Keys.prototype.rankedStartingWith = function (prefix) {
    var range = prefixRange(this.keys, prefix);
    var ranked = [];
    for (var i = range[0]; i < range[1]; i++) {
      var name = this.names[i];
      var kind = name.former ? FORMER_NAME : this.wordEnds(name)[prefix.length] ? WHOLE_WORDS : PART_WORD;
      ranked.push([kind, name, i]);
    }
    ranked.sort(function (a, b) {
      return a[0] - b[0] || a[1].commune.order - b[1].commune.order || a[2] - b[2];
    });
    return ranked;
  };

  /** [distance, name, key] of every key at most `edits` OSA edits from `key`, nearest first. */
  Keys.prototype.within = function (key, edits) {
    var found = [];
    for (var length = key.length - edits; length <= key.length + edits; length++) {
      var bucket = this.byLength.get(length);
      if (!bucket) continue;
      var keys = bucket[0];
      var masks = bucket[2] || (bucket[2] = keys.map(letterMask));
      var mask = letterMask(key);
      var here = [];
      for (var i = 0; i < keys.length; i++) {
        // an edit changes at most two of the letters present: a quick way to skip most names
        if (bitCount(mask ^ masks[i]) > 2 * edits) continue;
        var distance = osa(key, keys[i], edits);
        if (distance <= edits) here.push([distance, bucket[1][i], keys[i], i]);
      }
      // as RapidFuzz's process.extract: nearest first, then in the order of the keys
      here.sort(function (a, b) { return a[0] - b[0] || a[3] - b[3]; });
      found = found.concat(here);
    }
    return found;
  };

  /** [name, strong] of the names whose first len(key) (+/- 1) characters are one slip from `key`
   * (search_index._Keys.beginning_within_one_edit). */
  Keys.prototype.beginningWithinOneEdit = function (key) {
    var out = [];
    for (var length = key.length - 1; length <= key.length + 1; length++) {
      var group = this.beginningsOf(key[0], length);
      var here = [];
      for (var i = 0; i < group.beginnings.length; i++) {
        var distance = osa(key, group.beginnings[i], 1);
        if (distance <= 1) here.push([distance, i]);
      }
      here.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
      for (var h = 0; h < here.length; h++) {
        var position = here[h][1];
        var found = group.beginnings[position];
        if (!unlikelySubstitutions(key, found) && !wrongLastLetter(key, group.keys[position])) {
          var name = group.names[position];
          out.push([name, Boolean(this.wordEnds(name)[length]) || speltByEar(key, found)]);
        }
      }
    }
    return out;
  };

  Keys.prototype.beginningsOf = function (letter, length) {
    var id = letter + "/" + length;
    if (!this.beginnings.has(id)) {
      var range = prefixRange(this.keys, letter);
      var group = { beginnings: [], names: [], keys: [] };
      for (var i = range[0]; i < range[1]; i++) {
        if (this.keys[i].length > length) {
          group.beginnings.push(this.keys[i].slice(0, length));
          group.names.push(this.names[i]);
          group.keys.push(this.keys[i]);
        }
      }
      this.beginnings.set(id, group);
    }
    return this.beginnings.get(id);
  };

  // --- reading the documents ----------------------------------------------------------------------

  function fixed(text) {
    var out = [];
    for (var i = 0; i < text.length; i += CODE_WIDTH) out.push(text.slice(i, i + CODE_WIDTH));
    return out;
  }

  function joined(text, count) {
    var out = count === 0 ? [] : text.split("|");
    if (out.length !== count) throw new Error("geosvc search index: a column has " + out.length + " entries, not " + count);
    return out;
  }

  function cumulative(deltas) {
    var out = [];
    var total = 0;
    deltas.forEach(function (delta) { out.push(total += delta); });
    return out;
  }

  function runs(pairs) {
    var out = [];
    pairs.forEach(function (pair) {
      var number = 0;
      pair[1].forEach(function (delta) {
        number += delta;
        out.push(pair[0] + ("00" + number).slice(-3));
      });
    });
    return out;
  }

  function edited(base, edit) {
    var digits = /^[0-9]*/.exec(edit)[0];
    return base.slice(0, base.length - (digits ? parseInt(digits, 10) : 0)) + edit.slice(digits.length);
  }

  function wordEndsOf(spaced) {
    var ends = {};
    var offset = 0;
    spaced.split(" ").forEach(function (word) {
      offset += word.length;
      ends[offset] = true;
    });
    return ends;
  }

  /** The keys of each name of a column set: {spaced, key, keyWithArticle, wordEnds, ...}. */
  function nameKeys(columns, noms, withSounds) {
    // (the names of France need no word ends nor sounds: withSounds false leaves them out)
    var articles = {};
    cumulative(columns.article).forEach(function (i) { articles[i] = true; });
    var sounds = withSounds ? joined(columns.sound, noms.length) : null;
    var beginnings = withSounds ? joined(columns.sound_beginning, noms.length) : null;
    return noms.map(function (nom, i) {
      var spacedWithArticle = Object.prototype.hasOwnProperty.call(columns.key, i) ? columns.key[i] : plain(nom);
      var tokens = spacedWithArticle.split(" ");
      var spaced = articles[i] ? tokens.slice(1).join(" ") : spacedWithArticle;
      return {
        spaced: spaced,
        key: spaced.replace(/ /g, ""),
        keyWithArticle: tokens.join(""),
        wordEnds: withSounds ? wordEndsOf(spaced) : null,
        wordEndsWithArticle: withSounds ? wordEndsOf(spacedWithArticle) : null,
        sound: withSounds ? sounds[i] : null,
        soundBeginning: withSounds ? edited(sounds[i], beginnings[i]) : null
      };
    });
  }

  function departementOf(columns, i, code) {
    return columns.departement && columns.departement[i] !== undefined ? columns.departement[i] : code.slice(0, 2);
  }

  function Index(document) {
    if (!document || document.format !== FORMAT || document.version !== VERSION) {
      throw new Error("not a " + FORMAT + " document of version " + VERSION);
    }
    var self = this;
    this.data = document.data || {};
    this.rules = soundRules(document.sounds);
    this.outside = null;
    var columns = document.communes;
    var codes = fixed(columns.code);
    var noms = joined(columns.nom, codes.length);
    var populations = [];
    columns.population.forEach(function (delta, i) {
      populations.push(i === 0 ? delta : populations[i - 1] - delta);
    });
    var postcodes = joined(columns.postcodes, codes.length);
    var keys = nameKeys(columns, noms, true);
    // communes in rank order: their position is the server's `order`
    this.communes = codes.map(function (code, i) {
      return {
        code: code, nom: noms[i], departement: departementOf(columns, i, code),
        codesPostaux: postcodes[i] ? postcodes[i].split(" ") : [], population: populations[i], order: i,
        folded: columns.folded && columns.folded[i] !== undefined ? columns.folded[i] : keys[i].keyWithArticle,
        compactWithArticle: keys[i].keyWithArticle, literal: null, label: noms[i]
      };
    });
    // labels: "Nom (département)" for a name that several communes share once compact()ed
    var sharing = new Map();
    keys.forEach(function (k) { sharing.set(k.key, (sharing.get(k.key) || 0) + 1); });
    this.communes.forEach(function (commune, i) {
      if (sharing.get(keys[i].key) > 1) commune.label = commune.nom + " (" + commune.departement + ")";
    });
    // names in the server's order: current names by code (its rows), then the former names searched
    var names = this.communes.map(function (commune, i) { return makeName(commune, commune.nom, null, keys[i]); });
    names.sort(function (a, b) { return a.commune.code < b.commune.code ? -1 : a.commune.code > b.commune.code ? 1 : 0; });
    var former = document.former;
    var formerCodes = fixed(former.code);
    var formerNoms = joined(former.nom, formerCodes.length);
    var searched = cumulative(former.searched);
    var searchedKeys = nameKeys(former, searched.map(function (i) { return formerNoms[i]; }), true);
    var searchedAt = new Map();
    searched.forEach(function (position, i) { searchedAt.set(position, searchedKeys[i]); });
    this.formerCodes = new Map();
    this.ownCodes = new Set(codes);
    formerCodes.forEach(function (code, i) {
      var commune = self.communes[former.commune[i]];
      var formerRef = { code: code, nom: formerNoms[i] || null };
      var name = makeName(commune, formerNoms[i] || commune.nom, formerRef, searchedAt.get(i) || null);
      if (!self.formerCodes.has(code)) self.formerCodes.set(code, []);
      self.formerCodes.get(code).push(name);
      self.ownCodes.add(code);
      if (searchedAt.has(i)) names.push(name);
    });
    names.forEach(function (name, ordinal) { name.ordinal = ordinal; });
    this.names = names;
    this.keys = new Keys(names.map(function (name) { return [name.key, name]; }));
    this.keysWithArticle = new Keys(
      names.filter(function (name) { return name.keyWithArticle !== name.key; })
        .map(function (name) { return [name.keyWithArticle, name]; }),
      { withArticle: true }
    );
    this.sounds = new Keys(names.map(function (name) { return [name.sound, name]; }), { ranked: false });
    var beginnings = names.map(function (name) { return [name.soundBeginning, name]; }).sort(byKeyThenOrdinal);
    this.soundBeginnings = beginnings.map(function (entry) { return entry[0]; });
    this.soundBeginningNames = beginnings.map(function (entry) { return entry[1]; });
    this.postcodes = new Map();
    this.communes.slice().sort(function (a, b) { return a.code < b.code ? -1 : 1; }).forEach(function (commune) {
      commune.codesPostaux.forEach(function (postcode) {
        if (!self.postcodes.has(postcode)) self.postcodes.set(postcode, []);
        self.postcodes.get(postcode).push(commune);
      });
    });
    this.postcodeList = Array.from(this.postcodes.keys()).sort();
  }

  function makeName(commune, nom, former, keys) {
    keys = keys || {};
    return {
      commune: commune, nom: nom, former: former, spaced: keys.spaced, key: keys.key,
      keyWithArticle: keys.keyWithArticle, wordEnds: keys.wordEnds, wordEndsWithArticle: keys.wordEndsWithArticle,
      sound: keys.sound, soundBeginning: keys.soundBeginning, ordinal: -1
    };
  }

  /** The communes of France outside the region (search_index.Outside, the region's codes left out). */
  function Outside(document, ownCodes) {
    if (!document || document.format !== OUTSIDE_FORMAT || document.version !== VERSION) {
      throw new Error("not a " + OUTSIDE_FORMAT + " document of version " + VERSION);
    }
    var columns = document.communes;
    var codes = runs(columns.code);
    var noms = joined(columns.nom, codes.length);
    var keys = nameKeys(columns, noms, false);
    var self = this;
    // the region's own codes are never "outside" (the document leaves them out already)
    this.names = codes.map(function (code, i) {
      return { code: code, nom: noms[i], departement: departementOf(columns, i, code), key: keys[i].key,
               keyWithArticle: keys[i].keyWithArticle, ordinal: i };
    }).filter(function (name) { return !ownCodes || !ownCodes.has(name.code); });
    this.exact = new Map();
    this.exactWithArticle = new Map();
    this.names.forEach(function (name) {
      if (!self.exact.has(name.key)) self.exact.set(name.key, []);
      self.exact.get(name.key).push(name);
      if (!self.exactWithArticle.has(name.keyWithArticle)) self.exactWithArticle.set(name.keyWithArticle, []);
      self.exactWithArticle.get(name.keyWithArticle).push(name);
    });
    this.keys = new Keys(this.names.map(function (name) { return [name.key, name]; }), { ranked: false, exact: false });
    this.sortedKeys = this.names.map(function (name) { return name.key; }).sort();
  }

  Outside.prototype.anyBeginningWith = function (prefix) {
    var start = lowerBound(this.sortedKeys, prefix);
    return start < this.sortedKeys.length && this.sortedKeys[start].lastIndexOf(prefix, 0) === 0;
  };

  // --- queries (search_index.parse_query) ---------------------------------------------------------

  function BadQuery(message, code) {
    this.message = message;
    this.code = code || "invalid_query";
  }

  function replaceAbbreviation(pattern, text, replacement) {
    if (LOOKBEHIND) return text.replace(pattern, replacement);
    return text.replace(pattern, function (match, before) { return before + replacement; });
  }

  function nameQuery(text, departement, folded) {
    folded = folded === undefined ? fold(text) : folded;
    var forms = nameForms(folded);
    return {
      text: text, kind: "name", key: forms[1], keyWithArticle: forms[2], literal: literal(text),
      folded: folded.replace(/ /g, ""), departement: departement, postcode: null, spaced: forms[0], whole: null
    };
  }

  function parseQuery(text) {
    if (CONTROL_CHARACTERS.test(text)) throw new BadQuery("q contains control characters");
    if (!ASCII.test(text) && SYMBOLS.test(text)) {
      throw new BadQuery("q contains emoji or symbols; type a commune name or a postcode");
    }
    var departement = null;
    var suffix = DEPARTEMENT_SUFFIX.exec(text);
    if (suffix) {
      text = suffix[1];
      departement = suffix[2].toUpperCase();
    }
    if (text.indexOf("/") >= 0) {
      text = replaceAbbreviation(SOUS_ABBREVIATION, text, " sous ");
      text = replaceAbbreviation(SUR_ABBREVIATION, text, " sur ");
      text = LOOKBEHIND ? text.replace(SUR_SLASH, " sur ")
        : text.replace(SUR_SLASH, function (match, before) { return before + " sur "; });
    }
    var folded = fold(text);
    if (!folded) throw new BadQuery("q must contain letters or digits");
    if (!ASCII.test(folded)) {
      throw new BadQuery("q must be written in Latin letters (accents are fine); no commune name here uses " +
                         "another script");
    }
    var key = nameForms(folded)[1];
    if (/^[0-9]+$/.test(key)) {
      var kind;
      if (key.length === 5) kind = "postcode";
      else if (key.length >= 2 && key.length <= 4) kind = "postcode_prefix";
      else throw new BadQuery("a postcode has 5 digits (2 to 4 find postcodes that begin so)");
      return { text: text, kind: kind, key: key, keyWithArticle: key, literal: key, folded: key,
               departement: departement, postcode: null, spaced: "", whole: null };
    }
    var tokens = folded.split(" ");
    var middleSur = tokens.some(function (word, i) { return i > 0 && i < tokens.length - 1 && SUR_WORDS[word]; });
    if (middleSur) {
      tokens = tokens.map(function (word, i) {
        return i > 0 && i < tokens.length - 1 && SUR_WORDS[word] ? SUR_WORDS[word] : word;
      });
      text = folded = tokens.join(" ");
    }
    var whole = nameQuery(text, departement, folded);
    var narrowed = departement ? null : narrowedQuery(tokens);
    if (narrowed === null) return whole;
    var query = nameQuery(narrowed[0], narrowed[1]);
    query.postcode = narrowed[2];
    query.whole = whole;
    return query;
  }

  function hasLetter(text) {
    return /[a-z]/.test(text);
  }

  function narrowedQuery(tokens) {
    var postcode = null;
    var departement = null;
    var rest = [];
    tokens.forEach(function (word) {
      if (postcode === null && word.length === 5 && /^[0-9]{5}$/.test(word)) postcode = word;
      else rest.push(word);
    });
    // a department number at the end, else at the beginning
    var positions = [rest.length - 1, 0];
    for (var p = 0; p < positions.length; p++) {
      if (rest.length > 1 && DEPARTEMENT_NUMBER.test(rest[positions[p]])) {
        departement = rest.splice(positions[p], 1)[0].toUpperCase();
        break;
      }
    }
    if (departement === null) {
      var named = departementName(rest);
      departement = named[0];
      rest = named[1];
    }
    if (postcode === null && departement === null) return null;
    if (!hasLetter(rest.join(""))) return null;
    return [rest.join(" "), departement, postcode];
  }

  function sameWords(a, b) {
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  function departementName(tokens) {
    if (tokens.length < 2 || (!DEPARTEMENT_WORDS[tokens[tokens.length - 1]] && !DEPARTEMENT_WORDS[tokens[0]])) {
      return [null, tokens];
    }
    for (var d = 0; d < DEPARTEMENT_NAMES.length; d++) {
      var spelling = DEPARTEMENT_NAMES[d][0];
      var n = spelling.length;
      if (tokens.length > n && sameWords(tokens.slice(tokens.length - n), spelling)) {
        var rest = tokens.slice(0, tokens.length - n);
        for (var l = 0; l < DEPARTEMENT_LINKS.length; l++) {
          var link = DEPARTEMENT_LINKS[l];
          if (rest.length > link.length && sameWords(rest.slice(rest.length - link.length), link)) {
            rest = rest.slice(0, rest.length - link.length);
            break;
          }
        }
        return [DEPARTEMENT_NAMES[d][1], rest];
      }
      if (tokens.length > n && sameWords(tokens.slice(0, n), spelling)) return [DEPARTEMENT_NAMES[d][1], tokens.slice(n)];
    }
    return [null, tokens];
  }

  function copyQuery(query, changes) {
    var out = {};
    Object.keys(query).forEach(function (field) { out[field] = query[field]; });
    Object.keys(changes).forEach(function (field) { out[field] = changes[field]; });
    return out;
  }

  // --- searching (search_index.Index) -------------------------------------------------------------

  function round4(score) {
    return Number(score.toFixed(4));
  }

  /** The best hit per commune, within the department (and postcode) asked for. */
  function Hits(departement, postcodeCommunes) {
    this.departement = departement;
    this.within = postcodeCommunes ? new Set(postcodeCommunes.map(function (c) { return c.code; })) : null;
    this.best = new Map();
  }

  Hits.prototype.accepts = function (commune) {
    return (!this.departement || commune.departement === this.departement) &&
      (this.within === null || this.within.has(commune.code));
  };

  Hits.prototype.add = function (commune, score, matched, former) {
    if (!this.accepts(commune)) return;
    var known = this.best.get(commune.code);
    if (known === undefined || score > known.score) {
      this.best.set(commune.code, { commune: commune, score: round4(score), matched: matched, former: former || null });
    }
  };

  Hits.prototype.size = function () { return this.best.size; };

  Hits.prototype.ranked = function (limit) {
    return Array.from(this.best.values()).sort(function (a, b) {
      return b.score - a.score || a.commune.order - b.commune.order;
    }).slice(0, limit);
  };

  function fuzzyScore(cost, name) {
    var score = cost <= SOUND_COST ? SCORE_SOUND : SCORE_FUZZY[Math.max(2, Math.min(4, roundHalfEven(cost * 2)))];
    var population = name.commune.population || 0;
    if (population > 1) score += POPULATION_BONUS * Math.min(1.0, Math.log10(population) / 6);
    return score - (name.former ? FORMER_FUZZY_PENALTY : 0.0);
  }

  function roundHalfEven(x) {
    var r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  }

  function kindOf(name, matched) {
    return name.former ? ["former", name.former] : [matched, null];
  }

  Index.prototype.literalOf = function (commune) {
    if (commune.literal === null) commune.literal = literal(commune.nom);
    return commune.literal;
  };

  Index.prototype.exactScore = function (query, commune) {
    if (query.literal === this.literalOf(commune)) return EXACT_SCORES[0];
    if (query.folded === commune.folded) return EXACT_SCORES[1];
    if (query.keyWithArticle === commune.compactWithArticle) return EXACT_SCORES[2];
    return EXACT_SCORES[3];
  };

  Index.prototype.soundKeys = function (spaced) {
    return [sound(this.rules, spaced), soundOfBeginning(this.rules, spaced)];
  };

  /** The answer of the server's Index.answer: {hits, outside}. */
  Index.prototype.answer = function (query, limit, departement, typing, context) {
    var whole = query.whole;
    if (whole && this.hasExact(whole)) return this.answerOne(whole, limit, departement, typing, context);
    var found = this.answerOne(query, limit, departement, typing, context);
    if (found.hits.length || found.outside || !whole) return found;
    var wider = [copyQuery(query, { postcode: null, departement: null })];
    if (query.postcode) wider.unshift(copyQuery(query, { postcode: null, departement: query.postcode.slice(0, 2) }));
    for (var i = 0; i < wider.length; i++) {
      found = this.answerOne(wider[i], limit, departement, typing, context);
      if (found.hits.length || found.outside) return found;
    }
    return this.answerOne(whole, limit, departement, typing, context);
  };

  Index.prototype.hasExact = function (query) {
    var self = this;
    return [query.key, query.keyWithArticle].some(function (key) {
      return self.keys.exact.has(key) || self.keysWithArticle.exact.has(key);
    });
  };

  Index.prototype.answerOne = function (query, limit, departement, typing, context) {
    departement = departement || query.departement;
    var hits = new Hits(departement, query.postcode ? this.postcodes.get(query.postcode) || [] : null);
    var self = this;
    if (query.kind === "postcode") {
      (this.postcodes.get(query.key) || []).forEach(function (commune) {
        hits.add(commune, SCORE_POSTCODE, "postcode");
      });
      limit = Math.max(limit, hits.size());
      (this.formerCodes.get(query.key) || []).forEach(function (name) {
        hits.add(name.commune, SCORE_FORMER_EXACT, "former", name.former);
      });
    } else if (query.kind === "postcode_prefix") {
      var range = prefixRange(this.postcodeList, query.key);
      var communes = new Map();
      this.postcodeList.slice(range[0], range[1]).forEach(function (postcode) {
        self.postcodes.get(postcode).forEach(function (commune) {
          if (hits.accepts(commune)) communes.set(commune.code, commune);
        });
      });
      Array.from(communes.values()).sort(function (a, b) { return a.order - b.order; }).slice(0, limit)
        .forEach(function (commune) { hits.add(commune, SCORE_POSTCODE_PREFIX, "postcode"); });
    } else {
      var bestCost = this.searchNames(query, hits, limit, typing, context);
      var outside = this.outsideName(query, bestCost, departement, context);
      if (outside) return { hits: typing && bestCost === BEGINS ? hits.ranked(limit) : [], outside: outside };
    }
    return { hits: hits.ranked(limit), outside: null };
  };

  function uniqueKeys(query) {
    return query.key === query.keyWithArticle ? [query.key] : [query.key, query.keyWithArticle];
  }

  /** Adds the hits; returns how close the closest is: EXACT, BEGINS, a cost, or NOTHING. */
  Index.prototype.searchNames = function (query, hits, limit, typing, context) {
    var self = this;
    var exact = false;
    var keySets = [this.keys, this.keysWithArticle];
    uniqueKeys(query).forEach(function (key) {
      keySets.forEach(function (keys) {
        (keys.exact.get(key) || []).forEach(function (name) {
          exact = true;
          if (name.former === null) hits.add(name.commune, self.exactScore(query, name.commune), "exact");
          else hits.add(name.commune, SCORE_FORMER_EXACT, "former", name.former);
        });
      });
    });
    var typedArticle = query.keyWithArticle !== query.key;
    uniqueKeys(query).filter(function (key) { return key.length >= PREFIX_MIN_CHARS; }).forEach(function (key) {
      keySets.forEach(function (keys) {
        var typed = typedArticle && keys.withArticle && key === query.keyWithArticle;
        var bonus = typed ? BONUS_TYPED_ARTICLE : 0.0;
        var taken = new Set();
        var ranked = keys.rankedStartingWith(key);
        for (var i = 0; i < ranked.length; i++) {
          var kind = ranked[i][0];
          var name = ranked[i][1];
          if (!hits.accepts(name.commune)) continue;
          if (kind === FORMER_NAME) hits.add(name.commune, SCORE_FORMER_PREFIX, "former", name.former);
          else hits.add(name.commune, (kind === WHOLE_WORDS ? SCORE_PREFIX_WORDS : SCORE_PREFIX) + bonus, "prefix");
          taken.add(name.commune.code);
          if (taken.size >= limit) break;
        }
      });
    });
    if (exact) return EXACT;
    var prefixed = hits.size() > 0;
    var soundKeys = query.key.length >= FUZZY_MIN_CHARS ? this.soundKeys(query.spaced) : ["", ""];
    var soundKey = soundKeys[0];
    var soundBeginning = soundKeys[1];
    if (soundKey.length >= SOUND_MIN_CHARS && !(typing && hits.size() >= limit)) {
      var bonus = (typing ? SCORE_SOUND_TYPING : SCORE_SOUND) - SCORE_SOUND;
      (this.sounds.exact.get(soundKey) || []).forEach(function (name) {
        var kind = kindOf(name, "sound");
        hits.add(name.commune, fuzzyScore(SOUND_COST, name) + bonus, kind[0], kind[1]);
      });
    }
    if (prefixed) return BEGINS;
    if (hits.size()) return SOUND_COST;
    // typos only when no name equals, begins with or sounds like the query
    if (query.key.length < FUZZY_MIN_CHARS) return NOTHING;
    var best = NOTHING;
    close(this.keys, this.sounds, query, Infinity, soundKey).forEach(function (entry) {
      if (hits.accepts(entry[1].commune)) {
        best = Math.min(best, entry[0]);
        var kind = kindOf(entry[1], "fuzzy");
        hits.add(entry[1].commune, fuzzyScore(entry[0], entry[1]), kind[0], kind[1]);
      }
    });
    if (hits.size() || !typing || this.typingAnotherName(query, context)) return best;
    if (query.key.length >= FUZZY_PREFIX_MIN_CHARS) {
      var slips = this.keys.beginningWithinOneEdit(query.key);
      if (slips.length && this.nearANameOutside(query, context)) {
        // "salut" is Sault (Vaucluse) mistyped before it is the beginning of Saultain mistyped
        slips = slips.filter(function (slip) { return slip[1]; });
      }
      slips.forEach(function (slip) {
        var kind = kindOf(slip[0], "fuzzy");
        hits.add(slip[0].commune, SCORE_FUZZY_PREFIX, kind[0], kind[1]);
      });
    }
    if (soundBeginning.length >= SOUND_PREFIX_MIN_CHARS) {
      var range = prefixRange(this.soundBeginnings, soundBeginning);
      var longest = soundBeginning.length / SOUND_PREFIX_SHARE;
      var names = [];
      for (var i = range[0]; i < range[1]; i++) {
        var name = this.soundBeginningNames[i];
        if (hits.accepts(name.commune) && this.soundBeginnings[i].length <= longest) names.push([name, i]);
      }
      names.sort(function (a, b) { return a[0].commune.order - b[0].commune.order || a[1] - b[1]; });
      names.slice(0, limit).forEach(function (entry) {
        var kind = kindOf(entry[0], "sound");
        hits.add(entry[0].commune, SCORE_SOUND_PREFIX, kind[0], kind[1]);
      });
    }
    return hits.size() ? BEGINS : NOTHING;
  };

  /** A word of 4 letters or more is being typed, and what is typed begins the name of a commune
   * outside the region: a slip in one of the region's is not what is meant. */
  Index.prototype.typingAnotherName = function (query, context) {
    var lastWord = query.spaced.split(" ").pop();
    if (lastWord.length < SLIP_WORD_MIN_CHARS) return false;
    if (!this.outside) {
      context.needsOutside = true;
      return false;
    }
    return this.outside.anyBeginningWith(query.key);
  };

  Index.prototype.nearANameOutside = function (query, context) {
    if (!this.outside) {
      context.needsOutside = true;
      return false;
    }
    return close(this.outside.keys, null, query, 1.0, "").length > 0;
  };

  /** A commune outside the region that the query names, or is clearly closer to than to any name of
   * the region (search_index.Index._outside). */
  Index.prototype.outsideName = function (query, regionCost, departement, context) {
    if (regionCost === EXACT) return null;
    if (!this.outside) {
      context.needsOutside = true;
      return null;
    }
    var outside = this.outside;
    function accepted(name) { return !departement || name.departement === departement; }
    var lookups = [[outside.exactWithArticle, query.keyWithArticle]];
    if (regionCost !== BEGINS) lookups.push([outside.exact, query.key], [outside.exactWithArticle, query.key]);
    for (var i = 0; i < lookups.length; i++) {
      var found = (lookups[i][0].get(lookups[i][1]) || []).filter(accepted);
      if (found.length) return found[0];
    }
    if (query.key.length < FUZZY_MIN_CHARS || regionCost === BEGINS || regionCost < 1 + OUTSIDE_MARGIN) return null;
    var best = null;
    close(outside.keys, null, query, regionCost - OUTSIDE_MARGIN, "").forEach(function (entry) {
      var cost = entry[0];
      var name = entry[1];
      if (accepted(name) && cost + OUTSIDE_MARGIN <= regionCost &&
          (best === null || cost < best[0] || (cost === best[0] && name.code < best[1].code))) {
        best = [cost, name];
      }
    });
    return best ? best[1] : null;
  };

  function maxCost(query) {
    return query.key.length >= FUZZY_TWO_EDITS_FROM ? 2.0 : 1.0;
  }

  /** [cost, name] of every name within the query's cost: the smaller of the edits on the compact
   * name and SOUND_COST + the edits on its sound (search_index._close). */
  function close(keys, sounds, query, limit, soundKey) {
    limit = Math.min(limit, maxCost(query));
    var costs = new Map();
    keys.within(query.key, Math.floor(limit)).forEach(function (entry) {
      var distance = entry[0];
      var cost = distance ? distance + UNLIKELY_SUBSTITUTION * unlikelySubstitutions(query.key, entry[2]) : 0.0;
      if (cost <= limit) costs.set(entry[1], cost);
    });
    if (sounds && soundKey.length >= SOUND_MIN_CHARS) {
      sounds.within(soundKey, Math.floor(limit - SOUND_COST)).forEach(function (entry) {
        var cost = SOUND_COST + entry[0];
        if (cost <= limit && (!costs.has(entry[1]) || cost < costs.get(entry[1]))) costs.set(entry[1], cost);
      });
    }
    var out = [];
    costs.forEach(function (cost, name) { if (cost > 0) out.push([cost, name]); });
    return out;
  }

  // --- the two "endpoints" ------------------------------------------------------------------------

  function prepared(index) {
    if (index instanceof Index) return index;
    if (index && index.format === FORMAT) {
      if (!PREPARED.has(index)) PREPARED.set(index, new Index(index));
      return PREPARED.get(index);
    }
    throw new Error("GeosvcSearch: pass the index loaded with GeosvcSearch.load(document)");
  }
  var PREPARED = typeof WeakMap === "function" ? new WeakMap() : new Map();

  function badParameter(field, message) {
    var details = { query: {} };
    details.query[field] = [message];
    return { error: { status: 400, code: "invalid_parameter", message: field + ": " + message, details: details } };
  }

  function checkParameters(query, options, limits) {
    if (typeof query !== "string") return badParameter("q", "Missing data for required field.");
    var length = Array.from(query).length;
    if (length < 1 || length > MAX_QUERY_CHARS) {
      return badParameter("q", "Length must be between 1 and " + MAX_QUERY_CHARS + ".");
    }
    var limit = options.limit === undefined || options.limit === null ? limits.byDefault : options.limit;
    if (typeof limit === "string" && /^[0-9]+$/.test(limit)) limit = parseInt(limit, 10);
    if (typeof limit !== "number" || Math.floor(limit) !== limit) return badParameter("limit", "Not a valid integer.");
    if (limit < 1 || limit > limits.max) {
      return badParameter("limit", "Must be greater than or equal to 1 and less than or equal to " + limits.max + ".");
    }
    var departement = options.departement;
    if (departement !== undefined && departement !== null &&
        (typeof departement !== "string" || !DEPARTEMENT_PARAMETER.test(departement))) {
      return badParameter("departement", "String does not match expected pattern.");
    }
    return { limit: limit, departement: departement || null };
  }

  function run(index, query, options, typing) {
    options = options || {};
    var checked = checkParameters(query, options, typing ? AUTOCOMPLETE_LIMIT : SEARCH_LIMIT);
    if (checked.error) return checked;
    index = prepared(index);
    var parsed;
    try {
      parsed = parseQuery(query);
    } catch (error) {
      if (error instanceof BadQuery) return { error: { status: 400, code: error.code, message: error.message } };
      throw error;
    }
    var context = { needsOutside: false };
    var found = index.answer(parsed, checked.limit, checked.departement, typing, context);
    var out = {
      communes: found.hits.map(function (hit) {
        var entry = {
          code: hit.commune.code, nom: hit.commune.nom, label: hit.commune.label,
          departement: hit.commune.departement, codesPostaux: hit.commune.codesPostaux.slice()
        };
        if (!typing) {
          entry.population = hit.commune.population;
          entry.score = hit.score;
        }
        entry.matched = hit.matched;
        if (hit.former) entry.former = { code: hit.former.code, nom: hit.former.nom };
        return entry;
      })
    };
    if (!typing) out.data = index.data; // the source and vintage of what answered, as the API's
    if (found.outside) {
      out.hint = { outside_region: { code: found.outside.code, nom: found.outside.nom,
                                     departement: found.outside.departement } };
    }
    if (context.needsOutside && !index.outside) out.needs_outside = true;
    return out;
  }

  /** GET /communes?q=…: ranked communes, or {error}. */
  function search(index, query, options) {
    return run(index, query, options, false);
  }

  /** GET /communes/autocomplete?q=…: suggestions while typing, or {error}. */
  function autocomplete(index, query, options) {
    return run(index, query, options, true);
  }

  function load(document, outsideDocument) {
    var index = new Index(document);
    if (outsideDocument) addOutside(index, outsideDocument);
    return index;
  }

  function addOutside(index, outsideDocument) {
    index = prepared(index);
    index.outside = new Outside(outsideDocument, index.ownCodes);
    return index;
  }

  return {
    load: load,
    addOutside: addOutside,
    search: search,
    autocomplete: autocomplete,
    // for tests and tools
    text: {
      fold: fold, literal: literal, normaliseName: normaliseName, compact: compact,
      compactWithArticle: compactWithArticle, plain: plain, parseQuery: parseQuery,
      sound: function (index, name, complete) { return sound(prepared(index).rules, name, complete); },
      soundOfBeginning: function (index, typed) { return soundOfBeginning(prepared(index).rules, typed); },
      osa: osa, editops: editops, unlikelySubstitutions: unlikelySubstitutions
    }
  };
});
