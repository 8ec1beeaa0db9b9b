"""Nothing of a disabled plugin shows: the core alone, each plugin alone and all of them
together, on one database holding every plugin's demo data (so a disabled plugin's
rows are there, and must stay invisible).

For each configuration, every demo account (and an anonymous visitor) opens the
menu's pages and the pages they link to, the notification settings and the JSON
API; no page may answer 500, link to a route of a disabled plugin, show a label a
disabled plugin declares (notification kinds, community event kinds) or a word that
names it."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import transaction

from vvs_demo import loader as demo
from vvs_core.app import load_settings
from vvs_core.models import get_engine, get_session_factory
from vvs_core.plugins import installed_plugins
from vvs_core.models.migrate import upgrade
from vvs_core.testing import VVSTestApp, base_settings, build_app, enabled_module_names

# Words that name a plugin's feature in French pages (checked case-insensitively, as
# whole words or word starts). A plugin not listed here is still checked through its
# routes and its declared labels.
WORDS = {
    "vvs_gazette": [r"gazette"],
    "vvs_messaging": [r"messagerie", r"messages? privés?"],
    "vvs_twinning": [r"jumel"],
    # "mairie" alone may name the building (a community's description does); these name the service.
    "vvs_mairie": [r"mairie vigilante", r"agents? de (la |votre )?mairie", r"(par|à) (la|votre) mairie",
                   r"convaincre (ma|votre) mairie"],
    # (the identity-check provider kind, « Vérification d'identité », is the core's)
    "vvs_kyc": [r"justificatif"],
    "vvs_alerts": [r"alertes? de vos voisins", r"lancer une alerte"],
    "vvs_api": [r"jetons? d.accès"],
    "vvs_invitations": [r"inviter des voisins", r"flyer"],
    "vvs_directory": [r"annuaire"],
    "vvs_push": [r"notifications sur mes appareils", r"sur cet appareil"],  # (the push channel is the core's)
}
PAGES_PER_ACCOUNT = 25
# Provider plugins add no page (the core serves their callbacks); they are checked enabled
# together with the others, not alone.
PROVIDERS = {"vvs_sms_ovh", "vvs_email_smtp", "vvs_geocoder_ban", "vvs_voice_twilio", "vvs_dev_providers"}
# Every configuration sends through the development providers (the core's default SMS and
# e-mail providers are theirs): "the core alone" is the core and them.
ALWAYS = ("vvs_dev_providers",)
# Leaks accepted for now, each with its reason; the list only shrinks.
ALLOWED = [
    # The accessibility statement reports the audit of the whole site (every plugin
    # enabled), measured once and shipped as data: its list of pages is limited to this
    # site's routes, but its text (roles tried, keyboard journeys) describes the audit.
    (re.compile(r"^/accessibilite: .* word "), "statement of the audited configuration"),
    # A commune's contact at the town hall is commune data the platform team keeps (core).
    (re.compile(r"^/admin/communes: vvs_mairie word .*\(par\|à\)"), "the commune's contact « à la mairie »"),
]
SKIPPED = re.compile(r"deconnexion|logout|\.pdf$|\.csv$|\.zip$|\.ics$|\.xml$|/static|static_|^/api/")


def feature_plugins() -> list[str]:
    return sorted(n for n in installed_plugins() if n != "vvs_hello")


def declared_labels(module) -> list[str]:
    labels = []
    for hook in ("vvs_register_notification_kinds", "vvs_register_event_kinds"):
        impl = getattr(module, hook, None)
        if impl is not None:
            labels += [k.label for k in impl() if getattr(k, "in_settings", True)]
    return labels


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A SQLite database with every plugin's tables and demo data; the apps per configuration."""
    url = f"sqlite:///{tmp_path_factory.mktemp('isolation') / 'vvs.sqlite'}"
    upgrade(url, enabled_module_names(base_settings(url)))  # every plugin's tables
    settings, pm, *_ = load_settings(base_settings(url))
    factory = get_session_factory(get_engine(url))
    with transaction.manager:
        session = factory()
        demo.load_demo(session, settings, pm)
        session.commit()
    apps = {}

    def app_for(names: tuple[str, ...]):
        enabled = tuple(dict.fromkeys((*ALWAYS, *names)))  # () and ALWAYS are one configuration, built once
        if enabled not in apps:
            apps[enabled] = build_app(url, **{"vvs.plugins": " ".join(enabled)})
        return apps[enabled]

    return app_for


def route_patterns(app) -> dict[str, str]:
    return {r["introspectable"]["name"]: r["introspectable"]["pattern"]
            for r in app.registry.introspector.get_category("routes")}


def as_regex(pattern: str) -> re.Pattern:
    out = ""
    parts = re.split(r"(\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\})", pattern)
    for part in parts:
        out += "[^/]+" if part.startswith("{") else re.escape(part)
    return re.compile(out + r"\Z")


@pytest.fixture(scope="module")
def markers(world):
    """Per plugin: the routes it adds (as regexes), its declared labels, its words."""
    core_routes = set(route_patterns(world(())).values())
    found = {}
    for name in feature_plugins():
        app = world((name,))
        own = [as_regex(p) for p in set(route_patterns(app).values()) - core_routes]
        module = app.registry.vvs_plugins.get_plugin(name)
        found[name] = {"routes": own, "labels": declared_labels(module),
                       "words": [re.compile(rf"\b{w}", re.I) for w in WORDS.get(name, [])]}
    return found


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return re.sub(r"<[^>]+>", " ", html)


def leaks(body: str, disabled: list[str], markers) -> list[str]:
    text = visible_text(body)
    found = []
    for name in disabled:
        m = markers[name]
        found += [f"{name} label « {label} »" for label in m["labels"] if label in text]
        found += [f"{name} word « {w.pattern} »" for w in m["words"] if w.search(text)]
        for href in re.findall(r'(?:href|action|src)="([^"]+)"', body):
            path = urlsplit(href).path
            if any(r.match(path) for r in m["routes"]):
                found.append(f"{name} link {path}")
    return found


def crawl(testapp, start: list[str]) -> dict[str, str]:
    """GET the menu's pages and the pages they link to; path → body."""
    seen, queue, bodies = set(), list(start), {}
    while queue and len(bodies) < PAGES_PER_ACCOUNT:
        path = queue.pop(0)
        if path in seen or SKIPPED.search(path):
            continue
        seen.add(path)
        res = testapp.get(path, status="*", expect_errors=True)
        assert res.status_int < 500, f"{path} answered {res.status_int}"
        if res.status_int != 200 or "html" not in res.content_type:
            continue
        bodies[path] = res.text
        nav = re.findall(r'href="(/[^"#]*)"', res.text)
        queue += [h for h in nav if h not in seen]
    return bodies


ROLES = ("resident", "referent", "en-attente", "moderateur", "admin")
ACCOUNTS = [None] + [demo.login_email(key) for key in ROLES]
CONFIGURATIONS = ([()] + [(n,) for n in feature_plugins() if n not in PROVIDERS]
                  + [tuple(feature_plugins())])


@pytest.mark.parametrize("enabled", CONFIGURATIONS, ids=lambda c: "+".join(c) or "core")
def test_nothing_of_a_disabled_plugin_shows(world, markers, enabled):
    app = world(enabled)
    disabled = [n for n in feature_plugins() if n not in enabled and n not in ALWAYS]
    problems = []
    for email in ACCOUNTS:
        app.registry["vvs.ratelimit_store"] = None
        testapp = VVSTestApp(app)
        start = ["/", "/connexion", "/inscription"]
        if email is not None:
            testapp.login(email)
            start = ["/", "/accueil", "/parametres", "/parametres/notifications", "/parametres/donnees"]
        for path, body in crawl(testapp, start).items():
            problems += [f"{email or 'anonyme'} {path}: {leak}" for leak in leaks(body, disabled, markers)]
        if email is not None:
            for path in ("/api/v1/openapi.json", "/api/v1/me"):
                res = testapp.get(path, status="*", expect_errors=True)
                assert res.status_int < 500, path
                problems += [f"{email} {path}: {leak}" for leak in leaks(res.text, disabled, markers)]
    distinct = sorted({p.split(" ", 1)[1] for p in problems})
    distinct = [p for p in distinct if not any(rule.search(p) for rule, _why in ALLOWED)]
    assert distinct == [], "\n".join(distinct[:150])
