"""The agent's side: a pre-drafted warning to review and send (or set aside), and the
commune's choices (threshold, automatic relay). Logic is in ``relay``."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from vvs_core.clock import utcnow
from vvs_core.web import french
from vvs_core.web.forms import read_fields, typed

from . import PERMISSION
from .forms import BODY_MAX, TITLE_MAX, RelaySchema, WarningSettingsSchema
from .models import THRESHOLDS, CommuneWarningSettings, WarningRelay
from .relay import relay_payload, send_relay, settings_of

T = "vvs_warnings:templates/"


def dashboard_rows(request, commune) -> tuple[list, list]:
    """(drafts waiting, the last relays sent or ended) of a commune."""
    rows = list(request.dbsession.scalars(
        select(WarningRelay).options(joinedload(WarningRelay.warning)).where(WarningRelay.commune_id == commune.id)
        .order_by(WarningRelay.created_at.desc(), WarningRelay.id.desc()).limit(30)))
    drafts = [r for r in rows if r.state == "draft"]
    recent = [r for r in rows if r.state in ("sent", "ended")][:5]
    return drafts, recent


def _relay(context, request) -> WarningRelay:
    raw = request.matchdict["relay_id"]
    relay = request.dbsession.get(WarningRelay, int(raw)) if len(raw) < 10 else None
    if relay is None or relay.commune_id != context.commune.id:
        raise HTTPNotFound()
    return relay


def _page(context, request, relay, errors=None, values=None):
    commune = context.commune
    estimate = None
    if relay.state == "draft":
        estimate = request.registry.vvs_plugins.hook.vvs_estimate_commune_alert(
            request=request, commune=commune, alert=relay_payload(relay))
    return {"title": f"Avertissement officiel : {relay.title}", "relay": relay, "warning": relay.warning,
            "commune": commune, "estimate": estimate, "errors": errors or {},
            "values": values or {"title": relay.title, "body": relay.body}, "title_max": TITLE_MAX,
            "body_max": BODY_MAX}


@view_config(route_name="warnings_draft", permission=PERMISSION, renderer=T + "draft.pt")
def draft_view(context, request):
    return _page(context, request, _relay(context, request))


@view_config(route_name="warnings_send", permission=PERMISSION, request_method="POST", renderer=T + "draft.pt")
def send_view(context, request):
    relay = _relay(context, request)
    if relay.state != "draft":
        request.flash(f"Cet avertissement n'est plus à relire : il est {relay.state_label}.", "info")
        return HTTPSeeOther(request.route_path("warnings_draft", insee=context.commune.insee, relay_id=relay.id))
    data, errors = read_fields(request, RelaySchema())
    if errors:
        request.response.status = 400
        return _page(context, request, relay, errors, typed(request, "title", "body"))
    title, body = data["title"], data["body"]
    relay.title, relay.body, relay.updated_at = title, body, utcnow()
    answer = send_relay(request, relay, request.user)
    if answer is None:
        request.response.status = 400
        return _page(context, request, relay, {"send": "La mairie de cette commune ne peut pas encore alerter ses "
                                                         "habitants (abonnement inactif)."}, {"title": title, "body": body})
    request.flash(f"Avertissement relayé aux habitants : {answer.get('reach', '')}.", "success")
    return HTTPSeeOther(answer.get("url") or request.route_path("warnings_draft", insee=context.commune.insee,
                                                                 relay_id=relay.id))


@view_config(route_name="warnings_dismiss", permission=PERMISSION, request_method="POST")
def dismiss_view(context, request):
    relay = _relay(context, request)
    if relay.state == "draft":
        relay.state, relay.updated_at, relay.sent_by_id = "dismissed", utcnow(), request.user.id
        request.flash("Avertissement écarté : il ne sera pas envoyé.", "success")
    else:
        request.flash(f"Cet avertissement n'est plus à relire : il est {relay.state_label}.", "info")
    try:  # the mairie's dashboard, where the draft was shown (vvs_mairie may be disabled)
        back = request.route_path("mairie_dashboard", insee=context.commune.insee)
    except KeyError:
        back = request.route_path("warnings_settings", insee=context.commune.insee)
    return HTTPSeeOther(back)


@view_config(route_name="warnings_settings", permission=PERMISSION, renderer=T + "settings.pt")
def settings_view(context, request):
    commune = context.commune
    current = settings_of(request.dbsession, commune.id)
    page = {"title": f"Avertissements officiels {french.de(commune.name)}", "commune": commune,
            "thresholds": THRESHOLDS, "values": {"threshold": current.threshold, "automatic": current.automatic},
            "errors": {}}
    if request.method != "POST":
        return page
    data, errors = read_fields(request, WarningSettingsSchema())
    if errors:
        request.response.status = 400
        shown = typed(request, "threshold", "automatic")
        return {**page, "values": {**shown, "automatic": shown["automatic"] == "1"},
                "errors": {"threshold": next(iter(errors.values()))}}
    threshold, automatic = data["threshold"], data["automatic"] == "1"
    row = request.dbsession.get(CommuneWarningSettings, commune.id)
    if row is None:
        row = CommuneWarningSettings(commune_id=commune.id)
        request.dbsession.add(row)
    row.threshold, row.automatic, row.updated_at, row.updated_by_id = threshold, automatic, utcnow(), request.user.id
    request.flash("Vos choix sont enregistrés." + (" Les avertissements seront relayés automatiquement aux habitants."
                                                   if automatic else ""), "success")
    return HTTPSeeOther(request.route_path("warnings_settings", insee=commune.insee))
