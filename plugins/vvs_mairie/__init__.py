"""vvs_mairie: the town hall's account ("Mairie vigilante et solidaire").

Agents of a subscribed commune (élus, agents, police municipale) sign in with a
password and a TOTP second factor; only then do they get the principals
``mairie:agent``, ``commune:<insee>:agent`` and ``commune:<insee>:<role>``. They
follow the commune's activity live, receive and acknowledge residents' alerts, alert
the commune, publish into the gazettes, work the validation queues and get monthly
reports. Other plugins are met only through hooks.
"""
from __future__ import annotations

from pyramid.authorization import Allow
from pyramid.httpexceptions import HTTPNotFound
from sqlalchemy import select

from vvs_core.web import french
from vvs_core.hooktypes import MenuItem, NotificationKind, Panel, PrincipalKind, Recipient, ValidationMode
from vvs_core.models import Community, Membership
from vvs_core.plugins import hookimpl
from vvs_core.accounts.principals import COMMUNE_AGENT, commune_agent
from vvs_core.web.batch import ReadThen
from vvs_core.web.timefmt import dates
from vvs_core.web.textsearch import folded

from . import agents as agent_service
from . import twofactor
# Answers to the hooks vvs_warnings and vvs_pcs declare (official warnings and crisis messages sent as
# commune alerts).
from .relays import (vvs_estimate_commune_alert, vvs_follow_commune_alert, vvs_pcs_population_end,  # noqa: F401
                     vvs_pcs_population_message, vvs_pcs_population_reach, vvs_relay_commune_alert)


class MairieContext:
    """A subscribed commune, from the ``insee`` route segment; only its agents (with
    their second factor passed) hold ``mairie``."""

    def __init__(self, request, commune, mairie):
        self.request = request
        self.commune = commune
        self.mairie = mairie

    @property
    def __acl__(self):
        return [(Allow, commune_agent(self.commune.insee), "mairie")]


def mairie_factory(request):
    commune = agent_service.request_commune_by_insee(request, request.matchdict.get("insee", ""))
    mairie = agent_service.request_mairie_of(request, commune.id) if commune is not None else None
    if mairie is None or not mairie.subscribed:
        raise HTTPNotFound()
    return MairieContext(request, commune, mairie)


# --- Hooks ------------------------------------------------------------------------

@hookimpl
def vvs_principals(request, user):
    if not twofactor.has_passed(request, user):
        return []
    principals = []
    for agent, insee in agent_service.viewer_agent_rows(request, user):
        if twofactor.is_enrolled(agent):
            principals += [commune_agent(insee), f"commune:{insee}:{agent.role}"]
    return principals + ["mairie:agent"] if principals else []


@hookimpl
def vvs_register_validation_modes():
    """Validation by the agents of the community's commune (its key is stored in the community's row)."""
    return [ValidationMode(
        "mairie", "Validation par la mairie", "Mairie", "votre mairie", "la mairie",
        "Votre demande d'adhésion est envoyée directement à votre mairie. Une fois votre demande acceptée par "
        "un agent de la mairie, votre compte sera activé.", imposed_by="la mairie {commune} (Mairie vigilante et solidaire)",
        deciders=lambda community: [commune_agent(community.commune.insee)])]


@hookimpl
def vvs_validation_mode_imposed(request, community):
    mairie = agent_service.request_mairie_of(request, community.commune_id)
    if mairie is not None and mairie.subscribed and mairie.impose_validation:
        return "mairie"
    return None


@hookimpl(optionalhook=True)
def vvs_alert_recipients(request, alert):
    insee = getattr(alert, "commune_insee", None)
    commune_id = None
    if insee:
        commune = agent_service.commune_by_insee(request.dbsession, insee)
        commune_id = commune.id if commune is not None else None
    elif getattr(alert, "community_id", None):
        community = request.dbsession.get(Community, alert.community_id)
        commune_id = community.commune_id if community is not None else None
    if commune_id is None:
        return []
    return [Recipient(agent.user_id, tuple(agent.alert_channels or ["email"]), reason="mairie")
            for agent in agent_service.acting_agents(request.dbsession, commune_id)]


def _subscribed(request, commune_id) -> bool:
    mairie = agent_service.request_mairie_of(request, commune_id)
    return bool(mairie and mairie.subscribed)


# Who answers for a duty in a roll-call « Êtes-vous en sécurité ? » (declared by vvs_rollcall).
ROLLCALL_DUTIES = {"ccas": ("ccas",), "maire": ("elu",), "police": ("police",)}


@hookimpl(optionalhook=True)
def vvs_rollcall_staff(request, commune, duty):
    """"mairie": every agent acting for the subscribed commune (``acting_agents``); "ccas",
    "maire", "police": those with that role (``AGENT_ROLES``)."""
    agents = agent_service.acting_agents(request.dbsession, commune.id)
    if duty != "mairie":
        roles = ROLLCALL_DUTIES.get(duty, ())
        agents = [a for a in agents if a.role in roles]
    return [a.user_id for a in agents]


@hookimpl(optionalhook=True)
def vvs_vulnerable_ccas_agents(request, commune):
    """The readers of the register of vulnerable residents (declared by vvs_vulnerable):
    the agents of role « CCAS » of the subscribed commune."""
    return vvs_rollcall_staff(request, commune, "ccas")


@hookimpl(optionalhook=True)
def vvs_gazette_items(request, community):
    """The 20 newest communications of the community's commune while its mairie is
    subscribed, read with the gazette's other reads."""
    author = f"Mairie {french.de(community.commune.name)}"
    return ReadThen(agent_service.communications_read(), lambda rows: [
        {"title": r.title, "text": r.text, "author": author, "created_at": r.created_at, "source": "mairie"}
        for r in rows], mairie_communications_of=community.commune_id)


@hookimpl(optionalhook=True)
def vvs_messageable_users(request, user):
    """An agent (second factor passed) may write to the residents of their commune, by
    name; a resident may answer (or write to) the agents of their commune's mairie, shown
    by name under the title « Mairie de <commune> »."""
    out = [(uid, "name", f"Mairie {french.de(name)}") for uid, name in agent_service.viewer_commune_agents(request, user)]
    if not twofactor.has_passed(request, user):
        return out
    for agent, _insee in agent_service.agent_rows(request.dbsession, user.id):
        if not twofactor.is_enrolled(agent):
            continue
        ids = request.dbsession.scalars(
            select(Membership.user_id).join(Community, Community.id == Membership.community_id)
            .where(Community.commune_id == agent.commune_id, Membership.status == "active").distinct())
        out += [(uid, "name") for uid in ids]
    return [pair for pair in out if pair[0] != user.id]


@hookimpl(optionalhook=True)
def vvs_messaging_writers(request):
    """Agents (second factor passed) open the messaging to write to residents."""
    return ["mairie:agent"]


@hookimpl
def vvs_acting_for(request, user):
    """An agent at the desk acts for a resident's account (``desk``): while the session runs."""
    from . import desk

    if not request.session.get(desk.SESSION_KEY):
        return None
    resident = desk.acting_for(request, user)
    if resident is not None:
        desk.log_change(request, resident)
    return resident


@hookimpl
def vvs_landing_url(request, user):
    """An agent lands on the mairie's space (second factor, then the dashboard)."""
    if agent_service.agent_rows(request.dbsession, user.id):
        return request.route_path("mairie_home")
    return None


@hookimpl(optionalhook=True)
def vvs_alert_held(request, alert):
    """Pre-moderation: the commune's agents are told that a residents' alert waits."""
    from vvs_core.web.links import absolute_url
    from vvs_core.notify.outbox import notify_user

    commune_id = getattr(alert, "commune_id", None)
    agents = agent_service.acting_agents(request.dbsession, commune_id) if commune_id is not None else []
    if not agents:
        return
    from vvs_core.models import Commune

    commune = request.dbsession.get(Commune, commune_id)
    link = absolute_url(request, "mairie_follow", insee=commune.insee, alert_id=alert.id)
    for agent in agents:
        user = agent.user
        notify_user(request, user, "mairie_alert_held", "Alerte d'un habitant en attente de validation",
                    f"Une alerte attend la validation d'un référent ou de la modération avant d'être envoyée :\n\n"
                    f"{alert.text}\n\nLa lire : {link}\n\nEn cas d'urgence ou de flagrant délit, appelez le 17.",
                    channels=("email",), subject=("mairie_held", alert.id),
                    dedupe_key=f"mairie-held:{alert.id}:{user.id}")


@hookimpl(optionalhook=True)
def vvs_alert_panels(request, alert):
    """The mairie's follow-up under a residents' alert: its status, and the replies the
    viewer may read (to the author: the author and the commune's agents; to the
    community: its members too)."""
    from pyramid.renderers import render

    from . import follow_up

    commune_id = getattr(alert, "commune_id", None)
    if commune_id is None or not _subscribed(request, commune_id):
        return []
    ack = follow_up.follow_ups(request.dbsession, commune_id, [alert.id]).get(alert.id)
    if ack is None:
        return []
    user = request.user
    insee = alert.community.commune.insee if getattr(alert, "community", None) is not None else ""
    staff = f"commune:{insee}:agent" in request.principals or "role:moderator" in request.principals
    mine = user is not None and user.id == alert.author_id
    replies = [r for r in follow_up.replies_of(request.dbsession, commune_id, alert.id)
               if r.text and (mine or staff or r.to_community)]
    commune = alert.community.commune if getattr(alert, "community", None) is not None else None
    html = render("vvs_mairie:templates/alert_panel.pt",
                  {"ack": ack, "replies": replies, "commune": commune}, request=request)
    return [Panel(f"Suivi par la mairie{' de ' + commune.name if commune is not None else ''}", html, order=20)]


@hookimpl
def vvs_dashboard_widgets(request, commune):
    from . import dashboard

    def html(pending):
        if not pending:
            return '<p class="muted">Aucune demande d\'adhésion en attente.</p>'
        from html import escape

        from vvs_core.models import User

        # One permission check per community, whatever the number of its requests; the
        # communities as the page already read them (no query per request).
        queues = dashboard.requests_queue_urls(
            request, dashboard.communities_by_id(request.dbsession, {p.community_id for p in pending}))

        def who(p):
            return User.full_name.fget(p)  # the row has the columns the name is made of

        def where(p):
            queue = queues.get(p.community_id)
            return f'<a href="{escape(queue)}">{escape(p.community)}</a>' if queue else escape(p.community)

        shown = pending[:dashboard.PENDING_SHOWN]  # the oldest; every one is counted in the communities' table
        items = "".join(f'<li>{where(p)} : {escape(who(p))}, depuis le {dates.date(p.requested_at)}</li>' for p in shown)
        total = french.count(len(pending), "demande en attente", "demandes en attente")
        more = (f'<p class="muted">Les {len(shown)} plus anciennes ; toutes sont comptées, communauté par communauté, '
                'dans la colonne « En attente » du tableau des communautés.</p>' if len(pending) > len(shown) else "")
        return f'<p>{escape(total)} :</p><ul class="plain">{items}</ul>{more}'

    # Read with the dashboard's other widgets and the menu, in one statement (vvs_core.web.batch).
    return [Panel("Demandes d'adhésion en attente", order=20, read=dashboard.pending_requests_read(commune.id),
                  render=html)]


@hookimpl
def vvs_menu_items(request):
    user = request.user
    if user is None:
        return []
    items = []
    if request.environ.get("vvs.acting_by") is not None:  # an agent acting at the desk
        items.append(MenuItem(f"Terminer la session pour {user.full_name}", request.route_path("mairie_desk_end"),
                              order=1))
    # Evaluated with the other entries' figures, in the menu's one statement.
    is_agent, unsubscribed = agent_service.menu_conditions_sql()
    items.append(MenuItem("Mairie", request.route_path("mairie_home"), order=70, only_if=is_agent, work=True))
    if user.is_admin:
        items.append(MenuItem("Mairies", request.route_path("mairie_admin"), order=86, work=True))
    if "role:resident" in request.principals:
        items.append(MenuItem("Convaincre ma mairie", request.route_path("mairie_convince"), order=75,
                              only_if=unsubscribed))
    return items


@hookimpl(optionalhook=True)  # vvs_demo's hook
def vvs_demo_data(dbsession, commune):
    from .demo_data import load_demo_mairie

    load_demo_mairie(dbsession, commune)


@hookimpl
def vvs_export_user_data(request, user):
    from sqlalchemy.orm import joinedload

    from .models import MairieAgent

    rows = request.dbsession.scalars(select(MairieAgent).where(MairieAgent.user_id == user.id)
                                     .options(joinedload(MairieAgent.commune)))
    agents = [{"commune": a.commune.name, "role": a.role_label, "canaux": a.alert_channels,
               "double_authentification": a.totp_confirmed_at is not None} for a in rows]
    from vvs_core.accounts.personal_data import CHANNEL_LABELS, in_words

    return {"Mairie vigilante": in_words(agents, canaux=CHANNEL_LABELS)} if agents else {}


@hookimpl
def vvs_erase_user_data(request, user):
    from .models import MairieAgent, RecoveryCode

    for agent in request.dbsession.scalars(select(MairieAgent).where(MairieAgent.user_id == user.id)):
        request.dbsession.query(RecoveryCode).filter(RecoveryCode.agent_id == agent.id).delete()
        agent.active, agent.totp_secret, agent.totp_confirmed_at = False, None, None


def load_demo_mairie(dbsession, commune=None):
    """Public entry point for the demo loader (see ``demo_data``)."""
    from .demo_data import load_demo_mairie as load

    return load(dbsession, commune)


# --- Wiring -------------------------------------------------------------------------

def includeme(config):
    config.add_static_view("static_mairie", "vvs_mairie:static", cache_max_age=3600)
    config.add_route("mairie_home", "/mairie")
    config.add_route("mairie_2fa", "/mairie/2fa")
    config.add_route("mairie_enrol", "/mairie/2fa/activer")
    config.add_route("mairie_invitation", "/mairie/invitation/{token}")
    config.add_route("mairie_admin", "/mairie/admin")
    config.add_route("mairie_admin_commune", "/mairie/admin/{insee}")
    config.add_route("mairie_desk_end", "/mairie/guichet/fin")
    config.add_route("mairie_convince", "/convaincre-ma-mairie")
    config.add_route("mairie_convince_pdf", "/convaincre-ma-mairie/presentation.pdf")
    config.add_route("mairie_proof_key", r"/communes/{insee:\d[0-9AB]\d{3}}/cle-publique.pem")
    config.add_route("mairie_alert_public", r"/avis/{insee:\d[0-9AB]\d{3}}/{alert_id:\d+}")
    config.add_route("mairie_messages_stop", "/mairie/messages/arret/{token}")
    factory = "vvs_mairie.mairie_factory"
    for name, pattern in (
        ("mairie_dashboard", "/mairie/{insee}"),
        ("mairie_activity", "/mairie/{insee}/activite.json"),
        ("mairie_ack", "/mairie/{insee}/signalements/{alert_id}/pris-en-compte"),
        ("mairie_follow", "/mairie/{insee}/signalements/{alert_id}"),
        ("mairie_settings", "/mairie/{insee}/mes-alertes"),
        ("mairie_alert_new", "/mairie/{insee}/alertes/nouvelle"),
        ("mairie_alert_cap", r"/mairie/{insee}/alertes/{alert_id:\d+}.cap.xml"),
        ("mairie_proof_csv", r"/mairie/{insee}/alertes/{alert_id:\d+}/preuve.csv"),
        ("mairie_proof_pdf", r"/mairie/{insee}/alertes/{alert_id:\d+}/preuve.pdf"),
        ("mairie_proof_verify", "/mairie/{insee}/preuve/verifier"),
        ("mairie_alert", "/mairie/{insee}/alertes/{alert_id}"),
        ("mairie_communications", "/mairie/{insee}/communications"),
        ("mairie_report_pdf", "/mairie/{insee}/rapport/{month}.pdf"),
        ("mairie_report_csv", "/mairie/{insee}/rapport/{month}.csv"),
        ("mairie_report", "/mairie/{insee}/rapport/{month}"),
        ("mairie_referents", "/mairie/{insee}/referents"),
        ("mairie_community_referents", "/mairie/{insee}/referents/{community_id}"),
        ("mairie_desk", "/mairie/{insee}/guichet"),
        ("mairie_desk_start", r"/mairie/{insee}/guichet/{account_id:\d{1,9}}/session"),
        ("mairie_desk_handover", r"/mairie/{insee}/guichet/{account_id:\d{1,9}}/remise"),
    ):
        config.add_route(name, pattern, factory=factory)
    from .platform_admin import routes as platform_admin_routes

    platform_admin_routes(config)
    config.scan(".views")
    config.scan(".convince_views")
    config.scan(".platform_admin")
    config.scan(".referents")
    config.scan(".desk")


# --- What the mairie declares -------------------------------------------------------

@hookimpl
def vvs_register_settings():
    from vvs_core.encryption import key_setting

    return [key_setting(twofactor.KEY_SETTING, "the mairie agents' second-factor (TOTP) secrets")]


@hookimpl
def vvs_startup(registry):
    from vvs_core.encryption import keyring
    from vvs_core.web.links import is_development

    settings = registry.settings
    keyring(settings, twofactor.KEY_SETTING, twofactor.PURPOSE)  # a wrong key stops start-up here
    if not settings.get(twofactor.KEY_SETTING) and not is_development(settings):  # derived from vvs.secret
        import logging

        logging.getLogger(__name__).warning(
            "%s is not set: the agents' TOTP secrets hang on vvs.secret (changing it would lock every agent "
            "out); set VVS_MAIRIE_TOTP_ENCRYPTION_KEY in production", twofactor.KEY_SETTING)


@hookimpl
def vvs_reseal_secrets(dbsession, settings):
    return ("mairie agents' TOTP secrets", twofactor.reseal_all(dbsession, settings))


@hookimpl
def vvs_register_event_kinds():
    from .desk import EVENT_KINDS as DESK
    from .platform_admin import EVENT_KINDS

    return EVENT_KINDS + DESK


@hookimpl(optionalhook=True)
def vvs_admin_commune_panels(request, commune):
    from .platform_admin import commune_panel

    return [Panel("Mairie", commune_panel(request, commune), order=10)]


@hookimpl(optionalhook=True)
def vvs_admin_user_panels(request, user):
    from vvs_core.models import Commune

    rows = request.dbsession.execute(
        select(agent_service.MairieAgent, Commune).join(Commune, Commune.id == agent_service.MairieAgent.commune_id)
        .where(agent_service.MairieAgent.user_id == user.id, agent_service.MairieAgent.active.is_(True))
        .order_by(folded(Commune.name))).all()
    if not rows:
        return []
    from markupsafe import escape

    from vvs_core.web.french import de

    items = "".join(
        f'<li>{escape(agent.role_label)} — <a href="{escape(request.route_path("admin_commune", insee=c.insee))}#mairie">'
        f'mairie {escape(de(c.name))}</a> · '
        f'{"double authentification active" if agent.totp_confirmed_at else "double authentification à activer"}</li>'
        for agent, c in rows)
    return [Panel("À la mairie", f'<ul class="plain">{items}</ul>', order=20)]


@hookimpl
def vvs_register_notification_kinds():
    return [
        NotificationKind("mairie_alert", "Alertes de la mairie", always_reach=True,
                         default_channels=("sms", "email", "push"), order=11, voice=True),
        NotificationKind("mairie_message", "Messages de la mairie", in_settings=False),
        NotificationKind("mairie_ack", "Votre alerte prise en compte par la mairie", in_settings=False),
        # the account a desk opened, handed to its resident: no stop link, no « Messages de la mairie » choice
        NotificationKind("mairie_handover", "Votre compte remis par la mairie", in_settings=False),
    ]


@hookimpl
def vvs_render_notification(request, notification, channel):
    """The mairie's messages by e-mail end with their stop link (``List-Unsubscribe``)."""
    from .messages import render_email

    return render_email(request, notification) if channel == "email" else None


@hookimpl
def vvs_register_principals():
    return [
        PrincipalKind(COMMUNE_AGENT, "Agent de la mairie de la commune (second facteur vérifié)", staff=True),
        PrincipalKind("commune:{insee}:{role}", "Rôle d'un agent dans la mairie de la commune", staff=True),
        PrincipalKind("mairie:agent", "Agent d'au moins une mairie", staff=True),
    ]


@hookimpl(optionalhook=True)  # declared by vvs_retention
def vvs_retention_rules(settings):
    """Proofs of warning are kept for the period each commune chose (vvs_mairie.retention)."""
    from .retention import rules

    return rules()


@hookimpl
def vvs_addhooks(pluginmanager):
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl(optionalhook=True)
def vvs_api_endpoints(api):
    """The commune's alerts, activity and acknowledgement figures under /api/v1/communes/{insee}."""
    from .api import declare

    declare(api)


@hookimpl(optionalhook=True)
def vvs_api_token_issued(request, token_id, user):
    """A token an agent creates after the second factor opens the mairie's API to it."""
    twofactor.remember_token(request, token_id, user)


@hookimpl
def vvs_membership_requested(request, membership):
    from .requests_notice import tell_agents

    tell_agents(request, membership)


@hookimpl(optionalhook=True)
def vvs_communities_merging(request, source, target):
    """The town hall's alerts sent to ``source`` are listed as sent to ``target``."""
    from .models import MairieAlert

    for alert in request.dbsession.scalars(select(MairieAlert).where(MairieAlert.commune_id == source.commune_id)):
        ids = list(alert.community_ids or [])
        if source.id in ids:
            alert.community_ids = list(dict.fromkeys(target.id if i == source.id else i for i in ids))


@hookimpl(optionalhook=True)  # declared by vvs_admin
def vvs_admin_commune_ties(request, commune):
    """Its agents (invited or active) keep a commune from being withdrawn."""
    from sqlalchemy import func

    from .models import MairieAgent

    n = request.dbsession.scalar(select(func.count(MairieAgent.id)).where(MairieAgent.commune_id == commune.id))
    return [french.count(n, "agent communal", "agents communaux")] if n else []


@hookimpl(optionalhook=True)  # declared by vvs_admin
def vvs_admin_commune_withdrawing(request, commune):
    """The town hall's settings row only configures the commune: it goes with it."""
    from sqlalchemy import delete

    from .models import MairieCommune

    request.dbsession.execute(delete(MairieCommune).where(MairieCommune.commune_id == commune.id))
