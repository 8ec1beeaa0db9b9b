"""The public pages: choose the commune, follow its town hall, type the code, open the
e-mail link, stop. Every answer is French; nothing tells whether a number or an
address already follows."""
from __future__ import annotations

import colander
import deform
import sqlalchemy as sa
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config

from vvs_core.accounts.registration import communes_matching
from vvs_core.web.errorpages import json_error
from vvs_core.web.forms import Schema, StrippedString, make_form, validate
from vvs_core.web.jsonlimits import loads_limited
from vvs_core.web.french import de
from vvs_core.interfaces import IGeocoder
from vvs_core.models import Commune
from vvs_core.web.ratelimit import client_address, limiter

from . import following
from .following import FollowRefused

T = "vvs_followers:templates/"
INSEE = r"{insee:\d[0-9AB]\d{3}}"
PENDING = "vvs_followers.pending"
BROWSER = "vvs_followers.browser"  # the stop token of the browser that just followed (the page shows it)
TOO_MANY = "Trop de demandes depuis cette connexion : réessayez dans une heure."
TOO_MANY_HERE = ("Ce numéro ou cette adresse a déjà reçu plusieurs messages de confirmation aujourd'hui : "
                 "réessayez demain, ou utilisez le dernier code reçu.")


def includeme(config):
    config.add_route("followers_communes", "/communes/suivre")
    config.add_route("followers_follow", f"/communes/{INSEE}/suivre")
    config.add_route("followers_code", f"/communes/{INSEE}/suivre/code")
    config.add_route("followers_push", f"/communes/{INSEE}/suivre/notifications")
    config.add_route("followers_sent", f"/communes/{INSEE}/suivre/verifiez-vos-e-mails")
    config.add_route("followers_email_confirm", "/suivre/confirmer/{token}")
    config.add_route("followers_unsubscribe", "/suivre/desabonnement/{token}")
    config.scan(".views")


def commune_of(request) -> Commune:
    commune = request.dbsession.scalar(sa.select(Commune).where(Commune.insee == request.matchdict["insee"]))
    if commune is None:
        raise HTTPNotFound()
    return commune


class FollowSchema(Schema):
    contact = colander.SchemaNode(
        StrippedString(), title="Votre numéro de portable ou votre adresse e-mail",
        description="Un portable (06, 07) reçoit les alertes par SMS ; une adresse e-mail, par e-mail.",
        missing="", widget=deform.widget.TextInputWidget(attributes={"autocomplete": "on", "inputmode": "email"}))
    address = colander.SchemaNode(
        StrippedString(), title="Votre adresse dans la commune (facultatif)",
        description=("Pour recevoir aussi les alertes qui ne concernent que votre quartier. "
                     "Seule sa position sur la carte est gardée, pas l'adresse."),
        missing="", widget=deform.widget.TextInputWidget(attributes={"autocomplete": "street-address"}))
    news = colander.SchemaNode(
        colander.Boolean(), title="Recevoir aussi les nouvelles de la mairie", missing=False,
        description="Ses informations non urgentes (travaux, fêtes, horaires), par SMS, e-mail ou notification, "
                    "jamais par appel. Sans cette case : les alertes seulement.",
        widget=deform.widget.CheckboxWidget())


class CodeSchema(Schema):
    code = colander.SchemaNode(
        StrippedString(), title="Code reçu (6 chiffres)", missing="",
        widget=deform.widget.TextInputWidget(attributes={"inputmode": "numeric", "autocomplete": "one-time-code",
                                                         "maxlength": "12"}))


def follow_schema(request, commune) -> Schema:
    """The typed address needs a geocoder that finds addresses; with the built-in
    "manual" one (it finds none: every address was refused), the commune's
    neighbourhoods are listed instead, and none is needed for the whole commune."""
    schema = FollowSchema()
    if getattr(request.find_service(IGeocoder), "name", "") != "manual":
        return schema
    del schema["address"]
    hoods = following.neighbourhoods(request.dbsession, commune)
    if hoods:
        schema.insert(2, colander.SchemaNode(
            colander.String(), name="quartier", title="Votre quartier (facultatif)", missing="",
            description="Pour recevoir aussi les alertes qui ne concernent que votre quartier. Sans choix : "
                        "les alertes adressées à toute la commune.",
            validator=colander.OneOf(["", *(i for i, _ in hoods)], msg_err="Choisissez un quartier de la liste."),
            widget=deform.widget.SelectWidget(values=[("", "— Toute la commune —"), *hoods])))
    return schema


def follow_form(request, commune):
    return make_form(request, follow_schema(request, commune), "Recevoir les alertes", formid="suivre",
                     action=request.route_path("followers_follow", insee=commune.insee))


def code_form(request, commune):
    return make_form(request, CodeSchema(), "Confirmer", formid="code",
                     action=request.route_path("followers_code", insee=commune.insee))


def page(commune, **kw) -> dict:
    return {"commune": commune, "de": de, **kw}


@view_config(route_name="followers_communes", permission="public", renderer=T + "communes.pt")
def communes_view(request):
    query = " ".join(str(request.GET.get("q", ""))[:80].split())
    return {"title": "Suivre les alertes de ma mairie", "communes": communes_matching(request.dbsession, query, 50),
            "query": query}


def browser_follower(request, commune):
    """The follower this browser is (its stop token: in the URL a push opens, or in the
    session right after it followed), for the page to offer to stop; else None."""
    token = str(request.GET.get("abonnement") or "")[:60] or (request.session.get(BROWSER) or {}).get(commune.insee)
    follower = following.follower_of_token(request, token or "")
    if follower is None or follower.channel != "push" or follower.commune_id != commune.id:
        return None
    return {"follower": follower, "token": token}


@view_config(route_name="followers_follow", permission="public", renderer=T + "follow.pt")
def follow_view(request):
    commune = commune_of(request)
    form = follow_form(request, commune)
    channels = following.usable_channels(request)
    push = following.push_offer(request)
    base = page(commune, title=f"Suivre les alertes de la mairie {de(commune.name)}", channels=channels, push=push,
                browser=browser_follower(request, commune) if push else None,
                extra_js=[request.static_path(push["script"]),
                          request.static_path("vvs_followers:static/follow-push.js")] if push else [])
    if request.method != "POST":
        return {**base, "form": form.render()}
    # A typo refused in the form sends nothing: it counts against a larger allowance than
    # the requests that send a code, so a visitor correcting their number is not locked out.
    client, sending = client_address(request), limiter(request, "followers-request", "vvs.followers.rate")
    typos = limiter(request, "followers-typo", rate="60/3600")
    sending.check_blocked(client, TOO_MANY)
    typos.check_blocked(client, TOO_MANY)
    found = {}

    def check(data):
        problems = {}
        try:
            found["contact"] = following.contact_of(data.get("contact", ""), channels)
        except FollowRefused as refused:
            problems["contact"] = str(refused)
        try:
            found["home"] = (following.home_in(request.dbsession, commune, data["quartier"]) if "quartier" in data
                             else following.home_of(request, commune, data.get("address", "")))
        except FollowRefused as refused:
            problems["quartier" if "quartier" in data else "address"] = str(refused)
        return problems

    data, rendered = validate(request, form, check)
    if data is None:
        typos.fail(client)
        request.response.status = 400
        return {**base, "form": rendered}
    sending.check(client, TOO_MANY)
    channel, address = found["contact"]
    limiter(request, "followers-destination", "vvs.followers.destination_rate").check(
        f"{channel}:{address}", TOO_MANY_HERE)
    follower = following.start(request, commune, channel, address, found["home"], news=data.get("news"))
    if channel == "email":
        return HTTPSeeOther(request.route_path("followers_sent", insee=commune.insee))
    request.session[PENDING] = {"id": follower.id, "insee": commune.insee, "channel": channel}
    return HTTPSeeOther(request.route_path("followers_code", insee=commune.insee))


@view_config(route_name="followers_push", request_method="POST", permission="public", renderer="json")
def push_view(request):
    """The follow page's script records this browser's push subscription here (JSON,
    CSRF header); ``?nouvelles=1`` when the visitor also chose the news."""
    commune = commune_of(request)
    if following.push_offer(request) is None:
        return json_error(404, "not_offered", "Les notifications ne sont pas proposées sur ce site.")
    limiter(request, "followers-request", "vvs.followers.rate").check(client_address(request), TOO_MANY)
    try:
        body = loads_limited(request.body or b"null", 4096, max_depth=3)
        endpoint, p256dh, auth = following.push_subscription_of(
            body, bool(request.registry.settings.get("vvs.push.allow_http_endpoints")))
    except FollowRefused as refused:
        return json_error(422, "invalid_subscription", str(refused))
    except (ValueError, TypeError):
        return json_error(400, "invalid_json", "L'abonnement envoyé par le navigateur est illisible.")
    follower = following.follow_by_push(request, commune, endpoint, p256dh, auth, request.GET.get("nouvelles") == "1")
    token = following.unsubscribe_token(request, follower)
    request.session[BROWSER] = {**(request.session.get(BROWSER) or {}), commune.insee: token}
    request.response.status = 201
    return {"ok": True}


@view_config(route_name="followers_sent", permission="public", renderer=T + "sent.pt")
def sent_view(request):
    commune = commune_of(request)
    return page(commune, title="Vérifiez vos e-mails")


@view_config(route_name="followers_code", permission="public", renderer=T + "code.pt")
def code_view(request):
    commune = commune_of(request)
    pending = request.session.get(PENDING) or {}
    if pending.get("insee") != commune.insee:
        return HTTPSeeOther(request.route_path("followers_follow", insee=commune.insee))
    form = code_form(request, commune)
    base = page(commune, title="Confirmez votre numéro", channel=pending.get("channel"), done=False)
    if request.method != "POST":
        return {**base, "form": form.render()}
    limiter(request, "followers-code", rate="30/3600").check(client_address(request), TOO_MANY)
    data, rendered = validate(request, form)
    if data is None:
        request.response.status = 400
        return {**base, "form": rendered}
    follower, problem = following.confirm_code(request, int(pending.get("id") or 0), data.get("code", ""))
    if problem:
        request.response.status = 400
        from vvs_core.web.forms import field_error

        return {**base, "form": field_error(code_form(request, commune), "code", problem)}
    request.session.pop(PENDING, None)
    return {**base, "title": "C'est confirmé", "done": True, "follower": follower}


@view_config(route_name="followers_email_confirm", permission="public", renderer=T + "email_confirm.pt")
def email_confirm_view(request):
    """GET shows a button (mail scanners open links); the POST confirms."""
    token = request.matchdict["token"]
    base = {"title": "Confirmer votre abonnement", "token": token, "done": False, "expired": False, "follower": None,
            "de": de}
    if request.method != "POST":
        return base
    limiter(request, "followers-code", rate="30/3600").check(client_address(request), TOO_MANY)
    follower = following.confirm_link(request, token)
    if follower is None:
        request.response.status = 400
        return {**base, "title": "Lien expiré", "expired": True}
    commune = request.dbsession.get(Commune, follower.commune_id)
    return {**base, "title": "C'est confirmé", "done": True, "follower": follower, "commune": commune,
            "stop_url": request.route_path("followers_unsubscribe", token=following.unsubscribe_token(request, follower))}


@view_config(route_name="followers_unsubscribe", permission="public", renderer=T + "unsubscribe.pt",
             require_csrf=False)
def unsubscribe_view(request):
    """GET asks; a POST stops at once: the page's button, or a mail client's one-click
    ``List-Unsubscribe=One-Click`` POST (RFC 8058), which carries no CSRF token: the
    token in the URL is the credential. The answer is the same whether the token named
    someone or not."""
    token = request.matchdict["token"]
    base = {"title": "Ne plus recevoir les alertes", "token": token, "done": False}
    if request.method != "POST":
        return base
    # Wrong links only are counted: a mail provider's servers send the one-click POSTs of
    # thousands of followers from a few addresses, and each of them must hold.
    wrong, address = limiter(request, "followers-code", rate="30/3600"), client_address(request)
    wrong.check_blocked(address, TOO_MANY)
    follower = following.follower_of_token(request, token)
    if follower is not None:
        following.stop(request.dbsession, follower)
    else:
        wrong.fail(address)
    return {**base, "title": "Vous ne recevrez plus les alertes", "done": True}
