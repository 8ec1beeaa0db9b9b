"""Maps people recognise (tile layers from the settings, one map set-up, the CSP that
follows the tile hosts); the contrast of the emergency banner and of every badge (WCAG
2.1 AA: 4.5:1). The accessibility statement is the plugin vvs_accessibility's
(tests/plugins/vvs_accessibility)."""
from __future__ import annotations

import re
from configparser import ConfigParser
from pathlib import Path

import pytest

from vvs_core.geo.maps import tile_layers, tile_sources
from vvs_core.web import csp_header

ROOT = Path(__file__).resolve().parents[2]
IGN_PLAN = ("https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2"
            "&STYLE=normal&TILEMATRIXSET=PM&FORMAT=image/png&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}")


# --- Tile layers and the CSP ------------------------------------------------------

def test_no_tile_url_means_no_layer_and_no_outside_host():
    assert tile_layers({}) == [] and tile_sources({}) == []
    img = re.search(r"img-src ([^;]*);", csp_header({})).group(1)
    assert img == "'self' data: blob:"


def test_plan_and_satellite_layers_and_the_csp_follows_them():
    settings = {"vvs.map.tile_url": IGN_PLAN, "vvs.map.tile_attribution": "© IGN – Géoplateforme",
                "vvs.map.satellite_url": IGN_PLAN.replace("GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2", "ORTHOIMAGERY.ORTHOPHOTOS"),
                "vvs.map.satellite_attribution": "© IGN", "vvs.map.max_zoom": 19}
    layers = tile_layers(settings)
    assert [(layer["key"], layer["label"]) for layer in layers] == [("plan", "Plan"), ("satellite", "Satellite")]
    assert layers[0]["attribution"] == "© IGN – Géoplateforme" and layers[0]["maxZoom"] == 19
    assert tile_sources(settings) == ["https://data.geopf.fr"]  # one host, named once
    img = re.search(r"img-src ([^;]*);", csp_header(settings)).group(1)
    assert img == "'self' data: blob: https://data.geopf.fr"


def test_subdomain_templates_and_self_hosted_tiles():
    settings = {"vvs.map.tile_url": "https://{s}.tile.openstreetmap.fr/osmfr/{z}/{x}/{y}.png",
                "vvs.map.satellite_url": "/tuiles/ortho/{z}/{x}/{y}.jpg"}
    assert tile_sources(settings) == ["https://*.tile.openstreetmap.fr"]  # a path on this site needs nothing more
    assert len(tile_layers(settings)) == 2


@pytest.mark.parametrize("name", ["development.ini", "production.ini"])
def test_shipped_ini_files_name_the_ign_plan_and_photographs_with_their_attribution(name):
    ini = ConfigParser(interpolation=None)
    ini.read(ROOT / name)
    app = ini["app:main"]
    assert "LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2" in app["vvs.map.tile_url"]
    assert "LAYER=ORTHOIMAGERY.ORTHOPHOTOS" in app["vvs.map.satellite_url"]
    assert "IGN" in app["vvs.map.tile_attribution"] and "IGN" in app["vvs.map.satellite_attribution"]
    for key in ("vvs.map.tile_url", "vvs.map.satellite_url"):
        assert all(part in app[key] for part in ("{z}", "{x}", "{y}")), key


def test_every_map_uses_the_one_map_set_up():
    """Leaflet maps and tile layers are made in vvs_core/static/js/vvs-map.js only."""
    shared = ROOT / "vvs_core" / "static" / "js" / "vvs-map.js"
    scripts = [p for p in list(ROOT.glob("vvs_core/static/js/*.js")) + list(ROOT.glob("plugins/*/static/*.js")) if p != shared]
    offenders = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in scripts
                 for m in re.finditer(r"L\.(map|tileLayer)\(", p.read_text("utf-8"))]
    assert offenders == []
    templates = list(ROOT.glob("vvs_core/**/templates/*.pt")) + list(ROOT.glob("plugins/*/templates/*.pt"))
    assert [p.name for p in templates if "data-tile" in p.read_text("utf-8")] == []


def test_pages_hand_the_layers_to_the_map_script(testapp, app_registry, make_user, make_community):
    member = make_user()
    community = make_community(members=[member])
    testapp.login(member)
    page = testapp.get(f"/communaute/{community.id}")
    assert 'name="vvs-map-layers" content="[]"' in page.text  # the test settings: no tile URL
    assert "js/vvs-map.js" in page.text and "leaflet.js" in page.text
    assert f'data-name="{community.name}"' in page.text  # the polygon's label


# --- Contrast (WCAG 2.1 AA, 1.4.3) -----------------------------------------------------

def luminance(hex_colour: str) -> float:
    hex_colour = hex_colour.lstrip("#")
    if len(hex_colour) == 3:
        hex_colour = "".join(c * 2 for c in hex_colour)
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def css_rules() -> tuple[dict, dict]:
    text = "\n".join(p.read_text("utf-8") for p in list(ROOT.glob("vvs_core/static/css/*.css")) + list(ROOT.glob("plugins/*/static/*.css")))
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    variables = dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{3,6})", text))
    rules = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
        props = dict((k.strip(), v.strip()) for k, v in re.findall(r"([\w-]+)\s*:\s*([^;]+)", body))
        for selector in selectors.split(","):
            rules.setdefault(selector.strip(), {}).update(props)
    return rules, variables


@pytest.mark.parametrize("selector, default_background", [
    (".emergency", None), (".alert-emergency", None), (".badge", None), (".pill", None), (".pill.alert", None),
    (".pill.ok", None), (".gz-pill-mairie", None), (".flash-error", "#ffffff"), (".flash-success", "#ffffff"),
    (".flash-warning", "#ffffff"), (".btn.secondary", None), (".btn.danger", None), (".muted", "#ffffff"),
])
def test_contrast_of_the_emergency_banner_and_of_every_badge(selector, default_background):
    rules, variables = css_rules()
    props = rules[selector]

    def colour(value):
        value = value.split()[0]
        return variables.get(value[4:-1], value) if value.startswith("var(") else value

    base = rules.get(selector.split(".")[1] and "." + selector.split(".")[1], {}) if selector.count(".") > 1 else {}
    fg = colour(props.get("color") or base.get("color") or variables["--ink"])
    bg = colour(props.get("background") or base.get("background") or default_background or variables["--bg"])
    assert contrast(fg, bg) >= 4.5, f"{selector}: {fg} on {bg} = {contrast(fg, bg):.2f}:1"
