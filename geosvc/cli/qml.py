"""Small QGIS layer styles (QML), for the `layer_styles` table of coverage.gpkg.

Only what the layers need: a single, graduated or categorized renderer of simple fill or
marker symbols, and a simple label. Symbol properties are written twice, as QGIS 3.22 to 3.28
write them (an `Option` map for the newer versions, `prop` elements for the older ones);
every attribute left out takes QGIS's default. Checked by loading the GeoPackage in QGIS
3.22 (Debian 12's): docs/QGIS.md.
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"


@dataclasses.dataclass(frozen=True)
class Fill:
    color: str  # "r,g,b,a"
    outline: str = "90,90,90,255"
    outline_width_mm: float = 0.1
    filled: bool = True

    def properties(self) -> tuple[str, dict[str, str]]:
        return "SimpleFill", {
            "color": self.color, "style": "solid" if self.filled else "no",
            "outline_color": self.outline, "outline_style": "solid",
            "outline_width": f"{self.outline_width_mm:g}", "outline_width_unit": "MM", "joinstyle": "bevel",
        }

    kind = "fill"


@dataclasses.dataclass(frozen=True)
class Marker:
    color: str
    outline: str = "255,255,255,255"
    size_mm: float = 2.6
    shape: str = "circle"

    def properties(self) -> tuple[str, dict[str, str]]:
        return "SimpleMarker", {
            "name": self.shape, "color": self.color, "outline_color": self.outline, "outline_style": "solid",
            "outline_width": "0.4", "outline_width_unit": "MM", "size": f"{self.size_mm:g}", "size_unit": "MM",
        }

    kind = "marker"


Symbol = Fill | Marker


def single(symbol: Symbol, label: str | None = None) -> str:
    renderer = ET.Element("renderer-v2", type="singleSymbol", symbollevels="0", forceraster="0", enableorderby="0")
    symbols = ET.SubElement(renderer, "symbols")
    symbols.append(_symbol("0", symbol))
    return _document(renderer, label)


def graduated(attribute: str, classes: list[tuple[float, float, str, Symbol]], label: str | None = None) -> str:
    """classes: (lower, upper, legend, symbol); QGIS puts a value in the first class whose
    lower < value <= upper (lower <= value for the first class)."""
    renderer = ET.Element("renderer-v2", type="graduatedSymbol", attr=attribute, graduatedMethod="GraduatedColor",
                          symbollevels="0", forceraster="0", enableorderby="0")
    ranges = ET.SubElement(renderer, "ranges")
    symbols = ET.SubElement(renderer, "symbols")
    for index, (lower, upper, legend, symbol) in enumerate(classes):
        ET.SubElement(ranges, "range", lower=repr(float(lower)), upper=repr(float(upper)), symbol=str(index),
                      label=legend, render="true")
        symbols.append(_symbol(str(index), symbol))
    ET.SubElement(renderer, "classificationMethod", id="Custom")
    return _document(renderer, label)


def categorized(attribute: str, categories: list[tuple[str, str, Symbol]], label: str | None = None) -> str:
    """categories: (value, legend, symbol)."""
    renderer = ET.Element("renderer-v2", type="categorizedSymbol", attr=attribute, symbollevels="0",
                          forceraster="0", enableorderby="0")
    element = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for index, (value, legend, symbol) in enumerate(categories):
        ET.SubElement(element, "category", value=value, symbol=str(index), label=legend, render="true")
        symbols.append(_symbol(str(index), symbol))
    return _document(renderer, label)


def _symbol(name: str, symbol: Symbol) -> ET.Element:
    element = ET.Element("symbol", type=symbol.kind, name=name, alpha="1", clip_to_extent="1", force_rhr="0")
    class_name, properties = symbol.properties()
    layer = ET.SubElement(element, "layer", {"class": class_name, "enabled": "1", "locked": "0", "pass": "0"})
    options = ET.SubElement(layer, "Option", type="Map")
    for key, value in properties.items():
        ET.SubElement(options, "Option", name=key, value=value, type="QString")
    for key, value in properties.items():
        ET.SubElement(layer, "prop", k=key, v=value)
    return element


def _labeling(field: str) -> ET.Element:
    labeling = ET.Element("labeling", type="simple")
    settings = ET.SubElement(labeling, "settings", calloutType="simple")
    style = ET.SubElement(settings, "text-style", fieldName=field, isExpression="0", fontSize="8",
                          fontSizeUnit="Point", fontWeight="63", textColor="40,40,40,255", textOpacity="1")
    ET.SubElement(style, "text-buffer", bufferDraw="1", bufferSize="0.8", bufferSizeUnits="MM",
                  bufferColor="255,255,255,255", bufferOpacity="0.8")
    # placement 4: horizontal, anywhere inside the polygon (polygonPlacementFlags 2), clear of the sites
    ET.SubElement(settings, "placement", placement="4", polygonPlacementFlags="2")
    ET.SubElement(settings, "rendering", obstacle="1", drawLabels="1", upsidedownLabels="0")
    return labeling


def _document(renderer: ET.Element, label: str | None) -> str:
    styles = "Symbology|Labeling" if label else "Symbology"
    root = ET.Element("qgis", version="3.22.0", styleCategories=styles, labelsEnabled="1" if label else "0")
    root.append(renderer)
    if label:
        root.append(_labeling(label))
    ET.indent(root, space=" ")
    return f"{DOCTYPE}\n{ET.tostring(root, encoding='unicode')}\n"
