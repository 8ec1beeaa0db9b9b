"""Web skeleton: layout globals, menu, flash messages, static assets, security headers,
French error pages, deform set-up and the health check."""

import logging
import sys
from functools import cached_property
from importlib import resources
from pathlib import Path
from types import SimpleNamespace

import deform
from pyramid.events import BeforeRender
from pyramid.i18n import get_localizer
from pyramid.interfaces import IRoutesMapper
from pyramid.renderers import get_renderer
from pyramid.threadlocal import get_current_request

from vvs_core.web.french import French

log = logging.getLogger(__name__)

EMERGENCY_NOTICE = "En cas d'urgence ou de flagrant délit, appelez le 17."


def flash(request, message: str, queue: str = "info") -> None:
    """Show ``message`` on the next page (queues: info, success, warning, error)."""
    request.session.flash(message, queue=queue)


def route_exists(request, name: str) -> bool:
    return request.registry.getUtility(IRoutesMapper).get_route(name) is not None


def menu_items(request):
    """The header menu: the plugins' answers, cached per user, principals, language and
    who acts for the user, until the next write (see ``vvs_core.web.cache``)."""
    def collect():
        items = [item for answer in request.registry.vvs_plugins.hook.vvs_menu_items(request=request) for item in answer or []]
        return sorted(evaluate_menu_sql(request, items), key=lambda i: (i.order, i.label))

    user = request.user
    # Who acts for the account (``vvs_acting_for``) changes the menu: part of the key.
    key = ("menu", user.id if user is not None else None, request.environ.get("vvs.acting_by"), request.locale_name,
           tuple(request.principals))
    from vvs_core.accounts.security import user_scopes

    return request.cached(key, collect, tables=("memberships",), scope=user_scopes(request))


def evaluate_menu_sql(request, items):
    """The menu items with their SQL badges and conditions replaced by their values, all
    computed in one statement with whatever else the page collected (see ``MenuItem``)."""
    from dataclasses import replace

    from sqlalchemy.sql.elements import ClauseElement

    def read(value, other):  # ``other``: what a value that is no SQL stands for
        return request.page_reads.add(value) if isinstance(value, ClauseElement) else SimpleNamespace(value=other)

    found = [(item, read(item.badge, item.badge), read(item.only_if, True)) for item in items]
    return [replace(item, badge=badge.value or None, only_if=None) for item, badge, shown in found if shown.value]


def csp_header(settings) -> str:
    from vvs_core.geo.maps import tile_sources

    img = " ".join(["'self' data: blob:", *tile_sources(settings)])
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src {img}; font-src 'self'; connect-src 'self'; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def security_headers_tween_factory(handler, registry):
    csp = csp_header(registry.settings)
    secure = registry.settings["vvs.secure_cookies"]

    def tween(request):
        response = handler(request)
        headers = response.headers
        headers.setdefault("Content-Security-Policy", csp)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
        if secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.user is not None if "user" in request.__dict__ else False:
            headers.setdefault("Cache-Control", "private, no-store")
        return response

    return tween


def add_renderer_globals(event):
    from vvs_core.web.timefmt import dates

    event.setdefault("dates", dates)  # the one way a template shows a date (vvs_core.web.timefmt)
    from vvs_core.web.i18n import format_number

    event.setdefault("number", format_number)  # and a count (Babel, fr_FR)
    request = event.get("request")
    event.setdefault("french", French(request))  # vvs_core.web.french: du Bourg, 11 962, 2 membres
    if request is None:
        return
    event.setdefault("layout", request.registry["vvs.layout"])
    event.setdefault("pager", request.registry["vvs.pager"])
    event.setdefault("area_field", request.registry["vvs.area_field"])
    event.setdefault("site_name", request.registry.settings["vvs.site_name"])
    event.setdefault("emergency_notice", EMERGENCY_NOTICE)


class LayoutHelpers:
    """What the layout macro needs, computed once per request (``request.layout``)."""

    def __init__(self, request):
        self.request = request

    @cached_property  # once per request, also without the page cache
    def menu(self):
        return menu_items(self.request)

    def flashes(self):
        return [(queue, message) for queue in ("error", "warning", "success", "info")
                for message in self.request.session.pop_flash(queue)]

    def static(self, path: str) -> str:
        return self.request.static_path(f"vvs_core:static/{path}")

    def leaflet(self, path: str) -> str:
        return self.request.static_path(f"{leaflet_dir()}/{path}")

    def map_assets(self, *scripts: str, css=()) -> dict:
        """``extra_js``/``extra_css`` of a page with a map: Leaflet, the shared map set-up
        (vvs_core/static/js/vvs-map.js: tile layers, plan/satellite switch, community
        labels, keyboard editing), then the page's own ``scripts`` and ``css`` (URLs)."""
        return {"extra_js": [self.leaflet("leaflet.js"), self.static("js/vvs-map.js"), *scripts],
                "extra_css": [self.leaflet("leaflet.css"), self.static("css/maps.css"), *css]}

    @property
    def footer_links(self):
        links = self.request.registry.vvs_plugins.hook.vvs_footer_links(request=self.request)
        return sorted((link for answer in links for link in answer or []), key=lambda link: (link.order, link.label))

    @property
    def map_layers_json(self) -> str:
        """The tile layers of the settings, read by vvs-map.js from a <meta> of the layout."""
        registry = self.request.registry
        if "vvs.map_layers_json" not in registry:
            from vvs_core.geo.maps import tile_layers_json

            registry["vvs.map_layers_json"] = tile_layers_json(registry.settings)
        return registry["vvs.map_layers_json"]

    @property
    def csrf_token(self):
        return self.request.session.get_csrf_token()


def leaflet_dir() -> str:
    import xstatic.pkg.leaflet as xleaflet

    return xleaflet.BASE_DIR


def deform_translator(term):
    request = get_current_request()
    return get_localizer(request).translate(term) if request is not None else term


def configure_deform(config):
    search_path = (
        str(resources.files("vvs_core") / "web" / "templates" / "deform"),
        str(resources.files("deform") / "templates"),
    )
    deform.Form.set_default_renderer(deform.ZPTRendererFactory(search_path, translator=deform_translator))
    config.add_static_view("static_deform", "deform:static", cache_max_age=3600)


# Error pages: vvs_core.web.errorpages (they never fail themselves).


def health_view(request):
    """Database and broker status, as JSON; 503 when one is down."""
    status = health_status(request)
    request.response.status = 200 if status["status"] == "ok" else 503
    return status


def health_status(request) -> dict:
    """{"database": "ok" | "error: …", "broker": …, "status": "ok" | "degraded"} (also
    shown to the platform team at /admin/extensions)."""
    import dramatiq
    from sqlalchemy import text

    status = {"database": "ok", "broker": "ok"}
    try:
        request.dbsession.execute(text("SELECT 1"))
    except Exception as exc:  # report, don't raise: this is the health check
        status["database"] = f"error: {type(exc).__name__}"
    try:
        broker = dramatiq.get_broker()
        client = getattr(broker, "client", None)
        if client is not None:
            client.ping()
        status["broker_type"] = type(broker).__name__
    except Exception as exc:
        status["broker"] = f"error: {type(exc).__name__}"
    ok = status["database"] == "ok" and status["broker"] == "ok"
    status["status"] = "ok" if ok else "degraded"
    return status


def includeme(config):
    config.add_tween("vvs_core.web.security_headers_tween_factory")
    config.add_static_view("static", "vvs_core:static", cache_max_age=3600)
    config.add_static_view("static_leaflet", leaflet_dir(), cache_max_age=3600)
    configure_deform(config)
    config.add_subscriber(add_renderer_globals, BeforeRender)
    config.add_request_method(LayoutHelpers, "layout", reify=True)
    config.add_request_method(flash, "flash")
    config.registry["vvs.layout"] = None  # set by the templates loader below
    config.include(".errorpages")
    config.add_route("health", "/health")
    config.add_view(health_view, route_name="health", renderer="json", permission="public")
    config.action(None, _load_layout, args=(config.registry,), order=10)


def compile_templates(registry) -> int:
    """Compile the templates of the core, the enabled plugins and deform (each page's first request did); their number."""
    names = {"vvs_core"} | {getattr(p, "__name__", "").split(".")[0] for p in registry.vvs_plugins.get_plugins()}
    templates = [get_renderer(f"{name}:{path.relative_to(root).as_posix()}", registry=registry).implementation()
                 for name in sorted(names & set(sys.modules)) for root in [Path(sys.modules[name].__file__).parent]
                 for path in sorted(root.rglob("*.pt"))]
    forms = deform.Form.default_renderer
    templates += [forms.load(p.stem) for folder in forms.loader.search_path for p in sorted(Path(folder).glob("*.pt"))]
    return len([template.cook_check() for template in templates])


def _load_layout(registry):
    registry["vvs.layout"] = get_renderer("vvs_core:web/templates/layout.pt", registry=registry).implementation()
    # The navigation of a paginated list (vvs_core.web.pagination): pager.macros['nav'].
    registry["vvs.pager"] = get_renderer("vvs_core:web/templates/pager.pt", registry=registry).implementation()
    # The area drawn on the map (vvs_core.geo.areas): area_field.macros['field'].
    registry["vvs.area_field"] = get_renderer("vvs_core:geo/templates/area_field.pt", registry=registry).implementation()
