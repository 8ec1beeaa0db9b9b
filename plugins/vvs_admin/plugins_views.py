"""The platform team's read-only page of what runs: the enabled plugins, the provider
chosen for each kind (SMS, e-mail…) with its health when the provider offers a check,
the database and the queue. Nothing here changes anything: the ``.ini`` does."""
from __future__ import annotations

from pyramid.view import view_config

from vvs_core.plugins import hooks_implemented, installed_plugins
from vvs_core.providers import KINDS, collect_provider_specs

UNKNOWN = "Non renseigné : ce fournisseur (configuré) ne propose pas de vérification."
KIND_LABELS = {"sms": "SMS", "email": "E-mail", "geocoder": "Géocodage des adresses",
               "push": "Notifications sur le téléphone", "identity": "Vérification d'identité",
               "voice": "Appels vers les téléphones fixes"}

# The providers of development.ini (vvs_dev_providers) and the fallbacks send nothing:
# the page says so, rather than « En service », so that a server left on them is seen.
BUILT_IN = {
    ("sms", "console"): "Développement : les SMS s'écrivent dans le journal du serveur, aucun ne part.",
    ("sms", "null"): "Aucun SMS ne part : ils sont jetés (fournisseur « null »).",
    ("email", "folder"): "Développement : les e-mails s'écrivent dans un dossier du serveur, aucun ne part.",
    ("email", "null"): "Aucun e-mail ne part : ils sont jetés (fournisseur « null »).",
    ("geocoder", "manual"): "Sans géocodage : chacun place son domicile à la main sur la carte.",
    ("push", "log"): "Développement : les notifications s'écrivent dans le journal du serveur, aucune ne part.",
    ("identity", "none"): "Aucun partenaire : les vérifications qui n’en demandent pas restent offertes.",
    ("voice", "folder"): "Développement : les appels s'écrivent dans un dossier du serveur, aucun ne part.",
}


def includeme(config):
    config.add_route("admin_plugins", "/admin/extensions")
    config.scan(".plugins_views")


def enabled_plugins(registry) -> list[dict]:
    """The plugins of ``vvs.plugins`` (entry points ``vvs``) that this application runs."""
    pm = registry.vvs_plugins
    installed = installed_plugins()
    return [{"name": name, "hooks": len(hooks_implemented(pm, name))}
            for name, _plugin in sorted(pm.list_name_plugin()) if name in installed]


def provider_health(service) -> tuple[str, str]:
    """(state, French text): "ok", "problem" or "unknown" when the provider offers no check
    (``providers`` adds "built_in": a development provider, which sends nothing).

    A provider may offer ``health()`` (``vvs_core.interfaces``): None or "" when it works,
    else a French sentence. One without it reads « Non renseigné »: it was built from
    complete settings at start-up (the core refuses to start otherwise), but whether its
    service answers is not known."""
    check = getattr(service, "health", None)
    if not callable(check):
        return "unknown", UNKNOWN
    try:
        problem = check()
    except Exception as exc:  # a check must not break the page
        return "problem", f"La vérification a échoué ({type(exc).__name__})."
    return ("problem", str(problem)) if problem else ("ok", "En service")


def providers(request) -> list[dict]:
    settings = request.registry.settings
    specs = collect_provider_specs(request.registry.vvs_plugins)
    rows = []
    for kind, (setting, iface) in KINDS.items():
        available = sorted(s.name for s in specs if s.kind == kind)
        name = settings.get(setting) if setting else (settings.get(f"vvs.{kind}.provider") or next(iter(available), None))
        try:
            service = request.find_service(iface)
        except LookupError:
            service = None
        state, text = provider_health(service) if service is not None else ("unknown", "Aucun fournisseur choisi.")
        if state != "problem" and (kind, name) in BUILT_IN:  # a folder it cannot write to is still told
            state, text = "built_in", BUILT_IN[(kind, name)]
        rows.append({"kind": KIND_LABELS.get(kind, kind), "name": name or "aucun", "setting": setting or "",
                     "available": available, "state": state, "text": text})
    return rows


@view_config(route_name="admin_plugins", renderer="vvs_admin:templates/admin_plugins.pt", permission="platform")
def admin_plugins_view(request):
    from vvs_core.web import health_status

    health = health_status(request)
    return {"title": "Extensions et fournisseurs", "extra_css": [request.layout.static("css/resident.css")],
            "plugins": enabled_plugins(request.registry), "providers": providers(request),
            "database_ok": health["database"] == "ok", "broker_ok": health["broker"] == "ok"}
