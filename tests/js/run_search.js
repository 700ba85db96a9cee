// Runs geosvc/web/static/search_client.js in node for tests/test_client_search.py.
//
//   node tests/js/run_search.js INDEX.json [OUTSIDE.json] < requests.json > answers.json
//
// requests.json is a JSON array of [operation, ...arguments]; the answer is the JSON array of their
// results, in order (an exception becomes {"exception": message}). Operations: search and
// autocomplete (query, options), the text functions of GeosvcSearch.text (fold, literal,
// normaliseName, compact, compactWithArticle, plain, parseQuery, sound, soundOfBeginning, osa,
// editops), names (the keys the matcher derived for every name) and timing (ms per query).
//
// With GEOSVC_LEGACY_REGEXP=1 the script runs as a browser without Unicode property escapes nor
// lookbehind (Safari before 11.1) would run it: every RegExp built with the "u" flag or a
// lookbehind throws, so the script's fallbacks are what answers; with 2, as one with Unicode
// property escapes but no lookbehind (Safari 11.1 to 16.3).
"use strict";

const fs = require("fs");
const path = require("path");
const vm = require("vm");

const CLIENT = path.join(__dirname, "..", "..", "geosvc", "web", "static", "search_client.js");

function legacy(unicode) {
  const RealRegExp = RegExp;
  function OldRegExp(pattern, flags) {
    if ((!unicode && /u/.test(flags || "")) || /\(\?<[=!]/.test(String(pattern))) {
      throw new SyntaxError("not in this browser");
    }
    return new RealRegExp(pattern, flags);
  }
  const window = {};
  vm.runInNewContext(fs.readFileSync(CLIENT, "utf8"), { self: window, RegExp: OldRegExp });
  return window.GeosvcSearch;
}

const mode = process.env.GEOSVC_LEGACY_REGEXP || "0";
const GeosvcSearch = mode === "0" ? require(CLIENT) : legacy(mode === "2");

const [indexPath, outsidePath] = process.argv.slice(2);
const started = process.hrtime.bigint();
const index = GeosvcSearch.load(JSON.parse(fs.readFileSync(indexPath, "utf8")));
const loadMs = Number(process.hrtime.bigint() - started) / 1e6;
let outsideMs = null;
if (outsidePath) {
  const begun = process.hrtime.bigint();
  GeosvcSearch.addOutside(index, JSON.parse(fs.readFileSync(outsidePath, "utf8")));
  outsideMs = Number(process.hrtime.bigint() - begun) / 1e6;
}
const text = GeosvcSearch.text;

function names() {
  const own = index.names.map((name) => ({
    code: name.commune.code, former: name.former, nom: name.nom, spaced: name.spaced, key: name.key,
    key_with_article: name.keyWithArticle, sound: name.sound, sound_beginning: name.soundBeginning,
    word_ends: Object.keys(name.wordEnds).map(Number).sort((a, b) => a - b),
    word_ends_with_article: Object.keys(name.wordEndsWithArticle).map(Number).sort((a, b) => a - b),
    label: name.commune.label, departement: name.commune.departement, population: name.commune.population,
    codes_postaux: name.commune.codesPostaux, order: name.commune.order, literal: text.literal(name.commune.nom),
    folded: name.commune.folded,
  }));
  const former = [];
  index.formerCodes.forEach((list, code) => list.forEach((name) => former.push([code, name.commune.code, name.former.nom])));
  const outside = index.outside ? index.outside.names.map((name) => ({
    code: name.code, nom: name.nom, departement: name.departement, key: name.key, key_with_article: name.keyWithArticle,
  })) : [];
  return { names: own, former_codes: former, outside };
}

function timing(queries, typing) {
  const begun = process.hrtime.bigint();
  for (const q of queries) (typing ? GeosvcSearch.autocomplete : GeosvcSearch.search)(index, q, {});
  return Number(process.hrtime.bigint() - begun) / 1e6 / Math.max(1, queries.length);
}

const operations = {
  search: (q, options) => GeosvcSearch.search(index, q, options || {}),
  autocomplete: (q, options) => GeosvcSearch.autocomplete(index, q, options || {}),
  sound: (name, complete) => text.sound(index, name, complete),
  soundOfBeginning: (typed) => text.soundOfBeginning(index, typed),
  parseQuery: (q) => {
    try {
      return text.parseQuery(q);
    } catch (error) {
      if (error && error.code) return { code: error.code, message: error.message };
      throw error;
    }
  },
  names,
  timing,
  load: () => ({ load_ms: loadMs, outside_ms: outsideMs }),
};

const requests = JSON.parse(fs.readFileSync(0, "utf8"));
const answers = requests.map(([operation, ...args]) => {
  const run = operations[operation] || text[operation];
  if (!run) return { exception: `no operation ${operation}` };
  try {
    const result = run(...args);
    return result === undefined ? null : result;
  } catch (error) {
    return { exception: String(error && error.stack || error) };
  }
});
process.stdout.write(JSON.stringify(answers));
