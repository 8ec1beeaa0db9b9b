"""An area drawn on the map by a commune agent or a référent (a commune alert, a roll-call):
the one reading of the posted GeoJSON polygon, with its French refusals.

The form field that draws it is ``area_field.macros['field']`` (vvs_core/geo/templates/area_field.pt)
with the script vvs_core/static/js/area-field.js (keyboard-usable: see docs/accessibility.md).
"""

import shapely
from shapely.geometry import shape

from vvs_core import geo
from vvs_core.models import row_id
from vvs_core.web.jsonlimits import TooLarge, loads_limited

MAX_AREA_M2 = 200_000_000  # larger than any commune: a drawing mistake
AREA_MAX_BYTES = 100_000


def parse_area(text: str):
    """(polygon, None) or (None, French message) from a GeoJSON polygon geometry."""
    if not text:
        return None, "Dessinez la zone : placez au moins trois sommets sur la carte, au doigt, à la souris ou au clavier."
    try:
        polygon = shape(loads_limited(text, AREA_MAX_BYTES, max_depth=6))  # a GeoJSON polygon: 3 levels
    except TooLarge:
        return None, "La zone dessinée a trop de points : simplifiez le dessin."
    except (ValueError, TypeError, KeyError, AttributeError, shapely.errors.GEOSException):
        return None, "La zone dessinée est illisible : recommencez le dessin."
    problem = geo.validate_polygon(polygon)
    if problem:
        return None, problem
    if geo.area_m2(polygon) > MAX_AREA_M2:
        return None, "La zone dessinée est trop grande."
    return polygon, None


def read_audience(data: dict, errors: dict, ticked: list[str], allowed_ids) -> None:
    """A form sent to ``data["target"]``: "communities" sets ``data["community_ids"]`` (the
    ``ticked`` ids among ``allowed_ids``), "area" ``data["area"]`` (from ``data["area_json"]``);
    a French message in ``errors`` instead."""
    if data["target"] == "communities":
        chosen = {found for v in ticked if (found := row_id(v))}
        data["community_ids"] = sorted(chosen & set(allowed_ids))
        if not data["community_ids"]:
            errors["communities"] = "Cochez au moins une communauté."
    elif data["target"] == "area":
        data["area"], problem = parse_area(data["area_json"])
        if problem:
            errors["area"] = problem
