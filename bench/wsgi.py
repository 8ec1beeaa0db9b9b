"""The application as gunicorn serves it in the benchmarks, plus two reference views:
``/bench/hello`` (a bare hello world), ``/bench/home-ceiling`` and ``/bench/gazette-ceiling``
(those pages' templates rendered from fixed in-memory data, no database: their ceilings)."""
import json
import os
from datetime import datetime, timezone

from pyramid.response import Response

from vvs_core import make_config
from vvs_core.hooktypes import ActivityItem


class _Community:
    def __init__(self, name):
        self.id, self.name = 1, name


class _Membership:
    status, role = "active", "member"


FIXED = {
    "title": "Accueil",
    "greeting": "Marie",
    "communities": [{"membership": _Membership(), "community": _Community("Quartier du Parc"), "members": 31,
                     "url": "/communaute/1", "decides": "", "invitations": {"sent": 3, "accepted": 1}}],
    "activity": [ActivityItem(datetime(2026, 11, 1, 9, 30, tzinfo=timezone.utc), f"Activité {i}", "/") for i in range(5)],
}


def hello(request):
    return Response("<!DOCTYPE html><title>hello</title><p>Bonjour</p>", content_type="text/html")


def home_ceiling(request):
    return {**FIXED, "extra_css": [request.layout.static("css/resident.css")]}


def build():
    settings = json.loads(os.environ["VVS_BENCH_SETTINGS"])
    config = make_config(settings)
    config.add_route("bench_hello", "/bench/hello")
    config.add_view(hello, route_name="bench_hello", permission="public")
    config.add_route("bench_home_ceiling", "/bench/home-ceiling")
    config.add_view(home_ceiling, route_name="bench_home_ceiling", permission="public",
                    renderer="vvs_core:templates/home.pt")
    from bench.bench_gazette import gazette_ceiling

    config.add_route("bench_gazette_ceiling", "/bench/gazette-ceiling")
    config.add_view(gazette_ceiling, route_name="bench_gazette_ceiling", permission="public",
                    renderer="vvs_gazette:templates/index.pt")
    return config.make_wsgi_app()


app = build()
