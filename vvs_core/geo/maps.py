"""Map backgrounds: the tile layers named in the settings, what the page needs to
draw them, and the hosts the Content-Security-Policy must let images come from.

Two base layers, as the seeds show them: a plan and a satellite (aerial photograph)
view. Each is a Leaflet URL template (``{z}/{x}/{y}``, ``{s}`` for sub-domains);
an empty URL leaves it out, and with neither the maps keep their plain background
and nothing is fetched from another host (the test suite runs that way).
"""

import json
from urllib.parse import urlsplit

LAYERS = (
    # (key, French label shown on the switch, url setting, attribution setting)
    ("plan", "Plan", "vvs.map.tile_url", "vvs.map.tile_attribution"),
    ("satellite", "Satellite", "vvs.map.satellite_url", "vvs.map.satellite_attribution"))


def tile_layers(settings) -> list[dict]:
    """The configured base layers, in the order of the switch; the first is shown first."""
    max_zoom = int(settings.get("vvs.map.max_zoom") or 19)
    out = []
    for key, label, url_key, attribution_key in LAYERS:
        url = (settings.get(url_key) or "").strip()
        if url:
            out.append({"key": key, "label": label, "url": url,
                        "attribution": settings.get(attribution_key) or "", "maxZoom": max_zoom})
    return out


def tile_layers_json(settings) -> str:
    """What every page hands to the shared map script (vvs_core/static/js/vvs-map.js)."""
    return json.dumps(tile_layers(settings), ensure_ascii=False, separators=(",", ":"))


def tile_sources(settings) -> list[str]:
    """CSP sources of the configured tile hosts: ``https://data.geopf.fr``, and
    ``https://*.tile.example.org`` for a ``{s}.tile.example.org`` template."""
    out = []
    for layer in tile_layers(settings):
        url = layer["url"]
        if not url.startswith(("http://", "https://")):
            continue  # a path on this site: 'self' covers it
        parts = urlsplit(url.replace("{s}", "__sub__"))
        host = parts.netloc.replace("__sub__", "*")
        source = f"{parts.scheme}://{host}"
        if source not in out:
            out.append(source)
    return out
