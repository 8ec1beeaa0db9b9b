"""Reading official warning documents safely: CAP 1.2 (alone or in an Atom feed, as
MeteoAlarm publishes it) and the Vigicrues GeoJSON of river sections.

Everything here reads bytes already fetched and answers plain ``SourceWarning``
records, with (lon, lat) geometries. Hostile XML never gets a chance: a document
larger than the limit, or holding a DOCTYPE (the only door to entities, external
files and "billion laughs"), is refused before or while lxml parses it without
entities, DTD or network (``HostileDocument``); a document that is not what it claims
is ``UnreadableDocument``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree
from shapely.geometry import MultiPolygon, Point, Polygon, shape
from shapely.ops import unary_union

from vvs_core.notify.cap import CAP_NS
from vvs_core.web.jsonlimits import TooDeep, TooLarge, loads_limited

ATOM_NS = "http://www.w3.org/2005/Atom"
SEVERITIES = ("Unknown", "Minor", "Moderate", "Severe", "Extreme")
MSG_TYPES = ("Alert", "Update", "Cancel")
# Vigicrues' vigilance level (NivInfViCr): 1 vert, 2 jaune, 3 orange, 4 rouge.
VIGICRUES_SEVERITY = {1: "Minor", 2: "Moderate", 3: "Severe", 4: "Extreme"}
VIGICRUES_COLOUR = {1: "verte", 2: "jaune", 3: "orange", 4: "rouge"}
MAX_POLYGON_POINTS = 20_000


class DocumentRefused(Exception):
    """Base of the two refusals; its message is the one log line."""


class HostileDocument(DocumentRefused):
    """Too large, or a DOCTYPE / entity declaration: refused unread."""


class UnreadableDocument(DocumentRefused):
    """Not well-formed, or not the format announced."""


@dataclass
class SourceWarning:
    """One message of an official source, in our terms."""
    key: str                       # "sender,identifier": what CAP references point to
    msg_type: str = "Alert"        # Alert | Update | Cancel
    status: str = "Actual"
    references: list[str] = field(default_factory=list)   # keys of earlier messages
    sender_name: str = ""
    event: str = ""
    headline: str = ""
    description: str = ""
    instruction: str = ""
    severity: str = "Unknown"
    urgency: str = "Unknown"
    certainty: str = "Unknown"
    onset: datetime | None = None
    expires: datetime | None = None
    area_desc: str = ""
    area: object | None = None     # a shapely geometry, (lon, lat)
    geocodes: list[tuple[str, str]] = field(default_factory=list)
    web: str = ""
    colour: str = ""               # "jaune", "orange", "rouge" when the source says it


# --- XML --------------------------------------------------------------------------

_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=True, remove_pis=True)


def parse_xml(data: bytes, max_bytes: int) -> etree._Element:
    """The root element of ``data``, or a refusal."""
    if len(data) > max_bytes:
        raise HostileDocument(f"document of {len(data)} bytes, above the limit of {max_bytes}")
    if _DOCTYPE.search(data):
        raise HostileDocument("document with a DOCTYPE or an entity declaration")
    try:
        tree = etree.fromstring(data, _parser()).getroottree()
    except (etree.XMLSyntaxError, ValueError) as error:
        raise UnreadableDocument(f"not well-formed XML ({str(error)[:120]})") from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:  # another encoding hid it from the scan
        raise HostileDocument("document with a DOCTYPE or an entity declaration")
    for _node in tree.iter(etree.Entity):
        raise HostileDocument("document with an entity reference")
    return tree.getroot()


def _text(element, name: str, ns: str = CAP_NS) -> str:
    child = element.find(f"{{{ns}}}{name}")
    return (child.text or "").strip() if child is not None else ""


def parse_time(text: str) -> datetime | None:
    """A CAP/Atom time (offset required, "Z" tolerated) as an aware datetime."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def cap_polygon(text: str) -> Polygon | None:
    """A CAP polygon ("lat,lon lat,lon …", closed, at least four pairs) as (lon, lat)."""
    pairs = (text or "").split()
    if len(pairs) < 4 or len(pairs) > MAX_POLYGON_POINTS:
        return None
    try:
        points = [(float(lon), float(lat)) for lat, lon in (p.split(",") for p in pairs)]
    except ValueError:
        return None
    if not all(-90 <= lat <= 90 and -180 <= lon <= 180 for lon, lat in points):
        return None
    polygon = Polygon(points)
    if not polygon.is_valid:
        polygon = polygon.buffer(0)
    return polygon if not polygon.is_empty else None


def _cap_circle(text: str) -> Polygon | None:
    """"lat,lon radius_km" as a polygon (radius in degrees of latitude: 1° ≈ 111 km)."""
    try:
        centre, radius = text.split()
        lat, lon = (float(v) for v in centre.split(","))
        return None if float(radius) <= 0 else Point(lon, lat).buffer(float(radius) / 111.0)
    except ValueError:
        return None


def _reference_keys(text: str) -> list[str]:
    """CAP references: space-separated "sender,identifier,sent" triples."""
    out = []
    for triple in (text or "").split():
        parts = triple.split(",")
        if len(parts) >= 2:
            out.append(f"{parts[0]},{parts[1]}")
    return out


def _cap_info(info) -> dict:
    areas, geocodes, descs = [], [], []
    for area in info.findall(f"{{{CAP_NS}}}area"):
        descs.append(_text(area, "areaDesc"))
        for polygon in area.findall(f"{{{CAP_NS}}}polygon"):
            shape_ = cap_polygon(polygon.text or "")
            if shape_ is not None:
                areas.append(shape_)
        for circle in area.findall(f"{{{CAP_NS}}}circle"):
            shape_ = _cap_circle(circle.text or "")
            if shape_ is not None:
                areas.append(shape_)
        for geocode in area.findall(f"{{{CAP_NS}}}geocode"):
            geocodes.append((_text(geocode, "valueName"), _text(geocode, "value")))
    colour = ""
    for parameter in info.findall(f"{{{CAP_NS}}}parameter"):
        if _text(parameter, "valueName") == "awareness_level":  # MeteoAlarm: "3; orange; Severe"
            parts = [p.strip() for p in _text(parameter, "value").split(";")]
            colour = {"yellow": "jaune", "orange": "orange", "red": "rouge"}.get(parts[1] if len(parts) > 1 else "", "")
    severity = _text(info, "severity")
    return {
        "event": _text(info, "event"), "headline": _text(info, "headline"),
        "description": _text(info, "description"), "instruction": _text(info, "instruction"),
        "severity": severity if severity in SEVERITIES else "Unknown",
        "urgency": _text(info, "urgency") or "Unknown", "certainty": _text(info, "certainty") or "Unknown",
        "onset": parse_time(_text(info, "onset") or _text(info, "effective")),
        "expires": parse_time(_text(info, "expires")), "sender_name": _text(info, "senderName"),
        "web": _text(info, "web"), "area_desc": "; ".join(d for d in descs if d),
        "area": unary_union(areas) if areas else None, "geocodes": geocodes, "colour": colour,
        "language": _text(info, "language").lower(),
    }


def read_cap_alert(alert) -> SourceWarning:
    """One CAP 1.2 ``<alert>`` element (its French ``<info>`` when it has several)."""
    if alert.tag != f"{{{CAP_NS}}}alert":
        raise UnreadableDocument(f"not a CAP 1.2 alert ({alert.tag[:80]})")
    sender, identifier = _text(alert, "sender"), _text(alert, "identifier")
    if not sender or not identifier:
        raise UnreadableDocument("CAP alert without sender or identifier")
    msg_type = _text(alert, "msgType")
    if msg_type not in MSG_TYPES:
        raise UnreadableDocument(f"CAP msgType {msg_type[:20]!r} is not relayed")
    infos = [_cap_info(i) for i in alert.findall(f"{{{CAP_NS}}}info")]
    info = next((i for i in infos if i["language"].startswith("fr")), infos[0] if infos else {})
    if len(infos) > 1:  # every language describes the same areas
        info = {**info, "area": unary_union([i["area"] for i in infos if i["area"] is not None]) or None,
                "geocodes": sorted({g for i in infos for g in i["geocodes"]})}
    info.pop("language", None)
    warning = SourceWarning(key=f"{sender},{identifier}", msg_type=msg_type, status=_text(alert, "status"),
                            references=_reference_keys(_text(alert, "references")), **info)
    if not warning.sender_name:
        warning.sender_name = sender
    return warning


def read_cap(data: bytes, max_bytes: int) -> SourceWarning:
    return read_cap_alert(parse_xml(data, max_bytes))


@dataclass
class AtomEntry:
    """An entry of a CAP Atom feed: its CAP message when embedded, else the link to it."""
    warning: SourceWarning | None
    cap_url: str
    key: str


def read_atom(data: bytes, max_bytes: int) -> list[AtomEntry]:
    root = parse_xml(data, max_bytes)
    if root.tag != f"{{{ATOM_NS}}}feed":
        raise UnreadableDocument(f"not an Atom feed ({root.tag[:80]})")
    entries = []
    for entry in root.findall(f"{{{ATOM_NS}}}entry"):
        embedded = entry.find(f"{{{ATOM_NS}}}content/{{{CAP_NS}}}alert")
        link = next((l.get("href", "") for l in entry.findall(f"{{{ATOM_NS}}}link")
                     if l.get("type") == "application/cap+xml"), "")
        identifier = _text(entry, "identifier")
        sender = _text(entry, "sender")
        key = f"{sender},{identifier}" if sender and identifier else ""
        if embedded is not None:
            try:
                warning = read_cap_alert(embedded)
            except UnreadableDocument:
                continue
            entries.append(AtomEntry(warning, link, warning.key))
        elif link:
            entries.append(AtomEntry(None, link, key))
    return entries


# --- Vigicrues ----------------------------------------------------------------------

@dataclass
class RiverSection:
    """A Vigicrues section (tronçon) and its vigilance level (1 to 4)."""
    code: str
    name: str
    level: int
    geometry: object


def read_vigicrues(data: bytes, max_bytes: int) -> list[RiverSection]:
    """The sections of Vigicrues' InfoVigiCru GeoJSON (properties CdEntCru, LbEntCru,
    NivInfViCr; (Multi)LineString geometries in WGS 84)."""
    try:
        document = loads_limited(data.decode("utf-8"), max_bytes, max_depth=8)
    except (TooLarge, TooDeep):
        raise HostileDocument(f"GeoJSON above the limit of {max_bytes} bytes or 8 levels") from None
    except (ValueError, UnicodeDecodeError):
        raise UnreadableDocument("not JSON") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise UnreadableDocument("not a GeoJSON FeatureCollection")
    sections = []
    for feature in document.get("features") or []:
        if not isinstance(feature, dict):
            continue
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            continue
        code = str(props.get("CdEntCru") or props.get("CdEntVigiCru") or "").strip()[:40]
        try:
            level = int(props.get("NivInfViCr") or 0)
            geometry = shape(feature.get("geometry") or {})
        except (ValueError, TypeError, KeyError, AttributeError, Exception):  # shapely raises its own kinds
            continue
        if not code or level not in VIGICRUES_SEVERITY or geometry.is_empty:
            continue
        name = str(props.get("LbEntCru") or props.get("lbentcru") or props.get("NomEntVigiCru") or code)[:120]
        sections.append(RiverSection(code, name, level, geometry))
    return sections


def as_polygonal(geometry):
    """The polygons of a geometry (a MultiPolygon kept whole), or None."""
    if geometry is None or geometry.is_empty:
        return None
    if isinstance(geometry, (Polygon, MultiPolygon)):
        return geometry
    parts = [g for g in getattr(geometry, "geoms", []) if isinstance(g, (Polygon, MultiPolygon))]
    return unary_union(parts) if parts else None
