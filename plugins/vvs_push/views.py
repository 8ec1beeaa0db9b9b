"""Mes paramètres › Notifications sur mes appareils: the devices (browsers) that
receive push notifications, the route the page's script records them through, and
the same in the JSON API (``declare_api``, through vvs_api's hook when it is enabled)."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config

from vvs_core.web.errorpages import json_error
from vvs_core.web.jsonlimits import loads_limited
from vvs_core.web.timefmt import dates
from vvs_core.accounts.views import settings_section_page

from .devices import SubscriptionRefused, subscribe, unsubscribe, user_devices


def includeme(config):
    config.add_route("settings_devices", "/parametres/appareils")
    config.add_route("settings_device_add", "/parametres/appareils/abonner")
    config.add_route("settings_device_remove", r"/parametres/appareils/{subscription_id:\d{1,9}}/retirer")
    config.scan(".views")


def declare_api(api):
    api.schema("PushSubscription", DEVICE_SCHEMA)
    api.route("api_push_subscriptions", "/api/v1/me/push-subscriptions")
    api.route("api_push_subscription", r"/api/v1/me/push-subscriptions/{subscription_id:\d{1,9}}")
    ref = {"$ref": "#/components/schemas/PushSubscription"}
    api.view(api_list_devices, "api_push_subscriptions", method="GET", permission="account",
             summary="Mes appareils abonnés aux notifications", tags=["notifications"],
             response_schema={"type": "object", "required": ["items"],
                              "properties": {"items": {"type": "array", "items": ref}}})
    api.view(api_add_device, "api_push_subscriptions", method="POST", permission="account",
             summary="Abonner un appareil (PushSubscription du navigateur)", tags=["notifications"],
             request_schema=SUBSCRIBE_SCHEMA, response_schema=ref, status=201)
    api.view(api_remove_device, "api_push_subscription", method="DELETE", permission="account",
             summary="Désabonner un appareil", tags=["notifications"], status=204)


DEVICE_SCHEMA = {
    "type": "object", "required": ["id", "label", "created_at", "last_success_at"],
    "properties": {"id": {"type": "integer"}, "label": {"type": "string"},
                   "created_at": {"type": "string", "format": "date-time"},
                   "last_success_at": {"type": "string", "format": "date-time", "nullable": True}},
}
SUBSCRIBE_SCHEMA = {
    "type": "object", "required": ["endpoint", "keys"], "additionalProperties": False,
    "properties": {
        "endpoint": {"type": "string", "minLength": 10, "maxLength": 1000},
        "keys": {"type": "object", "required": ["p256dh", "auth"], "additionalProperties": False,
                 "properties": {"p256dh": {"type": "string", "maxLength": 200},
                                "auth": {"type": "string", "maxLength": 100}}},
        "label": {"type": "string", "maxLength": 120},
        "expirationTime": {"type": "integer", "nullable": True},
    },
}


def device_json(row) -> dict:
    return {"id": row.id, "label": row.label, "created_at": dates.utc_iso(row.created_at, None),
            "last_success_at": dates.utc_iso(row.last_success_at, None)}


def api_list_devices(request):
    return {"items": [device_json(d) for d in user_devices(request.dbsession, request.user.id)]}


def api_add_device(request):
    body = request.api.read_json(request, SUBSCRIBE_SCHEMA)
    try:
        row, _created = subscribe(request.dbsession, request.registry.settings, request.user, body["endpoint"],
                                  body["keys"]["p256dh"], body["keys"]["auth"], body.get("label", ""))
    except SubscriptionRefused as refused:
        raise request.api.Error(422, "invalid_subscription", str(refused)) from None
    return device_json(row)


def api_remove_device(request):
    if not unsubscribe(request.dbsession, request.user, int(request.matchdict["subscription_id"])):
        raise request.api.Error(404, "not_found", "Appareil introuvable.")


@view_config(route_name="settings_devices", renderer="vvs_push:templates/push_devices.pt", permission="account")
def devices_view(request):
    settings = request.registry.settings
    return settings_section_page(request, "Notifications sur mes appareils",
                                 devices=user_devices(request.dbsession, request.user.id),
                                 vapid_key=settings.get("vvs.push.vapid_public_key") or "",
                                 api_url=request.route_path("settings_device_add"),
                                 prefs_url=request.route_path("settings_notifications"),
                                 extra_js=[request.static_path("vvs_push:static/push-devices.js")])


@view_config(route_name="settings_device_add", request_method="POST", renderer="json", permission="account")
def device_add_view(request):
    """The page's script records the browser's subscription here (JSON, CSRF header):
    the page works with or without the JSON API."""
    try:
        body = loads_limited(request.body or b"null", 4096, max_depth=3)
        keys = body["keys"]
        endpoint, p256dh, auth = str(body["endpoint"]), str(keys["p256dh"]), str(keys["auth"])
        row, _created = subscribe(request.dbsession, request.registry.settings, request.user, endpoint, p256dh,
                                  auth, str(body.get("label") or ""))
    except SubscriptionRefused as refused:
        return json_error(422, "invalid_subscription", str(refused))
    except (ValueError, TypeError, KeyError):
        return json_error(400, "invalid_json", "L'abonnement envoyé par le navigateur est illisible.")
    request.response.status = 201
    return device_json(row)


@view_config(route_name="settings_device_remove", request_method="POST", permission="account")
def device_remove_view(request):
    if not unsubscribe(request.dbsession, request.user, int(request.matchdict["subscription_id"])):
        raise HTTPNotFound()
    request.flash("Cet appareil ne recevra plus de notifications.", "success")
    return HTTPSeeOther(request.route_path("settings_devices"))
