"""The URLs OVH calls. Public (OVH has no account here) but refused without the
secret token; rate-limited per calling address; no CSRF token (OVH cannot send one,
and the token in the URL is what authenticates the call)."""
from __future__ import annotations

from pyramid.response import Response
from pyramid.view import view_config

from vvs_core.ratelimit import client_address, limiter

from .callbacks import CallbackRefused, apply_receipt, handle_inbound, token_matches


def _text(body: str, status: int = 200) -> Response:
    return Response(body, status=status, content_type="text/plain", charset="utf-8")


def _refusal(request) -> Response | None:
    rate = request.registry.settings["vvs.sms.ovh.callback_rate"]
    limiter(request, "ovh-callback", rate=rate).check(client_address(request))
    if not token_matches(request.registry.settings, request.matchdict["token"]):
        return _text("accès refusé", 403)
    return None


@view_config(route_name="ovh_receipt", request_method=("GET", "POST"), permission="public", require_csrf=False)
def delivery_receipt(request):
    refused = _refusal(request)
    if refused is not None:
        return refused
    try:
        return _text(apply_receipt(request.dbsession, request.params))
    except CallbackRefused as exc:
        return _text(str(exc), 400)


@view_config(route_name="ovh_inbound", request_method=("GET", "POST"), permission="public", require_csrf=False)
def inbound_sms(request):
    refused = _refusal(request)
    if refused is not None:
        return refused
    try:
        return _text(handle_inbound(request, request.params))
    except CallbackRefused as exc:
        return _text(str(exc), 400)
