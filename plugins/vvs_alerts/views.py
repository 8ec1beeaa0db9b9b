"""Alert pages. Views are thin: the work is in posting, lifecycle, moderation, feeds."""
from __future__ import annotations

import json

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.renderers import render, render_to_response
from pyramid.response import Response
from pyramid.view import view_config
from shapely.geometry import Point, mapping

from vvs_core.web.forms import make_form, read, read_fields, typed, validate
from vvs_core.web.french import count
from vvs_core.web.links import absolute_url
from vvs_core.clock import utcnow
from vvs_core.models import Community, row_id
from vvs_core.web.timefmt import dates

from . import feeds
from .access import SanctionsContext
from .catalogue import (CATEGORY_LABELS, EXPIRY_CHOICES, SEVERITY_LABELS, SMS_URGENCY, STATUS_LABELS, UPDATE_LABELS,
                        category_label)
from .forms import AlertModerationSchema, AlertSchema, FollowUpSchema, ReportSchema, new_key
from .lifecycle import is_active, post_update
from .models import Alert
from .moderation import (ACTION_LABELS, DEFAULT_SUSPENSION_DAYS, ModerationRefused, last_entry_id,
                         last_entry_ids, moderate, open_reports, open_reports_of, queue_statements,
                         referent_communities, report_alert)
from .policy import MODE_NAMES, MODE_SOURCES, effective_modes, mode_for
from .posting import PostingRefused, check_may_post, home_community, post_alert
from .texts import author_name, sms_preview
from .views_support import reach_state

PLACE_MAX_DISTANCE_DEG = 0.05  # ~5 km: a place far from the community is a slip of the finger


def _assets(request):
    return request.layout.map_assets(request.static_path("vvs_alerts:static/alerts.js"),
                                     css=[request.static_path("vvs_alerts:static/alerts.css")])


def _map_data(community, place=None) -> str:
    data = {"boundary": mapping(community.boundary), "centre": list(community.boundary.centroid.coords[0]),
            "name": community.name}
    if place is not None:
        data["place"] = [place.x, place.y]
    return json.dumps(data)


# --- Posting ------------------------------------------------------------------

@view_config(route_name="alerts_new", renderer="vvs_alerts:templates/new.pt", permission="resident")
def new_alert_view(request):
    user = request.user
    community = home_community(request.dbsession, user)
    if community is None:
        raise HTTPNotFound()
    settings = request.registry.settings
    place_picker = render("vvs_alerts:templates/place_picker.pt", {"map_data": _map_data(community)}, request=request)
    form = make_form(request, AlertSchema(), "Envoyer l'alerte", formid="alerte", before_buttons=place_picker)
    error = None
    if request.method == "POST":
        appstruct, rendered = validate(request, form)
        if appstruct is None:
            error = _refusal(request, user)
        else:
            place = None
            if appstruct["lon"] is not None and appstruct["lat"] is not None:
                place = Point(appstruct["lon"], appstruct["lat"])
                if place.distance(community.boundary) > PLACE_MAX_DISTANCE_DEG:
                    place = None
            try:
                alert, _created = post_alert(
                    request, user, community, category=appstruct["category"], text=appstruct["text"],
                    idempotency_key=f"web:{user.id}:{appstruct['idempotency_key']}", place=place,
                    severity=appstruct["severity"], expiry_hours=appstruct["expiry_hours"], source="web")
            except PostingRefused as refused:
                error = str(refused)
            else:
                if alert.status == "held":
                    request.flash("Votre alerte est enregistrée : elle sera envoyée après validation par la modération.", "success")
                else:
                    request.flash("Votre alerte est envoyée aux voisins.", "success")
                return HTTPSeeOther(request.route_path("alert_view", alert_id=alert.id))
            rendered = form.render(appstruct)
    else:
        error = _refusal(request, user)
        rendered = form.render({"idempotency_key": new_key(), "severity": "moderate",
                                "expiry_hours": _default_expiry(settings)})
    return {
        "title": "Lancer une alerte", "form": rendered, "error": error, "community": community,
        "moderation": mode_for(request.dbsession, settings, community),
        "sms_preview_url": request.route_path("alerts_sms_preview"), **_assets(request),
    }


def _refusal(request, user) -> str | None:
    """Why ``user`` may not post now (the hourly limit, a suspension), said as the form opens and
    with the fields' errors, not once they are filled in; a valid form goes to post_alert, which
    checks again and still returns an alert already sent from that form."""
    try:
        check_may_post(request.dbsession, request.registry.settings, user)
    except PostingRefused as refused:
        return str(refused)
    return None


PREVIEW_MAX_CHARS = 5000  # the form takes 1000; a longer paste is still counted, not refused


@view_config(route_name="alerts_sms_preview", request_method="POST", renderer="json", permission="resident")
def sms_preview_view(request):
    """The counter under the alert form: the SMS this text would make, computed by the
    same code as the real one (vvs_core.notify.sms through vvs_alerts.texts)."""
    community = home_community(request.dbsession, request.user)
    if community is None:
        raise HTTPNotFound()
    shown = typed(request, "text", "category", "severity")
    text, category = shown["text"][:PREVIEW_MAX_CHARS], shown["category"]
    if category not in CATEGORY_LABELS:
        category = "autre"
    severity = shown["severity"] if shown["severity"] in SMS_URGENCY else "moderate"
    next_id = (request.dbsession.scalar(sa.select(sa.func.max(Alert.id))) or 0) + 1
    return sms_preview(request, community, category, text, next_id, severity)


def _default_expiry(settings) -> int:
    hours = settings["vvs.alerts.default_expiry_hours"]
    return hours if hours in EXPIRY_CHOICES else EXPIRY_CHOICES[-1]


# --- One alert ----------------------------------------------------------------

@view_config(route_name="alert_view", renderer="vvs_alerts:templates/alert.pt", permission="alert.open")
def alert_view(request):
    alert = request.context.alert
    if not request.has_permission("alert.view"):  # withdrawn: its link says so, and nothing of it
        response = render_to_response("vvs_alerts:templates/withdrawn.pt", {
            "title": "Alerte retirée par la modération"}, request=request)
        response.status = 410
        return response
    community = alert.community
    can = {name: bool(request.has_permission(f"alert.{name}")) for name in ("report", "reach", "follow_up", "moderate")}
    return {
        "title": f"Alerte : {category_label(alert.category)}", "alert": alert, "community": community,
        "category": category_label(alert.category), "author": author_name(alert.author),
        "status_label": STATUS_LABELS.get(alert.status, alert.status),
        "severity_label": SEVERITY_LABELS.get(alert.severity, alert.severity),
        "active": is_active(alert), "can": can, "is_author": request.user.id == alert.author_id,
        "reach": reach_state(request.dbsession, alert) if can["reach"] else None,
        "reports": open_reports(request.dbsession, alert.id) if can["moderate"] else [],
        "actions": ACTION_LABELS, "update_labels": UPDATE_LABELS, "updates": [(u, author_name(u.author)) for u in alert.updates],
        "seen": last_entry_id(request.dbsession, alert.id) if can["moderate"] else 0,
        "default_days": DEFAULT_SUSPENSION_DAYS,
        "map_data": _map_data(community, alert.place) if alert.place is not None else None,
        "panels": _alert_panels(request, alert), **_assets(request),
    }


def _alert_panels(request, alert) -> list:
    panels = []
    for answer in request.registry.vvs_plugins.hook.vvs_alert_panels(request=request, alert=alert):
        panels.extend(answer or [])
    return sorted(panels, key=lambda p: p.order)


@view_config(route_name="alert_reach", renderer="json", permission="alert.reach")
def alert_reach_view(request):
    """The reach of an alert as its page shows it, asked again by the page until done."""
    request.response.cache_control = "no-store"
    return reach_state(request.dbsession, request.context.alert)


@view_config(route_name="alert_cap", permission="alert.view")
def alert_cap_view(request):
    alert = request.context.alert
    body = feeds.cap_document(request.registry, alert, alert.community)
    return Response(body=body, content_type="application/cap+xml", charset="utf-8")


@view_config(route_name="alert_report", request_method="POST", permission="alert.report")
def alert_report_view(request):
    alert = request.context.alert
    data, error = read(request, ReportSchema())
    if error:
        request.flash(error, "error")
    else:
        report_alert(request.dbsession, alert, request.user, data["reason"])
        request.flash("Merci : la modération va examiner votre signalement.", "success")
    return HTTPSeeOther(request.route_path("alert_view", alert_id=alert.id))


@view_config(route_name="alert_follow_up", request_method="POST", permission="alert.follow_up")
def alert_follow_up_view(request):
    alert = request.context.alert
    data, error = read(request, FollowUpSchema())
    if error:
        request.flash(error, "error")
    elif not is_active(alert):
        request.flash("Cette alerte n'est plus en cours.", "error")
    else:
        post_update(request, alert, request.user, data["kind"], data["text"])
        request.flash("Fin d'alerte envoyée aux voisins." if data["kind"] == "all_clear"
                      else "La suite est envoyée à tous ceux qui ont reçu l'alerte.", "success")
    return HTTPSeeOther(request.route_path("alert_view", alert_id=alert.id))


@view_config(route_name="alert_moderate", request_method="POST", permission="alert.moderate")
def alert_moderate_view(request):
    alert = request.context.alert
    data, errors = read_fields(request, AlertModerationSchema())
    if data.get("action") != "suspend":
        errors.pop("days", None)  # the length is read for a suspension only
    try:
        if errors:
            raise ModerationRefused(" ".join(errors.values()))
        entry = moderate(request, alert, request.user, data["action"], data["reason"], data.get("days"),  # a bad
                         seen=data["seen"])  # length left in the form of another action is not read: not in ``data``
    except ModerationRefused as refused:
        request.flash(str(refused), "error")
    else:
        request.flash(f"{ACTION_LABELS[entry.action]} : l'auteur en est informé.", "success")
    if data.get("back") == "queue":
        return HTTPSeeOther(request.route_path("alerts_moderation"))
    return HTTPSeeOther(request.route_path("alert_view", alert_id=alert.id))


# --- Lists --------------------------------------------------------------------

@view_config(route_name="alerts_home", permission="resident")
def alerts_home_view(request):
    community = home_community(request.dbsession, request.user)
    if community is None:
        raise HTTPNotFound()
    return HTTPSeeOther(request.route_path("alerts_community", community_id=community.id))


def _community_page(request, new_feed=None):
    from .views_support import community_alerts

    community = request.context.community
    active, past, page = community_alerts(request, community)
    is_member = bool(request.has_permission("community.member"))
    # Read with the menu's badges, in one statement (vvs_core.web.batch): the template asks .value.
    feed_count = request.page_reads.add(feeds.user_feed_count_sql(community.id, request.user.id) if is_member
                                        else sa.literal(0))
    return {
        "title": f"Alertes : {community.name}", "community": community, "active": active, "past": past,
        "category_label": category_label, "is_member": is_member, "feed_count": feed_count, "new_feed": new_feed,
        "status_labels": STATUS_LABELS, "severity_labels": SEVERITY_LABELS, "pagination": page,
    }


@view_config(route_name="alerts_community", renderer="vvs_alerts:templates/community.pt", permission="community.view")
def alerts_community_view(request):
    return _community_page(request)


@view_config(route_name="alerts_feed_create", request_method="POST", renderer="vvs_alerts:templates/community.pt",
             permission="community.member")
def feed_create_view(request):
    community = request.context.community
    token = feeds.issue_feed_token(request.dbsession, community.id, request.user.id)
    urls = {"atom": absolute_url(request, "alerts_feed_atom", community_id=community.id, token=token),
            "cap": absolute_url(request, "alerts_feed_cap", community_id=community.id, token=token)}
    request.dbsession.flush()
    return _community_page(request, new_feed=urls)


@view_config(route_name="alerts_feed_revoke", request_method="POST", permission="community.member")
def feed_revoke_view(request):
    community = request.context.community
    n = feeds.revoke_feed_tokens(request.dbsession, community.id, request.user.id)
    request.flash(f"{count(n, 'lien de flux révoqué', 'liens de flux révoqués')}." if n
                  else "Aucun lien de flux à révoquer.", "success")
    return HTTPSeeOther(request.route_path("alerts_community", community_id=community.id))


def _feed(request, with_cap: bool):
    found = row_id(request.matchdict["community_id"])
    community = request.dbsession.get(Community, found) if found else None
    if community is None or not feeds.feed_token_valid(request.dbsession, community.id, request.matchdict["token"]):
        raise HTTPNotFound()
    alerts = feeds.feed_alerts(request.dbsession, community.id, withdrawn=with_cap)
    self_url = absolute_url(request, request.matched_route.name, community_id=community.id,
                            token=request.matchdict["token"])
    body = feeds.atom_feed(request.registry, community, alerts, self_url, with_cap=with_cap)
    response = Response(body=body, content_type="application/atom+xml", charset="utf-8")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@view_config(route_name="alerts_feed_atom", permission="public")
def feed_atom_view(request):
    return _feed(request, with_cap=False)


@view_config(route_name="alerts_feed_cap", permission="public")
def feed_cap_view(request):
    return _feed(request, with_cap=True)


# --- Moderation queue ---------------------------------------------------------

MODERATION_PAGE = 20
MODERATION_PAGER_LABELS = {"held": "Pages des alertes en attente", "reported": "Pages des alertes signalées"}

@view_config(route_name="alerts_moderation", renderer="vvs_alerts:templates/moderation.pt", permission="alerts.moderate")
def moderation_queue_view(request):
    from vvs_core.web.pagination import paginate

    # One page of each queue (its own ?page_… parameter), read with its total in one statement.
    queue = {name: paginate(request, stmt, MODERATION_PAGE, param=f"page_{name}",
                            label=MODERATION_PAGER_LABELS[name])
             for name, stmt in queue_statements(request.user, request.principals).items()}
    shown = [a.id for a in queue["held"].items + queue["reported"].items]
    reports, seen = open_reports_of(request.dbsession, shown), last_entry_ids(request.dbsession, shown)
    # each community's own mode (walk, staff 13): the référent's communities, and those of the alerts shown
    own = [] if {"role:moderator", "role:admin"} & set(request.principals) else referent_communities(request)
    modes = effective_modes(request.dbsession, request.registry.settings,
                            {c.id: c for c in own + [a.community for a in queue["held"].items + queue["reported"].items]}.values())
    return {"title": "Alertes à modérer", "held": queue["held"], "reported": queue["reported"],
            "category_label": category_label, "author_name": author_name, "actions": ACTION_LABELS,
            "open_reports": lambda a: reports.get(a.id, []),
            "seen": lambda a: seen.get(a.id, 0), "default_days": DEFAULT_SUSPENSION_DAYS,
            "sanctions_context": SanctionsContext(request),
            "waiting": lambda a: dates.duration(utcnow() - a.created_at),
            "mode": request.registry.settings["vvs.alerts.moderation"], "own_communities": own,
            "mode_of": lambda c: f"{MODE_NAMES[modes[c.id][0]]} ({MODE_SOURCES[modes[c.id][1]]})"}
