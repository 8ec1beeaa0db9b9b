"""/accessibilite: the accessibility statement (RGAA 4.1 model), with the results
measured by the browser tests (see vvs_core/accessibility.py)."""
from __future__ import annotations

from datetime import datetime

from pyramid.view import view_config

from ..accessibility import conformity_label, load_statement_data
from ..links import public_base_url

# Where a person refused access can turn (the RGAA model's "voies de recours").
DEFENSEUR_FORM = "https://formulaire.defenseurdesdroits.fr/"
DEFENSEUR_DELEGATES = "https://www.defenseurdesdroits.fr/saisir/delegues"


def includeme(config):
    config.add_route("accessibility", "/accessibilite")
    config.scan(".accessibility")


def statement_data(registry) -> dict | None:
    if "vvs.accessibility_data" not in registry:
        registry["vvs.accessibility_data"] = load_statement_data()
    return registry["vvs.accessibility_data"]


MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")


def french_date(when: datetime) -> str:
    return f"{'1er' if when.day == 1 else when.day} {MONTHS[when.month - 1]} {when.year}"


@view_config(route_name="accessibility", renderer="vvs_core:templates/accessibility.pt", permission="public")
def accessibility_view(request):
    settings = request.registry.settings
    data = statement_data(request.registry)
    measured = datetime.fromisoformat(data["generated_at"]) if data else None
    return {
        "title": "Déclaration d'accessibilité",
        "conformity": conformity_label(settings),
        "conformity_key": settings.get("vvs.accessibility.conformity") or "non",
        "data": data,
        "measured_label": french_date(measured) if measured else "",
        "site_name": settings["vvs.site_name"],
        "site_url": public_base_url(request),
        "defenseur_form": DEFENSEUR_FORM,
        "defenseur_delegates": DEFENSEUR_DELEGATES,
        "contact": settings["vvs.platform_email"],
        "extra_css": [request.layout.static("css/resident.css")],
    }
