"""The installable web app: its manifest, its service worker (served from the root
so that its scope is the whole site) and the page shown when the network is gone."""

import json
from importlib import resources

from pyramid.response import Response
from pyramid.view import view_config

THEME_COLOUR = "#0b5394"  # --brand in vvs.css
BACKGROUND = "#fbfbf8"


def includeme(config):
    config.add_route("pwa_manifest", "/manifest.webmanifest")
    config.add_route("pwa_service_worker", "/sw.js")
    config.add_route("pwa_offline", "/hors-ligne")
    config.registry.vvs_service_worker_scripts = []  # plugins append "package:path" specs
    config.scan(".pwa")


def manifest(request) -> dict:
    name = request.registry.settings["vvs.site_name"]
    icon = lambda path, size, purpose="any": {  # noqa: E731
        "src": request.static_path(f"vvs_core:static/icons/{path}"), "sizes": size, "type": "image/png",
        "purpose": purpose}
    return {
        "name": name, "short_name": "Voisins", "lang": "fr", "dir": "ltr",
        "description": "Alertes, entraide et nouvelles de votre quartier.",
        "start_url": "/?source=app", "scope": "/", "display": "standalone", "orientation": "portrait",
        "theme_color": THEME_COLOUR, "background_color": BACKGROUND,
        "icons": [icon("icon-192.png", "192x192"), icon("icon-512.png", "512x512"),
                  icon("icon-maskable-512.png", "512x512", "maskable")],
    }


@view_config(route_name="pwa_manifest", permission="public")
def manifest_view(request):
    body = json.dumps(manifest(request), ensure_ascii=False).encode("utf-8")
    response = Response(body=body, content_type="application/manifest+json", charset="utf-8")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@view_config(route_name="pwa_service_worker", permission="public")
def service_worker_view(request):
    """The core's worker, then the scripts plugins add (``registry.vvs_service_worker_scripts``,
    ``package:path`` specs): one file, whose scope is the whole site."""
    parts = [resources.files("vvs_core").joinpath("static/js/sw.js").read_bytes()]
    for spec in request.registry.vvs_service_worker_scripts:
        package, _, path = spec.partition(":")
        parts.append(resources.files(package).joinpath(path).read_bytes())
    body = b"\n".join(parts)
    response = Response(body=body, content_type="application/javascript", charset="utf-8")
    response.headers["Service-Worker-Allowed"] = "/"
    # Browsers check for a new worker at each visit; an HTTP cache would delay fixes.
    response.headers["Cache-Control"] = "no-cache"
    return response


@view_config(route_name="pwa_offline", renderer="vvs_core:web/templates/offline.pt", permission="public")
def offline_view(request):
    return {"title": "Hors ligne", "css": request.static_path("vvs_core:static/css/vvs.css"),
            "icon": request.static_path("vvs_core:static/icons/icon-192.png"),
            "site_name": request.registry.settings["vvs.site_name"]}
