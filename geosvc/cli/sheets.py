"""The report's printable sheets: `missions_locales.html`, one A4 sheet per mission locale, in French.

One file (an index page, then one sheet per mission locale, each starting a new printed page):
it opens offline, prints as one document, and needs no script, no tile and no font from the
network. Each sheet: the zone on a map (inline SVG, geosvc/coverage/zone_svg.py), its figures,
its farthest communes, and its communes nearer another mission locale's site. Every figure is
read from the same answers as the API's (GET /coverage `zones`, GET /coverage/assignment), so
the sheets agree with indicators.json and assignment.json; numbers are written the French way
("12,4 km", "1 234 habitants", "8,2 %").
"""

from __future__ import annotations

import datetime as dt
import json

from jinja2 import Environment, select_autoescape

from geosvc.coverage.network import Coverage
from geosvc.coverage.own import Own
from geosvc.coverage.zone_svg import Mark, zone_map

GROUP = "\u202f"  # espace fine insécable: the French thousands separator
UNIT = "\u00a0"  # espace insécable: before a unit or a percent sign
FARTHEST = 10  # communes listed as the farthest of a zone
# sequential colours (light to dark), one per distance class; the last for beyond the last threshold
PALETTE = ("#fff5d6", "#fdd49e", "#fdae6b", "#f16913", "#c0392b", "#7f0000")


def nombre(value: float | None, decimals: int = 0) -> str:
    """1234.5 -> '1 234,5' (None -> '–')."""
    if value is None:
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", GROUP).replace(".", ",")


def km(metres: float | None, decimals: int = 1) -> str:
    return "–" if metres is None else f"{nombre(metres / 1000, decimals)}{UNIT}km"


def pourcent(share: float | None, decimals: int = 1) -> str:
    return "–" if share is None else f"{nombre(share * 100, decimals)}{UNIT}%"


def habitants(count: int | None) -> str:
    if count is None:
        return "population inconnue"
    return f"{nombre(count)}{UNIT}habitant{'s' if count > 1 else ''}"


def render(
    body: dict, assignment: dict, coverage: Coverage, own: Own, geometries: dict[str, str], meta: dict,
) -> str:
    """The HTML document. `body`: GET /coverage's JSON; `assignment`: GET /coverage/assignment's;
    `geometries`: each commune's GeoJSON geometry (text)."""
    shapes = {code: json.loads(text) for code, text in geometries.items()}
    thresholds = body["thresholds_km"]
    sheets = [_sheet(zone, assignment, coverage, own, shapes, thresholds) for zone in body["zones"]]
    environment = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    environment.filters.update(nombre=nombre, km=km, pourcent=pourcent, habitants=habitants)
    return environment.from_string(TEMPLATE).render(
        region=body["region"], sheets=sheets, thresholds=thresholds, legend=_legend(thresholds),
        data=meta["data"], method=meta["method"], generated=dt.datetime.now(dt.UTC).strftime("%d/%m/%Y %H:%M UTC"),
    )


def _sheet(zone: dict, assignment: dict, coverage: Coverage, own: Own, shapes: dict, thresholds: list) -> dict:
    network = coverage.network
    code = zone["code"]
    zone_codes = set(network.missions_locales[code].zone)
    members = [c for c in coverage.communes if c.code in zone_codes]
    rows = []
    for commune in members:
        own_site = own.of(commune.code, code)
        nearest = network.sites[commune.site_id]
        rows.append({
            "code": commune.code, "nom": commune.nom, "population": commune.population,
            "distance_m": own_site.distance_m if own_site else None,
            "site": network.sites[own_site.site_id].name if own_site and own_site.site_id else None,
            "nearest_distance_m": commune.distance_m, "nearest_mission_locale": nearest.mission_locale_name,
        })
    measured = [row for row in rows if row["distance_m"] is not None]
    farthest = sorted(measured, key=lambda row: (-row["distance_m"], row["code"]))[:FARTHEST]
    mismatches = [m for m in assignment["mismatches"] if m["code"] in zone_codes]
    summary = next((m for m in assignment["missions_locales"] if m["code"] == code), None)
    fills = {row["code"]: _colour(row["distance_m"], thresholds) for row in rows}
    titles = {row["code"]: f"{row['nom']} : {km(row['distance_m'])} du site {row['site'] or '–'}" for row in rows}
    sites = [s for s in network.sites.values() if s.mission_locale == code]
    others = [s for s in network.sites.values() if s.mission_locale != code]
    marks = [Mark(s.lon, s.lat, s.commune or s.name, True) for s in sites]
    marks += [Mark(s.lon, s.lat, f"{s.name} ({s.commune})", False) for s in others]
    svg = zone_map(
        {c.code: shapes[c.code] for c in members}, shapes, fills, {m["code"] for m in mismatches}, marks, titles,
        label=f"Carte de la zone de la {zone['name']}",
    ) if members else None
    return {
        "zone": zone, "sites": sorted(sites, key=lambda s: s.id), "farthest": farthest, "mismatches": mismatches,
        "communes_of_sites": {s.id: s.commune or "" for s in sites},
        "lost_to": summary["nearest_other"] if summary else [], "svg": svg,
    }


def _colour(distance_m: float | None, thresholds: list[float]) -> str:
    if distance_m is None:
        return "#d9d9d9"  # no own distance (a mission locale without a served site)
    return _class_colour(sum(distance_m > t * 1000 for t in thresholds), len(thresholds))


def _class_colour(rank: int, thresholds: int) -> str:
    """Class `rank` of thresholds + 1 classes (0: within the first threshold)."""
    if thresholds < len(PALETTE):
        return PALETTE[rank]
    # more classes than colours: neighbouring classes share a colour
    return PALETTE[round(rank * (len(PALETTE) - 1) / thresholds)]


def _legend(thresholds: list[float]) -> list[tuple[str, str]]:
    bounds = [f"{nombre(t, 1 if t % 1 else 0)}{UNIT}km" for t in thresholds]
    labels = [f"jusqu'à {bounds[0]}"] + [f"de {a} à {b}" for a, b in zip(bounds, bounds[1:], strict=False)]
    labels.append(f"au-delà de {bounds[-1]}")
    return [(_class_colour(rank, len(thresholds)), label) for rank, label in enumerate(labels)]


TEMPLATE = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Missions locales — fiches par zone ({{ region.nom }})</title>
<link rel="icon" href="data:,">
<style>
@page { size: A4; margin: 12mm 12mm 14mm; }
* { box-sizing: border-box; }
body { font: 10.5pt/1.35 "DejaVu Sans", Arial, sans-serif; color: #1b1b1b; margin: 0 auto;
       max-width: 190mm; }
h1 { font-size: 17pt; margin: 0 0 2mm; }
h2 { font-size: 15pt; margin: 0 0 1mm; }
h3 { font-size: 11pt; margin: 4mm 0 1.5mm; border-bottom: 1px solid #999; }
p { margin: 1mm 0; }
table { border-collapse: collapse; width: 100%; font-size: 9pt; }
th, td { border-bottom: 1px solid #ddd; padding: 0.6mm 1.5mm; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; }
td.n { white-space: nowrap; }
.sheet { break-before: page; page-break-before: always; padding-top: 2mm; }
.lead { color: #444; }
.figures { display: grid; grid-template-columns: repeat(3, 1fr); gap: 1.5mm; margin: 2mm 0; }
.figure { border: 1px solid #ccc; border-radius: 1.5mm; padding: 1.2mm 2mm; }
.figure b { display: block; font-size: 13pt; }
.zone-map { width: 100%; max-height: 118mm; border: 1px solid #ccc; display: block; }
.legend { font-size: 8.5pt; display: flex; flex-wrap: wrap; gap: 1mm 4mm; margin: 1mm 0; }
.swatch { display: inline-block; width: 4mm; height: 3mm; border: 1px solid #777; vertical-align: middle; }
.dot { display: inline-block; width: 3mm; height: 3mm; border-radius: 50%; vertical-align: middle; }
.sources { font-size: 8pt; color: #555; margin-top: 3mm; }
small.id { color: #666; font-size: 7.5pt; }
.avoid { break-inside: avoid; page-break-inside: avoid; }
nav a { color: inherit; }
@media print { a { color: inherit; text-decoration: none; } }
</style>
</head>
<body>
<header>
<h1>Les missions locales de la région {{ region.nom }}, zone par zone</h1>
<p class="lead">Une fiche par mission locale : sa zone officielle (table de l'Union nationale des missions
locales), la distance de chaque commune au site le plus proche de <em>sa</em> mission locale, ses communes les plus
éloignées et celles dont le site le plus proche est celui d'une autre mission locale. Distances géodésiques (à vol
d'oiseau, ellipsoïde WGS84) depuis le point de référence de chaque commune. Document produit le {{ generated }}
par <code>geosvc coverage report</code>.</p>
{% set own = region.own %}
<p>Dans la région : distance moyenne, pondérée par la population, au site le plus proche de sa propre mission
locale <b>{{ own.weighted_mean_distance_m | km }}</b> (médiane {{ own.weighted_median_distance_m | km }}), contre
{{ region.weighted_mean_distance_m | km }} au site le plus proche toutes missions locales confondues ;
{% for b in own.beyond %}{% if loop.last %}{{ b.population_share | pourcent }} des habitants vivent à plus de
{{ b.km | nombre(1 if b.km % 1 else 0) }}&nbsp;km du site de leur mission locale.{% endif %}{% endfor %}</p>
</header>
<nav>
<h3>Sommaire</h3>
<table>
<thead><tr><th>Mission locale</th><th class="n">Communes</th><th class="n">Habitants</th>
<th class="n">Superficie</th><th class="n">Distance moyenne (pondérée)</th><th class="n">Maximum</th>
<th class="n">Part au-delà de {{ thresholds[-1] | nombre(1 if thresholds[-1] % 1 else 0) }}&nbsp;km</th>
<th class="n">Communes plus proches d'une autre</th></tr></thead>
<tbody>
{% for s in sheets %}{% set z = s.zone %}
<tr><td><a href="#ml-{{ z.code }}">{{ z.name }}</a></td><td class="n">{{ z.communes | nombre }}</td>
<td class="n">{{ z.population | nombre }}</td><td class="n">{{ z.area_km2 | nombre(1) }}&nbsp;km²</td>
<td class="n">{{ z.weighted_mean_distance_m | km }}</td><td class="n">{{ z.max_distance_m | km }}</td>
<td class="n">{{ z.beyond[-1].population_share | pourcent }}</td>
<td class="n">{{ z.communes_nearest_other | nombre }}</td></tr>
{% endfor %}
</tbody>
</table>
</nav>
{% for s in sheets %}{% set z = s.zone %}
<section class="sheet" id="ml-{{ z.code }}" aria-labelledby="t-{{ z.code }}">
<h2 id="t-{{ z.code }}">{{ z.name }}</h2>
<p class="lead">Code UNML {{ z.code }} · {{ z.communes | nombre }} commune{{ "s" if z.communes > 1 }} ·
{{ z.population | habitants }} · {{ z.area_km2 | nombre(1) }}&nbsp;km² ·
{% if s.sites %}{{ s.sites | length }} site{{ "s" if s.sites | length > 1 }} servi{{ "s" if s.sites | length > 1 }}
{%- else %}aucun site servi{% endif %}</p>
{% if s.svg %}{{ s.svg }}
<div class="legend">
{% for colour, label in legend %}<span><span class="swatch" style="background:{{ colour }}"></span> {{ label }}</span>
{% endfor %}
<span><span class="swatch" style="background:#fff;border:2px solid #1b1b1b"></span>
plus proche d'une autre mission locale</span>
<span><span class="dot" style="background:#c62828"></span> site de la mission locale</span>
<span><span class="dot" style="background:#fff;border:1.5px solid #1b1b1b"></span>
site d'une autre mission locale</span></div>
{% endif %}
{% if z.communes_without_own_site %}
<p><b>Aucune distance :</b> la mission locale n'a pas de site servi dans les données
({{ z.communes_without_own_site | nombre }} communes sans distance).</p>
{% else %}
<div class="figures avoid">
<div class="figure">Distance moyenne pondérée<b>{{ z.weighted_mean_distance_m | km }}</b></div>
<div class="figure">Distance médiane pondérée<b>{{ z.weighted_median_distance_m | km }}</b></div>
<div class="figure">Commune la plus éloignée<b>{{ z.max_distance_m | km }}</b></div>
<div class="figure">Moyenne non pondérée<b>{{ z.mean_distance_m | km }}</b></div>
<div class="figure">Toutes missions locales confondues<b>{{ z.nearest_weighted_mean_distance_m | km }}</b></div>
<div class="figure">Site principal<b>{{ z.main_site.name if z.main_site else "–" }}</b>
{% if z.main_site %}le plus proche pour {{ z.main_site.population_share | pourcent }} des habitants{% endif %}</div>
</div>
<table class="avoid">
<thead><tr><th>Au-delà de</th>
{% for b in z.beyond %}<th class="n">{{ b.km | nombre(1 if b.km % 1 else 0) }}&nbsp;km</th>{% endfor %}</tr></thead>
<tbody>
<tr><td>Communes</td>
{% for b in z.beyond %}<td class="n">{{ b.communes | nombre }} ({{ b.communes_share | pourcent }})</td>{% endfor %}</tr>
<tr><td>Habitants</td>
{% for b in z.beyond %}<td class="n">{{ b.population | nombre }} ({{ b.population_share | pourcent }})</td>
{% endfor %}</tr>
</tbody>
</table>
<h3>Ses sites</h3>
<table class="avoid"><thead><tr><th>Site</th><th>Commune</th><th class="n">Communes dont il est le plus proche</th>
<th class="n">Habitants</th><th class="n">Part</th></tr></thead>
<tbody>{% for site in z.own_sites %}<tr><td>{{ site.name }} <small class="id">{{ site.id }}</small></td>
<td>{{ s.communes_of_sites[site.id] }}</td><td class="n">{{ site.communes | nombre }}</td>
<td class="n">{{ site.population | nombre }}</td><td class="n">{{ site.population_share | pourcent }}</td></tr>
{% endfor %}</tbody></table>
<h3>Les communes les plus éloignées de leur mission locale</h3>
<table class="avoid"><thead><tr><th>Commune</th><th class="n">Habitants</th>
<th>Site le plus proche de la mission locale</th><th class="n">Distance</th>
<th class="n">Site le plus proche, toutes missions locales</th></tr></thead>
<tbody>{% for row in s.farthest %}<tr><td>{{ row.nom }} ({{ row.code }})</td>
<td class="n">{{ row.population | nombre }}</td><td>{{ row.site }}</td><td class="n">{{ row.distance_m | km }}</td>
<td class="n">{{ row.nearest_distance_m | km }}
{%- if row.nearest_mission_locale != z.name %} ({{ row.nearest_mission_locale }}){% endif %}</td></tr>
{% endfor %}</tbody></table>
{% endif %}
<h3>Communes plus proches du site d'une autre mission locale</h3>
{% if s.mismatches %}
<p>{{ z.communes_nearest_other | nombre }} commune{{ "s" if z.communes_nearest_other > 1 }},
{{ z.population_nearest_other | habitants }} ({{ z.population_nearest_other_share | pourcent }} de la zone) :
{% for other in s.lost_to %}{{ other.name }} ({{ other.communes | nombre }}
commune{{ "s" if other.communes > 1 }}, {{ other.population | habitants }}){{ ", " if not loop.last else "." }}
{% endfor %}</p>
<table><thead><tr><th>Commune</th><th class="n">Habitants</th><th class="n">Distance à sa mission locale</th>
<th>Site le plus proche</th><th class="n">Distance à ce site</th><th class="n">Écart</th></tr></thead>
<tbody>{% for m in s.mismatches %}<tr><td>{{ m.nom }} ({{ m.code }})</td><td class="n">{{ m.population | nombre }}</td>
<td class="n">{{ m.own_distance_m | km }}</td><td>{{ m.nearest_site_name }}</td>
<td class="n">{{ m.nearest_distance_m | km }}</td><td class="n">{{ m.extra_distance_m | km }}</td></tr>
{% endfor %}</tbody></table>
{% else %}
<p>Aucune : pour chaque commune de la zone, le site le plus proche est celui de la mission locale.</p>
{% endif %}
<p class="sources">Sources :
{% for name, d in data.items() %}{{ d.source }} ({{ d.vintage }}){{ " ; " if not loop.last else "." }}
{% endfor %}Distance à vol d'oiseau, qui ne dit rien des transports ; seuls les sites servis des données comptent.</p>
</section>
{% endfor %}
</body>
</html>
"""
