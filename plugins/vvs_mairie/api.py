"""The mairie in the JSON API (declared through vvs_api's ``vvs_api_endpoints``; this
plugin never imports vvs_api): a commune's residents' alerts with their follow-up, its
activity feed, and the acknowledgement figures of a month (rate, median delay).

Same permission as the pages (``mairie``: an agent of that commune whose second factor
passed; with a personal token, one created after it: ``twofactor.has_passed``), same
context (``mairie_factory``: 404 for an unknown or unsubscribed commune), same data
(``dashboard.commune_activity``, ``reports``, ``follow_up``). Residents' names and ids are
not given: the agent reads them on the alert's page."""
from __future__ import annotations

from datetime import datetime, timedelta

from vvs_core.clock import aware, utcnow
from vvs_core.web.links import absolute_url
from vvs_core.web.timefmt import dates

from . import dashboard, follow_up, reports

BASE = "/api/v1/communes/{insee}"
FACTORY = "vvs_mairie.mairie_factory"
INSEE = {"type": "string", "pattern": "^[0-9][0-9AB][0-9]{3}$", "minLength": 5, "maxLength": 5,
         "description": "Code INSEE de la commune (5 caractères, Corse comprise : 2A004)."}
MAX_DAYS = 90
TEXT_PARAM_MAX = 80

FOLLOW_UP_SCHEMA = {
    "type": "object", "required": ["status", "status_label", "acknowledged_at", "delay_minutes"],
    "properties": {
        "status": {"type": "string", "enum": ["recue", "prise_en_compte", "patrouille", "close"]},
        "status_label": {"type": "string"},
        "acknowledged_at": {"type": "string", "format": "date-time", "nullable": True},
        "delay_minutes": {"type": "number", "nullable": True,
                          "description": "Délai entre l'alerte et sa prise en compte, en minutes."},
    },
}
ACTIVITY_SCHEMA = {
    "type": "object",
    "required": ["kind", "id", "title", "category", "severity", "state", "state_label", "community_id",
                 "created_at", "lon", "lat"],
    "properties": {
        "kind": {"type": "string", "description": "« alert » pour une alerte d'habitant."},
        "id": {"type": "integer"}, "title": {"type": "string"},
        "category": {"type": "string", "nullable": True}, "severity": {"type": "string", "nullable": True},
        "state": {"type": "string", "nullable": True, "description": "held, active, ended ou withdrawn."},
        "state_label": {"type": "string", "nullable": True},
        "community_id": {"type": "integer", "nullable": True},
        "created_at": {"type": "string", "format": "date-time"},
        "lon": {"type": "number", "nullable": True}, "lat": {"type": "number", "nullable": True},
    },
}
ALERT_SCHEMA = {
    "type": "object", "required": ACTIVITY_SCHEMA["required"] + ["follow_up", "follow_url"],
    "properties": {**ACTIVITY_SCHEMA["properties"], "follow_up": {"$ref": "#/components/schemas/MairieFollowUp"},
                   "follow_url": {"type": "string", "description": "La page de suivi de l'alerte à la mairie."}},
}
ACKNOWLEDGEMENT_SCHEMA = {
    "type": "object",
    "required": ["month", "label", "alerts", "acknowledged", "rate", "median_minutes", "median"],
    "properties": {
        "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
        "label": {"type": "string", "description": "Le mois en toutes lettres (« mai 2026 »)."},
        "alerts": {"type": "integer", "description": "Alertes d'habitants publiées ce mois-ci."},
        "acknowledged": {"type": "integer", "description": "Dont prises en compte par la mairie."},
        "rate": {"type": "integer", "nullable": True, "description": "Taux de prise en compte, en %."},
        "median_minutes": {"type": "number", "nullable": True},
        "median": {"type": "string", "description": "Le délai médian en toutes lettres (« — » sans alerte)."},
    },
}


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _text_param(name, description):
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"type": "string", "maxLength": TEXT_PARAM_MAX}}


def declare(api) -> None:
    api.schema("MairieFollowUp", FOLLOW_UP_SCHEMA)
    api.schema("MairieActivityItem", ACTIVITY_SCHEMA)
    api.schema("MairieResidentAlert", ALERT_SCHEMA)
    api.schema("MairieAcknowledgement", ACKNOWLEDGEMENT_SCHEMA)
    path = {"insee": INSEE}
    api.route("api_commune_alerts", BASE + "/alerts", factory=FACTORY)
    api.route("api_commune_activity", BASE + "/activity", factory=FACTORY)
    api.route("api_commune_acknowledgement", BASE + "/acknowledgement", factory=FACTORY)
    api.view(alerts_view, "api_commune_alerts", method="GET", permission="mairie", tags=["mairie"],
             summary="Alertes des habitants de la commune et leur suivi par la mairie, les plus récentes d'abord",
             description="Agents de la mairie de la commune uniquement (double authentification passée ; un jeton "
                         "créé après elle). Les alertes retenues, retirées ou terminées y figurent, avec leur état.",
             paginated=True, response_schema=_ref("MairieResidentAlert"), path_params=path,
             query=[{"name": "days", "in": "query", "required": False,
                     "description": f"Période : les N derniers jours (30 par défaut, {MAX_DAYS} au plus).",
                     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_DAYS}},
                    {"name": "community_id", "in": "query", "required": False,
                     "description": "Une communauté de la commune.",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 999_999_999}},
                    _text_param("severity", "Gravité, telle que l'alerte l'indique."),
                    _text_param("category", "Catégorie, telle que l'alerte l'indique."),
                    {"name": "status", "in": "query", "required": False, "description": "Statut du suivi.",
                     "schema": {"type": "string", "enum": list(FOLLOW_UP_SCHEMA["properties"]["status"]["enum"])}}])
    api.view(activity_view, "api_commune_activity", method="GET", permission="mairie", tags=["mairie"],
             summary="Activité de la commune depuis un instant (le fil du tableau de bord), la plus récente d'abord",
             paginated=True, response_schema=_ref("MairieActivityItem"), path_params=path,
             query=[{"name": "since", "in": "query", "required": False,
                     "description": f"Instant ISO 8601 avec fuseau (24 heures avant par défaut, {MAX_DAYS} jours au plus).",
                     "schema": {"type": "string", "format": "date-time", "maxLength": 40}}])
    api.view(acknowledgement_view, "api_commune_acknowledgement", method="GET", permission="mairie",
             tags=["mairie"], summary="Prise en compte des alertes d'un mois : taux et délai médian (rapport mensuel)",
             response_schema=_ref("MairieAcknowledgement"), path_params=path,
             query=[{"name": "month", "in": "query", "required": False,
                     "description": "Mois AAAA-MM (le mois en cours par défaut ; pas un mois à venir).",
                     "schema": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$", "maxLength": 7}}])


# --- Reading the query string ------------------------------------------------------

def _invalid(request, message):
    return request.api.Error(400, "invalid_parameter", message)


def _days(request) -> int:
    raw = request.GET.get("days", "")
    if raw == "":
        return 30
    if not raw.isascii() or not raw.isdigit() or len(raw) > 3 or not 1 <= int(raw) <= MAX_DAYS:
        raise _invalid(request, f"Le paramètre « days » est un nombre de jours entre 1 et {MAX_DAYS}.")
    return int(raw)


def _text(request, name) -> str:
    value = request.GET.get(name, "")
    if len(value) > TEXT_PARAM_MAX:
        raise _invalid(request, f"Le paramètre « {name} » fait {TEXT_PARAM_MAX} caractères au plus.")
    return value


def _community(request, communities) -> str:
    raw = request.GET.get("community_id", "")
    if raw == "":
        return ""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9 or raw not in {str(c.id) for c in communities}:
        raise _invalid(request, "Le paramètre « community_id » n'est pas une communauté de cette commune.")
    return raw


def _since(request) -> datetime:
    now = utcnow()
    raw = request.GET.get("since", "")
    if raw == "":
        return now - timedelta(hours=24)
    try:
        since = datetime.fromisoformat(raw) if len(raw) <= 40 else None
    except ValueError:
        since = None
    if since is None or since.tzinfo is None:
        raise _invalid(request, "Le paramètre « since » est un instant ISO 8601 avec son fuseau "
                                "(par exemple 2026-05-04T08:30:00+02:00).")
    since = aware(since)
    if since < now - timedelta(days=MAX_DAYS):
        raise _invalid(request, f"Le paramètre « since » remonte à {MAX_DAYS} jours au plus.")
    return since


# --- Items -------------------------------------------------------------------------

def activity_item(item: dict) -> dict:
    def number(value):
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    community_id = item.get("community_id")
    return {"kind": str(item["kind"]), "id": int(item["id"]) if str(item["id"]).isdigit() else item["id"],
            "title": str(item.get("title") or ""), "category": item.get("category"),
            "severity": item.get("severity"), "state": item.get("state"), "state_label": item.get("state_label"),
            "community_id": int(community_id) if str(community_id).isdigit() else None,
            "created_at": dates.utc_iso(item["created_at"]), "lon": number(item.get("lon")),
            "lat": number(item.get("lat"))}


def follow_up_json(item: dict, ack) -> dict:
    if ack is None:
        return {"status": "recue", "status_label": "reçue", "acknowledged_at": None, "delay_minutes": None}
    delay = max(0.0, (aware(ack.at) - aware(item["created_at"])).total_seconds() / 60)
    return {"status": ack.status, "status_label": ack.status_label, "acknowledged_at": dates.utc_iso(ack.at),
            "delay_minutes": round(delay, 1)}


# --- Views -------------------------------------------------------------------------

def alerts_view(request):
    commune = request.context.commune
    page = request.api.page_params(request)
    communities = dashboard.communities_of(request.dbsession, commune.id)
    filters = {"gravite": _text(request, "severity"), "categorie": _text(request, "category"),
               "communaute": _community(request, communities)}
    status = request.GET.get("status", "")
    if status and status not in FOLLOW_UP_SCHEMA["properties"]["status"]["enum"]:
        raise _invalid(request, "Le paramètre « status » vaut recue, prise_en_compte, patrouille ou close.")
    since = utcnow() - timedelta(days=_days(request))
    items = [i for i in dashboard.apply_filters(dashboard.commune_activity(request, commune, since), filters)
             if i["kind"] == "alert" and str(i["id"]).isdigit()]
    acks = follow_up.follow_ups(request.dbsession, commune.id, [i["id"] for i in items])
    if status:
        items = [i for i in items if follow_up_json(i, acks.get(int(i["id"])))["status"] == status]
    chosen = request.api.paginate_list(request, items, page)
    chosen["items"] = [
        {**activity_item(i), "follow_up": follow_up_json(i, acks.get(int(i["id"]))),
         "follow_url": absolute_url(request, "mairie_follow", insee=commune.insee, alert_id=i["id"])}
        for i in chosen["items"]]
    return chosen


def activity_view(request):
    page = request.api.page_params(request)
    items = dashboard.commune_activity(request, request.context.commune, _since(request))
    chosen = request.api.paginate_list(request, items, page)
    chosen["items"] = [activity_item(i) for i in chosen["items"]]
    return chosen


def acknowledgement_view(request):
    raw = request.GET.get("month", "") or dates.month_key(utcnow())
    month = reports.parse_month(raw) if raw.isascii() else None
    if month is None:
        raise _invalid(request, "Le paramètre « month » est un mois AAAA-MM (par exemple 2026-05).")
    if not reports.has_started(*month):
        raise request.api.Error(404, "month_not_started",
                                "Ce mois n'a pas commencé : pas de chiffres pour un mois à venir.")
    items = reports.residents_alerts_of_month(request, request.context.commune, *month)
    figures = follow_up.acknowledgement_figures(request.dbsession, request.context.commune.id, items)
    start, _end = reports.month_bounds(*month)
    median = figures["median_minutes"]
    return {"month": f"{month[0]:04d}-{month[1]:02d}", "label": dates.month(start), "alerts": figures["total"],
            "acknowledged": figures["acknowledged"], "rate": figures["rate"],
            "median_minutes": None if median is None else round(median, 1),
            "median": follow_up.format_minutes(median)}
