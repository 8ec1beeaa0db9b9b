"""/accessibilite: the accessibility statement (RGAA 4.1 model), with the results
measured by the browser tests (see statement.py)."""

from datetime import datetime

from pyramid.view import view_config

from vvs_core.web.links import public_base_url
from vvs_core.web.timefmt import dates

from .statement import conformity_label, load_statement_data

# Where a person refused access can turn (the RGAA model's "voies de recours").
DEFENSEUR_FORM = "https://formulaire.defenseurdesdroits.fr/"
DEFENSEUR_DELEGATES = "https://www.defenseurdesdroits.fr/saisir/delegues"


def statement_data(registry) -> dict | None:
    """The measured data, its list of pages limited to the pages this site serves (the
    measure ran with every plugin enabled)."""
    if "vvs.accessibility_data" not in registry:
        data = load_statement_data()
        if data:
            data = {**data, "pages": [p for p in data.get("pages", []) if serves(registry, p["path"])]}
        registry["vvs.accessibility_data"] = data
    return registry["vvs.accessibility_data"]


def serves(registry, pattern: str) -> bool:
    """Whether a measured page pattern ("/communaute/{id}") is a route of this site."""
    from pyramid.interfaces import IRoutesMapper

    path = pattern.replace("{id}", "1")
    mapper = registry.queryUtility(IRoutesMapper)
    return mapper is not None and any(route.match(path) is not None for route in mapper.get_routes())


@view_config(route_name="accessibility", renderer="vvs_accessibility:templates/accessibility.pt", permission="public")
def accessibility_view(request):
    settings = request.registry.settings
    data = statement_data(request.registry)
    measured = datetime.fromisoformat(data["generated_at"]) if data else None
    return {
        "title": "Déclaration d'accessibilité",
        "conformity": conformity_label(settings),
        "conformity_key": settings.get("vvs.accessibility.conformity") or "non",
        "data": data,
        "measured_label": dates.full_date(measured),
        "site_name": settings["vvs.site_name"],
        "site_url": public_base_url(request),
        "defenseur_form": DEFENSEUR_FORM,
        "defenseur_delegates": DEFENSEUR_DELEGATES,
        "contact": settings["vvs.platform_email"],
        "extra_css": [request.layout.static("css/resident.css")],
    }
