"""OASIS CAP 1.2, the way every plugin writes it: namespace, times with the commune's
offset (never "Z"), a sender without spaces, commas, "<" or "&", polygons as closed
"lat,lon" rings (our geometries are lon, lat), and the XML document.

Plugins build their own messages (what an alert is belongs to them) with these pieces."""

from datetime import datetime

from vvs_core.web.timefmt import dates

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"


def cap_time(value: datetime) -> str:
    """CAP times carry the commune's offset: 2026-07-14T23:30:00+02:00 (``vvs.timezone``)."""
    return dates.iso(value)


def cap_sender(settings) -> str:
    return "".join(c for c in settings["vvs.platform_email"] if c not in " ,<&") or "vvs"


def cap_polygon(polygon) -> str:
    """A polygon's outer ring as CAP wants it: "lat,lon" pairs, closed."""
    return " ".join(f"{lat:.6f},{lon:.6f}" for lon, lat in polygon.exterior.coords)


def cap_element(parent, name: str, text=None):
    """A CAP child element of ``parent`` (or a root ``alert`` when ``parent`` is None)."""
    from lxml import etree  # loaded by the first CAP or Atom document, not by every web worker

    if parent is None:
        element = etree.Element(f"{{{CAP_NS}}}{name}", nsmap={None: CAP_NS})
    else:
        element = etree.SubElement(parent, f"{{{CAP_NS}}}{name}")
    if text is not None:
        element.text = str(text)
    return element


def cap_bytes(root) -> bytes:
    from lxml import etree

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
