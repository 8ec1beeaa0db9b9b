"""Pages of the mairie: second factor, invitation, dashboard, alerts, communications,
reports and the platform team's administration of communes. Logic is in the
service modules; these views read the request and pick a template."""
from __future__ import annotations

import json
from datetime import timedelta

from pyramid.httpexceptions import HTTPFound, HTTPMovedPermanently, HTTPNotFound, HTTPSeeOther
from pyramid.response import Response
from pyramid.security import remember
from pyramid.view import view_config
from sqlalchemy import select
from sqlalchemy.orm import defer

from vvs_core.web import french
from vvs_core.web.batch import resolve_panels
from vvs_core.web.pagination import paginate, paginate_list
from vvs_core.clock import aware, utcnow
from vvs_core.models import Commune, User, row_id
from vvs_core.web.ratelimit import client_address, limiter
from vvs_core.accounts.security import valid_token, hash_password, password_problem, verify_password
from vvs_core.web.forms import read_fields, typed
from vvs_core.web.timefmt import dates
from vvs_core.web.textsearch import folded

from . import agents as agent_service
from . import commune_alerts, dashboard, follow_up, forms, reports, twofactor
from .models import (AGENT_ROLES_AS, FOLLOW_UP_STATUSES, ALERT_CATEGORIES, ALERT_CHANNELS, TARGETS, MairieAgent, MairieAlert,
                     MairieCommunication, MairieCommune)

T = "vvs_mairie:templates/"
TWO_FA_RATE = "5/300"


def assets(request, *names):
    js = [request.static_path(f"vvs_core:static/js/{n}" if n == "area-field.js" else f"vvs_mairie:static/{n}")
          for n in names if n.endswith(".js")]
    css = [request.static_path("vvs_mairie:static/mairie.css")]
    if "map" in names:
        return request.layout.map_assets(*js, css=css)
    return {"extra_js": js, "extra_css": css}


def map_centre(commune) -> str:
    return json.dumps([round(commune.centre.x, 6), round(commune.centre.y, 6)])


def current_agent(request, insee=None) -> MairieAgent | None:
    for agent, code in agent_service.agent_rows(request.dbsession, request.user.id):
        if insee is None or code == insee:
            return agent
    return None


# --- Landing and second factor ----------------------------------------------------

@view_config(route_name="mairie_home", permission="account")
def home_view(request):
    rows = agent_service.agent_rows(request.dbsession, request.user.id)
    if not rows:
        raise HTTPNotFound()
    agent, insee = rows[0]
    if not twofactor.is_enrolled(agent):
        return HTTPFound(request.route_path("mairie_enrol"))
    if not twofactor.has_passed(request, request.user):
        return HTTPFound(request.route_path("mairie_2fa"))
    return HTTPFound(request.route_path("mairie_dashboard", insee=insee))


@view_config(route_name="mairie_2fa", permission="account", renderer=T + "twofactor.pt")
def twofactor_view(request):
    agent = current_agent(request)
    if agent is None:
        raise HTTPNotFound()
    if not twofactor.is_enrolled(agent):
        return HTTPFound(request.route_path("mairie_enrol"))
    page = {"title": "Double authentification", **assets(request)}
    if request.method != "POST":
        return page
    # Only wrong codes count; a right one clears the count.
    attempts = limiter(request, "mairie-2fa", rate=TWO_FA_RATE)
    attempts.check_blocked(str(request.user.id))
    codes = read_fields(request, forms.CodeSchema())[0]
    code, recovery = codes["code"], codes["recovery"]
    ok = (twofactor.accept_totp(request.dbsession, agent, twofactor.agent_secret(request, agent), code) if code
          else twofactor.use_recovery_code(request.dbsession, agent, recovery) if recovery else False)
    if not ok:
        attempts.fail(str(request.user.id))
        request.response.status = 400
        field = "recovery" if recovery and not code else "code"
        return {**page, "errors": {field: "Code incorrect ou expiré : saisissez le code à 6 chiffres affiché par votre application."
                                   if field == "code" else "Code de secours incorrect ou déjà utilisé."}}
    attempts.clear(str(request.user.id))
    twofactor.mark_passed(request, request.user)
    if recovery and not code:
        left = twofactor.remaining_recovery_codes(request.dbsession, agent)
        request.flash(f"Code de secours utilisé : il vous en reste {left}.", "warning")
    return HTTPSeeOther(request.route_path("mairie_home"))


@view_config(route_name="mairie_enrol", permission="account", renderer=T + "enrol.pt")
def enrol_view(request):
    agent = current_agent(request)
    if agent is None:
        raise HTTPNotFound()
    if twofactor.is_enrolled(agent):
        return HTTPFound(request.route_path("mairie_2fa"))
    secret = twofactor.agent_secret(request, agent) or twofactor.start_enrolment(request, agent)
    uri = twofactor.provisioning_uri(secret, request.user.email or str(request.user.id))
    page = {"title": "Activer la double authentification", "secret": secret, "qr_svg": twofactor.qr_svg(uri),
            "uri": uri, **assets(request)}
    if request.method != "POST":
        return page
    attempts = limiter(request, "mairie-2fa", rate=TWO_FA_RATE)
    attempts.check_blocked(str(request.user.id))
    if not twofactor.accept_totp(request.dbsession, agent, secret, read_fields(request, forms.CodeSchema())[0]["code"]):
        attempts.fail(str(request.user.id))
        request.response.status = 400
        return {**page, "errors": {"code": "Code incorrect : vérifiez l'heure de votre téléphone et saisissez le code affiché."}}
    attempts.clear(str(request.user.id))
    codes = twofactor.confirm_enrolment(request.dbsession, agent)
    twofactor.mark_passed(request, request.user)
    return {"title": "Vos codes de secours", "codes": codes, "done": True,
            "next_url": request.route_path("mairie_home"), **assets(request)}


@view_config(route_name="mairie_invitation", permission="public", renderer=T + "invitation.pt")
def invitation_view(request):
    from vvs_core.models import Token
    from vvs_core.accounts.sessions import token_digest

    token = request.matchdict["token"]
    row = request.dbsession.scalar(select(Token).where(Token.token_hash == token_digest(token))) if len(token) < 100 else None
    user = request.dbsession.get(User, row.user_id) if row is not None else None
    valid = (row is not None and row.purpose == agent_service.INVITE_PURPOSE and row.used_at is None
             and aware(row.expires_at) > utcnow())
    # An existing account is bound to the mairie (and its second factor enrolled) only by its owner:
    # signed in as that account, or giving its password. The link alone is not enough (it travels by e-mail).
    owner = valid and user is not None and request.user is not None and request.user.id == user.id
    invited = request.dbsession.get(MairieAgent, int((row.data or {}).get("agent_id") or 0)) if valid else None
    invited = invited if invited is not None and invited.user_id == row.user_id else None
    mairie = f"Mairie vigilante {french.de(invited.commune.name)}" if invited is not None else "Mairie vigilante"
    page = {"title": f"Invitation : {mairie}", "mairie": mairie,
            "role_as": AGENT_ROLES_AS.get(invited.role, "") if invited is not None else "",
            "needs_password": valid and user is not None and not user.password_hash,
            "needs_current": valid and user is not None and bool(user.password_hash) and not owner,
            "email": user.email if user is not None else "", "valid": valid, **assets(request)}
    if not valid:  # used, expired or unknown: no accept button, one clear sentence
        request.response.status = 410 if row is not None else 404
        return {**page, "error": "Cette invitation n'est plus valable (déjà utilisée ou expirée) : si vous avez déjà "
                                 "accepté, connectez-vous ; sinon demandez-en une nouvelle à l'équipe de la plateforme."}
    if request.method != "POST":
        return page
    typed_passwords = read_fields(request, forms.InvitationSchema())[0]
    password, confirm, current = (typed_passwords[k] for k in ("password", "password_confirm", "current_password"))
    if page["needs_password"]:
        problem = password_problem(password, request.registry.settings["vvs.password_min_length"])
        if problem is None and password != confirm:
            problem = "Les deux mots de passe ne sont pas identiques."
        if problem:
            request.response.status = 400
            return {**page, "errors": {"password": problem}}
    if page["needs_current"]:
        attempts = limiter(request, "login-account", "vvs.ratelimit.login")  # the login's own counter
        attempts.check_blocked(user.email.lower())
        if not verify_password(user, current):
            attempts.fail(user.email.lower())
            request.response.status = 400
            return {**page, "errors": {"current_password": "Mot de passe incorrect : saisissez celui de votre compte "
                                                           "(ou connectez-vous d'abord, puis rouvrez le lien)."}}
        attempts.clear(user.email.lower())
    row = valid_token(request.dbsession, token, agent_service.INVITE_PURPOSE, use=True)
    if row is None:
        request.response.status = 400
        return {**page, "error": "Cette invitation n'est plus valable : demandez-en une nouvelle à l'équipe de la plateforme."}
    user = request.dbsession.get(User, row.user_id)
    if not user.password_hash:
        user.password_hash = hash_password(password)
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    headers = remember(request, user.id)
    return HTTPSeeOther(request.route_path("mairie_enrol"), headers=headers)


# --- Dashboard --------------------------------------------------------------------

ADMIN_PAGE = 50         # communes per page of the platform's list of mairies
FEED_PAGE = 20          # residents' alerts per page of the dashboard's feed
COMMUNITIES_PAGE = 50   # lines of the dashboard's table of communities


def _feed(request, commune, communities, also_since=None):
    """(filters, the period's activity, the page of what the filters keep, acknowledgements
    of that page, the activity since the earlier of the period's start and ``also_since``:
    read once for both). The feed is gathered from every plugin's ``vvs_commune_activity``
    and merged by date, so it is paginated here, in memory (``?page=N``)."""
    filters = dashboard.read_filters(request.params, communities)
    since = dashboard.filter_since(filters)
    activity = dashboard.commune_activity(request, commune, min(since, also_since) if also_since else since)
    period_items = [i for i in activity if i["created_at"] >= since]
    items = paginate_list(request, dashboard.apply_filters(period_items, filters), FEED_PAGE,
                          label="Pages des alertes des habitants")
    items.previous_text, items.next_text = "Plus récentes", "Plus anciennes"  # newest first
    acks = follow_up.follow_ups(request.dbsession, commune.id, [i["id"] for i in items if i["kind"] == "alert"])
    return filters, period_items, items, acks, activity


def _follow_url(request, commune):
    return lambda alert_id: request.route_path("mairie_follow", insee=commune.insee, alert_id=alert_id)


@view_config(route_name="mairie_dashboard", permission="mairie", renderer=T + "dashboard.pt")
def dashboard_view(context, request):
    commune = context.commune
    # The communities with their figures, and the activity of the feed and of the charts:
    # one read each (issue 16.1's query budget).
    figures = dashboard.community_figures(request, commune.id)
    communities = [f["community"] for f in figures]
    chart_start = dashboard.week_starts(dashboard.CHART_WEEKS)[0]
    filters, period_items, items, acks, activity = _feed(request, commune, communities, also_since=chart_start)
    widgets = []
    for answer in request.registry.vvs_plugins.hook.vvs_dashboard_widgets(request=request, commune=commune):
        widgets.extend(answer or [])
    query = dashboard.filters_query(filters)
    return {"title": f"Mairie {french.de(commune.name)}", "commune": commune, "items": items, "acks": acks,
            "filters": filters, "choices": dashboard.filter_choices(period_items), "periods": dashboard.PERIODS,
            "communities": communities, "filtered": bool(query),
            "follow_url": _follow_url(request, commune),
            "figures": paginate_list(request, figures, COMMUNITIES_PAGE, param="page_communautes",
                                     label="Pages des communautés"),
            # Only the first page of the feed is live (new alerts arrive at its top).
            "live": items.number == 1,
            "charts": dashboard.charts(request, commune, activity=activity),
            "widgets": sorted(resolve_panels(request, widgets), key=lambda p: p.order),
            "mairie_alerts": commune_alerts.alerts_of(request.dbsession, commune.id, limit=5),
            "month": dates.month_key(utcnow()), "map_centre": map_centre(commune),
            "map_data": json.dumps(dashboard.map_features(request.dbsession, commune.id, communities), separators=(",", ":")),
            "activity_url": request.route_path("mairie_activity", insee=commune.insee, _query=query),
            **assets(request, "map", "dashboard.js")}


@view_config(route_name="mairie_activity", permission="mairie", renderer="json")
def activity_view(context, request):
    commune = context.commune
    communities = dashboard.communities_of(request.dbsession, commune.id)
    filters = dashboard.read_filters(request.params, communities)
    since = dashboard._as_datetime(request.params.get("depuis", "")) or dashboard.filter_since(filters)
    items = dashboard.apply_filters(dashboard.commune_activity(request, commune, since), filters)
    acks = follow_up.follow_ups(request.dbsession, commune.id, [i["id"] for i in items if i["kind"] == "alert"])
    return {"now": dates.utc_iso(utcnow()),
            "items": dashboard.activity_json(
                request, commune, items, acks,
                lambda i: request.route_path("mairie_ack", insee=commune.insee, alert_id=i), _follow_url(request, commune))}


def _residents_alert(request, commune):
    found = row_id(request.matchdict["alert_id"])
    alert = dashboard.find_alert(request, commune, found) if found else None
    if alert is None:
        raise HTTPNotFound()
    return alert


@view_config(route_name="mairie_ack", permission="mairie", request_method="POST")
def ack_view(context, request):
    alert = _residents_alert(request, context.commune)
    if dashboard.acknowledge(request, context.commune, request.user, alert):
        request.flash("Alerte marquée « pris en compte » : son auteur est prévenu.", "success")
    else:
        request.flash("Cette alerte était déjà prise en compte.", "info")
    return HTTPSeeOther(request.route_path("mairie_dashboard", insee=context.commune.insee))


@view_config(route_name="mairie_follow", permission="mairie", renderer=T + "follow.pt")
def follow_view(context, request):
    """One residents' alert as the mairie follows it: status, replies, the form."""
    commune = context.commune
    alert = _residents_alert(request, commune)
    errors = None
    if request.method == "POST":
        data, problems = read_fields(request, forms.FollowSchema())
        try:
            if problems:
                raise follow_up.FollowUpRefused(" ".join(problems.values()))
            reply = follow_up.change_status(request, commune, request.user, alert, data["status"], data["reply"],
                                            data["to_community"], data["seen"] or None, data["seen_reply"])
        except follow_up.FollowUpRefused as refused:
            errors = str(refused)
            request.response.status = 400
        else:
            told = " et à sa communauté" if reply.to_community else ""
            request.flash(f"Statut « {reply.status_label} » enregistré : envoyé à l'auteur{told}.", "success")
            return HTTPSeeOther(request.route_path("mairie_follow", insee=commune.insee, alert_id=alert["id"]))
    ack = follow_up.follow_ups(request.dbsession, commune.id, [alert["id"]]).get(int(alert["id"]))
    replies = follow_up.replies_of(request.dbsession, commune.id, int(alert["id"]))
    agents = {u.id: u for u in request.dbsession.scalars(select(User).where(
        User.id.in_([r.agent_user_id for r in replies if r.agent_user_id] or [-1])))}
    return {"title": f"Suivi de l'alerte : {alert['title']}", "commune": commune, "alert": alert, "ack": ack,
            "replies": replies, "agents": agents, "error": errors, "statuses": FOLLOW_UP_STATUSES,
            "choosable": follow_up.CHOOSABLE, "reply_max": follow_up.REPLY_MAX,
            "values": {**typed(request, "status", "reply"), "to_community": bool(typed(request, "to_community")["to_community"])}
            if errors else {},
            "seen": ack.status if ack is not None else "recue",
            "seen_reply": max((r.id for r in replies), default=0),
            "delay": follow_up.format_minutes((ack.at - alert["created_at"]).total_seconds() / 60) if ack else None,
            **assets(request)}


@view_config(route_name="mairie_settings", permission="mairie", renderer=T + "settings.pt")
def settings_view(context, request):
    agent = current_agent(request, context.commune.insee)
    page = {"title": "Recevoir les alertes des habitants", "agent": agent, "channels": ALERT_CHANNELS,
            "labels": {"sms": "SMS", "email": "E-mail", "push": "Notification"}, "commune": context.commune,
            **assets(request)}
    if request.method != "POST":
        return page
    data, errors = read_fields(request, forms.ChannelsSchema())
    if errors:
        request.response.status = 400
        return {**page, "errors": errors}
    agent.alert_channels = data["channels"]
    request.flash("Vos préférences sont enregistrées.", "success")
    return HTTPSeeOther(request.route_path("mairie_dashboard", insee=context.commune.insee))


# --- Commune alerts ----------------------------------------------------------------

@view_config(route_name="mairie_alert_new", permission="mairie", renderer=T + "alert_new.pt")
def alert_new_view(context, request):
    commune = context.commune
    communities = dashboard.communities_of(request.dbsession, commune.id)
    page = {"title": "Alerter les habitants", "commune": commune, "categories": ALERT_CATEGORIES, "targets": TARGETS,
            "communities": communities, "values": {"target": "commune", "community_ids": []}, "errors": {},
            "estimate": None, "sms_preview": None, "map_centre": map_centre(commune),
            "map_data": json.dumps(dashboard.map_features(request.dbsession, commune.id), separators=(",", ":")),
            **assets(request, "map", "area-field.js", "alert_form.js")}
    if request.method != "POST":
        return page
    data, errors = commune_alerts.parse_form(request.dbsession, commune, request.POST)
    values = {**data, "community_ids": data["community_ids"]}
    if errors:
        request.response.status = 400
        return {**page, "values": values, "errors": errors}
    recipients, followers = commune_alerts.audience_of(request, commune, data)
    estimate = commune_alerts.audience.estimate(recipients, followers)
    if typed(request, "confirm")["confirm"] != "1":
        link = commune_alerts.public_link(request, commune, commune_alerts.next_alert_id(request.dbsession))
        preview = commune_alerts.sms_preview(commune, data, request.registry.settings["vvs.sms.max_segments"], link)
        return {**page, "values": values, "estimate": estimate, "sms_preview": preview}
    if not recipients and not followers:
        request.response.status = 400
        return {**page, "values": values, "estimate": estimate,
                "errors": {"target": "Personne n'habite dans cette zone : élargissez-la ou choisissez d'autres destinataires."}}
    alert = commune_alerts.send_alert(request, commune, request.user, data)
    request.flash(f"Alerte envoyée : {estimate['text']}.", "success")
    return HTTPSeeOther(request.route_path("mairie_alert", insee=commune.insee, alert_id=alert.id))


def _commune_alert(context, request) -> tuple[MairieAlert, list[MairieAlert]]:
    """The first alert of the URL and its follow-ups, or 404."""
    found = row_id(request.matchdict["alert_id"])
    alert = request.dbsession.get(MairieAlert, found) if found else None
    if alert is None or alert.commune_id != context.commune.id or alert.parent_id is not None:
        raise HTTPNotFound()
    return alert, list(request.dbsession.scalars(select(MairieAlert).where(MairieAlert.parent_id == alert.id)
                                                 .order_by(MairieAlert.created_at, MairieAlert.id)))


@view_config(route_name="mairie_alert_cap", permission="mairie")
def alert_cap_view(context, request):
    from .cap import commune_alert_cap

    alert, follow_ups = _commune_alert(context, request)
    return Response(body=commune_alert_cap(request.registry, context.commune, alert, follow_ups),
                    content_type="application/cap+xml", charset="utf-8")


@view_config(route_name="mairie_proof_csv", permission="mairie")
def proof_csv_view(context, request):
    from . import proof

    alert, follow_ups = _commune_alert(context, request)
    body = proof.proof_csv(proof.proof(request, context.commune, alert, follow_ups))
    return Response(body=body.encode("utf-8"), content_type="text/csv", charset="utf-8",
                    content_disposition=f'attachment; filename="preuve-{context.commune.insee}-{alert.id}.csv"')


@view_config(route_name="mairie_proof_pdf", permission="mairie")
def proof_pdf_view(context, request):
    from . import proof

    alert, follow_ups = _commune_alert(context, request)
    body = proof.proof_pdf(proof.proof(request, context.commune, alert, follow_ups),
                           request.registry.settings["vvs.site_name"])
    return Response(body=body, content_type="application/pdf",
                    content_disposition=f'attachment; filename="preuve-{context.commune.insee}-{alert.id}.pdf"')


PROOF_MAX_BYTES = 5_000_000


@view_config(route_name="mairie_proof_key", permission="public")
def proof_key_view(request):
    """The public key that checks the commune's proofs of warning (anyone may read it)."""
    from . import proof

    insee = request.matchdict["insee"]
    if request.dbsession.scalar(select(Commune.id).where(Commune.insee == insee)) is None:
        raise HTTPNotFound()
    return Response(body=proof.public_key_pem(request.registry.settings["vvs.secret"], insee),
                    content_type="application/x-pem-file", charset=None,
                    content_disposition=f'inline; filename="cle-publique-{insee}.pem"',
                    cache_control="public, max-age=3600")


@view_config(route_name="mairie_proof_verify", permission="mairie", renderer=T + "proof_verify.pt")
def proof_verify_view(context, request):
    from . import proof

    from . import retention

    row = agent_service.mairie_of(request.dbsession, context.commune.id)
    page = {"title": "Vérifier une preuve d'alerte", "commune": context.commune, "verdict": None,
            "retention_choices": retention.CHOICES, "retention_days": retention.days_of(row),
            "key_url": request.route_path("mairie_proof_key", insee=context.commune.insee), **assets(request)}
    if request.method != "POST":
        return page
    if "retention_days" in request.POST:
        data, errors = read_fields(request, forms.RetentionSchema())
        if errors:
            request.response.status = 400
            return {**page, "retention_error": errors["retention_days"]}
        days = int(data["retention_days"])
        agent_service.mairie_of(request.dbsession, context.commune.id, create=True).proof_retention_days = days
        request.flash(f"Les preuves d'alerte seront gardées {retention.CHOICES[days]}.", "success")
        return HTTPSeeOther(request.route_path("mairie_proof_verify", insee=context.commune.insee))
    upload = request.POST.get("file")
    raw = upload.file.read(PROOF_MAX_BYTES + 1) if hasattr(upload, "file") else b""
    if not raw or len(raw) > PROOF_MAX_BYTES:
        request.response.status = 400
        return {**page, "verdict": (False, "Choisissez le fichier CSV de la preuve (5 Mo au plus).")}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        request.response.status = 400
        return {**page, "verdict": (False, "Ce fichier n'est pas une preuve d'alerte exportée par ce site.")}
    verdict = proof.verify_csv(request.registry.settings["vvs.secret"], text)
    if not verdict[0]:
        request.response.status = 400
    return {**page, "verdict": verdict}


@view_config(route_name="mairie_alert", permission="mairie", renderer=T + "alert.pt")
def alert_view(context, request):
    alert, follow_ups = _commune_alert(context, request)
    page = {"title": alert.title, "alert": alert, "commune": context.commune, "follow_ups": follow_ups,
            "reach": commune_alerts.reach_report(request.dbsession, alert),
            "follow_reach": {i: r["text"] for i, r in commune_alerts.reach_reports(request.dbsession, follow_ups).items()},
            "ended": any(f.kind == "all_clear" for f in follow_ups), "errors": {},
            "exercise": commune_alerts.exercise_report(request.dbsession, alert) if alert.exercise else None,
            **assets(request)}
    if request.method != "POST":
        return page
    data, errors = read_fields(request, forms.FollowUpSchema())
    kind, body = data.get("kind", ""), data.get("body", "")
    if kind not in ("update", "all_clear") or page["ended"]:
        errors["kind"] = "Cette alerte est terminée." if page["ended"] else "Choisissez : mise à jour ou fin d'alerte."
    if kind == "update" and not body and "body" not in errors:
        errors["body"] = "Écrivez le texte de la mise à jour."
    if errors:
        request.response.status = 400
        return {**page, "errors": errors}
    follow = commune_alerts.send_follow_up(request, context.commune, request.user, alert, kind, body)
    request.flash("Mise à jour envoyée." if kind == "update" else
                  "Fin d'alerte envoyée." + commune_alerts.cancelled_sentence(follow.unsent_cancelled), "success")
    return HTTPSeeOther(request.route_path("mairie_alert", insee=context.commune.insee, alert_id=alert.id))


@view_config(route_name="mairie_alert_public", permission="public", renderer=T + "alert_public.pt")
def alert_public_view(request):
    """The public page of a commune alert, whose link its SMS, e-mail and push carry: what it says,
    its updates and whether it has ended; read-only, no personal data (no author, reach nor area)."""
    db = request.dbsession
    raw = request.matchdict["alert_id"]
    alert = db.get(MairieAlert, int(raw)) if len(raw) < 10 else None
    commune = agent_service.commune_by_insee(db, request.matchdict["insee"])
    if alert is None or commune is None or alert.commune_id != commune.id:
        raise HTTPNotFound()
    if alert.parent_id is not None:
        return HTTPSeeOther(request.route_path("mairie_alert_public", insee=commune.insee, alert_id=alert.parent_id))
    follow_ups = list(db.scalars(select(MairieAlert).where(MairieAlert.parent_id == alert.id)
                                 .order_by(MairieAlert.created_at, MairieAlert.id)))
    return {"title": f"{alert.title} · Mairie {french.de(commune.name)}", "alert": alert, "commune": commune,
            "follow_ups": follow_ups, "ended": next((f for f in follow_ups if f.kind == "all_clear"), None)}


# --- Communications ------------------------------------------------------------------

COMMUNICATIONS_PAGE = 20


@view_config(route_name="mairie_communications", permission="mairie", renderer=T + "communications.pt")
def communications_view(context, request):
    from . import messages

    commune = context.commune
    communities = dashboard.communities_of(request.dbsession, commune.id)
    published = paginate(request, select(MairieCommunication).where(MairieCommunication.commune_id == commune.id)
                         .order_by(MairieCommunication.created_at.desc(), MairieCommunication.id.desc()),
                         COMMUNICATIONS_PAGE)
    page = {"title": "Communications", "commune": commune, "communities": communities, "published": published.items,
            "community_names": {c.id: c.name for c in communities},
            "pagination": published, "errors": {}, "values": {}, **assets(request)}
    if request.method != "POST":
        return page
    data, errors = read_fields(request, forms.CommunicationSchema())
    title, text = (data.get(k, shown) for k, shown in typed(request, "title", "text").items())
    action = data["action"]
    chosen = sorted({row_id(v) for v in data["communities"]} & {c.id for c in communities})
    if action not in ("publish", "message"):
        errors["action"] = "Choisissez : publier dans les gazettes ou envoyer par e-mail."
    if action == "message" and not chosen:
        errors["communities"] = "Cochez au moins une communauté."
    if errors:
        request.response.status = 400
        return {**page, "errors": errors, "values": {"title": title, "text": text, "communities": chosen, "action": action}}
    if action == "message":
        count = messages.send_message(request, commune, request.user, chosen, title, text)
        request.dbsession.add(MairieCommunication(commune_id=commune.id, author_id=request.user.id, title=title,
                                                  text=text, channel="email", community_ids=chosen, recipients=count))
        request.flash(f"Message envoyé par e-mail à {french.count(count, 'habitant', 'habitants')}.", "success")
    else:
        news = MairieCommunication(commune_id=commune.id, author_id=request.user.id, title=title, text=text)
        request.dbsession.add(news)
        request.dbsession.flush()
        request.registry.vvs_plugins.hook.vvs_commune_news_published(
            request=request, commune=commune, news={"id": news.id, "title": title, "text": text})
        request.flash("Communication publiée dans la gazette de chaque quartier.", "success")
    return HTTPSeeOther(request.route_path("mairie_communications", insee=commune.insee))


@view_config(route_name="mairie_messages_stop", permission="public", renderer=T + "messages_stop.pt",
             require_csrf=False)
def messages_stop_view(request):
    """GET asks; a POST stops at once: the page's button, or a mail client's one-click
    ``List-Unsubscribe=One-Click`` POST (RFC 8058), which carries no CSRF token: the
    token in the URL is the credential. ``reprendre`` undoes it. The answer is the same
    whether the token named someone or not."""
    from . import messages

    token = request.matchdict["token"]
    base = {"title": "Ne plus recevoir les messages de la mairie", "token": token, "done": None, **assets(request)}
    if request.method != "POST":
        return base
    # Wrong links only are counted: a mail provider's servers send the one-click POSTs of
    # thousands of residents from a few addresses, and each of them must hold.
    wrong, address = limiter(request, "mairie-messages-stop", rate="30/3600"), client_address(request)
    wrong.check_blocked(address, "Trop de demandes depuis cette connexion : réessayez dans une heure.")
    again = bool(request.POST.get("reprendre"))
    user = messages.user_of_token(request, token)
    if user is not None:
        messages.set_stopped(user, not again)
    else:
        wrong.fail(address)
    if again:
        return {**base, "title": "Vous recevrez de nouveau les messages de la mairie", "done": "again"}
    return {**base, "title": "Vous ne recevrez plus les messages de la mairie", "done": "stopped"}


# --- Reports ----------------------------------------------------------------------------

def _month(request):
    """(year, month) of the URL; 404 for nonsense; None for a month that has not started."""
    month = reports.parse_month(request.matchdict["month"])
    if month is None:
        raise HTTPNotFound()
    return month if reports.has_started(*month) else None


def _report(context, request):
    month = _month(request)
    if month is None:
        raise HTTPNotFound()
    return reports.monthly_report(request, context.commune, *month)


def _month_not_started(context, request):
    """No report for a month that has not started (not today's counts under its name)."""
    from datetime import date

    from pyramid.renderers import render_to_response

    year, month = reports.parse_month(request.matchdict["month"])
    page = {"title": "Rapport indisponible", "month_label": dates.month(date(year, month, 1)),
            "current_url": request.route_path("mairie_report", insee=context.commune.insee,
                                              month=dates.month_key(utcnow())),
            "current_label": dates.month(utcnow()), **assets(request)}
    response = render_to_response(T + "report_refused.pt", page, request=request)
    response.status = 404
    return response


@view_config(route_name="mairie_report", permission="mairie", renderer=T + "report.pt")
def report_view(context, request):
    if _month(request) is None:
        return _month_not_started(context, request)
    report = _report(context, request)
    month = request.matchdict["month"]
    return {"title": f"Rapport d'activité — {report['label']}", "report": report, **assets(request),
            "pdf_url": request.route_path("mairie_report_pdf", insee=context.commune.insee, month=month),
            "csv_url": request.route_path("mairie_report_csv", insee=context.commune.insee, month=month)}


@view_config(route_name="mairie_report_pdf", permission="mairie")
def report_pdf_view(context, request):
    report = _report(context, request)
    body = reports.report_pdf(report, request.registry.settings["vvs.site_name"])
    return Response(body=body, content_type="application/pdf", content_disposition=
                    f'attachment; filename="rapport-{context.commune.insee}-{request.matchdict["month"]}.pdf"')


@view_config(route_name="mairie_report_csv", permission="mairie")
def report_csv_view(context, request):
    report = _report(context, request)
    return Response(body=reports.report_csv(report).encode("utf-8-sig"), content_type="text/csv", charset="utf-8",
                    content_disposition=f'attachment; filename="rapport-{context.commune.insee}-{request.matchdict["month"]}.csv"')


# --- Platform administration ---------------------------------------------------------------

@view_config(route_name="mairie_admin", permission="platform", renderer=T + "admin.pt")
def admin_view(request):
    # One page of communes with their mairie (one statement); boundaries stay in the database.
    communes = paginate(request, select(Commune, MairieCommune).options(defer(Commune.boundary))
                        .outerjoin(MairieCommune, MairieCommune.commune_id == Commune.id)
                        .order_by(folded(Commune.name), Commune.id), ADMIN_PAGE)
    mairies = {c.id: m for c, m in communes.items}
    communes.items = [c for c, _m in communes.items]
    from .platform_admin import commune_url

    return {"title": "Mairies vigilantes", "communes": communes, "mairies": mairies,
            "commune_url": lambda commune: commune_url(request, commune), **assets(request)}


@view_config(route_name="mairie_admin_commune", request_method="GET", permission="platform")
def admin_commune_view(request):
    """The town hall of a commune is run from the platform team's page of the commune
    (vvs_admin; its « Mairie » block: every action there asks a reason and is journaled);
    this old address leads there, or shows the block alone when vvs_admin is off."""
    from vvs_core.web import route_exists

    from .platform_admin import block_page

    commune = agent_service.commune_by_insee(request.dbsession, request.matchdict["insee"])
    if commune is None:
        raise HTTPNotFound()
    if not route_exists(request, "admin_commune"):  # vvs_admin is off: the block on a page of its own
        return block_page(request, commune)
    return HTTPMovedPermanently(request.route_path("admin_commune", insee=commune.insee, _anchor="mairie"))
