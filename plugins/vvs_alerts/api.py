"""Alerts in the JSON API (/api/v1/alerts): list, post, read, update, all-clear.

The same services as the pages (``posting``, ``lifecycle``) and the same contexts
(``AlertContext``): the API cannot do what the pages would refuse.
"""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPForbidden
from sqlalchemy.orm import joinedload, selectinload
from shapely.geometry import Point

from vvs_core.web.links import absolute_url

from .access import alert_factory
from .catalogue import CATEGORIES, EXPIRY_CHOICES, SEVERITIES, STATUS_LABELS, category_label
from .lifecycle import is_active, post_update
from .models import Alert, AlertUpdate
from .posting import MAX_TEXT, PostingRefused, home_community, post_alert
from .texts import author_name
from .views_support import member_communities_sql
from vvs_core.web.timefmt import dates

API = "/api/v1/alerts"
PLACE_MAX_DISTANCE_DEG = 0.05  # as on the page: a place far from the community is dropped

ALERT_SCHEMA = {
    "type": "object",
    "required": ["id", "community_id", "category", "category_label", "text", "severity", "status", "status_label",
                 "active", "author", "created_at", "expires_at", "all_clear_at", "place", "updates", "url"],
    "properties": {
        "id": {"type": "integer"}, "community_id": {"type": "integer"},
        "category": {"type": "string"}, "category_label": {"type": "string"}, "text": {"type": "string"},
        "severity": {"type": "string", "enum": [k for k, _l, _c in SEVERITIES]},
        "status": {"type": "string", "enum": list(STATUS_LABELS)}, "status_label": {"type": "string"},
        "active": {"type": "boolean"}, "author": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "expires_at": {"type": "string", "format": "date-time"},
        "all_clear_at": {"type": "string", "format": "date-time", "nullable": True},
        "place": {"type": "object", "nullable": True, "required": ["lon", "lat"],
                  "properties": {"lon": {"type": "number"}, "lat": {"type": "number"}}},
        "updates": {"type": "array", "items": {
            "type": "object", "required": ["id", "kind", "text", "author", "created_at"],
            "properties": {"id": {"type": "integer"}, "kind": {"type": "string", "enum": ["update", "all_clear"]},
                           "text": {"type": "string"}, "author": {"type": "string"},
                           "created_at": {"type": "string", "format": "date-time"}}}},
        "url": {"type": "string"},
    },
}
NEW_ALERT_SCHEMA = {
    "type": "object", "required": ["category", "text"], "additionalProperties": False,
    "properties": {
        "category": {"type": "string", "enum": [k for k, _l, _c in CATEGORIES]},
        "text": {"type": "string", "minLength": 10, "maxLength": MAX_TEXT},
        "severity": {"type": "string", "enum": [k for k, _l, _c in SEVERITIES]},
        "expiry_hours": {"type": "integer", "enum": list(EXPIRY_CHOICES)},
        "lon": {"type": "number", "minimum": -180, "maximum": 180},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "idempotency_key": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$",
                            "description": "Rejouer la requête avec la même clé ne crée pas une seconde alerte."},
    },
}
UPDATE_SCHEMA = {
    "type": "object", "required": ["text"], "additionalProperties": False,
    "properties": {"text": {"type": "string", "minLength": 5, "maxLength": 1000}},
}
ALL_CLEAR_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {"text": {"type": "string", "maxLength": 1000}},
}


def declare(api):
    ref = {"$ref": "#/components/schemas/Alert"}
    api.schema("Alert", ALERT_SCHEMA)
    api.route("api_alerts", API)
    api.route("api_alert", API + r"/{alert_id:\d{1,9}}", factory=alert_factory)
    api.route("api_alert_updates", API + r"/{alert_id:\d{1,9}}/updates", factory=alert_factory)
    api.route("api_alert_all_clear", API + r"/{alert_id:\d{1,9}}/all-clear", factory=alert_factory)
    api.view(list_alerts, "api_alerts", method="GET", permission="resident", tags=["alertes"],
             paginated=True, response_schema=ref,
             summary="Alertes de mes communautés, les plus récentes d'abord",
             query=[{"name": "active", "in": "query", "required": False,
                     "description": "true : seulement les alertes en cours.",
                     "schema": {"type": "string", "enum": ["true", "false"]}}])
    api.view(create_alert, "api_alerts", method="POST", permission="resident", tags=["alertes"],
             summary="Lancer une alerte dans ma communauté", request_schema=NEW_ALERT_SCHEMA,
             response_schema=ref, status=201)
    # ``alert.open``, as its page: a withdrawn alert answers 410 to those it reached, 403 to the others.
    api.view(read_alert, "api_alert", method="GET", permission="alert.open", tags=["alertes"],
             summary="Une alerte et ses suites (410 alert_withdrawn : retirée par la modération)", response_schema=ref)
    api.view(add_update, "api_alert_updates", method="POST", permission="alert.open",
             tags=["alertes"], summary="Donner une suite à une alerte en cours",
             request_schema=UPDATE_SCHEMA, response_schema=ref, status=201)
    api.view(all_clear, "api_alert_all_clear", method="POST", permission="alert.open",
             tags=["alertes"], summary="Fin d'alerte", request_schema=ALL_CLEAR_SCHEMA,
             response_schema=ref, status=201)


def alert_json(request, alert) -> dict:
    place = None
    if alert.place is not None:
        place = {"lon": alert.place.x, "lat": alert.place.y}
    return {
        "id": alert.id, "community_id": alert.community_id, "category": alert.category,
        "category_label": category_label(alert.category), "text": alert.text, "severity": alert.severity,
        "status": alert.status, "status_label": STATUS_LABELS.get(alert.status, alert.status),
        "active": is_active(alert), "author": author_name(alert.author),
        "created_at": dates.utc_iso(alert.created_at, None), "expires_at": dates.utc_iso(alert.expires_at, None),
        "all_clear_at": dates.utc_iso(alert.all_clear_at, None), "place": place,
        "updates": [{"id": u.id, "kind": u.kind, "text": u.text, "author": author_name(u.author),
                     "created_at": dates.utc_iso(u.created_at, None)} for u in alert.updates],
        "url": absolute_url(request, "alert_view", alert_id=alert.id),
    }


def list_alerts(request):
    page = request.api.page_params(request)
    active = request.GET.get("active", "false")
    if active not in ("true", "false"):
        raise request.api.Error(400, "invalid_parameter", "Le paramètre « active » vaut true ou false.")
    stmt = sa.select(Alert).where(Alert.community_id.in_(member_communities_sql(request.user)),
                                  Alert.status.in_(("published", "expired")))
    # Authors and follow-ups of the whole page in two more statements, not two per alert.
    stmt = stmt.options(joinedload(Alert.author), selectinload(Alert.updates).joinedload(AlertUpdate.author))
    if active == "true":
        from vvs_core.clock import utcnow

        stmt = stmt.where(Alert.status == "published", Alert.all_clear_at.is_(None), Alert.expires_at > utcnow())
    stmt = stmt.order_by(Alert.created_at.desc(), Alert.id.desc())
    return request.api.paginate_query(request, request.dbsession, stmt, lambda a: alert_json(request, a), page)


def create_alert(request):
    body = request.api.read_json(request, NEW_ALERT_SCHEMA)
    user = request.user
    community = home_community(request.dbsession, user)
    if community is None:
        raise request.api.Error(403, "no_community", "Vous n'êtes membre actif d'aucune communauté.")
    if not body["text"].strip() or len(body["text"].strip()) < 10:
        raise request.api.Error(422, "validation_failed", "Décrivez les faits en quelques mots (10 caractères au moins).",
                       fields={"text": "10 caractères au moins."})
    place = None
    if body.get("lon") is not None and body.get("lat") is not None:
        place = Point(body["lon"], body["lat"])
        if place.distance(community.boundary) > PLACE_MAX_DISTANCE_DEG:
            place = None
    key = body.get("idempotency_key") or uuid.uuid4().hex
    try:
        alert, _created = post_alert(
            request, user, community, category=body["category"], text=body["text"],
            idempotency_key=f"api:{user.id}:{key}", place=place, severity=body.get("severity", "moderate"),
            expiry_hours=body.get("expiry_hours"), source="web")
    except PostingRefused as refused:
        raise request.api.Error(403, "posting_refused", str(refused)) from None
    request.dbsession.flush()  # a replayed key answers the alert it made, with the same status
    return alert_json(request, alert)


def _withdrawn(request) -> None:
    """What the alert's page says with its 410: withdrawn, and nothing of it."""
    raise request.api.Error(410, "alert_withdrawn", "Cette alerte a été retirée par la modération.")


def read_alert(request):
    if not request.has_permission("alert.view"):
        _withdrawn(request)
    return alert_json(request, request.context.alert)


def _may_follow_up(request) -> None:
    """Before the body is read: gone for everyone once withdrawn, refused to who may only read it."""
    if request.context.alert.status == "withdrawn":
        _withdrawn(request)
    if not request.has_permission("alert.follow_up"):
        raise HTTPForbidden()  # the API's 403, as for any permission


def _follow_up(request, kind: str, text: str):
    alert = request.context.alert
    if not is_active(alert):
        raise request.api.Error(409, "alert_over", "Cette alerte n'est plus en cours.")
    post_update(request, alert, request.user, kind, text)
    request.dbsession.refresh(alert)
    return alert_json(request, alert)


def add_update(request):
    _may_follow_up(request)
    body = request.api.read_json(request, UPDATE_SCHEMA)
    if len(body["text"].strip()) < 5:
        raise request.api.Error(422, "validation_failed", "Écrivez la nouvelle information (5 caractères au moins).",
                       fields={"text": "5 caractères au moins."})
    return _follow_up(request, "update", body["text"])


def all_clear(request):
    _may_follow_up(request)
    body = request.api.read_json(request, ALL_CLEAR_SCHEMA) if request.body else {}
    return _follow_up(request, "all_clear", body.get("text", ""))
