"""The application as gunicorn serves it in the benchmarks, plus two reference views:
``/bench/hello`` (a bare hello world), ``/bench/home-ceiling`` and ``/bench/gazette-ceiling``
(those pages' templates rendered from fixed in-memory data, no database: their ceilings).

A ceiling renders the page as the signed-in resident sees it (header menu with their
entries, log-out button) from fixed data: no session is read, no user loaded, no query."""
import json
import os
from datetime import datetime, timezone
from types import SimpleNamespace

from pyramid.response import Response

from vvs_core import make_config, settle
from vvs_core.hooktypes import ActivityItem, MenuItem
from vvs_core.web import LayoutHelpers

FIXED_USER = SimpleNamespace(id=1, first_name="Marie", display_pseudonym="marie")
# The resident's menu as the real page shows it.
FIXED_MENU = [MenuItem(label, url, order) for order, (url, label) in enumerate([
    ("/", "Accueil"), ("/alertes", "Alertes"), ("/alertes/nouvelle", "Lancer une alerte"),
    ("/gazette/communaute/1", "La Gazette"), ("/messagerie", "Messagerie"), ("/jumelages/communaute/1", "Jumelages"),
    ("/convaincre-ma-mairie", "Convaincre ma mairie"), ("/parametres", "Mes paramètres")])]

FIXED = {
    "title": "Accueil",
    "greeting": "Marie",
    "communities": [{"membership": SimpleNamespace(status="active", role="member"),
                     "community": SimpleNamespace(id=1, name="Quartier du Parc"), "members": 31,
                     "url": "/communaute/1", "decides": "",
                     # what plugins add under the card (vvs_community_links): the invitations' link
                     "links": [SimpleNamespace(label="Inviter des voisins", url="/communaute/1/invitations", note="")]}],
    "activity": [ActivityItem(datetime(2026, 11, 1, 9, 30, tzinfo=timezone.utc), f"Activité {i}", "/") for i in range(5)],
}


class FixedLayout(LayoutHelpers):
    menu = FIXED_MENU

    @property
    def csrf_token(self):
        return "0" * 40


def as_fixed_resident(request) -> None:
    """Make the layout render for the fixed signed-in resident."""
    request.__dict__["user"] = FIXED_USER
    request.__dict__["layout"] = FixedLayout(request)


def hello(request):
    return Response("<!DOCTYPE html><title>hello</title><p>Bonjour</p>", content_type="text/html")


def home_ceiling(request):
    as_fixed_resident(request)
    return {**FIXED, "extra_css": [request.layout.static("css/resident.css")]}


def build():
    settings = json.loads(os.environ["VVS_BENCH_SETTINGS"])
    config = make_config(settings)
    config.add_route("bench_hello", "/bench/hello")
    config.add_view(hello, route_name="bench_hello", permission="public")
    config.add_route("bench_home_ceiling", "/bench/home-ceiling")
    config.add_view(home_ceiling, route_name="bench_home_ceiling", permission="public",
                    renderer="vvs_core:communities/templates/home.pt")
    from bench.bench_gazette import gazette_ceiling

    config.add_route("bench_gazette_ceiling", "/bench/gazette-ceiling")
    config.add_view(gazette_ceiling, route_name="bench_gazette_ceiling", permission="public",
                    renderer="vvs_gazette:templates/index.pt")
    return settle(config.make_wsgi_app())  # as vvs_core.main does in production


app = build()
