"""Inviting neighbours (e-mail, SMS, flyer) and the invitation link."""
from __future__ import annotations

import colander
import deform
from pyramid.httpexceptions import HTTPFound, HTTPSeeOther
from pyramid.response import Response
from pyramid.view import view_config

from vvs_core.web.forms import Schema, StrippedString, email_node, field_error, make_form, validate
from vvs_core.accounts.phones import normalise_phone
from vvs_core.web.ratelimit import limiter
from vvs_core.accounts.security import community_factory
from vvs_core.web import route_exists

from .invitations import (DAILY_LIMIT, SESSION_KEY, already_invited, find_by_code, invitation_counts,
                          invitation_url, membership_of, said_stop, send_invitation, shared_link)

TOO_MANY = "Vous avez envoyé 20 invitations aujourd'hui : c'est le maximum par jour. Réessayez demain."


def includeme(config):
    for name, pattern in (
        ("invitations", "/communaute/{community_id}/invitations"),
        ("invitations_email", "/communaute/{community_id}/invitations/email"),
        ("invitations_sms", "/communaute/{community_id}/invitations/sms"),
        ("invitations_flyer", "/communaute/{community_id}/invitations/flyer.pdf"),
    ):
        config.add_route(name, pattern, factory=community_factory)
    config.add_route("invitation_open", "/invitation/{token}")
    config.scan(".views")


class EmailInviteSchema(Schema):
    email = email_node(title="Adresse e-mail de votre voisin")


class SMSInviteSchema(Schema):
    mobile = colander.SchemaNode(
        StrippedString(), title="Téléphone portable de votre voisin",
        widget=deform.widget.TextInputWidget(attributes={"type": "tel", "autocomplete": "off"}))


def invite_forms(request, community):
    email = make_form(request, EmailInviteSchema(), "Envoyer l'invitation par e-mail", formid="invitation-email",
                      action=request.route_path("invitations_email", community_id=community.id))
    sms = make_form(request, SMSInviteSchema(), "Envoyer l'invitation par SMS", formid="invitation-sms",
                    action=request.route_path("invitations_sms", community_id=community.id))
    return email, sms


def invitations_page(request, email_html=None, sms_html=None):
    community = request.context.community
    email, sms = invite_forms(request, community)
    link = shared_link(request.dbsession, community, request.user)
    return {
        "title": "Inviter des voisins", "community": community,
        "email_form": email_html or email.render(), "sms_form": sms_html or sms.render(),
        "link": invitation_url(request, link),
        "flyer_url": request.route_path("invitations_flyer", community_id=community.id),
        "mine": invitation_counts(request.dbsession, community, request.user),
        "extra_css": [request.layout.static("css/resident.css")],
    }


@view_config(route_name="invitations", renderer="vvs_invitations:templates/invitations.pt", permission="community.member")
def invitations_view(request):
    return invitations_page(request)


def check_daily_limit(request) -> None:
    """Count one invitation; ``TooManyRequests`` past the daily limit."""
    user = request.user
    # The e-mail is part of the key: user ids may be reused by a test database, e-mails are not.
    limiter(request, "invitations", rate=DAILY_LIMIT).check(f"{user.id}:{user.email}", TOO_MANY)


def _email_address(raw):
    return raw.lower(), None


def _mobile_number(raw):
    number, problem = normalise_phone(raw, "mobile")
    return number, (problem or (None if number else "Numéro de téléphone invalide."))


# channel → (its form's position in invite_forms, field, how the address is read,
#            the refusal of an address invited before, the confirmation)
CHANNELS = {
    "email": (0, "email", _email_address, "Cette adresse a déjà reçu une invitation.", "Invitation envoyée à {}."),
    "sms": (1, "mobile", _mobile_number, "Ce numéro a déjà reçu une invitation.", "Invitation envoyée par SMS."),
}
# the refusal of an address whose owner is already in the community (by membership status)
ALREADY_IN = {"active": "{who} est déjà membre de la communauté : aucune invitation n'est envoyée.",
              "pending": "{who} a déjà demandé à rejoindre la communauté : aucune invitation n'est envoyée."}
WHO = {"email": "La personne qui a cette adresse", "sms": "La personne qui a ce numéro"}


def refusal(request, community, channel, address) -> str | None:
    """Why no invitation goes to ``address``: its owner is in the community, or was invited."""
    status = membership_of(request.dbsession, community, channel, address)
    if status is not None:
        return ALREADY_IN[status].format(who=WHO[channel])
    if channel == "sms" and said_stop(request, address):
        return "La personne qui a ce numéro a demandé à ne plus recevoir d'invitation : aucune invitation n'est envoyée."
    return CHANNELS[channel][3] if already_invited(request.dbsession, community, address) else None


def send_invitation_form(request, channel):
    """One invitation by ``channel`` from its form: every refusal is the page again, with
    the French message under the field, status 400, nothing sent nor counted."""
    community = request.context.community
    position, field, read_address, _already, sent = CHANNELS[channel]
    form = invite_forms(request, community)[position]
    data, rendered = validate(request, form)
    address, problem = read_address(data[field]) if data is not None else (None, None)
    if data is not None and problem is None:
        problem = refusal(request, community, channel, address)
    if data is None or problem:
        request.response.status = 400
        html = rendered if data is None else field_error(form, field, problem)
        return invitations_page(request, **{f"{channel}_html": html})
    check_daily_limit(request)
    send_invitation(request, community, request.user, channel, address)
    request.flash(sent.format(address), "success")
    return HTTPSeeOther(request.route_path("invitations", community_id=community.id))


@view_config(route_name="invitations_email", request_method="POST",
             renderer="vvs_invitations:templates/invitations.pt", permission="community.member")
def invitations_email_view(request):
    return send_invitation_form(request, "email")


@view_config(route_name="invitations_sms", request_method="POST",
             renderer="vvs_invitations:templates/invitations.pt", permission="community.member")
def invitations_sms_view(request):
    return send_invitation_form(request, "sms")


@view_config(route_name="invitations_flyer", permission="community.member")
def invitations_flyer_view(request):
    community = request.context.community
    link = shared_link(request.dbsession, community, request.user)
    from .flyer import flyer_pdf  # reportlab, qrcode and Pillow: loaded when a flyer is drawn (issue 16.7)

    body = flyer_pdf(site_name=request.registry.settings["vvs.site_name"], community_name=community.name,
                     commune_name=community.commune.name, url=invitation_url(request, link),
                     sender_name=request.user.full_name)
    response = Response(body=body, content_type="application/pdf")
    response.content_disposition = 'inline; filename="invitation-voisins.pdf"'
    return response


@view_config(route_name="invitation_open", renderer="vvs_invitations:templates/invitation_open.pt", permission="public")
def invitation_open_view(request):
    invitation = find_by_code(request.dbsession, request.matchdict["token"])
    if invitation is None:
        request.response.status = 404
        return {"title": "Invitation introuvable", "invitation": None, "signup_url": None}
    if request.user is not None:
        return HTTPFound(request.route_path("home"))
    request.session[SESSION_KEY] = invitation.code
    # the invitation names the commune: a site of several communes does not ask it again
    signup_url = (request.route_path("signup", _query={"commune": invitation.community.commune_id})
                  if route_exists(request, "signup") else None)
    return {"title": "Vous êtes invité", "invitation": invitation, "community": invitation.community,
            "sender": invitation.sender, "signup_url": signup_url}
